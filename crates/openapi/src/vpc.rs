//! VPC actions of the route controller (spec `ccm-nodes-routes.md` §6.2): list a VPC's route
//! tables, list a table's route entries, and create/delete custom entries one at a time or in
//! batches of up to 50 (`RouteEntries.N.*`); the EIP actions are in `eip` (spec part 2 §10).
//! Product `Vpc`, version `2016-04-28`, endpoint override `VPC_ENDPOINT`.
//!
//! Only the wire shapes live here. Which entries a cluster owns, and what counts as success
//! among a batch's `FailedRouteEntries` (the duplicate and not-exist codes), is the route
//! controller's decision.

use serde::{Deserialize, Serialize};

mod eip;
pub use eip::*;

use crate::action::rpc_request;
use crate::lenient::{self, wrap};
use crate::params::ParamItem;
use crate::types::TagKv;

/// `CreateRouteEntries` failure code the reference counts as success (the entry exists).
pub const ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE: &str = "VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE";
/// `CreateRouteEntries` failure code the reference counts as success (entry still settling).
pub const ROUTE_ENTRY_STATUS_ERROR: &str = "VPC_ROUTE_ENTRY_STATUS_ERROR";
/// `DeleteRouteEntries` failure code the reference counts as success (already gone).
pub const ROUTER_ENTRY_NOT_EXIST: &str = "VPC_ROUTER_ENTRY_NOT_EXIST";
/// The most entries one batch call takes.
pub const MAX_ROUTE_ENTRIES_PER_CALL: usize = 50;

rpc_request! {
    /// `DescribeRouteTableList`. Read-only. Paged with `PageNumber`/`PageSize` (≤ 50).
    pub struct DescribeRouteTableListRequest => Vpc "DescribeRouteTableList" -> DescribeRouteTableListResponse {
        /// `VpcId`.
        vpc_id: opt String = "VpcId",
        /// `RouteTableId`.
        route_table_id: opt String = "RouteTableId",
        /// `PageNumber` (from 1).
        page_number: opt u32 = "PageNumber",
        /// `PageSize` (1–50, default 10).
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeRouteTableList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRouteTableListResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `PageNumber`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u32,
    /// `PageSize`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u32,
    /// `TotalCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u32,
    /// `RouterTableList.RouterTableListType[]`.
    #[serde(with = "wrap::router_table_list_type")]
    pub router_table_list: Vec<RouteTable>,
}

/// One route table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTable {
    /// `RouteTableId` (`vtb-…`).
    pub route_table_id: String,
    /// `RouteTableName`.
    pub route_table_name: String,
    /// `RouteTableType`: `System` or `Custom`.
    pub route_table_type: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `RouterId` (`vrt-…`).
    pub router_id: String,
    /// `RouterType`: `VRouter`.
    pub router_type: String,
    /// `Status`: `Available`.
    pub status: String,
    /// `Description`.
    pub description: String,
    /// `CreationTime`.
    pub creation_time: String,
    /// `VSwitchIds.VSwitchId[]` bound to the table.
    #[serde(rename = "VSwitchIds", with = "wrap::vswitch_id")]
    pub vswitch_ids: Vec<String>,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

rpc_request! {
    /// `DescribeRouteEntryList`. Read-only. Paged with `MaxResult` (20–500) + `NextToken`.
    pub struct DescribeRouteEntryListRequest => Vpc "DescribeRouteEntryList" -> DescribeRouteEntryListResponse {
        /// `RouteTableId` (required).
        route_table_id: req String = "RouteTableId",
        /// `RouteEntryType`: `System`, `Custom`, `BGP`.
        route_entry_type: opt String = "RouteEntryType",
        /// `NextHopType`, e.g. `Instance`.
        next_hop_type: opt String = "NextHopType",
        /// `NextHopId`.
        next_hop_id: opt String = "NextHopId",
        /// `DestinationCidrBlock` (exact match).
        destination_cidr_block: opt String = "DestinationCidrBlock",
        /// `RouteEntryId`.
        route_entry_id: opt String = "RouteEntryId",
        /// `MaxResult` (the CCM sends 500).
        max_result: opt u32 = "MaxResult",
        /// `NextToken`.
        next_token: opt String = "NextToken",
    }
}

/// Response of `DescribeRouteEntryList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRouteEntryListResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `NextToken` (empty on the last page).
    pub next_token: String,
    /// `RouteEntrys.RouteEntry[]` (sic).
    #[serde(with = "wrap::route_entry")]
    pub route_entrys: Vec<RouteEntry>,
}

/// One route entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteEntry {
    /// `RouteEntryId` (`rte-…`).
    pub route_entry_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: String,
    /// `Type`: `System`, `Custom`.
    #[serde(rename = "Type")]
    pub entry_type: String,
    /// `Status`: `Pending`, `Available`, `Modifying`.
    pub status: String,
    /// `RouteEntryName`.
    pub route_entry_name: String,
    /// `Description`.
    pub description: String,
    /// `IpVersion`.
    pub ip_version: String,
    /// `NextHops.NextHop[]`.
    #[serde(with = "wrap::next_hop")]
    pub next_hops: Vec<NextHop>,
}

