"""CLB action families: load balancers, listeners, vServer groups, tags, and the error
answers (not found, wrong secret, throttling). One function per family; sdkcheck.py runs them.
"""

import json

from families_security import upload_server_certificate
from sdkcheck import check, create_lb, delete_lb, expect_error, items, put_instance


def family_load_balancer(api, ctx):
    """A CLB's life: create, list, attribute, name, protections, specs, status, delete."""
    created = create_lb(api, ctx, "sdk-lb", AddressType="intranet", VSwitchId=ctx.vswitch)
    lb = created["LoadBalancerId"]
    check(created.get("Address"), f"CreateLoadBalancer has no Address: {created}")
    listed = api.call("slb", "DescribeLoadBalancers", {"RegionId": ctx.region, "LoadBalancerId": lb})
    check([x["LoadBalancerId"] for x in items(listed, "LoadBalancers", "LoadBalancer")] == [lb],
          f"DescribeLoadBalancers: {listed}")
    api.call("slb", "SetLoadBalancerName", {"RegionId": ctx.region, "LoadBalancerId": lb,
                                            "LoadBalancerName": "sdk-lb-renamed"})
    api.call("slb", "SetLoadBalancerDeleteProtection", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "DeleteProtection": "on"})
    expect_error(lambda: delete_lb(api, ctx, lb), "OperationDenied.DeleteProtectionIsOn")
    api.call("slb", "SetLoadBalancerDeleteProtection", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "DeleteProtection": "off"})
    api.call("slb", "SetLoadBalancerModificationProtection", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "ModificationProtectionStatus": "ConsoleProtection",
        "ModificationProtectionReason": "sdk"})
    api.call("slb", "ModifyLoadBalancerInstanceSpec", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "LoadBalancerSpec": "slb.s2.small"})
    api.call("slb", "ModifyLoadBalancerInternetSpec", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "InternetChargeType": "paybytraffic"})
    api.call("slb", "SetLoadBalancerStatus", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "LoadBalancerStatus": "inactive"})
    attr = api.call("slb", "DescribeLoadBalancerAttribute", {"RegionId": ctx.region, "LoadBalancerId": lb})
    got = (attr.get("LoadBalancerName"), attr.get("LoadBalancerSpec"), attr.get("LoadBalancerStatus"),
           attr.get("ModificationProtectionStatus"), attr.get("DeleteProtection"))
    want = ("sdk-lb-renamed", "slb.s2.small", "inactive", "ConsoleProtection", "off")
    check(got == want, f"DescribeLoadBalancerAttribute: {got} != {want}")
    api.call("slb", "SetLoadBalancerModificationProtection", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "ModificationProtectionStatus": "NonProtection"})
    lock_and_charge(api, ctx, lb)
    delete_lb(api, ctx, lb)
    expect_error(lambda: api.call("slb", "DescribeLoadBalancerAttribute", {
        "RegionId": ctx.region, "LoadBalancerId": lb}), "InvalidLoadBalancerId.NotFound", 404)


VSERVER_GROUP_NOT_FOUND = "InvalidParameter"  # 404, "The specified VServerGroupId does not exist."

def lock_and_charge(api, ctx, lb):
    """A locked CLB refuses writes; PayByCLCU refuses spec changes."""
    base = {"RegionId": ctx.region, "LoadBalancerId": lb}
    api.admin("LocalSetLoadBalancerStatus", {"LoadBalancerId": lb, "LoadBalancerStatus": "locked"})
    expect_error(lambda: api.call("slb", "SetLoadBalancerName", {**base, "LoadBalancerName": "locked"}),
                 "ActionNotAllowed", 400)
    api.admin("LocalSetLoadBalancerStatus", {"LoadBalancerId": lb, "LoadBalancerStatus": "active"})
    api.call("slb", "ModifyLoadBalancerInstanceChargeType", {**base, "InstanceChargeType": "PayByCLCU"})
    attr = api.call("slb", "DescribeLoadBalancerAttribute", base)
    check(attr.get("InstanceChargeType") == "PayByCLCU", f"InstanceChargeType: {attr.get('InstanceChargeType')}")
    expect_error(lambda: api.call("slb", "ModifyLoadBalancerInstanceSpec", {
        **base, "LoadBalancerSpec": "slb.s3.small"}), "OperationDenied.PayByCLCU", 400)


