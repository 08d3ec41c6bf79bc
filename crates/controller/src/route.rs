//! The route controller (`--controllers route` with `--configure-cloud-routes`): one custom
//! entry per Node pod CIDR in the VPC's route table(s), next hop the Node's ECS instance, and
//! `NetworkUnavailable=False` (`RouteCreated`) once the route is verified (spec
//! `ccm-nodes-routes.md` §7, fixes of §9).
//!
//! - **Tables**: `--route-table-ids`, else `DescribeRouteTableList` of the VPC: its only
//!   table, or its `System` table when it has custom ones too (the reference gives up there).
//! - **When**: every tick (1 s, the reference's aggregation wait) the Nodes of the informer
//!   cache are reduced to (name, instance, pod CIDR); a change of that set, the period
//!   (`--route-reconciliation-period-secs`) or a due retry runs one sync: per table one paged
//!   listing, then [`plan::plan_routes`], then `DeleteRouteEntries` and `CreateRouteEntries`
//!   in batches. A listing is the only record: routes of Nodes deleted while the controller
//!   was down are found by their next hop and the marker written into `Description`.
//! - **Failures**: an entry the service refuses is a Warning `CreateRouteFailed` on its Node
//!   with the service's code and message; a conflict (another entry holds the destination)
//!   is reported once with its exact reason and not attempted again until something changes;
//!   call errors retry the sync with backoff (2 s doubling to 5 min), never in a loop.
//!
//! Runs only while this replica leads. Not here: creating or deleting Nodes, the ENI
//! source/dest check.

pub mod plan;
pub mod writes;

