//! The data plane's own configuration types: what the local CLB publishes as one snapshot.
//!
//! These types are deliberately independent of the OpenAPI and model crates: the local CLB
//! maps its listeners and vServer groups onto them. Validation here only checks what the data
//! plane itself needs (weights in range, thresholds non-zero, no duplicate listener keys); it
//! does not know the OpenAPI's parameter rules.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A full snapshot of every listener the data plane should carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPlaneConfig {
    /// Listeners, keyed by (protocol, VIP, port); order does not matter.
    pub listeners: Vec<ListenerConfig>,
}

/// Transport protocol of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP: one upstream connection per client connection.
    Tcp,
    /// UDP: one upstream socket per client flow (source address).
    Udp,
    /// HTTP/1.1: requests parsed and forwarded one by one (see `http`), each to a backend
    /// the scheduler picks, over kept-alive backend connections.
    Http,
    /// HTTP behind TLS terminated with the listener's certificates (see `tls`).
    Https,
}

/// Backend scheduling algorithm, as CLB defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheduler {
    /// Smooth weighted round robin: over one cycle of `sum(weights)` picks, each backend is
    /// picked exactly `weight` times.
    Wrr,
    /// Round robin over backends with a non-zero weight; weights are otherwise ignored.
    #[default]
    Rr,
    /// Weighted least connections: the lowest `active / weight` wins.
    Wlc,
    /// Consistent hash of the client IP: one client sticks to one backend while the backend
    /// set allows it.
    Sch,
    /// Consistent hash of the four-tuple (client IP and port, VIP and port).
    Tch,
}

/// One backend server of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendConfig {
    /// Where to connect (for `ecs` backends: the instance's private IP and the backend port).
    pub addr: SocketAddr,
    /// Weight 0–100; 0 takes no new connections.
    pub weight: u8,
}

/// Which health probe to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheckKind {
    /// A TCP connect that completes within the timeout is a success.
    Tcp,
    /// An HTTP request (`GET` or `HEAD`, HTTP/1.0 or 1.1) whose status code falls in one of
    /// the accepted classes.
    Http {
        /// Request path, e.g. `/healthz`.
        uri: String,
        /// `Host` header; the backend IP when `None`.
        domain: Option<String>,
        /// Accepted status classes.
        codes: HttpCodes,
        /// `GET` or `HEAD` (CLB's `HealthCheckMethod`).
        method: ProbeMethod,
        /// Send HTTP/1.1 instead of HTTP/1.0 (CLB's `HealthCheckHttpVersion`).
        http11: bool,
    },
    /// A UDP datagram (`request`) to the target. With `expect` empty the backend is healthy
    /// unless an ICMP port-unreachable comes back (CLB's UDP check); otherwise the reply must
    /// contain `expect`.
    Udp {
        /// Payload sent.
        request: Vec<u8>,
        /// Bytes the reply must contain; empty: any reply or silence passes.
        expect: Vec<u8>,
    },
}

/// The method of an HTTP health probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeMethod {
    /// `HEAD`: CLB's default.
    #[default]
    Head,
    /// `GET`.
    Get,
}

/// A set of accepted HTTP status classes (`http_2xx` … `http_5xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCodes {
    /// Bit `n` set means class `n`xx is accepted (n in 2..=5).
    bits: u8,
}

/// Health check settings of a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckConfig {
    /// TCP or HTTP probe.
    pub kind: HealthCheckKind,
    /// Time between probes of one backend.
    pub interval: Duration,
    /// How long one probe may take before it counts as a failure.
    pub timeout: Duration,
    /// Consecutive successes that bring an unhealthy backend back.
    pub healthy_threshold: u32,
    /// Consecutive failures that eject a healthy backend.
    pub unhealthy_threshold: u32,
    /// Port to probe instead of the backend port.
    pub connect_port: Option<u16>,
}

/// Connection draining of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrainConfig {
    /// On: removed or weight-0 backends keep their connections up to `timeout`.
    /// Off: their connections are closed at once.
    pub enabled: bool,
    /// How long existing connections may live after their backend left.
    pub timeout: Duration,
}

