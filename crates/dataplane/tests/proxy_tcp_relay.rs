//! TCP relaying over real loopback sockets: half-close, PROXY v2, hairpin refusal, upstream
//! connect failures, copying small messages and splicing bulk streams.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use slb_dataplane::tcp::{Connect, ConnectFuture};
use slb_dataplane::{DataPlane, Protocol, ppv2};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn half_close_from_the_client_reaches_the_backend_and_the_reply_still_arrives() {
    let h = Harness::new();
    let (a, _) = echo_server("127.0.0.1").await;
    let proxy = h
        .apply(&[listener("half", Protocol::Tcp, "127.0.0.1", &[(a, 10)])])
        .await[0];
    let mut conn = TcpStream::connect(proxy).await.unwrap();
    let payload = vec![7u8; 300_000];
    conn.write_all(&payload).await.unwrap();
    conn.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut conn).await, payload);
    h.wait_metric(
        "slb_dataplane_received_bytes_total{listener=\"half\"}",
        300_000.0,
    )
    .await;
    h.wait_metric(
        "slb_dataplane_sent_bytes_total{listener=\"half\"}",
        300_000.0,
    )
    .await;
}

#[tokio::test]
async fn proxy_protocol_v2_tells_the_backend_the_real_client_address() {
    let h = Harness::new();
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_addr = backend.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = backend.accept().await.unwrap();
        let mut buf = Vec::new();
        let (header, used) = loop {
            let mut chunk = [0u8; 256];
            let n = s.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            match ppv2::parse(&buf) {
                Ok(x) => break x,
                Err(ppv2::ParseError::Incomplete(_)) => {}
                Err(e) => panic!("{e}"),
            }
        };
        let ppv2::Header::Proxy {
            source,
            destination,
            ..
        } = header
        else {
            panic!("LOCAL")
        };
        let reply = format!(
            "{source} {destination} {}",
            String::from_utf8_lossy(&buf[used..])
        );
        s.write_all(reply.as_bytes()).await.unwrap();
    });
    let mut l = listener("pp", Protocol::Tcp, "127.0.0.1", &[(backend_addr, 10)]);
    l.proxy_protocol_v2 = true;
    let proxy = h.apply(&[l]).await[0];
    let mut conn = connect_from("127.0.0.7", proxy).await;
    let me = conn.local_addr().unwrap();
    conn.write_all(b"data").await.unwrap();
    let reply = String::from_utf8(read_to_end(&mut conn).await).unwrap();
    assert!(reply.starts_with(&format!("{me} {proxy} ")), "{reply}");
}

#[tokio::test]
async fn hairpin_connection_from_a_backend_ip_is_refused_and_counted() {
    let h = Harness::new();
    let (backend, _) = id_server("127.0.0.2:0".parse().unwrap(), b'k').await;
    let mut l = listener("hairpin", Protocol::Tcp, "127.0.0.1", &[(backend, 10)]);
    l.refuse_hairpin = true;
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];

    let mut from_backend = connect_from("127.0.0.2", proxy).await;
    assert_eq!(read_to_end(&mut from_backend).await, b"");
    assert_eq!(
        h.metric("slb_dataplane_hairpin_refusals_total{listener=\"hairpin\"}"),
        1.0
    );

    let mut from_elsewhere = connect_from("127.0.0.3", proxy).await;
    assert_eq!(read_to_end(&mut from_elsewhere).await, b"k");

    l.refuse_hairpin = false;
    h.apply(&[l]).await;
    let mut allowed = connect_from("127.0.0.2", proxy).await;
    assert_eq!(read_to_end(&mut allowed).await, b"k");
}

#[tokio::test]
async fn unreachable_backend_closes_the_client_and_counts_a_connect_error() {
    let h = Harness::new();
    let closed: SocketAddr = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let proxy = h
        .apply(&[listener(
            "refused",
            Protocol::Tcp,
            "127.0.0.1",
            &[(closed, 10)],
        )])
        .await[0];
    assert_eq!(which_backend(proxy).await, None);
    h.wait_metric(
        "slb_dataplane_connect_errors_total{listener=\"refused\",kind=\"refused\"}",
        1.0,
    )
    .await;
}

/// A dialer that never completes, standing in for a backend that drops SYNs.
struct BlackHole;

impl Connect for BlackHole {
    fn connect(&self, _addr: SocketAddr) -> ConnectFuture {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn connect_timeout_closes_the_client_and_counts_a_timeout() {
    let mut registry = Registry::default();
    let dp = DataPlane::spawn_with(&mut registry, Arc::new(BlackHole));
    let h = Harness { dp, registry };
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    let mut l = listener("blackhole", Protocol::Tcp, "127.0.0.1", &[(a, 10)]);
    l.connect_timeout = Duration::from_millis(50);
    let proxy = h.apply(&[l]).await[0];
    assert_eq!(which_backend(proxy).await, None);
    h.wait_metric(
        "slb_dataplane_connect_errors_total{listener=\"blackhole\",kind=\"timeout\"}",
        1.0,
    )
    .await;
}

/// Linux only: elsewhere the relay always copies.
#[cfg(target_os = "linux")]
mod copy_or_splice {
    use super::*;

    const SPLICED: &str = "slb_dataplane_spliced_bytes_total{listener=\"adaptive\"}";

    /// An echo listener named `adaptive` and a connection through it.
    async fn echo_connection(h: &Harness) -> TcpStream {
        let (a, _) = echo_server("127.0.0.1").await;
        let proxy = h
            .apply(&[listener("adaptive", Protocol::Tcp, "127.0.0.1", &[(a, 10)])])
            .await[0];
        let conn = TcpStream::connect(proxy).await.unwrap();
        conn.set_nodelay(true).unwrap();
        conn
    }

    /// `n` round trips of a 64-byte message.
    async fn ping(conn: &mut TcpStream, n: usize) {
        for i in 0..n {
            let msg = [u8::try_from(i % 251).unwrap(); 64];
            assert_eq!(echo_once(conn, &msg).await.unwrap(), msg);
        }
    }

    #[tokio::test]
    async fn small_request_response_messages_are_copied_not_spliced() {
        let h = Harness::new();
        let mut conn = echo_connection(&h).await;
        ping(&mut conn, 1000).await;
        h.wait_metric(
            "slb_dataplane_sent_bytes_total{listener=\"adaptive\"}",
            64_000.0,
        )
        .await;
        assert_eq!(h.metric(SPLICED), 0.0);
    }

    #[tokio::test]
    async fn a_bulk_stream_is_spliced_and_small_messages_after_it_are_copied_again() {
        let h = Harness::new();
        let conn = echo_connection(&h).await;
        let payload: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
        let (mut r, mut w) = conn.into_split();
        let sent = payload.clone();
        let writer = tokio::spawn(async move {
            w.write_all(&sent).await.unwrap();
            w
        });
        let mut back = vec![0u8; payload.len()];
        r.read_exact(&mut back).await.unwrap();
        assert!(back == payload, "the bulk stream came back altered");
        let mut conn = r.reunite(writer.await.unwrap()).unwrap();
        h.wait_metric(SPLICED, 1.0).await;

        ping(&mut conn, 10).await;
        let after_switch_back = h.metric(SPLICED);
        ping(&mut conn, 100).await;
        assert_eq!(h.metric(SPLICED), after_switch_back);
    }
}
