//! The hook to the data plane: once at start-up, and then off the request path after
//! committed changes (the `publisher` thread: one snapshot per short gap however many writes
//! came, each built from the per-LB lists of `forwarding`, rebuilding only the load balancers
//! that changed), the engine pushes the full set of forwarding listeners through
//! [`DataPlane::apply`]. A listener forwards when it is `running` on an `active` load
//! balancer; its backends are resolved to `IP:port` (ecs → the instance's private IP on the
//! backend port, eni/eci → `ServerIp:port`) with their weights. HTTP and HTTPS listeners also carry their L7
//! settings, and every listener its ACL and (HTTPS) certificates as PEM.
//!
//! slb-local does not depend on the proxy crate: the binary adapts a [`DataPlane`] to it.
//! Snapshots are full (never deltas), so an adapter can diff or simply replace; one that
//! forwards nothing declines them ([`DataPlane::wants_snapshots`]), and none is built. The way
//! back, the probes' verdicts for `DescribeHealthStatus`, is the [`HealthSource`] a data
//! plane may offer (`health`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use crate::engine::{ListenerSecurity, State};
use crate::model::{Listener, LoadBalancer};

pub(crate) mod forwarding;
mod health;
pub(crate) mod publisher;

pub use health::{HealthSource, ProbeTarget, ProbedHealth};
pub use publisher::{MIN_GAP, PublishMetrics};

/// Receives the full forwarding configuration.
///
/// # Caveats
/// [`DataPlane::apply`] is called on the engine's publisher thread (once on the caller's, in
/// `Engine::open`), without the engine's lock; the next snapshot waits for it, so it should be
/// quick (publishing on a `tokio::sync::watch` channel is the intended shape) and must not
/// wait for the engine's publisher (`Engine::wait_for_dataplane`).
pub trait DataPlane: Send + Sync {
    /// Replaces the forwarding configuration with `snapshot`.
    fn apply(&self, snapshot: LocalDataPlaneSnapshot);

    /// Whether this data plane uses snapshots at all (the default). The engine builds none
    /// for one that answers `false`, keeps no per-LB lists and starts no publisher thread: a
    /// snapshot walks every listener and backend, a cost that grows with the whole state.
    fn wants_snapshots(&self) -> bool {
        true
    }

    /// Where the engine reads the health checks' verdicts; `None` (the default) for a data
    /// plane that runs no probes, in which case health is derived from the stored state.
    fn health_source(&self) -> Option<&dyn HealthSource> {
        None
    }
}

/// Every forwarding listener.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalDataPlaneSnapshot {
    /// Listeners ordered by (load balancer id, protocol, port).
    pub listeners: Vec<DataPlaneListener>,
}

/// One running listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPlaneListener {
    /// The owning load balancer.
    pub load_balancer_id: String,
    /// The VIP to listen on.
    pub vip: IpAddr,
    /// The load balancer's `AddressType`: `internet` or `intranet` (the real CLB refuses
    /// hairpin traffic on intranet layer-4 listeners).
    pub address_type: String,
    /// The listener port.
    pub port: u16,
    /// `tcp`, `udp`, `http` or `https` (the local proxy speaks HTTP on `http` listeners and
    /// forwards `https` as TCP).
    pub protocol: String,
    /// `wrr`, `rr`, `wlc`, `sch` or `tch`.
    pub scheduler: String,
    /// Health checking.
    pub health_check: HealthCheck,
    /// Connection draining timeout in seconds when draining is on.
    pub connection_drain_timeout_s: Option<u32>,
    /// Send a PROXY protocol v2 header to backends.
    pub proxy_protocol_v2: bool,
    /// Session persistence timeout in seconds (0 = off).
    pub persistence_timeout_s: u32,
    /// Idle timeout of established TCP connections in seconds.
    pub established_timeout_s: u32,
    /// The backends.
    pub backends: Vec<DataPlaneBackend>,
    /// HTTP settings; `None` unless the protocol is `http` or `https`.
    pub http: Option<HttpSettings>,
    /// The ACL (any protocol) and, for HTTPS, the certificates and cipher policy.
    pub security: ListenerSecurity,
}

/// The settings of an HTTP or HTTPS listener, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpSettings {
    /// `XForwardedFor_SLBIP`: send the VIP as `SLB-IP`.
    pub slb_ip: bool,
    /// `XForwardedFor_SLBID`: send the load balancer id as `SLB-ID`.
    pub slb_id: bool,
    /// `XForwardedFor_proto`: send `X-Forwarded-Proto`.
    pub proto: bool,
    /// `XForwardedFor_SLBPORT`: send `X-Forwarded-Port`.
    pub slb_port: bool,
    /// `XForwardedFor_ClientSrcPort`: send `X-Forwarded-Client-srcport`.
    pub client_src_port: bool,
    /// `StickySession=on`: `insert` or `server` (`StickySessionType`); `None` when off.
    pub sticky_session_type: Option<String>,
    /// `CookieTimeout` in seconds (insert sessions).
    pub cookie_timeout_s: u32,
    /// `Cookie`: the backend's cookie name (server sessions).
    pub cookie: String,
    /// `IdleTimeout` in seconds.
    pub idle_timeout_s: u32,
    /// `RequestTimeout` in seconds.
    pub request_timeout_s: u32,
    /// `ListenerForward=on`: the port requests are redirected to (`ForwardPort`).
    pub forward_port: Option<u16>,
    /// `ForwardCode`: the redirect's status (0 when unset: 301).
    pub forward_code: u16,
    /// HTTPS: `EnableHttp2` (default on): offer HTTP/2 by ALPN.
    pub http2: bool,
    /// `Gzip` (default on): compress text responses for clients that accept gzip.
    pub gzip: bool,
}

