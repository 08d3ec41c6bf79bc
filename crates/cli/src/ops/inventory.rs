//! Puts the manifests' Nodes into a running local CLB's ECS inventory through its local-only
//! admin action `LocalPutInstances`, so `apply --endpoint … --register-nodes` works against a
//! `slb-ccm local serve` that was started without them.
//!
//! The same action backs the node registration of `controller --cloud local` through
//! [`LocalInventory`], the controller's [`NodeInventory`].
//!
//! Only on request, never by default: Alibaba Cloud has no such action, and nothing
//! local-only may be sent to it.

use super::target::node_instances;
use async_trait::async_trait;
use k8s_openapi::api::core::v1::Node;
use serde_json::Value;
use slb_controller::inventory::NodeInventory;
use slb_local::engine::MAX_ITEMS_PER_CALL;
use slb_local::model::Instance;
use slb_openapi::action::{Action, Product};
use slb_openapi::{ApiError, HttpClient, Params};
use std::sync::Arc;

/// The local CLB's `LocalPutInstances`: insert or replace ECS instances.
#[derive(Debug, Clone)]
pub struct LocalPutInstances {
    /// The instances.
    pub instances: Vec<Instance>,
}

impl Action for LocalPutInstances {
    const NAME: &'static str = "LocalPutInstances";
    // Local admin actions accept either product's Version.
    const PRODUCT: Product = Product::Ecs;
    type Response = Value;

    fn region_id(&self) -> Option<&str> {
        None
    }

    fn to_params(&self) -> Params {
        let mut params = Params::new();
        // Serializing plain strings cannot fail; an empty list is the harmless fallback.
        let json = serde_json::to_string(&self.instances).unwrap_or_else(|_| "[]".to_owned());
        params.insert("Instances".to_owned(), json);
        params
    }

    fn from_params(params: &Params) -> Result<Self, ApiError> {
        let raw = params
            .get("Instances")
            .ok_or_else(|| ApiError::missing_parameter("Instances"))?;
        let instances = serde_json::from_str(raw)
            .map_err(|e| ApiError::invalid_parameter("Instances", &e.to_string()))?;
        Ok(Self { instances })
    }

    fn creates_resource() -> bool {
        false // insert-or-replace: safe to retry
    }
}

/// Sends the instances to the local CLB behind `client`, in calls of at most the server's
/// per-call cap.
///
/// # Errors
/// The server's answer, e.g. `InvalidAction.NotFound` when the endpoint is not a local CLB.
pub async fn put(client: &HttpClient, instances: Vec<Instance>) -> Result<(), ApiError> {
    for call in calls(&instances) {
        client.call(&call).await?;
    }
    Ok(())
}

/// The `LocalPutInstances` calls that carry `instances` within the per-call cap.
fn calls(instances: &[Instance]) -> Vec<LocalPutInstances> {
    instances
        .chunks(MAX_ITEMS_PER_CALL)
        .map(|chunk| LocalPutInstances {
            instances: chunk.to_vec(),
        })
        .collect()
}

/// The controller's [`NodeInventory`] on a running local CLB.
pub struct LocalInventory {
    /// The local CLB's client.
    pub client: Arc<HttpClient>,
    /// The VPC the instances are put in.
    pub vpc_id: String,
    /// Where the client points, for messages.
    pub endpoint: String,
}

#[async_trait]
impl NodeInventory for LocalInventory {
    async fn put(&self, nodes: &[Node]) -> Result<usize, String> {
        let instances = node_instances(nodes, &self.vpc_id);
        let count = instances.len();
        put(&self.client, instances).await.map_err(|e| {
            format!(
                "LocalPutInstances at {}: {e} (only a local CLB server has this action)",
                self.endpoint
            )
        })?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_inventory_goes_in_calls_within_the_servers_cap() {
        let instance = |n: usize| -> Instance {
            serde_json::from_value(serde_json::json!({
                "InstanceId": format!("i-{n}"),
                "PrivateIpAddress": "127.0.0.41",
            }))
            .unwrap()
        };
        let inventory: Vec<Instance> = (0..2_500).map(instance).collect();
        let sizes: Vec<usize> = calls(&inventory)
            .iter()
            .map(|c| c.instances.len())
            .collect();
        assert_eq!(sizes, [1_000, 1_000, 500]);
        assert!(calls(&[]).is_empty());
    }

    #[test]
    fn instances_travel_as_the_json_the_local_clb_reads() {
        let action = LocalPutInstances {
            instances: vec![Instance {
                instance_id: "i-local-node-a".into(),
                private_ip_address: "127.0.0.41".into(),
                vpc_id: "vpc-local".into(),
                vswitch_id: "vsw-local".into(),
                zone_id: "cn-hangzhou-a".into(),
                instance_name: "node-a".into(),
                status: "Running".into(),
                details: Default::default(),
            }],
        };
        let params = action.to_params();
        let back = LocalPutInstances::from_params(&params).unwrap();
        assert_eq!(back.instances, action.instances);
        assert!(params["Instances"].contains(r#""InstanceId":"i-local-node-a""#));
        assert!(params["Instances"].contains(r#""PrivateIpAddress":"127.0.0.41""#));
    }
}
