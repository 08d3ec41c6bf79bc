//! The cases of `every_annotation.rs` for the annotations that configure every listener of
//! the Service (protocols, HTTPS, timeouts, ACLs, sessions, forwarded headers, health
//! checks), in the table's order. Data only: see `cases.rs` for what a case is.

use super::cases::{Case, Fixtures, listener, same};

/// The listener cases.
pub fn listener_cases(f: &Fixtures) -> Vec<Case> {
    let mut cases = https(f);
    cases.extend(layer4());
    cases.extend(acls(f));
    cases.extend(layer7());
    cases.extend(health_checks());
    cases
}

/// Listener protocols, HTTPS certificates and redirects.
fn https(f: &Fixtures) -> Vec<Case> {
    let cert = f.cert.clone();
    let domain = format!("a.example.com:{}", f.cert_a);
    let cert_a = f.cert_a.clone();
    let mut protocol_port = Case::new("protocol-port", "https:443,http:80")
        .with("cert-id", f.cert.clone())
        .check(|s| {
            let got: Vec<(u16, &str)> =
                s.lb.listeners
                    .iter()
                    .map(|l| (l.listener_port, l.listener_protocol.as_str()))
                    .collect();
            let mut got = got;
            got.sort();
            same("the listeners", got, vec![(80, "http"), (443, "https")])
        });
    protocol_port.ports = vec![(443, 8443), (80, 8080)];
    let mut forward = Case::new("forward-port", "80:443")
        .with("protocol-port", "http:80,https:443")
        .with("cert-id", f.cert.clone())
        .check(|s| {
            let a = &listener(s, Some(80))?.attributes;
            same(
                "ListenerForward/ForwardPort",
                (a.listener_forward, a.forward_port),
                (Some(true), Some(443)),
            )
        });
    forward.ports = vec![(80, 8080), (443, 8443)];
    vec![
        protocol_port,
        Case::new("cert-id", f.cert.clone())
            .with("protocol-port", "https:443")
            .ports443()
            .check(move |s| {
                let a = &listener(s, Some(443))?.attributes;
                same(
                    "ServerCertificateId",
                    a.server_certificate_id.as_deref(),
                    Some(cert.as_str()),
                )
            }),
        Case::new("tls-cipher-policy", "tls_cipher_policy_1_2")
            .https(f)
            .attr(
                "TLSCipherPolicy",
                |a| a.tls_cipher_policy.clone(),
                "tls_cipher_policy_1_2".into(),
            ),
        Case::new("http2-enabled", "off")
            .https(f)
            .attr("EnableHttp2", |a| a.enable_http2, false),
        Case::new("domain-extensions", domain)
            .https(f)
            .check(move |s| {
                let l = listener(s, Some(443))?;
                let got: Vec<(&str, &str)> = l
                    .domain_extensions
                    .iter()
                    .map(|d| (d.domain.as_str(), d.server_certificate_id.as_str()))
                    .collect();
                same(
                    "the domain extensions",
                    got,
                    vec![("a.example.com", cert_a.as_str())],
                )
            }),
        forward,
    ]
}

/// TCP/UDP listener settings.
fn layer4() -> Vec<Case> {
    vec![
        Case::new("scheduler", "rr").attr("Scheduler", |a| a.scheduler.clone(), "rr".into()),
        Case::new("persistence-timeout", "60").attr(
            "PersistenceTimeout",
            |a| a.persistence_timeout,
            60,
        ),
        Case::new("established-timeout", "300").attr(
            "EstablishedTimeout",
            |a| a.established_timeout,
            300,
        ),
        Case::new("idle-timeout", "30")
            .http()
            .attr("IdleTimeout", |a| a.idle_timeout, 30),
        Case::new("request-timeout", "90")
            .http()
            .attr("RequestTimeout", |a| a.request_timeout, 90),
        Case::new("connection-drain", "on")
            .with("connection-drain-timeout", "30")
            .attr("ConnectionDrain", |a| a.connection_drain, true),
        Case::new("connection-drain-timeout", "30")
            .with("connection-drain", "on")
            .attr("ConnectionDrainTimeout", |a| a.connection_drain_timeout, 30),
        Case::new("proxy-protocol", "on").attr(
            "ProxyProtocolV2Enabled",
            |a| a.proxy_protocol_v2_enabled,
            true,
        ),
    ]
}

