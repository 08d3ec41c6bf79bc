//! The health-check annotations of HTTP listeners, each observed on real traffic: a Service
//! carrying them is applied by `slb-ccm apply` to `slb-ccm local serve`, the nodes record the
//! probes they get (port, time, head, the status they answered), and the test checks the
//! probes and which node the requests to the VIP reach. Covered: `health-check-flag`,
//! `-uri`, `-domain`, `-method`, `-httpcode`, `-timeout`, `-connect-port`, `-interval`,
//! `healthy-threshold` and `unhealthy-threshold`.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use l7_support::{Nodes, Probe, Service, apply, get_text, serve};
use local_serve_support::LocalServe;
use tokio::time::Instant;

/// Long enough for any probe verdict in these tests (thresholds ≤ 3 at 1 s intervals).
const SETTLE: Duration = Duration::from_secs(20);

/// Applies an HTTP Service on port 80 with `annotations` (health checks on, probing
/// `/healthz` every second unless overridden) over nodes at `ips` with `ports` NodePorts.
async fn checked(
    pool: &str,
    ips: &[&str],
    ports: usize,
    annotations: &[(&str, &str)],
) -> (Nodes, LocalServe, SocketAddr) {
    let nodes = Nodes::start(ips, ports).await;
    let server = serve(pool).await;
    let mut all = vec![
        ("protocol-port", "http:80"),
        ("health-check-flag", "on"),
        ("health-check-uri", "/healthz"),
        ("health-check-interval", "1"),
    ];
    all.retain(|(k, _)| !annotations.iter().any(|(a, _)| a == k));
    all.extend_from_slice(annotations);
    let vip = apply(&server, &nodes, &Service::new(&[80], &all)).await;
    (nodes, server, SocketAddr::new(vip, 80))
}

/// The node that answered a GET to `/`.
async fn who(vip: SocketAddr) -> String {
    let (_, body) = get_text(&format!("http://{vip}/")).await;
    body.lines().next().unwrap().to_owned()
}