/// Health-check settings of a listener, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Health checks are on.
    pub enabled: bool,
    /// `tcp` or `http` (UDP listeners: `udp`).
    pub check_type: String,
    /// The port to probe; `None` means each backend's own port.
    pub connect_port: Option<u16>,
    /// Probe timeout in seconds.
    pub timeout_s: u32,
    /// Seconds between probes.
    pub interval_s: u32,
    /// Successes before a backend is healthy.
    pub healthy_threshold: u32,
    /// Failures before a backend is unhealthy.
    pub unhealthy_threshold: u32,
    /// HTTP probe path (empty for TCP checks).
    pub uri: String,
    /// HTTP probe Host header.
    pub domain: String,
    /// Accepted HTTP codes, e.g. `http_2xx,http_3xx`.
    pub http_codes: String,
    /// HTTP probe method: `head`, `get`, or empty (the CLB default, `head`).
    pub method: String,
    /// HTTP probe version: `http1.0`, `http1.1`, or empty (`http1.0`).
    pub http_version: String,
    /// UDP probe request payload.
    pub udp_request: String,
    /// UDP expected response payload.
    pub udp_expect: String,
}

/// One resolved backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPlaneBackend {
    /// `ServerId` (for logs and metrics).
    pub server_id: String,
    /// Where to connect.
    pub addr: SocketAddr,
    /// Weight 0–100 (0 takes no new connections).
    pub weight: u32,
}

/// A data plane that ignores every snapshot.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopDataPlane;

impl DataPlane for NoopDataPlane {
    fn apply(&self, _snapshot: LocalDataPlaneSnapshot) {}

    fn wants_snapshots(&self) -> bool {
        false
    }
}

/// A data plane that records every snapshot (tests).
#[derive(Debug, Default)]
pub struct RecordingDataPlane {
    snapshots: Mutex<Vec<LocalDataPlaneSnapshot>>,
}

