//! Modes of the controller through a real API server and the local CLB: ENI mode puts pod
//! IPs (as their ENIs) on the targetPort; a Service of another `loadBalancerClass` is left
//! entirely alone; dry-run reports the plan as an event and changes nothing, not even the
//! Service.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use kube::ResourceExt;
use kube::api::{Api, PostParams};
use slb_controller::service_writes::{FINALIZER, LB_ID_LABEL};
use std::time::Duration;
use support::{Options, eventually, harness, harness_with, service};

#[tokio::test]
async fn eni_mode_puts_the_pods_enis_on_the_target_port() {
    let h = harness_with(
        "eni",
        Options {
            local_yaml: "network_interfaces:\n  \
                - { NetworkInterfaceId: eni-a, PrivateIpAddresses: [10.244.0.0], VpcId: vpc-local }\n  \
                - { NetworkInterfaceId: eni-b, PrivateIpAddresses: [10.244.1.0, 10.244.1.1], VpcId: vpc-local }\n"
                .into(),
            ..Options::default()
        },
    )
    .await;
    let svc = service(
        &h.ns,
        "web",
        false,
        &[("service.beta.kubernetes.io/backend-type", "eni")],
    );
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("web", [1, 2, 0]))
        .await
        .unwrap();
    let id = h.clb_id("web").await;
    let members = eventually("three ENI members", || async {
        let lb = h.cloud.observe(&id).await.unwrap()?;
        let mut members: Vec<(String, String, String, u16)> = lb
            .vserver_groups
            .first()?
            .backend_servers
            .iter()
            .map(|b| {
                (
                    b.server_id.clone(),
                    format!("{:?}", b.r#type).to_lowercase(),
                    b.server_ip.clone().unwrap_or_default(),
                    b.port,
                )
            })
            .collect();
        members.sort();
        (members.len() == 3).then_some(members)
    })
    .await;
    let eni = |id: &str, ip: &str| (id.to_owned(), "eni".to_owned(), ip.to_owned(), 8080);
    assert_eq!(
        members,
        [
            eni("eni-a", "10.244.0.0"),
            eni("eni-b", "10.244.1.0"),
            eni("eni-b", "10.244.1.1"),
        ],
        "pod IPs as ENIs, on the targetPort 8080, no nodes"
    );
}

