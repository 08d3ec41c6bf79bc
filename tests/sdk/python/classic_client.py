"""The classic Python SDK (aliyunsdkcore's AcsClient, signature V2 HMAC-SHA1) as a client of
`slb-ccm local serve`: every family of sdkcheck.py through the SDK's typed request classes
(aliyunsdkslb, aliyunsdkecs, aliyunsdkvpc), the endpoint overridden to the local server over
http. Local* admin actions go through the SDK's CommonRequest (no SDK has them).

Run by crates/cli/tests/sdk_clients.rs; by hand, see README "SDK test clients".
"""

import importlib
import json

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

import sdkcheck

VERSIONS = {"slb": "v20140515", "ecs": "v20140526", "vpc": "v20160428"}


def request_for(product, action):
    module = importlib.import_module(f"aliyunsdk{product}.request.{VERSIONS[product]}.{action}Request")
    return getattr(module, f"{action}Request")()


def setter(request, name, value):
    """The typed setter of `name`: set_Name, or set_Names for a repeated list."""
    candidates = [f"set_{name}s", f"set_{name}"] if isinstance(value, list) else [f"set_{name}"]
    for candidate in candidates:
        if hasattr(request, candidate):
            return getattr(request, candidate)
    raise sdkcheck.CheckFailed(f"{type(request).__name__} has no setter for {name} (tried {candidates})")


class Classic:
    # aliyunsdkcore compares the server's string to sign (quoted in the SignatureDoesNotMatch
    # message) with its own; when they are equal it reports the secret as wrong itself.
    BAD_SECRET_CODE = "InvalidAccessKeySecret"

    def __init__(self, ctx, key_id=None, secret=None):
        self.ctx = ctx
        self.client = AcsClient(key_id or ctx.key_id, secret or ctx.secret, ctx.region, auto_retry=False)

    def with_credentials(self, key_id, secret):
        return Classic(self.ctx, key_id, secret)

    def _send(self, request):
        request.set_endpoint(self.ctx.endpoint)
        request.set_protocol_type("http")
        try:
            return json.loads(self.client.do_action_with_exception(request))
        except ServerException as e:
            raise sdkcheck.ServiceError(e.get_error_code(), e.get_http_status(), e.get_error_msg()) from e
        except ClientException as e:
            raise sdkcheck.CheckFailed(f"client error {e.get_error_code()}: {e.get_error_msg()}") from e

    def call(self, product, action, params):
        request = request_for(product, action)
        for name, value in params.items():
            if name == "RegionId":
                continue  # the client's region; the SDK adds RegionId itself
            setter(request, name, value)(value)
        return self._send(request)

    def admin(self, action, params):
        request = CommonRequest(version="2014-05-15", action_name=action)
        request.set_method("POST")
        for name, value in params.items():
            request.add_query_param(name, value)
        return self._send(request)


if __name__ == "__main__":
    sdkcheck.run("python-classic", Classic)
