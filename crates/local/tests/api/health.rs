//! DescribeHealthStatus through the signed HTTP API: one entry per (listener, member), from
//! the stored state when the data plane runs no probes (`normal` while the listener forwards
//! with health checks on, `unavailable` otherwise), narrowed by port, with the real
//! service's errors. In process, with a data plane whose probes are scripted: `normal`,
//! `abnormal` and `unavailable` come from the probes for the members it forwards to.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use slb_local::store::MemoryStore;
use slb_local::{
    DataPlane, Engine, HealthSource, LocalDataPlaneSnapshot, ProbeTarget, ProbedHealth,
};
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{ListenerProtocol, OnOff};

use crate::support::*;

fn health(lb: &str, port: Option<u16>) -> DescribeHealthStatusRequest {
    DescribeHealthStatusRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        ..Default::default()
    }
}

/// A CLB with a TCP listener on 80 over a group of i-node1 and i-node2.
async fn lb_with_listener(h: &Harness) -> String {
    let lb = create_lb(h, "health").await.load_balancer_id;
    let group = create_group(h, &lb).await;
    add(
        h,
        &group,
        vec![ecs("i-node1", 30080, 100), ecs("i-node2", 30080, 50)],
    )
    .await
    .unwrap();
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    lb
}

async fn statuses(h: &Harness, req: &DescribeHealthStatusRequest) -> Vec<(String, String)> {
    let resp = h.client.describe_health_status(req).await.unwrap();
    resp.backend_servers
        .into_iter()
        .map(|b| (b.server_id, b.server_health_status))
        .collect()
}

#[tokio::test]
async fn a_stopped_listener_reports_unavailable_and_a_running_one_normal() {
    let h = start().await;
    let lb = lb_with_listener(&h).await;
    let stopped = statuses(&h, &health(&lb, Some(80))).await;
    assert_eq!(
        stopped,
        vec![
            ("i-node1".into(), "unavailable".into()),
            ("i-node2".into(), "unavailable".into())
        ]
    );
    let start = StartListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    h.client.start_listener(&start).await.unwrap();
    let running = statuses(&h, &health(&lb, None)).await;
    assert_eq!(
        running,
        vec![
            ("i-node1".into(), "normal".into()),
            ("i-node2".into(), "normal".into())
        ]
    );
}

