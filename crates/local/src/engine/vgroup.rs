//! vServer group actions (spec §3.4): create, delete (`RspoolVipExist` while a listener uses
//! the group), describe, and the member changes Add / Remove / Set / Modify with the
//! service's rules: backends of type ecs (resolved through the ECS inventory), eni (the
//! ENI must exist and own the ServerIp) or eci (ServerIp required); `NetworkConflict` for a
//! backend in another VPC than the LB; the per-call limit; the per-LB backend quota
//! (`InstanceBackendServerNumberOverLimit`, counted across all groups of the LB).

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    AddVServerGroupBackendServersRequest, CreateVServerGroupRequest, DeleteVServerGroupRequest,
    DescribeVServerGroupAttributeRequest, DescribeVServerGroupsRequest,
    ModifyVServerGroupBackendServersRequest, RemoveVServerGroupBackendServersRequest,
    SetVServerGroupAttributeRequest,
};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::types::{BackendServer, BackendType};

use super::refusal::refused;
use super::render::{backends as render_backends, iso_time, tags as render_tags, wrap};
use super::tags::merge_tags;
use super::{Ctx, Outcome, State, ensure_unlocked, lb_by_id};
use crate::model::{Backend, LoadBalancer, VServerGroup};

/// The group named by `VServerGroupId`: (LB, index of the group in it).
fn find_group<'s>(state: &'s State, id: &str) -> Result<(&'s LoadBalancer, usize), ApiError> {
    state
        .group(id)
        .and_then(|(lb, _)| {
            lb.vserver_groups
                .iter()
                .position(|g| g.id == id)
                .map(|i| (lb, i))
        })
        .ok_or_else(|| codes::VSERVER_GROUP_NOT_FOUND.error())
}

fn port_error() -> ApiError {
    ApiError::service(
        "InvalidParameter",
        400,
        "The specified Port must be between 1 and 65535.",
    )
}

/// Validates one requested backend against the inventory and the LB's network.
fn resolve(state: &State, lb: &LoadBalancer, b: &BackendServer) -> Result<Backend, ApiError> {
    let (port, weight) = check_member(b)?;
    let kind = b.effective_type();
    check_reachable(state, lb, b, kind)?;
    Ok(Backend {
        server_id: b.server_id.clone(),
        server_type: kind.as_str().to_owned(),
        server_ip: member_ip(b, kind),
        port,
        weight,
        description: b.description.clone(),
    })
}

/// A backend's own fields: its port (1–65535), weight (0–100, 100 when absent) and
/// description (at most 80 characters).
fn check_member(b: &BackendServer) -> Result<(u16, u32), ApiError> {
    let port = b.port.filter(|p| *p >= 1).ok_or_else(port_error)?;
    let weight = b.weight.unwrap_or(100);
    if weight > 100 {
        return Err(ApiError::invalid_parameter("Weight", "must be 0–100"));
    }
    if b.description.chars().count() > 80 {
        return Err(ApiError::invalid_parameter(
            "Description",
            "at most 80 characters",
        ));
    }
    Ok((port, weight))
}

/// The backend exists for its type (an ecs instance of the inventory; an ENI owning its
/// `ServerIp`; an eci with a `ServerIp`) and is in the LB's VPC.
fn check_reachable(
    state: &State,
    lb: &LoadBalancer,
    b: &BackendServer,
    kind: BackendType,
) -> Result<(), ApiError> {
    if kind != BackendType::Ecs && b.server_ip.is_empty() {
        return Err(ApiError::missing_parameter("ServerIp"));
    }
    match kind {
        BackendType::Ecs => {
            let inst = state
                .instances
                .get(&b.server_id)
                .ok_or_else(|| codes::INVALID_SERVER_ID_NOT_EXIST.error())?;
            network_conflict(lb, b, &inst.vpc_id)
        }
        BackendType::Eni => {
            let eni = state
                .network_interfaces
                .get(&b.server_id)
                .ok_or_else(|| codes::RESOURCE_NOT_FOUND_VSERVERS.error_with(&b.server_id))?;
            if !eni_holds(eni, &b.server_ip) {
                return Err(codes::SERVER_IP_CONFLICT.error_with(&format!(
                    "ServerIp {} is not an address of {}",
                    b.server_ip, b.server_id
                )));
            }
            network_conflict(lb, b, &eni.vpc_id)
        }
        BackendType::Eci => Ok(()),
    }
}

