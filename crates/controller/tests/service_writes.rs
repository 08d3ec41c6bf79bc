//! The controller's writes to a Service against a real kube-apiserver: the finalizer is added
//! once and removed without touching anyone else's, a stale write is refused rather than
//! undoing a concurrent change, labels are set and cleared, and the status is written only when
//! it changes.

use k8s_openapi::api::core::v1::Service;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use slb_controller::service_writes::{
    FINALIZER, LB_ID_LABEL, add_finalizer, ingress, remove_finalizer, set_ingress, set_labels,
};
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::load_balancer_service;
use std::collections::BTreeMap;

async fn service(name: &str) -> (Api<Service>, Service) {
    let cp = ControlPlane::shared().await.expect("control plane");
    let ns = cp.namespace("writes").await.expect("namespace");
    let api = Api::<Service>::namespaced(cp.client().await.expect("client"), &ns);
    let svc = api
        .create(
            &PostParams::default(),
            &load_balancer_service(&ns, name, &[(80, 8080)]),
        )
        .await
        .expect("create");
    (api, svc)
}

#[tokio::test]
async fn the_finalizer_is_added_once_and_removed_without_touching_others() {
    let (api, _) = service("fin").await;
    let other = serde_json::json!({"metadata": {"finalizers": ["example.com/keep"]}});
    let svc = api
        .patch("fin", &PatchParams::default(), &Patch::Merge(&other))
        .await
        .unwrap();

    let svc = add_finalizer(&api, &svc).await.unwrap();
    let again = add_finalizer(&api, &svc).await.unwrap();
    assert_eq!(again.finalizers(), ["example.com/keep", FINALIZER]);
    assert_eq!(
        again.resource_version(),
        svc.resource_version(),
        "no second write"
    );

    let svc = remove_finalizer(&api, &again).await.unwrap();
    assert_eq!(svc.finalizers(), ["example.com/keep"]);
}

#[tokio::test]
async fn a_write_based_on_a_stale_read_is_refused_with_409() {
    let (api, stale) = service("stale").await;
    let bump = serde_json::json!({"metadata": {"annotations": {"x": "y"}}});
    api.patch("stale", &PatchParams::default(), &Patch::Merge(&bump))
        .await
        .unwrap();
    match add_finalizer(&api, &stale).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 409),
        other => panic!("expected a 409 conflict, got {other:?}"),
    }
    assert!(api.get("stale").await.unwrap().finalizers().is_empty());
}

#[tokio::test]
async fn labels_are_set_and_cleared_on_the_main_resource() {
    let (api, svc) = service("labels").await;
    let set = BTreeMap::from([(LB_ID_LABEL, Some("lb-bp1abc".to_owned()))]);
    let svc = set_labels(&api, &svc, &set).await.unwrap();
    assert_eq!(svc.labels()[LB_ID_LABEL], "lb-bp1abc");
    let unchanged = set_labels(&api, &svc, &set).await.unwrap();
    assert_eq!(unchanged.resource_version(), svc.resource_version());
    let cleared = set_labels(&api, &svc, &BTreeMap::from([(LB_ID_LABEL, None)]))
        .await
        .unwrap();
    assert!(!cleared.labels().contains_key(LB_ID_LABEL));
}

#[tokio::test]
async fn the_status_is_written_only_when_it_changes() {
    let (api, svc) = service("status").await;
    let want = ingress(Some("127.0.1.7"), None, "Proxy");
    assert!(
        set_ingress(&api, &svc, want.clone()).await.unwrap(),
        "first write"
    );
    let svc = api.get("status").await.unwrap();
    let got = svc
        .status
        .clone()
        .unwrap()
        .load_balancer
        .unwrap()
        .ingress
        .unwrap();
    assert_eq!(got, want);
    assert!(
        !set_ingress(&api, &svc, want).await.unwrap(),
        "nothing to write"
    );

    let host = ingress(Some("127.0.1.7"), Some("lb.example.com"), "Proxy");
    assert!(set_ingress(&api, &svc, host).await.unwrap());
    let svc = api.get("status").await.unwrap();
    let got = svc.status.unwrap().load_balancer.unwrap().ingress.unwrap();
    assert_eq!(got[0].hostname.as_deref(), Some("lb.example.com"));
    assert_eq!(got[0].ip, None, "the hostname annotation replaces the IP");
}
