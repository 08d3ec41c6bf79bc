//! The `status.loadBalancer.ingress` the controller writes, against a real kube-apiserver: the
//! CLB's IP with no `ipMode` by default, as the reference CCM (the API server stores an absent
//! `ipMode` as `VIP`; either way kube-proxy short-circuits in-cluster traffic to the IP); a
//! `Proxy` left by an older slb-ccm is rewritten; `--ingress-ip-mode proxy` is an opt-in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::{LoadBalancerIngress, Service};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use slb_controller::service_writes::IngressIpMode;
use support::{Harness, Options, eventually, harness, harness_with};

/// Creates Service `web` on the harness's nodes and returns its first ingress entry.
async fn create_and_wait(h: &Harness) -> LoadBalancerIngress {
    let (key, value) = h.own_nodes();
    let svc = support::service(&h.ns, "web", false, &[(&key, &value)]);
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    h.ingress_ip("web").await;
    first_ingress(&h.services()).await.unwrap()
}

async fn first_ingress(services: &Api<Service>) -> Option<LoadBalancerIngress> {
    let svc = services.get("web").await.unwrap();
    svc.status?.load_balancer?.ingress?.into_iter().next()
}

#[tokio::test]
async fn a_new_service_gets_its_ip_and_no_proxy_ip_mode() {
    let h = harness("status-default").await;
    let ingress = create_and_wait(&h).await;
    assert!(ingress.ip.is_some(), "{ingress:?}");
    assert_eq!(ingress.hostname, None);
    assert_eq!(
        ingress.ip_mode.as_deref(),
        Some("VIP"),
        "nothing written, which the API server records as VIP (never Proxy)"
    );
}

#[tokio::test]
async fn a_proxy_ip_mode_written_by_an_older_slb_ccm_is_rewritten() {
    let h = harness("status-old").await;
    let ip = create_and_wait(&h).await.ip.unwrap();
    // What slb-ccm before --ingress-ip-mode wrote on every Service.
    let old = json!({"status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "Proxy"}]}}});
    h.services()
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&old))
        .await
        .unwrap();

    let services = h.services();
    let ingress = eventually("the Proxy ipMode to be rewritten", || async {
        let ingress = first_ingress(&services).await?;
        (ingress.ip_mode.as_deref() != Some("Proxy")).then_some(ingress)
    })
    .await;
    assert_eq!(ingress.ip.as_deref(), Some(ip.as_str()), "same IP");
    assert_eq!(ingress.ip_mode.as_deref(), Some("VIP"));
}

#[tokio::test]
async fn ingress_ip_mode_proxy_is_an_opt_in() {
    let options = Options {
        ingress_ip_mode: IngressIpMode::Proxy,
        ..Options::default()
    };
    let h = harness_with("status-proxy", options).await;
    let ingress = create_and_wait(&h).await;
    assert!(ingress.ip.is_some(), "{ingress:?}");
    assert_eq!(ingress.ip_mode.as_deref(), Some("Proxy"));
}