/// `NetworkConflict` when the backend's VPC `vpc` is not the LB's (either may be empty:
/// classic network).
fn network_conflict(lb: &LoadBalancer, b: &BackendServer, vpc: &str) -> Result<(), ApiError> {
    if !lb.vpc_id.is_empty() && !vpc.is_empty() && vpc != lb.vpc_id {
        return Err(codes::NETWORK_CONFLICT.error_with(&format!(
            "backend {} is in {vpc} but load balancer {} is in {}",
            b.server_id, lb.id, lb.vpc_id
        )));
    }
    Ok(())
}

/// A request's `BackendServers`-shaped list, within the per-call limit.
fn read_servers<'r>(
    cx: &Ctx<'_>,
    list: Option<&'r [BackendServer]>,
) -> Result<Option<&'r [BackendServer]>, ApiError> {
    if let Some(list) = list
        && list.len() > cx.config.quotas.backends_per_call
    {
        return Err(codes::TOO_MANY_BACKEND_SERVERS
            .error_with(&cx.config.quotas.backends_per_call.to_string()));
    }
    Ok(list)
}

/// The shared form of resolved backends, for a member transition.
fn shared(backends: &[Backend]) -> Vec<slb_clb_state::BackendServer> {
    backends.iter().map(Backend::shared).collect()
}

/// The IP that is part of a member's identity: none for an ECS member (its id names it), the
/// ENI/ECI address otherwise.
fn member_ip(b: &BackendServer, kind: BackendType) -> String {
    if kind == BackendType::Ecs {
        String::new()
    } else {
        b.server_ip.clone()
    }
}

/// A member key for removal: weight and description do not matter.
fn key_of(b: &BackendServer) -> Backend {
    let kind = b.effective_type();
    Backend {
        server_id: b.server_id.clone(),
        server_type: kind.as_str().to_owned(),
        server_ip: member_ip(b, kind),
        port: b.port.unwrap_or(0),
        weight: 0,
        description: String::new(),
    }
}

fn check_quota(cx: &Ctx<'_>, lb: &LoadBalancer) -> Result<(), ApiError> {
    let total: usize = lb.vserver_groups.iter().map(|g| g.backends.len()).sum();
    if total > cx.config.quotas.backends_per_load_balancer {
        Err(codes::INSTANCE_BACKEND_SERVER_NUMBER_OVER_LIMIT.error())
    } else {
        Ok(())
    }
}

/// The response of the member-changing calls: the group's full member list.
fn members_outcome(lb: LoadBalancer, i: usize, cx: &Ctx<'_>) -> Outcome {
    let g = &lb.vserver_groups[i];
    let body = json!({
        "VServerGroupId": g.id,
        "VServerGroupName": g.name,
        "BackendServers": render_backends(&g.backends, &lb.vpc_id, &cx.config.region),
    });
    let mut out = Outcome::put_lb(lb);
    if let Value::Object(m) = body {
        out.body = m;
    }
    out
}

/// `CreateVServerGroup`.
pub(crate) fn create(
    state: &State,
    cx: &Ctx<'_>,
    req: &CreateVServerGroupRequest,
) -> Result<Outcome, ApiError> {
    let original = lb_by_id(state, &req.load_balancer_id)?;
    ensure_unlocked(original)?;
    let name = req.vserver_group_name.clone().unwrap_or_default();
    if name.chars().count() > 80 {
        return Err(ApiError::invalid_parameter(
            "VServerGroupName",
            "at most 80 characters",
        ));
    }
    let mut tags = std::collections::BTreeMap::new();
    merge_tags(&mut tags, &req.tags, cx.config.quotas.tags_per_resource)?;
    let requested = read_servers(cx, req.backend_servers.as_deref())?.unwrap_or_default();
    let resolved = requested
        .iter()
        .map(|b| resolve(state, original, b))
        .collect::<Result<Vec<_>, _>>()?;
    let id = Ctx::new_id("rsp");
    let mut lb = original.clone();
    lb.transition(|s| s.create_group(&id, &name, &shared(&resolved)))
        .map_err(refused)?;
    let i = lb.vserver_groups.len() - 1;
    let group = &mut lb.vserver_groups[i];
    group.create_time_ms = cx.now_ms;
    group.tags = tags;
    check_quota(cx, &lb)?;
    Ok(members_outcome(lb, i, cx))
}

