//! UDP forwarding through real loopback sockets: echo, per-client flows, idle eviction,
//! PROXY v2 on datagrams and hairpin refusal.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use slb_dataplane::{Protocol, ppv2};
use support::*;
use tokio::net::UdpSocket;

async fn client(from: &str) -> UdpSocket {
    UdpSocket::bind(SocketAddr::new(ip(from), 0)).await.unwrap()
}

/// How long to wait for a datagram that must not come.
const SILENCE: Duration = Duration::from_millis(300);

async fn roundtrip(s: &UdpSocket, to: SocketAddr, msg: &[u8]) -> Option<Vec<u8>> {
    roundtrip_within(s, to, msg, SOON).await
}

async fn roundtrip_within(
    s: &UdpSocket,
    to: SocketAddr,
    msg: &[u8],
    wait: Duration,
) -> Option<Vec<u8>> {
    s.send_to(msg, to).await.unwrap();
    let mut buf = vec![0u8; 2048];
    match tokio::time::timeout(wait, s.recv_from(&mut buf)).await {
        Ok(Ok((n, from))) => {
            assert_eq!(from, to, "reply must come from the VIP");
            Some(buf[..n].to_vec())
        }
        _ => None,
    }
}

#[tokio::test]
async fn udp_echo_through_a_listener_with_one_flow_per_client() {
    let h = Harness::new();
    let echo = udp_echo("127.0.0.1").await;
    let proxy = h
        .apply(&[listener("udp", Protocol::Udp, "127.0.0.1", &[(echo, 10)])])
        .await[0];
    let (c1, c2) = (client("127.0.0.1").await, client("127.0.0.1").await);
    for i in 0..3u8 {
        assert_eq!(roundtrip(&c1, proxy, &[1, i]).await.unwrap(), [1, i]);
        assert_eq!(roundtrip(&c2, proxy, &[2, i]).await.unwrap(), [2, i]);
    }
    assert_eq!(
        h.metric("slb_dataplane_udp_flows_created_total{listener=\"udp\"}"),
        2.0
    );
    assert_eq!(
        h.metric("slb_dataplane_received_bytes_total{listener=\"udp\"}"),
        12.0
    );
}

#[tokio::test]
async fn idle_udp_flows_are_evicted_and_a_new_datagram_opens_a_new_flow() {
    let h = Harness::new();
    let echo = udp_echo("127.0.0.1").await;
    let mut l = listener("udp-idle", Protocol::Udp, "127.0.0.1", &[(echo, 10)]);
    l.udp_idle_timeout = Duration::from_millis(100);
    let proxy = h.apply(&[l]).await[0];
    let c = client("127.0.0.1").await;
    assert!(roundtrip(&c, proxy, b"a").await.is_some());
    h.wait_metric(
        "slb_dataplane_udp_flows_evicted_total{listener=\"udp-idle\",kind=\"idle\"}",
        1.0,
    )
    .await;
    assert!(roundtrip(&c, proxy, b"b").await.is_some());
    assert_eq!(
        h.metric("slb_dataplane_udp_flows_created_total{listener=\"udp-idle\"}"),
        2.0
    );
}

#[tokio::test]
async fn udp_proxy_protocol_v2_prefixes_each_datagram_with_the_client_address() {
    let h = Harness::new();
    let backend = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let backend_addr = backend.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        loop {
            let (n, from) = backend.recv_from(&mut buf).await.unwrap();
            let (hdr, used) = ppv2::parse(&buf[..n]).unwrap();
            let ppv2::Header::Proxy {
                source, transport, ..
            } = hdr
            else {
                panic!("LOCAL")
            };
            assert_eq!(transport, ppv2::Transport::Datagram);
            let reply = format!("{source}|{}", String::from_utf8_lossy(&buf[used..n]));
            backend.send_to(reply.as_bytes(), from).await.unwrap();
        }
    });
    let mut l = listener("udp-pp", Protocol::Udp, "127.0.0.1", &[(backend_addr, 10)]);
    l.proxy_protocol_v2 = true;
    let proxy = h.apply(&[l]).await[0];
    let c = client("127.0.0.9").await;
    let me = c.local_addr().unwrap();
    for msg in ["x", "y"] {
        let got = roundtrip(&c, proxy, msg.as_bytes()).await.unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), format!("{me}|{msg}"));
    }
}

#[tokio::test]
async fn udp_hairpin_flow_from_a_backend_ip_is_dropped_and_counted() {
    let h = Harness::new();
    let echo = udp_echo("127.0.0.2").await;
    let mut l = listener("udp-hairpin", Protocol::Udp, "127.0.0.1", &[(echo, 10)]);
    l.refuse_hairpin = true;
    let proxy = h.apply(&[l]).await[0];
    let from_backend = client("127.0.0.2").await;
    assert_eq!(
        roundtrip_within(&from_backend, proxy, b"no", SILENCE).await,
        None
    );
    assert_eq!(
        h.metric("slb_dataplane_hairpin_refusals_total{listener=\"udp-hairpin\"}"),
        1.0
    );
    assert_eq!(
        roundtrip(&client("127.0.0.3").await, proxy, b"yes")
            .await
            .unwrap(),
        b"yes"
    );
}

#[tokio::test]
async fn removing_a_udp_backend_without_draining_closes_its_flows() {
    let h = Harness::new();
    let (a, b) = (udp_echo("127.0.0.1").await, udp_echo("127.0.0.1").await);
    let mut l = listener("udp-rm", Protocol::Udp, "127.0.0.1", &[(a, 10)]);
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    let c = client("127.0.0.1").await;
    assert!(roundtrip(&c, proxy, b"1").await.is_some());
    l.backends[0].addr = b;
    h.apply(&[l]).await;
    h.wait_metric(
        "slb_dataplane_udp_flows_evicted_total{listener=\"udp-rm\",kind=\"backend_removed\"}",
        1.0,
    )
    .await;
    // The next datagram opens a fresh flow to the remaining backend.
    assert!(roundtrip(&c, proxy, b"2").await.is_some());
    assert_eq!(
        h.metric("slb_dataplane_udp_flows_created_total{listener=\"udp-rm\"}"),
        2.0
    );
}

#[tokio::test]
async fn udp_health_check_ejects_a_backend_that_does_not_answer_as_expected() {
    let h = Harness::new();
    let good = udp_echo("127.0.0.1").await;
    // Nothing listens here: the probe gets an ICMP port-unreachable.
    let dead = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut l = listener(
        "udp-hc",
        Protocol::Udp,
        "127.0.0.1",
        &[(dead, 10), (good, 10)],
    );
    l.health_check = Some(slb_dataplane::HealthCheckConfig {
        kind: slb_dataplane::HealthCheckKind::Udp {
            request: b"ping".to_vec(),
            expect: b"ping".to_vec(),
        },
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(400),
        healthy_threshold: 1,
        unhealthy_threshold: 1,
        connect_port: None,
    });
    let proxy = h.apply(&[l]).await[0];
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"udp-hc\",kind=\"unhealthy\"}",
        1.0,
    )
    .await;
    // Every new client flow now goes to the answering backend.
    for _ in 0..4 {
        let c = client("127.0.0.1").await;
        assert_eq!(roundtrip(&c, proxy, b"hi").await.unwrap(), b"hi");
    }
    assert_eq!(
        h.metric("slb_dataplane_health_transitions_total{listener=\"udp-hc\",kind=\"unhealthy\"}"),
        1.0
    );
}