/// One listener: a VIP, a port and a protocol, forwarding to its backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Identifier used in logs and metric labels (e.g. `lb-xxx/tcp/80`).
    pub id: String,
    /// Free text for logs.
    pub description: String,
    /// Address to listen on.
    pub vip: IpAddr,
    /// Port to listen on; 0 picks an ephemeral port (reported by the apply status; the key
    /// then holds port 0, so at most one such listener per VIP and protocol).
    pub port: u16,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Backend selection algorithm.
    pub scheduler: Scheduler,
    /// A stopped listener is not bound.
    pub running: bool,
    /// Backend servers, in group order.
    pub backends: Vec<BackendConfig>,
    /// `None`: every backend counts as healthy.
    pub health_check: Option<HealthCheckConfig>,
    /// Draining of removed or weight-0 backends.
    pub drain: DrainConfig,
    /// Send a PROXY protocol v2 header with the real client address to backends.
    pub proxy_protocol_v2: bool,
    /// Refuse connections whose source IP is one of this listener's backends (CLB hairpin).
    pub refuse_hairpin: bool,
    /// Who may connect; `None` admits everyone.
    pub acl: Option<crate::acl::AclConfig>,
    /// Certificates and policy of an HTTPS listener (required for one); ignored otherwise.
    pub tls: Option<crate::tls::TlsConfig>,
    /// HTTP listener settings; ignored by TCP and UDP listeners.
    pub http: HttpConfig,
    /// Idle time after which a UDP flow is evicted.
    pub udp_idle_timeout: Duration,
    /// How long an upstream TCP connect may take.
    pub connect_timeout: Duration,
    /// CLB's "established timeout": a TCP connection with no bytes either way for this long
    /// is closed. `None` keeps idle connections forever.
    pub idle_timeout: Option<Duration>,
}

/// Settings only an HTTP listener reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The load balancer id, sent as `SLB-ID` when `slb_id_header` is on.
    pub load_balancer_id: String,
    /// Which optional headers go to backends (`X-Forwarded-For` always does).
    pub headers: ForwardedHeaders,
    /// Session persistence by cookie.
    pub sticky: StickySession,
    /// A client connection with no request in flight and no bytes for this long is closed
    /// (CLB's `IdleTimeout`).
    pub idle_timeout: Duration,
    /// How long a backend may take to answer a request's headers before the client gets
    /// 504 (CLB's `RequestTimeout`).
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers, counted from the connection's
    /// start or the previous response, before its connection is closed (the slowloris guard;
    /// not a CLB setting). At least `idle_timeout` applies, so kept-alive connections live
    /// their idle timeout.
    pub header_timeout: Duration,
    /// `Some(port)`: every request is answered with a redirect to `https://host:port`
    /// (CLB's `ListenerForward=on` with `ForwardPort`) and no backend is used.
    pub redirect_https_port: Option<u16>,
    /// The redirect's status (CLB's `ForwardCode`: 301, 302, 303, 307 or 308).
    pub redirect_code: u16,
    /// Compress text responses for clients that accept gzip (CLB's `Gzip`).
    pub gzip: bool,
}

/// The optional headers of CLB's `XForwardedFor_*` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ForwardedHeaders {
    /// `SLB-IP`: the VIP the client reached (`XForwardedFor_SLBIP`).
    pub slb_ip: bool,
    /// `SLB-ID`: the load balancer id (`XForwardedFor_SLBID`).
    pub slb_id: bool,
    /// `X-Forwarded-Proto`: the listener protocol (`XForwardedFor_proto`).
    pub proto: bool,
    /// `X-Forwarded-Port`: the listener port (`XForwardedFor_SLBPORT`).
    pub port: bool,
    /// `X-Forwarded-Client-srcport`: the client's source port (`XForwardedFor_ClientSrcPort`).
    pub client_src_port: bool,
}

/// Cookie-based session persistence of an HTTP listener.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StickySession {
    /// Every request is scheduled afresh.
    #[default]
    Off,
    /// The proxy sets its own `SERVERID` cookie naming the backend, valid for `timeout`.
    Insert {
        /// The cookie's `Max-Age`.
        timeout: Duration,
    },
    /// The backend's own cookie `name` carries the backend: its value is prefixed with the
    /// backend's id on the way out and the prefix is removed on the way in.
    Server {
        /// The backend's cookie name.
        name: String,
    },
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            load_balancer_id: String::new(),
            headers: ForwardedHeaders::default(),
            sticky: StickySession::Off,
            idle_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            redirect_https_port: None,
            redirect_code: 301,
            gzip: false,
        }
    }
}

