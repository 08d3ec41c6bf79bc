"""Inventory and network action families: ECS instances and ENIs (seeded with Local*
actions), VPC route entries, regions and zones, EIPs, and the traffic checks through an IPv4
and an IPv6 VIP. One function per family; sdkcheck.py runs them.
"""

import json
import socket
import threading
import time

from sdkcheck import check, create_lb, delete_lb, expect_error, items, put_instance

EIP_IN_USE = "IncorrectEipStatus"  # ReleaseEipAddress while bound


def family_ecs_inventory(api, ctx):
    """Local* seeding, then ECS DescribeInstances and DescribeNetworkInterfaces."""
    put_instance(api, ctx, "i-sdk-a", "127.0.0.71")
    put_instance(api, ctx, "i-sdk-b", "127.0.0.72")
    answer = api.call("ecs", "DescribeInstances", {
        "RegionId": ctx.region, "InstanceIds": json.dumps(["i-sdk-a", "i-sdk-b"])})
    found = {i["InstanceId"]: i for i in items(answer, "Instances", "Instance")}
    check(set(found) == {"i-sdk-a", "i-sdk-b"}, f"DescribeInstances ids: {sorted(found)}")
    check(found["i-sdk-a"]["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["127.0.0.71"],
          f"DescribeInstances address: {found['i-sdk-a']}")
    api.admin("LocalPutNetworkInterfaces", {"NetworkInterfaces": json.dumps([{
        "NetworkInterfaceId": "eni-sdk", "PrivateIpAddresses": ["127.0.0.73"],
        "VpcId": ctx.vpc, "VSwitchId": ctx.vswitch, "InstanceId": "i-sdk-a"}])})
    answer = api.call("ecs", "DescribeNetworkInterfaces", {
        "RegionId": ctx.region, "NetworkInterfaceId": ["eni-sdk"]})
    enis = items(answer, "NetworkInterfaceSets", "NetworkInterfaceSet")
    check([e["NetworkInterfaceId"] for e in enis] == ["eni-sdk"], f"DescribeNetworkInterfaces: {answer}")
    api.admin("LocalDeleteNetworkInterfaces", {"NetworkInterfaceIds": json.dumps(["eni-sdk"])})
    api.admin("LocalDeleteInstances", {"InstanceIds": json.dumps(["i-sdk-b"])})
    answer = api.call("ecs", "DescribeInstances", {
        "RegionId": ctx.region, "InstanceIds": json.dumps(["i-sdk-b"])})
    check(items(answer, "Instances", "Instance") == [], f"deleted instance still listed: {answer}")


def family_vpc_routes(api, ctx):
    """VPC route tables and entries: list tables, create one and a batch, list, delete."""
    put_instance(api, ctx, "i-sdk-route", "127.0.0.91")
    tables = api.call("vpc", "DescribeRouteTableList", {"RegionId": ctx.region, "VpcId": ctx.vpc})
    found = items(tables, "RouterTableList", "RouterTableListType")
    check(found, f"DescribeRouteTableList: {tables}")
    table = found[0]["RouteTableId"]
    hop = {"NextHopType": "Instance", "NextHopId": "i-sdk-route"}
    api.call("vpc", "CreateRouteEntry", {"RegionId": ctx.region, "RouteTableId": table,
                                         "DestinationCidrBlock": "172.20.1.0/24", **hop})
    api.call("vpc", "CreateRouteEntries", {"RegionId": ctx.region, "RouteEntries": [
        {"RouteTableId": table, "DstCidrBlock": "172.20.2.0/24", "NextHop": "i-sdk-route",
         "NextHopType": "Instance"}]})
    listed = api.call("vpc", "DescribeRouteEntryList", {"RegionId": ctx.region, "RouteTableId": table,
                                                        "RouteEntryType": "Custom"})
    cidrs = sorted(e["DestinationCidrBlock"] for e in items(listed, "RouteEntrys", "RouteEntry"))
    check(cidrs == ["172.20.1.0/24", "172.20.2.0/24"], f"DescribeRouteEntryList: {cidrs}")
    api.call("vpc", "DeleteRouteEntry", {"RegionId": ctx.region, "RouteTableId": table,
                                         "DestinationCidrBlock": "172.20.1.0/24",
                                         "NextHopId": "i-sdk-route"})
    api.call("vpc", "DeleteRouteEntries", {"RegionId": ctx.region, "RouteEntries": [
        {"RouteTableId": table, "DstCidrBlock": "172.20.2.0/24", "NextHop": "i-sdk-route"}]})
    listed = api.call("vpc", "DescribeRouteEntryList", {"RegionId": ctx.region, "RouteTableId": table,
                                                        "RouteEntryType": "Custom"})
    check(items(listed, "RouteEntrys", "RouteEntry") == [], f"entries left: {listed}")


def family_regions(api, ctx):
    """DescribeRegions, DescribeZones and DescribeAvailableResource."""
    regions = items(api.call("slb", "DescribeRegions", {}), "Regions", "Region")
    check(ctx.region in [r["RegionId"] for r in regions], f"DescribeRegions: {regions}")
    zones = items(api.call("slb", "DescribeZones", {"RegionId": ctx.region}), "Zones", "Zone")
    check(zones and all(z.get("ZoneId") for z in zones), f"DescribeZones: {zones}")
    resources = items(api.call("slb", "DescribeAvailableResource", {"RegionId": ctx.region}),
                      "AvailableResources", "AvailableResource")
    check(resources and all(r.get("MasterZoneId") for r in resources), f"DescribeAvailableResource: {resources}")


def family_eips(api, ctx):
    """EIPs: allocate, bind to an intranet CLB, describe, unbind, release."""
    eip = api.call("vpc", "AllocateEipAddress", {"RegionId": ctx.region, "Bandwidth": "5",
                                                 "InternetChargeType": "PayByTraffic"})
    allocation = eip["AllocationId"]
    lb = create_lb(api, ctx, "sdk-eip", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    bind = {"RegionId": ctx.region, "AllocationId": allocation, "InstanceId": lb, "InstanceType": "SlbInstance"}
    api.call("vpc", "AssociateEipAddress", bind)
    listed = items(api.call("vpc", "DescribeEipAddresses", {"RegionId": ctx.region, "AllocationId": allocation}),
                   "EipAddresses", "EipAddress")
    got = [(x["IpAddress"], x["Status"], x["InstanceId"]) for x in listed]
    check(got == [(eip["EipAddress"], "InUse", lb)], f"DescribeEipAddresses: {got}")
    expect_error(lambda: api.call("vpc", "ReleaseEipAddress", {"RegionId": ctx.region, "AllocationId": allocation}),
                 EIP_IN_USE, 400)
    api.call("vpc", "UnassociateEipAddress", bind)
    api.call("vpc", "ReleaseEipAddress", {"RegionId": ctx.region, "AllocationId": allocation})
    delete_lb(api, ctx, lb)


def backend(ip, reply):
    """A TCP server on ip:0 that writes `reply` to every connection; returns its port."""
    server = socket.create_server((ip, 0))
    port = server.getsockname()[1]

    def serve():
        while True:
            conn, _ = server.accept()
            with conn:
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return port


def connect_and_read(ip, port, wait=10.0):
    """Connects to ip:port and reads until the server closes. A started listener accepts once
    the data plane has applied it, a moment after the API answered, so a refused connection
    is retried for up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            conn = socket.create_connection((ip, port), timeout=5)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    with conn:
        chunks = []
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def wait_for_health(api, ctx, lb, wanted, wait=20.0):
    """DescribeHealthStatus until every member is `wanted` (the health checks' probes decide,
    `unavailable` until their first verdict) or `wait` seconds have passed; the last states."""
    deadline = time.monotonic() + wait
    while True:
        health = api.call("slb", "DescribeHealthStatus", {"RegionId": ctx.region, "LoadBalancerId": lb})
        members = items(health, "BackendServers", "BackendServer")
        states = [(m["ServerId"], int(m["Port"]), m["ServerHealthStatus"]) for m in members]
        if (states and all(s[2] == wanted for s in states)) or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


def family_traffic(api, ctx):
    """A TCP backend behind a listener answers through the CLB's VIP, health included."""
    reply = b"hello from the sdk backend"
    node_port = backend(ctx.backend_ip, reply)
    put_instance(api, ctx, "i-sdk-traffic", ctx.backend_ip)
    created = create_lb(api, ctx, "sdk-traffic", AddressType="internet")
    lb, vip = created["LoadBalancerId"], created["Address"]
    server = [{"ServerId": "i-sdk-traffic", "Port": node_port, "Weight": 100, "Type": "ecs"}]
    group = api.call("slb", "CreateVServerGroup", {"RegionId": ctx.region, "LoadBalancerId": lb,
                                                    "VServerGroupName": "sdk-traffic",
                                                    "BackendServers": json.dumps(server)})["VServerGroupId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18080}
    api.call("slb", "CreateLoadBalancerTCPListener", {**base, "Bandwidth": -1, "VServerGroupId": group})
    api.call("slb", "StartLoadBalancerListener", base)
    got = connect_and_read(vip, 18080)
    check(got == reply, f"through {vip}:18080 got {got!r}, not the backend's answer")
    states = wait_for_health(api, ctx, lb, "normal")
    check(states == [("i-sdk-traffic", node_port, "normal")], f"DescribeHealthStatus: {states}")
    api.call("slb", "DeleteLoadBalancerListener", base)
    delete_lb(api, ctx, lb)


def family_ipv6(api, ctx):
    """An IPv6 CLB (its VIP from ipv6_vip_pool, ::1 by default) carries TCP traffic."""
    reply = b"hello over ipv6"
    node_port = backend(ctx.backend_ip, reply)
    put_instance(api, ctx, "i-sdk-v6", ctx.backend_ip)
    created = create_lb(api, ctx, "sdk-ipv6", AddressType="internet", AddressIPVersion="ipv6")
    lb, vip = created["LoadBalancerId"], created["Address"]
    attr = api.call("slb", "DescribeLoadBalancerAttribute", {"RegionId": ctx.region, "LoadBalancerId": lb})
    check(attr.get("AddressIPVersion") == "ipv6" and ":" in vip, f"IPv6 CLB: {vip} {attr.get('AddressIPVersion')}")
    server = [{"ServerId": "i-sdk-v6", "Port": node_port, "Weight": 100, "Type": "ecs"}]
    group = api.call("slb", "CreateVServerGroup", {"RegionId": ctx.region, "LoadBalancerId": lb,
                                                    "VServerGroupName": "sdk-ipv6",
                                                    "BackendServers": json.dumps(server)})["VServerGroupId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": ctx.ipv6_port}
    api.call("slb", "CreateLoadBalancerTCPListener", {**base, "Bandwidth": -1, "VServerGroupId": group})
    api.call("slb", "StartLoadBalancerListener", base)
    got = connect_and_read(vip, ctx.ipv6_port)
    check(got == reply, f"through [{vip}]:{ctx.ipv6_port} got {got!r}, not the backend's answer")
    delete_lb(api, ctx, lb)
