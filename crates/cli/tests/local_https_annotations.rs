//! The HTTPS listener annotations, each observed on real TLS traffic: certificates are
//! uploaded through the signed API, a Service naming them is applied by `slb-ccm apply` to
//! `slb-ccm local serve`, and the test handshakes with the VIP and checks the certificate,
//! TLS version, ALPN protocol and what the node received. Covered: `protocol-port` https with
//! `cert-id`, `domain-extensions`, `forward-port`, `http2-enabled`, `tls-cipher-policy`,
//! `xforwardedfor-proto`; and mutual TLS (`CACertificateId`, set through the signed API: no
//! annotation carries it).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use l7_support::tls::{self, Handshake};
use l7_support::{Nodes, Service, apply, apply_lb, serve};
use local_serve_support::LocalServe;
use rustls::{CipherSuite, ProtocolVersion};
use slb_openapi::clb::{
    SetHttpsListenerAttributeRequest, UploadCaCertificateRequest, UploadServerCertificateRequest,
};
use slb_openapi::{Clb, HttpClient};

/// Uploads a self-signed certificate for `name`: (its id, its leaf DER).
async fn upload(api: &HttpClient, name: &str) -> (String, Vec<u8>) {
    let c = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
    let id = api
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: c.cert.pem(),
            private_key: c.signing_key.serialize_pem(),
            server_certificate_name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificate_id;
    (id, c.cert.der().to_vec())
}

/// One node, a server, the certificate of `default.test`: (nodes, server, its id and DER).
async fn with_certificate(pool: &str, ip: &str) -> (Nodes, LocalServe, String, Vec<u8>) {
    let nodes = Nodes::start(&[ip], 2).await;
    let server = serve(pool).await;
    let (id, der) = upload(&server.client(), "default.test").await;
    (nodes, server, id, der)
}

/// Applies `https:443` with the certificate `cert` and `extra` annotations; the VIP:443.
async fn https_service(
    server: &LocalServe,
    nodes: &Nodes,
    cert: &str,
    extra: &[(&str, &str)],
) -> SocketAddr {
    let mut annotations = vec![("protocol-port", "https:443"), ("cert-id", cert)];
    annotations.extend_from_slice(extra);
    let vip = apply(server, nodes, &Service::new(&[443], &annotations)).await;
    SocketAddr::new(vip, 443)
}

