//! A pure simulation of a plan against an observed CLB, as the cloud would apply it.
//!
//! Used by property tests ("applying a plan then planning again gives nothing to do") and by
//! `slb-ccm plan` style dry runs. Ids of created resources are deterministic
//! (`lb-sim-<token>`, `rsp-sim-<n>`). It models the state rules the planner relies on, not
//! the cloud's validation, plus the one refusal a plan must never meet: a listener Set that
//! touches a redirect (redirect settings are creation-only, spec part 2 §8).

use std::collections::BTreeMap;

use super::{Action, GroupRef, LbRef, ListenerParams, Plan};
use crate::observed::{
    ObservedDomainExtension, ObservedLb, ObservedListener, ObservedVServerGroup,
};
use crate::types::{BackendServer, Protocol};

/// A plan step that cannot be applied to the state it meets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    /// The step needs a CLB and there is none.
    #[error("step {step} ({action}) needs a loadbalancer, but there is none")]
    NoLoadBalancer {
        /// Index in the plan.
        step: usize,
        /// API name.
        action: &'static str,
    },
    /// The step names a group, listener or CLB that does not exist.
    #[error("step {step} ({action}) refers to missing {what}")]
    Missing {
        /// Index in the plan.
        step: usize,
        /// API name.
        action: &'static str,
        /// What is missing.
        what: String,
    },
    /// The step is one the CLB refuses.
    #[error("step {step} ({action}) is refused by the CLB: {why}")]
    Refused {
        /// Index in the plan.
        step: usize,
        /// API name.
        action: &'static str,
        /// The rule it breaks.
        why: &'static str,
    },
}

/// Prefix of the CLB id the simulator gives a created CLB.
const SIM_LB_PREFIX: &str = "lb-sim-";
/// Prefix of the group ids the simulator gives created groups.
const SIM_GROUP_PREFIX: &str = "rsp-sim-";

/// Whether `id` is a placeholder the simulator made up for something the plan creates (to
/// be replaced by the id the cloud answers before the result is trusted).
pub fn is_simulated_id(id: &str) -> bool {
    id.starts_with(SIM_LB_PREFIX)
        || id.starts_with(SIM_GROUP_PREFIX)
        || id.starts_with(SIM_DOMAIN_EXTENSION_PREFIX)
}

/// Prefix of the ids the simulator gives created domain extensions.
const SIM_DOMAIN_EXTENSION_PREFIX: &str = "de-sim-";

struct Sim {
    lb: Option<ObservedLb>,
    pending: BTreeMap<String, String>,
    next_group: usize,
}

/// Applies `plan` to `observed` (`None` = no CLB yet); returns the resulting CLB (`None`
/// after `DeleteLoadBalancer`).
///
/// # Errors
/// [`SimulateError`] when a step refers to something that does not exist at that point.
pub fn apply_to(
    plan: &Plan,
    observed: Option<&ObservedLb>,
) -> Result<Option<ObservedLb>, SimulateError> {
    let next_group = observed.map_or(0, |o| o.vserver_groups.len());
    let mut sim = Sim {
        lb: observed.cloned(),
        pending: BTreeMap::new(),
        next_group,
    };
    for (step, action) in plan.actions.iter().enumerate() {
        sim.apply(step, action)?;
    }
    Ok(sim.lb)
}

