//! Connects the local CLB to the real proxy: [`ProxyDataPlane`] receives the local CLB's
//! snapshots of running listeners (`slb_local::DataPlane`) and publishes them, translated, to
//! slb-dataplane. Neither library knows the other; this module is the only place that does.
//!
//! The translation is a pure function ([`to_config`]): CLB names become the proxy's typed
//! settings, unknown values fall back to the CLB's own defaults with a warning, and intranet
//! layer-4 listeners refuse hairpin traffic as the real CLB does (the FAQ's "backend as client"
//! case). `http` and `https` listeners get the proxy's HTTP settings, `https` ones their
//! certificates, and every listener its ACL.
//!
//! The way back: [`ProxyDataPlane`] is also the local CLB's `HealthSource`, answering
//! `DescribeHealthStatus` from the proxy's health checks (a backend is found by the proxy
//! listener id this module gives the CLB listener and its resolved address).

use slb_dataplane::BackendHealth;
use slb_dataplane::tls::{CertificatePem, TlsConfig};
use slb_dataplane::{
    AclConfig, AclKind, BackendConfig, Cidr, DataPlaneConfig, DataPlaneHandle, DrainConfig,
    ForwardedHeaders, HealthCheckConfig, HealthCheckKind, HttpCodes, HttpConfig, ListenerConfig,
    ProbeMethod, Protocol, Scheduler, StickySession,
};
use slb_local::dataplane::{DataPlaneListener, HttpSettings};
use slb_local::{DataPlane, HealthSource, LocalDataPlaneSnapshot, ProbeTarget, ProbedHealth};
use std::net::SocketAddr;
use std::time::Duration;

/// The local CLB's hook, publishing to a running slb-dataplane.
#[derive(Debug, Clone)]
pub struct ProxyDataPlane {
    handle: DataPlaneHandle,
}

impl ProxyDataPlane {
    /// Wraps a spawned data plane.
    pub fn new(handle: DataPlaneHandle) -> Self {
        Self { handle }
    }

    /// The data plane, for shutdown and status.
    pub fn handle(&self) -> &DataPlaneHandle {
        &self.handle
    }
}

impl DataPlane for ProxyDataPlane {
    fn apply(&self, snapshot: LocalDataPlaneSnapshot) {
        // Non-blocking (a watch channel): the engine's publisher thread calls this, and the
        // next snapshot waits for it.
        let generation = self.handle.publish(to_config(&snapshot));
        tracing::debug!(
            generation,
            listeners = snapshot.listeners.len(),
            "published data plane config"
        );
    }

    fn health_source(&self) -> Option<&dyn HealthSource> {
        Some(self)
    }
}

impl HealthSource for ProxyDataPlane {
    fn probed_health(&self, target: &ProbeTarget<'_>) -> ProbedHealth {
        let id = listener_id(target.load_balancer_id, target.protocol, target.port);
        probed(self.handle.backend_health(&id, target.addr))
    }
}

/// The local CLB's view of the proxy's verdict: no listener or backend there is undecided.
fn probed(health: Option<BackendHealth>) -> ProbedHealth {
    match health {
        Some(BackendHealth::Healthy) => ProbedHealth::Healthy,
        Some(BackendHealth::Unhealthy) => ProbedHealth::Unhealthy,
        Some(BackendHealth::Unchecked) | None => ProbedHealth::Undecided,
    }
}

/// The proxy listener id of a CLB listener (also its metrics label).
fn listener_id(load_balancer_id: &str, protocol: &str, port: u16) -> String {
    format!("{load_balancer_id}/{protocol}/{port}")
}

/// Translates a local CLB snapshot into the proxy's configuration.
pub fn to_config(snapshot: &LocalDataPlaneSnapshot) -> DataPlaneConfig {
    DataPlaneConfig {
        listeners: snapshot.listeners.iter().map(listener).collect(),
    }
}

