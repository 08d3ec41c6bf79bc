//! Reusing an existing CLB through the whole controller (real API server, local CLB): a
//! console-made CLB gets the Service's listener with `force-override-listeners`, keeps the
//! user's own listener, is shared by port only with one Service (a second claim on the port
//! is an event naming both), and survives the Service's deletion with only the Service's
//! listener gone. Every reuse the FAQ forbids is refused with an event carrying its text and
//! a remedy, and nothing is changed on the CLB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, ResourceExt};
use slb_controller::service_writes::LB_ID_LABEL;
use slb_openapi::Clb;
use slb_openapi::clb::{CreateLoadBalancerRequest, CreateTcpListenerRequest, TagResourcesRequest};
use slb_openapi::types::{AddressType, ResourceType, Tag};
use std::time::Duration;
use support::{Harness, Options, PREFIX, eventually, harness, harness_with, service};

/// A CLB made in the console (no Kubernetes tags); returns its id and address.
async fn console_clb(h: &Harness, request: CreateLoadBalancerRequest) -> (String, String) {
    let created = h.engine.create_load_balancer(&request).await.unwrap();
    (created.load_balancer_id, created.address)
}

fn internet() -> CreateLoadBalancerRequest {
    CreateLoadBalancerRequest {
        address_type: Some(AddressType::Internet),
        load_balancer_spec: Some("slb.s1.small".into()),
        ..Default::default()
    }
}

/// Listener ports and descriptions of CLB `id`, sorted.
async fn listeners(h: &Harness, id: &str) -> Vec<(u16, String)> {
    let lb = h.cloud.observe(id).await.unwrap().expect("the CLB exists");
    let mut l: Vec<(u16, String)> = lb
        .listeners
        .iter()
        .map(|l| (l.listener_port, l.description.clone()))
        .collect();
    l.sort();
    l
}

/// Waits for a SyncLoadBalancerFailed event on `name` and returns its message.
async fn failure(h: &Harness, name: &str) -> String {
    eventually(
        &format!("a SyncLoadBalancerFailed event on {name}"),
        || async {
            h.events(name)
                .await
                .into_iter()
                .find(|(reason, _)| reason == "SyncLoadBalancerFailed")
                .map(|(_, message)| message)
        },
    )
    .await
}

fn reusing(id: &str, force: bool) -> Vec<(String, &str)> {
    let mut a = vec![(format!("{PREFIX}id"), id)];
    if force {
        a.push((format!("{PREFIX}force-override-listeners"), "true"));
    }
    a
}