use crate::caches::{Cache, Listed};
use crate::node::writes::NodeWriter;
use crate::route::plan::{Cidr, Entry, NodeRoute, Route, RoutePlan, plan_routes};
use k8s_openapi::api::core::v1::Node;
use kube::runtime::events::EventType;
use kube::runtime::reflector::Store;
use kube::{Api, ResourceExt};
use slb_openapi::ecs::ProviderId;
use slb_openapi::vpc::*;
use slb_openapi::{ApiError, Vpc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How the route controller runs.
#[derive(Debug, Clone)]
pub struct RouteSettings {
    /// The VPC whose tables are discovered when none are configured.
    pub vpc_id: String,
    /// `--route-table-ids`; discovered when empty.
    pub route_table_ids: Vec<String>,
    /// `--cluster-cidr`: only entries inside it can belong to the cluster.
    pub cluster_cidr: Cidr,
    /// Written into each created entry's `Description`: ownership survives restarts.
    pub marker: String,
    /// Full resync period (reference default 5 min).
    pub period: Duration,
    /// How often the Node set is looked at.
    pub tick: Duration,
    /// Entries per `CreateRouteEntries` call (1–50).
    pub batch_size: usize,
}

impl RouteSettings {
    /// The reference's timings: 5-minute resync, 1-second aggregation, batches of 50.
    pub fn new(vpc_id: &str, cluster_cidr: Cidr, cluster_id: &str) -> Self {
        Self {
            vpc_id: vpc_id.to_owned(),
            route_table_ids: Vec::new(),
            cluster_cidr,
            marker: format!("slb-ccm route of cluster {cluster_id}"),
            period: Duration::from_secs(300),
            tick: Duration::from_secs(1),
            batch_size: MAX_ROUTE_ENTRIES_PER_CALL,
        }
    }
}

const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(300);

/// What one sync found, for the loop's scheduling.
#[derive(Debug, Default)]
struct Synced {
    failed: bool,
}

/// The route controller of the leading replica.
pub struct RouteController {
    vpc: Arc<dyn Vpc>,
    writer: NodeWriter,
    status: Api<Node>,
    nodes: Store<Node>,
    listed: Listed,
    settings: RouteSettings,
    reported: parking_lot::Mutex<BTreeSet<String>>,
}

/// The Nodes' (name, instance, pod CIDR): skips Nodes being deleted and Nodes without a
/// parseable providerID; the pod CIDR is the first IPv4 one of `podCIDRs`, else `podCIDR`.
pub fn node_routes(nodes: &[Arc<Node>]) -> Vec<NodeRoute> {
    let mut out: Vec<NodeRoute> = nodes
        .iter()
        .filter(|n| n.metadata.deletion_timestamp.is_none())
        .filter_map(|n| {
            let spec = n.spec.as_ref()?;
            let id = ProviderId::parse(spec.provider_id.as_deref()?)?;
            let cidr = spec
                .pod_cidrs
                .iter()
                .flatten()
                .chain(spec.pod_cidr.iter())
                .find_map(|c| Cidr::parse(c));
            Some(NodeRoute {
                name: n.name_any(),
                instance: id.instance_id,
                cidr,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

impl RouteController {
    /// A controller over the Nodes of `nodes` (with its list flags), writing through `vpc`.
    pub fn new(
        vpc: Arc<dyn Vpc>,
        (writer, status): (NodeWriter, Api<Node>),
        (nodes, listed): (Store<Node>, Listed),
        settings: RouteSettings,
    ) -> Self {
        Self {
            vpc,
            writer,
            status,
            nodes,
            listed,
            settings,
            reported: Default::default(),
        }
    }

    /// Runs until `stop` is cancelled.
    pub async fn run(self, stop: CancellationToken) {
        let mut last: Option<Vec<NodeRoute>> = None;
        let mut next_period = Instant::now();
        let mut retry: Option<(Instant, Duration)> = None;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.settings.tick) => {}
            }
            if !self.listed.has(Cache::Nodes) {
                continue;
            }
            let nodes = self.nodes.state();
            let current = node_routes(&nodes);
            let now = Instant::now();
            let due = last.as_ref() != Some(&current)
                || now >= next_period
                || retry.is_some_and(|(at, _)| now >= at);
            if !due {
                continue;
            }
            let synced = self.sync(&nodes, &current).await;
            last = Some(current);
            next_period = Instant::now() + self.settings.period;
            retry = synced.failed.then(|| {
                let delay = retry.map_or(FIRST_RETRY, |(_, d)| (d * 2).min(MAX_RETRY));
                (Instant::now() + delay, delay)
            });
        }
    }

    /// One pass over every table.
    async fn sync(&self, nodes: &[Arc<Node>], routes: &[NodeRoute]) -> Synced {
        let tables = match self.tables().await {
            Ok(t) => t,
            Err(err) => {
                tracing::warn!(error = %err, "route tables: cannot resolve; retrying with backoff");
                return Synced { failed: true };
            }
        };
        let mut synced = Synced::default();
        let mut verified: BTreeMap<String, usize> = BTreeMap::new();
        for table in &tables {
            match self.sync_table(table, nodes, routes).await {
                Ok(present) => present
                    .into_iter()
                    .for_each(|n| *verified.entry(n).or_default() += 1),
                Err(err) => {
                    tracing::warn!(table, error = %err, "route table sync failed; retrying with backoff");
                    synced.failed = true;
                }
            }
        }
        for node in nodes {
            let name = node.name_any();
            if verified.get(&name) == Some(&tables.len())
                && !writes::has_route_condition(node)
                && let Err(err) = writes::set_route_created(&self.status, &name).await
            {
                tracing::warn!(node = %name, error = %err, "setting NetworkUnavailable=False failed");
                synced.failed = true;
            }
        }
        synced
    }

    /// The tables to write: configured, or discovered.
    async fn tables(&self) -> Result<Vec<String>, ApiError> {
        if !self.settings.route_table_ids.is_empty() {
            return Ok(self.settings.route_table_ids.clone());
        }
        let mut found = Vec::new();
        for page in 1.. {
            let req = DescribeRouteTableListRequest {
                vpc_id: Some(self.settings.vpc_id.clone()),
                page_number: Some(page),
                page_size: Some(50),
                ..Default::default()
            };
            let resp = self.vpc.describe_route_table_list(&req).await?;
            let n = resp.router_table_list.len();
            found.extend(resp.router_table_list);
            if n < 50 || found.len() >= resp.total_count as usize {
                break;
            }
        }
        Ok(pick_tables(found))
    }

    /// A table's custom `Instance` entries with one next hop (DNAT default routes aside).
    async fn list(&self, table: &str) -> Result<Vec<Entry>, ApiError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = DescribeRouteEntryListRequest {
                route_table_id: table.to_owned(),
                route_entry_type: Some("Custom".into()),
                next_hop_type: Some("Instance".into()),
                max_result: Some(500),
                next_token: token.clone(),
                ..Default::default()
            };
            let resp = self.vpc.describe_route_entry_list(&req).await?;
            out.extend(resp.route_entrys.into_iter().filter_map(entry_of));
            if resp.next_token.is_empty() || Some(&resp.next_token) == token.as_ref() {
                return Ok(out);
            }
            token = Some(resp.next_token);
        }
    }

    /// Lists, plans and writes one table; the Nodes whose route it holds afterwards.
    async fn sync_table(
        &self,
        table: &str,
        nodes: &[Arc<Node>],
        routes: &[NodeRoute],
    ) -> Result<Vec<String>, ApiError> {
        let entries = self.list(table).await?;
        let plan = plan_routes(
            routes,
            &entries,
            &self.settings.cluster_cidr,
            &self.settings.marker,
        );
        self.report_conflicts(table, nodes, &plan).await;
        for chunk in plan.delete.chunks(MAX_ROUTE_ENTRIES_PER_CALL) {
            self.delete(table, chunk).await?;
        }
        let mut present = plan.present;
        for chunk in plan.create.chunks(
            self.settings
                .batch_size
                .clamp(1, MAX_ROUTE_ENTRIES_PER_CALL),
        ) {
            present.extend(self.create(table, nodes, routes, chunk).await?);
        }
        Ok(present)
    }

    async fn delete(&self, table: &str, routes: &[Route]) -> Result<(), ApiError> {
        let items = routes.iter().map(|r| item(table, r, "")).collect();
        let req = DeleteRouteEntriesRequest {
            route_entries: items,
            ..Default::default()
        };
        let resp = self.vpc.delete_route_entries(&req).await?;
        for f in resp
            .failed_route_entries
            .iter()
            .filter(|f| f.failed_code != ROUTER_ENTRY_NOT_EXIST)
        {
            tracing::warn!(table, destination = %f.dst_cidr_block, code = %f.failed_code, "deleting a stale route failed: {}", f.failed_message);
        }
        tracing::info!(
            table,
            deleted = routes.len() - resp.failed_route_entries.len(),
            "deleted routes of Nodes that are gone or moved"
        );
        Ok(())
    }

    /// Creates `routes`; the Nodes whose route now exists.
    async fn create(
        &self,
        table: &str,
        nodes: &[Arc<Node>],
        all: &[NodeRoute],
        routes: &[Route],
    ) -> Result<Vec<String>, ApiError> {
        let items = routes
            .iter()
            .map(|r| item(table, r, &self.settings.marker))
            .collect();
        let req = CreateRouteEntriesRequest {
            route_entries: items,
            ..Default::default()
        };
        let resp = self.vpc.create_route_entries(&req).await?;
        let mut present = Vec::new();
        for route in routes {
            let Some(owner) = all.iter().find(|n| {
                n.instance == route.next_hop
                    && n.cidr.is_some_and(|c| c.to_string() == route.destination)
            }) else {
                continue;
            };
            let node = nodes.iter().find(|n| n.name_any() == owner.name);
            let failure = resp.failed_route_entries.iter().find(|f| {
                f.next_hop == route.next_hop
                    && Cidr::parse(&f.dst_cidr_block)
                        .is_some_and(|c| c.to_string() == route.destination)
            });
            if failure.is_none() && node.is_some() {
                present.push(owner.name.clone());
            }
            if let Some(node) = node {
                self.report_create(table, node, owner, route, failure).await;
            }
        }
        Ok(present)
    }

    /// The event for one created route: Normal when it was created, a Warning with the
    /// cloud's reason when it failed, nothing when it already existed (or is settling: the
    /// next listing verifies its next hop).
    async fn report_create(
        &self,
        table: &str,
        node: &Node,
        owner: &NodeRoute,
        route: &Route,
        failure: Option<&FailedRouteEntry>,
    ) {
        match failure {
            None => {
                let note = format!(
                    "Created route for {table} with {} -> {} successfully",
                    owner.name, route.destination
                );
                self.writer
                    .event(node, EventType::Normal, writes::CREATED_ROUTE, &note)
                    .await;
            }
            Some(f)
                if f.failed_code == ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE
                    || f.failed_code == ROUTE_ENTRY_STATUS_ERROR => {}
            Some(f) => {
                let note = format!(
                    "Error creating route entry in {table}: {}: {}",
                    f.failed_code, f.failed_message
                );
                self.writer
                    .event(node, EventType::Warning, writes::CREATE_ROUTE_FAILED, &note)
                    .await;
            }
        }
    }

    /// One Warning per conflict while it lasts (no repeat each tick or period).
    async fn report_conflicts(&self, table: &str, nodes: &[Arc<Node>], plan: &RoutePlan) {
        let keys: Vec<(String, &plan::Conflict)> = plan
            .conflicts
            .iter()
            .map(|c| {
                (
                    format!("{table}/{}/{}/{}", c.node, c.destination, c.holder),
                    c,
                )
            })
            .collect();
        let fresh: Vec<&plan::Conflict> = {
            let mut reported = self.reported.lock();
            reported.retain(|k| {
                !k.starts_with(&format!("{table}/")) || keys.iter().any(|(key, _)| key == k)
            });
            keys.iter()
                .filter(|(k, _)| reported.insert(k.clone()))
                .map(|(_, c)| *c)
                .collect()
        };
        for conflict in fresh {
            let Some(node) = nodes.iter().find(|n| n.name_any() == conflict.node) else {
                continue;
            };
            let note = format!(
                "Error creating route entry in {table}: {}",
                conflict.reason()
            );
            tracing::warn!(node = %conflict.node, table, "{note}");
            self.writer
                .event(node, EventType::Warning, writes::CREATE_ROUTE_FAILED, &note)
                .await;
        }
    }
}

/// The only table, or the `System` one(s) of a VPC that also has custom tables.
fn pick_tables(found: Vec<RouteTable>) -> Vec<String> {
    if found.len() <= 1 {
        return found.into_iter().map(|t| t.route_table_id).collect();
    }
    found
        .into_iter()
        .filter(|t| t.route_table_type == "System")
        .map(|t| t.route_table_id)
        .collect()
}

fn entry_of(e: RouteEntry) -> Option<Entry> {
    let [hop] = e.next_hops.as_slice() else {
        return None;
    };
    let keep = e.entry_type == "Custom"
        && hop.next_hop_type.eq_ignore_ascii_case("Instance")
        && e.destination_cidr_block != "0.0.0.0/0";
    keep.then(|| Entry {
        destination: e.destination_cidr_block,
        next_hop: hop.next_hop_id.clone(),
        description: e.description,
    })
}

fn item(table: &str, route: &Route, description: &str) -> RouteEntryItem {
    let create = !description.is_empty();
    RouteEntryItem {
        route_table_id: table.to_owned(),
        dst_cidr_block: route.destination.clone(),
        next_hop: route.next_hop.clone(),
        next_hop_type: if create {
            "Instance".to_owned()
        } else {
            String::new()
        },
        name: String::new(),
        description: description.to_owned(),
    }
}