fn listener(l: &DataPlaneListener) -> ListenerConfig {
    let id = listener_id(&l.load_balancer_id, &l.protocol, l.port);
    let protocol = l.protocol.parse::<Protocol>().unwrap_or_else(|err| {
        tracing::warn!(listener = %id, error = %err, "unknown protocol; forwarding as TCP");
        Protocol::Tcp
    });
    let scheduler = l.scheduler.parse::<Scheduler>().unwrap_or_else(|err| {
        tracing::warn!(listener = %id, error = %err, "unknown scheduler; using wrr");
        Scheduler::Wrr
    });
    let mut config = ListenerConfig::new(id, protocol, SocketAddr::new(l.vip, l.port));
    config.scheduler = scheduler;
    config.backends = l
        .backends
        .iter()
        .map(|b| BackendConfig {
            addr: b.addr,
            weight: u8::try_from(b.weight.min(100)).unwrap_or(100),
        })
        .collect();
    config.health_check = health_check(l);
    config.drain = DrainConfig {
        enabled: l.connection_drain_timeout_s.is_some(),
        timeout: Duration::from_secs(u64::from(l.connection_drain_timeout_s.unwrap_or(0))),
    };
    config.proxy_protocol_v2 = l.proxy_protocol_v2;
    let layer4 = l.protocol == "tcp" || l.protocol == "udp";
    config.refuse_hairpin = layer4 && l.address_type == "intranet";
    if let Some(h) = &l.http {
        config.http = http_config(&config.id, &l.load_balancer_id, h);
        config.tls = tls_config(l, h.http2);
    }
    config.acl = acl_config(&config.id, l);
    if l.established_timeout_s > 0 {
        config.idle_timeout = Some(Duration::from_secs(u64::from(l.established_timeout_s)));
    }
    config
}

/// The listener's ACL; entries that do not parse are left out with a warning (the local CLB
/// validates them when they are added).
fn acl_config(id: &str, l: &DataPlaneListener) -> Option<AclConfig> {
    let acl = l.security.acl.as_ref()?;
    let kind = if acl.acl_type == "black" {
        AclKind::Black
    } else {
        AclKind::White
    };
    let cidrs = acl
        .cidrs
        .iter()
        .filter_map(|c| {
            c.parse::<Cidr>()
                .inspect_err(|e| tracing::warn!(listener = %id, error = %e, "ACL entry skipped"))
                .ok()
        })
        .collect();
    Some(AclConfig { kind, cidrs })
}

/// An HTTPS listener's certificates and policy; `None` without a server certificate (the
/// proxy then reports the listener as not started).
fn tls_config(l: &DataPlaneListener, http2: bool) -> Option<TlsConfig> {
    let pem = |c: &slb_local::engine::CertificatePem| CertificatePem {
        id: c.id.clone(),
        chain_pem: c.certificate_pem.clone(),
        key_pem: c.private_key_pem.clone(),
    };
    let s = &l.security;
    Some(TlsConfig {
        default_certificate: pem(s.server_certificate.as_ref()?),
        domain_certificates: s
            .domain_extensions
            .iter()
            .map(|(domain, c)| (domain.clone(), pem(c)))
            .collect(),
        cipher_policy: s.tls_cipher_policy.clone(),
        http2,
        client_ca_pem: s.ca_certificate_pem.clone(),
    })
}

fn http_config(id: &str, load_balancer_id: &str, h: &HttpSettings) -> HttpConfig {
    let secs =
        |s: u32, default: u64| Duration::from_secs(if s == 0 { default } else { u64::from(s) });
    let sticky = match h.sticky_session_type.as_deref() {
        None => StickySession::Off,
        Some("server") if !h.cookie.is_empty() => StickySession::Server {
            name: h.cookie.clone(),
        },
        Some("insert") => StickySession::Insert {
            timeout: secs(h.cookie_timeout_s, 1000),
        },
        Some(other) => {
            tracing::warn!(listener = %id, sticky = %other, "session persistence without a usable type or cookie; off");
            StickySession::Off
        }
    };
    HttpConfig {
        load_balancer_id: load_balancer_id.to_owned(),
        headers: ForwardedHeaders {
            slb_ip: h.slb_ip,
            slb_id: h.slb_id,
            proto: h.proto,
            port: h.slb_port,
            client_src_port: h.client_src_port,
        },
        sticky,
        idle_timeout: secs(h.idle_timeout_s, 15),
        request_timeout: secs(h.request_timeout_s, 60),
        redirect_https_port: h.forward_port,
        gzip: h.gzip,
        redirect_code: if h.forward_code == 0 {
            301
        } else {
            h.forward_code
        },
        ..HttpConfig::default()
    }
}

