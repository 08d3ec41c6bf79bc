//! WebSocket through `slb-ccm local serve`, as CLB's HTTP and HTTPS listeners pass it: a
//! Service's `http` (then `https`) listener is applied by `slb-ccm apply`, a client sends an
//! HTTP/1.1 upgrade request to the VIP (over TLS for `https`), gets the node's `101`, and
//! then bytes flow both ways; the node saw the upgrade with CLB's forwarding headers.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::net::SocketAddr;
use std::time::Duration;

use l7_support::{Nodes, Service, apply, serve};
use slb_openapi::Clb;
use slb_openapi::clb::UploadServerCertificateRequest;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nhost: ws.test\r\nconnection: Upgrade\r\n\
    upgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    sec-websocket-version: 13\r\n\r\n";

/// Sends the upgrade on `stream`, then checks the `101`, the node's greeting and an echo
/// both ways; returns the node's name.
async fn upgrade_and_echo<S: AsyncRead + AsyncWrite + Unpin>(stream: S) -> String {
    let mut r = BufReader::new(stream);
    r.get_mut().write_all(UPGRADE).await.unwrap();
    let mut status = String::new();
    r.read_line(&mut status).await.unwrap();
    assert!(status.starts_with("HTTP/1.1 101 "), "{status:?}");
    let mut line = String::new();
    while line != "\r\n" {
        line.clear();
        r.read_line(&mut line).await.unwrap();
    }
    let mut greeting = String::new();
    r.read_line(&mut greeting).await.unwrap();
    for msg in [&b"hello"[..], b"over the tunnel"] {
        r.get_mut().write_all(msg).await.unwrap();
        let mut back = vec![0u8; msg.len()];
        tokio::time::timeout(Duration::from_secs(5), r.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, msg);
    }
    greeting.trim().to_owned()
}

#[tokio::test]
async fn a_websocket_upgrade_on_an_http_listener_is_passed_through_to_a_node() {
    let nodes = Nodes::start(&["127.10.61.1"], 1).await;
    let server = serve("127.9.61.0/24").await;
    let annotations = [("protocol-port", "http:80")];
    let vip = apply(&server, &nodes, &Service::new(&[80], &annotations)).await;
    let stream = TcpStream::connect(SocketAddr::new(vip, 80)).await.unwrap();
    assert_eq!(upgrade_and_echo(stream).await, "node-a");
    let head = &nodes.get("node-a").heads_starting("get /chat ")[0];
    assert!(head.contains("upgrade: websocket\r\n"), "{head}");
    assert!(head.contains("x-forwarded-for: 127.0.0.1\r\n"), "{head}");
}

#[tokio::test]
async fn a_websocket_upgrade_on_an_https_listener_is_passed_through_after_tls() {
    let nodes = Nodes::start(&["127.10.62.1"], 1).await;
    let server = serve("127.9.62.0/24").await;
    let c = rcgen::generate_simple_self_signed(vec!["ws.test".to_owned()]).unwrap();
    let cert = server
        .client()
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: c.cert.pem(),
            private_key: c.signing_key.serialize_pem(),
            server_certificate_name: "ws".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificate_id;
    let annotations = [
        ("protocol-port", "https:443"),
        ("cert-id", cert.as_str()),
        ("xforwardedfor-proto", "on"),
    ];
    let vip = apply(&server, &nodes, &Service::new(&[443], &annotations)).await;
    let tls = l7_support::tls::connect(SocketAddr::new(vip, 443), "ws.test", &[b"http/1.1"])
        .await
        .unwrap();
    assert_eq!(upgrade_and_echo(tls.stream).await, "node-a");
    let head = &nodes.get("node-a").heads_starting("get /chat ")[0];
    assert!(head.contains("x-forwarded-proto: https\r\n"), "{head}");
}
