//! TCP connection and listener lifecycle over real loopback sockets: draining, live
//! reconfiguration, idle timeout, stop/restart, rejected snapshots.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use slb_dataplane::config::DrainConfig;
use slb_dataplane::{BackendConfig, DataPlaneConfig, ListenerStatus, Protocol, Scheduler};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn drain_scenario(drain: DrainConfig) -> (TcpStream, tokio::time::Instant, Harness) {
    let h = Harness::new();
    let (a, _) = echo_server("127.0.0.1").await;
    let (b, _) = echo_server("127.0.0.1").await;
    let mut l = listener("drain", Protocol::Tcp, "127.0.0.1", &[(a, 10)]);
    l.drain = drain;
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    let mut conn = TcpStream::connect(proxy).await.unwrap();
    assert_eq!(echo_once(&mut conn, b"hello").await.unwrap(), b"hello");
    l.backends[0].addr = b;
    let start = tokio::time::Instant::now();
    h.apply(&[l]).await;
    (conn, start, h)
}

#[tokio::test]
async fn draining_keeps_a_removed_backends_connection_until_the_timeout() {
    let timeout = Duration::from_millis(300);
    let (mut conn, start, _h) = drain_scenario(DrainConfig {
        enabled: true,
        timeout,
    })
    .await;
    assert_eq!(echo_once(&mut conn, b"still").await.unwrap(), b"still");
    assert_eq!(read_to_end(&mut conn).await, b"");
    assert!(
        start.elapsed() >= timeout,
        "closed after {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn without_draining_a_removed_backends_connection_closes_at_once() {
    let drain = DrainConfig {
        enabled: false,
        timeout: Duration::from_secs(30),
    };
    let (mut conn, start, _h) = drain_scenario(drain).await;
    assert_eq!(read_to_end(&mut conn).await, b"");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn live_reconfiguration_keeps_connections_to_staying_backends() {
    let h = Harness::new();
    let (a, _) = echo_server("127.0.0.1").await;
    let (b, _) = id_server("127.0.0.1:0".parse().unwrap(), b'b').await;
    let mut l = listener("live", Protocol::Tcp, "127.0.0.1", &[(a, 10)]);
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    let mut conn = TcpStream::connect(proxy).await.unwrap();
    assert_eq!(echo_once(&mut conn, b"one").await.unwrap(), b"one");

    l.backends[0].weight = 50;
    l.backends.push(BackendConfig {
        addr: b,
        weight: 50,
    });
    l.scheduler = Scheduler::Wrr;
    assert_eq!(h.apply(std::slice::from_ref(&l)).await[0], proxy);
    assert_eq!(echo_once(&mut conn, b"two").await.unwrap(), b"two");
    // New connections now also reach the added backend.
    let mut seen_b = false;
    for _ in 0..4 {
        let mut s = TcpStream::connect(proxy).await.unwrap();
        s.shutdown().await.unwrap(); // the echo backend then closes too
        seen_b |= read_to_end(&mut s).await.first() == Some(&b'b');
    }
    assert!(seen_b);
    assert_eq!(echo_once(&mut conn, b"three").await.unwrap(), b"three");
}

#[tokio::test]
async fn idle_timeout_closes_quiet_connections_but_not_busy_ones() {
    let h = Harness::new();
    let (a, _) = echo_server("127.0.0.1").await;
    let idle = Duration::from_millis(300);
    let mut l = listener("idle", Protocol::Tcp, "127.0.0.1", &[(a, 10)]);
    l.idle_timeout = Some(idle);
    let proxy = h.apply(&[l]).await[0];

    let mut busy = TcpStream::connect(proxy).await.unwrap();
    let mut quiet = TcpStream::connect(proxy).await.unwrap();
    assert_eq!(echo_once(&mut quiet, b"q").await.unwrap(), b"q");
    let start = tokio::time::Instant::now();
    // Traffic every 50 ms keeps `busy` open well past the idle timeout.
    while start.elapsed() < idle * 2 {
        assert_eq!(echo_once(&mut busy, b"b").await.unwrap(), b"b");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(read_to_end(&mut quiet).await, b"");
    assert_eq!(echo_once(&mut busy, b"still").await.unwrap(), b"still");
}

#[tokio::test]
async fn stopped_or_removed_listeners_close_and_a_new_data_plane_restores_them() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    let mut l = listener("life", Protocol::Tcp, "127.0.0.5", &[(a, 10)]);
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    assert_eq!(which_backend(proxy).await, Some(b'a'));

    l.port = proxy.port();
    l.running = false;
    let status =
        h.dp.apply(DataPlaneConfig {
            listeners: vec![l.clone()],
        })
        .await
        .unwrap();
    assert_eq!(status.listeners["life"], ListenerStatus::Stopped);
    assert!(
        TcpStream::connect(proxy).await.is_err(),
        "stopped listener still accepts"
    );

    // A restart of the local CLB: the old data plane goes away, a new one gets the same config.
    h.dp.shutdown().await;
    drop(h);
    l.running = true;
    let h2 = Harness::new();
    assert_eq!(h2.apply(std::slice::from_ref(&l)).await[0], proxy);
    assert_eq!(which_backend(proxy).await, Some(b'a'));
    h2.apply(&[]).await;
    assert!(
        TcpStream::connect(proxy).await.is_err(),
        "removed listener still accepts"
    );
}

#[tokio::test]
async fn invalid_snapshot_is_rejected_whole_and_running_listeners_stay() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    let l = listener("keep", Protocol::Tcp, "127.0.0.1", &[(a, 10)]);
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    let mut bad = l.clone();
    bad.backends[0].weight = 200;
    let status =
        h.dp.apply(DataPlaneConfig {
            listeners: vec![bad],
        })
        .await
        .unwrap();
    assert_eq!(status.rejected.len(), 1);
    assert!(
        status.rejected[0].contains("weights must be 0-100"),
        "{:?}",
        status.rejected
    );
    assert_eq!(which_backend(proxy).await, Some(b'a'));
}
