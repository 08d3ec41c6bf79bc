//! VPC route tables (spec `ccm-nodes-routes.md` §6.2): list tables, list entries, create and
//! delete custom entries one at a time or in batches of up to 50, with the service's rules —
//! a destination is unique per table, may not equal or fall inside one of the VPC's vSwitch
//! CIDRs or `100.64.0.0/10`, a table holds at most 200 custom entries, an `Instance` next
//! hop must exist — and its error codes (batch items fail one by one in
//! `FailedRouteEntries`, with the `VPC_ROUTE_ENTRY_*` codes the reference checks).
//!
//! Every VPC of the configured vSwitches has a `System` table (seeded at start); the config
//! file may add more. Entries are `Available` at once: the real service's short `Pending`
//! phase is not modelled. Parameters other than the ones modelled here are refused with an
//! `InvalidParameter` naming them, so a test never passes on a silently ignored filter.
//!
//! Here: the tables, listing, and creating one entry (with the rules every create shares);
//! deleting one entry is in `delete`, the 50-item batch actions in `batch`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use slb_openapi::error::ApiError;
use slb_openapi::params::Params;
use slb_openapi::vpc::{
    CreateRouteEntryRequest, DescribeRouteEntryListRequest, DescribeRouteTableListRequest,
    ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE,
};

use super::{Ctx, Outcome, State};
use crate::address::Cidr;
use crate::config::LocalConfig;
use crate::model::{RouteEntryRecord, RouteTable};
use crate::store::Change;

mod batch;
mod delete;

pub(crate) use batch::{create_route_entries, delete_route_entries};
pub(crate) use delete::delete_route_entry;

/// Custom entries one table holds.
pub const MAX_CUSTOM_ENTRIES: usize = 200;
/// The carrier-grade NAT range a VPC reserves.
const RESERVED: &str = "100.64.0.0/10";

/// Signing and routing parameters every action carries.
const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "Signature",
    "SecurityToken",
    "RegionId",
];

/// Tables to write at start: the config file's (entries kept from the store) and a `System`
/// table for every VPC of the vSwitches that has none.
pub(crate) fn seed_route_tables(
    config: &LocalConfig,
    stored: &BTreeMap<String, RouteTable>,
) -> Vec<RouteTable> {
    let mut out: Vec<RouteTable> = config
        .route_tables
        .iter()
        .map(|c| RouteTable {
            route_table_id: c.id.clone(),
            vpc_id: c.vpc_id.clone(),
            route_table_type: c.table_type.clone(),
            route_table_name: String::new(),
            vswitch_ids: c.vswitch_ids.clone(),
            creation_time: String::new(),
            entries: stored
                .get(&c.id)
                .map(|t| t.entries.clone())
                .unwrap_or_default(),
        })
        .collect();
    for vsw in &config.vswitches {
        let has_system = stored
            .values()
            .chain(out.iter())
            .any(|t| t.vpc_id == vsw.vpc_id && t.route_table_type == "System");
        if !has_system {
            let suffix = vsw.vpc_id.strip_prefix("vpc-").unwrap_or(&vsw.vpc_id);
            out.push(RouteTable {
                route_table_id: format!("vtb-{suffix}"),
                vpc_id: vsw.vpc_id.clone(),
                route_table_type: "System".to_owned(),
                route_table_name: String::new(),
                vswitch_ids: Vec::new(),
                creation_time: String::new(),
                entries: Vec::new(),
            });
        }
    }
    out
}

