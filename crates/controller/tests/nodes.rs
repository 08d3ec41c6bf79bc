//! The node controller against a real kube-apiserver (testkit) and an in-process local CLB:
//! initialization (by providerID and by IP), the labels, addresses and taints the spec's
//! tables give, events on failure, the periodic sync and the lifecycle (deletion only of
//! NotReady Nodes after a successful describe, never on credential errors; shutdown taint).
//!
//! Each test watches only its own Nodes (labelled with its namespace), so the tests of this
//! binary share the API server without seeing each other's Nodes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod node_cache;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Event, Node, NodeCondition, NodeSpec, NodeStatus, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, PostParams};
use kube::runtime::events::Reporter;
use kube::{Api, Client, ResourceExt};
use slb_controller::events::Publisher;
use slb_controller::node::rules::{PROVIDED_NODE_IP, SHUTDOWN_TAINT, UNINITIALIZED_TAINT};
use slb_controller::node::writes::NodeWriter;
use slb_controller::node::{NodeController, NodeSettings};
use slb_local::store::MemoryStore;
use slb_local::{Engine, LocalConfig, NoopDataPlane};
use slb_openapi::ecs::{DescribeInstancesRequest, DescribeInstancesResponse};
use slb_openapi::error::codes;
use slb_openapi::local_admin::{LocalInstance, LocalPutInstancesRequest};
use slb_openapi::metered::Metered;
use slb_openapi::metrics::ApiMetrics;
use slb_openapi::{Action, ApiError, Ecs};
use slb_testkit::ControlPlane;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use node_cache::labelled_nodes;

const LABEL: &str = "slb-node-test";

struct Test {
    client: Client,
    ns: String,
    engine: Arc<Engine>,
    metrics: ApiMetrics,
    stop: CancellationToken,
}

impl Drop for Test {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A namespace (for unique names) and a local CLB with `instances_yaml`.
async fn setup(prefix: &str, instances_yaml: &str) -> Test {
    let cp = ControlPlane::shared().await.unwrap();
    let client = cp.client().await.unwrap();
    let ns = cp.namespace(prefix).await.unwrap();
    let yaml = format!("instances:\n{}", instances_yaml.replace("NS", &ns));
    let config: LocalConfig = serde_yaml::from_str(&yaml).unwrap();
    let store = Box::new(MemoryStore::default());
    let engine = Arc::new(Engine::open(config, store, Arc::new(NoopDataPlane)).unwrap());
    Test {
        client,
        ns,
        engine,
        metrics: ApiMetrics::new(),
        stop: CancellationToken::new(),
    }
}

impl Test {
    /// Runs a node controller over this test's Nodes with `ecs` (fast timings).
    fn run(&self, ecs: Arc<dyn Ecs>) {
        self.run_as(self.client.clone(), ecs);
    }

    /// [`Test::run`] acting as `client`.
    fn run_as(&self, client: Client, ecs: Arc<dyn Ecs>) {
        let (store, listed) = labelled_nodes(&client, (LABEL, &self.ns), &self.stop);
        let reporter = Reporter {
            controller: "slb-ccm-node-test".into(),
            instance: None,
        };
        let recorder = Publisher::new(client.clone(), reporter);
        let writer = NodeWriter::new(client, recorder);
        let mut settings = NodeSettings::new("cn-hangzhou", "vpc-local");
        settings.tick = Duration::from_millis(100);
        settings.sync_period = Duration::from_millis(700);
        let controller = NodeController::new(ecs, writer, (store, listed), settings);
        tokio::spawn(controller.run(self.stop.clone()));
    }

    fn run_local(&self) {
        let ecs = Arc::new(Metered::new(self.engine.clone(), self.metrics.clone()));
        self.run(ecs);
    }

    fn name(&self, n: &str) -> String {
        format!("{}-{n}", self.ns)
    }

