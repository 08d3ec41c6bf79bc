"""What every official-SDK test client shares: the adapter contract, the call log, the checks
and the runner of the action families against `slb-ccm local serve`.

One function per family: each drives the full lifecycle of the actions it names through an
`api` adapter (classic_client.py wraps aliyunsdkcore's typed requests, tea_client.py the Tea
SDK's typed models) and asserts on the answers. An adapter offers:

  api.call(product, action, params) -> dict   product "slb", "ecs" or "vpc"; params use the
                                              API's names ("Tag": [{"Key": .., "Value": ..}])
  api.admin(action, params) -> dict           a Local* action (not in any SDK: a generic call)
  api.with_credentials(key_id, secret) -> api the same client signing with other credentials

A service error must surface as the SDK's own exception, which the adapter turns into
ServiceError(code, status, message): that is what "the SDK parsed the error" means here.

The families live in families_clb.py, families_network.py and families_security.py, one
function each; to add one, write `def family_name(api, ctx)` there and list it in families().
The run prints one JSON summary on stdout: every call with its outcome, every family with
pass/fail and the first failure. It exits 1 when any family failed. This module does not
start the server; the Rust test (crates/cli/tests/sdk_clients.rs) does.
"""

import json
import os
import sys
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

    def with_credentials(self, key_id, secret):
        return Recorder(self._api.with_credentials(key_id, secret), self._ctx)

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


def families():
    """Every family, in the order they run. To add one, write it in a families_*.py module and
    list it here."""
    from families_clb import (family_errors, family_listeners, family_load_balancer, family_tags,
                              family_vserver_groups)
    from families_network import (family_ecs_inventory, family_eips, family_ipv6, family_regions,
                                  family_traffic, family_vpc_routes)
    from families_security import (family_access_control_lists, family_certificates,
                                   family_domain_extensions)

    return [
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
    results = []
    for family in families():
        name = family.__name__.removeprefix("family_")
        try:
            family(recorder, ctx)
            results.append({"family": name, "ok": True})
        except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
            detail = f"{type(e).__name__}: {e}"
            if not isinstance(e, (ServiceError, CheckFailed)):
                detail += "\n" + traceback.format_exc()
            results.append({"family": name, "ok": False, "error": detail})
    failed = [f for f in results if not f["ok"]]
    summary = {"client": client_name, "ok": not failed, "families": results, "calls": ctx.calls,
               "actions": sorted({c["action"] for c in ctx.calls})}
    print(json.dumps(summary, indent=1))
    sys.exit(1 if failed else 0)
