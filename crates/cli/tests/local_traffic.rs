//! `slb-ccm local serve` carries real traffic: a CLB configured through the signed OpenAPI
//! forwards TCP connections on its VIP to three backends with the 1:2:3 weights of the FAQ's
//! example, and after the server is stopped and started again on the same state file the
//! listener is back and traffic flows with no further API call. `--metrics-addr` exports the
//! API's requests and the data plane's connections.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use slb_openapi::clb::{CreateTcpListenerRequest, StartListenerRequest};
use slb_openapi::types::Scheduler;
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

mod local_serve_support;
use local_serve_support::{
    LocalServe, ServeArgs, free_addr, internet_lb, lb_with_group, scrape, start,
    wait_until_listening,
};

const ID: &str = "traffic-id";
const SECRET: &str = "traffic-secret";
const CONNECTIONS: usize = 1200;

/// Three "nodes" on 127.0.0.31–33 sharing one port (a NodePort), each answering its name.
async fn backends() -> u16 {
    let first = TcpListener::bind("127.0.0.31:0").await.unwrap();
    let port = first.local_addr().unwrap().port();
    let mut listeners = vec![("node-a", first)];
    for (name, ip) in [("node-b", "127.0.0.32"), ("node-c", "127.0.0.33")] {
        listeners.push((name, TcpListener::bind((ip, port)).await.unwrap()));
    }
    for (name, listener) in listeners {
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = conn.write_all(name.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
    }
    port
}

/// The server with state and config in `dir`, VIPs from 127.3.0.0/24, metrics on `metrics`.
async fn spawn_server(dir: &Path, metrics: SocketAddr) -> LocalServe {
    let config = "instances:\n\
                  - { InstanceId: i-a, PrivateIpAddress: 127.0.0.31 }\n\
                  - { InstanceId: i-b, PrivateIpAddress: 127.0.0.32 }\n\
                  - { InstanceId: i-c, PrivateIpAddress: 127.0.0.33 }\n";
    let args = ServeArgs::new(ID, SECRET)
        .state(dir.join("state.db"))
        .config_text(dir, config)
        .flag("--vip-pool", "127.3.0.0/24")
        .flag("--metrics-addr", metrics.to_string());
    start(args).await
}

/// Sum of the series starting with `prefix` whose line contains `needle`.
fn series(text: &str, prefix: &str, needle: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(prefix) && l.contains(needle))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// Creates an internet CLB with a wrr TCP listener on port 80 over i-a:i-b:i-c = 1:2:3.
async fn configure(api: &HttpClient, node_port: u16) -> SocketAddr {
    let (lb, group) = lb_with_group(
        api,
        &internet_lb(),
        "k8s/30080/web/default/local",
        &[("i-a", 1), ("i-b", 2), ("i-c", 3)],
        node_port,
    )
    .await;
    api.create_tcp_listener(&CreateTcpListenerRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        listener_port: 80,
        vserver_group_id: Some(group),
        bandwidth: -1,
        scheduler: Some(Scheduler::Wrr),
        ..Default::default()
    })
    .await
    .unwrap();
    api.start_listener(&StartListenerRequest {
        load_balancer_id: lb.load_balancer_id,
        listener_port: 80,
        ..Default::default()
    })
    .await
    .unwrap();
    SocketAddr::new(lb.address.parse().unwrap(), 80)
}

/// Opens `n` connections to the VIP one after another and counts who answered.
async fn split(vip: SocketAddr, n: usize) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for _ in 0..n {
        let mut conn = TcpStream::connect(vip).await.unwrap();
        let mut name = String::new();
        conn.read_to_string(&mut name).await.unwrap();
        *seen.entry(name).or_insert(0) += 1;
    }
    seen
}

fn assert_one_two_three(seen: &BTreeMap<String, usize>) {
    let total: usize = seen.values().sum();
    for (name, share) in [
        ("node-a", 1.0 / 6.0),
        ("node-b", 2.0 / 6.0),
        ("node-c", 3.0 / 6.0),
    ] {
        let got = *seen.get(name).unwrap_or(&0) as f64 / total as f64;
        assert!(
            (got - share).abs() <= share * 0.05,
            "{name}: {got:.3} of traffic, want {share:.3} ±5%: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_configured_listener_forwards_with_weights_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node_port = backends().await;

    let metrics = free_addr();
    let mut server = spawn_server(dir.path(), metrics).await;
    let vip = configure(&server.client(), node_port).await;
    wait_until_listening(vip).await;
    assert_one_two_three(&split(vip, CONNECTIONS).await);
    let text = scrape(metrics).await;
    assert_eq!(
        series(
            &text,
            "slb_local_api_requests_total{",
            "action=\"CreateLoadBalancer\",code=\"ok\""
        ),
        1,
        "{text}"
    );
    assert!(
        series(&text, "slb_dataplane_connections_total", "") >= CONNECTIONS as u64,
        "{text}"
    );
    assert_eq!(
        series(&text, "slb_local_dataplane_committed_version", ""),
        5,
        "five writes changed forwarding: {text}"
    );
    assert_eq!(
        series(&text, "slb_local_dataplane_published_version", ""),
        5,
        "the data plane carries traffic, so the snapshot holding the last write is in: {text}"
    );

    // SIGTERM: the server stops and takes its listeners with it.
    Command::new("kill")
        .arg(server.child.id().unwrap().to_string())
        .status()
        .await
        .unwrap();
    assert!(
        server.child.wait().await.unwrap().success(),
        "clean exit on SIGTERM"
    );
    assert!(
        TcpStream::connect(vip).await.is_err(),
        "the VIP closed with the server"
    );

    // Restart on the same state: the listener comes back by itself.
    let _server = spawn_server(dir.path(), free_addr()).await;
    wait_until_listening(vip).await;
    assert_one_two_three(&split(vip, CONNECTIONS).await);
}
