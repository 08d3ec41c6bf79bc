"""The action families every official-SDK test client runs against `slb-ccm local serve`.

One function per family: each drives the full lifecycle of the actions it names through an
`api` adapter (classic_client.py wraps aliyunsdkcore's typed requests, tea_client.py the Tea
SDK's typed models) and asserts on the answers. An adapter offers:

  api.call(product, action, params) -> dict   product "slb", "ecs" or "vpc"; params use the
                                              API's names ("Tag": [{"Key": .., "Value": ..}])
  api.admin(action, params) -> dict           a Local* action (not in any SDK: a generic call)
  api.with_secret(secret) -> api              the same client signing with another secret

A service error must surface as the SDK's own exception, which the adapter turns into
ServiceError(code, status, message): that is what "the SDK parsed the error" means here.

To add a family: write `def family_name(api, ctx)` below and append it to FAMILIES.
The run prints one JSON summary on stdout: every call with its outcome, every family with
pass/fail and the first failure. It exits 1 when any family failed. This module does not
start the server; the Rust test (crates/cli/tests/sdk_clients.rs) does.
"""

import json
import os
import socket
import sys
import threading
import traceback


class ServiceError(Exception):
    """A service error as the SDK parsed it."""

    def __init__(self, code, status, message):
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.code = code
        self.status = status
        self.message = message


class CheckFailed(Exception):
    """An answer that is not what the family expected."""


class Context:
    """What every family shares: settings from the environment and the call log."""

    def __init__(self):
        self.endpoint = env("SLB_SDK_ENDPOINT")
        self.key_id = env("SLB_SDK_ACCESS_KEY_ID")
        self.secret = env("SLB_SDK_ACCESS_KEY_SECRET")
        self.region = os.environ.get("SLB_SDK_REGION", "cn-hangzhou")
        self.vswitch = os.environ.get("SLB_SDK_VSWITCH", "vsw-local")
        self.vpc = os.environ.get("SLB_SDK_VPC", "vpc-local")
        self.backend_ip = os.environ.get("SLB_SDK_BACKEND_IP", "127.0.0.61")
        # The IPv6 listener's port: clients sharing the ::1 VIP at once need different ones.
        self.ipv6_port = int(os.environ.get("SLB_SDK_IPV6_PORT", "18600"))
        self.calls = []


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"sdkcheck: set {name} (the Rust test sets it; see README 'SDK test clients')")
    return value


class Recorder:
    """Wraps an adapter so every call is logged with its outcome."""

    def __init__(self, api, ctx):
        self._api = api
        self._ctx = ctx

    def _log(self, action, fn):
        try:
            answer = fn()
        except ServiceError as e:
            self._ctx.calls.append({"action": action, "ok": False, "code": e.code})
            raise
        self._ctx.calls.append({"action": action, "ok": True})
        return answer

    def call(self, product, action, params=None):
        return self._log(action, lambda: self._api.call(product, action, params or {}))

    def admin(self, action, params=None):
        return self._log(action, lambda: self._api.admin(action, params or {}))

    def with_secret(self, secret):
        return Recorder(self._api.with_secret(secret), self._ctx)

    @property
    def bad_secret_code(self):
        """The code this SDK reports for a wrong secret (the server answers SignatureDoesNotMatch)."""
        return getattr(self._api, "BAD_SECRET_CODE", "SignatureDoesNotMatch")


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def expect_error(fn, code, status=None):
    """Runs fn, which must fail with the service error `code` (and HTTP `status`)."""
    try:
        answer = fn()
    except ServiceError as e:
        check(e.code == code, f"expected error {code}, got {e.code}: {e.message}")
        check(status is None or e.status in (None, status), f"{code}: HTTP {e.status}, not {status}")
        return e
    raise CheckFailed(f"expected error {code}, got a success: {answer}")


def items(answer, outer, inner):
    """answer[outer][inner] as a list (the RPC JSON wraps every list once)."""
    value = (answer.get(outer) or {}).get(inner) or []
    return value if isinstance(value, list) else [value]


def put_instance(api, ctx, instance_id, ip):
    api.admin(
        "LocalPutInstances",
        {"Instances": json.dumps([{
            "InstanceId": instance_id, "PrivateIpAddress": ip, "VpcId": ctx.vpc,
            "VSwitchId": ctx.vswitch, "ZoneId": "cn-hangzhou-a", "InstanceName": instance_id,
        }])},
    )


def create_lb(api, ctx, name, **extra):
    params = {"RegionId": ctx.region, "LoadBalancerName": name, "LoadBalancerSpec": "slb.s1.small"}
    params.update(extra)
    answer = api.call("slb", "CreateLoadBalancer", params)
    check(answer.get("LoadBalancerId", "").startswith("lb-"), f"CreateLoadBalancer: {answer}")
    return answer


def delete_lb(api, ctx, lb):
    api.call("slb", "DeleteLoadBalancer", {"RegionId": ctx.region, "LoadBalancerId": lb})


# --- families ---------------------------------------------------------------------------


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


