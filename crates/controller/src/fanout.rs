//! Which Services a Node event reconciles. A watch event carries only the node as it is now,
//! so [`NodeFanout`] remembers the last version it saw of each node (trimmed to what decides
//! eligibility) and asks slb-model's [`node_change_matters`] for each LoadBalancer
//! Service whether the change moves its backend set. A heartbeat reconciles nothing; a node
//! joining reconciles the Services it becomes a backend of; under the Local policy only the
//! Services with endpoints on that node.
//!
//! Not here: EndpointSlice fan-out (a slice names its Service) and coalescing (the
//! controller's scheduler merges requests for one Service and debounces bursts).

use k8s_openapi::api::core::v1::{Node, NodeCondition, NodeSpec, NodeStatus, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use parking_lot::Mutex;
use slb_model::{ClusterContext, node_change_matters};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use crate::reconcile::SERVICE_NAME_LABEL;
use crate::service_state::ServiceStates;

/// Maps Node watch events to the Services whose backends they change.
pub struct NodeFanout {
    services: Store<Service>,
    slices: Store<EndpointSlice>,
    cluster: ClusterContext,
    state: Mutex<Seen>,
    states: Arc<ServiceStates>,
}

/// The last version of each node this fan-out saw, and where a (re)list stands.
#[derive(Default)]
struct Seen {
    nodes: HashMap<String, Node>,
    /// Names listed since the current (re)list began; `None` outside a list.
    listing: Option<BTreeSet<String>>,
    /// A first list completed: before that, every Service is reconciled anyway.
    listed_once: bool,
}

/// A node's version before and after one event.
type Change = (String, Option<Node>, Option<Node>);

impl Seen {
    /// What `event` changed: `(node, version before, version now)` for each node, `None`
    /// standing for absent. Only a relist after the first list reports changes for listed
    /// nodes; its end reports the nodes it no longer lists as deleted.
    /// The end of a (re)list: the nodes it did not list are gone.
    fn end_of_list(&mut self) -> Vec<Change> {
        let listed = self.listing.take().unwrap_or_default();
        self.listed_once = true;
        let gone: Vec<String> = self
            .nodes
            .keys()
            .filter(|n| !listed.contains(*n))
            .cloned()
            .collect();
        gone.into_iter()
            .map(|name| {
                let before = self.nodes.remove(&name);
                (name, before, None)
            })
            .collect()
    }

    fn changes(&mut self, event: &watcher::Event<Node>) -> Vec<Change> {
        let seen = self;
        match event {
            watcher::Event::Init => {
                seen.listing = Some(BTreeSet::new());
                Vec::new()
            }
            watcher::Event::InitApply(node) => {
                let name = node.name_any();
                if let Some(listing) = seen.listing.as_mut() {
                    listing.insert(name.clone());
                }
                let now = trimmed(node);
                let before = seen.nodes.insert(name.clone(), now.clone());
                if seen.listed_once {
                    vec![(name, before, Some(now))]
                } else {
                    Vec::new()
                }
            }
            watcher::Event::InitDone => seen.end_of_list(),
            watcher::Event::Apply(node) => {
                let name = node.name_any();
                let now = trimmed(node);
                let before = seen.nodes.insert(name.clone(), now.clone());
                vec![(name, before, Some(now))]
            }
            watcher::Event::Delete(node) => {
                let name = node.name_any();
                let before = seen.nodes.remove(&name);
                vec![(name, before, None)]
            }
        }
    }
}

impl NodeFanout {
    /// A fan-out reading the informer caches of Services and EndpointSlices.
    pub fn new(
        services: Store<Service>,
        slices: Store<EndpointSlice>,
        cluster: ClusterContext,
        states: Arc<ServiceStates>,
    ) -> Self {
        Self {
            services,
            slices,
            cluster,
            state: Mutex::default(),
            states,
        }
    }

    /// The Services to reconcile because of one Node watch event. The first list only
    /// records the nodes (the controller reconciles every Service when it starts); a relist
    /// compares each node with the version seen before it, and treats nodes that are no
    /// longer listed as deleted.
    pub fn on_event(&self, event: &watcher::Event<Node>) -> Vec<ObjectRef<Service>> {
        let changes = self.state.lock().changes(event);
        let mut affected = HashSet::new();
        for (name, before, now) in changes {
            affected.extend(self.affected(&name, before.as_ref(), now.as_ref()));
        }
        affected.into_iter().collect()
    }

    fn affected(
        &self,
        name: &str,
        before: Option<&Node>,
        now: Option<&Node>,
    ) -> Vec<ObjectRef<Service>> {
        if before == now {
            // Heartbeats, image lists, annotations: nothing that decides eligibility.
            return Vec::new();
        }
        let hosting = self.services_with_endpoints_on(name);
        let affected: Vec<ObjectRef<Service>> = self
            .services
            .state()
            .iter()
            .filter(|svc| {
                let key = (svc.namespace().unwrap_or_default(), svc.name_any());
                node_change_matters(svc, before, now, hosting.contains(&key), &self.cluster)
            })
            .map(|svc| ObjectRef::from_obj(&**svc))
            .collect();
        if !affected.is_empty() {
            tracing::debug!(node = %name, services = affected.len(), "node change reconciles");
        }
        for svc in &affected {
            self.states.bump_node_epoch(svc);
        }
        affected
    }

    /// `(namespace, service)` of every Service with an endpoint on `node`.
    fn services_with_endpoints_on(&self, node: &str) -> BTreeSet<(String, String)> {
        self.slices
            .state()
            .iter()
            .filter(|s| {
                s.endpoints
                    .iter()
                    .flatten()
                    .any(|e| e.node_name.as_deref() == Some(node))
            })
            .filter_map(|s| {
                let service = s.labels().get(SERVICE_NAME_LABEL)?.clone();
                Some((s.namespace()?, service))
            })
            .collect()
    }
}

/// The parts of a Node that decide eligibility (name, labels, taints, unschedulable,
/// providerID, condition types and statuses) and nothing else, so that two versions differing
/// only in heartbeat times, images or resource version compare equal, and remembering every
/// node stays small.
fn trimmed(node: &Node) -> Node {
    let spec = node.spec.as_ref().map(|s| NodeSpec {
        taints: s.taints.clone(),
        unschedulable: s.unschedulable,
        provider_id: s.provider_id.clone(),
        ..NodeSpec::default()
    });
    let conditions = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(|conditions| {
            conditions
                .iter()
                .map(|c| NodeCondition {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    ..NodeCondition::default()
                })
                .collect()
        });
    Node {
        metadata: ObjectMeta {
            name: node.metadata.name.clone(),
            labels: node.metadata.labels.clone(),
            ..ObjectMeta::default()
        },
        spec,
        status: Some(NodeStatus {
            conditions,
            ..NodeStatus::default()
        }),
    }
}

#[cfg(test)]
mod tests;
