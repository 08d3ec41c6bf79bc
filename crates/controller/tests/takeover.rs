//! Taking over CLBs the reference CCM created (issue 14 item 12): a CLB, its vServer group
//! and its listener are made through the local CLB's API exactly as the reference names and
//! tags them (default name from the Service UID, `kubernetes.do.not.delete` and
//! `ack.aliyun.com` tags, `k8s/<port>/<svc>/<ns>/<cluster>` group name, listener and member
//! descriptions, scheduler `rr`), on a Service carrying the reference's finalizer, labels and
//! status. slb-ccm then adopts everything without a create or a delete; a Cluster-policy
//! listener keeps its `rr`, a Local-policy one is switched to `wrr` with an event saying why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use slb_controller::service_writes::{FINALIZER, LB_ID_LABEL};
use slb_openapi::Clb;
use slb_openapi::clb::{
    CreateLoadBalancerRequest, CreateTcpListenerRequest, CreateVServerGroupRequest,
    StartListenerRequest,
};
use slb_openapi::types::{AddressType, BackendServer, Scheduler, Tag};
use std::collections::BTreeMap;
use support::{Harness, calls_by_action_at, eventually, harness, service};

/// The cluster id the harness runs slb-ccm with (the reference ran with the same one).
const CLUSTER: &str = "c-test";

/// What the reference left: the CLB's id and address.
struct Seeded {
    id: String,
    address: String,
}

/// Creates `svc` as the reference leaves it before slb-ccm runs: with its finalizer.
async fn create_reference_service(h: &Harness, mut svc: Service) -> Service {
    svc.metadata.finalizers = Some(vec![FINALIZER.to_owned()]);
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap()
}

/// The CLB, group and started `rr` listener the reference makes for port 80 of `svc`, with
/// `weights[i]` for node `i` (0 leaves the node out).
async fn seed_reference_clb(h: &Harness, svc: &Service, weights: [u32; 3]) -> Seeded {
    let name = slb_model::naming::default_lb_name(&svc.uid().unwrap());
    let tag = |key: &str, value: &str| Tag {
        key: key.into(),
        value: value.into(),
    };
    let created = h
        .engine
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_type: Some(AddressType::Internet),
            load_balancer_spec: Some("slb.s1.small".into()),
            load_balancer_name: Some(name.clone()),
            tags: vec![
                tag("kubernetes.do.not.delete", &name),
                tag("ack.aliyun.com", CLUSTER),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let id = created.load_balancer_id;
    let svc_name = svc.name_any();
    let node_port = svc.spec.as_ref().unwrap().ports.as_ref().unwrap()[0]
        .node_port
        .unwrap();
    let group_name = format!("k8s/{node_port}/{svc_name}/{}/{CLUSTER}", h.ns);
    let backends = h
        .nodes
        .iter()
        .zip(weights)
        .filter(|(_, w)| *w > 0)
        .map(|(node, weight)| BackendServer {
            server_id: format!("i-local-{node}"),
            port: u16::try_from(node_port).ok(),
            weight: Some(weight),
            description: group_name.clone(),
            ..Default::default()
        })
        .collect();
    let group = h
        .engine
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: id.clone(),
            vserver_group_name: Some(group_name),
            backend_servers: Some(backends),
            ..Default::default()
        })
        .await
        .unwrap();
    h.engine
        .create_tcp_listener(&CreateTcpListenerRequest {
            load_balancer_id: id.clone(),
            listener_port: 80,
            vserver_group_id: Some(group.vserver_group_id),
            bandwidth: -1,
            scheduler: Some(Scheduler::Rr),
            description: Some(format!("k8s/80/{svc_name}/{}/{CLUSTER}", h.ns)),
            ..Default::default()
        })
        .await
        .unwrap();
    h.engine
        .start_listener(&StartListenerRequest {
            load_balancer_id: id.clone(),
            listener_port: 80,
            ..Default::default()
        })
        .await
        .unwrap();
    Seeded {
        id,
        address: created.address,
    }
}

