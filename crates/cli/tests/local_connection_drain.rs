//! `connection-drain` and `connection-drain-timeout` observed on real traffic (they act on
//! TCP and UDP listeners only: CLB's HTTP listeners have no such setting). A TCP Service is
//! applied by `slb-ccm apply` to `slb-ccm local serve`; a client keeps a connection open to
//! node-b; the Service is applied again without node-b (the node left the cluster), which
//! removes it from the vServer group. With draining on, the open connection keeps working
//! until the drain timeout and is closed then; with it off, it is closed at once.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use l7_support::{Nodes, Service, apply, serve};
use local_serve_support::LocalServe;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;

const PORT: u16 = 9100;

/// Sends one keep-alive GET and reads the answer: the answering node, or `None` when the
/// connection is closed (or nothing comes within 3 s).
async fn ask(conn: &mut BufReader<TcpStream>) -> Option<String> {
    let req = b"GET / HTTP/1.1\r\nhost: web\r\n\r\n";
    conn.get_mut().write_all(req).await.ok()?;
    let read = async {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if conn.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length: ") {
                length = v.trim().parse().ok()?;
            }
        }
        let mut body = vec![0u8; length];
        conn.read_exact(&mut body).await.ok()?;
        let body = String::from_utf8_lossy(&body).into_owned();
        Some(body.lines().next()?.to_owned())
    };
    tokio::time::timeout(Duration::from_secs(3), read)
        .await
        .ok()
        .flatten()
}

/// A TCP Service over node-a and node-b with `annotations`, then a kept-alive connection
/// that reached node-b, then the Service applied again without node-b.
async fn connection_to_a_removed_node(
    pool: &str,
    ips: [&str; 2],
    annotations: &[(&str, &str)],
) -> (LocalServe, SocketAddr, BufReader<TcpStream>) {
    let nodes = Nodes::start(&ips, 1).await;
    let server = serve(pool).await;
    let svc = Service::new(&[PORT], annotations);
    let vip = SocketAddr::new(apply(&server, &nodes, &svc).await, PORT);
    let conn = loop {
        let mut conn = BufReader::new(TcpStream::connect(vip).await.unwrap());
        if ask(&mut conn).await.as_deref() == Some("node-b") {
            break conn;
        }
    };
    let only_a = Nodes {
        nodes: vec![Arc::clone(&nodes.nodes[0])],
        ports: nodes.ports.clone(),
    };
    apply(&server, &only_a, &svc).await;
    (server, vip, conn)
}

#[tokio::test]
async fn connection_drain_on_keeps_a_removed_nodes_connection_until_the_drain_timeout() {
    let annotations = [
        ("connection-drain", "on"),
        ("connection-drain-timeout", "10"),
    ];
    let ips = ["127.10.71.1", "127.10.71.2"];
    let (_server, vip, mut conn) =
        connection_to_a_removed_node("127.9.71.0/24", ips, &annotations).await;
    let removed = Instant::now();
    assert_eq!(ask(&mut conn).await.as_deref(), Some("node-b"), "draining");
    let mut fresh = BufReader::new(TcpStream::connect(vip).await.unwrap());
    assert_eq!(ask(&mut fresh).await.as_deref(), Some("node-a"), "new ones");
    while ask(&mut conn).await.is_some() {
        assert!(removed.elapsed() < Duration::from_secs(16), "never closed");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let after = removed.elapsed();
    assert!(
        after >= Duration::from_secs(8),
        "closed after {after:?}, the drain timeout is 10 s"
    );
}

#[tokio::test]
async fn without_connection_drain_a_removed_nodes_connection_is_closed_at_once() {
    let ips = ["127.10.72.1", "127.10.72.2"];
    let (_server, _vip, mut conn) = connection_to_a_removed_node("127.9.72.0/24", ips, &[]).await;
    let removed = Instant::now();
    while ask(&mut conn).await.is_some() {
        assert!(removed.elapsed() < Duration::from_secs(3), "still open");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