/// A configuration problem, naming the listener and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Two listeners share protocol, VIP and port.
    #[error(
        "listener {id}: {protocol:?} {vip}:{port} is already used by listener {other}; give each listener its own port"
    )]
    DuplicateListener {
        /// The later listener.
        id: String,
        /// The earlier listener with the same key.
        other: String,
        /// Shared protocol.
        protocol: Protocol,
        /// Shared VIP.
        vip: IpAddr,
        /// Shared port.
        port: u16,
    },
    /// A backend weight above 100.
    #[error("listener {id}: backend {addr} has weight {weight}; weights must be 0-100")]
    WeightOutOfRange {
        /// Listener id.
        id: String,
        /// Backend address.
        addr: SocketAddr,
        /// The bad weight.
        weight: u8,
    },
    /// A zero health threshold, interval or timeout.
    #[error("listener {id}: health check {field} must be greater than zero")]
    ZeroHealthSetting {
        /// Listener id.
        id: String,
        /// Which setting.
        field: &'static str,
    },
    /// An unknown scheduler name.
    #[error("unknown scheduler {0:?}; use wrr, rr, wlc, sch or tch")]
    UnknownScheduler(String),
    /// An unknown protocol name.
    #[error("unknown protocol {0:?}; use tcp, udp, http or https")]
    UnknownProtocol(String),
    /// An unknown HTTP code class.
    #[error(
        "unknown HTTP code class {0:?}; use a comma list of http_2xx, http_3xx, http_4xx, http_5xx"
    )]
    UnknownHttpCode(String),
}

/// CLB's default established-connection timeout for TCP listeners.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(900);

/// Highest weight CLB accepts.
pub const MAX_WEIGHT: u8 = 100;

// === impl Scheduler, Protocol ===

impl std::str::FromStr for Scheduler {
    type Err = ConfigError;

    /// Parses CLB's names: `wrr`, `rr`, `wlc`, `sch`, `tch`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "wrr" => Ok(Self::Wrr),
            "rr" => Ok(Self::Rr),
            "wlc" => Ok(Self::Wlc),
            "sch" => Ok(Self::Sch),
            "tch" => Ok(Self::Tch),
            other => Err(ConfigError::UnknownScheduler(other.to_owned())),
        }
    }
}

impl std::str::FromStr for Protocol {
    type Err = ConfigError;

    /// Parses CLB's listener protocols.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tcp" => Ok(Self::Tcp),
            "http" => Ok(Self::Http),
            "https" => Ok(Self::Https),
            "udp" => Ok(Self::Udp),
            other => Err(ConfigError::UnknownProtocol(other.to_owned())),
        }
    }
}

// === impl HttpCodes ===

impl HttpCodes {
    /// Only 2xx accepted.
    pub const OK_2XX: Self = Self { bits: 1 << 2 };

    /// Parses CLB's `http_2xx,http_3xx` form.
    ///
    /// # Errors
    /// [`ConfigError::UnknownHttpCode`] for anything but `http_2xx` … `http_5xx`, or an
    /// empty list.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut bits = 0u8;
        for part in text.split(',').map(str::trim) {
            let class = match part {
                "http_2xx" => 2,
                "http_3xx" => 3,
                "http_4xx" => 4,
                "http_5xx" => 5,
                _ => return Err(ConfigError::UnknownHttpCode(part.to_owned())),
            };
            bits |= 1 << class;
        }
        Ok(Self { bits })
    }

    /// Whether `status` (e.g. 204) is in an accepted class.
    pub fn accepts(self, status: u16) -> bool {
        let class = status / 100;
        (2..=5).contains(&class) && self.bits & (1 << class) != 0
    }
}

impl Default for HttpCodes {
    fn default() -> Self {
        Self::OK_2XX
    }
}

// === impl ListenerConfig ===

impl ListenerConfig {
    /// A running listener with CLB-like defaults (rr, no health check, no draining, no
    /// proxy protocol, hairpin refusal off, 90 s UDP idle timeout, 5 s connect timeout,
    /// 900 s TCP idle timeout).
    pub fn new(id: impl Into<String>, protocol: Protocol, listen: SocketAddr) -> Self {
        Self {
            id: id.into(),
            description: String::new(),
            vip: listen.ip(),
            port: listen.port(),
            protocol,
            scheduler: Scheduler::default(),
            running: true,
            backends: Vec::new(),
            health_check: None,
            drain: DrainConfig::default(),
            proxy_protocol_v2: false,
            refuse_hairpin: false,
            acl: None,
            tls: None,
            http: HttpConfig::default(),
            udp_idle_timeout: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
        }
    }

