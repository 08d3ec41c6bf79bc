//! Changes made behind the controller's back, through the whole controller (real API
//! server, local CLB) — issue 14 item 11:
//! - a CLB deleted in the console: the cached observation is dropped at the first cloud
//!   NotFound, the user gets a Warning saying the CLB was deleted outside the cluster with
//!   the commands that make a new one, and running them does make a new one;
//! - a backend weight changed in the console is reverted when the user next edits the
//!   Service, which re-observes the CLB once; endpoint changes keep planning from the cache;
//! - a Local-policy endpoint without `nodeName` gets a Warning naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use slb_controller::service_writes::LB_ID_LABEL;
use slb_openapi::Clb;
use slb_openapi::clb::{
    DeleteLoadBalancerRequest, SetLoadBalancerDeleteProtectionRequest,
    SetVServerGroupAttributeRequest,
};
use slb_openapi::types::{BackendServer, OnOff};
use std::collections::BTreeMap;
use support::{Harness, eventually, harness, service, settle, weights};

/// Creates Local-policy Service `web` with `pods` per node and waits for its weights.
async fn local_web(h: &Harness, pods: [usize; 3]) -> String {
    h.services()
        .create(&PostParams::default(), &service(&h.ns, "web", true, &[]))
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("web", pods))
        .await
        .unwrap();
    let id = h.clb_id("web").await;
    let want: Vec<u32> = pods.iter().map(|p| u32::try_from(*p).unwrap()).collect();
    eventually("the pod-count weights", || async {
        (weights(&h.cloud, &id).await == want).then_some(())
    })
    .await;
    id
}

