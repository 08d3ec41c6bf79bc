//! The controller keeps state per Service (retry backoff, last sync, Node changes) only while
//! the Service is its own: read from `slb_controller_services_tracked` on `/metrics`, the
//! count goes back to zero when Services are deleted, however many times they are created
//! and deleted again, and when a Service stops being a LoadBalancer or ours (its class
//! annotation names another controller).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kube::api::{Patch, PatchParams};
use support::{Harness, harness};

async fn tracked(h: &Harness) -> u64 {
    support::sum_series(&h.metrics().await, "slb_controller_services_tracked", "")
}

async fn tracked_becomes(h: &Harness, want: u64) {
    support::eventually(&format!("{want} Service(s) tracked"), || async {
        (tracked(h).await == want).then_some(())
    })
    .await;
}

async fn create(h: &Harness, name: &str) {
    h.create_own_service(name).await;
    h.ingress_ip(name).await;
}

#[tokio::test]
async fn state_is_dropped_when_services_are_deleted_over_create_delete_cycles() {
    let h = harness("svcstate").await;
    for _ in 0..3 {
        create(&h, "web").await;
        create(&h, "api").await;
        tracked_becomes(&h, 2).await;
        h.delete_and_wait("web").await;
        h.delete_and_wait("api").await;
        tracked_becomes(&h, 0).await;
    }
}

#[tokio::test]
async fn a_service_that_stops_being_a_load_balancer_is_forgotten() {
    let h = harness("notours").await;
    create(&h, "web").await;
    tracked_becomes(&h, 1).await;
    let to_cluster_ip = serde_json::json!({"spec": {"type": "ClusterIP"}});
    h.services()
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(&to_cluster_ip),
        )
        .await
        .unwrap();
    tracked_becomes(&h, 0).await;
}

#[tokio::test]
async fn a_service_handed_to_another_controller_by_its_class_annotation_is_forgotten() {
    let h = harness("otherclass").await;
    create(&h, "web").await;
    tracked_becomes(&h, 1).await;
    let other = serde_json::json!({"metadata": {"annotations": {
        "service.beta.kubernetes.io/class": "another-controller"
    }}});
    h.services()
        .patch("web", &PatchParams::default(), &Patch::Merge(&other))
        .await
        .unwrap();
    tracked_becomes(&h, 0).await;
}
