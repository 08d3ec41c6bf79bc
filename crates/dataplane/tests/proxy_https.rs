//! HTTPS listeners over real loopback sockets: TLS terminated with the listener's
//! certificate, SNI choosing a domain extension's certificate (unknown SNI: the default one),
//! cipher policies limiting the TLS version, requests forwarded as HTTP with
//! `X-Forwarded-Proto: https`, and bad handshakes closed without harm.
#![allow(clippy::unwrap_used)]

mod support;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::ProtocolVersion;
use slb_dataplane::tls::TlsConfig;
use slb_dataplane::{ListenerConfig, ListenerStatus, Protocol};
use support::tls::{cert, client_ca_and_cert, connect, connect_as};
use support::web::{Backend, raw};
use support::*;

struct Certs {
    tls: TlsConfig,
    default: Vec<u8>,
    www: Vec<u8>,
    wild: Vec<u8>,
}

fn certs() -> Certs {
    let (default_pem, default) = cert("cert-default", &["default.test"]);
    let (www_pem, www) = cert("cert-www", &["www.example.com"]);
    let (wild_pem, wild) = cert("cert-wild", &["*.example.com"]);
    Certs {
        tls: TlsConfig {
            default_certificate: default_pem,
            domain_certificates: vec![
                ("www.example.com".into(), www_pem),
                ("*.example.com".into(), wild_pem),
            ],
            cipher_policy: None,
            http2: false,
            client_ca_pem: None,
        },
        default,
        www,
        wild,
    }
}

fn https_listener(id: &str, backend: &Backend, tls: TlsConfig) -> ListenerConfig {
    let mut l = listener(id, Protocol::Https, "127.0.0.1", &[(backend.addr, 10)]);
    l.tls = Some(tls);
    l
}

#[tokio::test]
async fn a_request_over_tls_reaches_the_backend_as_http_with_x_forwarded_proto_https() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = https_listener("https", &a, certs().tls);
    l.http.headers.proto = true;
    let proxy = h.apply(&[l]).await[0];
    let tls = connect(proxy, "www.example.com", &[]).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls.stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/secure")
        .header("host", "www.example.com")
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.starts_with("a\nGET /secure\n"), "{body}");
    assert!(body.contains("x-forwarded-proto: https\n"), "{body}");
    assert!(body.contains("x-forwarded-for: 127.0.0.1\n"), "{body}");
}

#[tokio::test]
async fn sni_selects_the_domain_certificate_and_an_unknown_name_gets_the_default() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let c = certs();
    let proxy = h.apply(&[https_listener("sni", &a, c.tls)]).await[0];
    for (sni, want) in [
        ("www.example.com", &c.www),
        ("api.example.com", &c.wild),
        ("unknown.test", &c.default),
    ] {
        let got = connect(proxy, sni, &[]).await.unwrap();
        assert_eq!(&got.leaf, want, "SNI {sni}");
    }
}

#[tokio::test]
async fn the_cipher_policy_decides_the_tls_version() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut only12 = certs().tls;
    only12.cipher_policy = Some("tls_cipher_policy_1_2".into());
    let mut with13 = certs().tls;
    with13.cipher_policy = Some("tls_cipher_policy_1_2_strict_with_1_3".into());
    let mut second = https_listener("v13", &a, with13);
    second.vip = ip("127.0.0.2");
    let addrs = h.apply(&[https_listener("v12", &a, only12), second]).await;
    let v12 = connect(addrs[0], "x.test", &[]).await.unwrap();
    assert_eq!(v12.version, ProtocolVersion::TLSv1_2);
    let v13 = connect(addrs[1], "x.test", &[]).await.unwrap();
    assert_eq!(v13.version, ProtocolVersion::TLSv1_3);
}

#[tokio::test]
async fn an_https_listener_without_a_certificate_does_not_start_and_says_why() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = https_listener("nocert", &a, certs().tls);
    l.tls = None;
    let status =
        h.dp.apply(slb_dataplane::DataPlaneConfig { listeners: vec![l] })
            .await
            .unwrap();
    match &status.listeners["nocert"] {
        ListenerStatus::BindFailed(why) => assert!(why.contains("ServerCertificateId"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn plain_http_on_an_https_port_is_closed_and_counted() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let proxy = h.apply(&[https_listener("plain", &a, certs().tls)]).await[0];
    let out = raw(proxy, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").await;
    assert!(!out.contains("200"), "{out:?}");
    assert_eq!(a.connections(), 0);
    h.wait_metric(
        "slb_dataplane_connect_errors_total{listener=\"plain\",kind=\"tls_handshake\"}",
        1.0,
    )
    .await;
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn_when_enabled_and_backends_still_get_http1() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut on = certs().tls;
    on.http2 = true;
    let mut second = https_listener("h1only", &a, certs().tls);
    second.vip = ip("127.0.0.2");
    let addrs = h.apply(&[https_listener("h2", &a, on), second]).await;
    let offer: &[&[u8]] = &[b"h2", b"http/1.1"];
    let off = connect(addrs[1], "www.example.com", offer).await.unwrap();
    assert_eq!(off.alpn.as_deref(), Some(&b"http/1.1"[..]));
    let tls = connect(addrs[0], "www.example.com", offer).await.unwrap();
    assert_eq!(tls.alpn.as_deref(), Some(&b"h2"[..]));
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tls.stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let req = Request::get("https://www.example.com/over-h2")
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(
        (resp.status().as_u16(), resp.version()),
        (200, hyper::Version::HTTP_2)
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.starts_with("a\nGET /over-h2\n"), "{body}");
    assert!(body.contains("host: www.example.com\n"), "{body}");
}

/// Sends one GET over an established TLS stream; the status, or `None` when the exchange
/// fails (a refused client certificate surfaces here with TLS 1.3).
async fn status_over(tls: support::tls::Handshake) -> Option<u16> {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls.stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    let req = Request::get("/")
        .header("host", "www.example.com")
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    Some(sender.send_request(req).await.ok()?.status().as_u16())
}

#[tokio::test]
async fn with_a_ca_certificate_only_clients_with_a_certificate_it_signed_get_through() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let (ca_pem, client) = client_ca_and_cert();
    let (_, stranger) = client_ca_and_cert();
    let mut tls = certs().tls;
    tls.client_ca_pem = Some(ca_pem);
    let proxy = h.apply(&[https_listener("mtls", &a, tls)]).await[0];
    let signed = connect_as(proxy, "www.example.com", &[], Some(&client))
        .await
        .unwrap();
    assert_eq!(status_over(signed).await, Some(200));
    for other in [None, Some(&stranger)] {
        let refused = match connect_as(proxy, "www.example.com", &[], other).await {
            Ok(tls) => status_over(tls).await,
            Err(_) => None,
        };
        assert_eq!(
            refused,
            None,
            "client certificate {:?}",
            other.map(|_| "from another CA")
        );
    }
    assert_eq!(
        a.connections(),
        1,
        "only the signed client reached the backend"
    );
}