/// A repeat list's name and the fields of its items (`RouteEntries`, `RouteTableId`, …).
type RepeatItems = (&'static str, &'static [&'static str]);

/// The parameters each VPC action models (`(action, names, repeat-list items)`); any other
/// (besides the common ones) is refused by name at the parse step.
const MODELLED: &[(&str, &[&str], Option<RepeatItems>)] = &[
    (
        "DescribeRouteTableList",
        &["VpcId", "RouteTableId", "PageNumber", "PageSize"],
        None,
    ),
    (
        "DescribeRouteEntryList",
        &[
            "RouteTableId",
            "RouteEntryType",
            "NextHopType",
            "NextHopId",
            "DestinationCidrBlock",
            "RouteEntryId",
            "MaxResult",
            "NextToken",
        ],
        None,
    ),
    (
        "CreateRouteEntry",
        &[
            "RouteTableId",
            "DestinationCidrBlock",
            "NextHopType",
            "NextHopId",
            "RouteEntryName",
            "Description",
        ],
        None,
    ),
    (
        "DeleteRouteEntry",
        &[
            "RouteTableId",
            "DestinationCidrBlock",
            "NextHopId",
            "RouteEntryId",
        ],
        None,
    ),
    (
        "CreateRouteEntries",
        &[],
        Some((
            "RouteEntries",
            &[
                "RouteTableId",
                "DstCidrBlock",
                "NextHop",
                "NextHopType",
                "Name",
                "Description",
            ],
        )),
    ),
    (
        "DeleteRouteEntries",
        &[],
        Some(("RouteEntries", &["RouteTableId", "DstCidrBlock", "NextHop"])),
    ),
];

/// Refuses, by name, a parameter of a VPC `action` that this module does not model (the
/// parse step runs it; see `dispatch::refuse_by_name`).
///
/// # Errors
/// `InvalidParameter` naming the parameter.
pub(crate) fn refuse_unmodelled(action: &str, params: &Params) -> Result<(), ApiError> {
    match MODELLED.iter().find(|(a, _, _)| *a == action) {
        Some((_, modelled, items)) => only(params, modelled, *items),
        None => Ok(()),
    }
}

/// Refuses a parameter this module does not model.
fn only(
    params: &Params,
    modelled: &[&str],
    items: Option<(&str, &[&str])>,
) -> Result<(), ApiError> {
    for key in params.keys() {
        let in_items = items.is_some_and(|(prefix, fields)| {
            key.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.split_once('.'))
                .is_some_and(|(n, f)| n.parse::<u32>().is_ok() && fields.contains(&f))
        });
        if !(COMMON.contains(&key.as_str()) || modelled.contains(&key.as_str()) || in_items) {
            return Err(ApiError::invalid_parameter(
                key,
                "is not modelled by the local CLB's VPC actions",
            ));
        }
    }
    Ok(())
}

fn table_not_found() -> ApiError {
    ApiError::service(
        "InvalidRouteTableId.NotFound",
        404,
        "The specified route table does not exist.",
    )
}

fn find_table<'s>(state: &'s State, id: &str) -> Result<&'s RouteTable, ApiError> {
    state.route_tables.get(id).ok_or_else(table_not_found)
}

/// `DescribeRouteTableList`: by `VpcId` and/or `RouteTableId`, paged (default 10, ≤ 50).
pub(crate) fn describe_route_table_list(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeRouteTableListRequest,
) -> Result<Outcome, ApiError> {
    let (vpc, id) = (&req.vpc_id, &req.route_table_id);
    let page: u32 = req.page_number.unwrap_or(1).max(1);
    let size: u32 = req.page_size.unwrap_or(10).clamp(1, 50);
    let all: Vec<&RouteTable> = state
        .route_tables
        .values()
        .filter(|t| vpc.as_ref().is_none_or(|v| *v == t.vpc_id))
        .filter(|t| id.as_ref().is_none_or(|i| *i == t.route_table_id))
        .collect();
    let skip = usize::try_from((page - 1) * size).unwrap_or(usize::MAX);
    let items: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(size as usize)
        .map(|t| {
            json!({
                "RouteTableId": t.route_table_id, "VpcId": t.vpc_id,
                "RouteTableType": t.route_table_type, "RouteTableName": t.route_table_name,
                "RouterId": format!("vrt-{}", t.vpc_id.trim_start_matches("vpc-")),
                "RouterType": "VRouter", "Status": "Available",
                "CreationTime": t.creation_time, "Description": "",
                "VSwitchIds": {"VSwitchId": t.vswitch_ids}, "Tags": {"Tag": []},
            })
        })
        .collect();
    Ok(Outcome::read(Map::new())
        .with("PageNumber", page)
        .with("PageSize", size)
        .with("TotalCount", all.len())
        .with("RouterTableList", json!({ "RouterTableListType": items })))
}