impl Sim {
    fn apply(&mut self, step: usize, action: &Action) -> Result<(), SimulateError> {
        let name = action.api_name();
        let missing = |what: String| SimulateError::Missing {
            step,
            action: name,
            what,
        };
        if let Action::CreateLoadBalancer(c) = action {
            self.lb = Some(ObservedLb {
                load_balancer_id: format!("{SIM_LB_PREFIX}{}", c.client_token),
                load_balancer_name: c.load_balancer_name.clone(),
                address: "192.0.2.1".to_owned(),
                address_type: c.address_type.clone(),
                address_ip_version: c.address_ip_version.clone(),
                network_type: if c.vpc_id.is_some() { "vpc" } else { "classic" }.to_owned(),
                vpc_id: c.vpc_id.clone().unwrap_or_default(),
                vswitch_id: c.vswitch_id.clone().unwrap_or_default(),
                master_zone_id: c.master_zone_id.clone().unwrap_or_default(),
                slave_zone_id: c.slave_zone_id.clone().unwrap_or_default(),
                load_balancer_spec: c.load_balancer_spec.clone().unwrap_or_default(),
                instance_charge_type: c.instance_charge_type.clone(),
                internet_charge_type: c
                    .internet_charge_type
                    .clone()
                    .unwrap_or_else(|| "paybytraffic".to_owned()),
                bandwidth: c.bandwidth,
                delete_protection: c.delete_protection,
                modification_protection_status: c.modification_protection_status.clone(),
                modification_protection_reason: c
                    .modification_protection_reason
                    .clone()
                    .unwrap_or_default(),
                resource_group_id: c.resource_group_id.clone().unwrap_or_default(),
                tags: c.tags.iter().cloned().collect(),
                listeners: Vec::new(),
                vserver_groups: Vec::new(),
            });
            return Ok(());
        }
        if let Action::DeleteLoadBalancer { load_balancer_id } = action {
            match &self.lb {
                Some(lb) if lb.load_balancer_id == *load_balancer_id => self.lb = None,
                _ => return Err(missing(format!("loadbalancer {load_balancer_id}"))),
            }
            return Ok(());
        }
        let group_id = self.group_id(action);
        let Some(lb) = self.lb.as_mut() else {
            return Err(SimulateError::NoLoadBalancer { step, action: name });
        };
        if let Some(LbRef::Id(id)) = lb_ref(action)
            && *id != lb.load_balancer_id
        {
            return Err(missing(format!("loadbalancer {id}")));
        }
        match action {
            Action::SetLoadBalancerName {
                load_balancer_name, ..
            } => {
                lb.load_balancer_name = load_balancer_name.clone();
            }
            Action::ModifyLoadBalancerInternetSpec {
                internet_charge_type,
                bandwidth,
                ..
            } => {
                if let Some(c) = internet_charge_type {
                    lb.internet_charge_type = c.clone();
                }
                if bandwidth.is_some() {
                    lb.bandwidth = *bandwidth;
                }
            }
            Action::ModifyLoadBalancerInstanceSpec {
                load_balancer_spec, ..
            } => {
                lb.load_balancer_spec = load_balancer_spec.clone();
            }
            Action::ModifyLoadBalancerInstanceChargeType {
                instance_charge_type,
                ..
            } => {
                lb.instance_charge_type = instance_charge_type.clone();
            }
            Action::SetLoadBalancerDeleteProtection {
                delete_protection, ..
            } => {
                lb.delete_protection = *delete_protection;
            }
            Action::SetLoadBalancerModificationProtection {
                modification_protection_status: s,
                modification_protection_reason: r,
                ..
            } => {
                lb.modification_protection_status = s.clone();
                lb.modification_protection_reason = r.clone().unwrap_or_default();
            }
            Action::TagResources { tags, .. } => lb.tags.extend(tags.iter().cloned()),
            Action::UntagResources { tag_keys, .. } => {
                lb.tags.retain(|k, _| !tag_keys.contains(k));
            }
            Action::CreateVServerGroup {
                vserver_group_name,
                backend_servers,
                ..
            } => {
                let id = format!("{SIM_GROUP_PREFIX}{}", self.next_group);
                self.next_group += 1;
                self.pending.insert(vserver_group_name.clone(), id.clone());
                let mut members_now = Vec::new();
                members(action, &mut members_now, backend_servers);
                lb.vserver_groups.push(ObservedVServerGroup {
                    vserver_group_id: id,
                    vserver_group_name: vserver_group_name.clone(),
                    backend_servers: members_now,
                });
            }
            Action::AddVServerGroupBackendServers {
                backend_servers, ..
            }
            | Action::RemoveVServerGroupBackendServers {
                backend_servers, ..
            }
            | Action::SetVServerGroupAttribute {
                backend_servers, ..
            } => {
                let id = group_id.ok_or_else(|| missing("group reference".into()))?;
                let group = lb
                    .vserver_groups
                    .iter_mut()
                    .find(|g| g.vserver_group_id == id)
                    .ok_or_else(|| missing(format!("group {id}")))?;
                members(action, &mut group.backend_servers, backend_servers);
            }
            Action::DeleteVServerGroup { vserver_group_id } => {
                let before = lb.vserver_groups.len();
                lb.vserver_groups
                    .retain(|g| g.vserver_group_id != *vserver_group_id);
                if before == lb.vserver_groups.len() {
                    return Err(missing(format!("group {vserver_group_id}")));
                }
            }
            Action::StartLoadBalancerListener {
                listener_port,
                listener_protocol,
                ..
            }
            | Action::StopLoadBalancerListener {
                listener_port,
                listener_protocol,
                ..
            } => {
                let status = if matches!(action, Action::StartLoadBalancerListener { .. }) {
                    "running"
                } else {
                    "stopped"
                };
                let l = listener_mut(lb, *listener_port, *listener_protocol)
                    .ok_or_else(|| missing(format!("listener {listener_port}")))?;
                l.status = status.to_owned();
            }
            Action::CreateDomainExtension { .. }
            | Action::SetDomainExtensionAttribute { .. }
            | Action::DeleteDomainExtension { .. } => {
                domain_extension(lb, action).map_err(|()| missing("domain extension".into()))?;
            }
            Action::DeleteLoadBalancerListener {
                listener_port,
                listener_protocol,
                ..
            } => {
                let before = lb.listeners.len();
                lb.listeners.retain(|l| {
                    (l.listener_port, l.listener_protocol) != (*listener_port, *listener_protocol)
                });
                if before == lb.listeners.len() {
                    return Err(missing(format!("listener {listener_port}")));
                }
            }
            _ => {
                let Some((protocol, p)) = action.listener_params() else {
                    return Ok(());
                };
                let create = action.is_listener_create();
                if let Some(why) = (!create).then(|| set_refusal(lb, protocol, p)).flatten() {
                    return Err(SimulateError::Refused {
                        step,
                        action: name,
                        why,
                    });
                }
                listener(create, lb, protocol, p, group_id)
                    .map_err(|()| missing(format!("listener {}", p.listener_port)))?;
            }
        }
        Ok(())
    }

