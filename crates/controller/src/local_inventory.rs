//! The [`NodeInventory`] of `controller --cloud local`: each Node becomes an ECS instance of
//! the running local CLB through its admin action `LocalPutInstances`
//! ([`slb_openapi::local_admin`]), sent over the same signed client as every other call.
//!
//! Built by [`crate::run`] from the controller's own flags (`--cloud local` without
//! `--no-register-nodes` or `--dry-run`); never for Alibaba Cloud, which has no such action.
//! Not here: when to send (that is [`crate::inventory::InventorySync`]).

use crate::inventory::{NodeInventory, registration_ip};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::Node;
use slb_model::desired::{instance_id, local_instance_id};
use slb_openapi::HttpClient;
use slb_openapi::local_admin::{DEFAULT_VSWITCH_ID, LocalInstance, put_instances_calls};
use std::sync::Arc;

/// Registers nodes with the local CLB behind `client`.
pub struct LocalInventory {
    client: Arc<HttpClient>,
    vpc_id: String,
    endpoint: String,
}

impl LocalInventory {
    /// Instances go into `vpc_id` through `client`, which points at `endpoint` (for messages).
    pub fn new(client: Arc<HttpClient>, vpc_id: &str, endpoint: &str) -> Self {
        Self {
            client,
            vpc_id: vpc_id.to_owned(),
            endpoint: endpoint.to_owned(),
        }
    }
}

#[async_trait]
impl NodeInventory for LocalInventory {
    async fn put(&self, nodes: &[Node]) -> Result<usize, String> {
        let instances = node_instances(nodes, &self.vpc_id);
        for call in put_instances_calls(&instances) {
            self.client.call(&call).await.map_err(|e| {
                format!(
                    "LocalPutInstances at {}: {e} (only a local CLB server has this action)",
                    self.endpoint
                )
            })?;
        }
        Ok(instances.len())
    }
}

/// The ECS instance each Node stands for in a local CLB: its providerID's instance id, or the
/// id derived from its name; at its registration IP ([`registration_ip`]), in the default
/// vSwitch, in the zone of its `topology.kubernetes.io/zone` label. Nodes without a name or
/// an address are left out.
pub fn node_instances(nodes: &[Node], vpc_id: &str) -> Vec<LocalInstance> {
    nodes
        .iter()
        .filter_map(|node| {
            let name = node.metadata.name.clone()?;
            let ip = registration_ip(node)?.to_owned();
            let id = node
                .spec
                .as_ref()
                .and_then(|s| s.provider_id.as_deref())
                .and_then(instance_id)
                .map_or_else(|| local_instance_id(&name), str::to_owned);
            let zone = node
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("topology.kubernetes.io/zone"))
                .cloned()
                .unwrap_or_default();
            Some(LocalInstance {
                instance_id: id,
                private_ip_address: ip,
                vpc_id: vpc_id.to_owned(),
                vswitch_id: DEFAULT_VSWITCH_ID.to_owned(),
                zone_id: zone,
                instance_name: name,
                status: "Running".to_owned(),
                details: Default::default(),
            })
        })
        .collect()
}