/// `DeleteVServerGroup`: refused with `RspoolVipExist` while a listener uses the group.
pub(crate) fn delete(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteVServerGroupRequest,
) -> Result<Outcome, ApiError> {
    let (lb, i) = find_group(state, &req.vserver_group_id)?;
    ensure_unlocked(lb)?;
    let mut lb = lb.clone();
    let id = lb.vserver_groups[i].id.clone();
    lb.transition(|s| s.delete_group(&id)).map_err(refused)?;
    Ok(Outcome::put_lb(lb))
}

/// `DescribeVServerGroups`.
pub(crate) fn describe_list(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeVServerGroupsRequest,
) -> Result<Outcome, ApiError> {
    let lb = lb_by_id(state, &req.load_balancer_id)?;
    let include_listener = req.include_listener.unwrap_or(false);
    let description = &req.description;
    let tag_filters = &req.tags;
    let items: Vec<Value> = lb
        .vserver_groups
        .iter()
        .filter(|g| description.as_ref().is_none_or(|d| g.name.contains(d.as_str())))
        .filter(|g| tag_filters.iter().all(|t| g.tags.get(&t.key).is_some_and(|v| t.value.is_empty() || *v == t.value)))
        .map(|g| {
            let mut item = json!({
                "VServerGroupId": g.id,
                "VServerGroupName": g.name,
                "ServerCount": g.backends.len(),
                "CreateTime": iso_time(g.create_time_ms),
                "Tags": render_tags(&g.tags),
            });
            if include_listener && let Value::Object(m) = &mut item {
                let listeners: Vec<Value> = lb
                    .listeners
                    .iter()
                    .filter(|l| l.vserver_group_id == g.id)
                    .map(|l| json!({"Port": l.port, "Protocol": l.protocol}))
                    .collect();
                m.insert(
                    "AssociatedObjects".into(),
                    json!({"Listeners": wrap("Listener", listeners), "Rules": wrap("Rule", Vec::new())}),
                );
            }
            item
        })
        .collect();
    Ok(Outcome::read(Map::new()).with("VServerGroups", wrap("VServerGroup", items)))
}

/// `DescribeVServerGroupAttribute`.
pub(crate) fn describe_attribute(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeVServerGroupAttributeRequest,
) -> Result<Outcome, ApiError> {
    let (lb, i) = find_group(state, &req.vserver_group_id)?;
    let g = &lb.vserver_groups[i];
    let body = json!({
        "VServerGroupId": g.id,
        "VServerGroupName": g.name,
        "LoadBalancerId": lb.id,
        "CreateTime": iso_time(g.create_time_ms),
        "BackendServers": render_backends(&g.backends, &lb.vpc_id, &cx.config.region),
        "Tags": render_tags(&g.tags),
    });
    Ok(Outcome::read(match body {
        Value::Object(m) => m,
        _ => Map::new(),
    }))
}

/// Copies the group's LB for a member change.
fn writable_group(state: &State, id: &str) -> Result<(LoadBalancer, usize), ApiError> {
    let (lb, i) = find_group(state, id)?;
    ensure_unlocked(lb)?;
    Ok((lb.clone(), i))
}

/// `AddVServerGroupBackendServers`.
pub(crate) fn add_backends(
    state: &State,
    cx: &Ctx<'_>,
    req: &AddVServerGroupBackendServersRequest,
) -> Result<Outcome, ApiError> {
    let (mut lb, i) = writable_group(state, &req.vserver_group_id)?;
    let requested = read_servers(cx, Some(&req.backend_servers))?.unwrap_or_default();
    let resolved = requested
        .iter()
        .map(|b| resolve(state, &lb, b))
        .collect::<Result<Vec<_>, _>>()?;
    let id = lb.vserver_groups[i].id.clone();
    lb.transition(|s| s.add_members(&id, &shared(&resolved)))
        .map_err(refused)?;
    check_quota(cx, &lb)?;
    Ok(members_outcome(lb, i, cx))
}

