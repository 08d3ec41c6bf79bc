//! Bad input on HTTP and HTTPS listeners of `slb-ccm local serve` (created from a Service's
//! annotations by `slb-ccm apply`), answered as an HTTP proxy should and never reaching a
//! node: a malformed request line gets `400`, request headers over 64 KiB get `431`, a
//! client dripping its headers (slowloris) is disconnected after the header timeout (10 s or
//! the idle timeout, whichever is longer),
//! and bytes that are not a TLS handshake are closed. After each, the listener still serves.
//! (An unknown SNI gets the listener's certificate: `local_https_annotations.rs`.)
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::net::SocketAddr;
use std::time::Duration;

use l7_support::{Nodes, Service, apply, get_text, raw_exchange, serve};
use local_serve_support::LocalServe;
use slb_openapi::Clb;
use slb_openapi::clb::UploadServerCertificateRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// One node behind an `http:80` Service: (nodes, server, VIP:80). Its idle timeout is 1 s,
/// so the header timeout is the 10 s floor (it is the longer of the two).
async fn http_listener(pool: &str, ip: &str) -> (Nodes, LocalServe, SocketAddr) {
    let nodes = Nodes::start(&[ip], 1).await;
    let server = serve(pool).await;
    let annotations = [("protocol-port", "http:80"), ("idle-timeout", "1")];
    let vip = apply(&server, &nodes, &Service::new(&[80], &annotations)).await;
    (nodes, server, SocketAddr::new(vip, 80))
}

/// The listener still answers a well-formed request.
async fn still_serves(vip: SocketAddr) {
    let (status, _) = get_text(&format!("http://{vip}/")).await;
    assert_eq!(status, 200, "the listener keeps serving");
}

#[tokio::test]
async fn a_malformed_request_line_gets_400_and_reaches_no_node() {
    let (nodes, _server, vip) = http_listener("127.9.51.0/24", "127.10.51.1").await;
    let answer = raw_exchange(vip, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert_eq!(nodes.get("node-a").hits(), 0);
    still_serves(vip).await;
}

#[tokio::test]
async fn request_headers_over_64_kib_get_431_and_reach_no_node() {
    let (nodes, _server, vip) = http_listener("127.9.52.0/24", "127.10.52.1").await;
    let big = format!(
        "GET / HTTP/1.1\r\nhost: web\r\nx-big: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let answer = raw_exchange(vip, big.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    assert_eq!(nodes.get("node-a").hits(), 0);
    still_serves(vip).await;
}

#[tokio::test]
async fn a_slowloris_client_is_disconnected_after_the_header_timeout() {
    let (nodes, _server, vip) = http_listener("127.9.53.0/24", "127.10.53.1").await;
    let mut conn = TcpStream::connect(vip).await.unwrap();
    let start = Instant::now();
    conn.write_all(b"GET / HTTP/1.1\r\nhost: web\r\n")
        .await
        .unwrap();
    let mut header = 0;
    let closed_after = loop {
        assert!(start.elapsed() < Duration::from_secs(20), "never closed");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let line = format!("x-drip-{header}: 1\r\n");
        header += 1;
        if conn.write_all(line.as_bytes()).await.is_err() {
            break start.elapsed();
        }
        let mut buf = [0u8; 256];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(10), conn.read(&mut buf)).await
        {
            break start.elapsed();
        }
    };
    assert!(
        closed_after >= Duration::from_secs(9) && closed_after <= Duration::from_secs(13),
        "closed after {closed_after:?}, the header timeout is 10 s"
    );
    assert_eq!(nodes.get("node-a").hits(), 0);
    still_serves(vip).await;
}

#[tokio::test]
async fn bytes_that_are_not_a_tls_handshake_are_closed_on_an_https_listener() {
    let nodes = Nodes::start(&["127.10.54.1"], 1).await;
    let server = serve("127.9.54.0/24").await;
    let c = rcgen::generate_simple_self_signed(vec!["web.test".to_owned()]).unwrap();
    let cert = server
        .client()
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: c.cert.pem(),
            private_key: c.signing_key.serialize_pem(),
            server_certificate_name: "web".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificate_id;
    let annotations = [("protocol-port", "https:443"), ("cert-id", cert.as_str())];
    let vip = apply(&server, &nodes, &Service::new(&[443], &annotations)).await;
    let vip = SocketAddr::new(vip, 443);
    let answer = raw_exchange(vip, b"GET / HTTP/1.1\r\nhost: web\r\n\r\n").await;
    assert!(!answer.contains("200"), "{answer:?}");
    assert_eq!(nodes.get("node-a").hits(), 0);
    let tls = l7_support::tls::connect(vip, "web.test", &[]).await;
    assert!(tls.is_ok(), "the listener still handshakes");
}
