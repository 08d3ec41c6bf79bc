//! The route controller against a real kube-apiserver (testkit) and an in-process local CLB
//! (its VPC actions, durable entries and error codes): a Node's pod CIDR gets its route and
//! `NetworkUnavailable=False/RouteCreated`; a deleted Node's route goes, also when it was
//! deleted while no controller ran (found by next hop and marker); routes the cluster does
//! not own stay; a conflicting entry is one Warning with the exact reason and no create
//! calls; N Nodes cost one listing and ⌈N/50⌉ `CreateRouteEntries`.
//!
//! Each test watches only its own Nodes (labelled with its namespace) and uses pod CIDRs of
//! its own, so the tests of this binary share the API server without seeing each other.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod node_cache;

use k8s_openapi::api::core::v1::{Event, Node, NodeSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::events::Reporter;
use kube::{Api, Client};
use slb_controller::events::Publisher;
use slb_controller::node::writes::NodeWriter;
use slb_controller::route::plan::Cidr;
use slb_controller::route::writes::{CREATE_ROUTE_FAILED, has_route_condition};
use slb_controller::route::{RouteController, RouteSettings};
use slb_local::store::MemoryStore;
use slb_local::{Engine, LocalConfig, NoopDataPlane};
use slb_openapi::metered::Metered;
use slb_openapi::metrics::ApiMetrics;
use slb_openapi::vpc::*;
use slb_openapi::{Action, Vpc};
use slb_testkit::ControlPlane;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use node_cache::labelled_nodes;

const LABEL: &str = "slb-route-test";
const TABLE: &str = "vtb-local";

struct Test {
    client: Client,
    ns: String,
    engine: Arc<Engine>,
    metrics: ApiMetrics,
    /// This test's pod network, 10.<k>.0.0/16 (a distinct k per test).
    net: u8,
    stop: CancellationToken,
}

impl Drop for Test {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

static NEXT_NET: AtomicU8 = AtomicU8::new(100);

/// A namespace and a local CLB knowing instances `i-<ns>-0..count` (and `i-<ns>-foreign`).
async fn setup(prefix: &str, count: usize) -> Test {
    let cp = ControlPlane::shared().await.unwrap();
    let client = cp.client().await.unwrap();
    let ns = cp.namespace(prefix).await.unwrap();
    let mut yaml = String::from("instances:\n");
    for i in (0..count)
        .map(|i| i.to_string())
        .chain(["foreign".to_owned()])
    {
        yaml.push_str(&format!(
            "  - {{ InstanceId: i-{ns}-{i}, PrivateIpAddress: 127.0.0.1, VpcId: vpc-local }}\n"
        ));
    }
    let config: LocalConfig = serde_yaml::from_str(&yaml).unwrap();
    let engine = Arc::new(
        Engine::open(
            config,
            Box::new(MemoryStore::default()),
            Arc::new(NoopDataPlane),
        )
        .unwrap(),
    );
    Test {
        client,
        ns,
        engine,
        metrics: ApiMetrics::new(),
        net: NEXT_NET.fetch_add(1, Ordering::Relaxed),
        stop: CancellationToken::new(),
    }
}

impl Test {
    fn cidr(&self, third: usize) -> String {
        format!("10.{}.{third}.0/24", self.net)
    }

    fn instance(&self, i: &str) -> String {
        format!("i-{}-{i}", self.ns)
    }

    fn settings(&self, period: Duration) -> RouteSettings {
        let cluster = Cidr::parse(&format!("10.{}.0.0/16", self.net)).unwrap();
        let mut s = RouteSettings::new("vpc-local", cluster, "c1");
        s.tick = Duration::from_millis(100);
        s.period = period;
        s
    }

    /// Runs a route controller over this test's Nodes; it stops with the returned token.
    fn run(&self, period: Duration) -> CancellationToken {
        let stop = self.stop.child_token();
        let api = Api::<Node>::all(self.client.clone());
        let (store, listed) = labelled_nodes(&self.client, (LABEL, &self.ns), &stop);
        let reporter = Reporter {
            controller: "slb-ccm-route-test".into(),
            instance: None,
        };
        let writer = NodeWriter::new(
            self.client.clone(),
            Publisher::new(self.client.clone(), reporter),
        );
        let vpc: Arc<dyn Vpc> = Arc::new(Metered::new(self.engine.clone(), self.metrics.clone()));
        let controller =
            RouteController::new(vpc, (writer, api), (store, listed), self.settings(period));
        tokio::spawn(controller.run(stop.clone()));
        stop
    }

    fn name(&self, n: usize) -> String {
        format!("{}-n{n}", self.ns)
    }

    async fn create_node(&self, n: usize, provider_id: String, pod_cidr: &str) {
        let node = Node {
            metadata: ObjectMeta {
                name: Some(self.name(n)),
                labels: Some([(LABEL.to_owned(), self.ns.clone())].into()),
                ..ObjectMeta::default()
            },
            spec: Some(NodeSpec {
                provider_id: Some(provider_id),
                pod_cidr: Some(pod_cidr.to_owned()),
                pod_cidrs: Some(vec!["fd00::/64".into(), pod_cidr.to_owned()]),
                ..NodeSpec::default()
            }),
            status: None,
        };
        self.nodes()
            .create(&PostParams::default(), &node)
            .await
            .unwrap();
    }

    fn nodes(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    /// The custom entries of the table: (destination, next hop, description).
    fn entries(&self) -> Vec<(String, String, String)> {
        let state = self.engine.state();
        let table = &state.route_tables[TABLE];
        table
            .entries
            .iter()
            .filter(|e| {
                e.destination_cidr_block
                    .starts_with(&format!("10.{}.", self.net))
                    || e.next_hop_id.contains(&self.ns)
            })
            .map(|e| {
                (
                    e.destination_cidr_block.clone(),
                    e.next_hop_id.clone(),
                    e.description.clone(),
                )
            })
            .collect()
    }

    async fn wait_entries(&self, what: &str, ok: impl Fn(&[(String, String, String)]) -> bool) {
        for _ in 0..100 {
            if ok(&self.entries()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what}: {:#?}", self.entries());
    }

    /// A route written behind the controller's back (console, another tool, the reference).
    async fn put_entry(&self, cidr: &str, hop: &str, description: &str) {
        let req = CreateRouteEntryRequest {
            route_table_id: TABLE.into(),
            destination_cidr_block: cidr.into(),
            next_hop_type: Some("Instance".into()),
            next_hop_id: Some(hop.into()),
            description: Some(description.into()).filter(|d: &String| !d.is_empty()),
            ..Default::default()
        };
        self.engine.create_route_entry(&req).await.unwrap();
    }

    async fn events(&self, n: usize, reason: &str) -> Vec<String> {
        let name = self.name(n);
        Api::<Event>::namespaced(self.client.clone(), "default")
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.involved_object.name.as_deref() == Some(&name))
            .filter(|e| e.reason.as_deref() == Some(reason))
            .map(|e| e.message.unwrap_or_default())
            .collect()
    }

    fn calls(&self, req_name: &str) -> u64 {
        self.metrics.stats().calls(req_name)
    }
}

#[tokio::test]
async fn a_nodes_pod_cidr_gets_its_route_and_network_unavailable_false_route_created() {
    let t = setup("route-create", 1).await;
    t.run(Duration::from_secs(60));
    t.create_node(
        0,
        format!("alicloud://cn-hangzhou.{}", t.instance("0")),
        &t.cidr(1),
    )
    .await;
    let (cidr, hop) = (t.cidr(1), t.instance("0"));
    t.wait_entries("route for n0", |e| {
        e.iter()
            .any(|(c, h, d)| *c == cidr && *h == hop && d == "slb-ccm route of cluster c1")
    })
    .await;
    for _ in 0..100 {
        let node = t.nodes().get(&t.name(0)).await.unwrap();
        if has_route_condition(&node) {
            let cond = node.status.unwrap().conditions.unwrap();
            let c = cond
                .iter()
                .find(|c| c.type_ == "NetworkUnavailable")
                .unwrap();
            assert_eq!(
                (c.status.as_str(), c.message.as_deref()),
                ("False", Some("RouteController created a route"))
            );
            assert_eq!(t.events(0, "CreatedRoute").await.len(), 1);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("NetworkUnavailable was not set False/RouteCreated");
}

#[tokio::test]
async fn a_deleted_nodes_route_is_removed() {
    let t = setup("route-delete", 2).await;
    t.run(Duration::from_secs(60));
    t.create_node(0, format!("cn-hangzhou.{}", t.instance("0")), &t.cidr(1))
        .await;
    t.create_node(1, format!("cn-hangzhou.{}", t.instance("1")), &t.cidr(2))
        .await;
    t.wait_entries("two routes", |e| e.len() == 2).await;
    t.nodes()
        .delete(&t.name(0), &DeleteParams::default())
        .await
        .unwrap();
    let kept = t.cidr(2);
    t.wait_entries("only n1's route", |e| e.len() == 1 && e[0].0 == kept)
        .await;
}

#[tokio::test]
async fn after_a_restart_a_marked_route_whose_instance_is_no_node_is_removed() {
    let t = setup("route-restart", 1).await;
    t.put_entry(
        &t.cidr(9),
        &t.instance("foreign"),
        "slb-ccm route of cluster c1",
    )
    .await;
    t.create_node(0, format!("cn-hangzhou.{}", t.instance("0")), &t.cidr(1))
        .await;
    t.run(Duration::from_secs(60));
    let (cidr, hop) = (t.cidr(1), t.instance("0"));
    t.wait_entries("stale removed, n0's created", |e| {
        e.len() == 1 && e[0].0 == cidr && e[0].1 == hop
    })
    .await;
}

#[tokio::test]
async fn routes_the_cluster_does_not_own_are_untouched() {
    let t = setup("route-foreign", 1).await;
    let foreign = t.instance("foreign");
    t.put_entry(&t.cidr(9), &foreign, "").await;
    t.put_entry(
        &format!("10.{}.0.0/24", t.net.wrapping_add(100)),
        &t.instance("0"),
        "slb-ccm route of cluster c1",
    )
    .await;
    t.create_node(0, format!("cn-hangzhou.{}", t.instance("0")), &t.cidr(1))
        .await;
    t.run(Duration::from_millis(300));
    t.wait_entries("n0's route", |e| e.iter().any(|(c, _, _)| *c == t.cidr(1)))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let entries = t.entries();
    assert!(
        entries
            .iter()
            .any(|(c, h, _)| *c == t.cidr(9) && *h == foreign),
        "{entries:#?}"
    );
    assert!(
        entries
            .iter()
            .any(|(c, _, _)| c.starts_with(&format!("10.{}.", t.net.wrapping_add(100)))),
        "{entries:#?}"
    );
    assert_eq!(t.calls(DeleteRouteEntriesRequest::NAME), 0);
}

#[tokio::test]
async fn a_conflicting_entry_is_one_warning_with_the_exact_reason_and_no_create_calls() {
    let t = setup("route-conflict", 1).await;
    let foreign = t.instance("foreign");
    t.put_entry(&t.cidr(1), &foreign, "").await;
    t.create_node(0, format!("cn-hangzhou.{}", t.instance("0")), &t.cidr(1))
        .await;
    t.run(Duration::from_millis(300));
    let mut events = Vec::new();
    for _ in 0..100 {
        events = t.events(0, CREATE_ROUTE_FAILED).await;
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = format!(
        "Error creating route entry in {TABLE}: the route table already sends {} to instance {foreign}, not to this Node's instance {}; slb-ccm does not replace a route it did not create: delete that entry or give the Node another pod CIDR",
        t.cidr(1),
        t.instance("0")
    );
    assert_eq!(events, vec![expected]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        t.calls(DescribeRouteEntryListRequest::NAME) >= 3,
        "periodic resyncs ran"
    );
    assert_eq!(
        t.calls(CreateRouteEntriesRequest::NAME),
        0,
        "no create attempted for a conflict"
    );
    let repeated = t.events(0, CREATE_ROUTE_FAILED).await;
    assert_eq!(repeated.len(), 1, "reported once: {repeated:#?}");
    let node = t.nodes().get(&t.name(0)).await.unwrap();
    assert!(
        !has_route_condition(&node),
        "no RouteCreated without a verified route"
    );
}

#[tokio::test]
async fn sixty_nodes_cost_one_table_list_one_entry_list_and_two_create_batches() {
    let t = setup("route-batch", 60).await;
    for n in 0..60 {
        let prefix = if n % 2 == 0 { "alicloud://" } else { "" };
        t.create_node(
            n,
            format!("{prefix}cn-hangzhou.{}", t.instance(&n.to_string())),
            &t.cidr(n + 1),
        )
        .await;
    }
    t.run(Duration::from_secs(60));
    t.wait_entries("60 routes", |e| e.len() == 60).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = (
        t.calls(DescribeRouteTableListRequest::NAME),
        t.calls(DescribeRouteEntryListRequest::NAME),
        t.calls(CreateRouteEntriesRequest::NAME),
        t.calls(DeleteRouteEntriesRequest::NAME),
    );
    assert_eq!(
        calls,
        (1, 1, 2, 0),
        "(table lists, entry lists, creates, deletes)"
    );
}
