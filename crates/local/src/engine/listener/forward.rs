//! HTTP→HTTPS redirect listeners (spec part 2 §8): an HTTP listener with
//! `ListenerForward=on` redirects to the HTTPS listener on `ForwardPort` of the same CLB, so
//! it needs neither a vServer group nor a backend port. The rules: `ForwardPort` is required
//! with `ListenerForward=on`, must differ from `ListenerPort` and name an existing HTTPS
//! listener (`InvalidParameter`); `ForwardCode`, when given, is a redirect status; an HTTPS
//! listener that an HTTP listener forwards to cannot be deleted (`ListenerForwardExist`).
//!
//! Where the data plane reads them: the listener's `settings` keep `ListenerForward`
//! (`on`/`off`), `ForwardPort` and `ForwardCode` under those wire names, also through
//! `engine::effective_settings` (defaults filled in: `ListenerForward` `off`).
//!
//! Unlike the real service, `SetLoadBalancerHTTPListenerAttribute` also takes
//! `ListenerForward`/`ForwardPort` (checked by the same rules) instead of answering
//! `Operation.NotAllowed`: a client that changes the redirect needs no delete and recreate.

use slb_openapi::error::ApiError;
use slb_openapi::params::Params;

use crate::model::LoadBalancer;

/// The redirect codes `ForwardCode` takes (the real list is not published).
const FORWARD_CODES: &[&str] = &["301", "302", "303", "307", "308"];

fn param<'p>(params: &'p Params, name: &str) -> Option<&'p str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Checks the redirect fields of a create or set of a listener on `port`; true when the
/// call makes an HTTP listener forward (it then needs no vServer group or backend port).
pub(super) fn check(
    lb: &LoadBalancer,
    protocol: &str,
    port: u16,
    params: &Params,
) -> Result<bool, ApiError> {
    if protocol != "http" {
        return Ok(false);
    }
    if let Some(code) = param(params, "ForwardCode")
        && !FORWARD_CODES.contains(&code)
    {
        return Err(ApiError::service(
            "InvalidParameter.ForwardCode",
            400,
            format!(
                "The specified ForwardCode is invalid: {code:?} is not one of {}.",
                FORWARD_CODES.join(", ")
            ),
        ));
    }
    if param(params, "ListenerForward") != Some("on") {
        return Ok(false);
    }
    let target =
        param(params, "ForwardPort").ok_or_else(|| ApiError::missing_parameter("ForwardPort"))?;
    let target: u16 = target.parse().unwrap_or(0);
    let https = lb
        .listeners
        .iter()
        .any(|l| l.protocol == "https" && l.port == target);
    if target == port || !https {
        return Err(ApiError::service(
            "InvalidParameter",
            400,
            format!(
                "The specified ListenerPort or ForwardPort is invalid: ForwardPort {target} \
                 must be another port with an HTTPS listener on {}; create that listener first.",
                lb.id
            ),
        ));
    }
    Ok(true)
}

/// Refuses to delete the HTTPS listener on `port` while an HTTP listener forwards to it.
pub(super) fn check_delete(lb: &LoadBalancer, protocol: &str, port: u16) -> Result<(), ApiError> {
    let forwarded = protocol == "https"
        && lb.listeners.iter().any(|l| {
            l.protocol == "http"
                && l.setting("ListenerForward") == Some("on")
                && l.setting("ForwardPort") == Some(port.to_string().as_str())
        });
    if forwarded {
        return Err(ApiError::service(
            "ListenerForwardExist",
            400,
            "The specified listener is forwarded by the other listener, the ListenerForward \
             relationship should be deleted firstly.",
        ));
    }
    Ok(())
}