LISTENERS = [
    ("TCP", 18001, {"Bandwidth": -1}, {"PersistenceTimeout": 30}, "PersistenceTimeout", 30),
    ("UDP", 18002, {"Bandwidth": -1}, {"HealthCheckConnectTimeout": 7}, "HealthCheckConnectTimeout", 7),
    ("HTTP", 18003, {"Bandwidth": -1, "HealthCheck": "off", "StickySession": "off"},
     {"IdleTimeout": 20}, "IdleTimeout", 20),
    ("HTTPS", 18004, {"Bandwidth": -1, "HealthCheck": "off", "StickySession": "off"},
     {"RequestTimeout": 90}, "RequestTimeout", 90),
]
REDIRECT_PORT = 18005  # an HTTP listener redirecting to the HTTPS one (ListenerForward)


def family_listeners(api, ctx):
    """The four listener kinds: create, set, describe, start, stop, list, delete."""
    cert = upload_server_certificate(api, ctx, "listeners.sdk.example.com")["ServerCertificateId"]
    lb = create_lb(api, ctx, "sdk-listeners", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb}
    for kind, port, create, change, field, value in LISTENERS:
        if kind == "HTTPS":
            create = {**create, "ServerCertificateId": cert}
        api.call("slb", f"CreateLoadBalancer{kind}Listener",
                 {**base, "ListenerPort": port, "BackendServerPort": 8080, **create})
        api.call("slb", f"SetLoadBalancer{kind}ListenerAttribute", {**base, "ListenerPort": port, **change})
        attr = api.call("slb", f"DescribeLoadBalancer{kind}ListenerAttribute", {**base, "ListenerPort": port})
        check(int(attr.get(field, -1)) == value, f"{kind} {field}: {attr.get(field)} != {value}")
        api.call("slb", "StartLoadBalancerListener", {**base, "ListenerPort": port})
    redirect = {**base, "ListenerPort": REDIRECT_PORT}
    api.call("slb", "CreateLoadBalancerHTTPListener", {**redirect, "Bandwidth": -1, "HealthCheck": "off",
                                                       "StickySession": "off", "ListenerForward": "on",
                                                       "ForwardPort": 18004})
    forward = api.call("slb", "DescribeLoadBalancerHTTPListenerAttribute", redirect)
    check((forward.get("ListenerForward"), int(forward.get("ForwardPort", 0))) == ("on", 18004),
          f"redirect listener: {forward}")
    expect_error(lambda: api.call("slb", "DeleteLoadBalancerListener", {**base, "ListenerPort": 18004}),
                 "ListenerForwardExist", 400)
    listed = api.call("slb", "DescribeLoadBalancerListeners", {"RegionId": ctx.region, "LoadBalancerId": [lb]})
    ports = sorted((x["ListenerPort"], x["ListenerProtocol"], x["Status"]) for x in listed.get("Listeners", []))
    want = sorted([(p, k.lower(), "running") for k, p, *_ in LISTENERS] + [(REDIRECT_PORT, "http", "stopped")])
    check(ports == want, f"DescribeLoadBalancerListeners: {ports} != {want}")
    api.call("slb", "DeleteLoadBalancerListener", redirect)
    for kind, port, *_ in LISTENERS:
        api.call("slb", "StopLoadBalancerListener", {**base, "ListenerPort": port})
        api.call("slb", "DeleteLoadBalancerListener",
                 {**base, "ListenerPort": port, "ListenerProtocol": kind.lower()})
    expect_error(lambda: api.call("slb", "DescribeLoadBalancerTCPListenerAttribute",
                                  {**base, "ListenerPort": 18001}), "ListenerNotFound")
    delete_lb(api, ctx, lb)
    api.call("slb", "DeleteServerCertificate", {"RegionId": ctx.region, "ServerCertificateId": cert})