/// Sets node a's weight in CLB `id`'s group to `weight`, as a console user would.
async fn console_weight(h: &Harness, id: &str, weight: u32) {
    let lb = h.cloud.observe(id).await.unwrap().unwrap();
    let group = &lb.vserver_groups[0];
    let member = group
        .backend_servers
        .iter()
        .find(|b| b.server_id.ends_with("-a"))
        .unwrap();
    h.engine
        .set_vserver_group_attribute(&SetVServerGroupAttributeRequest {
            vserver_group_id: group.vserver_group_id.clone(),
            backend_servers: Some(vec![BackendServer {
                server_id: member.server_id.clone(),
                port: Some(member.port),
                weight: Some(weight),
                ..Default::default()
            }]),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// Calls made between `before` and `after`, by action, describes only.
fn describes(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> u64 {
    after
        .iter()
        .filter(|(a, _)| a.starts_with("Describe"))
        .map(|(a, n)| n - before.get(a).copied().unwrap_or(0))
        .sum()
}

/// Adds an annotation that changes nothing on the CLB: a plain edit of the Service.
async fn edit_service(h: &Harness, value: &str) {
    let patch =
        serde_json::json!({ "metadata": { "annotations": { "example.com/owner": value } } });
    h.services()
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_console_weight_is_reverted_by_the_next_edit_of_the_service_with_one_observation() {
    let h = harness("console-w").await;
    let id = local_web(&h, [1, 2, 3]).await;
    settle(&h).await;
    console_weight(&h, &id, 50).await;
    assert_eq!(weights(&h.cloud, &id).await, [50, 2, 3]);

    // An endpoint change plans from the cache: no describe.
    let before = h.calls_by_action().await;
    let slices: Api<EndpointSlice> = Api::namespaced(h.client.clone(), &h.ns);
    let mut scaled = slices.get("web-1").await.unwrap();
    scaled.endpoints = h.slice("web", [1, 2, 1]).endpoints;
    slices
        .replace("web-1", &PostParams::default(), &scaled)
        .await
        .unwrap();
    eventually("node c's weight 1", || async {
        (weights(&h.cloud, &id).await[2] == 1).then_some(())
    })
    .await;
    settle(&h).await;
    let after = h.calls_by_action().await;
    assert_eq!(describes(&before, &after), 0, "{before:?} → {after:?}");

    // The user's edit re-observes the CLB and restores the weight.
    edit_service(&h, "team-a").await;
    eventually("node a's weight back to 1", || async {
        (weights(&h.cloud, &id).await == [1, 2, 1]).then_some(())
    })
    .await;
    settle(&h).await;
    let edited = h.calls_by_action().await;
    assert_eq!(
        describes(&after, &edited),
        4,
        "one observation: attribute, listeners, groups, the group's members: {after:?} → {edited:?}"
    );
}

#[tokio::test]
async fn a_clb_deleted_in_the_console_gets_a_warning_whose_commands_make_a_new_one() {
    let h = harness("console-d").await;
    let old = local_web(&h, [1, 1, 1]).await;
    settle(&h).await;
    h.engine
        .set_load_balancer_delete_protection(&SetLoadBalancerDeleteProtectionRequest {
            load_balancer_id: old.clone(),
            delete_protection: OnOff::Off,
            ..Default::default()
        })
        .await
        .unwrap();
    h.engine
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: old.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    // An endpoint change plans from the stale cache and meets the cloud's NotFound.
    let slices: Api<EndpointSlice> = Api::namespaced(h.client.clone(), &h.ns);
    let mut scaled = slices.get("web-1").await.unwrap();
    scaled.endpoints = h.slice("web", [1, 1, 2]).endpoints;
    slices
        .replace("web-1", &PostParams::default(), &scaled)
        .await
        .unwrap();
    let note = eventually("the deleted-outside warning", || async {
        h.events("web")
            .await
            .into_iter()
            .map(|(_, note)| note)
            .find(|n| n.contains("was deleted outside the cluster"))
    })
    .await;
    assert!(
        note.starts_with(&format!("The CLB {old} of this Service")),
        "{note}"
    );
    let expected = format!(
        "kubectl -n {ns} label service web {LB_ID_LABEL}- && kubectl -n {ns} patch service web \
         --subresource=status --type=merge -p '{{\"status\":{{\"loadBalancer\":null}}}}'",
        ns = h.ns
    );
    assert!(note.contains(&expected), "{note}");
    // The stale cache's NotFound was retried against the cloud at once: its raw error is
    // never what the user is shown.
    let events = h.events("web").await;
    assert!(
        !events
            .iter()
            .any(|(_, n)| n.starts_with("Error syncing load balancer")),
        "{events:?}"
    );

    // What the two commands do.
    let services = h.services();
    let unlabel = serde_json::json!({ "metadata": { "labels": { LB_ID_LABEL: null } } });
    services
        .patch("web", &PatchParams::default(), &Patch::Merge(&unlabel))
        .await
        .unwrap();
    let clear = serde_json::json!({ "status": { "loadBalancer": null } });
    services
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&clear))
        .await
        .unwrap();
    let new = eventually("a new CLB", || async {
        let svc = services.get("web").await.unwrap();
        let id = svc.labels().get(LB_ID_LABEL)?.clone();
        (id != old).then_some(id)
    })
    .await;
    h.ingress_ip("web").await;
    eventually("the new CLB's weights", || async {
        (weights(&h.cloud, &new).await == [1, 1, 2]).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_local_policy_endpoint_without_a_node_name_gets_a_warning_naming_it() {
    let h = harness("no-node").await;
    h.services()
        .create(&PostParams::default(), &service(&h.ns, "web", true, &[]))
        .await
        .unwrap();
    let mut slice = h.slice("web", [1, 1, 0]);
    let endpoints = slice.endpoints.as_mut().unwrap();
    endpoints[1].node_name = None;
    endpoints[1].target_ref = Some(k8s_openapi::api::core::v1::ObjectReference {
        kind: Some("Pod".into()),
        name: Some("web-orphan".into()),
        namespace: Some(h.ns.clone()),
        ..Default::default()
    });
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &slice)
        .await
        .unwrap();
    let (reason, note) = eventually("the warning", || async {
        h.events("web")
            .await
            .into_iter()
            .find(|(reason, _)| reason == "EndpointWithoutNodeName")
    })
    .await;
    assert_eq!(reason, "EndpointWithoutNodeName");
    assert!(note.contains("pod web-orphan"), "{note}");
    let id = h.clb_id("web").await;
    eventually("node a's backend only", || async {
        (weights(&h.cloud, &id).await == [1]).then_some(())
    })
    .await;
}
