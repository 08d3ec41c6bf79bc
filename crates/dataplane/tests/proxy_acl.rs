//! ACLs on every listener kind over real loopback sockets: a white list admits only its
//! networks, a black list refuses its networks, for TCP, UDP and HTTP alike, and a changed
//! list applies to the next connection.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use slb_dataplane::{AclConfig, AclKind, ListenerConfig, Protocol};
use support::web::Backend;
use support::*;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

fn with_acl(mut l: ListenerConfig, kind: AclKind, cidrs: &[&str]) -> ListenerConfig {
    l.acl = Some(AclConfig {
        kind,
        cidrs: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
    });
    l
}

/// Connects from `from` and reads what the backend says; `None` when the proxy closed the
/// connection without forwarding it.
async fn tcp_from(from: &str, to: SocketAddr) -> Option<Vec<u8>> {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(ip(from), 0)).unwrap();
    let mut s: TcpStream = sock.connect(to).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(SOON, s.read_to_end(&mut buf))
        .await
        .unwrap()
        .ok()?;
    (!buf.is_empty()).then_some(buf)
}

#[tokio::test]
async fn a_white_list_on_a_tcp_listener_admits_only_its_networks() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), 7).await;
    let l = with_acl(
        listener("white", Protocol::Tcp, "127.0.0.1", &[(a, 10)]),
        AclKind::White,
        &["127.0.0.1/32"],
    );
    let proxy = h.apply(&[l]).await[0];
    assert_eq!(tcp_from("127.0.0.1", proxy).await, Some(vec![7]));
    assert_eq!(tcp_from("127.0.0.5", proxy).await, None);
    h.wait_metric("slb_dataplane_acl_refusals_total{listener=\"white\"}", 1.0)
        .await;
}

#[tokio::test]
async fn a_changed_list_applies_to_the_next_connection() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), 7).await;
    let open = listener("change", Protocol::Tcp, "127.0.0.1", &[(a, 10)]);
    let proxy = h.apply(std::slice::from_ref(&open)).await[0];
    assert_eq!(tcp_from("127.0.0.6", proxy).await, Some(vec![7]));
    let closed = with_acl(open, AclKind::Black, &["127.0.0.0/29"]);
    h.apply(&[closed]).await;
    assert_eq!(tcp_from("127.0.0.6", proxy).await, None);
    assert_eq!(tcp_from("127.0.0.9", proxy).await, Some(vec![7]));
}

#[tokio::test]
async fn a_black_list_on_a_udp_listener_drops_datagrams_from_its_networks() {
    let h = Harness::new();
    let echo = udp_echo("127.0.0.1").await;
    let l = with_acl(
        listener("udp", Protocol::Udp, "127.0.0.1", &[(echo, 10)]),
        AclKind::Black,
        &["127.0.0.7"],
    );
    let proxy = h.apply(&[l]).await[0];
    for (from, answered) in [("127.0.0.8", true), ("127.0.0.7", false)] {
        let s = UdpSocket::bind(SocketAddr::new(ip(from), 0)).await.unwrap();
        s.send_to(b"ping", proxy).await.unwrap();
        let mut buf = [0u8; 16];
        let got = tokio::time::timeout(Duration::from_millis(500), s.recv_from(&mut buf)).await;
        assert_eq!(got.is_ok(), answered, "from {from}");
    }
}

#[tokio::test]
async fn a_white_list_on_an_http_listener_closes_other_clients_before_any_request() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let l = with_acl(
        listener("http", Protocol::Http, "127.0.0.1", &[(a.addr, 10)]),
        AclKind::White,
        &["127.0.0.1"],
    );
    let proxy = h.apply(&[l]).await[0];
    assert_eq!(support::web::get(proxy, "/", &[]).await.backend(), "a");
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(ip("127.0.0.9"), 0)).unwrap();
    let mut s = sock.connect(proxy).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut s, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        .await
        .ok();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(SOON, s.read_to_end(&mut out)).await;
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    assert_eq!(
        a.connections(),
        1,
        "only the admitted client's request went through"
    );
}
