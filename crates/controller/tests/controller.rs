//! The Service controller against a real kube-apiserver (testkit) and the local CLB engine in
//! process: a LoadBalancer Service gets a CLB, its IP in the status, the finalizer and the
//! CLB-id label; the FAQ's Local-policy weights follow the EndpointSlice; deleting the Service
//! deletes its CLB and releases the finalizer; invalid annotations produce one event listing
//! every problem and no CLB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::{Event, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use serde::Deserialize;
use slb_controller::service_writes::{FINALIZER, LB_ID_LABEL};
use slb_testkit::ControlPlane;
use std::time::Duration;
use support::{Harness, Options, eventually, harness, harness_with, weights};

fn local_service(ns: &str, annotations: &[(&str, &str)]) -> Service {
    support::service(ns, "web", true, annotations)
}

fn slice(h: &Harness, pods: [usize; 3]) -> EndpointSlice {
    h.slice("web", pods)
}

#[tokio::test]
async fn a_service_gets_a_clb_whose_weights_follow_its_pods_and_loses_it_on_delete() {
    let h = harness("ctrl").await;
    let services: Api<Service> = Api::namespaced(h.client.clone(), &h.ns);
    let spec = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec";
    services
        .create(
            &PostParams::default(),
            &local_service(&h.ns, &[(spec, "slb.s1.small")]),
        )
        .await
        .unwrap();
    let slices: Api<EndpointSlice> = Api::namespaced(h.client.clone(), &h.ns);
    slices
        .create(&PostParams::default(), &slice(&h, [1, 2, 3]))
        .await
        .unwrap();

    let svc = eventually("an ingress IP", || async {
        let svc = services.get("web").await.unwrap();
        let ip = svc
            .status
            .as_ref()?
            .load_balancer
            .as_ref()?
            .ingress
            .as_ref()?
            .first()?
            .ip
            .clone()?;
        Some((svc, ip))
    })
    .await;
    let (svc, ip) = svc;
    assert!(ip.starts_with("127.0.1."), "VIP from the local pool: {ip}");
    assert!(svc.finalizers().iter().any(|f| f == FINALIZER));
    let id = svc.labels()[LB_ID_LABEL].clone();
    let want = [1, 2, 3];
    eventually("1:2:3 weights", || async {
        (weights(&h.cloud, &id).await == want).then_some(())
    })
    .await;

    // Scale node c from 3 pods to 1: only the weights change.
    let mut scaled = slices.get("web-1").await.unwrap();
    scaled.endpoints = slice(&h, [1, 2, 1]).endpoints;
    slices
        .replace("web-1", &PostParams::default(), &scaled)
        .await
        .unwrap();
    eventually("1:2:1 weights", || async {
        (weights(&h.cloud, &id).await == [1, 2, 1]).then_some(())
    })
    .await;

    h.delete_and_wait("web").await;
    assert!(
        h.cloud.observe(&id).await.unwrap().is_none(),
        "the CLB it created is deleted"
    );
}

#[tokio::test]
async fn invalid_annotations_give_one_event_listing_every_problem_and_no_clb() {
    let h = harness("invalid").await;
    let services: Api<Service> = Api::namespaced(h.client.clone(), &h.ns);
    let bad = [
        (
            "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-scheduler",
            "fastest",
        ),
        (
            "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-health-check-interval",
            "ten",
        ),
    ];
    services
        .create(&PostParams::default(), &local_service(&h.ns, &bad))
        .await
        .unwrap();
    let events: Api<Event> = Api::namespaced(h.client.clone(), &h.ns);
    let note = eventually("a SyncLoadBalancerFailed event", || async {
        let list = events.list(&ListParams::default()).await.unwrap();
        list.items
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("SyncLoadBalancerFailed"))
            .and_then(|e| e.message)
    })
    .await;
    assert!(
        note.contains("scheduler") && note.contains("fastest"),
        "{note}"
    );
    assert!(
        note.contains("health-check-interval") && note.contains("ten"),
        "{note}"
    );
    let svc = services.get("web").await.unwrap();
    assert!(svc.labels().get(LB_ID_LABEL).is_none(), "no CLB was made");
    assert!(
        svc.status
            .and_then(|s| s.load_balancer)
            .and_then(|l| l.ingress)
            .is_none()
    );
}

