//! slb-ccm as the whole cloud controller of a real one-node cluster whose kubelet and
//! kube-controller-manager run with `--cloud-provider=external`: the Node registers with the
//! uninitialized taint and no providerID, a Pod stays Pending; slb-ccm installed from
//! `deploy/` (it tolerates the taint) registers the Node with the local CLB at its provided
//! node IP, finds the instance by that IP, writes the providerID, addresses and labels the
//! spec's tables give, removes the taint, and the Pod schedules. Then the instance is set
//! `Stopped` in the local CLB: the shutdown taint appears, and goes when it runs again.
//! Last, routes (slb-ccm runs with `--configure-cloud-routes`, the local CLB knows a vSwitch
//! of `vpc-local`, so that VPC has a `System` route table): the kube-controller-manager
//! allocates no pod CIDRs here, so the test sets the Node's to the CNI's range as an admin;
//! a route entry for it appears with the Node's instance as next hop, the Node's
//! `NetworkUnavailable` becomes False (`RouteCreated`), and the Pod keeps running.
//!
//! Printed figures: time from the Node's registration (creationTimestamp) to the taint's
//! removal, the local CLB's calls (its `/metrics`) for the initialization and per periodic
//! sync, and the time from the pod CIDR's patch to the route entry and to the condition, with
//! the route calls made.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod real_cluster_support;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use real_cluster_support::*;
use slb_openapi::ecs::DescribeInstancesRequest;
use slb_openapi::vpc::{DescribeRouteEntryListRequest, DescribeRouteTableListRequest};
use slb_openapi::{Ecs, Vpc};
use slb_testkit::ClusterOptions;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

const UNINITIALIZED: &str = "node.cloudprovider.kubernetes.io/uninitialized";
const SHUTDOWN: &str = "node.cloudprovider.kubernetes.io/shutdown";
const SYNC_PERIOD_SECS: u64 = 5;
/// The pod network slb-ccm's route controller is given (`--cluster-cidr`).
const CLUSTER_CIDR: &str = "10.244.0.0/16";
/// The local CLB's config: one vSwitch of `vpc-local` (so the VPC has a `System` route
/// table), outside the pod, service, node and VIP ranges of the cluster.
const LOCAL_CONFIG: &str = "vswitches:
  - {id: vsw-local, vpc_id: vpc-local, zone_id: cn-hangzhou-a, cidr: 10.252.0.0/24}
";

fn taints(node: &Node) -> Vec<String> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .map(|t| t.iter().map(|t| t.key.clone()).collect())
        .unwrap_or_default()
}