    /// Creates a Node as a kubelet with `--cloud-provider=external` registers it.
    async fn create(&self, n: &str, spec: NodeShape<'_>) {
        let node = Node {
            metadata: ObjectMeta {
                name: Some(self.name(n)),
                labels: Some([(LABEL.to_owned(), self.ns.clone())].into()),
                annotations: spec
                    .provided_ip
                    .map(|ip| [(PROVIDED_NODE_IP.to_owned(), ip.to_owned())].into()),
                ..ObjectMeta::default()
            },
            spec: Some(NodeSpec {
                provider_id: spec.provider_id.map(|p| p.replace("NS", &self.ns)),
                taints: Some(
                    spec.taints
                        .iter()
                        .map(|k| Taint {
                            key: (*k).into(),
                            value: Some("true".into()),
                            effect: "NoSchedule".into(),
                            ..Taint::default()
                        })
                        .collect(),
                ),
                ..NodeSpec::default()
            }),
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: spec.ready.into(),
                    ..NodeCondition::default()
                }]),
                ..NodeStatus::default()
            }),
        };
        self.nodes()
            .create(&PostParams::default(), &node)
            .await
            .unwrap();
    }

    fn nodes(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    /// Waits up to 10 s for Node `n` to satisfy `ok` (`None` = deleted).
    async fn wait(&self, n: &str, what: &str, ok: impl Fn(Option<&Node>) -> bool) -> Option<Node> {
        let name = self.name(n);
        for _ in 0..100 {
            let node = self.nodes().get_opt(&name).await.unwrap();
            if ok(node.as_ref()) {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{name}: {what}: {:#?}",
            self.nodes().get_opt(&name).await.unwrap()
        );
    }

    /// The events about Node `n`: (reason, message).
    async fn events(&self, n: &str) -> Vec<(String, String)> {
        let name = self.name(n);
        Api::<Event>::namespaced(self.client.clone(), "default")
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.involved_object.name.as_deref() == Some(&name))
            .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
            .collect()
    }

    /// Waits up to 10 s for an event `reason` about Node `n`; its message.
    async fn wait_event(&self, n: &str, reason: &str) -> String {
        for _ in 0..100 {
            if let Some((_, m)) = self.events(n).await.into_iter().find(|(r, _)| r == reason) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {reason} event about {n}: {:?}", self.events(n).await);
    }

    async fn describe_calls(&self) -> u64 {
        self.metrics.stats().calls(DescribeInstancesRequest::NAME)
    }

    /// Puts the instance `id` (`NS` stands for the test's namespace) in `status`.
    async fn put_instance(&self, id: &str, status: &str) {
        let instance = LocalInstance {
            instance_id: id.replace("NS", &self.ns),
            private_ip_address: "10.77.0.1".into(),
            status: status.into(),
            ..Default::default()
        };
        let request = LocalPutInstancesRequest {
            instances: vec![instance],
            ..Default::default()
        };
        self.engine.local_put_instances(&request).await.unwrap();
    }
}

#[derive(Clone, Copy)]
struct NodeShape<'a> {
    provider_id: Option<&'a str>,
    provided_ip: Option<&'a str>,
    taints: &'a [&'a str],
    ready: &'a str,
}

const TAINTED: NodeShape<'static> = NodeShape {
    provider_id: Some("cn-hangzhou.i-NS-1"),
    provided_ip: None,
    taints: &[UNINITIALIZED_TAINT],
    ready: "True",
};

const FULL: &str = "  - { InstanceId: i-NS-1, PrivateIpAddress: 10.77.0.1, VpcId: vpc-local, \
                    ZoneId: cn-hangzhou-k, InstanceType: ecs.g7.large, InstanceChargeType: PrePaid, \
                    SpotStrategy: NoSpot, PublicIpAddresses: [47.0.0.1], EipAddress: 47.0.0.2, \
                    Tags: { ack.alibabacloud.com/nodepool-id: np-7 } }\n";

fn untainted(node: Option<&Node>) -> bool {
    node.is_some_and(|n| !taint_keys(n).contains(&UNINITIALIZED_TAINT.to_owned()))
}

/// The Node's taints but the API server's own (`node.kubernetes.io/not-ready` on create).
fn taint_keys(node: &Node) -> Vec<String> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .map(|t| {
            t.iter()
                .map(|t| t.key.clone())
                .filter(|k| !k.starts_with("node.kubernetes.io/"))
                .collect()
        })
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