/// Waits (up to [`SETTLE`]) until `n` requests in a row reach only `node`.
async fn until_only(vip: SocketAddr, node: &str, n: usize) {
    let deadline = Instant::now() + SETTLE;
    let mut row = 0;
    while row < n {
        assert!(Instant::now() < deadline, "{node} never took all requests");
        row = if who(vip).await == node { row + 1 } else { 0 };
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to [`SETTLE`]) until `node` answers a request to the VIP.
async fn until_reached(vip: SocketAddr, node: &str) {
    let deadline = Instant::now() + SETTLE;
    while who(vip).await != node {
        assert!(Instant::now() < deadline, "{node} never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to [`SETTLE`]) for `n` probes on `node`.
async fn probes(nodes: &Nodes, node: &str, n: usize) -> Vec<Probe> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let got = nodes.get(node).probes();
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "{} probes on {node}", got.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn health_check_flag_on_probes_each_node_with_the_uri_domain_and_method() {
    let (nodes, _server, _vip) = checked(
        "127.9.21.0/24",
        &["127.10.21.1", "127.10.21.2"],
        1,
        &[
            ("health-check-domain", "hc.example"),
            ("health-check-method", "get"),
        ],
    )
    .await;
    for node in ["node-a", "node-b"] {
        let probe = &probes(&nodes, node, 1).await[0];
        assert!(
            probe.head.starts_with("get /healthz http/1.0\r\n"),
            "{probe:?}"
        );
        assert!(probe.head.contains("host: hc.example\r\n"), "{probe:?}");
    }
}

#[tokio::test]
async fn health_check_httpcode_lists_the_status_classes_that_count_as_healthy() {
    let (nodes, _server, vip) = checked(
        "127.9.22.0/24",
        &["127.10.22.1", "127.10.22.2"],
        1,
        &[
            ("health-check-httpcode", "http_2xx,http_3xx"),
            ("unhealthy-threshold", "2"),
        ],
    )
    .await;
    let start = Instant::now();
    nodes.get("node-a").health.store(302, Ordering::SeqCst);
    nodes.get("node-b").health.store(404, Ordering::SeqCst);
    until_only(vip, "node-a", 6).await;
    assert!(
        nodes.get("node-a").probes_since(start, 302) > 0,
        "node-a answered 302 and stays in"
    );
}

#[tokio::test]
async fn health_check_timeout_fails_a_node_that_answers_later() {
    let (nodes, _server, vip) = checked(
        "127.9.23.0/24",
        &["127.10.23.1", "127.10.23.2"],
        1,
        &[("health-check-timeout", "1"), ("unhealthy-threshold", "2")],
    )
    .await;
    nodes.get("node-b").health.store(0, Ordering::SeqCst);
    until_only(vip, "node-a", 6).await;
}

#[tokio::test]
async fn health_check_connect_port_sends_the_probes_to_that_port() {
    let nodes = Nodes::start(&["127.10.24.1"], 2).await;
    let probe_port = nodes.ports[1].to_string();
    let server = serve("127.9.24.0/24").await;
    let annotations = [
        ("protocol-port", "http:80"),
        ("health-check-flag", "on"),
        ("health-check-uri", "/healthz"),
        ("health-check-interval", "1"),
        ("health-check-connect-port", &probe_port),
    ];
    apply(&server, &nodes, &Service::new(&[80], &annotations)).await;
    let got = probes(&nodes, "node-a", 2).await;
    assert!(
        got.iter().all(|p| p.port == nodes.ports[1]),
        "probes on the connect port only, not the NodePort {}: {got:?}",
        nodes.ports[0]
    );
}

#[tokio::test]
async fn health_check_interval_spaces_the_probes() {
    let (nodes, _server, _vip) = checked(
        "127.9.25.0/24",
        &["127.10.25.1"],
        1,
        &[("health-check-interval", "2")],
    )
    .await;
    let got = probes(&nodes, "node-a", 4).await;
    for pair in got.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(1500) && gap <= Duration::from_millis(3500),
            "2 s apart: {gap:?}"
        );
    }
}

/// An HTTP Service over node-a and node-b probing every second with thresholds
/// unhealthy 3, healthy 2; both nodes take requests when it returns.
async fn thresholds(pool: &str, ips: [&str; 2]) -> (Nodes, LocalServe, SocketAddr) {
    let checked = checked(
        pool,
        &ips,
        1,
        &[("unhealthy-threshold", "3"), ("healthy-threshold", "2")],
    )
    .await;
    until_reached(checked.2, "node-b").await;
    checked
}

#[tokio::test]
async fn unhealthy_threshold_failed_probes_in_a_row_take_a_node_out() {
    let (nodes, _server, vip) = thresholds("127.9.26.0/24", ["127.10.26.1", "127.10.26.2"]).await;
    let failing = Instant::now();
    nodes.get("node-b").health.store(500, Ordering::SeqCst);
    until_only(vip, "node-a", 4).await;
    let failed = nodes.get("node-b").probes_since(failing, 500);
    assert!(
        (3..=4).contains(&failed),
        "out after {failed} failed probes"
    );
}

#[tokio::test]
async fn healthy_threshold_successful_probes_in_a_row_bring_a_node_back() {
    let (nodes, _server, vip) = thresholds("127.9.27.0/24", ["127.10.27.1", "127.10.27.2"]).await;
    nodes.get("node-b").health.store(500, Ordering::SeqCst);
    until_only(vip, "node-a", 4).await;
    let healing = Instant::now();
    nodes.get("node-b").health.store(200, Ordering::SeqCst);
    until_reached(vip, "node-b").await;
    let passed = nodes.get("node-b").probes_since(healing, 200);
    assert!((2..=3).contains(&passed), "back after {passed} good probes");
}
