//! TCP backend selection over real loopback sockets: weights, hashing, health checks.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use slb_dataplane::{HealthCheckConfig, HealthCheckKind, HttpCodes, Protocol, Scheduler};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrr_splits_6000_connections_one_two_three() {
    let h = Harness::new();
    let mut backends = vec![];
    for (id, weight) in [(0u8, 10u8), (1, 20), (2, 30)] {
        let (addr, _) = id_server("127.0.0.1:0".parse().unwrap(), id).await;
        backends.push((addr, weight));
    }
    let mut l = listener("wrr", Protocol::Tcp, "127.0.0.1", &backends);
    l.scheduler = Scheduler::Wrr;
    let proxy = h.apply(&[l]).await[0];

    const CLIENTS: usize = 8;
    const PER_CLIENT: usize = 750;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(async move {
                let mut counts = [0usize; 3];
                for _ in 0..PER_CLIENT {
                    counts[usize::from(which_backend(proxy).await.unwrap())] += 1;
                }
                counts
            })
        })
        .collect();
    let mut total = [0usize; 3];
    for t in tasks {
        for (i, n) in t.await.unwrap().into_iter().enumerate() {
            total[i] += n;
        }
    }
    let all = (CLIENTS * PER_CLIENT) as f64;
    for (i, want) in [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0].into_iter().enumerate() {
        let share = total[i] as f64 / all;
        assert!(
            (share - want).abs() <= want * 0.05,
            "backend {i}: {share} vs {want} ({total:?})"
        );
    }
}

#[tokio::test]
async fn weight_zero_takes_no_new_connections_while_the_others_do() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    let (b, _) = id_server("127.0.0.1:0".parse().unwrap(), b'b').await;
    for scheduler in [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Wlc,
        Scheduler::Sch,
        Scheduler::Tch,
    ] {
        let mut l = listener("w0", Protocol::Tcp, "127.0.0.1", &[(a, 0), (b, 100)]);
        l.scheduler = scheduler;
        let proxy = h.apply(&[l]).await[0];
        for _ in 0..10 {
            assert_eq!(which_backend(proxy).await, Some(b'b'), "{scheduler:?}");
        }
    }
}

#[tokio::test]
async fn sch_pins_each_client_ip_to_one_backend() {
    let h = Harness::new();
    let mut backends = vec![];
    for id in 0..3u8 {
        backends.push((id_server("127.0.0.1:0".parse().unwrap(), id).await.0, 10));
    }
    let mut l = listener("sch", Protocol::Tcp, "127.0.0.1", &backends);
    l.scheduler = Scheduler::Sch;
    let proxy = h.apply(&[l]).await[0];
    let mut per_ip = vec![];
    for host in 10..20 {
        let ip = format!("127.0.0.{host}");
        let mut seen = vec![];
        for _ in 0..5 {
            let mut s = connect_from(&ip, proxy).await;
            seen.push(read_to_end(&mut s).await[0]);
        }
        assert!(seen.iter().all(|&b| b == seen[0]), "{ip} moved: {seen:?}");
        per_ip.push(seen[0]);
    }
    per_ip.sort_unstable();
    per_ip.dedup();
    assert!(per_ip.len() > 1, "every client IP hashed to one backend");
}

#[tokio::test]
async fn unhealthy_backend_is_ejected_and_returns_when_healthy() {
    let h = Harness::new();
    let (a, a_task) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    let (b, _) = id_server("127.0.0.1:0".parse().unwrap(), b'b').await;
    let mut l = listener("hc", Protocol::Tcp, "127.0.0.1", &[(a, 10), (b, 10)]);
    l.health_check = Some(HealthCheckConfig {
        kind: HealthCheckKind::Tcp,
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(200),
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        connect_port: None,
    });
    let proxy = h.apply(&[l]).await[0];

    a_task.abort();
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"hc\",kind=\"unhealthy\"}",
        1.0,
    )
    .await;
    for _ in 0..20 {
        assert_eq!(which_backend(proxy).await, Some(b'b'));
    }

    let (_, _a_again) = id_server(a, b'a').await;
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"hc\",kind=\"healthy\"}",
        1.0,
    )
    .await;
    let mut seen = vec![];
    for _ in 0..4 {
        seen.push(which_backend(proxy).await.unwrap());
    }
    assert!(seen.contains(&b'a') && seen.contains(&b'b'), "{seen:?}");
}

#[tokio::test]
async fn http_health_check_sends_host_and_accepts_only_listed_classes() {
    let h = Harness::new();
    let (backend, _) = id_server("127.0.0.1:0".parse().unwrap(), b'x').await;
    // The health endpoint answers 404 unless the Host header is right.
    let hc_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hc_port = hc_listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = hc_listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1024];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let ok = req.starts_with("GET /healthz ") && req.contains("Host: app.example\r\n");
                let line: &[u8] = if ok {
                    b"HTTP/1.1 200 OK\r\n\r\n"
                } else {
                    b"HTTP/1.1 404 Not Found\r\n\r\n"
                };
                let _ = s.write_all(line).await;
            });
        }
    });
    let hc = |domain: &str| HealthCheckConfig {
        kind: HealthCheckKind::Http {
            uri: "/healthz".into(),
            domain: Some(domain.into()),
            codes: HttpCodes::parse("http_2xx,http_3xx").unwrap(),
            method: slb_dataplane::ProbeMethod::Get,
            http11: false,
        },
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(200),
        healthy_threshold: 1,
        unhealthy_threshold: 1,
        connect_port: Some(hc_port),
    };
    let mut l = listener("http-hc", Protocol::Tcp, "127.0.0.1", &[(backend, 10)]);
    l.health_check = Some(hc("wrong.example"));
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"http-hc\",kind=\"unhealthy\"}",
        1.0,
    )
    .await;
    assert_eq!(which_backend(proxy).await, None);

    l.health_check = Some(hc("app.example"));
    h.apply(&[l]).await;
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"http-hc\",kind=\"healthy\"}",
        1.0,
    )
    .await;
    assert_eq!(which_backend(proxy).await, Some(b'x'));
}

/// A server that writes its id and then holds the connection open until the client leaves.
async fn holding_id_server(id: u8) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = s.write_all(&[id]).await;
                let mut sink = [0u8; 16];
                while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

#[tokio::test]
async fn wlc_sends_new_connections_where_open_connections_per_weight_are_fewest() {
    let h = Harness::new();
    let a = holding_id_server(b'a').await;
    let b = holding_id_server(b'b').await;
    let mut l = listener("wlc", Protocol::Tcp, "127.0.0.1", &[(a, 30), (b, 10)]);
    l.scheduler = Scheduler::Wlc;
    let proxy = h.apply(&[l]).await[0];
    let mut open = vec![];
    let mut counts = [0usize; 2];
    for _ in 0..8 {
        let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
        let mut id = [0u8; 1];
        s.read_exact(&mut id).await.unwrap();
        counts[usize::from(id[0] - b'a')] += 1;
        open.push(s);
    }
    // Held connections end up 3:1, the weight ratio.
    assert_eq!(counts, [6, 2]);
}