impl RecordingDataPlane {
    /// Every snapshot received, oldest first.
    pub fn snapshots(&self) -> Vec<LocalDataPlaneSnapshot> {
        self.snapshots.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The latest snapshot (empty before the first).
    pub fn latest(&self) -> LocalDataPlaneSnapshot {
        self.snapshots().pop().unwrap_or_default()
    }
}

impl DataPlane for RecordingDataPlane {
    fn apply(&self, snapshot: LocalDataPlaneSnapshot) {
        if let Ok(mut s) = self.snapshots.lock() {
            s.push(snapshot);
        }
    }
}

fn num(values: &std::collections::BTreeMap<String, String>, key: &str) -> u32 {
    values.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn health_check(l: &Listener) -> HealthCheck {
    let v = crate::engine::effective_settings(l);
    let s = |k: &str| v.get(k).cloned().unwrap_or_default();
    let l4 = l.protocol == "tcp" || l.protocol == "udp";
    let enabled = if l4 {
        s("HealthCheckSwitch") != "off"
    } else {
        s("HealthCheck") != "off"
    };
    let check_type = match l.protocol.as_str() {
        "udp" => "udp".to_owned(),
        "tcp" => s("HealthCheckType"),
        _ => "http".to_owned(),
    };
    HealthCheck {
        enabled,
        check_type,
        connect_port: v.get("HealthCheckConnectPort").and_then(|p| p.parse().ok()),
        timeout_s: num(
            &v,
            if l4 {
                "HealthCheckConnectTimeout"
            } else {
                "HealthCheckTimeout"
            },
        ),
        interval_s: num(&v, "HealthCheckInterval"),
        healthy_threshold: num(&v, "HealthyThreshold"),
        unhealthy_threshold: num(&v, "UnhealthyThreshold"),
        uri: s("HealthCheckURI"),
        domain: s("HealthCheckDomain"),
        http_codes: s("HealthCheckHttpCode"),
        method: s("HealthCheckMethod"),
        http_version: s("HealthCheckHttpVersion"),
        udp_request: s("HealthCheckReq"),
        udp_expect: s("HealthCheckExp"),
    }
}

fn http_settings(l: &Listener) -> Option<HttpSettings> {
    if l.protocol != "http" && l.protocol != "https" {
        return None;
    }
    let v = crate::engine::effective_settings(l);
    let on = |k: &str| v.get(k).is_some_and(|x| x == "on");
    let sticky =
        on("StickySession").then(|| v.get("StickySessionType").cloned().unwrap_or_default());
    Some(HttpSettings {
        slb_ip: on("XForwardedFor_SLBIP"),
        slb_id: on("XForwardedFor_SLBID"),
        proto: on("XForwardedFor_proto"),
        slb_port: on("XForwardedFor_SLBPORT"),
        client_src_port: on("XForwardedFor_ClientSrcPort"),
        sticky_session_type: sticky,
        cookie_timeout_s: num(&v, "CookieTimeout"),
        cookie: v.get("Cookie").cloned().unwrap_or_default(),
        idle_timeout_s: num(&v, "IdleTimeout"),
        request_timeout_s: num(&v, "RequestTimeout"),
        http2: v.get("EnableHttp2").is_none_or(|x| x == "on"),
        gzip: v.get("Gzip").is_none_or(|x| x == "on"),
        forward_code: v
            .get("ForwardCode")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        forward_port: on("ListenerForward")
            .then(|| v.get("ForwardPort").and_then(|p| p.parse().ok()))
            .flatten(),
    })
}

fn backends(state: &State, lb: &LoadBalancer, l: &Listener) -> Vec<DataPlaneBackend> {
    let Some(group) = lb
        .vserver_groups
        .iter()
        .find(|g| g.id == l.vserver_group_id)
    else {
        return Vec::new();
    };
    group
        .backends
        .iter()
        .filter_map(|b| {
            let ip = if b.server_type == "ecs" {
                state
                    .instances
                    .get(&b.server_id)?
                    .private_ip_address
                    .parse()
                    .ok()?
            } else {
                b.server_ip.parse().ok()?
            };
            Some(DataPlaneBackend {
                server_id: b.server_id.clone(),
                addr: SocketAddr::new(ip, b.port),
                weight: b.weight,
            })
        })
        .collect()
}

/// The snapshot of `state`: every running listener of every active LB, backends resolved.
/// Backends whose instance is unknown (or whose IP does not parse) are left out.
pub fn snapshot(state: &State) -> LocalDataPlaneSnapshot {
    LocalDataPlaneSnapshot {
        listeners: state
            .load_balancers
            .values()
            .flat_map(|lb| lb_listeners(state, lb))
            .collect(),
    }
}

/// The forwarding listeners of one LB, ordered by (protocol, port): none unless it is
/// `active` with a VIP that parses; its `running` listeners otherwise. A snapshot is these
/// lists concatenated in LB id order (see `forwarding`, which keeps them per LB).
pub(crate) fn lb_listeners(state: &State, lb: &LoadBalancer) -> Vec<DataPlaneListener> {
    if lb.status != "active" {
        return Vec::new();
    }
    let Ok(vip) = lb.address.parse::<IpAddr>() else {
        return Vec::new();
    };
    let mut listeners: Vec<DataPlaneListener> = lb
        .listeners
        .iter()
        .filter(|l| l.status == "running")
        .map(|l| {
            let v = crate::engine::effective_settings(l);
            let drain = v.get("ConnectionDrain").is_some_and(|d| d == "on");
            DataPlaneListener {
                load_balancer_id: lb.id.clone(),
                vip,
                address_type: lb.address_type.clone(),
                port: l.port,
                protocol: l.protocol.clone(),
                scheduler: l.scheduler.clone(),
                health_check: health_check(l),
                connection_drain_timeout_s: drain.then(|| num(&v, "ConnectionDrainTimeout")),
                proxy_protocol_v2: v.get("ProxyProtocolV2Enabled").is_some_and(|p| p == "true"),
                persistence_timeout_s: num(&v, "PersistenceTimeout"),
                established_timeout_s: num(&v, "EstablishedTimeout"),
                backends: backends(state, lb, l),
                http: http_settings(l),
                security: state.security_of(l),
            }
        })
        .collect();
    listeners.sort_by(|a, b| (&a.protocol, a.port).cmp(&(&b.protocol, b.port)));
    listeners
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use crate::config::LocalConfig;
    use crate::store::MemoryStore;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A data plane that declines snapshots and counts the ones it is handed anyway.
    #[derive(Default)]
    struct Declining(AtomicUsize);

    impl DataPlane for Declining {
        fn apply(&self, _snapshot: LocalDataPlaneSnapshot) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }

        fn wants_snapshots(&self) -> bool {
            false
        }
    }

    #[test]
    fn a_data_plane_that_declines_snapshots_is_handed_none() {
        let declining = Arc::new(Declining::default());
        let engine = Engine::open(
            LocalConfig::default(),
            Box::new(MemoryStore::default()),
            declining.clone(),
        )
        .unwrap();
        let params = [("LoadBalancerSpec".to_owned(), "slb.s1.small".to_owned())];
        engine
            .handle("CreateLoadBalancer", &params.into_iter().collect())
            .unwrap();
        assert!(engine.wait_for_dataplane(std::time::Duration::ZERO));
        assert_eq!(declining.0.load(Ordering::Relaxed), 0);
        assert!(!NoopDataPlane.wants_snapshots());
    }
}
