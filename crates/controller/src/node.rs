//! The node controller (`--controllers node`): initializes Nodes registered by a kubelet with
//! `--cloud-provider=external`, keeps their addresses and labels in step with ECS, and runs
//! the node lifecycle (spec `ccm-nodes-routes.md` §3–§5, with the fixes of §9).
//!
//! - **Initialization**: every tick (1 s, the reference's aggregation wait) the Nodes of the
//!   informer cache carrying `node.cloudprovider.kubernetes.io/uninitialized` are synced as
//!   one batch. The instance is found by providerID, or, when the Node has none, by its
//!   InternalIP or the kubelet's `alpha.kubernetes.io/provided-node-ip` (exactly one instance
//!   must hold it; the providerID `<region>.<id>` is then written). Addresses are patched
//!   first, then labels, providerID and taints in one conditional patch that removes the
//!   taint. A failure is an event `SyncNodeFailed` naming the cause and the remedy, and the
//!   Node is retried with its own backoff (2 s doubling to 5 min), not at the next sweep.
//! - **Periodic sync** (`--node-sync-period`, first run at start): every Node with a
//!   providerID (excluded ones aside) in batches of `--node-reconcile-batch-size`, one
//!   `DescribeInstances` per 100 Nodes of a region; only changed addresses and labels are
//!   written.
//! - **Lifecycle**: an instance absent from a *successful* describe deletes its Node only when
//!   the Node is not Ready and the region lists instances at all (wrong credentials or
//!   region never delete anything); an instance `Stopped` carries the taint
//!   `node.cloudprovider.kubernetes.io/shutdown:NoSchedule`, removed once it runs again.
//!
//! Runs only while this replica leads. Not here: routes and `NetworkUnavailable` (the route
//! controller's), the ENI source/dest check of the reference (see the README).

pub mod lookup;
pub mod rules;
pub mod writes;

use crate::caches::{Cache, Listed};
use crate::node::lookup::ById;
use crate::node::rules as r;
use crate::node::writes::{NodeChange, NodeWriter, SYNC_NODE_FAILED};
use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::runtime::events::EventType;
use kube::runtime::reflector::Store;
use parking_lot::Mutex;
use slb_openapi::Ecs;
use slb_openapi::ecs::Instance;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How the node controller runs.
#[derive(Debug, Clone)]
pub struct NodeSettings {
    /// Region of providerID-less lookups and of the providerIDs written.
    pub region: String,
    /// VPC of the by-IP lookups (any VPC when empty).
    pub vpc_id: String,
    /// Period of the full sync (addresses, labels, lifecycle).
    pub sync_period: Duration,
    /// How often tainted Nodes are looked for (the batch's aggregation wait).
    pub tick: Duration,
    /// Nodes per batch (≤ 100: one `DescribeInstances` each).
    pub batch_size: usize,
}

impl NodeSettings {
    /// The reference's timings: 5-minute sync, 1-second aggregation, batches of 100.
    pub fn new(region: &str, vpc_id: &str) -> Self {
        Self {
            region: region.to_owned(),
            vpc_id: vpc_id.to_owned(),
            sync_period: Duration::from_secs(300),
            tick: Duration::from_secs(1),
            batch_size: 100,
        }
    }
}

/// When a Node may be tried again.
#[derive(Debug, Clone, Copy)]
struct Retry {
    not_before: Instant,
    delay: Duration,
}

const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(300);
/// After a successful write the cache needs a moment to show it; do not redo it meanwhile.
const SETTLE: Duration = Duration::from_secs(5);

/// The node controller of the leading replica.
pub struct NodeController {
    ecs: Arc<dyn Ecs>,
    writer: NodeWriter,
    nodes: Store<Node>,
    listed: Listed,
    settings: NodeSettings,
    retries: Mutex<HashMap<String, Retry>>,
}

/// What ECS says about one Node of a batch.
#[derive(Debug)]
enum Resolved {
    /// Its instance, and the providerID to write when the Node has none.
    Found(Box<Instance>, Option<String>),
    /// Absent from a successful describe of its region.
    Absent { region: String },
    /// Could not be resolved; the event text.
    Failed(String),
}

impl NodeController {
    /// A controller reading Nodes from the cache `nodes` (with its list flags) and ECS
    /// through `ecs`.
    pub fn new(
        ecs: Arc<dyn Ecs>,
        writer: NodeWriter,
        (nodes, listed): (Store<Node>, Listed),
        settings: NodeSettings,
    ) -> Self {
        Self {
            ecs,
            writer,
            nodes,
            listed,
            settings,
            retries: Mutex::default(),
        }
    }

