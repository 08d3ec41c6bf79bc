//! The local CLB's admin action the controller sends: `LocalPutInstances`, which inserts or
//! replaces ECS instances in a `slb-ccm local serve` inventory (so a kind or k3d cluster's
//! nodes need not be listed in its config). The request travels like any other signed RPC
//! action (accepted under either product's `Version`; sent as ECS).
//!
//! Alibaba Cloud has no such action: a caller sends it only to a local CLB it was pointed at,
//! and an Alibaba endpoint answers `InvalidAction.NotFound`. Not here: the server side (the
//! local CLB's engine validates and stores the instances).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::action::rpc_request;
use crate::params::JsonParam;

/// The vSwitch of a local CLB that configures none (`slb-ccm local serve`'s default).
pub const DEFAULT_VSWITCH_ID: &str = "vsw-local";

/// Instances per `LocalPutInstances` call the local CLB accepts.
pub const MAX_INSTANCES_PER_CALL: usize = 1_000;

rpc_request! {
    /// `LocalPutInstances` (local CLB only). Insert-or-replace by `InstanceId`: safe to retry.
    /// At most [`MAX_INSTANCES_PER_CALL`] instances per call.
    pub struct LocalPutInstancesRequest => Ecs "LocalPutInstances" -> LocalPutInstancesResponse {
        /// `Instances`: a JSON array of [`LocalInstance`].
        instances: json Vec<LocalInstance> = "Instances",
    }
}

/// Response of `LocalPutInstances`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LocalPutInstancesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `Count`: instances stored.
    #[serde(deserialize_with = "crate::lenient::number")]
    pub count: u32,
}

/// One instance of a local CLB's inventory, as `LocalPutInstances` carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LocalInstance {
    /// `InstanceId` (`i-…`, or the id derived from a node's name).
    pub instance_id: String,
    /// `PrivateIpAddress`: the primary private IPv4 address; `ecs` backends resolve to it.
    pub private_ip_address: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `InstanceName` (the local CLB uses the id when empty).
    pub instance_name: String,
    /// `Status` (`Running`; `Stopped` drives the node controller's shutdown taint).
    pub status: String,
    /// `InstanceType`, `HostName`, `Tags`, … as the local CLB reads them (optional).
    #[serde(flatten)]
    pub details: BTreeMap<String, serde_json::Value>,
}

impl JsonParam for Vec<LocalInstance> {
    fn to_json_param(&self) -> String {
        // Plain strings and JSON values always serialize; an empty list is the fallback.
        serde_json::to_string(self).unwrap_or_else(|_| "[]".to_owned())
    }

    fn from_json_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| format!("expected a JSON array of instances: {e}"))
    }
}

/// The requests that carry `instances` within [`MAX_INSTANCES_PER_CALL`] each.
pub fn put_instances_calls(instances: &[LocalInstance]) -> Vec<LocalPutInstancesRequest> {
    instances
        .chunks(MAX_INSTANCES_PER_CALL)
        .map(|chunk| LocalPutInstancesRequest {
            instances: chunk.to_vec(),
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    fn instance(id: &str) -> LocalInstance {
        LocalInstance {
            instance_id: id.into(),
            private_ip_address: "127.0.0.41".into(),
            vpc_id: "vpc-local".into(),
            status: "Running".into(),
            ..Default::default()
        }
    }

    #[test]
    fn instances_travel_as_the_json_array_the_local_clb_reads() {
        let request = LocalPutInstancesRequest {
            instances: vec![instance("i-local-node-a")],
            ..Default::default()
        };
        let params = request.to_params();
        let json: serde_json::Value = serde_json::from_str(&params["Instances"]).unwrap();
        assert_eq!(json[0]["InstanceId"], "i-local-node-a");
        assert_eq!(json[0]["PrivateIpAddress"], "127.0.0.41");
        assert_eq!(json[0]["VSwitchId"], "");
        assert_eq!(
            LocalPutInstancesRequest::from_params(&params).unwrap(),
            request
        );
        assert_eq!(LocalPutInstancesRequest::NAME, "LocalPutInstances");
        assert!(
            !LocalPutInstancesRequest::creates_resource(),
            "safe to retry"
        );
    }

    #[test]
    fn a_large_inventory_goes_in_calls_within_the_servers_cap() {
        let inventory: Vec<LocalInstance> =
            (0..2_500).map(|n| instance(&format!("i-{n}"))).collect();
        let sizes: Vec<usize> = put_instances_calls(&inventory)
            .iter()
            .map(|c| c.instances.len())
            .collect();
        assert_eq!(sizes, [1_000, 1_000, 500]);
        assert!(put_instances_calls(&[]).is_empty());
    }
}
