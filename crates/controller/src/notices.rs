//! The texts of the Service events that tell a user what happened outside the plan and what
//! to do about it (issue 14 item 11): the Service's CLB deleted outside the cluster, and
//! Local-policy endpoints that name no node. Pure: the reconcile decides when to publish.
//!
//! What it does not do: publish (see [`crate::events`]) or decide anything about the cloud.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;

use crate::service_writes::LB_ID_LABEL;

/// Event reason for Local-policy endpoints left out of the backends for lack of a node.
pub const EVENT_ENDPOINT_WITHOUT_NODE: &str = "EndpointWithoutNodeName";

/// The most endpoints one event names (the rest are counted).
const MAX_NAMED: usize = 5;

/// The note for a Service whose CLB (`lb_id`, its label) no longer exists while its status
/// still has `ips`: it was deleted outside the cluster, and the exact commands that let
/// slb-ccm create a new one.
pub fn deleted_outside(ns: &str, name: &str, lb_id: Option<&str>, ips: &[String]) -> String {
    let which = lb_id.map_or_else(|| "The CLB".to_owned(), |id| format!("The CLB {id}"));
    format!(
        "{which} of this Service was deleted outside the cluster (e.g. in the SLB console): \
         it no longer exists and no CLB carries this Service's kubernetes.do.not.delete tag. \
         slb-ccm does not replace it on its own, because the Service's address ({}) would \
         change. To get a new CLB, clear the Service's CLB label and status: kubectl -n {ns} \
         label service {name} {LB_ID_LABEL}- && kubectl -n {ns} patch service {name} \
         --subresource=status --type=merge -p '{{\"status\":{{\"loadBalancer\":null}}}}'",
        ips.join(", ")
    )
}

/// The endpoints of a Local-policy Service (not in ENI mode, which `default_eni` turns on for
/// Services without a `backend-type`) that are ready or terminating yet name no node: they
/// cannot be weighted on a node, so they get no backend. Each is named by its pod
/// (`targetRef`) when it has one, else by its address.
pub fn endpoints_without_node(
    svc: &Service,
    slices: &[&EndpointSlice],
    default_eni: bool,
) -> Vec<String> {
    let local = svc
        .spec
        .as_ref()
        .and_then(|s| s.external_traffic_policy.as_deref())
        == Some("Local");
    if !local || eni_backends(svc).unwrap_or(default_eni) {
        return Vec::new();
    }
    let mut out: Vec<String> = slices
        .iter()
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|ep| ep.node_name.as_deref().is_none_or(str::is_empty))
        .filter(|ep| {
            let c = ep.conditions.as_ref();
            c.and_then(|c| c.ready) != Some(false) || c.and_then(|c| c.terminating) == Some(true)
        })
        .map(|ep| {
            let pod = ep.target_ref.as_ref().and_then(|r| r.name.clone());
            pod.map(|p| format!("pod {p}"))
                .unwrap_or_else(|| ep.addresses.join(","))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The Warning note naming `missing` (from [`endpoints_without_node`]).
pub fn endpoints_without_node_note(missing: &[String]) -> String {
    let named: Vec<&str> = missing.iter().take(MAX_NAMED).map(String::as_str).collect();
    let more = missing.len().saturating_sub(MAX_NAMED);
    let rest = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "{} endpoint(s) of this externalTrafficPolicy: Local Service have no nodeName, so no \
         node can carry them and they get no backend on the CLB: {}{rest}. Remedy: make sure \
         the EndpointSlice controller (or whoever writes these slices) sets nodeName, or use \
         externalTrafficPolicy: Cluster.",
        missing.len(),
        named.join(", ")
    )
}

/// `Some(true)` for `backend-type: eni`, `Some(false)` for another value, `None` without.
fn eni_backends(svc: &Service) -> Option<bool> {
    let key = format!("{}backend-type", slb_model::annotations::PREFIX);
    let value = svc.metadata.annotations.as_ref()?.get(&key)?;
    Some(value.eq_ignore_ascii_case("eni"))
}

#[cfg(test)]
mod tests;
