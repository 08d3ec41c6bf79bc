//! The node controller's writes to the API server: the address status patch, the
//! metadata/spec patch (labels, providerID, taints; conditional on the resourceVersion so a
//! concurrent taint change is never lost), the Node deletion, and the events.
//!
//! Events name the Node by name as its UID, the kubelet's convention that `kubectl describe
//! node` relies on (spec §8). Nothing here decides what to write.

use k8s_openapi::api::core::v1::{Node, NodeAddress, ObjectReference, Taint};
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};
use kube::{Api, ResourceExt};
use serde_json::json;
use std::collections::BTreeMap;

use crate::events::Publisher;

/// Warning reason of a failed initialization or sync (the reference's).
pub const SYNC_NODE_FAILED: &str = "SyncNodeFailed";
/// Normal reason after a Node of a released instance was deleted.
pub const DELETED_NODE: &str = "DeletedNode";
/// Warning reason when that deletion failed.
pub const DELETE_NODE_FAILED: &str = "DeleteNodeFailed";

/// What to change in a Node's metadata and spec; empty parts are left alone.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct NodeChange {
    /// Labels to set.
    pub labels: BTreeMap<String, String>,
    /// providerID to write (only ever when the Node has none).
    pub provider_id: Option<String>,
    /// The whole new taint list.
    pub taints: Option<Vec<Taint>>,
}

impl NodeChange {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.provider_id.is_none() && self.taints.is_none()
    }
}

/// Writes to Nodes and their events.
#[derive(Clone)]
pub struct NodeWriter {
    api: Api<Node>,
    recorder: Publisher,
}

impl NodeWriter {
    /// A writer through `client`, publishing events as `recorder`.
    pub fn new(client: kube::Client, recorder: Publisher) -> Self {
        Self {
            api: Api::all(client),
            recorder,
        }
    }

    /// Replaces `status.addresses` (a merge patch replaces the list as a whole).
    ///
    /// # Errors
    /// The API server's refusal.
    #[tracing::instrument(level = "debug", skip_all, fields(node = %node), err)]
    pub async fn set_addresses(
        &self,
        node: &str,
        addresses: &[NodeAddress],
    ) -> Result<(), kube::Error> {
        let patch = json!({"status": {"addresses": addresses}});
        self.api
            .patch_status(node, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(drop)
    }

    /// Applies `change` to `node` if it is still at the resourceVersion it was read at
    /// (taints are a list without a merge key: a stale list must not overwrite a new one).
    ///
    /// # Errors
    /// The API server's refusal, `409 Conflict` when the Node changed meanwhile.
    #[tracing::instrument(level = "debug", skip_all, fields(node = %node.name_any()), err)]
    pub async fn apply(&self, node: &Node, change: &NodeChange) -> Result<(), kube::Error> {
        let mut metadata = json!({"resourceVersion": node.resource_version()});
        if !change.labels.is_empty() {
            metadata["labels"] = json!(change.labels);
        }
        let mut spec = json!({});
        if let Some(id) = &change.provider_id {
            spec["providerID"] = json!(id);
        }
        if let Some(taints) = &change.taints {
            spec["taints"] = json!(taints);
        }
        let patch = json!({"metadata": metadata, "spec": spec});
        self.api
            .patch(
                &node.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
            .map(drop)
    }

    /// Deletes the Node (its instance was released) and reports it.
    #[tracing::instrument(level = "debug", skip_all, fields(node = %node.name_any()))]
    pub async fn delete(&self, node: &Node) {
        let name = node.name_any();
        match self.api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                tracing::info!(node = %name, "deleted the Node of a released instance");
                self.event(node, EventType::Normal, DELETED_NODE, &name)
                    .await;
            }
            Err(err) => {
                let note = format!("Error deleting node: {err}");
                self.event(node, EventType::Warning, DELETE_NODE_FAILED, &note)
                    .await;
            }
        }
    }

    /// Publishes an event about `node`.
    pub async fn event(&self, node: &Node, type_: EventType, reason: &str, note: &str) {
        let name = node.name_any();
        let reference = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Node".into()),
            name: Some(name.clone()),
            uid: Some(name.clone()),
            ..ObjectReference::default()
        };
        let event = Event {
            type_,
            reason: reason.to_owned(),
            note: Some(note.chars().take(1000).collect()),
            action: "SyncNode".into(),
            secondary: None,
        };
        if let Err(err) = self.recorder.publish(&event, &reference).await {
            tracing::warn!(node = %name, error = %err, "publishing an event failed");
        }
    }
}