fn annotations<'a>(list: &'a [(String, &'a str)]) -> Vec<(&'a str, &'a str)> {
    list.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

#[tokio::test]
async fn a_reused_console_clb_serves_the_service_keeps_user_listeners_and_survives_deletion() {
    let h = harness("reuse").await;
    let (id, address) = console_clb(&h, internet()).await;
    h.engine
        .create_tcp_listener(&CreateTcpListenerRequest {
            load_balancer_id: id.clone(),
            listener_port: 443,
            backend_server_port: Some(443),
            bandwidth: -1,
            description: Some("user-443".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let services = h.services();
    let web = reusing(&id, true);
    services
        .create(
            &PostParams::default(),
            &service(&h.ns, "web", true, &annotations(&web)),
        )
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("web", [1, 1, 1]))
        .await
        .unwrap();
    assert_eq!(
        h.ingress_ip("web").await,
        address,
        "the reused CLB's address"
    );
    assert_eq!(h.clb_id("web").await, id);
    let lb = h.cloud.observe(&id).await.unwrap().unwrap();
    assert_eq!(
        lb.tags.get("kubernetes.reused.by.user").map(String::as_str),
        Some("true")
    );
    let ours = format!("k8s/80/web/{}/c-test", h.ns);
    assert_eq!(
        listeners(&h, &id).await,
        [(80, ours), (443, "user-443".to_owned())],
        "the Service's listener is added, the user's is left alone"
    );

    // A second Service claims port 80 on the same CLB.
    let shop = reusing(&id, true);
    services
        .create(
            &PostParams::default(),
            &service(&h.ns, "shop", true, &annotations(&shop)),
        )
        .await
        .unwrap();
    let message = failure(&h, "shop").await;
    assert!(
        message.contains(&format!("{}/web", h.ns)) && message.contains(&format!("{}/shop", h.ns)),
        "the conflict names both Services: {message}"
    );
    let shop_now = services.get("shop").await.unwrap();
    assert!(shop_now.labels().get(LB_ID_LABEL).is_none());
    assert!(
        shop_now
            .status
            .and_then(|s| s.load_balancer)
            .and_then(|l| l.ingress)
            .is_none(),
        "the refused Service gets no address"
    );
    services
        .delete("shop", &DeleteParams::default())
        .await
        .unwrap();

    h.delete_and_wait("web").await;
    assert_eq!(
        listeners(&h, &id).await,
        [(443, "user-443".to_owned())],
        "a reused CLB is kept with only the Service's listener removed"
    );
}

#[tokio::test]
async fn every_forbidden_reuse_is_an_event_with_the_faqs_text_and_a_remedy_and_changes_nothing() {
    let h = harness_with(
        "refuse",
        Options {
            local_yaml: "vswitches:\n  - { id: vsw-local, vpc_id: vpc-local, zone_id: cn-hangzhou-a, cidr: 127.0.2.0/24 }\n  - { id: vsw-other, vpc_id: vpc-other, zone_id: cn-hangzhou-a, cidr: 127.0.3.0/24 }\n".into(),
            ..Options::default()
        },
    )
    .await;
    let services = h.services();
    // A CLB the controller created for another Service.
    services
        .create(&PostParams::default(), &service(&h.ns, "owner", true, &[]))
        .await
        .unwrap();
    let created = h.clb_id("owner").await;
    // The cluster's own CLB (the API server's), tagged ack.aliyun.com.
    let (cluster_owned, _) = console_clb(&h, internet()).await;
    h.engine
        .tag_resources(&TagResourcesRequest {
            resource_type: ResourceType::Instance,
            resource_ids: vec![cluster_owned.clone()],
            tags: vec![Tag {
                key: "ack.aliyun.com".into(),
                value: "c-test".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    // An intranet CLB in another VPC.
    let (other_vpc, _) = console_clb(
        &h,
        CreateLoadBalancerRequest {
            address_type: Some(AddressType::Intranet),
            vpc_id: Some("vpc-other".into()),
            vswitch_id: Some("vsw-other".into()),
            ..internet()
        },
    )
    .await;

    let cases = [
        (
            "thief",
            created.as_str(),
            "can not reuse loadbalancer created by kubernetes",
        ),
        ("apiserver", cluster_owned.as_str(), "ack.aliyun.com"),
        ("elsewhere", other_vpc.as_str(), "vpc-other"),
        ("ghost", "lb-doesnotexist", "does not exist"),
    ];
    let before: Vec<_> = [&created, &cluster_owned, &other_vpc]
        .iter()
        .map(|id| id.to_string())
        .collect();
    let mut listeners_before = Vec::new();
    for id in &before {
        listeners_before.push(listeners(&h, id).await);
    }
    for (name, id, _) in cases {
        let a = reusing(id, true);
        services
            .create(
                &PostParams::default(),
                &service(&h.ns, name, true, &annotations(&a)),
            )
            .await
            .unwrap();
    }
    for (name, id, text) in cases {
        let message = failure(&h, name).await;
        assert!(message.contains(text), "{name} ({id}): {message}");
        assert!(
            message.contains("Remedy:"),
            "{name}: the event carries a remedy: {message}"
        );
        let svc = services.get(name).await.unwrap();
        assert!(svc.labels().get(LB_ID_LABEL).is_none(), "{name} got no CLB");
    }
    // Give any (wrong) retry a chance to act, then check nothing was changed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (id, was) in before.iter().zip(listeners_before) {
        assert_eq!(listeners(&h, id).await, was, "{id} is unchanged");
    }
}

#[tokio::test]
async fn preserve_lb_on_delete_hands_the_clb_to_the_user_without_the_services_listener() {
    let h = harness("preserve").await;
    let services = h.services();
    let keep = format!("{PREFIX}preserve-lb-on-delete");
    services
        .create(
            &PostParams::default(),
            &service(&h.ns, "web", true, &[(keep.as_str(), "true")]),
        )
        .await
        .unwrap();
    let id = h.clb_id("web").await;
    h.ingress_ip("web").await;
    h.delete_and_wait("web").await;
    let lb = h
        .cloud
        .observe(&id)
        .await
        .unwrap()
        .expect("the CLB is preserved");
    assert!(lb.listeners.is_empty(), "{:?}", lb.listeners);
    assert!(lb.vserver_groups.is_empty(), "{:?}", lb.vserver_groups);
    assert!(
        !lb.tags.contains_key("kubernetes.do.not.delete")
            && !lb.tags.contains_key("ack.aliyun.com"),
        "no longer marked as the cluster's: {:?}",
        lb.tags
    );
    assert!(
        h.events("web")
            .await
            .iter()
            .any(|(reason, _)| reason == "CleanLoadBalancer"),
        "the deletion says what it did"
    );
}
