//! With `--cloud local` (unless `--no-register-nodes`): keeps a local CLB's ECS inventory in
//! step with the cluster's Nodes, so a kind or k3d cluster can use `slb-ccm local serve`
//! without listing its nodes in the server's config. A node becomes an instance (its
//! providerID's id, or the id derived from its name in local mode) at its InternalIP, or at
//! the kubelet's provided node IP while the Node has no addresses yet ([`registration_ip`]).
//!
//! The write itself sits behind [`NodeInventory`] ([`crate::local_inventory::LocalInventory`]
//! implements it with the local CLB's admin action `LocalPutInstances`, built by
//! [`crate::run::run`] from the controller's flags; Alibaba Cloud has no such thing, so it is
//! never sent there). [`InventorySync::ensure`] sends the nodes whose instance id or address
//! changed since they were last sent. Two callers use it: the Node watch (every node once the
//! first list is complete, then each changed node at once; only while the replica leads, see
//! [`InventorySync::activate`]) and every reconcile before it computes backends — so a failure (say the local CLB was not up yet) is retried with the
//! reconcile's backoff instead of waiting for the next Node event. Instances of deleted
//! nodes are kept (a stale instance is harmless; the node leaves the groups anyway).

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Node, NodeAddress, NodeSpec, NodeStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::runtime::watcher;
use parking_lot::Mutex;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where registered nodes go.
#[async_trait]
pub trait NodeInventory: Send + Sync {
    /// Inserts or replaces the instances of `nodes`; returns how many were sent.
    ///
    /// # Errors
    /// The server's refusal, as text for logs and events.
    async fn put(&self, nodes: &[Node]) -> Result<usize, String>;
}

/// A shareable [`NodeInventory`] for [`crate::run::Settings`].
#[derive(Clone)]
pub struct Inventory(pub Arc<dyn NodeInventory>);

impl std::fmt::Debug for Inventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inventory(..)")
    }
}

/// Registering the nodes failed.
#[derive(Debug, thiserror::Error)]
#[error("registering {count} node(s) with the local CLB: {reason}")]
pub struct RegisterError {
    /// Nodes that were to be sent.
    pub count: usize,
    /// The inventory's answer.
    pub reason: String,
}

/// What identifies a node's instance: providerID and InternalIP.
type Registered = (Option<String>, Option<String>);

fn registered(node: &Node) -> Registered {
    let provider = node.spec.as_ref().and_then(|s| s.provider_id.clone());
    let ip = registration_ip(node).map(str::to_owned);
    (provider, ip)
}

/// The IP a node's instance is registered at: its InternalIP, else the kubelet's
/// `alpha.kubernetes.io/provided-node-ip` (a kubelet with `--cloud-provider=external`
/// registers its Node without addresses until a cloud controller initializes it, and the
/// node controller finds the instance by this IP).
pub fn registration_ip(node: &Node) -> Option<&str> {
    crate::node::rules::lookup_ip(node)
}

/// Registers nodes, from Node watch events and before reconciles.
pub struct InventorySync {
    inventory: Inventory,
    /// What was last sent successfully, by node name.
    sent: Mutex<HashMap<String, Registered>>,
    /// Nodes of the list in progress.
    listing: Mutex<Option<Vec<Node>>>,
    /// One put at a time, so concurrent reconciles do not send the same nodes twice.
    sending: tokio::sync::Mutex<()>,
    /// Whether Node events send (the replica leads) or only keep the bookkeeping (a standby
    /// never calls the cloud).
    active: AtomicBool,
}

impl InventorySync {
    /// A sync writing to `inventory`.
    pub fn new(inventory: Inventory) -> Self {
        Self {
            inventory,
            sent: Mutex::default(),
            listing: Mutex::default(),
            sending: tokio::sync::Mutex::new(()),
            active: AtomicBool::new(false),
        }
    }

    fn unsent<N: Borrow<Node>>(&self, nodes: &[N]) -> Vec<Node> {
        let sent = self.sent.lock();
        nodes
            .iter()
            .map(Borrow::borrow)
            .filter(|n| sent.get(&n.name_any()) != Some(&registered(n)))
            .map(trimmed)
            .collect()
    }

