//! What an IPv6 CLB's listeners refuse (spec part 2 §11.1): the `X-Forwarded-For`
//! sub-options (`XForwardedFor_SLBIP`, `_SLBID`, `_proto`, `_SLBPORT`, `_ClientSrcPort`)
//! answer `ListenerForwardNotSupport`, as on the real service. `XForwardedFor` itself is
//! accepted. ACL IP versions are checked with the ACL binding (see `refs`).

use slb_openapi::error::ApiError;

use super::Lookup;
use crate::model::LoadBalancer;

const XFF_OPTIONS: &[&str] = &[
    "XForwardedFor_SLBIP",
    "XForwardedFor_SLBID",
    "XForwardedFor_proto",
    "XForwardedFor_SLBPORT",
    "XForwardedFor_ClientSrcPort",
];

/// Refuses an `X-Forwarded-For` sub-option switched on for a listener of an IPv6 CLB.
pub(super) fn check(lb: &LoadBalancer, get: Lookup<'_>) -> Result<(), ApiError> {
    if lb.address_ip_version != "ipv6" {
        return Ok(());
    }
    match XFF_OPTIONS
        .iter()
        .find(|o| get(o).is_some_and(|v| v == "on"))
    {
        Some(option) => Err(ApiError::service(
            "ListenerForwardNotSupport",
            400,
            format!("X-Forward-For is not supported to a ipv6 instance: {option} must be off."),
        )),
        None => Ok(()),
    }
}
