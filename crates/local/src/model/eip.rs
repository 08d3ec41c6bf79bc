//! The EIP records of the local CLB (product Vpc): one document per elastic IP, with its
//! binding. Only CLBs (`SlbInstance`) are bound here; associations complete at once, so the
//! stored status is `Available` or `InUse`, never a transition.
//!
//! No rules live here (see `engine::eip`).

use serde::{Deserialize, Serialize};

/// One elastic IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Eip {
    /// `AllocationId` (`eip-…`).
    pub allocation_id: String,
    /// `IpAddress`, from the configured `eip_pool`.
    pub ip_address: String,
    /// `Status`: `Available` or `InUse`.
    pub status: String,
    /// `InstanceId` it is bound to (empty when `Available`).
    #[serde(default)]
    pub instance_id: String,
    /// `InstanceType` it is bound as (`SlbInstance`, or empty).
    #[serde(default)]
    pub instance_type: String,
    /// `Bandwidth` in Mbit/s.
    pub bandwidth: u32,
    /// `InternetChargeType`: `PayByBandwidth` or `PayByTraffic`.
    pub internet_charge_type: String,
    /// `ISP`, e.g. `BGP`.
    #[serde(rename = "ISP")]
    pub isp: String,
    /// `Name`.
    #[serde(default)]
    pub name: String,
    /// `Description`.
    #[serde(default)]
    pub description: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// Allocation time, milliseconds since the Unix epoch.
    pub allocation_time_ms: i64,
    /// The `ClientToken` of the allocation (empty when none); a replay returns this EIP.
    #[serde(default)]
    pub client_token: String,
    /// The `ClientToken` of the last associate/unassociate call; its replay is a no-op.
    #[serde(default)]
    pub binding_token: String,
}
