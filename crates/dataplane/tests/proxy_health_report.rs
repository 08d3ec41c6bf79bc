//! `DataPlaneHandle::backend_health` over real loopback sockets: the verdict the health
//! checker reached for each backend, as selection uses it.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use slb_dataplane::{BackendHealth, HealthCheckConfig, HealthCheckKind, Protocol};
use support::*;

fn tcp_check() -> HealthCheckConfig {
    HealthCheckConfig {
        kind: HealthCheckKind::Tcp,
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(200),
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        connect_port: None,
    }
}

#[tokio::test]
async fn a_backend_that_stops_listening_is_reported_unhealthy_and_its_peer_healthy() {
    let h = Harness::new();
    let (a, a_task) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    let (b, _) = id_server("127.0.0.1:0".parse().unwrap(), b'b').await;
    let mut l = listener("report", Protocol::Tcp, "127.0.0.1", &[(a, 10), (b, 10)]);
    l.health_check = Some(tcp_check());
    h.apply(&[l]).await;

    a_task.abort();
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"report\",kind=\"unhealthy\"}",
        1.0,
    )
    .await;
    assert_eq!(
        h.dp.backend_health("report", a),
        Some(BackendHealth::Unhealthy)
    );
    assert_eq!(
        h.dp.backend_health("report", b),
        Some(BackendHealth::Healthy)
    );
}

#[tokio::test]
async fn without_a_health_check_backends_stay_unchecked() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    h.apply(&[listener("plain", Protocol::Tcp, "127.0.0.1", &[(a, 10)])])
        .await;
    assert_eq!(
        h.dp.backend_health("plain", a),
        Some(BackendHealth::Unchecked)
    );
}

#[tokio::test]
async fn a_listener_that_is_not_running_has_no_report() {
    let h = Harness::new();
    let (a, _) = id_server("127.0.0.1:0".parse().unwrap(), b'a').await;
    h.apply(&[listener("gone", Protocol::Tcp, "127.0.0.1", &[(a, 10)])])
        .await;
    h.apply(&[]).await;
    assert_eq!(h.dp.backend_health("gone", a), None);
}