/// The entries of `table` as the service lists them: the system routes of its VPC's
/// vSwitches (for a `System` table), then the custom ones.
fn rendered_entries(cx: &Ctx<'_>, table: &RouteTable) -> Vec<Value> {
    let mut out = Vec::new();
    if table.route_table_type == "System" {
        for vsw in cx
            .config
            .vswitches
            .iter()
            .filter(|v| v.vpc_id == table.vpc_id)
        {
            out.push(json!({
                "RouteEntryId": format!("rte-sys-{}", vsw.id), "RouteTableId": table.route_table_id,
                "DestinationCidrBlock": vsw.cidr, "Type": "System", "Status": "Available",
                "IpVersion": "ipv4", "NextHops": {"NextHop": [{"NextHopType": "local", "NextHopId": "", "Enabled": 1, "Weight": 0}]},
            }));
        }
    }
    for e in &table.entries {
        out.push(json!({
            "RouteEntryId": e.route_entry_id, "RouteTableId": table.route_table_id,
            "DestinationCidrBlock": e.destination_cidr_block, "Type": "Custom",
            "Status": "Available", "RouteEntryName": e.route_entry_name,
            "Description": e.description, "IpVersion": "ipv4",
            "NextHops": {"NextHop": [{"NextHopType": e.next_hop_type, "NextHopId": e.next_hop_id, "Enabled": 1, "Weight": 0}]},
        }));
    }
    out
}

fn field<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `DescribeRouteEntryList`: a table's entries, filtered, paged by `MaxResult`/`NextToken`.
pub(crate) fn describe_route_entry_list(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeRouteEntryListRequest,
) -> Result<Outcome, ApiError> {
    let table = find_table(state, &req.route_table_id)?;
    let filters: [(&str, &Option<String>, &str); 5] = [
        ("/Type", &req.route_entry_type, ""),
        ("/NextHops/NextHop/0/NextHopType", &req.next_hop_type, ""),
        ("/NextHops/NextHop/0/NextHopId", &req.next_hop_id, ""),
        ("/DestinationCidrBlock", &req.destination_cidr_block, ""),
        ("/RouteEntryId", &req.route_entry_id, ""),
    ];
    let max: usize = req.max_result.unwrap_or(50).clamp(1, 500) as usize;
    let start: usize = match &req.next_token {
        Some(t) => t.parse().map_err(|_| {
            ApiError::invalid_parameter("NextToken", "is not a token this service issued")
        })?,
        None => 0,
    };
    let matching: Vec<Value> = rendered_entries(cx, table)
        .into_iter()
        .filter(|e| {
            filters.iter().all(|(ptr, want, _)| {
                want.as_ref()
                    .is_none_or(|w| field(e, ptr).eq_ignore_ascii_case(w))
            })
        })
        .collect();
    let page: Vec<Value> = matching.iter().skip(start).take(max).cloned().collect();
    let next = if start + page.len() < matching.len() {
        (start + page.len()).to_string()
    } else {
        String::new()
    };
    Ok(Outcome::read(Map::new())
        .with("NextToken", next)
        .with("RouteEntrys", json!({ "RouteEntry": page })))
}

/// Why one entry cannot be created: the single call's error and the batch item's code.
struct Refusal {
    error: ApiError,
    batch_code: &'static str,
}

impl Refusal {
    fn new(code: &'static str, status: u16, message: &str, batch_code: &'static str) -> Self {
        Self {
            error: ApiError::service(code, status, message),
            batch_code,
        }
    }
}

/// Checks one new entry against `table` (as already modified by earlier items of a batch).
fn admit(
    state: &State,
    cx: &Ctx<'_>,
    table: &RouteTable,
    (cidr, hop_type, hop): (&str, &str, &str),
) -> Result<RouteEntryRecord, Refusal> {
    let destination = check_destination(cx, table, cidr)?;
    check_next_hop(state, table, hop_type, hop)?;
    Ok(RouteEntryRecord {
        route_entry_id: Ctx::new_id("rte"),
        destination_cidr_block: destination,
        next_hop_type: "Instance".to_owned(),
        next_hop_id: hop.to_owned(),
        route_entry_name: String::new(),
        description: String::new(),
    })
}