/// One next hop of a route entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NextHop {
    /// `NextHopType`, e.g. `Instance`.
    pub next_hop_type: String,
    /// `NextHopId`, e.g. an ECS instance id.
    pub next_hop_id: String,
    /// `Enabled` (1 when active).
    #[serde(deserialize_with = "lenient::number")]
    pub enabled: i64,
    /// `Weight`.
    #[serde(deserialize_with = "lenient::number")]
    pub weight: i64,
}

rpc_request! {
    /// `CreateRouteEntry`: one custom entry. Creates; the service refuses a duplicate
    /// destination with `InvalidCIDRBlock.Duplicate`, so a retry cannot duplicate it.
    pub struct CreateRouteEntryRequest => Vpc "CreateRouteEntry" -> CreateRouteEntryResponse {
        /// `RouteTableId`.
        route_table_id: req String = "RouteTableId",
        /// `DestinationCidrBlock`.
        destination_cidr_block: req String = "DestinationCidrBlock",
        /// `NextHopType`, e.g. `Instance`.
        next_hop_type: opt String = "NextHopType",
        /// `NextHopId`.
        next_hop_id: opt String = "NextHopId",
        /// `RouteEntryName`.
        route_entry_name: opt String = "RouteEntryName",
        /// `Description`.
        description: opt String = "Description",
        /// `ClientToken`.
        client_token: opt String = "ClientToken",
    }
}

/// Response of `CreateRouteEntry`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateRouteEntryResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `RouteEntryId`.
    pub route_entry_id: String,
}

/// One item of `CreateRouteEntries`' / `DeleteRouteEntries`' `RouteEntries.N.*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteEntryItem {
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `DstCidrBlock`.
    pub dst_cidr_block: String,
    /// `NextHop` (an instance id).
    pub next_hop: String,
    /// `NextHopType` (create only), e.g. `Instance`.
    pub next_hop_type: String,
    /// `Name` (create only).
    pub name: String,
    /// `Description` (create only).
    pub description: String,
}

impl ParamItem for RouteEntryItem {
    const FIELD_NAMES: &'static [&'static str] = &[
        "RouteTableId",
        "DstCidrBlock",
        "NextHop",
        "NextHopType",
        "Name",
        "Description",
    ];

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RouteTableId", self.route_table_id.clone()),
            ("DstCidrBlock", self.dst_cidr_block.clone()),
            ("NextHop", self.next_hop.clone()),
            ("NextHopType", self.next_hop_type.clone()),
            ("Name", self.name.clone()),
            ("Description", self.description.clone()),
        ]
    }

    fn from_fields(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, &'static str> {
        Ok(Self {
            route_table_id: get("RouteTableId").ok_or("RouteTableId")?,
            dst_cidr_block: get("DstCidrBlock").ok_or("DstCidrBlock")?,
            next_hop: get("NextHop").unwrap_or_default(),
            next_hop_type: get("NextHopType").unwrap_or_default(),
            name: get("Name").unwrap_or_default(),
            description: get("Description").unwrap_or_default(),
        })
    }
}

rpc_request! {
    /// `CreateRouteEntries`: up to 50 custom entries; each fails or succeeds on its own
    /// (`FailedRouteEntries`), the call itself succeeds.
    pub struct CreateRouteEntriesRequest => Vpc "CreateRouteEntries" -> RouteEntriesResponse {
        /// `RouteEntries.N.{RouteTableId, DstCidrBlock, NextHop, NextHopType, Name, Description}`.
        route_entries: items RouteEntryItem = "RouteEntries",
    }
}

rpc_request! {
    /// `DeleteRouteEntries`: up to 50 entries, each failing on its own.
    pub struct DeleteRouteEntriesRequest => Vpc "DeleteRouteEntries" -> RouteEntriesResponse {
        /// `RouteEntries.N.{RouteTableId, DstCidrBlock, NextHop}`.
        route_entries: items RouteEntryItem = "RouteEntries",
    }
}

/// Response of `CreateRouteEntries` and `DeleteRouteEntries`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteEntriesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `SuccessCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub success_count: u32,
    /// `FailedCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub failed_count: u32,
    /// `RouteEntryIds[]` of the created entries (create only).
    #[serde(deserialize_with = "lenient::bare_list")]
    pub route_entry_ids: Vec<String>,
    /// `FailedRouteEntries[]`.
    #[serde(deserialize_with = "lenient::bare_list")]
    pub failed_route_entries: Vec<FailedRouteEntry>,
}

/// One failed item of a batch call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FailedRouteEntry {
    /// `DstCidrBlock`.
    pub dst_cidr_block: String,
    /// `NextHop`.
    pub next_hop: String,
    /// `FailedCode`, e.g. `VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE`.
    pub failed_code: String,
    /// `FailedMessage`.
    pub failed_message: String,
}

rpc_request! {
    /// `DeleteRouteEntry`: one entry by (table, destination, next hop) or by id.
    /// `InvalidRouteEntry.NotFound` when it does not exist (the CCM counts that as success).
    pub struct DeleteRouteEntryRequest => Vpc "DeleteRouteEntry" -> crate::action::EmptyResponse {
        /// `RouteTableId`.
        route_table_id: opt String = "RouteTableId",
        /// `DestinationCidrBlock`.
        destination_cidr_block: opt String = "DestinationCidrBlock",
        /// `NextHopId`.
        next_hop_id: opt String = "NextHopId",
        /// `RouteEntryId`.
        route_entry_id: opt String = "RouteEntryId",
    }
}
