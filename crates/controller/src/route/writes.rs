//! The route controller's one write to Nodes: the `NetworkUnavailable` condition, set False
//! with reason `RouteCreated` once the Node's route is verified in every table (spec §7.4).
//! A strategic-merge status patch keyed by condition type, so the kubelet's own conditions
//! are untouched. Events go through the node controller's [`crate::node::writes::NodeWriter`].

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

/// The condition type.
pub const NETWORK_UNAVAILABLE: &str = "NetworkUnavailable";
/// Reason once the route exists (the reference's).
pub const ROUTE_CREATED: &str = "RouteCreated";
/// Message once the route exists (the reference's).
pub const ROUTE_CREATED_MESSAGE: &str = "RouteController created a route";
/// Normal event after a route was created (the reference's reason).
pub const CREATED_ROUTE: &str = "CreatedRoute";
/// Warning event when a Node's route could not be created (the reference's reason).
pub const CREATE_ROUTE_FAILED: &str = "CreateRouteFailed";

/// Whether `node` already carries `NetworkUnavailable=False` with reason `RouteCreated`.
pub fn has_route_condition(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == NETWORK_UNAVAILABLE
                    && c.status == "False"
                    && c.reason.as_deref() == Some(ROUTE_CREATED)
            })
        })
}

/// Sets `NetworkUnavailable=False` / `RouteCreated` on `node`.
///
/// # Errors
/// The API server's refusal.
pub async fn set_route_created(api: &Api<Node>, node: &str) -> Result<(), kube::Error> {
    let now =
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now());
    let patch = json!({"status": {"conditions": [{
        "type": NETWORK_UNAVAILABLE,
        "status": "False",
        "reason": ROUTE_CREATED,
        "message": ROUTE_CREATED_MESSAGE,
        "lastTransitionTime": now,
        "lastHeartbeatTime": now,
    }]}});
    api.patch_status(node, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .map(drop)
}
