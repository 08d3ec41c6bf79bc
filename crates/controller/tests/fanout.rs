//! Targeted fan-out, measured from the controller's own `/metrics`: a Node event reconciles
//! only the Services whose backend set it changes, and costs exactly the backend calls of
//! the groups it changes. A heartbeat costs nothing; a node joining adds itself to the
//! Cluster-policy group only; a node leaving removes it from there only; a node going
//! NotReady touches the Services it was a backend of and nothing else. A burst of
//! EndpointSlice updates is coalesced into few reconciles that end in the last state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use std::collections::BTreeMap;
use support::{Harness, create_node, eventually, harness, service};

/// Cloud calls by action and reconciles, from `/metrics`.
#[derive(Debug, Clone, PartialEq)]
struct Counts {
    calls: BTreeMap<String, u64>,
    reconciles: u64,
}

async fn counts(h: &Harness) -> Counts {
    Counts {
        calls: h.calls_by_action().await,
        reconciles: h.reconciles().await,
    }
}

/// What happened between two readings: calls by action and reconciles.
fn delta(before: &Counts, after: &Counts) -> (BTreeMap<String, u64>, u64) {
    let calls = after
        .calls
        .iter()
        .map(|(a, n)| (a.clone(), n - before.calls.get(a).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    (calls, after.reconciles - before.reconciles)
}

/// Waits until the controller goes quiet, then reads the counts.
async fn settle(h: &Harness) -> Counts {
    support::settle(h).await;
    counts(h).await
}

async fn members(h: &Harness, id: &str) -> Vec<String> {
    let lb = h.cloud.observe(id).await.unwrap().unwrap();
    let mut ids: Vec<String> = lb.vserver_groups[0]
        .backend_servers
        .iter()
        .map(|b| b.server_id.clone())
        .collect();
    ids.sort();
    ids
}

fn instance(h: &Harness, node: &str) -> String {
    format!("i-local-{}-{node}", h.ns)
}

#[tokio::test]
async fn node_events_reconcile_only_the_services_whose_backends_they_change() {
    let h = harness("fanout").await;
    let services = h.services();
    let (label_key, own) = h.own_nodes();
    // "all": Cluster policy over this test's nodes. "pinned": only nodes labelled pin=<ns>
    // (node a). "local": Local policy with pods on nodes a and b.
    let pin = format!("pin={}", h.ns);
    for svc in [
        service(&h.ns, "all", false, &[(&label_key, &own)]),
        service(&h.ns, "pinned", false, &[(&label_key, &pin)]),
        service(&h.ns, "local", true, &[]),
    ] {
        services.create(&PostParams::default(), &svc).await.unwrap();
    }
    let nodes: Api<Node> = Api::all(h.client.clone());
    let label = serde_json::json!({"metadata": {"labels": {"pin": h.ns}}});
    nodes
        .patch(&h.nodes[0], &PatchParams::default(), &Patch::Merge(&label))
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("local", [1, 2, 0]))
        .await
        .unwrap();
    let all = h.clb_id("all").await;
    let pinned = h.clb_id("pinned").await;
    let local = h.clb_id("local").await;
    let (a, b, c, d) = (
        instance(&h, "a"),
        instance(&h, "b"),
        instance(&h, "c"),
        instance(&h, "d"),
    );
    eventually("every group filled", || async {
        (members(&h, &all).await == [a.clone(), b.clone(), c.clone()]
            && members(&h, &pinned).await == [a.clone()]
            && members(&h, &local).await == [a.clone(), b.clone()])
        .then_some(())
    })
    .await;
    let start = settle(&h).await;

    // A heartbeat: status churn that decides nothing.
    let heartbeat = serde_json::json!({"status": {"conditions": [{
        "type": "Ready", "status": "True",
        "lastHeartbeatTime": "2026-11-27T00:00:00Z", "reason": "KubeletReady"}]}});
    nodes
        .patch_status(
            &h.nodes[2],
            &PatchParams::default(),
            &Patch::Strategic(&heartbeat),
        )
        .await
        .unwrap();
    let after_heartbeat = settle(&h).await;
    assert_eq!(
        delta(&start, &after_heartbeat),
        (BTreeMap::new(), 0),
        "a heartbeat reconciles nothing and calls nothing"
    );

    // Node d joins: it belongs to "all" only (not pinned, hosts no pods of "local").
    create_node(&h.client, &h.ns, &format!("{}-d", h.ns), "127.0.0.64").await;
    eventually("d in the Cluster group", || async {
        members(&h, &all).await.contains(&d).then_some(())
    })
    .await;
    let after_join = settle(&h).await;
    assert_eq!(
        delta(&after_heartbeat, &after_join),
        (
            BTreeMap::from([("AddVServerGroupBackendServers".to_owned(), 1)]),
            1
        ),
        "joining costs one reconcile and one call"
    );
    assert_eq!(members(&h, &pinned).await, vec![a.clone()]);
    assert_eq!(members(&h, &local).await, [a.clone(), b.clone()]);

    // Node d leaves.
    nodes
        .delete(&format!("{}-d", h.ns), &DeleteParams::default())
        .await
        .unwrap();
    eventually("d out of the Cluster group", || async {
        (!members(&h, &all).await.contains(&d)).then_some(())
    })
    .await;
    let after_leave = settle(&h).await;
    assert_eq!(
        delta(&after_join, &after_leave),
        (
            BTreeMap::from([("RemoveVServerGroupBackendServers".to_owned(), 1)]),
            1
        ),
        "leaving costs one reconcile and one call"
    );

    // Node b goes NotReady: it leaves "all" and "local" (it hosts pods), not "pinned".
    let not_ready = serde_json::json!({"status": {"conditions": [{
        "type": "Ready", "status": "False", "reason": "KubeletNotReady"}]}});
    nodes
        .patch_status(
            &h.nodes[1],
            &PatchParams::default(),
            &Patch::Strategic(&not_ready),
        )
        .await
        .unwrap();
    eventually("b out of both groups", || async {
        (members(&h, &all).await == [a.clone(), c.clone()]
            && members(&h, &local).await == [a.clone()])
        .then_some(())
    })
    .await;
    let after_not_ready = settle(&h).await;
    assert_eq!(
        delta(&after_leave, &after_not_ready),
        (
            BTreeMap::from([("RemoveVServerGroupBackendServers".to_owned(), 2)]),
            2
        ),
        "NotReady costs the two groups it was in, one call each"
    );
    assert_eq!(members(&h, &pinned).await, vec![a.clone()]);
}

#[tokio::test]
async fn a_burst_of_endpoint_changes_is_coalesced_into_few_reconciles_ending_in_the_last_state() {
    let h = harness("burst").await;
    let services = h.services();
    services
        .create(&PostParams::default(), &service(&h.ns, "web", true, &[]))
        .await
        .unwrap();
    let slices: Api<EndpointSlice> = Api::namespaced(h.client.clone(), &h.ns);
    slices
        .create(&PostParams::default(), &h.slice("web", [1, 1, 1]))
        .await
        .unwrap();
    let id = h.clb_id("web").await;
    eventually("1:1:1", || async {
        (support::weights(&h.cloud, &id).await == [1, 1, 1]).then_some(())
    })
    .await;
    let start = settle(&h).await;

    // A rollout: twelve EndpointSlice updates as fast as the API server takes them.
    let mut last = [1, 1, 1];
    for step in 0..12 {
        last = [1 + step % 3, 2, 1 + step / 3];
        let mut current = slices.get("web-1").await.unwrap();
        current.endpoints = h.slice("web", last).endpoints;
        slices
            .replace("web-1", &PostParams::default(), &current)
            .await
            .unwrap();
    }
    let want: Vec<u32> = last.iter().map(|&p| p as u32).collect();
    eventually("the last weights", || async {
        (support::weights(&h.cloud, &id).await == want).then_some(())
    })
    .await;
    let end = settle(&h).await;
    let (calls, reconciles) = delta(&start, &end);
    eprintln!("burst of 12 slice updates: {reconciles} reconciles, calls {calls:?}");
    assert!(
        reconciles < 12,
        "{reconciles} reconciles for 12 updates: bursts are coalesced"
    );
    assert!(
        calls.values().sum::<u64>() <= reconciles * 2,
        "only backend calls, at most an add and a weight change per reconcile: {calls:?}"
    );
}

/// A node becomes Ready while the Service's first sync is still creating its CLB (every call
/// takes 300 ms): the change is not lost behind that sync, and the node joins the group.
#[tokio::test]
async fn a_node_change_that_lands_during_a_sync_is_applied_after_it() {
    let h = support::harness_with(
        "midsync",
        support::Options {
            local_yaml: "faults: { latency_ms: 300 }\n".into(),
            ..support::Options::default()
        },
    )
    .await;
    let nodes: Api<Node> = Api::all(h.client.clone());
    let ready = |status: &str| serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": status}]}});
    nodes
        .patch_status(
            &h.nodes[2],
            &PatchParams::default(),
            &Patch::Strategic(&ready("False")),
        )
        .await
        .unwrap();
    h.services()
        .create(&PostParams::default(), &service(&h.ns, "web", true, &[]))
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("web", [1, 1, 1]))
        .await
        .unwrap();
    // As soon as the CLB exists the sync is mid-way (group, listener and start still to
    // come, 300 ms each): node c becomes Ready now.
    eventually("the CLB to be created", || async {
        (!h.engine.state().load_balancers.is_empty()).then_some(())
    })
    .await;
    nodes
        .patch_status(
            &h.nodes[2],
            &PatchParams::default(),
            &Patch::Strategic(&ready("True")),
        )
        .await
        .unwrap();
    let id = h.clb_id("web").await;
    let c = instance(&h, "c");
    // Read the local CLB's state directly: describing through the 300 ms latency would make
    // a failure take minutes to report.
    eventually("node c in the group", || async {
        let state = h.engine.state();
        let group = state.load_balancers.get(&id)?.vserver_groups.first()?;
        group
            .backends
            .iter()
            .any(|b| b.server_id == c)
            .then_some(())
    })
    .await;
}