    /// The key listeners are diffed by. HTTP listeners share TCP's key space (both bind a
    /// TCP port), so a TCP and an HTTP listener on one port are duplicates.
    pub fn key(&self) -> ListenerKey {
        let protocol = match self.protocol {
            Protocol::Http | Protocol::Https => Protocol::Tcp,
            p => p,
        };
        (protocol, self.vip, self.port)
    }

    fn validate_into(&self, errors: &mut Vec<ConfigError>) {
        for b in &self.backends {
            if b.weight > MAX_WEIGHT {
                errors.push(ConfigError::WeightOutOfRange {
                    id: self.id.clone(),
                    addr: b.addr,
                    weight: b.weight,
                });
            }
        }
        let Some(hc) = &self.health_check else { return };
        let checks = [
            ("interval", hc.interval.is_zero()),
            ("timeout", hc.timeout.is_zero()),
            ("healthy_threshold", hc.healthy_threshold == 0),
            ("unhealthy_threshold", hc.unhealthy_threshold == 0),
        ];
        for (field, bad) in checks {
            if bad {
                errors.push(ConfigError::ZeroHealthSetting {
                    id: self.id.clone(),
                    field,
                });
            }
        }
    }
}

/// (protocol, VIP, port): what identifies a listener across snapshots.
pub type ListenerKey = (Protocol, IpAddr, u16);

impl DataPlaneConfig {
    /// Checks the whole snapshot and returns every problem at once.
    ///
    /// # Errors
    /// All [`ConfigError`]s found; the data plane refuses a snapshot with any of them.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut seen: Vec<(ListenerKey, &str)> = Vec::new();
        let mut keys = HashSet::new();
        for l in &self.listeners {
            l.validate_into(&mut errors);
            let key = l.key();
            if !keys.insert(key) {
                let other = seen
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or("", |(_, id)| *id);
                errors.push(ConfigError::DuplicateListener {
                    id: l.id.clone(),
                    other: other.to_owned(),
                    protocol: l.protocol,
                    vip: l.vip,
                    port: l.port,
                });
            }
            seen.push((key, &l.id));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_codes_parse_accepts_listed_classes_only() {
        let codes = HttpCodes::parse("http_2xx,http_3xx").unwrap();
        for (status, ok) in [
            (200, true),
            (302, true),
            (404, false),
            (503, false),
            (99, false),
        ] {
            assert_eq!(codes.accepts(status), ok, "status {status}");
        }
    }

    #[test]
    fn http_codes_parse_rejects_unknown_class_with_hint() {
        let err = HttpCodes::parse("http_2xx,http_6xx").unwrap_err();
        assert_eq!(err, ConfigError::UnknownHttpCode("http_6xx".into()));
        assert!(err.to_string().contains("http_2xx, http_3xx"));
    }

    #[test]
    fn clb_names_parse_and_unknown_ones_name_the_choices() {
        for (name, want) in [
            ("wrr", Scheduler::Wrr),
            ("rr", Scheduler::Rr),
            ("tch", Scheduler::Tch),
        ] {
            assert_eq!(name.parse::<Scheduler>().unwrap(), want);
        }
        assert_eq!("https".parse::<Protocol>().unwrap(), Protocol::Https);
        assert_eq!("http".parse::<Protocol>().unwrap(), Protocol::Http);
        let err = "lc".parse::<Scheduler>().unwrap_err();
        assert!(err.to_string().contains("wrr, rr, wlc, sch or tch"));
        assert!("sctp".parse::<Protocol>().is_err());
    }

    #[test]
    fn validate_reports_every_problem_at_once() {
        let addr: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let mut l = ListenerConfig::new("a", Protocol::Tcp, addr);
        l.backends.push(BackendConfig { addr, weight: 101 });
        l.health_check = Some(HealthCheckConfig {
            kind: HealthCheckKind::Tcp,
            interval: Duration::ZERO,
            timeout: Duration::from_secs(1),
            healthy_threshold: 0,
            unhealthy_threshold: 3,
            connect_port: None,
        });
        let mut dup = ListenerConfig::new("b", Protocol::Tcp, addr);
        dup.backends.clear();
        let udp_same_port = ListenerConfig::new("c", Protocol::Udp, addr);
        let cfg = DataPlaneConfig {
            listeners: vec![l, dup, udp_same_port],
        };
        let errors = cfg.validate().unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            matches!(&errors[3], ConfigError::DuplicateListener { id, other, .. } if id == "b" && other == "a")
        );
    }
}