    /// Runs until `stop`: a full sync at once and every sync period, tainted Nodes every tick.
    pub async fn run(self, stop: CancellationToken) {
        let mut next_sweep = Instant::now();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.settings.tick) => {}
            }
            // The first sync waits for the Node cache's first list, so it sees every Node.
            if Instant::now() >= next_sweep && self.listed.has(Cache::Nodes) {
                self.sweep().await;
                next_sweep = Instant::now() + self.settings.sync_period;
                continue;
            }
            let pending = self.pending_init();
            for batch in pending.chunks(self.settings.batch_size.clamp(1, 100)) {
                self.sync_batch(batch).await;
            }
        }
    }

    /// Tainted Nodes whose retry time has come.
    fn pending_init(&self) -> Vec<Arc<Node>> {
        let now = Instant::now();
        let retries = self.retries.lock();
        self.nodes
            .state()
            .into_iter()
            .filter(|n| r::has_taint(n, r::UNINITIALIZED_TAINT))
            .filter(|n| {
                retries
                    .get(&n.name_any())
                    .is_none_or(|r| r.not_before <= now)
            })
            .collect()
    }

    /// The full sync: every Node with a providerID (and every tainted one), in batches.
    pub async fn sweep(&self) {
        let nodes: Vec<Arc<Node>> = self
            .nodes
            .state()
            .into_iter()
            .filter(|n| !r::is_excluded(n))
            .filter(|n| r::provider_id(n).is_some() || r::has_taint(n, r::UNINITIALIZED_TAINT))
            .collect();
        tracing::debug!(nodes = nodes.len(), "node sync");
        for batch in nodes.chunks(self.settings.batch_size.clamp(1, 100)) {
            self.sync_batch(batch).await;
        }
    }

    /// Looks up the instances of `batch` and brings each Node in line.
    pub async fn sync_batch(&self, batch: &[Arc<Node>]) {
        let resolved = self.resolve(batch).await;
        let mut region_seen: BTreeMap<String, bool> = BTreeMap::new();
        for (node, outcome) in batch.iter().zip(resolved) {
            match outcome {
                Resolved::Found(instance, provider_id) => {
                    self.sync_found(node, &instance, provider_id).await;
                }
                Resolved::Absent { region } => {
                    let seen = match region_seen.get(&region) {
                        Some(seen) => *seen,
                        None => {
                            let seen = self.region_seen(&region).await;
                            region_seen.insert(region.clone(), seen);
                            seen
                        }
                    };
                    self.sync_absent(node, &region, seen).await;
                }
                Resolved::Failed(reason) => self.failed(node, &reason).await,
            }
        }
    }

    async fn region_seen(&self, region: &str) -> bool {
        match lookup::region_has_instances(&*self.ecs, region).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::error!(
                    region,
                    "DescribeInstances lists no instance at all in this region: wrong credentials \
                     or region? No Node is deleted"
                );
                false
            }
            Err(err) => {
                tracing::warn!(region, error = %err, "checking the region failed; no Node is deleted");
                false
            }
        }
    }

    /// What ECS says about each Node of `batch`, in order.
    async fn resolve(&self, batch: &[Arc<Node>]) -> Vec<Resolved> {
        let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pid in batch.iter().filter_map(|n| r::provider_id(n)) {
            ids.entry(pid.region_id).or_default().push(pid.instance_id);
        }
        let mut by_id: BTreeMap<String, ById> = BTreeMap::new();
        for (region, ids) in ids {
            let answer = lookup::by_ids(&*self.ecs, &region, &ids).await;
            by_id.insert(region, answer);
        }
        let ips: Vec<String> = batch
            .iter()
            .filter(|n| r::provider_id(n).is_none())
            .filter_map(|n| r::lookup_ip(n).map(str::to_owned))
            .collect();
        let by_ip = if ips.is_empty() {
            Ok(BTreeMap::new())
        } else {
            let (region, vpc) = (&self.settings.region, &self.settings.vpc_id);
            lookup::by_ips(&*self.ecs, region, vpc, &ips).await
        };
        batch
            .iter()
            .map(|n| self.resolve_one(n, &by_id, &by_ip))
            .collect()
    }

    fn resolve_one(
        &self,
        node: &Node,
        by_id: &BTreeMap<String, ById>,
        by_ip: &Result<BTreeMap<String, Vec<Instance>>, slb_openapi::ApiError>,
    ) -> Resolved {
        if let Some(pid) = r::provider_id(node) {
            let Some(answer) = by_id.get(&pid.region_id) else {
                return Resolved::Failed("internal: region not described".into());
            };
            if let Some(instance) = answer.found.get(&pid.instance_id) {
                return Resolved::Found(Box::new(instance.clone()), None);
            }
            if answer.absent(&pid.instance_id) {
                return Resolved::Absent {
                    region: pid.region_id,
                };
            }
            let err = answer.error.as_ref().map(ToString::to_string);
            return Resolved::Failed(format!(
                "DescribeInstances of {pid} failed: {}; the Node is retried",
                err.unwrap_or_default()
            ));
        }
        resolve_by_ip(node, &self.settings, by_ip)
    }

    async fn sync_found(&self, node: &Node, instance: &Instance, provider_id: Option<String>) {
        let name = node.name_any();
        let addresses = match r::desired_addresses(instance, node) {
            Ok(addresses) => addresses,
            Err(err) => return self.failed(node, &err.to_string()).await,
        };
        if let Some(addresses) = addresses.filter(|a| a.as_slice() != r::node_addresses(node))
            && let Err(err) = self.writer.set_addresses(&name, &addresses).await
        {
            let note = format!("Failed to update the addresses of node {name}: {err}");
            return self.failed(node, &note).await;
        }
        let change = NodeChange {
            labels: r::changed_labels(node, &r::node_labels(instance)),
            provider_id,
            taints: r::desired_taints(node, true, r::is_stopped(instance)),
        };
        if change.is_empty() {
            return self.succeeded(&name);
        }
        match self.writer.apply(node, &change).await {
            Ok(()) => {
                tracing::info!(node = %name, ?change, "node synced with its instance");
                self.succeeded(&name);
            }
            Err(kube::Error::Api(e)) if e.code == 409 => self.retry_soon(&name),
            Err(err) => {
                let note = format!("Failed to sync node {name} with instance: {err}");
                self.failed(node, &note).await;
            }
        }
    }

    async fn sync_absent(&self, node: &Node, region: &str, region_seen: bool) {
        if r::may_delete(node, region_seen) {
            return self.writer.delete(node).await;
        }
        let pid = node.spec.as_ref().and_then(|s| s.provider_id.clone());
        let why = format!(
            "instance of providerID {} was not found in region {region}; the Node is kept while \
             it is Ready (or while the region lists no instance at all). Check the providerID \
             (<region>.<instance-id>) and that the credentials belong to the instance's account",
            pid.unwrap_or_default()
        );
        if r::has_taint(node, r::UNINITIALIZED_TAINT) {
            self.failed(node, &why).await;
        } else {
            tracing::warn!(node = %node.name_any(), "{why}");
        }
    }

    async fn failed(&self, node: &Node, reason: &str) {
        let name = node.name_any();
        tracing::warn!(node = %name, reason, "node sync failed");
        self.writer
            .event(node, EventType::Warning, SYNC_NODE_FAILED, reason)
            .await;
        let mut retries = self.retries.lock();
        let delay = retries
            .get(&name)
            .map_or(FIRST_RETRY, |r| (r.delay * 2).min(MAX_RETRY));
        retries.insert(
            name,
            Retry {
                not_before: Instant::now() + delay,
                delay,
            },
        );
    }

    fn succeeded(&self, name: &str) {
        self.hold(name, SETTLE);
    }

    fn retry_soon(&self, name: &str) {
        self.hold(name, Duration::from_millis(500));
    }

    fn hold(&self, name: &str, for_: Duration) {
        let mut retries = self.retries.lock();
        retries.insert(
            name.to_owned(),
            Retry {
                not_before: Instant::now() + for_,
                delay: Duration::ZERO,
            },
        );
    }
}