#[tokio::test]
async fn a_member_whose_instance_is_gone_reports_unavailable() {
    let h = start().await;
    let lb = lb_with_listener(&h).await;
    let start = StartListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    h.client.start_listener(&start).await.unwrap();
    let (status, _) = raw(
        h.addr,
        "POST",
        "LocalDeleteInstances",
        &[("InstanceIds", r#"["i-node2"]"#)],
    )
    .await;
    assert_eq!(status, 200);
    // The data plane cannot resolve it, so nothing is forwarded to it.
    assert_eq!(
        statuses(&h, &health(&lb, Some(80))).await,
        vec![
            ("i-node1".into(), "normal".into()),
            ("i-node2".into(), "unavailable".into())
        ]
    );
}

#[tokio::test]
async fn each_entry_carries_the_listener_the_member_and_a_string_weight() {
    let h = start().await;
    let lb = lb_with_listener(&h).await;
    let resp = h
        .client
        .describe_health_status(&health(&lb, Some(80)))
        .await
        .unwrap();
    let first = &resp.backend_servers[0];
    assert_eq!(
        (first.listener_port, first.protocol.as_str(), first.port),
        (80, "tcp", 30080)
    );
    assert_eq!(first.server_ip, "127.0.0.11");
    assert_eq!(first.weight, "100");
}

#[tokio::test]
async fn health_checks_switched_off_report_unavailable_while_running() {
    let h = start().await;
    let lb = create_lb(&h, "off").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    add(&h, &group, vec![ecs("i-node1", 30080, 100)])
        .await
        .unwrap();
    let mut create = tcp_listener(&lb, 80, &group);
    create.health_check_switch = Some(OnOff::Off);
    h.client.create_tcp_listener(&create).await.unwrap();
    let start = StartListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    h.client.start_listener(&start).await.unwrap();
    let got = statuses(&h, &health(&lb, Some(80))).await;
    assert_eq!(got, vec![("i-node1".into(), "unavailable".into())]);
}

#[tokio::test]
async fn an_unknown_port_is_an_empty_list_and_a_shared_port_needs_the_protocol() {
    let h = start().await;
    let lb = lb_with_listener(&h).await;
    assert!(statuses(&h, &health(&lb, Some(81))).await.is_empty());
    let group = create_group(&h, &lb).await;
    let udp = CreateUdpListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        vserver_group_id: Some(group),
        bandwidth: -1,
        ..Default::default()
    };
    h.client.create_udp_listener(&udp).await.unwrap();
    let ambiguous = h
        .client
        .describe_health_status(&health(&lb, Some(80)))
        .await;
    assert_code(ambiguous, "TooManyListeners", 400);
    let mut tcp = health(&lb, Some(80));
    tcp.listener_protocol = Some(ListenerProtocol::Tcp);
    assert_eq!(statuses(&h, &tcp).await.len(), 2);
}

#[tokio::test]
async fn an_unknown_load_balancer_is_not_found() {
    let h = start().await;
    let got = h
        .client
        .describe_health_status(&health("lb-nothere", None))
        .await;
    assert_code(got, "InvalidLoadBalancerId.NotFound", 404);
}

/// A data plane whose health checks answer what the test scripted, by (proxy-style listener
/// id, backend address); anything unscripted is undecided.
#[derive(Default)]
struct ScriptedProbes {
    verdicts: Mutex<HashMap<(String, SocketAddr), ProbedHealth>>,
}

impl ScriptedProbes {
    fn set(&self, listener: &str, backend: &str, health: ProbedHealth) {
        let key = (listener.to_owned(), backend.parse().unwrap());
        self.verdicts.lock().unwrap().insert(key, health);
    }
}

impl DataPlane for ScriptedProbes {
    fn apply(&self, _snapshot: LocalDataPlaneSnapshot) {}

    fn health_source(&self) -> Option<&dyn HealthSource> {
        Some(self)
    }
}

impl HealthSource for ScriptedProbes {
    fn probed_health(&self, t: &ProbeTarget<'_>) -> ProbedHealth {
        let listener = format!("{}/{}/{}", t.load_balancer_id, t.protocol, t.port);
        let verdicts = self.verdicts.lock().unwrap();
        verdicts
            .get(&(listener, t.addr))
            .copied()
            .unwrap_or(ProbedHealth::Undecided)
    }
}

/// An engine in process over `probes`, with a started TCP listener on 80 over i-node1
/// (127.0.0.11:30080) and i-node2 (127.0.0.12:30080): (engine, LB id).
async fn probed_lb(probes: Arc<ScriptedProbes>) -> (Arc<Engine>, String) {
    let engine =
        Arc::new(Engine::open(config(), Box::new(MemoryStore::default()), probes).unwrap());
    let lb = engine
        .create_load_balancer(&intranet("probed"))
        .await
        .unwrap()
        .load_balancer_id;
    let group = engine
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: lb.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .vserver_group_id;
    engine
        .add_vserver_group_backend_servers(&AddVServerGroupBackendServersRequest {
            vserver_group_id: group.clone(),
            backend_servers: vec![ecs("i-node1", 30080, 100), ecs("i-node2", 30080, 50)],
            ..Default::default()
        })
        .await
        .unwrap();
    engine
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    let start = StartListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    engine.start_listener(&start).await.unwrap();
    (engine, lb)
}

async fn probed_statuses(engine: &Engine, lb: &str) -> Vec<(String, String)> {
    let resp = engine
        .describe_health_status(&health(lb, None))
        .await
        .unwrap();
    resp.backend_servers
        .into_iter()
        .map(|b| (b.server_id, b.server_health_status))
        .collect()
}

#[tokio::test]
async fn with_probes_a_failing_member_is_abnormal_and_a_passing_one_normal() {
    let probes = Arc::new(ScriptedProbes::default());
    let (engine, lb) = probed_lb(Arc::clone(&probes)).await;
    let listener = format!("{lb}/tcp/80");
    probes.set(&listener, "127.0.0.11:30080", ProbedHealth::Healthy);
    probes.set(&listener, "127.0.0.12:30080", ProbedHealth::Unhealthy);
    assert_eq!(
        probed_statuses(&engine, &lb).await,
        vec![
            ("i-node1".into(), "normal".into()),
            ("i-node2".into(), "abnormal".into())
        ]
    );
}

#[tokio::test]
async fn with_probes_a_member_no_probe_has_decided_is_unavailable() {
    let probes = Arc::new(ScriptedProbes::default());
    let (engine, lb) = probed_lb(Arc::clone(&probes)).await;
    probes.set(
        &format!("{lb}/tcp/80"),
        "127.0.0.11:30080",
        ProbedHealth::Healthy,
    );
    assert_eq!(
        probed_statuses(&engine, &lb).await,
        vec![
            ("i-node1".into(), "normal".into()),
            ("i-node2".into(), "unavailable".into())
        ]
    );
}

#[tokio::test]
async fn with_probes_a_stopped_listener_is_unavailable_whatever_they_said() {
    let probes = Arc::new(ScriptedProbes::default());
    let (engine, lb) = probed_lb(Arc::clone(&probes)).await;
    let listener = format!("{lb}/tcp/80");
    probes.set(&listener, "127.0.0.11:30080", ProbedHealth::Healthy);
    probes.set(&listener, "127.0.0.12:30080", ProbedHealth::Unhealthy);
    let stop = StopListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    engine.stop_listener(&stop).await.unwrap();
    let got = probed_statuses(&engine, &lb).await;
    assert!(got.iter().all(|(_, s)| s == "unavailable"), "{got:?}");
}
