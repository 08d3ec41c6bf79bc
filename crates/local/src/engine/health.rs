//! `DescribeHealthStatus` (spec 2 §3): one entry per (listener, backend) pair, over the
//! members of the listener's vServer group, optionally narrowed to one `ListenerPort` (and
//! `ListenerProtocol` when the port carries two protocols: `TooManyListeners` otherwise).
//!
//! The stored state decides `unavailable`: when the listener does not forward (stopped, or
//! its CLB not `active`), when health checking is off for it (as the real service), or when
//! an `ecs` member names an instance the local CLB does not know (the data plane cannot
//! resolve it). Otherwise the data plane's health checks decide, read through its
//! [`HealthSource`]: `normal` while the backend passes them, `abnormal` once it has failed
//! `UnhealthyThreshold` probes in a row (until `HealthyThreshold` successes bring it back),
//! and `unavailable` while no probe has completed for it yet (spec §3: "the check has not
//! completed"), or the data plane does not run the listener (its VIP could not be bound,
//! or the change is not applied yet).
//!
//! Without a health source (the no-op or recording data plane of tests, or an engine used in
//! process without the proxy) nothing probes, so every member the data plane would forward
//! to is `normal` and `abnormal` is never reported. An unknown port gives an empty list
//! (the safe choice the spec names).

use serde_json::{Map, Value, json};
use slb_openapi::clb::DescribeHealthStatusRequest;
use slb_openapi::error::{ApiError, codes};

use std::net::{IpAddr, SocketAddr};

use super::render::wrap;
use super::{Ctx, Outcome, State, lb_by_id};
use crate::dataplane::{HealthSource, ProbeTarget, ProbedHealth};
use crate::model::{Backend, Listener, LoadBalancer};

/// `DescribeHealthStatus`.
pub(crate) fn describe(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeHealthStatusRequest,
) -> Result<Outcome, ApiError> {
    let lb = lb_by_id(state, &req.load_balancer_id)?;
    let listeners = selected(lb, req)?;
    let items: Vec<Value> = listeners
        .into_iter()
        .flat_map(|l| entries(state, lb, l, cx.health))
        .collect();
    Ok(Outcome::read(Map::new()).with("BackendServers", wrap("BackendServer", items)))
}

/// The listeners asked for: all of them, or those on `ListenerPort` (one, with
/// `ListenerProtocol` when the port is shared).
fn selected<'a>(
    lb: &'a LoadBalancer,
    req: &DescribeHealthStatusRequest,
) -> Result<Vec<&'a Listener>, ApiError> {
    let (port, protocol) = (req.listener_port, req.listener_protocol);
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

fn entries(
    state: &State,
    lb: &LoadBalancer,
    l: &Listener,
    health: Option<&dyn HealthSource>,
) -> Vec<Value> {
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
        .map(|b| entry(state, lb, l, b, forwarding, health))
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

/// `ServerHealthStatus` from what the stored state allows and what the probes say:
/// `stored_ok` is false when the listener does not forward, is not health-checked, or the
/// member cannot be resolved; `probed` is `None` without a data plane that probes.
fn server_health_status(stored_ok: bool, probed: Option<ProbedHealth>) -> &'static str {
    if !stored_ok {
        return "unavailable";
    }
    match probed {
        None | Some(ProbedHealth::Healthy) => "normal",
        Some(ProbedHealth::Unhealthy) => "abnormal",
        Some(ProbedHealth::Undecided) => "unavailable",
    }
}

/// The member's IP: an `ecs` member's instance address, `None` when the instance is unknown.
fn member_ip(state: &State, b: &Backend) -> Option<String> {
    if b.server_type == "ecs" {
        state
            .instances
            .get(&b.server_id)
            .map(|i| i.private_ip_address.clone())
    } else {
        Some(b.server_ip.clone())
    }
}

/// Asks the data plane about the member at `ip`; an address that does not parse is not in
/// the data plane (its snapshot leaves such members out), so it is undecided.
fn probe(
    h: &dyn HealthSource,
    lb: &LoadBalancer,
    l: &Listener,
    b: &Backend,
    ip: &str,
) -> ProbedHealth {
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return ProbedHealth::Undecided;
    };
    h.probed_health(&ProbeTarget {
        load_balancer_id: &lb.id,
        protocol: &l.protocol,
        port: l.port,
        server_id: &b.server_id,
        addr: SocketAddr::new(ip, b.port),
    })
}

fn entry(
    state: &State,
    lb: &LoadBalancer,
    l: &Listener,
    b: &Backend,
    forwarding: bool,
    health: Option<&dyn HealthSource>,
) -> Value {
    let ip = member_ip(state, b);
    let stored_ok = forwarding && ip.is_some();
    let probed = match (&ip, health) {
        (Some(ip), Some(h)) if stored_ok => Some(probe(h, lb, l, b, ip)),
        _ => None,
    };
    let status = server_health_status(stored_ok, probed);
    let server_ip = ip.unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_health_status_table() {
        use ProbedHealth::{Healthy, Undecided, Unhealthy};
        let table = [
            (false, None, "unavailable"),
            (false, Some(Healthy), "unavailable"),
            (false, Some(Unhealthy), "unavailable"),
            (true, None, "normal"),
            (true, Some(Healthy), "normal"),
            (true, Some(Unhealthy), "abnormal"),
            (true, Some(Undecided), "unavailable"),
        ];
        for (stored_ok, probed, want) in table {
            assert_eq!(
                server_health_status(stored_ok, probed),
                want,
                "stored_ok={stored_ok} probed={probed:?}"
            );
        }
    }
}