/// The ENIs of the IPv6 ENI-mode test: the addresses are written uppercase and unshortened
/// here and canonically in the EndpointSlice, so they only match as parsed addresses.
const IPV6_ENIS: &str = "ipv6_vip_pool: \"fd00:6::/124\"
network_interfaces:
  - { NetworkInterfaceId: eni-a, PrivateIpAddresses: [10.244.0.0], Ipv6Addresses: [\"FD00:244:0:0::A\"], VpcId: vpc-local }
  - { NetworkInterfaceId: eni-b, PrivateIpAddresses: [10.244.1.0], Ipv6Addresses: [\"fd00:244::b\", \"fd00:244::c\"], VpcId: vpc-local }
";

#[tokio::test]
async fn eni_mode_with_ipv6_pod_ips_puts_the_enis_holding_them_on_the_clb() {
    let options = Options {
        local_yaml: IPV6_ENIS.into(),
        ..Options::default()
    };
    let h = harness_with("eni6", options).await;
    let annotation = |suffix: &str| format!("{}{suffix}", slb_model::annotations::PREFIX);
    let (ip_version, backend_ip_version) =
        (annotation("ip-version"), annotation("backend-ip-version"));
    let svc = service(
        &h.ns,
        "web6",
        false,
        &[
            ("service.beta.kubernetes.io/backend-type", "eni"),
            (&ip_version, "ipv6"),
            (&backend_ip_version, "ipv6"),
        ],
    );
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    let mut slice = h.slice("web6", [0, 0, 0]);
    slice.address_type = "IPv6".into();
    slice.endpoints = Some(
        [("fd00:244::a", 0), ("fd00:244::b", 1), ("fd00:244::c", 1)]
            .into_iter()
            .map(|(ip, node)| Endpoint {
                addresses: vec![ip.to_owned()],
                node_name: Some(h.nodes[node].clone()),
                conditions: Some(EndpointConditions {
                    ready: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect(),
    );
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &slice)
        .await
        .unwrap();
    let id = h.clb_id("web6").await;
    let members = eventually("three IPv6 ENI members", || async {
        let lb = h.cloud.observe(&id).await.unwrap()?;
        let mut members: Vec<(String, String, u16)> = lb
            .vserver_groups
            .first()?
            .backend_servers
            .iter()
            .map(|b| {
                (
                    b.server_id.clone(),
                    b.server_ip.clone().unwrap_or_default(),
                    b.port,
                )
            })
            .collect();
        members.sort();
        (members.len() == 3).then_some(members)
    })
    .await;
    let eni = |id: &str, ip: &str| (id.to_owned(), ip.to_owned(), 8080);
    assert_eq!(
        members,
        [
            eni("eni-a", "fd00:244::a"),
            eni("eni-b", "fd00:244::b"),
            eni("eni-b", "fd00:244::c"),
        ],
        "each IPv6 pod IP is the ServerIp of the ENI listing it in Ipv6Sets"
    );
}

#[tokio::test]
async fn a_service_of_another_load_balancer_class_is_left_alone() {
    let h = harness("class").await;
    let mut svc = service(&h.ns, "theirs", false, &[]);
    svc.spec.as_mut().unwrap().load_balancer_class = Some("example.com/other-lb".into());
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    // A Service of ours created after it proves the controller is running.
    h.services()
        .create(&PostParams::default(), &service(&h.ns, "ours", true, &[]))
        .await
        .unwrap();
    h.ingress_ip("ours").await;
    support::settle(&h).await;
    let theirs = h.services().get("theirs").await.unwrap();
    assert!(theirs.finalizers().is_empty(), "no finalizer on theirs");
    assert!(theirs.labels().get(LB_ID_LABEL).is_none());
    assert!(h.events("theirs").await.is_empty(), "no events on theirs");
    assert_eq!(
        h.engine.state().load_balancers.len(),
        1,
        "only our Service's CLB"
    );
}

#[tokio::test]
async fn dry_run_reports_the_plan_as_an_event_and_changes_nothing() {
    let h = harness_with(
        "dryrun",
        Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await;
    h.services()
        .create(&PostParams::default(), &service(&h.ns, "web", true, &[]))
        .await
        .unwrap();
    let message = eventually("a DryRun event", || async {
        h.events("web")
            .await
            .into_iter()
            .find(|(reason, _)| reason == "DryRun")
            .map(|(_, m)| m)
    })
    .await;
    assert!(
        message.contains("CreateLoadBalancer") && message.contains("CreateVServerGroup"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(h.engine.state().load_balancers.is_empty(), "no CLB");
    let svc = h.services().get("web").await.unwrap();
    assert!(
        !svc.finalizers().iter().any(|f| f == FINALIZER),
        "the Service itself is not written either"
    );
    assert!(
        svc.status
            .and_then(|s| s.load_balancer)
            .and_then(|l| l.ingress)
            .is_none()
    );
}

#[tokio::test]
async fn with_register_nodes_a_local_clb_that_knew_no_nodes_gets_them_before_any_backend() {
    let h = harness_with(
        "register",
        Options {
            register_nodes: true,
            ..Options::default()
        },
    )
    .await;
    assert!(
        h.engine.config().instances.is_empty(),
        "the local CLB is configured without the nodes"
    );
    h.services()
        .create(&PostParams::default(), &service(&h.ns, "web", true, &[]))
        .await
        .unwrap();
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("web", [1, 2, 3]))
        .await
        .unwrap();
    let id = h.clb_id("web").await;
    eventually("1:2:3 weights", || async {
        (support::weights(&h.cloud, &id).await == [1, 2, 3]).then_some(())
    })
    .await;
    let instances = h.engine.state().instances;
    for node in &h.nodes {
        assert!(
            instances.contains_key(&format!("i-local-{node}")),
            "{node} is registered"
        );
    }
    assert!(
        !h.events("web")
            .await
            .iter()
            .any(|(reason, _)| reason == "SyncLoadBalancerFailed"),
        "no reconcile ever named an unknown instance"
    );
}