    /// Sends the nodes of `nodes` whose instance id or address changed since they were last
    /// sent (usually none: then nothing is called).
    ///
    /// # Errors
    /// The inventory's refusal; nothing is recorded as sent, so the next call tries again.
    pub async fn ensure<N: Borrow<Node>>(&self, nodes: &[N]) -> Result<(), RegisterError> {
        if self.unsent(nodes).is_empty() {
            return Ok(());
        }
        let _one_at_a_time = self.sending.lock().await;
        let pending = self.unsent(nodes);
        if pending.is_empty() {
            return Ok(());
        }
        match self.inventory.0.put(&pending).await {
            Ok(count) => {
                tracing::info!(count, "registered nodes with the local CLB");
                let mut sent = self.sent.lock();
                for node in &pending {
                    sent.insert(node.name_any(), registered(node));
                }
                Ok(())
            }
            Err(reason) => Err(RegisterError {
                count: pending.len(),
                reason,
            }),
        }
    }

    /// Starts sending: the replica now leads. `cached` (the Node cache as it is) is sent at
    /// once in the background; from now on Node events send what they ask for.
    pub fn activate(self: &Arc<Self>, cached: Vec<Node>) {
        self.active.store(true, Ordering::Release);
        if !cached.is_empty() {
            self.send_in_background(cached);
        }
    }

    /// Registers promptly from the Node watch: every node once the (re)list is complete, and
    /// each added or changed node, once [`InventorySync::activate`]d (before, only the
    /// bookkeeping of the list runs). The sending runs in the background, so a slow or absent
    /// local CLB never holds up the Node events (and the fan-out behind them); failures are
    /// logged, and reconciles retry them.
    pub fn on_event(self: &Arc<Self>, event: &watcher::Event<Node>) {
        if let Some(nodes) = self.wanted(event) {
            self.send_in_background(nodes);
        }
    }

    /// The nodes `event` asks to send now: none unless active.
    fn wanted(&self, event: &watcher::Event<Node>) -> Option<Vec<Node>> {
        let nodes = self.to_send(event)?;
        self.active.load(Ordering::Acquire).then_some(nodes)
    }

    fn send_in_background(self: &Arc<Self>, nodes: Vec<Node>) {
        let sync = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(err) = sync.ensure(&nodes).await {
                tracing::warn!(error = %err, "registering nodes failed; reconciles will retry");
            }
        });
    }

    /// The nodes `event` asks to send, if any (bookkeeping of the list in progress).
    fn to_send(&self, event: &watcher::Event<Node>) -> Option<Vec<Node>> {
        let nodes = match event {
            watcher::Event::Init => {
                *self.listing.lock() = Some(Vec::new());
                return None;
            }
            watcher::Event::InitApply(node) => {
                if let Some(listing) = self.listing.lock().as_mut() {
                    listing.push(trimmed(node));
                }
                return None;
            }
            watcher::Event::InitDone => self.listing.lock().take().unwrap_or_default(),
            watcher::Event::Apply(node) => vec![node.clone()],
            watcher::Event::Delete(node) => {
                self.sent.lock().remove(&node.name_any());
                return None;
            }
        };
        Some(nodes)
    }
}

/// What an instance is made of (name, zone label, providerID, addresses) and nothing else.
fn trimmed(node: &Node) -> Node {
    Node {
        metadata: ObjectMeta {
            name: node.metadata.name.clone(),
            labels: node.metadata.labels.clone(),
            annotations: node.metadata.annotations.as_ref().and_then(|a| {
                let ip = a.get(crate::node::rules::PROVIDED_NODE_IP)?;
                Some([(crate::node::rules::PROVIDED_NODE_IP.to_owned(), ip.clone())].into())
            }),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            provider_id: node.spec.as_ref().and_then(|s| s.provider_id.clone()),
            ..NodeSpec::default()
        }),
        status: Some(NodeStatus {
            addresses: node.status.as_ref().and_then(|s| {
                s.addresses.as_ref().map(|a| {
                    a.iter()
                        .map(|a| NodeAddress {
                            type_: a.type_.clone(),
                            address: a.address.clone(),
                        })
                        .collect()
                })
            }),
            ..NodeStatus::default()
        }),
    }
}

#[cfg(test)]
mod tests;