    /// The concrete id of the group an action names, resolving pending names.
    fn group_id(&self, action: &Action) -> Option<String> {
        let r = match action {
            Action::AddVServerGroupBackendServers { vserver_group, .. }
            | Action::RemoveVServerGroupBackendServers { vserver_group, .. }
            | Action::SetVServerGroupAttribute { vserver_group, .. } => Some(vserver_group),
            _ => action
                .listener_params()
                .and_then(|(_, p)| p.vserver_group.as_ref()),
        }?;
        match r {
            GroupRef::Id(id) => Some(id.clone()),
            GroupRef::Pending(name) => self.pending.get(name).cloned(),
        }
    }
}

fn lb_ref(action: &Action) -> Option<&LbRef> {
    match action {
        Action::SetLoadBalancerName { load_balancer, .. }
        | Action::ModifyLoadBalancerInternetSpec { load_balancer, .. }
        | Action::ModifyLoadBalancerInstanceSpec { load_balancer, .. }
        | Action::ModifyLoadBalancerInstanceChargeType { load_balancer, .. }
        | Action::SetLoadBalancerDeleteProtection { load_balancer, .. }
        | Action::SetLoadBalancerModificationProtection { load_balancer, .. }
        | Action::TagResources { load_balancer, .. }
        | Action::UntagResources { load_balancer, .. }
        | Action::CreateVServerGroup { load_balancer, .. }
        | Action::StartLoadBalancerListener { load_balancer, .. }
        | Action::StopLoadBalancerListener { load_balancer, .. }
        | Action::DeleteLoadBalancerListener { load_balancer, .. }
        | Action::CreateDomainExtension { load_balancer, .. } => Some(load_balancer),
        _ => action.listener_params().map(|(_, p)| &p.load_balancer),
    }
}

fn members(action: &Action, group: &mut Vec<BackendServer>, batch: &[BackendServer]) {
    for b in batch {
        let key = b.key();
        match action {
            Action::AddVServerGroupBackendServers { .. } | Action::CreateVServerGroup { .. } => {
                if !group.iter().any(|m| m.key() == key) {
                    group.push(b.clone());
                }
            }
            Action::RemoveVServerGroupBackendServers { .. } => group.retain(|m| m.key() != key),
            _ => {
                for m in group.iter_mut().filter(|m| m.key() == key) {
                    m.weight = b.weight;
                    m.description = b.description.clone();
                }
            }
        }
    }
}

