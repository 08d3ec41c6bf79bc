//! The controller's writes to a Service against a real kube-apiserver: the finalizer is added
//! once and removed without touching anyone else's, a stale write is refused rather than
//! undoing a concurrent change, labels are set and cleared, the applied additional tag keys
//! are recorded, and the status is written only when
//! it changes (the API server's `VIP` default for an absent `ipMode` counts as no change, a
//! `Proxy` left by an older slb-ccm does not).

use k8s_openapi::api::core::v1::{LoadBalancerIngress, Service};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use slb_controller::service_writes::{
    FINALIZER, IngressIpMode, LB_ID_LABEL, add_finalizer, ingress, record_applied_tags,
    remove_finalizer, set_ingress, set_labels,
};
use slb_model::naming::APPLIED_TAGS_ANNOTATION;
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
async fn the_applied_tag_keys_are_recorded_updated_once_and_cleared() {
    let (api, _) = service("tags").await;
    let tags = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-additional-resource-tags";
    let set = |v: Option<&str>| serde_json::json!({"metadata": {"annotations": {tags: v}}});
    let pp = PatchParams::default();
    let svc = api
        .patch("tags", &pp, &Patch::Merge(&set(Some("k2=b,k1=a"))))
        .await
        .unwrap();
    let svc = record_applied_tags(&api, &svc).await.unwrap();
    assert_eq!(svc.annotations()[APPLIED_TAGS_ANNOTATION], "k1,k2");
    let again = record_applied_tags(&api, &svc).await.unwrap();
    assert_eq!(
        again.resource_version(),
        svc.resource_version(),
        "no second write"
    );
    let svc = api
        .patch("tags", &pp, &Patch::Merge(&set(None)))
        .await
        .unwrap();
    let svc = record_applied_tags(&api, &svc).await.unwrap();
    assert!(!svc.annotations().contains_key(APPLIED_TAGS_ANNOTATION));
}

/// The Service's stored ingress list.
async fn stored_ingress(api: &Api<Service>, name: &str) -> Vec<LoadBalancerIngress> {
    let svc = api.get(name).await.expect("get");
    svc.status
        .and_then(|s| s.load_balancer?.ingress)
        .expect("an ingress list")
}

#[tokio::test]
async fn the_status_is_written_only_when_it_changes() {
    let (api, svc) = service("status").await;
    let want = ingress(Some("127.0.1.7"), None, IngressIpMode::None);
    assert_eq!(want[0].ip_mode, None, "slb-ccm writes no ipMode");
    assert!(
        set_ingress(&api, &svc, want.clone()).await.unwrap(),
        "first write"
    );
    let got = stored_ingress(&api, "status").await;
    assert_eq!(got[0].ip.as_deref(), Some("127.0.1.7"));
    assert_eq!(
        got[0].ip_mode.as_deref(),
        Some("VIP"),
        "the API server records an absent ipMode as VIP"
    );
    let svc = api.get("status").await.unwrap();
    assert!(
        !set_ingress(&api, &svc, want).await.unwrap(),
        "nothing to write: the defaulted VIP is what was asked for"
    );

    let host = ingress(
        Some("127.0.1.7"),
        Some("lb.example.com"),
        IngressIpMode::None,
    );
    assert!(set_ingress(&api, &svc, host).await.unwrap());
    let got = stored_ingress(&api, "status").await;
    assert_eq!(got[0].hostname.as_deref(), Some("lb.example.com"));
    assert_eq!(got[0].ip, None, "the hostname annotation replaces the IP");
}

#[tokio::test]
async fn a_proxy_ip_mode_left_by_an_older_slb_ccm_is_rewritten() {
    let (api, svc) = service("old-proxy").await;
    let old = ingress(Some("127.0.1.8"), None, IngressIpMode::Proxy);
    assert!(set_ingress(&api, &svc, old).await.unwrap());
    assert_eq!(
        stored_ingress(&api, "old-proxy").await[0]
            .ip_mode
            .as_deref(),
        Some("Proxy")
    );

    let svc = api.get("old-proxy").await.unwrap();
    let want = ingress(Some("127.0.1.8"), None, IngressIpMode::None);
    assert!(
        set_ingress(&api, &svc, want).await.unwrap(),
        "same IP, different ipMode: a change"
    );
    let got = stored_ingress(&api, "old-proxy").await;
    assert_eq!(got[0].ip.as_deref(), Some("127.0.1.8"));
    assert_eq!(got[0].ip_mode.as_deref(), Some("VIP"), "Proxy is gone");
}
