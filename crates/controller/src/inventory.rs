//! With `--cloud local` (unless `--no-register-nodes`): keeps a local CLB's ECS inventory in
//! step with the cluster's Nodes, so a kind or k3d cluster can use `slb-ccm local serve` without listing
//! its nodes in the server's config. A node becomes an instance (its providerID's id, or the
//! id derived from its name in local mode) at its InternalIP.
//!
//! The write itself sits behind [`NodeInventory`] (the binary implements it with the local
//! CLB's admin action `LocalPutInstances`; Alibaba Cloud has no such thing, so it is never
//! sent there). [`InventorySync`] decides what to send: every node once the first list is
//! complete, then a node again only when its instance id or address changed. Instances of
//! deleted nodes are kept (a stale instance is harmless; the node leaves the groups anyway).
//! Reconciles wait for the first registration so they never name an unknown instance.

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::runtime::watcher;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

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

/// What identifies a node's instance: providerID and InternalIP.
type Registered = (Option<String>, Option<String>);

fn registered(node: &Node) -> Registered {
    let provider = node.spec.as_ref().and_then(|s| s.provider_id.clone());
    let ip = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
        .map(|a| a.address.clone());
    (provider, ip)
}

/// Registers nodes from Node watch events.
pub struct InventorySync {
    inventory: Inventory,
    state: Mutex<SyncState>,
    ready: watch::Sender<bool>,
}

#[derive(Default)]
struct SyncState {
    /// What was last sent successfully, by node name.
    sent: HashMap<String, Registered>,
    /// Nodes of the list in progress.
    listing: Option<Vec<Node>>,
}

impl InventorySync {
    /// A sync writing to `inventory`; [`InventorySync::ready`] turns true after the first
    /// registration attempt.
    pub fn new(inventory: Inventory) -> Self {
        Self {
            inventory,
            state: Mutex::default(),
            ready: watch::channel(false).0,
        }
    }

    /// Turns true once the nodes of the first list were sent (or sending them failed: the
    /// reconcile then reports the unknown instance and the next node event tries again).
    pub fn ready(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// The nodes `event` requires sending (pure bookkeeping; nothing is sent).
    fn pending(&self, event: &watcher::Event<Node>) -> Option<Vec<Node>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let changed = |state: &SyncState, node: &Node| {
            state.sent.get(&node.name_any()) != Some(&registered(node))
        };
        match event {
            watcher::Event::Init => {
                state.listing = Some(Vec::new());
                None
            }
            watcher::Event::InitApply(node) => {
                if let Some(listing) = state.listing.as_mut() {
                    listing.push(node.clone());
                }
                None
            }
            watcher::Event::InitDone => {
                let listed = state.listing.take().unwrap_or_default();
                Some(listed.into_iter().filter(|n| changed(&state, n)).collect())
            }
            watcher::Event::Apply(node) => changed(&state, node).then(|| vec![node.clone()]),
            watcher::Event::Delete(node) => {
                state.sent.remove(&node.name_any());
                None
            }
        }
    }

    /// Sends what `event` requires; failures are logged and retried with the next event.
    pub async fn on_event(&self, event: &watcher::Event<Node>) {
        let first_list_done = matches!(event, watcher::Event::InitDone);
        if let Some(nodes) = self.pending(event).filter(|n| !n.is_empty()) {
            match self.inventory.0.put(&nodes).await {
                Ok(count) => {
                    tracing::info!(count, "registered nodes with the local CLB");
                    let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                    for node in &nodes {
                        state.sent.insert(node.name_any(), registered(node));
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, nodes = nodes.len(), "registering nodes failed");
                }
            }
        }
        if first_list_done {
            self.ready.send_replace(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeAddress, NodeStatus};

    #[derive(Default)]
    struct Recorder {
        puts: Mutex<Vec<Vec<String>>>,
    }

    #[async_trait]
    impl NodeInventory for Recorder {
        async fn put(&self, nodes: &[Node]) -> Result<usize, String> {
            let names = nodes.iter().map(ResourceExt::name_any).collect();
            self.puts.lock().unwrap().push(names);
            Ok(nodes.len())
        }
    }

    fn node(name: &str, ip: &str) -> Node {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.status = Some(NodeStatus {
            addresses: Some(vec![NodeAddress {
                type_: "InternalIP".into(),
                address: ip.into(),
            }]),
            ..NodeStatus::default()
        });
        n
    }

    #[tokio::test]
    async fn nodes_are_sent_once_after_the_first_list_and_again_only_when_their_address_changes() {
        let recorder = Arc::new(Recorder::default());
        let sync = InventorySync::new(Inventory(recorder.clone()));
        let ready = sync.ready();
        sync.on_event(&watcher::Event::Init).await;
        sync.on_event(&watcher::Event::InitApply(node("a", "10.0.0.1")))
            .await;
        sync.on_event(&watcher::Event::InitApply(node("b", "10.0.0.2")))
            .await;
        assert!(!*ready.borrow(), "not before the list is complete");
        sync.on_event(&watcher::Event::InitDone).await;
        assert!(*ready.borrow());
        sync.on_event(&watcher::Event::Apply(node("a", "10.0.0.1")))
            .await;
        sync.on_event(&watcher::Event::Apply(node("b", "10.0.0.9")))
            .await;
        sync.on_event(&watcher::Event::Apply(node("c", "10.0.0.3")))
            .await;
        assert_eq!(
            *recorder.puts.lock().unwrap(),
            [vec!["a", "b"], vec!["b"], vec!["c"]],
            "a heartbeat of a sends nothing"
        );
    }
}
