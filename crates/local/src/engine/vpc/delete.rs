//! `DeleteRouteEntry`: one custom entry by `RouteEntryId`, or by table + destination (+ next
//! hop), `InvalidRouteEntry.NotFound` when none matches; and the entry lookup the batch
//! delete shares.

use slb_openapi::error::ApiError;
use slb_openapi::vpc::DeleteRouteEntryRequest;

use super::super::{Ctx, Outcome, State};
use super::{put_tables, table_not_found};
use crate::address::Cidr;
use crate::model::RouteTable;

fn entry_not_found() -> ApiError {
    ApiError::service(
        "InvalidRouteEntry.NotFound",
        404,
        "The specified route entry does not exist.",
    )
}

/// Index of the entry matching (destination, next hop if given) or the entry id.
pub(super) fn position(
    table: &RouteTable,
    cidr: Option<&str>,
    hop: Option<&str>,
    id: Option<&str>,
) -> Option<usize> {
    let cidr = cidr
        .and_then(|c| Cidr::parse(c).ok())
        .map(|c| format!("{}/{}", c.network, c.prefix));
    table.entries.iter().position(|e| {
        id.is_none_or(|i| e.route_entry_id == i)
            && cidr.as_ref().is_none_or(|c| e.destination_cidr_block == *c)
            && hop.is_none_or(|h| e.next_hop_id == h)
    })
}

/// `DeleteRouteEntry`: by `RouteEntryId`, or by table + destination (+ next hop).
pub(crate) fn delete_route_entry(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteRouteEntryRequest,
) -> Result<Outcome, ApiError> {
    let (table_id, cidr, hop, id) = (
        &req.route_table_id,
        &req.destination_cidr_block,
        &req.next_hop_id,
        &req.route_entry_id,
    );
    if id.is_none() && (table_id.is_none() || cidr.is_none()) {
        return Err(ApiError::missing_parameter("RouteEntryId"));
    }
    let table = state
        .route_tables
        .values()
        .filter(|t| table_id.as_ref().is_none_or(|i| *i == t.route_table_id))
        .find(|t| position(t, cidr.as_deref(), hop.as_deref(), id.as_deref()).is_some());
    let Some(table) = table else {
        return match table_id {
            Some(t) if !state.route_tables.contains_key(t) => Err(table_not_found()),
            _ => Err(entry_not_found()),
        };
    };
    let mut table = table.clone();
    if let Some(i) = position(&table, cidr.as_deref(), hop.as_deref(), id.as_deref()) {
        table.entries.remove(i);
    }
    let change = put_tables([(table.route_table_id.clone(), table)].into());
    Ok(Outcome {
        change,
        ..Outcome::default()
    })
}
