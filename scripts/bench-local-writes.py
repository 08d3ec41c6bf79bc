#!/usr/bin/env python3
"""Per-write latency of `slb-ccm local serve` with its real data plane, at scale.

Starts `slb-ccm local serve` (SLB_CCM_BIN, default the release build), loads SLB_BENCH_LBS
(default 2000) CLBs, each with a running TCP listener (health checks off) over a vServer group
of SLB_BENCH_BACKENDS (default 200) ECS backends, then times SLB_BENCH_WRITES (default 300)
weight changes over signed HTTP, one after another, each on another CLB. Prints p50/p99/max
per write as the client sees it, the snapshots the local CLB built, and how long after the last
answer its data plane held every write (slb_local_dataplane_published_version catching up with
..._committed_version on /metrics). Not a test: nothing is asserted on time.

    cargo build --release && python3 scripts/bench-local-writes.py
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

AK_ID, AK_SECRET = "bench", "bench-secret"


def env(name, default):
    return int(os.environ.get(name, default))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def enc(s):
    return urllib.parse.quote(str(s), safe="~")


class Api:
    """A keep-alive client signing Alibaba RPC calls (HMAC-SHA1, signature version 1.0)."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port))

    def call(self, action, **params):
        p = {
            "Action": action, "Version": "2014-05-15", "Format": "JSON",
            "RegionId": "cn-hangzhou", "AccessKeyId": AK_ID,
            "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **{k: str(v) for k, v in params.items()},
        }
        canon = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(p.items()))
        to_sign = f"POST&{enc('/')}&{enc(canon)}"
        digest = hmac.new(f"{AK_SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        p["Signature"] = base64.b64encode(digest).decode()
        body = urllib.parse.urlencode(p)
        self.conn.request("POST", "/", body,
                          {"Content-Type": "application/x-www-form-urlencoded"})
        resp = self.conn.getresponse()
        answer = json.loads(resp.read())
        if resp.status != 200:
            sys.exit(f"{action}: {resp.status} {answer}")
        return answer


def metric(addr, name):
    conn = http.client.HTTPConnection(*addr)
    conn.request("GET", "/metrics")
    for line in conn.getresponse().read().decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def load_one(api, i, backends):
    lb = api.call("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small",
                  LoadBalancerName=f"lb{i}")["LoadBalancerId"]
    group = api.call("CreateVServerGroup", LoadBalancerId=lb)["VServerGroupId"]
    for start in range(0, backends, 20):
        members = [{"ServerId": f"i-{n}", "Port": "30080", "Weight": "100"}
                   for n in range(start, min(start + 20, backends))]
        api.call("AddVServerGroupBackendServers", VServerGroupId=group,
                 BackendServers=json.dumps(members))
    api.call("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=80,
             Bandwidth=-1, VServerGroupId=group, HealthCheckSwitch="off")
    api.call("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    return group


def main():
    lbs, backends = env("SLB_BENCH_LBS", 2000), env("SLB_BENCH_BACKENDS", 200)
    writes = env("SLB_BENCH_WRITES", 300)
    binary = os.environ.get("SLB_CCM_BIN", os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "slb-ccm"))
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "local.yaml")
    with open(config, "w") as f:
        f.write("quotas: { load_balancers_per_account: 100000 }\ninstances:\n")
        for n in range(backends):
            f.write(f"- {{ InstanceId: i-{n}, PrivateIpAddress: 127.0.{9 + n // 250}.{n % 250 + 1} }}\n")
    metrics = ("127.0.0.1", free_port())
    server = subprocess.Popen(
        [binary, "local", "serve", "--listen", "127.0.0.1:0", "--state", ":memory:",
         "--region", "cn-hangzhou", "--access-key-id", AK_ID, "--access-key-secret", AK_SECRET,
         "--vip-pool", "127.16.0.0/16", "--config", config,
         "--metrics-addr", f"{metrics[0]}:{metrics[1]}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        addr = server.stdout.readline().strip().removeprefix("slb-local listening on http://")
        api = Api(addr)
        started = time.monotonic()
        groups = [load_one(api, i, backends) for i in range(lbs)]
        print(f"loaded {lbs} CLBs x {backends} backends in {time.monotonic() - started:.1f} s")
        snapshots_before = metric(metrics, "slb_local_dataplane_snapshots_total")
        times = []
        measured = time.monotonic()
        for w in range(writes):
            group = groups[(w * 7919) % len(groups)]
            member = [{"ServerId": "i-0", "Port": "30080", "Weight": str(w % 99 + 1)}]
            at = time.monotonic()
            api.call("SetVServerGroupAttribute", VServerGroupId=group,
                     BackendServers=json.dumps(member))
            times.append(time.monotonic() - at)
        answered = time.monotonic()
        committed = metric(metrics, "slb_local_dataplane_committed_version")
        while metric(metrics, "slb_local_dataplane_published_version") < committed:
            time.sleep(0.002)
        lag = time.monotonic() - answered
        snapshots = metric(metrics, "slb_local_dataplane_snapshots_total") - snapshots_before
        times.sort()
        pct = lambda p: times[round((len(times) - 1) * p)] * 1e3
        print(f"{writes} writes at {lbs} x {backends}: p50 {pct(0.5):.2f} ms, "
              f"p99 {pct(0.99):.2f} ms, max {times[-1] * 1e3:.2f} ms, "
              f"{writes / (answered - measured):.0f} writes/s; {snapshots:.0f} snapshots; "
              f"every write handed to the data plane {lag * 1e3:.0f} ms after the last answer")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