/// The entry's destination, normalized: a CIDR not yet in `table` and overlapping none of
/// the VPC's vSwitches or its reserved range.
fn check_destination(cx: &Ctx<'_>, table: &RouteTable, cidr: &str) -> Result<String, Refusal> {
    let dest = Cidr::parse(cidr).map_err(|e| Refusal {
        error: ApiError::invalid_parameter("DestinationCidrBlock", &e),
        batch_code: "InvalidDestinationCidrBlock.Malformed",
    })?;
    let normalized = format!("{}/{}", dest.network, dest.prefix);
    if table
        .entries
        .iter()
        .any(|e| e.destination_cidr_block == normalized)
    {
        return Err(Refusal::new(
            "InvalidCIDRBlock.Duplicate",
            400,
            "Specified CIDR block is already exists.",
            ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE,
        ));
    }
    let reserved = cx
        .config
        .vswitches
        .iter()
        .filter(|v| v.vpc_id == table.vpc_id)
        .map(|v| v.cidr.as_str())
        .chain([RESERVED])
        .filter_map(|c| Cidr::parse(c).ok())
        .find(|c| c.prefix <= dest.prefix && c.contains(dest.network));
    if let Some(c) = reserved {
        let message = format!(
            "The destination CIDR block {normalized} overlaps with {}/{}, a vSwitch or reserved range of the VPC.",
            c.network, c.prefix
        );
        return Err(Refusal::new(
            "InvalidCIDRBlock.Overlapped",
            400,
            &message,
            "InvalidCIDRBlock.Overlapped",
        ));
    }
    Ok(normalized)
}

/// Room in `table` for one more entry, and a next hop the local CLB models: an instance of
/// its inventory.
fn check_next_hop(
    state: &State,
    table: &RouteTable,
    hop_type: &str,
    hop: &str,
) -> Result<(), Refusal> {
    if table.entries.len() >= MAX_CUSTOM_ENTRIES {
        return Err(Refusal::new(
            "QuotaExceeded",
            400,
            "Route entry quota exceeded in this route table.",
            "VPC_ROUTE_ENTRY_QUOTA_EXCEEDED",
        ));
    }
    if !hop_type.eq_ignore_ascii_case("Instance") {
        let message =
            format!("NextHopType {hop_type:?} is not modelled by the local CLB; use Instance.");
        return Err(Refusal {
            error: ApiError::invalid_parameter("NextHopType", &message),
            batch_code: "InvalidNextHopType",
        });
    }
    if !state.instances.contains_key(hop) {
        return Err(Refusal::new(
            "InvalidInstanceId.NotFound",
            404,
            "The specified instance does not exist.",
            "InvalidInstanceId.NotFound",
        ));
    }
    Ok(())
}

fn put_tables(tables: BTreeMap<String, RouteTable>) -> Change {
    Change {
        put_route_tables: tables.into_values().collect(),
        ..Change::default()
    }
}

/// `CreateRouteEntry`: one custom entry.
pub(crate) fn create_route_entry(
    state: &State,
    cx: &Ctx<'_>,
    req: &CreateRouteEntryRequest,
) -> Result<Outcome, ApiError> {
    let mut table = find_table(state, &req.route_table_id)?.clone();
    let cidr = &req.destination_cidr_block;
    let hop_type: String = req
        .next_hop_type
        .clone()
        .unwrap_or_else(|| "Instance".to_owned());
    let hop: &str = req
        .next_hop_id
        .as_deref()
        .ok_or_else(|| ApiError::missing_parameter("NextHopId"))?;
    let mut entry = admit(state, cx, &table, (cidr, &hop_type, hop)).map_err(|r| r.error)?;
    entry.route_entry_name = req.route_entry_name.clone().unwrap_or_default();
    entry.description = req.description.clone().unwrap_or_default();
    let id = entry.route_entry_id.clone();
    table.entries.push(entry);
    let change = put_tables([(table.route_table_id.clone(), table)].into());
    Ok(Outcome {
        change,
        ..Outcome::default()
    }
    .with("RouteEntryId", id))
}
