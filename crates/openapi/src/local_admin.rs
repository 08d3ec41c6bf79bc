//! The local CLB's admin actions, typed like every other action: `LocalPutInstances` (the
//! controller registers nodes with it, so a kind or k3d cluster's nodes need not be listed
//! in the local CLB's config), `LocalDeleteInstances`, `LocalPutNetworkInterfaces`,
//! `LocalDeleteNetworkInterfaces` (the inventory), `LocalSetFaults`, `LocalDescribeFaults`
//! (fault injection) and `LocalSetLoadBalancerStatus` (any status, `locked` included). Each
//! travels like any other signed RPC action (accepted under either product's `Version`).
//!
//! Alibaba Cloud has no such actions: a caller sends them only to a local CLB it was pointed
//! at, and an Alibaba endpoint answers `InvalidAction.NotFound`. Not here: the server side
//! (the local CLB's engine validates and stores what they carry).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::action::{EmptyResponse, rpc_request};
use crate::params::JsonParam;
use crate::types::LoadBalancerStatus;

/// The vSwitch of a local CLB that configures none (`slb-ccm local serve`'s default).
pub const DEFAULT_VSWITCH_ID: &str = "vsw-local";

/// Instances per `LocalPutInstances` call the local CLB accepts.
pub const MAX_INSTANCES_PER_CALL: usize = 1_000;

rpc_request! {
    /// `LocalPutInstances` (local CLB only). Insert-or-replace by `InstanceId`: safe to retry.
    /// At most [`MAX_INSTANCES_PER_CALL`] instances per call.
    pub struct LocalPutInstancesRequest => Ecs "LocalPutInstances" -> LocalCountResponse {
        /// `Instances`: a JSON array of [`LocalInstance`].
        instances: json Vec<LocalInstance> = "Instances",
    }
}

rpc_request! {
    /// `LocalDeleteInstances` (local CLB only): removes instances; unknown ids are ignored.
    pub struct LocalDeleteInstancesRequest => Ecs "LocalDeleteInstances" -> LocalCountResponse {
        /// `InstanceIds`: a JSON array of ids.
        instance_ids: json Vec<String> = "InstanceIds",
    }
}

rpc_request! {
    /// `LocalPutNetworkInterfaces` (local CLB only). Insert-or-replace by
    /// `NetworkInterfaceId`; at most [`MAX_INSTANCES_PER_CALL`] per call.
    pub struct LocalPutNetworkInterfacesRequest => Ecs "LocalPutNetworkInterfaces" -> LocalCountResponse {
        /// `NetworkInterfaces`: a JSON array of [`LocalNetworkInterface`].
        network_interfaces: json Vec<LocalNetworkInterface> = "NetworkInterfaces",
    }
}

rpc_request! {
    /// `LocalDeleteNetworkInterfaces` (local CLB only): removes ENIs; unknown ids are ignored.
    pub struct LocalDeleteNetworkInterfacesRequest => Ecs "LocalDeleteNetworkInterfaces" -> LocalCountResponse {
        /// `NetworkInterfaceIds`: a JSON array of ids.
        network_interface_ids: json Vec<String> = "NetworkInterfaceIds",
    }
}

rpc_request! {
    /// `LocalSetFaults` (local CLB only): replaces the injected faults (kept in memory).
    pub struct LocalSetFaultsRequest => Slb "LocalSetFaults" -> EmptyResponse {
        /// `Faults`: the JSON of [`LocalFaults`] (the config file's `faults` section).
        faults: json LocalFaults = "Faults",
    }
}

rpc_request! {
    /// `LocalDescribeFaults` (local CLB only): the injected faults.
    pub struct LocalDescribeFaultsRequest => Slb "LocalDescribeFaults" -> LocalDescribeFaultsResponse {}
}

rpc_request! {
    /// `LocalSetLoadBalancerStatus` (local CLB only): sets any status, `locked` included
    /// (which `SetLoadBalancerStatus` cannot).
    pub struct LocalSetLoadBalancerStatusRequest => Slb "LocalSetLoadBalancerStatus" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `LoadBalancerStatus`.
        load_balancer_status: req LoadBalancerStatus = "LoadBalancerStatus",
    }
}

/// Response of the inventory actions: how many records were stored or removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LocalCountResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `Count`: records stored (put) or removed (delete).
    #[serde(deserialize_with = "crate::lenient::number")]
    pub count: u32,
}

/// Response of `LocalPutInstances` (its earlier name).
pub type LocalPutInstancesResponse = LocalCountResponse;

/// Response of `LocalDescribeFaults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LocalDescribeFaultsResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `Faults`: the current settings.
    pub faults: LocalFaults,
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

