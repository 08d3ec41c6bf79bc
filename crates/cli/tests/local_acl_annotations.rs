//! The ACL annotations (`acl-status`, `acl-id`, `acl-type`) observed on real traffic on every
//! listener kind: the ACL is created through the signed API, a Service naming it is applied
//! by `slb-ccm apply` to `slb-ccm local serve`, and clients from two loopback sources
//! (127.0.0.1 and 127.0.0.9) show who gets through on HTTP, HTTPS, TCP and UDP listeners.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use l7_support::{Nodes, Service, apply, serve};
use local_serve_support::{LocalServe, acl_with_entry};
use slb_openapi::Clb;
use slb_openapi::clb::UploadServerCertificateRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, UdpSocket};

/// A client source outside the ACL.
const OTHER: [u8; 4] = [127, 0, 0, 1];
/// The client source the ACL lists.
const LISTED: [u8; 4] = [127, 0, 0, 9];

/// A server, one node, and an ACL holding `127.0.0.9/32`: (nodes, server, ACL id).
async fn with_acl(pool: &str, ip: &str) -> (Nodes, LocalServe, String) {
    let nodes = Nodes::start(&[ip], 1).await;
    let server = serve(pool).await;
    let acl = acl_with_entry(&server.client(), "nine", "127.0.0.9/32").await;
    (nodes, server, acl)
}

/// The status of a GET to `url` from `from`, or `None` when the connection is refused.
async fn status_from(from: [u8; 4], url: &str) -> Option<u16> {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::from(from))
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    Some(client.get(url).send().await.ok()?.status().as_u16())
}

/// What a TCP client from `from` reads back after sending one HTTP request (empty when the
/// listener closes it first).
async fn tcp_from(from: [u8; 4], to: SocketAddr) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    let mut conn = socket.connect(to).await.unwrap();
    let _ = conn
        .write_all(b"GET / HTTP/1.1\r\nhost: web\r\nconnection: close\r\n\r\n")
        .await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), conn.read_to_end(&mut out));
    let _ = read.await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn acl_type_white_on_an_http_listener_admits_only_the_acls_cidrs() {
    let (nodes, server, acl) = with_acl("127.9.41.0/24", "127.10.41.1").await;
    let annotations = [
        ("protocol-port", "http:80"),
        ("acl-status", "on"),
        ("acl-id", acl.as_str()),
        ("acl-type", "white"),
    ];
    let vip = apply(&server, &nodes, &Service::new(&[80], &annotations)).await;
    let url = format!("http://{vip}/");
    assert_eq!(status_from(LISTED, &url).await, Some(200));
    assert_eq!(status_from(OTHER, &url).await, None, "not on the list");
    assert_eq!(nodes.get("node-a").hits(), 1);
}

#[tokio::test]
async fn acl_type_black_on_an_https_listener_refuses_the_acls_cidrs() {
    let (nodes, server, acl) = with_acl("127.9.42.0/24", "127.10.42.1").await;
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
    let annotations = [
        ("protocol-port", "https:443"),
        ("cert-id", cert.as_str()),
        ("acl-status", "on"),
        ("acl-id", acl.as_str()),
        ("acl-type", "black"),
    ];
    let vip = apply(&server, &nodes, &Service::new(&[443], &annotations)).await;
    let url = format!("https://{vip}/");
    assert_eq!(status_from(LISTED, &url).await, None, "on the black list");
    assert_eq!(status_from(OTHER, &url).await, Some(200));
}

#[tokio::test]
async fn acl_status_off_leaves_the_named_list_unenforced() {
    let (nodes, server, acl) = with_acl("127.9.43.0/24", "127.10.43.1").await;
    let annotations = [
        ("protocol-port", "http:80"),
        ("acl-status", "off"),
        ("acl-id", acl.as_str()),
        ("acl-type", "black"),
    ];
    let vip = apply(&server, &nodes, &Service::new(&[80], &annotations)).await;
    let url = format!("http://{vip}/");
    assert_eq!(status_from(LISTED, &url).await, Some(200));
}

#[tokio::test]
async fn acl_type_white_on_a_tcp_listener_admits_only_the_acls_cidrs() {
    let (nodes, server, acl) = with_acl("127.9.44.0/24", "127.10.44.1").await;
    let annotations = [
        ("acl-status", "on"),
        ("acl-id", acl.as_str()),
        ("acl-type", "white"),
    ];
    let vip = apply(&server, &nodes, &Service::new(&[9000], &annotations)).await;
    let to = SocketAddr::new(vip, 9000);
    let admitted = tcp_from(LISTED, to).await;
    assert!(admitted.starts_with("HTTP/1.1 200"), "{admitted:?}");
    assert!(
        !admitted.contains("x-forwarded-for"),
        "a TCP listener passes the bytes through: {admitted:?}"
    );
    assert_eq!(tcp_from(OTHER, to).await, "", "closed before any byte");
}

#[tokio::test]
async fn acl_type_black_on_a_udp_listener_drops_datagrams_from_the_acls_cidrs() {
    let nodes = Nodes::start(&["127.10.45.1"], 1).await;
    let echo = UdpSocket::bind(("127.10.45.1", nodes.ports[0]))
        .await
        .unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = echo.recv_from(&mut buf).await {
            let _ = echo.send_to(&buf[..n], peer).await;
        }
    });
    let server: LocalServe = serve("127.9.45.0/24").await;
    let acl = acl_with_entry(&server.client(), "nine", "127.0.0.9/32").await;
    let annotations = [
        ("acl-status", "on"),
        ("acl-id", acl.as_str()),
        ("acl-type", "black"),
    ];
    let svc = Service {
        protocol: "UDP",
        ..Service::new(&[5353], &annotations)
    };
    let vip = SocketAddr::new(apply(&server, &nodes, &svc).await, 5353);
    assert_eq!(udp_from(OTHER, vip).await.as_deref(), Some(&b"ping"[..]));
    assert_eq!(udp_from(LISTED, vip).await, None, "dropped");
}

/// The echo of `ping` sent from `from`, retried for up to 5 s (the listener may still be
/// starting); `None` when nothing comes back.
async fn udp_from(from: [u8; 4], to: SocketAddr) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind(SocketAddr::from((from, 0))).await.unwrap();
    for _ in 0..10 {
        socket.send_to(b"ping", to).await.unwrap();
        let mut buf = [0u8; 64];
        let got = tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buf)).await;
        if let Ok(Ok(n)) = got {
            return Some(buf[..n].to_vec());
        }
    }
    None
}