def family_vserver_groups(api, ctx):
    """vServer groups and their backends: create, list, attribute, add, modify, set, remove, delete."""
    put_instance(api, ctx, "i-sdk-g1", "127.0.0.81")
    put_instance(api, ctx, "i-sdk-g2", "127.0.0.82")
    lb = create_lb(api, ctx, "sdk-groups", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    one = [{"ServerId": "i-sdk-g1", "Port": 30080, "Weight": 100, "Type": "ecs"}]
    group = api.call("slb", "CreateVServerGroup", {"RegionId": ctx.region, "LoadBalancerId": lb,
                                                    "VServerGroupName": "sdk-group",
                                                    "BackendServers": json.dumps(one)})["VServerGroupId"]
    g = {"RegionId": ctx.region, "VServerGroupId": group}
    two = [{"ServerId": "i-sdk-g2", "Port": 30080, "Weight": 50, "Type": "ecs"}]
    api.call("slb", "AddVServerGroupBackendServers", {**g, "BackendServers": json.dumps(two)})
    api.call("slb", "ModifyVServerGroupBackendServers", {
        **g, "OldBackendServers": json.dumps(two),
        "NewBackendServers": json.dumps([{**two[0], "Weight": 20}])})
    api.call("slb", "SetVServerGroupAttribute", {**g, "VServerGroupName": "sdk-group-renamed"})
    attr = api.call("slb", "DescribeVServerGroupAttribute", g)
    weights = sorted((b["ServerId"], int(b["Weight"])) for b in items(attr, "BackendServers", "BackendServer"))
    check(weights == [("i-sdk-g1", 100), ("i-sdk-g2", 20)], f"backends: {weights}")
    check(attr.get("VServerGroupName") == "sdk-group-renamed", f"group name: {attr}")
    api.call("slb", "RemoveVServerGroupBackendServers", {**g, "BackendServers": json.dumps(one)})
    groups = api.call("slb", "DescribeVServerGroups", {"RegionId": ctx.region, "LoadBalancerId": lb})
    listed = items(groups, "VServerGroups", "VServerGroup")
    check([x["VServerGroupId"] for x in listed] == [group], f"DescribeVServerGroups: {groups}")
    api.call("slb", "DeleteVServerGroup", g)
    expect_error(lambda: api.call("slb", "DescribeVServerGroupAttribute", g), VSERVER_GROUP_NOT_FOUND, 404)
    delete_lb(api, ctx, lb)


def family_tags(api, ctx):
    """Tags both ways: TagResources/ListTagResources/UntagResources and AddTags/DescribeTags/RemoveTags."""
    lb = create_lb(api, ctx, "sdk-tags", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    res = {"RegionId": ctx.region, "ResourceType": "instance", "ResourceId": [lb]}
    api.call("slb", "TagResources", {**res, "Tag": [{"Key": "team", "Value": "sdk"},
                                                     {"Key": "env", "Value": "test"}]})
    listed = api.call("slb", "ListTagResources", res)
    pairs = sorted((t["TagKey"], t["TagValue"]) for t in items(listed, "TagResources", "TagResource"))
    check(pairs == [("env", "test"), ("team", "sdk")], f"ListTagResources: {pairs}")
    api.call("slb", "UntagResources", {**res, "TagKey": ["env"]})
    base = {"RegionId": ctx.region, "LoadBalancerId": lb}
    api.call("slb", "AddTags", {**base, "Tags": json.dumps([{"TagKey": "owner", "TagValue": "ops"}])})
    described = api.call("slb", "DescribeTags", base)
    pairs = sorted((t["TagKey"], t["TagValue"]) for t in items(described, "TagSets", "TagSet"))
    check(pairs == [("owner", "ops"), ("team", "sdk")], f"DescribeTags: {pairs}")
    api.call("slb", "RemoveTags", {**base, "Tags": json.dumps([{"TagKey": "owner", "TagValue": "ops"}])})
    listed = api.call("slb", "ListTagResources", res)
    pairs = sorted((t["TagKey"], t["TagValue"]) for t in items(listed, "TagResources", "TagResource"))
    check(pairs == [("team", "sdk")], f"after RemoveTags: {pairs}")
    delete_lb(api, ctx, lb)


def family_errors(api, ctx):
    """Error answers the SDK must parse as service errors: not found, an unknown key, a bad
    signature, throttling."""
    expect_error(lambda: api.call("slb", "DescribeLoadBalancerAttribute", {
        "RegionId": ctx.region, "LoadBalancerId": "lb-doesnotexist"}), "InvalidLoadBalancerId.NotFound", 404)
    unknown = api.with_credentials("nobody", ctx.secret)
    expect_error(lambda: unknown.call("slb", "DescribeLoadBalancers", {"RegionId": ctx.region}),
                 "InvalidAccessKeyId.NotFound", 404)
    wrong = api.with_credentials(ctx.key_id, ctx.secret + "-wrong")
    expect_error(lambda: wrong.call("slb", "DescribeLoadBalancers", {"RegionId": ctx.region}),
                 api.bad_secret_code, 400)
    api.admin("LocalSetFaults", {"Faults": json.dumps({"throttle": {"DescribeLoadBalancers": 1.0}})})
    faults = api.admin("LocalDescribeFaults")
    check(faults.get("Faults", {}).get("throttle") == {"DescribeLoadBalancers": 1.0}, f"LocalDescribeFaults: {faults}")
    try:
        expect_error(lambda: api.call("slb", "DescribeLoadBalancers", {"RegionId": ctx.region}),
                     "Throttling.User", 400)
    finally:
        api.admin("LocalSetFaults", {"Faults": json.dumps({})})
    api.call("slb", "DescribeLoadBalancers", {"RegionId": ctx.region})
