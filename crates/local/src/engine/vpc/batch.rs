//! The batch route actions (spec `ccm-nodes-routes.md` §6.2): `CreateRouteEntries` and
//! `DeleteRouteEntries` take up to 50 `RouteEntries.N.*` items, and each item succeeds or
//! fails on its own (`FailedRouteEntries`, with the `VPC_ROUTE_ENTRY_*` codes the reference
//! checks); the call itself succeeds. The rules per entry are the parent module's (`admit`,
//! `delete::position`).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use slb_openapi::error::ApiError;
use slb_openapi::vpc::{
    CreateRouteEntriesRequest, DeleteRouteEntriesRequest, MAX_ROUTE_ENTRIES_PER_CALL,
    ROUTER_ENTRY_NOT_EXIST, RouteEntryItem,
};

use super::super::{Ctx, Outcome, State};
use super::delete::position;
use super::{admit, put_tables};
use crate::model::RouteTable;

fn failed(item: &RouteEntryItem, code: &str, message: &str) -> Value {
    json!({"DstCidrBlock": item.dst_cidr_block, "NextHop": item.next_hop, "FailedCode": code, "FailedMessage": message})
}

/// The request's items, 1 to 50 of them.
fn batch_items(items: &[RouteEntryItem]) -> Result<&[RouteEntryItem], ApiError> {
    if items.is_empty() || items.len() > MAX_ROUTE_ENTRIES_PER_CALL {
        return Err(ApiError::invalid_parameter(
            "RouteEntries",
            "takes 1 to 50 entries per call",
        ));
    }
    Ok(items)
}

/// `CreateRouteEntries`: up to 50 entries; each succeeds or fails on its own.
pub(crate) fn create_route_entries(
    state: &State,
    cx: &Ctx<'_>,
    req: &CreateRouteEntriesRequest,
) -> Result<Outcome, ApiError> {
    let items = batch_items(&req.route_entries)?;
    let (mut tables, mut ids, mut failures) = (BTreeMap::new(), Vec::new(), Vec::new());
    for item in items {
        match create_one(state, cx, &mut tables, item) {
            Ok(id) => ids.push(id),
            Err(failure) => failures.push(failure),
        }
    }
    let outcome = Outcome {
        change: put_tables(tables),
        ..Outcome::default()
    };
    Ok(outcome
        .with("SuccessCount", ids.len())
        .with("FailedCount", failures.len())
        .with("RouteEntryIds", ids)
        .with("FailedRouteEntries", failures))
}

/// One item of `CreateRouteEntries` added to its table in `tables` (the batch's modified
/// tables; a table not yet modified is read from `state`): the new entry's id, or the item's
/// `FailedRouteEntries` element.
fn create_one(
    state: &State,
    cx: &Ctx<'_>,
    tables: &mut BTreeMap<String, RouteTable>,
    item: &RouteEntryItem,
) -> Result<String, Value> {
    let Some(mut table) = tables
        .get(&item.route_table_id)
        .or_else(|| state.route_tables.get(&item.route_table_id))
        .cloned()
    else {
        return Err(failed(
            item,
            "InvalidRouteTableId.NotFound",
            "The specified route table does not exist.",
        ));
    };
    let hop_type = if item.next_hop_type.is_empty() {
        "Instance"
    } else {
        &item.next_hop_type
    };
    let hop = (
        item.dst_cidr_block.as_str(),
        hop_type,
        item.next_hop.as_str(),
    );
    let mut entry = admit(state, cx, &table, hop)
        .map_err(|refusal| failed(item, refusal.batch_code, &refusal.error.message))?;
    entry.route_entry_name.clone_from(&item.name);
    entry.description.clone_from(&item.description);
    let id = entry.route_entry_id.clone();
    table.entries.push(entry);
    tables.insert(table.route_table_id.clone(), table);
    Ok(id)
}

/// `DeleteRouteEntries`: up to 50 entries by (table, destination, next hop).
pub(crate) fn delete_route_entries(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteRouteEntriesRequest,
) -> Result<Outcome, ApiError> {
    let items = batch_items(&req.route_entries)?;
    let (mut tables, mut done, mut failures) = (BTreeMap::new(), 0usize, Vec::new());
    for item in items {
        let table = tables
            .get(&item.route_table_id)
            .or_else(|| state.route_tables.get(&item.route_table_id))
            .cloned();
        let hop = Some(item.next_hop.as_str()).filter(|h| !h.is_empty());
        let found = table.as_ref().and_then(|t| {
            position(t, Some(&item.dst_cidr_block), hop, None).map(|i| (t.clone(), i))
        });
        match found {
            Some((mut table, i)) => {
                table.entries.remove(i);
                tables.insert(table.route_table_id.clone(), table);
                done += 1;
            }
            None => failures.push(failed(
                item,
                ROUTER_ENTRY_NOT_EXIST,
                "The specified route entry does not exist.",
            )),
        }
    }
    let outcome = Outcome {
        change: put_tables(tables),
        ..Outcome::default()
    };
    Ok(outcome
        .with("SuccessCount", done)
        .with("FailedCount", failures.len())
        .with("FailedRouteEntries", failures))
}