/// `RemoveVServerGroupBackendServers`: non-members are ignored.
pub(crate) fn remove_backends(
    state: &State,
    cx: &Ctx<'_>,
    req: &RemoveVServerGroupBackendServersRequest,
) -> Result<Outcome, ApiError> {
    let (mut lb, i) = writable_group(state, &req.vserver_group_id)?;
    let requested = read_servers(cx, Some(&req.backend_servers))?.unwrap_or_default();
    let keys: Vec<Backend> = requested.iter().map(key_of).collect();
    let id = lb.vserver_groups[i].id.clone();
    lb.transition(|s| s.remove_members(&id, &shared(&keys)))
        .map_err(refused)?;
    Ok(members_outcome(lb, i, cx))
}

/// `SetVServerGroupAttribute`: renames and/or changes weight and description of members.
pub(crate) fn set_attribute(
    state: &State,
    cx: &Ctx<'_>,
    req: &SetVServerGroupAttributeRequest,
) -> Result<Outcome, ApiError> {
    let (mut lb, i) = writable_group(state, &req.vserver_group_id)?;
    let name = &req.vserver_group_name;
    let servers = read_servers(cx, req.backend_servers.as_deref())?;
    if name.is_none() && servers.is_none() {
        return Err(ApiError::missing_parameter("VServerGroupName"));
    }
    let changes = member_changes(&lb.vserver_groups[i], servers.unwrap_or_default())?;
    let id = lb.vserver_groups[i].id.clone();
    lb.transition(|s| {
        if let Some(name) = &name {
            s.rename_group(&id, name)?;
        }
        s.modify_members(&id, &changes)
    })
    .map_err(refused)?;
    Ok(members_outcome(lb, i, cx))
}

/// The members a `SetVServerGroupAttribute` changes, in shared form: a member sent without
/// a weight keeps its weight (and one sent without a description keeps its description).
fn member_changes(
    group: &VServerGroup,
    servers: &[BackendServer],
) -> Result<Vec<slb_clb_state::BackendServer>, ApiError> {
    let mut out = Vec::new();
    for b in servers {
        let mut key = key_of(b);
        let Some(m) = group.backends.iter().find(|m| m.same_member(&key)) else {
            continue;
        };
        let weight = b.weight.unwrap_or(m.weight);
        if weight > 100 {
            return Err(ApiError::invalid_parameter("Weight", "must be 0–100"));
        }
        key.weight = weight;
        key.description.clone_from(&b.description);
        out.push(key.shared());
    }
    Ok(out)
}

/// `ModifyVServerGroupBackendServers`: replaces `OldBackendServers` by `NewBackendServers`.
pub(crate) fn modify_backends(
    state: &State,
    cx: &Ctx<'_>,
    req: &ModifyVServerGroupBackendServersRequest,
) -> Result<Outcome, ApiError> {
    let (mut lb, i) = writable_group(state, &req.vserver_group_id)?;
    let old = read_servers(cx, req.old_backend_servers.as_deref())?.unwrap_or_default();
    let new = read_servers(cx, req.new_backend_servers.as_deref())?
        .ok_or_else(|| ApiError::missing_parameter("NewBackendServers"))?;
    let resolved = new
        .iter()
        .map(|b| resolve(state, &lb, b))
        .collect::<Result<Vec<_>, _>>()?;
    let keys: Vec<Backend> = old.iter().map(key_of).collect();
    let id = lb.vserver_groups[i].id.clone();
    lb.transition(|s| {
        s.remove_members(&id, &shared(&keys))?;
        s.add_members(&id, &shared(&resolved))
    })
    .map_err(refused)?;
    check_quota(cx, &lb)?;
    Ok(members_outcome(lb, i, cx))
}

/// Whether `ip` is one of the ENI's IPv4 or IPv6 addresses (compared as parsed addresses, so
/// `FD00::1` is `fd00::1`).
fn eni_holds(eni: &crate::model::NetworkInterface, ip: &str) -> bool {
    let Ok(ip) = ip.parse::<std::net::IpAddr>() else {
        return false;
    };
    eni.private_ip_addresses
        .iter()
        .chain(&eni.ipv6_addresses)
        .any(|held| held.parse() == Ok(ip))
}