/// The reference's labels and status on the Service: the CLB id label and the address.
async fn write_reference_status(h: &Harness, name: &str, seeded: &Seeded) {
    let labels = serde_json::json!({ "metadata": { "labels": { LB_ID_LABEL: seeded.id } } });
    let services = h.services();
    services
        .patch(name, &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .unwrap();
    let status = serde_json::json!({
        "status": { "loadBalancer": { "ingress": [ { "ip": seeded.address } ] } }
    });
    services
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

/// Creates and deletes among `calls`.
fn creates_and_deletes(calls: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    calls
        .iter()
        .filter(|(a, _)| a.starts_with("Create") || a.starts_with("Delete"))
        .map(|(a, n)| (a.as_str(), *n))
        .collect()
}

/// Waits (up to 60 s) until the calls at `admin` stop moving for 1.5 s and returns them.
async fn settled_calls(admin: std::net::SocketAddr) -> BTreeMap<String, u64> {
    let mut last = calls_by_action_at(admin).await;
    let mut quiet = 0;
    for _ in 0..240 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = calls_by_action_at(admin).await;
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet >= 6 {
            return last;
        }
    }
    panic!("the controller never went quiet: {last:?}");
}

async fn scheduler(h: &Harness, id: &str) -> Option<String> {
    let lb = h.cloud.observe(id).await.unwrap().unwrap();
    lb.listeners[0].attributes.scheduler.clone()
}

/// Waits until slb-ccm has synced Service `name` (the hash label is slb-ccm's own).
async fn synced_by_slb_ccm(h: &Harness, name: &str) {
    let services = h.services();
    eventually("slb-ccm's hash label", || async {
        let svc = services.get(name).await.unwrap();
        let hash = svc.labels().get("service.beta.kubernetes.io/hash")?.clone();
        (hash == slb_model::spec_hash(&svc)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_cluster_policy_clb_of_the_reference_is_adopted_and_keeps_its_rr_scheduler() {
    let h = harness("takeover-c").await;
    h.stop_controller();
    let (key, value) = h.own_nodes();
    let svc = service(&h.ns, "web", false, &[(&key, &value)]);
    let svc = create_reference_service(&h, svc).await;
    let seeded = seed_reference_clb(&h, &svc, [100, 100, 100]).await;
    write_reference_status(&h, "web", &seeded).await;

    let replica = h.start_replica("slb-ccm");
    synced_by_slb_ccm(&h, "web").await;
    let calls = settled_calls(replica.admin).await;
    assert_eq!(creates_and_deletes(&calls), [], "{calls:?}");
    assert_eq!(scheduler(&h, &seeded.id).await.as_deref(), Some("rr"));
    assert_eq!(
        calls.get("SetLoadBalancerTCPListenerAttribute"),
        None,
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_local_policy_clb_of_the_reference_is_adopted_and_switched_to_wrr_with_an_event() {
    let h = harness("takeover-l").await;
    h.stop_controller();
    let svc = create_reference_service(&h, service(&h.ns, "web", true, &[])).await;
    Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
        .create(&PostParams::default(), &h.slice("web", [1, 2, 0]))
        .await
        .unwrap();
    let seeded = seed_reference_clb(&h, &svc, [1, 2, 0]).await;
    write_reference_status(&h, "web", &seeded).await;

    let replica = h.start_replica("slb-ccm");
    synced_by_slb_ccm(&h, "web").await;
    let calls = settled_calls(replica.admin).await;
    assert_eq!(creates_and_deletes(&calls), [], "{calls:?}");
    assert_eq!(scheduler(&h, &seeded.id).await.as_deref(), Some("wrr"));
    let events = h.events("web").await;
    assert!(
        events
            .iter()
            .any(|(reason, note)| reason == "EnsuredLoadBalancer"
                && note.contains("changes from rr to wrr")
                && note.contains("pod count")),
        "{events:?}"
    );
}