/// Creates the Local-policy Service with 1:2:3 pods and waits for its CLB id.
async fn serve_web(h: &Harness) -> String {
    let services: Api<Service> = Api::namespaced(h.client.clone(), &h.ns);
    let spec = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec";
    services
        .create(
            &PostParams::default(),
            &local_service(&h.ns, &[(spec, "slb.s1.small")]),
        )
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &slice(h, [1, 2, 3]))
        .await
        .unwrap();
    eventually("a CLB id label", || async {
        services
            .get("web")
            .await
            .unwrap()
            .labels()
            .get(LB_ID_LABEL)
            .cloned()
    })
    .await
}

#[tokio::test]
async fn a_change_made_in_the_console_is_repaired_by_the_periodic_drift_check() {
    use slb_openapi::Clb;
    use slb_openapi::clb::SetTcpListenerAttributeRequest;
    use slb_openapi::types::Scheduler;
    let h = harness_with(
        "drift",
        Options {
            drift: Duration::from_secs(1),
            ..Options::default()
        },
    )
    .await;
    let id = serve_web(&h).await;
    let scheduler = |h: &Harness, id: String| {
        let cloud = h.cloud.clone();
        async move {
            let lb = cloud.observe(&id).await.unwrap()?;
            lb.listeners.first()?.attributes.scheduler.clone()
        }
    };
    eventually("a wrr listener", || async {
        (scheduler(&h, id.clone()).await? == "wrr").then_some(())
    })
    .await;
    // Someone switches the listener to rr in the console.
    let console = SetTcpListenerAttributeRequest {
        load_balancer_id: id.clone(),
        listener_port: 80,
        scheduler: Some(Scheduler::Rr),
        ..Default::default()
    };
    h.engine.set_tcp_listener_attribute(&console).await.unwrap();
    assert_eq!(scheduler(&h, id.clone()).await.as_deref(), Some("rr"));
    eventually("the drift check to restore wrr", || async {
        (scheduler(&h, id.clone()).await? == "wrr").then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_controller_needs_no_more_than_the_cluster_role_in_deploy() {
    use k8s_openapi::api::rbac::v1::ClusterRole;
    let cp = ControlPlane::shared().await.unwrap();
    let admin = cp.client().await.unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/rbac.yaml"
    ))
    .unwrap();
    let role: ClusterRole = serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde_json::Value::deserialize(doc).unwrap())
        .find(|doc| doc["kind"] == "ClusterRole")
        .map(|doc| serde_json::from_value(doc).unwrap())
        .expect("deploy/rbac.yaml has a ClusterRole");
    let name = role.metadata.name.clone().unwrap();
    match Api::<ClusterRole>::all(admin)
        .create(&PostParams::default(), &role)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => panic!("creating the ClusterRole: {e}"),
    }
    let restricted = cp
        .client_for_cluster_role("slb-ccm-rbac-check", &name)
        .await
        .unwrap();
    let h = harness_with(
        "rbac",
        Options {
            controller_client: Some(restricted),
            ..Options::default()
        },
    )
    .await;
    let id = serve_web(&h).await;
    assert!(h.cloud.observe(&id).await.unwrap().is_some());
    let services: Api<Service> = Api::namespaced(h.client.clone(), &h.ns);
    eventually("an ingress IP written by the restricted user", || async {
        let svc = services.get("web").await.unwrap();
        svc.status?.load_balancer?.ingress?.first()?.ip.clone()
    })
    .await;
}