fn addresses(node: &Node) -> Vec<(String, String)> {
    node.status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .map(|a| {
            a.iter()
                .map(|a| (a.type_.clone(), a.address.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls the Node until `ok`, up to `limit`; the Node and when it was seen so.
async fn wait_node(
    api: &Api<Node>,
    name: &str,
    limit: Duration,
    what: &str,
    ok: impl Fn(&Node) -> bool,
) -> Node {
    let deadline = Instant::now() + limit;
    loop {
        let node = api.get(name).await.unwrap();
        if ok(&node) {
            return node;
        }
        assert!(Instant::now() < deadline, "{what}: {node:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn pending_pod() -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "waits-for-init", "namespace": "default"},
        "spec": {
            "automountServiceAccountToken": false, "enableServiceLinks": false,
            "dnsPolicy": "Default",
            "containers": [{"name": "echo", "image": slb_testkit::images::ECHO_IMAGE,
                            "imagePullPolicy": "Never"}]
        }
    }))
    .unwrap()
}

async fn pod_phase(pods: &Api<Pod>) -> String {
    let pod = pods.get("waits-for-init").await.unwrap();
    pod.status.and_then(|s| s.phase).unwrap_or_default()
}

/// The spec's label table (§3.4) applied to the instance as DescribeInstances returns it.
fn spec_labels(i: &slb_openapi::ecs::Instance) -> BTreeMap<String, String> {
    let mut want = BTreeMap::new();
    let mut put = |keys: &[&str], v: &str| {
        if !v.is_empty() {
            for k in keys {
                want.insert((*k).to_owned(), v.to_owned());
            }
        }
    };
    put(
        &[
            "node.kubernetes.io/instance-type",
            "beta.kubernetes.io/instance-type",
        ],
        &i.instance_type,
    );
    put(
        &[
            "topology.kubernetes.io/zone",
            "failure-domain.beta.kubernetes.io/zone",
        ],
        &i.zone_id,
    );
    put(
        &[
            "topology.kubernetes.io/region",
            "failure-domain.beta.kubernetes.io/region",
        ],
        &i.region_id,
    );
    put(
        &["node.alibabacloud.com/instance-charge-type"],
        &i.instance_charge_type,
    );
    put(&["node.alibabacloud.com/spot-strategy"], &i.spot_strategy);
    want
}

fn describes(calls: &BTreeMap<String, u64>) -> u64 {
    calls.get("DescribeInstances").copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slb_ccm_initializes_an_external_cloud_provider_node() {
    let mut report = Report::new("nodes");
    let options = ClusterOptions {
        cloud_provider_external: true,
        ..ClusterOptions::default()
    };
    let env = Env::start_with_local_config(options, Some(LOCAL_CONFIG)).await;
    let nodes: Api<Node> = Api::all(env.client.clone());
    let node = nodes
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .remove(0);
    let name = node.metadata.name.clone().unwrap();
    assert!(
        taints(&node).contains(&UNINITIALIZED.to_owned()),
        "{node:#?}"
    );
    let provided =
        node.metadata.annotations.as_ref().unwrap()["alpha.kubernetes.io/provided-node-ip"].clone();
    report.line(format!(
        "registered Node {name}: providerID {:?}, addresses {:?}, provided-node-ip {provided}",
        node.spec.as_ref().and_then(|s| s.provider_id.clone()),
        addresses(&node)
    ));

    // A Pod waits for the Node's initialization.
    let pods: Api<Pod> = Api::namespaced(env.client.clone(), "default");
    pods.create(&PostParams::default(), &pending_pod())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(pod_phase(&pods).await, "Pending");

    // slb-ccm from deploy/ (node controller on by default), a short sync period for the test.
    let before = env.api_calls().await;
    let period = SYNC_PERIOD_SECS.to_string();
    let installed = Instant::now();
    // Routes on (SLB_VPC_ID is vpc-local in every install): the reconcile period stays at
    // its default, a Node's change starts a sync by itself.
    env.install_slb_ccm_with(&[
        ("SLB_NODE_SYNC_PERIOD_SECS", &period),
        ("SLB_CONFIGURE_CLOUD_ROUTES", "true"),
        ("SLB_CLUSTER_CIDR", CLUSTER_CIDR),
    ]);
    let initialized = wait_node(
        &nodes,
        &name,
        Duration::from_secs(180),
        "taint removed",
        |n| !taints(n).contains(&UNINITIALIZED.to_owned()),
    )
    .await;
    let removed_at = chrono_now();
    let registered = node.metadata.creation_timestamp.as_ref().unwrap().0;
    let init_calls = diff(&env.api_calls().await, &before);
    report.line(format!(
        "taint removed {:.1} s after the Node's registration (which preceded slb-ccm's install \
         by the Pending check), {:.1} s after kubectl apply -k of slb-ccm; calls for the \
         initialization (all of slb-ccm's start): {init_calls:?}",
        removed_at.duration_since(registered).as_secs_f64(),
        installed.elapsed().as_secs_f64()
    ));

    // Side by side with the spec's rules: providerID, labels, addresses.
    let pid = initialized
        .spec
        .as_ref()
        .unwrap()
        .provider_id
        .clone()
        .unwrap();
    let (region, id) = pid.split_once('.').unwrap();
    let req = DescribeInstancesRequest {
        region_id: Some(region.to_owned()),
        instance_ids: Some(vec![id.to_owned()]),
        ..Default::default()
    };
    let instance = env
        .ecs()
        .describe_instances(&req)
        .await
        .unwrap()
        .instances
        .remove(0);
    let labels = initialized.metadata.labels.clone().unwrap();
    for (k, v) in spec_labels(&instance) {
        assert_eq!(labels.get(&k), Some(&v), "label {k}");
    }
    let addrs = addresses(&initialized);
    assert_eq!(
        addrs[0],
        ("InternalIP".to_owned(), provided.clone()),
        "{addrs:?}"
    );
    report.line(format!(
        "Node {name}: providerID {pid}, addresses {addrs:?}"
    ));

    // The Pod schedules.
    let t = Instant::now();
    while pod_phase(&pods).await != "Running" {
        assert!(t.elapsed() < Duration::from_secs(90), "pod not Running");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report.line(format!(
        "the waiting Pod Running {:.1} s after the taint's removal",
        t.elapsed().as_secs_f64()
    ));

    // Periodic syncs of one Node: describes per period.
    let before = env.api_calls().await;
    tokio::time::sleep(Duration::from_secs(SYNC_PERIOD_SECS * 4)).await;
    let (route_calls, sync_calls): (BTreeMap<_, _>, BTreeMap<_, _>) =
        diff(&env.api_calls().await, &before)
            .into_iter()
            .partition(|(action, _)| action.contains("Route"));
    report.line(format!(
        "periodic sync of 1 Node: {} DescribeInstances in {} s (period {SYNC_PERIOD_SECS} s); \
         all node calls: {sync_calls:?}; route calls in the window (the route controller's \
         listing once the Node got its providerID, when it falls here): {route_calls:?}",
        describes(&sync_calls),
        SYNC_PERIOD_SECS * 4
    ));

    // Stopped → shutdown taint; running again → removed.
    let record = |status: &str| {
        vec![slb_openapi::local_admin::LocalInstance {
            instance_id: id.to_string(),
            private_ip_address: provided.to_string(),
            vpc_id: "vpc-local".into(),
            instance_name: name.to_string(),
            status: status.into(),
            ..Default::default()
        }]
    };
    env.put_instances(record("Stopped")).await;
    let t = Instant::now();
    let limit = Duration::from_secs(SYNC_PERIOD_SECS * 3);
    wait_node(&nodes, &name, limit, "shutdown taint", |n| {
        taints(n).contains(&SHUTDOWN.to_owned())
    })
    .await;
    report.line(format!(
        "instance Stopped → shutdown taint in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    env.put_instances(record("Running")).await;
    let t = Instant::now();
    wait_node(&nodes, &name, limit, "shutdown taint removed", |n| {
        !taints(n).contains(&SHUTDOWN.to_owned())
    })
    .await;
    report.line(format!(
        "instance Running → shutdown taint removed in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // Routes: the Node's pod CIDR (the CNI's range) → an entry to its instance, then the
    // condition.
    let pod_cidr = env.cluster.var("POD_CIDR").unwrap().to_owned();
    let phase = route_phase(&env, &nodes, &name, id, &pod_cidr).await;
    report.line(format!(
        "pod CIDR {pod_cidr} set on the Node → route entry {} → {id} in {} ({}) after {:.1} s, \
         NetworkUnavailable=False/RouteCreated after {:.1} s; route calls: {:?}",
        phase.entry_id,
        phase.table,
        phase.table_type,
        phase.route.as_secs_f64(),
        phase.condition.as_secs_f64(),
        phase.calls
    ));
    assert_eq!(pod_phase(&pods).await, "Running", "the Pod keeps running");
    report.finish();
}

/// What the route phase saw.
struct RoutePhase {
    table: String,
    table_type: String,
    entry_id: String,
    /// From the patch to the entry's first listing.
    route: Duration,
    /// From the patch to `NetworkUnavailable=False`/`RouteCreated`.
    condition: Duration,
    /// The local CLB's calls in between, the test's own listings taken out.
    calls: BTreeMap<String, u64>,
}

fn route_created(node: &Node) -> bool {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.into_iter().flatten().any(|c| {
        c.type_ == "NetworkUnavailable"
            && c.status == "False"
            && c.reason.as_deref() == Some("RouteCreated")
    })
}

/// Sets the Node's pod CIDR as an admin (settable once, while empty) and polls until the
/// VPC's route table holds an entry for it to `instance` and the Node's condition says so.
async fn route_phase(
    env: &Env,
    nodes: &Api<Node>,
    name: &str,
    instance: &str,
    pod_cidr: &str,
) -> RoutePhase {
    let tables = env
        .vpc()
        .describe_route_table_list(&DescribeRouteTableListRequest {
            vpc_id: Some("vpc-local".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .router_table_list;
    let [table] = tables.as_slice() else {
        panic!("vpc-local has one route table: {tables:?}");
    };
    // The test's own listings after `before`, taken out of the calls.
    let mut own: BTreeMap<String, u64> = BTreeMap::new();
    let before = env.api_calls().await;
    let patch = serde_json::json!({"spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}});
    let patched = Instant::now();
    nodes
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let deadline = patched + Duration::from_secs(30);
    let (mut route, mut condition, mut entry_id) = (None, None, String::new());
    while route.is_none() || condition.is_none() {
        if route.is_none() {
            let req = DescribeRouteEntryListRequest {
                route_table_id: table.route_table_id.clone(),
                destination_cidr_block: Some(pod_cidr.to_owned()),
                ..Default::default()
            };
            let entries = env.vpc().describe_route_entry_list(&req).await.unwrap();
            *own.entry("DescribeRouteEntryList".into()).or_default() += 1;
            if let Some(e) = entries.route_entrys.first() {
                let hops: Vec<_> = e
                    .next_hops
                    .iter()
                    .map(|h| (h.next_hop_type.as_str(), h.next_hop_id.as_str()))
                    .collect();
                assert_eq!(hops, [("Instance", instance)], "{e:?}");
                assert_eq!(e.entry_type, "Custom", "{e:?}");
                // the marker that makes the entry slb-ccm's (SLB_CLUSTER_ID is c-e2e)
                assert_eq!(e.description, "slb-ccm route of cluster c-e2e", "{e:?}");
                entry_id.clone_from(&e.route_entry_id);
                route = Some(patched.elapsed());
            }
        }
        if condition.is_none() && route_created(&nodes.get(name).await.unwrap()) {
            condition = Some(patched.elapsed());
        }
        if Instant::now() >= deadline {
            let node = nodes.get(name).await.unwrap();
            let logs = env.kubectl(&["-n", "slb-ccm", "logs", "-l", "app=slb-ccm", "--tail=30"]);
            panic!(
                "after 30 s: route {route:?}, condition {condition:?}\n{:#?}\n{logs}",
                node.status.and_then(|s| s.conditions)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut calls = diff(&env.api_calls().await, &before);
    for (action, n) in &own {
        if let Some(c) = calls.get_mut(action) {
            *c = c.saturating_sub(*n);
        }
    }
    calls.retain(|_, n| *n > 0);
    RoutePhase {
        table: table.route_table_id.clone(),
        table_type: table.route_table_type.clone(),
        entry_id,
        route: route.unwrap(),
        condition: condition.unwrap(),
        calls,
    }
}

fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn chrono_now() -> k8s_openapi::jiff::Timestamp {
    k8s_openapi::jiff::Timestamp::now()
}