/// A domain extension action on the simulated CLB; `Err` when its listener or extension is
/// missing, or the domain is already there.
fn domain_extension(lb: &mut ObservedLb, action: &Action) -> Result<(), ()> {
    match action {
        Action::CreateDomainExtension {
            listener_port,
            domain,
            server_certificate_id,
            ..
        } => {
            let l = listener_mut(lb, *listener_port, Protocol::Https).ok_or(())?;
            if l.domain_extensions.iter().any(|d| d.domain == *domain) {
                return Err(());
            }
            l.domain_extensions.push(ObservedDomainExtension {
                domain_extension_id: format!("{SIM_DOMAIN_EXTENSION_PREFIX}{domain}"),
                domain: domain.clone(),
                server_certificate_id: server_certificate_id.clone(),
            });
        }
        Action::SetDomainExtensionAttribute {
            domain_extension_id,
            server_certificate_id,
        } => {
            let (l, i) = extension_mut(lb, domain_extension_id).ok_or(())?;
            l.domain_extensions[i].server_certificate_id = server_certificate_id.clone();
        }
        Action::DeleteDomainExtension {
            domain_extension_id,
        } => {
            let (l, i) = extension_mut(lb, domain_extension_id).ok_or(())?;
            l.domain_extensions.remove(i);
        }
        _ => {}
    }
    Ok(())
}

/// The listener holding domain extension `id`, and the extension's index in it.
fn extension_mut<'a>(
    lb: &'a mut ObservedLb,
    id: &str,
) -> Option<(&'a mut ObservedListener, usize)> {
    lb.listeners.iter_mut().find_map(|l| {
        let i = l
            .domain_extensions
            .iter()
            .position(|d| d.domain_extension_id == id)?;
        Some((l, i))
    })
}

fn listener_mut(
    lb: &mut ObservedLb,
    port: u16,
    protocol: Protocol,
) -> Option<&mut ObservedListener> {
    lb.listeners
        .iter_mut()
        .find(|l| l.listener_port == port && l.listener_protocol == protocol)
}

/// Why the CLB refuses this `Set…ListenerAttribute`, if it does: redirect settings are
/// creation-only, and a forwarding HTTP listener takes no Set at all.
fn set_refusal(lb: &ObservedLb, protocol: Protocol, p: &ListenerParams) -> Option<&'static str> {
    if protocol != Protocol::Http {
        return None;
    }
    if p.attributes.listener_forward.is_some() || p.attributes.forward_port.is_some() {
        return Some("ListenerForward and ForwardPort are set only when the listener is created");
    }
    let forwarding = lb.listeners.iter().any(|l| {
        l.listener_port == p.listener_port
            && l.listener_protocol == protocol
            && l.attributes.listener_forward == Some(true)
    });
    forwarding.then_some("a listener with ListenerForward on takes no Set (Operation.NotAllowed)")
}

fn listener(
    create: bool,
    lb: &mut ObservedLb,
    protocol: Protocol,
    p: &ListenerParams,
    group_id: Option<String>,
) -> Result<(), ()> {
    if p.vserver_group.is_some() && group_id.is_none() {
        return Err(());
    }
    if create {
        if listener_mut(lb, p.listener_port, protocol).is_some() {
            return Err(());
        }
        lb.listeners.push(ObservedListener {
            listener_port: p.listener_port,
            listener_protocol: protocol,
            status: "stopped".to_owned(),
            description: p.description.clone().unwrap_or_default(),
            vserver_group_id: group_id.unwrap_or_default(),
            bandwidth: p.bandwidth,
            attributes: p.attributes.clone(),
            domain_extensions: Vec::new(),
        });
        return Ok(());
    }
    let l = listener_mut(lb, p.listener_port, protocol).ok_or(())?;
    if let Some(id) = group_id {
        l.vserver_group_id = id;
    }
    if let Some(d) = &p.description {
        l.description = d.clone();
    }
    l.attributes.overlay(&p.attributes);
    Ok(())
}