#[tokio::test]
async fn changing_the_type_away_from_load_balancer_deletes_the_clb_and_releases_the_service() {
    let h = harness("typechange").await;
    let id = serve_web(&h).await;
    assert!(h.cloud.observe(&id).await.unwrap().is_some());
    let services: Api<Service> = Api::namespaced(h.client.clone(), &h.ns);
    let patch = serde_json::json!({"spec": {"type": "ClusterIP", "externalTrafficPolicy": null}});
    services
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .unwrap();
    eventually("the finalizer to go", || async {
        let svc = services.get("web").await.unwrap();
        (!svc.finalizers().iter().any(|f| f == FINALIZER)).then_some(svc)
    })
    .await;
    assert!(
        h.cloud.observe(&id).await.unwrap().is_none(),
        "the CCM-created CLB is deleted"
    );
    let svc = services.get("web").await.unwrap();
    assert!(
        svc.labels().get(LB_ID_LABEL).is_none(),
        "the CLB label is cleared"
    );
    assert_eq!(
        svc.spec.unwrap().type_.as_deref(),
        Some("ClusterIP"),
        "the Service itself stays"
    );
}

#[tokio::test]
async fn changing_annotations_modifies_the_same_clb_in_place() {
    let h = harness("inplace").await;
    let id = serve_web(&h).await;
    let services = h.services();
    let prefix = support::PREFIX;
    let patch = serde_json::json!({"metadata": {"annotations": {
        format!("{prefix}spec"): "slb.s2.small",
        format!("{prefix}scheduler"): "rr",
    }}});
    services
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .unwrap();
    let lb = eventually("the new spec and scheduler", || async {
        let lb = h.cloud.observe(&id).await.unwrap()?;
        let scheduler = lb.listeners.first()?.attributes.scheduler.clone()?;
        (lb.load_balancer_spec == "slb.s2.small" && scheduler == "rr").then_some(lb)
    })
    .await;
    assert_eq!(lb.load_balancer_id, id, "the same CLB, modified in place");
    assert_eq!(lb.listeners.len(), 1);
    let svc = services.get("web").await.unwrap();
    assert_eq!(svc.labels()[LB_ID_LABEL], id);
    support::settle(&h).await;
    assert_eq!(
        h.calls("CreateLoadBalancer").await,
        1,
        "no second CLB was created"
    );
    assert_eq!(h.calls("DeleteLoadBalancer").await, 0);
    assert_eq!(h.calls("ModifyLoadBalancerInstanceSpec").await, 1);
    assert_eq!(h.calls("SetLoadBalancerTCPListenerAttribute").await, 1);
}

#[tokio::test]
async fn an_unrelated_service_update_takes_the_fast_path_and_a_removed_label_is_restored() {
    let h = harness("fastpath").await;
    let id = serve_web(&h).await;
    h.ingress_ip("web").await;
    let (calls, _) = support::settle(&h).await;
    let fast = |text: String| support::sum_series(&text, "slb_controller_fast_path_total", "");
    let before = fast(h.metrics().await);
    let services = h.services();
    let patch = |labels: serde_json::Value| {
        let services = services.clone();
        async move {
            services
                .patch(
                    "web",
                    &kube::api::PatchParams::default(),
                    &kube::api::Patch::Merge(&serde_json::json!({"metadata": {"labels": labels}})),
                )
                .await
                .unwrap();
        }
    };
    // Another tool labels the Service: nothing the CLB depends on changed.
    patch(serde_json::json!({"team": "payments"})).await;
    eventually("a fast-path reconcile", || async {
        (fast(h.metrics().await) > before).then_some(())
    })
    .await;
    assert_eq!(h.all_calls().await, calls, "the fast path calls nothing");
    let svc = services.get("web").await.unwrap();
    assert_eq!(
        svc.labels()["service.beta.kubernetes.io/hash"],
        slb_model::spec_hash(&svc),
        "the reference's spec-hash label"
    );

    // Someone deletes the CLB-id label: that is an input, so the full path restores it,
    // finding the CLB again by its tag (one describe) and planning against the cache.
    let describes = h.calls("DescribeLoadBalancers").await;
    patch(serde_json::json!({ LB_ID_LABEL: null })).await;
    let restored = h.clb_id("web").await;
    assert_eq!(restored, id);
    support::settle(&h).await;
    assert_eq!(h.all_calls().await, calls + 1);
    assert_eq!(h.calls("DescribeLoadBalancers").await, describes + 1);
}