def family_errors(api, ctx):
    """Error answers the SDK must parse as service errors: not found, bad signature, throttling."""
    expect_error(lambda: api.call("slb", "DescribeLoadBalancerAttribute", {
        "RegionId": ctx.region, "LoadBalancerId": "lb-doesnotexist"}), "InvalidLoadBalancerId.NotFound", 404)
    wrong = api.with_secret(ctx.secret + "-wrong")
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


def connect_and_read(ip, port):
    with socket.create_connection((ip, port), timeout=5) as conn:
        chunks = []
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


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
    health = api.call("slb", "DescribeHealthStatus", {"RegionId": ctx.region, "LoadBalancerId": lb})
    members = items(health, "BackendServers", "BackendServer")
    states = [(m["ServerId"], int(m["Port"]), m["ServerHealthStatus"]) for m in members]
    check(states == [("i-sdk-traffic", node_port, "normal")], f"DescribeHealthStatus: {states}")
    api.call("slb", "DeleteLoadBalancerListener", base)
    delete_lb(api, ctx, lb)


def pem_pair(name):
    """A self-signed EC P-256 certificate for `name` and its PKCS#8 key, both PEM."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def upload_server_certificate(api, ctx, name):
    cert, key = pem_pair(name)
    answer = api.call("slb", "UploadServerCertificate", {
        "RegionId": ctx.region, "ServerCertificate": cert, "PrivateKey": key, "ServerCertificateName": name})
    check(answer.get("ServerCertificateId"), f"UploadServerCertificate: {answer}")
    return answer


ACL_IN_USE = "OperationFailed.AclBindedWithVip"  # DeleteAccessControlList while a listener uses it
EIP_IN_USE = "IncorrectEipStatus"  # ReleaseEipAddress while bound


def family_certificates(api, ctx):
    """Server and CA certificates: upload, describe, rename, delete (refused while in use)."""
    uploaded = upload_server_certificate(api, ctx, "sdk.example.com")
    server = uploaded["ServerCertificateId"]
    check(uploaded.get("CommonName") == "sdk.example.com", f"CommonName read from the PEM: {uploaded}")
    api.call("slb", "SetServerCertificateName", {"RegionId": ctx.region, "ServerCertificateId": server,
                                                 "ServerCertificateName": "sdk-renamed"})
    listed = api.call("slb", "DescribeServerCertificates", {"RegionId": ctx.region, "ServerCertificateId": server})
    found = items(listed, "ServerCertificates", "ServerCertificate")
    check([(c["ServerCertificateId"], c["ServerCertificateName"]) for c in found] == [(server, "sdk-renamed")],
          f"DescribeServerCertificates: {found}")
    ca_pem, _ = pem_pair("ca.sdk.example.com")
    ca = api.call("slb", "UploadCACertificate", {"RegionId": ctx.region, "CACertificate": ca_pem,
                                                 "CACertificateName": "sdk-ca"})["CACertificateId"]
    api.call("slb", "SetCACertificateName", {"RegionId": ctx.region, "CACertificateId": ca,
                                             "CACertificateName": "sdk-ca-renamed"})
    cas = items(api.call("slb", "DescribeCACertificates", {"RegionId": ctx.region, "CACertificateId": ca}),
                "CACertificates", "CACertificate")
    check([c["CACertificateName"] for c in cas] == ["sdk-ca-renamed"], f"DescribeCACertificates: {cas}")
    lb = create_lb(api, ctx, "sdk-certs", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    api.call("slb", "CreateLoadBalancerHTTPSListener", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18443, "BackendServerPort": 8080,
        "Bandwidth": -1, "HealthCheck": "off", "StickySession": "off", "ServerCertificateId": server,
        "CACertificateId": ca})
    expect_error(lambda: api.call("slb", "DeleteServerCertificate", {
        "RegionId": ctx.region, "ServerCertificateId": server}), "CertificateAndPrivateKeyIsRefered", 400)
    delete_lb(api, ctx, lb)
    api.call("slb", "DeleteServerCertificate", {"RegionId": ctx.region, "ServerCertificateId": server})
    api.call("slb", "DeleteCACertificate", {"RegionId": ctx.region, "CACertificateId": ca})
    expect_error(lambda: api.call("slb", "CreateLoadBalancerHTTPSListener", {
        "RegionId": ctx.region, "LoadBalancerId": "lb-none", "ListenerPort": 443, "Bandwidth": -1,
        "BackendServerPort": 80, "HealthCheck": "off", "StickySession": "off", "ServerCertificateId": server}),
        "InvalidLoadBalancerId.NotFound", 404)


def family_access_control_lists(api, ctx):
    """ACLs: create, entries, rename, list, attribute, bound to a listener, delete."""
    acl = api.call("slb", "CreateAccessControlList", {"RegionId": ctx.region, "AclName": "sdk-acl"})["AclId"]
    a = {"RegionId": ctx.region, "AclId": acl}
    api.call("slb", "AddAccessControlListEntry", {**a, "AclEntrys": json.dumps([
        {"entry": "10.0.0.0/8", "comment": "private"}, {"entry": "192.168.1.1", "comment": "host"}])})
    api.call("slb", "SetAccessControlListAttribute", {**a, "AclName": "sdk-acl-renamed"})
    attr = api.call("slb", "DescribeAccessControlListAttribute", a)
    entries = sorted(e["AclEntryIP"] for e in items(attr, "AclEntrys", "AclEntry"))
    check(entries == ["10.0.0.0/8", "192.168.1.1/32"], f"ACL entries: {entries}")
    check(attr.get("AclName") == "sdk-acl-renamed", f"ACL name: {attr.get('AclName')}")
    api.call("slb", "RemoveAccessControlListEntry", {**a, "AclEntrys": json.dumps([{"entry": "10.0.0.0/8"}])})
    listed = items(api.call("slb", "DescribeAccessControlLists", {"RegionId": ctx.region, "AclName": "sdk-acl-renamed"}),
                   "Acls", "Acl")
    check([x["AclId"] for x in listed] == [acl], f"DescribeAccessControlLists: {listed}")
    lb = create_lb(api, ctx, "sdk-acl", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18100}
    api.call("slb", "CreateLoadBalancerTCPListener", {**base, "Bandwidth": -1, "BackendServerPort": 80,
                                                      "AclStatus": "on", "AclType": "white", "AclId": acl})
    tcp = api.call("slb", "DescribeLoadBalancerTCPListenerAttribute", base)
    check((tcp.get("AclStatus"), tcp.get("AclType"), tcp.get("AclId")) == ("on", "white", acl), f"listener ACL: {tcp}")
    expect_error(lambda: api.call("slb", "DeleteAccessControlList", a), ACL_IN_USE, 400)
    delete_lb(api, ctx, lb)
    api.call("slb", "DeleteAccessControlList", a)


def family_domain_extensions(api, ctx):
    """Domain extensions of an HTTPS listener: create, list, attribute, change certificate, delete."""
    first = upload_server_certificate(api, ctx, "www.sdk.example.com")["ServerCertificateId"]
    second = upload_server_certificate(api, ctx, "api.sdk.example.com")["ServerCertificateId"]
    lb = create_lb(api, ctx, "sdk-domains", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18444}
    api.call("slb", "CreateLoadBalancerHTTPSListener", {**base, "BackendServerPort": 8080, "Bandwidth": -1,
                                                        "HealthCheck": "off", "StickySession": "off",
                                                        "ServerCertificateId": first})
    ext = api.call("slb", "CreateDomainExtension", {**base, "Domain": "api.sdk.example.com",
                                                     "ServerCertificateId": first})["DomainExtensionId"]
    e = {"RegionId": ctx.region, "DomainExtensionId": ext}
    api.call("slb", "SetDomainExtensionAttribute", {**e, "ServerCertificateId": second})
    attr = api.call("slb", "DescribeDomainExtensionAttribute", e)
    check((attr.get("Domain"), attr.get("ServerCertificateId")) == ("api.sdk.example.com", second),
          f"DescribeDomainExtensionAttribute: {attr}")
    listed = items(api.call("slb", "DescribeDomainExtensions", base), "DomainExtensions", "DomainExtension")
    check([x["DomainExtensionId"] for x in listed] == [ext], f"DescribeDomainExtensions: {listed}")
    api.call("slb", "DeleteDomainExtension", e)
    check(items(api.call("slb", "DescribeDomainExtensions", base), "DomainExtensions", "DomainExtension") == [],
          "a deleted domain extension is still listed")
    delete_lb(api, ctx, lb)
    for cert in (first, second):
        api.call("slb", "DeleteServerCertificate", {"RegionId": ctx.region, "ServerCertificateId": cert})


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


FAMILIES = [
    family_ecs_inventory,
    family_load_balancer,
    family_listeners,
    family_vserver_groups,
    family_tags,
    family_vpc_routes,
    family_certificates,
    family_access_control_lists,
    family_domain_extensions,
    family_regions,
    family_eips,
    family_errors,
    family_traffic,
    family_ipv6,
]


def run(client_name, api):
    """Runs every family, prints the JSON summary, exits 1 when any failed."""
    ctx = Context()
    recorder = Recorder(api(ctx), ctx)
    families = []
    for family in FAMILIES:
        name = family.__name__.removeprefix("family_")
        try:
            family(recorder, ctx)
            families.append({"family": name, "ok": True})
        except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
            detail = f"{type(e).__name__}: {e}"
            if not isinstance(e, (ServiceError, CheckFailed)):
                detail += "\n" + traceback.format_exc()
            families.append({"family": name, "ok": False, "error": detail})
    failed = [f for f in families if not f["ok"]]
    summary = {"client": client_name, "ok": not failed, "families": families, "calls": ctx.calls,
               "actions": sorted({c["action"] for c in ctx.calls})}
    print(json.dumps(summary, indent=1))
    sys.exit(1 if failed else 0)
