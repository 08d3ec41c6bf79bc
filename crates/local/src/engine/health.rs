//! `DescribeHealthStatus` (spec 2 §3): one entry per (listener, backend) pair, over the
//! members of the listener's vServer group, optionally narrowed to one `ListenerPort` (and
//! `ListenerProtocol` when the port carries two protocols: `TooManyListeners` otherwise).
//!
//! The engine does not see the proxy's probe results (the data-plane hook only flows from the
//! engine to the proxy), so health is derived from the stored state alone: `unavailable` when
//! the listener does not forward (stopped, or its CLB not `active`), when health checking is
//! off for it (as the real service), or when an `ecs` member names an instance the local CLB
//! does not know (the data plane cannot resolve it); `normal` for every member the data plane
//! forwards to. `abnormal` is never reported. An unknown port gives an empty list (the safe
//! choice the spec names).

use serde_json::{Map, Value, json};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::params::{ParamReader, Params};
use slb_openapi::types::ListenerProtocol;

use super::render::wrap;
use super::{Ctx, Outcome, State, find_lb};
use crate::model::{Backend, Listener, LoadBalancer};

/// `DescribeHealthStatus`.
pub(crate) fn describe(state: &State, _cx: &Ctx<'_>, params: &Params) -> Result<Outcome, ApiError> {
    let lb = find_lb(state, params)?;
    let listeners = selected(lb, params)?;
    let items: Vec<Value> = listeners
        .into_iter()
        .flat_map(|l| entries(state, lb, l))
        .collect();
    Ok(Outcome::read(Map::new()).with("BackendServers", wrap("BackendServer", items)))
}

/// The listeners asked for: all of them, or those on `ListenerPort` (one, with
/// `ListenerProtocol` when the port is shared).
fn selected<'a>(lb: &'a LoadBalancer, params: &Params) -> Result<Vec<&'a Listener>, ApiError> {
    let r = ParamReader::new(params);
    let port: Option<u16> = r.opt(&["ListenerPort"])?;
    let protocol: Option<ListenerProtocol> = r.opt(&["ListenerProtocol"])?;
    if port == Some(0) {
        return Err(ApiError::invalid_parameter(
            "ListenerPort",
            "must be 1–65535",
        ));
    }
    let hits: Vec<&Listener> = lb
        .listeners
        .iter()
        .filter(|l| port.is_none_or(|p| p == l.port))
        .filter(|l| protocol.is_none_or(|p| p.as_str() == l.protocol))
        .collect();
    if port.is_some() && hits.len() > 1 {
        return Err(codes::TOO_MANY_LISTENERS.error());
    }
    Ok(hits)
}

fn entries(state: &State, lb: &LoadBalancer, l: &Listener) -> Vec<Value> {
    let Some(group) = lb
        .vserver_groups
        .iter()
        .find(|g| g.id == l.vserver_group_id)
    else {
        return Vec::new();
    };
    let forwarding = lb.status == "active" && l.status == "running" && checked(l);
    group
        .backends
        .iter()
        .map(|b| entry(state, lb, l, b, forwarding))
        .collect()
}

/// Health checking is on for the listener (`HealthCheckSwitch` for layer 4, `HealthCheck`
/// for HTTP/HTTPS, defaults filled in).
fn checked(l: &Listener) -> bool {
    let settings = super::effective_settings(l);
    let key = if l.protocol == "tcp" || l.protocol == "udp" {
        "HealthCheckSwitch"
    } else {
        "HealthCheck"
    };
    settings.get(key).is_none_or(|v| v != "off")
}

fn entry(state: &State, lb: &LoadBalancer, l: &Listener, b: &Backend, forwarding: bool) -> Value {
    let (server_ip, resolved) = if b.server_type == "ecs" {
        match state.instances.get(&b.server_id) {
            Some(i) => (i.private_ip_address.clone(), true),
            None => (String::new(), false),
        }
    } else {
        (b.server_ip.clone(), true)
    };
    let status = if forwarding && resolved {
        "normal"
    } else {
        "unavailable"
    };
    json!({
        "ListenerPort": l.port,
        "Protocol": l.protocol,
        "ServerId": b.server_id,
        "ServerIp": server_ip,
        "EniHost": "",
        "Port": b.port,
        "ServerHealthStatus": status,
        "Type": b.server_type,
        "VpcId": lb.vpc_id,
        "Weight": b.weight.to_string(),
        "Description": b.description,
    })
}