/// A providerID-less Node's instance from the by-IP answer: exactly one instance must hold
/// its IP (spec §9 #1).
fn resolve_by_ip(
    node: &Node,
    settings: &NodeSettings,
    by_ip: &Result<BTreeMap<String, Vec<Instance>>, slb_openapi::ApiError>,
) -> Resolved {
    let Some(ip) = r::lookup_ip(node) else {
        return Resolved::Failed(
            "the Node has no providerID and no IP to find its instance by: start the kubelet with \
             --provider-id=<region>.<instance-id> or --node-ip"
                .into(),
        );
    };
    let answer = match by_ip {
        Ok(answer) => answer.get(ip).map(Vec::as_slice).unwrap_or_default(),
        Err(err) => return Resolved::Failed(format!("DescribeInstances by IP {ip} failed: {err}")),
    };
    let vpc = if settings.vpc_id.is_empty() {
        "any VPC".to_owned()
    } else {
        format!("VPC {}", settings.vpc_id)
    };
    match answer {
        [instance] => {
            let pid = r::provider_id_of(instance, &settings.region);
            Resolved::Found(Box::new(instance.clone()), Some(pid))
        }
        [] => Resolved::Failed(format!(
            "the Node has no providerID and no instance in region {} ({vpc}) has private IP {ip}: \
             start the kubelet with --provider-id=<region>.<instance-id>, or check --node-ip",
            settings.region
        )),
        many => Resolved::Failed(format!(
            "the Node has no providerID and {} instances in region {} ({vpc}) have private IP \
             {ip}: start the kubelet with --provider-id=<region>.<instance-id>",
            many.len(),
            settings.region
        )),
    }
}
