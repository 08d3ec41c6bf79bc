"""The Tea Python SDK (alibabacloud_tea_openapi with its default signature V3,
ACS3-HMAC-SHA256) as a client of `slb-ccm local serve`: every family of sdkcheck.py through
the generated clients and models of alibabacloud_slb20140515, alibabacloud_ecs20140526 and
alibabacloud_vpc20160428, with `Config(endpoint=..., protocol="http")`. Local* admin actions
go through the same client's generic `call_api` (no SDK has them), signed V3 as well.

Run by crates/cli/tests/sdk_clients.rs; by hand, see README "SDK test clients".
"""

import importlib

from alibabacloud_tea_openapi import exceptions as tea_exceptions
from alibabacloud_tea_openapi import utils_models as open_api
from darabonba.runtime import RuntimeOptions

import sdkcheck

PACKAGES = {"slb": "alibabacloud_slb20140515", "ecs": "alibabacloud_ecs20140526",
            "vpc": "alibabacloud_vpc20160428"}


def method_for(client, action):
    """The generated method of `action` (`CreateLoadBalancerTCPListener` ->
    `create_load_balancer_tcplistener`), found by name without underscores."""
    by_flat_name = {name.replace("_", ""): name for name in dir(client) if not name.startswith("_")}
    name = by_flat_name.get(action.lower())
    if name is None:
        raise sdkcheck.CheckFailed(f"{type(client).__module__} has no method for {action}")
    return getattr(client, name)


class Tea:
    def __init__(self, ctx, key_id=None, secret=None):
        self.ctx = ctx
        self.config = open_api.Config(
            access_key_id=key_id or ctx.key_id, access_key_secret=secret or ctx.secret,
            region_id=ctx.region, endpoint=ctx.endpoint, protocol="http")
        self.clients = {}
        self.runtime = RuntimeOptions(autoretry=False)

    def with_credentials(self, key_id, secret):
        return Tea(self.ctx, key_id, secret)

    def client(self, product):
        if product not in self.clients:
            package = importlib.import_module(f"{PACKAGES[product]}.client")
            self.clients[product] = package.Client(self.config)
        return self.clients[product]

    def _send(self, fn):
        try:
            return fn()
        except tea_exceptions.AlibabaCloudException as e:
            raise sdkcheck.ServiceError(e.code, e.status_code, e.message) from e

    def call(self, product, action, params):
        models = importlib.import_module(f"{PACKAGES[product]}.models")
        request = getattr(models, f"{action}Request")().from_map(params)
        method = method_for(self.client(product), action + "WithOptions")
        response = self._send(lambda: method(request, self.runtime))
        return response.body.to_map()

    def admin(self, action, params):
        spec = open_api.Params(
            action=action, version="2014-05-15", protocol="HTTP", pathname="/", method="POST",
            auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
        request = open_api.OpenApiRequest(query={k: str(v) for k, v in params.items()})
        answer = self._send(lambda: self.client("slb").call_api(spec, request, self.runtime))
        return answer.get("body", {})


if __name__ == "__main__":
    sdkcheck.run("python-tea-v3", Tea)