fn health_check(l: &DataPlaneListener) -> Option<HealthCheckConfig> {
    let h = &l.health_check;
    if !h.enabled {
        return None;
    }
    let kind = match h.check_type.as_str() {
        "http" => HealthCheckKind::Http {
            uri: if h.uri.is_empty() {
                "/".into()
            } else {
                h.uri.clone()
            },
            domain: (!h.domain.is_empty() && h.domain != "$_ip").then(|| h.domain.clone()),
            codes: HttpCodes::parse(&h.http_codes)
                .or_else(|_| HttpCodes::parse("http_2xx"))
                .ok()?,
            method: if h.method == "get" {
                ProbeMethod::Get
            } else {
                ProbeMethod::Head
            },
            http11: h.http_version == "http1.1",
        },
        "udp" => HealthCheckKind::Udp {
            request: h.udp_request.clone().into_bytes(),
            expect: h.udp_expect.clone().into_bytes(),
        },
        _ => HealthCheckKind::Tcp,
    };
    Some(HealthCheckConfig {
        kind,
        interval: Duration::from_secs(u64::from(h.interval_s.max(1))),
        timeout: Duration::from_secs(u64::from(h.timeout_s.max(1))),
        healthy_threshold: h.healthy_threshold.max(1),
        unhealthy_threshold: h.unhealthy_threshold.max(1),
        connect_port: h.connect_port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use slb_local::dataplane::{DataPlaneBackend, HealthCheck};

    fn local(protocol: &str, address_type: &str) -> DataPlaneListener {
        DataPlaneListener {
            load_balancer_id: "lb-local1".into(),
            vip: "127.0.1.5".parse().unwrap(),
            address_type: address_type.into(),
            port: 80,
            protocol: protocol.into(),
            scheduler: "wrr".into(),
            health_check: HealthCheck {
                enabled: true,
                check_type: "http".into(),
                connect_port: None,
                timeout_s: 5,
                interval_s: 2,
                healthy_threshold: 3,
                unhealthy_threshold: 3,
                uri: "/healthz".into(),
                domain: "$_ip".into(),
                http_codes: "http_2xx,http_3xx".into(),
                method: "get".into(),
                http_version: String::new(),
                udp_request: String::new(),
                udp_expect: String::new(),
            },
            connection_drain_timeout_s: Some(30),
            proxy_protocol_v2: true,
            persistence_timeout_s: 0,
            established_timeout_s: 900,
            backends: vec![
                DataPlaneBackend {
                    server_id: "i-a".into(),
                    addr: "127.0.0.11:30080".parse().unwrap(),
                    weight: 1,
                },
                DataPlaneBackend {
                    server_id: "i-b".into(),
                    addr: "127.0.0.12:30080".parse().unwrap(),
                    weight: 250,
                },
            ],
            http: None,
            security: slb_local::engine::ListenerSecurity::default(),
        }
    }

    #[test]
    fn an_http_listener_carries_its_header_session_timeout_and_redirect_settings() {
        let mut input = local("http", "intranet");
        input.http = Some(HttpSettings {
            slb_id: true,
            client_src_port: true,
            sticky_session_type: Some("insert".into()),
            cookie_timeout_s: 300,
            idle_timeout_s: 30,
            request_timeout_s: 90,
            forward_port: Some(443),
            gzip: true,
            ..HttpSettings::default()
        });
        let l = &to_config(&LocalDataPlaneSnapshot {
            listeners: vec![input],
        })
        .listeners[0];
        assert_eq!(l.protocol, Protocol::Http);
        assert!(!l.refuse_hairpin, "only layer-4 listeners refuse hairpin");
        assert_eq!(l.http.load_balancer_id, "lb-local1");
        assert!(l.http.headers.slb_id && l.http.headers.client_src_port);
        assert!(!l.http.headers.slb_ip && !l.http.headers.proto);
        assert_eq!(
            l.http.sticky,
            StickySession::Insert {
                timeout: Duration::from_secs(300)
            }
        );
        assert_eq!(l.http.idle_timeout, Duration::from_secs(30));
        assert_eq!(l.http.request_timeout, Duration::from_secs(90));
        assert_eq!(l.http.redirect_https_port, Some(443));
        assert!(l.http.gzip);
    }

    #[test]
    fn server_sessions_name_the_backend_cookie() {
        let mut input = local("http", "internet");
        input.http = Some(HttpSettings {
            sticky_session_type: Some("server".into()),
            cookie: "JSESSIONID".into(),
            ..HttpSettings::default()
        });
        let l = &to_config(&LocalDataPlaneSnapshot {
            listeners: vec![input],
        })
        .listeners[0];
        assert_eq!(
            l.http.sticky,
            StickySession::Server {
                name: "JSESSIONID".into()
            }
        );
        assert_eq!(l.http.idle_timeout, Duration::from_secs(15), "CLB default");
    }

    #[test]
    fn a_running_clb_listener_becomes_a_proxy_listener_with_its_settings() {
        let snapshot = LocalDataPlaneSnapshot {
            listeners: vec![local("tcp", "intranet")],
        };
        let config = to_config(&snapshot);
        let l = &config.listeners[0];
        assert_eq!(l.id, "lb-local1/tcp/80");
        assert_eq!(
            (l.vip.to_string(), l.port, l.protocol),
            ("127.0.1.5".into(), 80, Protocol::Tcp)
        );
        assert_eq!(l.scheduler, Scheduler::Wrr);
        let weights: Vec<u8> = l.backends.iter().map(|b| b.weight).collect();
        assert_eq!(weights, [1, 100], "weights are clamped to the CLB's 0–100");
        assert_eq!(
            l.drain,
            DrainConfig {
                enabled: true,
                timeout: Duration::from_secs(30)
            }
        );
        assert!(l.proxy_protocol_v2);
        assert!(
            l.refuse_hairpin,
            "intranet layer-4 listeners refuse hairpin traffic"
        );
        assert_eq!(l.idle_timeout, Some(Duration::from_secs(900)));
        let hc = l.health_check.as_ref().unwrap();
        assert_eq!(hc.interval, Duration::from_secs(2));
        match &hc.kind {
            HealthCheckKind::Http {
                uri,
                domain,
                method,
                http11,
                ..
            } => {
                assert_eq!((*method, *http11), (ProbeMethod::Get, false));
                assert_eq!(uri, "/healthz");
                assert_eq!(domain, &None, "$_ip means the backend's own address");
            }
            other => panic!("expected an HTTP check, got {other:?}"),
        }
    }

    #[test]
    fn internet_listeners_allow_hairpin_and_https_is_terminated_as_https() {
        let l = &to_config(&LocalDataPlaneSnapshot {
            listeners: vec![local("https", "internet")],
        })
        .listeners[0];
        assert_eq!(l.protocol, Protocol::Https);
        assert!(!l.refuse_hairpin);
    }

    #[test]
    fn the_acl_and_https_certificates_reach_the_proxy() {
        use slb_local::engine::{AclView, CertificatePem as Pem};
        let mut input = local("https", "internet");
        input.http = Some(HttpSettings {
            http2: true,
            ..HttpSettings::default()
        });
        let cert = |id: &str| Pem {
            id: id.into(),
            certificate_pem: format!("{id}-chain"),
            private_key_pem: format!("{id}-key"),
        };
        input.security.acl = Some(AclView {
            acl_type: "black".into(),
            cidrs: vec!["10.0.0.0/8".into(), "not-a-cidr".into()],
        });
        input.security.server_certificate = Some(cert("default"));
        input.security.domain_extensions = vec![("*.example.com".into(), cert("wild"))];
        input.security.tls_cipher_policy = Some("tls_cipher_policy_1_2".into());
        let l = &to_config(&LocalDataPlaneSnapshot {
            listeners: vec![input],
        })
        .listeners[0];
        let acl = l.acl.as_ref().unwrap();
        assert_eq!(acl.kind, AclKind::Black);
        assert_eq!(acl.cidrs.len(), 1, "the bad entry is skipped");
        let tls = l.tls.as_ref().unwrap();
        assert_eq!(tls.default_certificate.key_pem, "default-key");
        assert_eq!(tls.domain_certificates[0].0, "*.example.com");
        assert_eq!(tls.cipher_policy.as_deref(), Some("tls_cipher_policy_1_2"));
        assert!(tls.http2);
    }

    #[test]
    fn the_proxy_verdict_maps_to_the_clb_view_and_the_unknown_is_undecided() {
        let table = [
            (Some(BackendHealth::Healthy), ProbedHealth::Healthy),
            (Some(BackendHealth::Unhealthy), ProbedHealth::Unhealthy),
            (Some(BackendHealth::Unchecked), ProbedHealth::Undecided),
            (None, ProbedHealth::Undecided),
        ];
        for (proxy, want) in table {
            assert_eq!(probed(proxy), want, "{proxy:?}");
        }
    }

    #[test]
    fn unknown_schedulers_fall_back_to_wrr_and_disabled_checks_disappear() {
        let mut input = local("udp", "internet");
        input.scheduler = "fastest".into();
        input.health_check.enabled = false;
        input.connection_drain_timeout_s = None;
        let l = &to_config(&LocalDataPlaneSnapshot {
            listeners: vec![input],
        })
        .listeners[0];
        assert_eq!((l.protocol, l.scheduler), (Protocol::Udp, Scheduler::Wrr));
        assert!(l.health_check.is_none());
        assert!(!l.drain.enabled);
    }
}