/// Access control on every listener.
fn acls(f: &Fixtures) -> Vec<Case> {
    let acl = f.acl.clone();
    let acl_check = f.acl.clone();
    vec![
        Case::new("acl-status", "on")
            .with("acl-id", f.acl.clone())
            .attr("AclStatus", |a| a.acl_status, true),
        Case::new("acl-id", f.acl.clone())
            .with("acl-status", "on")
            .check(move |s| {
                let a = &listener(s, None)?.attributes;
                same("AclId", a.acl_id.as_deref(), Some(acl_check.as_str()))
            }),
        Case::new("acl-type", "white")
            .with("acl-status", "on")
            .with("acl-id", acl)
            .attr("AclType", |a| a.acl_type.clone(), "white".into()),
    ]
}

/// HTTP listener settings.
fn layer7() -> Vec<Case> {
    vec![
        Case::new("sticky-session", "on")
            .http()
            .with("sticky-session-type", "insert")
            .with("cookie-timeout", "1800")
            .attr("StickySession", |a| a.sticky_session, true),
        Case::new("sticky-session-type", "insert")
            .http()
            .with("sticky-session", "on")
            .with("cookie-timeout", "1800")
            .attr(
                "StickySessionType",
                |a| a.sticky_session_type.clone(),
                "insert".into(),
            ),
        Case::new("cookie-timeout", "1800")
            .http()
            .with("sticky-session", "on")
            .with("sticky-session-type", "insert")
            .attr("CookieTimeout", |a| a.cookie_timeout, 1800),
        Case::new("cookie", "SESSIONID")
            .http()
            .with("sticky-session", "on")
            .with("sticky-session-type", "server")
            .attr("Cookie", |a| a.cookie.clone(), "SESSIONID".into()),
        Case::new("xforwardedfor-proto", "on").http().attr(
            "XForwardedFor_proto",
            |a| a.x_forwarded_for_proto,
            true,
        ),
        Case::new("xforwardedfor-slbport", "on").http().attr(
            "XForwardedFor_SLBPORT",
            |a| a.x_forwarded_for_slbport,
            true,
        ),
        Case::new("xforwardedfor-clientsrcport", "on").http().attr(
            "XForwardedFor_ClientSrcPort",
            |a| a.x_forwarded_for_client_src_port,
            true,
        ),
    ]
}

/// Health checks.
fn health_checks() -> Vec<Case> {
    let http_check = |key: &'static str, value: &str| {
        Case::new(key, value).http().with("health-check-flag", "on")
    };
    vec![
        Case::new("health-check-switch", "off").attr(
            "HealthCheckSwitch",
            |a| a.health_check,
            false,
        ),
        Case::new("health-check-flag", "on")
            .http()
            .attr("HealthCheck", |a| a.health_check, true),
        Case::new("health-check-type", "http")
            .with("health-check-uri", "/healthz")
            .attr(
                "HealthCheckType",
                |a| a.health_check_type.clone(),
                "http".into(),
            ),
        http_check("health-check-uri", "/healthz").attr(
            "HealthCheckURI",
            |a| a.health_check_uri.clone(),
            "/healthz".into(),
        ),
        http_check("health-check-domain", "$_ip").attr(
            "HealthCheckDomain",
            |a| a.health_check_domain.clone(),
            "$_ip".into(),
        ),
        http_check("health-check-httpcode", "http_2xx,http_3xx").attr(
            "HealthCheckHttpCode",
            |a| a.health_check_http_code.clone(),
            "http_2xx,http_3xx".into(),
        ),
        Case::new("health-check-connect-port", "8080").attr(
            "HealthCheckConnectPort",
            |a| a.health_check_connect_port,
            8080,
        ),
        Case::new("health-check-connect-port", "0").warned("IgnoredAnnotationValue"),
        Case::new("healthy-threshold", "4").attr("HealthyThreshold", |a| a.healthy_threshold, 4),
        Case::new("unhealthy-threshold", "4").attr(
            "UnhealthyThreshold",
            |a| a.unhealthy_threshold,
            4,
        ),
        Case::new("health-check-interval", "5").attr(
            "HealthCheckInterval",
            |a| a.health_check_interval,
            5,
        ),
        Case::new("health-check-connect-timeout", "8").attr(
            "HealthCheckConnectTimeout",
            |a| a.health_check_connect_timeout,
            8,
        ),
        http_check("health-check-timeout", "8").attr(
            "HealthCheckTimeout",
            |a| a.health_check_timeout,
            8,
        ),
        http_check("health-check-method", "get").attr(
            "HealthCheckMethod",
            |a| a.health_check_method.clone(),
            "get".into(),
        ),
    ]
}
