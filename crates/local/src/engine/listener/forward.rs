//! HTTP→HTTPS redirect listeners (spec part 2 §8): an HTTP listener with
//! `ListenerForward=on` redirects to the HTTPS listener on `ForwardPort` of the same CLB, so
//! it needs neither a vServer group nor a backend port. The rules: `ForwardPort` is required
//! with `ListenerForward=on`, must differ from `ListenerPort` and name an existing HTTPS
//! listener (`InvalidParameter`); `ForwardCode`, when given, is a redirect status. (That an
//! HTTPS listener an HTTP listener forwards to cannot be deleted, `ListenerForwardExist`, is
//! a state rule of slb-clb-state's `delete_listener`.)
//!
//! As on the real service, redirect settings are creation-only:
//! `SetLoadBalancerHTTPListenerAttribute` refuses `ListenerForward` and `ForwardPort` by name
//! (`InvalidParameter`; the fix is to delete and recreate the listener), and any Set on a
//! listener that forwards answers `Operation.NotAllowed`. `ForwardCode` is taken on Create
//! and, on a listener that does not forward, on Set ([GO] lists it on both).
//!
//! Where the data plane reads them: the listener's `settings` keep `ListenerForward`
//! (`on`/`off`), `ForwardPort` and `ForwardCode` under those wire names, also through
//! `engine::effective_settings` (defaults filled in: `ListenerForward` `off`).

use slb_openapi::error::ApiError;
use slb_openapi::params::Params;

use super::Lookup;
use crate::model::{Listener, LoadBalancer};

/// The redirect codes `ForwardCode` takes (the real list is not published).
const FORWARD_CODES: &[&str] = &["301", "302", "303", "307", "308"];

/// The parameters only `CreateLoadBalancerHTTPListener` takes.
const CREATE_ONLY: &[&str] = &["ListenerForward", "ForwardPort"];

/// `ForwardCode`, when given, must be one of [`FORWARD_CODES`].
fn check_code(get: Lookup<'_>) -> Result<(), ApiError> {
    match get("ForwardCode") {
        Some(code) if !FORWARD_CODES.contains(&code.as_str()) => Err(ApiError::service(
            "InvalidParameter.ForwardCode",
            400,
            format!(
                "The specified ForwardCode is invalid: {code:?} is not one of {}.",
                FORWARD_CODES.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks the redirect fields of a create of a listener on `port`; true when the call makes
/// an HTTP listener forward (it then needs no vServer group or backend port).
pub(super) fn check(
    lb: &LoadBalancer,
    protocol: &str,
    port: u16,
    get: Lookup<'_>,
) -> Result<bool, ApiError> {
    if protocol != "http" {
        return Ok(false);
    }
    check_code(get)?;
    if get("ListenerForward").as_deref() != Some("on") {
        return Ok(false);
    }
    let target = get("ForwardPort").ok_or_else(|| ApiError::missing_parameter("ForwardPort"))?;
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

/// `SetLoadBalancerHTTPListenerAttribute` refuses the redirect settings by name, saying to
/// recreate the listener (they are set at creation; the typed request has no such fields,
/// so this runs on the parameter map, before the strict parse).
///
/// # Errors
/// `InvalidParameter` naming the first redirect setting present.
pub(crate) fn refuse_create_only(params: &Params) -> Result<(), ApiError> {
    match CREATE_ONLY.iter().find(|n| params.contains_key(**n)) {
        Some(name) => Err(ApiError::invalid_parameter(
            name,
            "redirect settings are set when the listener is created; \
             SetLoadBalancerHTTPListenerAttribute does not take ListenerForward or ForwardPort. \
             Delete the listener and create it again with the new redirect settings.",
        )),
        None => Ok(()),
    }
}

/// Checks a `SetLoadBalancerHTTPListenerAttribute` of `listener`: a listener that forwards takes no Set at all
/// (`Operation.NotAllowed`), and `ForwardCode` must be a redirect status.
pub(super) fn check_set(listener: &Listener, get: Lookup<'_>) -> Result<(), ApiError> {
    if listener.protocol != "http" {
        return Ok(());
    }
    if listener.setting("ListenerForward") == Some("on") {
        return Err(ApiError::service(
            "Operation.NotAllowed",
            400,
            format!(
                "Operation Denied. The HTTP listener does not support this action. \
                 (Listener {} redirects to port {} with ListenerForward=on; to change it, \
                 delete it and create it again.)",
                listener.port,
                listener.setting("ForwardPort").unwrap_or("?")
            ),
        ));
    }
    check_code(get)
}