/// Sends `GET path` over an established TLS stream with HTTP/1.1 (or HTTP/2 when `h2`):
/// (status, HTTP version, body).
async fn get_over(tls: Handshake, path: &str, h2: bool) -> (u16, hyper::Version, String) {
    let req = Request::get(format!("https://www.example.com{path}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let io = TokioIo::new(tls.stream);
    let resp = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .unwrap();
        tokio::spawn(conn);
        sender.send_request(req).await.unwrap()
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        let (mut parts, body) = req.into_parts();
        parts.uri = path.parse().unwrap();
        parts
            .headers
            .insert("host", "www.example.com".parse().unwrap());
        sender
            .send_request(Request::from_parts(parts, body))
            .await
            .unwrap()
    };
    let (status, version) = (resp.status().as_u16(), resp.version());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, version, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn cert_id_terminates_tls_with_the_uploaded_certificate_and_forwards_plain_http() {
    let (nodes, server, cert, der) = with_certificate("127.9.31.0/24", "127.10.31.1").await;
    let vip = https_service(&server, &nodes, &cert, &[]).await;
    let tls = tls::connect(vip, "default.test", &[]).await.unwrap();
    assert_eq!(tls.leaf, der, "the uploaded certificate");
    let (status, _, body) = get_over(tls, "/secure", false).await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with("node-a\nget /secure http/1.1\r\n"),
        "{body}"
    );
    assert!(body.contains("x-forwarded-for: 127.0.0.1\r\n"), "{body}");
}

#[tokio::test]
async fn domain_extensions_answer_their_sni_with_their_certificate_and_others_get_cert_id() {
    let (nodes, server, cert, default_der) = with_certificate("127.9.32.0/24", "127.10.32.1").await;
    let (www, www_der) = upload(&server.client(), "www.example.com").await;
    let extensions = format!("www.example.com:{www}");
    let vip = https_service(
        &server,
        &nodes,
        &cert,
        &[("domain-extensions", &extensions)],
    )
    .await;
    let named = tls::connect(vip, "www.example.com", &[]).await.unwrap();
    assert_eq!(named.leaf, www_der, "the extension's certificate");
    let other = tls::connect(vip, "other.test", &[]).await.unwrap();
    assert_eq!(other.leaf, default_der, "unknown SNI: the listener's");
}

#[tokio::test]
async fn forward_port_redirects_the_http_port_to_the_https_port() {
    let (nodes, server, cert, _) = with_certificate("127.9.33.0/24", "127.10.33.1").await;
    let annotations = [
        ("protocol-port", "http:80,https:443"),
        ("cert-id", cert.as_str()),
        ("forward-port", "80:443"),
    ];
    let vip = apply(&server, &nodes, &Service::new(&[80, 443], &annotations)).await;
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://{vip}/path?q=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 301);
    assert_eq!(
        resp.headers()["location"],
        format!("https://{vip}/path?q=1").as_str()
    );
    assert_eq!(
        nodes.get("node-a").hits(),
        0,
        "no node sees redirected requests"
    );
}

#[tokio::test]
async fn http2_enabled_on_negotiates_h2_by_alpn_and_the_node_still_gets_http_1_1() {
    let (nodes, server, cert, _) = with_certificate("127.9.34.0/24", "127.10.34.1").await;
    let vip = https_service(&server, &nodes, &cert, &[("http2-enabled", "on")]).await;
    let tls = tls::connect(vip, "www.example.com", &[b"h2", b"http/1.1"])
        .await
        .unwrap();
    assert_eq!(tls.alpn.as_deref(), Some(&b"h2"[..]));
    let (status, version, body) = get_over(tls, "/over-h2", true).await;
    assert_eq!((status, version), (200, hyper::Version::HTTP_2));
    assert!(
        body.starts_with("node-a\nget /over-h2 http/1.1\r\n"),
        "{body}"
    );
    assert!(body.contains("host: www.example.com\r\n"), "{body}");
}

#[tokio::test]
async fn http2_enabled_off_keeps_clients_on_http_1_1() {
    let (nodes, server, cert, _) = with_certificate("127.9.35.0/24", "127.10.35.1").await;
    let vip = https_service(&server, &nodes, &cert, &[("http2-enabled", "off")]).await;
    let tls = tls::connect(vip, "www.example.com", &[b"h2", b"http/1.1"])
        .await
        .unwrap();
    assert_eq!(tls.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn tls_cipher_policy_1_2_keeps_a_tls_1_3_client_on_tls_1_2() {
    let (nodes, server, cert, _) = with_certificate("127.9.36.0/24", "127.10.36.1").await;
    let policy = [("tls-cipher-policy", "tls_cipher_policy_1_2")];
    let vip = https_service(&server, &nodes, &cert, &policy).await;
    let tls = tls::connect(vip, "www.example.com", &[]).await.unwrap();
    assert_eq!(tls.version, ProtocolVersion::TLSv1_2);
}

#[tokio::test]
async fn tls_cipher_policy_1_2_strict_with_1_3_negotiates_tls_1_3() {
    let (nodes, server, cert, _) = with_certificate("127.9.37.0/24", "127.10.37.1").await;
    let policy = [("tls-cipher-policy", "tls_cipher_policy_1_2_strict_with_1_3")];
    let vip = https_service(&server, &nodes, &cert, &policy).await;
    let tls = tls::connect(vip, "www.example.com", &[]).await.unwrap();
    assert_eq!(tls.version, ProtocolVersion::TLSv1_3);
}

#[tokio::test]
async fn tls_cipher_policy_1_2_strict_refuses_suites_other_than_ecdhe_aes_gcm() {
    let (nodes, server, cert, _) = with_certificate("127.9.38.0/24", "127.10.38.1").await;
    let policy = [("tls-cipher-policy", "tls_cipher_policy_1_2_strict")];
    let vip = https_service(&server, &nodes, &cert, &policy).await;
    let chacha = [CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    assert!(
        tls::connect_offering(vip, "www.example.com", &chacha)
            .await
            .is_err(),
        "CHACHA20 is not in the strict policy"
    );
    let gcm = [CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let ok = tls::connect_offering(vip, "www.example.com", &gcm)
        .await
        .unwrap();
    assert_eq!(ok.version, ProtocolVersion::TLSv1_2);
}

#[tokio::test]
async fn xforwardedfor_proto_on_an_https_listener_sends_https() {
    let (nodes, server, cert, _) = with_certificate("127.9.39.0/24", "127.10.39.1").await;
    let proto = [("xforwardedfor-proto", "on")];
    let vip = https_service(&server, &nodes, &cert, &proto).await;
    let tls = tls::connect(vip, "www.example.com", &[]).await.unwrap();
    let (_, _, body) = get_over(tls, "/", false).await;
    assert!(body.contains("x-forwarded-proto: https\r\n"), "{body}");
}

#[tokio::test]
async fn a_ca_certificate_on_the_listener_admits_only_clients_it_signed() {
    let (nodes, server, cert, _) = with_certificate("127.9.40.0/24", "127.10.40.1").await;
    let annotations = [("protocol-port", "https:443"), ("cert-id", cert.as_str())];
    let (ip, lb) = apply_lb(&server, &nodes, &Service::new(&[443], &annotations)).await;
    let (ca_pem, client) = tls::client_ca_and_cert();
    let (_, stranger) = tls::client_ca_and_cert();
    let api = server.client();
    let ca = api
        .upload_ca_certificate(&UploadCaCertificateRequest {
            ca_certificate: ca_pem,
            ..Default::default()
        })
        .await
        .unwrap()
        .ca_certificate_id;
    api.set_https_listener_attribute(&SetHttpsListenerAttributeRequest {
        load_balancer_id: lb,
        listener_port: 443,
        ca_certificate_id: Some(ca),
        ..Default::default()
    })
    .await
    .unwrap();
    let vip = SocketAddr::new(ip, 443);
    // The Set reaches the data plane shortly after its answer (snapshots are published off
    // the request path): wait until a client without a certificate is refused.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while status_as(vip, None).await.is_some() {
        assert!(tokio::time::Instant::now() < deadline, "mTLS never applied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = nodes.get("node-a").hits();
    let signed = tls::connect_as(vip, "www.example.com", &[], Some(&client));
    assert_eq!(get_over(signed.await.unwrap(), "/", false).await.0, 200);
    for other in [None, Some(&stranger)] {
        let status = status_as(vip, other).await;
        assert_eq!(
            status,
            None,
            "with a client certificate: {}",
            other.is_some()
        );
    }
    assert_eq!(
        nodes.get("node-a").hits(),
        before + 1,
        "only the signed client"
    );
}

/// The status of a GET to `vip` as a client presenting `cert`, or `None` when refused.
async fn status_as(vip: SocketAddr, cert: Option<&(String, String)>) -> Option<u16> {
    match tls::connect_as(vip, "www.example.com", &[], cert).await {
        Ok(tls) => status_over(tls).await,
        Err(_) => None,
    }
}

/// The status of a GET over `tls`, or `None` when the exchange fails (with TLS 1.3 a
/// refused client certificate surfaces here, after the handshake).
async fn status_over(tls: Handshake) -> Option<u16> {
    let io = TokioIo::new(tls.stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.ok()?;
    tokio::spawn(conn);
    let req = Request::get("/")
        .header("host", "www.example.com")
        .body(Full::new(Bytes::new()))
        .unwrap();
    Some(sender.send_request(req).await.ok()?.status().as_u16())
}
