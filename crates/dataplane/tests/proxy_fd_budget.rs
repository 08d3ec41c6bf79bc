//! The descriptor budget on real loopback sockets: with room for three proxied connections,
//! a fourth is not accepted (it waits in the kernel's backlog, its bytes unanswered) until
//! one of the three closes, and then it is served; a new UDP flow past the budget is dropped
//! and counted.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use slb_dataplane::Protocol;
use slb_dataplane::fds::{TCP_CONNECTION_FDS, UDP_FLOW_FDS};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

#[tokio::test]
async fn past_the_budget_a_connection_waits_in_the_backlog_until_one_closes() {
    let h = Harness::with_fd_budget(3 * TCP_CONNECTION_FDS);
    let (echo, _) = echo_server("127.0.0.1").await;
    let proxy = h
        .apply(&[listener("fd", Protocol::Tcp, "127.0.0.1", &[(echo, 1)])])
        .await[0];
    let mut held = Vec::new();
    for n in 0..3u8 {
        let mut c = TcpStream::connect(proxy).await.unwrap();
        assert_eq!(echo_once(&mut c, &[n]).await.unwrap(), [n]);
        held.push(c);
    }
    let mut fourth = TcpStream::connect(proxy).await.unwrap();
    fourth.write_all(b"late").await.unwrap();
    let mut back = [0u8; 4];
    let early =
        tokio::time::timeout(Duration::from_millis(300), fourth.read_exact(&mut back)).await;
    assert!(
        early.is_err(),
        "a fourth connection was served within a budget of three"
    );
    h.wait_metric("slb_dataplane_fd_budget_waits_total", 1.0)
        .await;
    assert_eq!(
        h.metric("slb_dataplane_fds_in_use"),
        f64::from(3 * TCP_CONNECTION_FDS)
    );

    drop(held.remove(0));
    tokio::time::timeout(SOON, fourth.read_exact(&mut back))
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert_eq!(&back, b"late");
}

#[tokio::test]
async fn a_new_udp_flow_past_the_budget_is_dropped_and_counted() {
    // The smallest budget, one TCP connection's share: six flows of one descriptor each.
    let h = Harness::with_fd_budget(TCP_CONNECTION_FDS);
    let echo = udp_echo("127.0.0.1").await;
    let proxy = h
        .apply(&[listener("udp", Protocol::Udp, "127.0.0.1", &[(echo, 1)])])
        .await[0];
    let flows = TCP_CONNECTION_FDS / UDP_FLOW_FDS;
    let mut clients = Vec::new();
    for n in 0..flows {
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(&[n as u8], proxy).await.unwrap();
        let mut buf = [0u8; 16];
        let (len, _) = tokio::time::timeout(SOON, client.recv_from(&mut buf))
            .await
            .expect("a flow within the budget is answered")
            .unwrap();
        assert_eq!(&buf[..len], [n as u8]);
        clients.push(client);
    }
    let extra = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    extra.send_to(b"extra", proxy).await.unwrap();
    h.wait_metric(
        "slb_dataplane_connect_errors_total{listener=\"udp\",kind=\"fd_budget\"}",
        1.0,
    )
    .await;
}