#[tokio::test]
async fn a_tainted_node_gets_the_specs_labels_and_addresses_then_loses_the_taint() {
    let t = setup("node-init", FULL).await;
    t.create("a", TAINTED).await;
    t.run_local();
    let node = t.wait("a", "initialized", untainted).await.unwrap();
    // Side by side with the spec's tables (§3.3, §3.4): what the reference writes.
    let spec_labels: BTreeMap<String, String> = [
        ("node.kubernetes.io/instance-type", "ecs.g7.large"),
        ("beta.kubernetes.io/instance-type", "ecs.g7.large"),
        ("topology.kubernetes.io/zone", "cn-hangzhou-k"),
        ("failure-domain.beta.kubernetes.io/zone", "cn-hangzhou-k"),
        ("topology.kubernetes.io/region", "cn-hangzhou"),
        ("failure-domain.beta.kubernetes.io/region", "cn-hangzhou"),
        ("node.alibabacloud.com/instance-charge-type", "PrePaid"),
        ("node.alibabacloud.com/spot-strategy", "NoSpot"),
        ("node.alibabacloud.com/nodepool-id", "np-7"),
        (LABEL, t.ns.as_str()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(node.labels(), &spec_labels);
    let spec_addresses = [
        ("ExternalIP", "47.0.0.1"),
        ("ExternalIP", "47.0.0.2"),
        ("InternalIP", "10.77.0.1"),
    ];
    let want: Vec<(String, String)> = spec_addresses
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(addresses(&node), want);
    assert!(taint_keys(&node).is_empty());
    assert_eq!(
        node.spec.unwrap().provider_id.unwrap(),
        format!("cn-hangzhou.i-{}-1", t.ns),
        "an existing providerID is kept"
    );
}

#[tokio::test]
async fn a_node_without_provider_id_is_found_by_its_provided_ip() {
    let t = setup("node-byip", FULL).await;
    let shape = NodeShape {
        provider_id: None,
        provided_ip: Some("10.77.0.1"),
        ..TAINTED
    };
    t.create("a", shape).await;
    t.run_local();
    let node = t.wait("a", "initialized by IP", untainted).await.unwrap();
    assert_eq!(
        addresses(&node)[0],
        ("InternalIP".into(), "10.77.0.1".into())
    );
    assert_eq!(
        node.spec.unwrap().provider_id.unwrap(),
        format!("cn-hangzhou.i-{}-1", t.ns)
    );
}

#[tokio::test]
async fn no_instance_at_the_ip_keeps_the_taint_and_says_what_to_do() {
    let t = setup("node-noip", FULL).await;
    let shape = NodeShape {
        provider_id: None,
        provided_ip: Some("10.77.0.99"),
        ..TAINTED
    };
    t.create("a", shape).await;
    t.run_local();
    let message = t.wait_event("a", "SyncNodeFailed").await;
    assert!(
        message.contains("10.77.0.99") && message.contains("--provider-id"),
        "{message}"
    );
    let node = t.nodes().get(&t.name("a")).await.unwrap();
    assert_eq!(taint_keys(&node), [UNINITIALIZED_TAINT]);
}

#[tokio::test]
async fn a_not_ready_node_whose_instance_is_gone_is_deleted() {
    let other = "  - { InstanceId: i-NS-other, PrivateIpAddress: 10.77.0.5 }\n";
    let t = setup("node-gone", other).await;
    let shape = NodeShape {
        taints: &[],
        ready: "Unknown",
        ..TAINTED
    };
    t.create("a", shape).await;
    t.run_local();
    t.wait("a", "deleted", |n| n.is_none()).await;
    assert_eq!(t.wait_event("a", "DeletedNode").await, t.name("a"));
}

#[tokio::test]
async fn a_ready_node_whose_instance_is_gone_is_kept() {
    let other = "  - { InstanceId: i-NS-other, PrivateIpAddress: 10.77.0.5 }\n";
    let t = setup("node-kept", other).await;
    let shape = NodeShape {
        taints: &[],
        ..TAINTED
    };
    t.create("a", shape).await;
    t.run_local();
    // Several full syncs (period 0.7 s) go by.
    while t.describe_calls().await < 4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(t.nodes().get_opt(&t.name("a")).await.unwrap().is_some());
}

/// ECS refusing the credentials on every call.
struct WrongCredentials;

#[async_trait]
impl Ecs for WrongCredentials {
    async fn describe_instances(
        &self,
        _: &DescribeInstancesRequest,
    ) -> Result<DescribeInstancesResponse, ApiError> {
        Err(codes::INVALID_ACCESS_KEY_ID_NOT_FOUND.error())
    }
}

/// ECS answering every describe with nothing (a wrong region, or another account's keys).
struct EmptyRegion;

#[async_trait]
impl Ecs for EmptyRegion {
    async fn describe_instances(
        &self,
        _: &DescribeInstancesRequest,
    ) -> Result<DescribeInstancesResponse, ApiError> {
        Ok(DescribeInstancesResponse::default())
    }
}

async fn never_deleted_with(prefix: &str, ecs: Arc<dyn Ecs>) {
    let t = setup(prefix, "").await;
    let shape = NodeShape {
        taints: &[],
        ready: "Unknown",
        ..TAINTED
    };
    t.create("a", shape).await;
    let calls = Arc::new(ApiMetrics::new());
    t.run(Arc::new(Metered::new(ecs, (*calls).clone())));
    while calls.stats().calls(DescribeInstancesRequest::NAME) < 4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(t.nodes().get_opt(&t.name("a")).await.unwrap().is_some());
}

#[tokio::test]
async fn credential_errors_never_delete_a_node() {
    never_deleted_with("node-creds", Arc::new(WrongCredentials)).await;
}

#[tokio::test]
async fn an_empty_region_never_deletes_a_node() {
    never_deleted_with("node-region", Arc::new(EmptyRegion)).await;
}

#[tokio::test]
async fn a_stopped_instance_taints_the_node_until_it_runs_again() {
    let t = setup("node-stop", FULL).await;
    t.create("a", TAINTED).await;
    t.run_local();
    t.wait("a", "initialized", untainted).await;
    t.put_instance("i-NS-1", "Stopped").await;
    let has_shutdown = |n: Option<&Node>| n.is_some_and(|n| taint_keys(n) == [SHUTDOWN_TAINT]);
    t.wait("a", "shutdown taint", has_shutdown).await;
    t.put_instance("i-NS-1", "Running").await;
    t.wait("a", "shutdown taint removed", |n| {
        n.is_some_and(|n| taint_keys(n).is_empty())
    })
    .await;
}

#[tokio::test]
async fn the_periodic_sync_costs_one_describe_per_batch_of_a_region() {
    let t = setup("node-sync", FULL).await;
    for n in ["a", "b", "c"] {
        let shape = NodeShape {
            provider_id: Some("cn-hangzhou.i-NS-1"),
            taints: &[],
            ..TAINTED
        };
        t.create(n, shape).await;
    }
    t.run_local();
    for n in ["a", "b", "c"] {
        t.wait(n, "addresses", |n| {
            n.is_some_and(|n| addresses(n).len() == 3)
        })
        .await;
    }
    let before = t.describe_calls().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let syncs = t.describe_calls().await - before;
    // Three Nodes of one region: one DescribeInstances per full sync (every 0.7 s).
    assert!((1..=3).contains(&syncs), "{syncs} describes in 1.5 s");
}

/// A client bound to deploy/rbac.yaml's ClusterRole (under a name of its own).
async fn deploy_role_client() -> Client {
    use k8s_openapi::api::rbac::v1::ClusterRole;
    use serde::Deserialize;
    let cp = ControlPlane::shared().await.unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/rbac.yaml"
    ))
    .unwrap();
    let mut role: ClusterRole = serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde_json::Value::deserialize(doc).unwrap())
        .find(|doc| doc["kind"] == "ClusterRole")
        .map(|doc| serde_json::from_value(doc).unwrap())
        .expect("deploy/rbac.yaml has a ClusterRole");
    role.metadata.name = Some("slb-ccm-node-rbac-check".into());
    let admin = cp.client().await.unwrap();
    let roles = Api::<ClusterRole>::all(admin);
    let _ = roles
        .delete("slb-ccm-node-rbac-check", &Default::default())
        .await;
    roles.create(&PostParams::default(), &role).await.unwrap();
    cp.client_for_cluster_role("slb-ccm-node-rbac", "slb-ccm-node-rbac-check")
        .await
        .unwrap()
}

#[tokio::test]
async fn the_node_controller_needs_no_more_than_the_cluster_role_in_deploy() {
    let other = "  - { InstanceId: i-NS-other, PrivateIpAddress: 10.77.0.5 }\n";
    let t = setup("node-rbac", &format!("{FULL}{other}")).await;
    t.create("a", TAINTED).await;
    let gone = NodeShape {
        provider_id: Some("cn-hangzhou.i-NS-gone"),
        taints: &[],
        ready: "Unknown",
        ..TAINTED
    };
    t.create("b", gone).await;
    let ecs = Arc::new(Metered::new(t.engine.clone(), t.metrics.clone()));
    t.run_as(deploy_role_client().await, ecs);
    t.wait("a", "initialized (addresses, labels, taint)", |n| {
        untainted(n) && n.is_some_and(|n| !addresses(n).is_empty())
    })
    .await;
    t.wait("b", "deleted", |n| n.is_none()).await;
}
