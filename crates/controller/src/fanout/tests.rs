use super::*;
use k8s_openapi::api::core::v1::ServiceSpec;
use kube::runtime::reflector;
use kube::runtime::watcher::Event;

fn node(name: &str, ready: &str, heartbeat_secs: u32) -> Node {
    let heartbeat = serde_json::from_value(serde_json::json!(format!(
        "2026-01-01T00:00:{heartbeat_secs:02}Z"
    )))
    .ok();
    Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            resource_version: Some(heartbeat_secs.to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec::default()),
        status: Some(NodeStatus {
            conditions: Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: ready.into(),
                last_heartbeat_time: heartbeat,
                ..NodeCondition::default()
            }]),
            ..NodeStatus::default()
        }),
    }
}

/// A fan-out over one Cluster-policy LoadBalancer Service `default/web`.
fn fanout() -> NodeFanout {
    let (services, mut writer) = reflector::store::<Service>();
    writer.apply_watcher_event(&Event::Apply(Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("default".into()),
            uid: Some("u-1".into()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            ..ServiceSpec::default()
        }),
        status: None,
    }));
    let (slices, _) = reflector::store::<EndpointSlice>();
    let mut cluster = ClusterContext::new("c1", "cn-hangzhou", "vpc-1");
    cluster.local_mode = true;
    NodeFanout::new(services, slices, cluster, Arc::default())
}

fn names(refs: &[ObjectRef<Service>]) -> Vec<String> {
    refs.iter().map(|r| r.name.clone()).collect()
}

#[test]
fn the_first_list_only_records_nodes_because_every_service_is_reconciled_at_start() {
    let f = fanout();
    assert!(f.on_event(&Event::Init).is_empty());
    assert!(
        f.on_event(&Event::InitApply(node("a", "True", 1)))
            .is_empty()
    );
    assert!(f.on_event(&Event::InitDone).is_empty());
}

#[test]
fn heartbeats_reconcile_nothing_and_eligibility_changes_reconcile_the_service() {
    let f = fanout();
    f.on_event(&Event::Init);
    f.on_event(&Event::InitApply(node("a", "True", 1)));
    f.on_event(&Event::InitDone);
    assert!(f.on_event(&Event::Apply(node("a", "True", 2))).is_empty());
    assert_eq!(
        names(&f.on_event(&Event::Apply(node("a", "False", 3)))),
        ["web"]
    );
    assert_eq!(
        names(&f.on_event(&Event::Apply(node("b", "True", 3)))),
        ["web"],
        "a new Ready node joins the Cluster-policy Service"
    );
    assert_eq!(
        names(&f.on_event(&Event::Delete(node("b", "True", 4)))),
        ["web"]
    );
    assert!(
        f.on_event(&Event::Delete(node("a", "False", 4))).is_empty(),
        "a NotReady node leaving changes no backend set"
    );
}

#[test]
fn a_relist_reports_nodes_deleted_while_the_watch_was_down() {
    let f = fanout();
    f.on_event(&Event::Init);
    f.on_event(&Event::InitApply(node("a", "True", 1)));
    f.on_event(&Event::InitApply(node("b", "True", 1)));
    f.on_event(&Event::InitDone);
    // The watch broke; on relist only b is there, unchanged.
    f.on_event(&Event::Init);
    assert!(
        f.on_event(&Event::InitApply(node("b", "True", 9)))
            .is_empty()
    );
    assert_eq!(names(&f.on_event(&Event::InitDone)), ["web"], "a is gone");
}

#[test]
fn a_heartbeat_leaves_the_trimmed_node_unchanged_and_readiness_does_not() {
    let first = trimmed(&node("n", "True", 1));
    assert_eq!(first, trimmed(&node("n", "True", 2)));
    assert_ne!(first, trimmed(&node("n", "False", 2)));
}