/// One ENI of a local CLB's inventory, as `LocalPutNetworkInterfaces` carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalNetworkInterface {
    /// `NetworkInterfaceId` (`eni-…`, required).
    pub network_interface_id: String,
    /// `PrivateIpAddresses`: its IPv4 addresses, the primary first (required).
    pub private_ip_addresses: Vec<String>,
    /// `Ipv6Addresses`: its IPv6 addresses.
    #[serde(default)]
    pub ipv6_addresses: Vec<String>,
    /// `VpcId`.
    #[serde(default)]
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(default, rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `ZoneId`.
    #[serde(default)]
    pub zone_id: String,
    /// `InstanceId` it is attached to (may be empty).
    #[serde(default)]
    pub instance_id: String,
    /// `Type`: `Primary` or `Secondary` (the local CLB's default when empty).
    #[serde(default, rename = "Type", skip_serializing_if = "String::is_empty")]
    pub eni_type: String,
    /// `Status` (`InUse` when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

impl JsonParam for Vec<LocalNetworkInterface> {
    fn to_json_param(&self) -> String {
        // Plain strings always serialize; an empty list is the fallback.
        serde_json::to_string(self).unwrap_or_else(|_| "[]".to_owned())
    }

    fn from_json_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| {
            format!(
                r#"expected a JSON array of {{"NetworkInterfaceId","PrivateIpAddresses":["…"],"Ipv6Addresses":["…"],"VpcId"}}: {e}"#
            )
        })
    }
}

/// Largest injected latency: enough to exceed a client's timeout (20 s in the SDKs), short of
/// wedging anything. Admin actions are never delayed, so a fault can always be lifted.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// The faults a local CLB injects: its config file's `faults` section, and the JSON that
/// `LocalSetFaults` carries and `LocalDescribeFaults` answers (snake_case keys; an unknown
/// key is refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalFaults {
    /// The account is in arrears: billing calls answer `ORDER.ARREARAGE`.
    pub arrears: bool,
    /// The balance is insufficient: billing calls answer `PAY.INSUFFICIENT_BALANCE`.
    pub insufficient_balance: bool,
    /// Added latency before every call but the `Local*` admin actions, in milliseconds (at
    /// most [`MAX_LATENCY_MS`]).
    pub latency_ms: u64,
    /// Per action (or `*` for all), the fraction 0.0–1.0 of calls answered `Throttling.User`.
    /// The rejection is deterministic: with 0.5 every second call is rejected.
    pub throttle: BTreeMap<String, f64>,
    /// The charge type a create without `InstanceChargeType` gets (`PayBySpec`, as Alibaba).
    pub instance_charge_type: String,
}

/// The fractions come from JSON or YAML numbers, which are never NaN, so equality is
/// reflexive.
impl Eq for LocalFaults {}

impl Default for LocalFaults {
    fn default() -> Self {
        Self {
            arrears: false,
            insufficient_balance: false,
            latency_ms: 0,
            throttle: BTreeMap::new(),
            instance_charge_type: "PayBySpec".to_owned(),
        }
    }
}

impl LocalFaults {
    /// Checks the latency bound and the throttle fractions.
    ///
    /// # Errors
    /// The field, the bad value and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(format!(
                "latency_ms: {} is more than the {MAX_LATENCY_MS} ms allowed",
                self.latency_ms
            ));
        }
        if let Some((action, rate)) = self
            .throttle
            .iter()
            .find(|(_, r)| !(0.0..=1.0).contains(*r))
        {
            return Err(format!(
                "throttle.{action}: {rate} is not a fraction between 0.0 and 1.0"
            ));
        }
        Ok(())
    }
}

impl JsonParam for LocalFaults {
    fn to_json_param(&self) -> String {
        // Plain fields always serialize; `{}` (no faults) is the fallback.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    fn from_json_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| {
            format!(
                r#"expected {{"arrears":bool,"insufficient_balance":bool,"latency_ms":n,"throttle":{{"Action":0.5}},"instance_charge_type":"PayBySpec"}}: {e}"#
            )
        })
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
    fn faults_travel_as_the_config_files_faults_section() {
        let request = LocalSetFaultsRequest {
            faults: LocalFaults {
                latency_ms: 250,
                throttle: [("*".to_owned(), 0.5)].into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let params = request.to_params();
        let json: serde_json::Value = serde_json::from_str(&params["Faults"]).unwrap();
        assert_eq!(json["latency_ms"], 250);
        assert_eq!(json["throttle"]["*"], 0.5);
        assert_eq!(
            LocalSetFaultsRequest::from_params(&params).unwrap(),
            request
        );
    }

    #[test]
    fn an_unknown_fault_is_refused_by_the_parse() {
        let params =
            crate::params::Params::from([("Faults".to_owned(), r#"{"latency":5}"#.to_owned())]);
        let err = LocalSetFaultsRequest::from_params(&params).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
        assert!(err.message.contains("latency"), "{}", err.message);
    }

    #[test]
    fn an_eni_without_addresses_is_refused_by_the_parse() {
        let params = crate::params::Params::from([(
            "NetworkInterfaces".to_owned(),
            r#"[{"NetworkInterfaceId":"eni-1"}]"#.to_owned(),
        )]);
        let err = LocalPutNetworkInterfacesRequest::from_params(&params).unwrap_err();
        assert!(
            err.message.contains("PrivateIpAddresses"),
            "{}",
            err.message
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
