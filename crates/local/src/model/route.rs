//! The VPC records of the local CLB: route tables with their custom route entries (the
//! route controller's pod-CIDR routes). Each table is stored as one document with its
//! entries, like a load balancer: every route write touches exactly one table.
//!
//! System entries (one per vSwitch CIDR, as a VPC shows them) are not stored; the engine
//! renders them from the configuration. No rules live here (see `engine::vpc`).

use serde::{Deserialize, Serialize};

/// One route table of a VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    /// `RouteTableId` (`vtb-…`).
    pub route_table_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `RouteTableType`: `System` (the VPC's default) or `Custom`.
    #[serde(default = "system")]
    pub route_table_type: String,
    /// `RouteTableName`.
    #[serde(default)]
    pub route_table_name: String,
    /// vSwitches bound to the table (a `System` table serves every unbound vSwitch).
    #[serde(default, rename = "VSwitchIds")]
    pub vswitch_ids: Vec<String>,
    /// `CreationTime` (ISO 8601).
    #[serde(default)]
    pub creation_time: String,
    /// Custom route entries, in creation order.
    #[serde(default)]
    pub entries: Vec<RouteEntryRecord>,
}

fn system() -> String {
    "System".to_owned()
}

/// One custom route entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteEntryRecord {
    /// `RouteEntryId` (`rte-…`).
    pub route_entry_id: String,
    /// `DestinationCidrBlock`, normalized (host bits cleared).
    pub destination_cidr_block: String,
    /// `NextHopType`, e.g. `Instance`.
    pub next_hop_type: String,
    /// `NextHopId`, e.g. an instance id.
    pub next_hop_id: String,
    /// `RouteEntryName`.
    #[serde(default)]
    pub route_entry_name: String,
    /// `Description`.
    #[serde(default)]
    pub description: String,
}
