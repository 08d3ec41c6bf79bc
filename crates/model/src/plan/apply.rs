//! A plan's writes applied to a CLB's state: each [`Action`] becomes the slb-clb-state
//! transition of the same call, with the ids the cloud answered for what the plan created
//! ([`CreatedIds`]). The controller advances its cached observation with this after a run;
//! the property tests use it to check that a plan converges.
//!
//! It adds no rule of its own (the transitions are the CLB's rules) and makes up no id: a
//! created object whose id is not in [`CreatedIds`] is an error.

use std::collections::BTreeMap;

use slb_clb_state::transitions::{self, ListenerWrite, NewLoadBalancer, Object, Refusal};

use super::{Action, CreateLoadBalancer, GroupRef, LbRef, ListenerParams, Plan};
use crate::observed::ObservedLb;
use crate::types::Protocol;

/// The ids the cloud answered for the objects a run created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedIds {
    /// The created CLB's `LoadBalancerId` and `Address`.
    pub load_balancer: Option<(String, String)>,
    /// The created vServer groups' `VServerGroupId`, by `VServerGroupName`.
    pub groups: BTreeMap<String, String>,
    /// The created domain extensions' `DomainExtensionId`, by listener port and domain.
    pub domain_extensions: BTreeMap<(u16, String), String>,
}

/// A plan step that cannot be applied to the state it meets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The step needs a CLB and there is none.
    #[error("step {step} ({action}) needs a loadbalancer, but there is none")]
    NoLoadBalancer {
        /// Index in the plan.
        step: usize,
        /// API name.
        action: &'static str,
    },
    /// The step creates something, or names something created, whose id is not known.
    #[error("step {step} ({action}): no id was answered for {what}")]
    Unanswered {
        /// Index in the plan.
        step: usize,
        /// API name.
        action: &'static str,
        /// What has no id.
        what: String,
    },
    /// The CLB's state rules refuse the step.
    #[error("step {step} ({action}): {refusal}")]
    Refused {
        /// Index in the plan.
        step: usize,
        /// API name.
        action: &'static str,
        /// The transition's refusal.
        #[source]
        refusal: Refusal,
    },
}

/// Applies `plan` to `observed` (`None` = no CLB yet) with the ids in `ids`; returns the
/// resulting CLB (`None` after `DeleteLoadBalancer`).
///
/// # Errors
/// [`ApplyError`] for the first step that cannot be applied.
pub fn apply_to(
    plan: &Plan,
    observed: Option<&ObservedLb>,
    ids: &CreatedIds,
) -> Result<Option<ObservedLb>, ApplyError> {
    let mut state = observed.cloned();
    for (step, action) in plan.actions.iter().enumerate() {
        let action_name = action.api_name();
        let at = Step {
            step,
            action: action_name,
            ids,
        };
        apply_one(&mut state, action, &at)?;
    }
    Ok(state)
}

/// One step's place in the plan and the answered ids, to resolve references and name
/// errors.
struct Step<'a> {
    step: usize,
    action: &'static str,
    ids: &'a CreatedIds,
}

impl Step<'_> {
    fn refused(&self, refusal: Refusal) -> ApplyError {
        ApplyError::Refused {
            step: self.step,
            action: self.action,
            refusal,
        }
    }

    fn unanswered(&self, what: String) -> ApplyError {
        ApplyError::Unanswered {
            step: self.step,
            action: self.action,
            what,
        }
    }

    fn group(&self, r: &GroupRef) -> Result<String, ApplyError> {
        match r {
            GroupRef::Id(id) => Ok(id.clone()),
            GroupRef::Pending(name) => self
                .ids
                .groups
                .get(name)
                .cloned()
                .ok_or_else(|| self.unanswered(format!("group {name}"))),
        }
    }

    /// The CLB a step acts on: the one in `state`, which an `LbRef::Id` must name.
    fn lb<'s>(
        &self,
        state: &'s mut Option<ObservedLb>,
        r: Option<&LbRef>,
    ) -> Result<&'s mut ObservedLb, ApplyError> {
        let lb = state.as_mut().ok_or(ApplyError::NoLoadBalancer {
            step: self.step,
            action: self.action,
        })?;
        match r {
            Some(LbRef::Id(id)) if *id != lb.load_balancer_id => {
                Err(self.refused(Refusal::Missing(Object::LoadBalancer(id.clone()))))
            }
            _ => Ok(lb),
        }
    }
}

fn apply_one(
    state: &mut Option<ObservedLb>,
    action: &Action,
    at: &Step<'_>,
) -> Result<(), ApplyError> {
    match action {
        Action::CreateLoadBalancer(c) => {
            let (id, address) = at
                .ids
                .load_balancer
                .as_ref()
                .ok_or_else(|| at.unanswered("the loadbalancer".into()))?;
            *state = Some(transitions::create_load_balancer(new_lb(c), id, address));
            Ok(())
        }
        Action::DeleteLoadBalancer { load_balancer_id } => {
            transitions::delete_load_balancer(state, load_balancer_id).map_err(|r| at.refused(r))
        }
        Action::AddVServerGroupBackendServers {
            vserver_group,
            backend_servers,
        }
        | Action::RemoveVServerGroupBackendServers {
            vserver_group,
            backend_servers,
        }
        | Action::SetVServerGroupAttribute {
            vserver_group,
            backend_servers,
        } => {
            let id = at.group(vserver_group)?;
            let lb = at.lb(state, None)?;
            let done = match action {
                Action::AddVServerGroupBackendServers { .. } => {
                    lb.add_members(&id, backend_servers)
                }
                Action::RemoveVServerGroupBackendServers { .. } => {
                    lb.remove_members(&id, backend_servers)
                }
                _ => lb.modify_members(&id, backend_servers),
            };
            done.map_err(|r| at.refused(r))
        }
        other => apply_on_lb(state, other, at),
    }
}

/// The steps on an existing CLB that name it by [`LbRef`] or by a child's id.
fn apply_on_lb(
    state: &mut Option<ObservedLb>,
    action: &Action,
    at: &Step<'_>,
) -> Result<(), ApplyError> {
    let lb = at.lb(state, lb_ref(action))?;
    if apply_instance(lb, action) {
        return Ok(());
    }
    let done = match action {
        Action::CreateVServerGroup {
            vserver_group_name,
            backend_servers,
            ..
        } => {
            let id = at.group(&GroupRef::Pending(vserver_group_name.clone()))?;
            lb.create_group(&id, vserver_group_name, backend_servers)
        }
        Action::DeleteVServerGroup { vserver_group_id } => lb.delete_group(vserver_group_id),
        other => return apply_on_listener(lb, other, at),
    };
    done.map_err(|r| at.refused(r))
}

/// The instance-level steps, which the CLB always accepts on an existing CLB; false for any
/// other step.
fn apply_instance(lb: &mut ObservedLb, action: &Action) -> bool {
    match action {
        Action::SetLoadBalancerName {
            load_balancer_name, ..
        } => lb.set_name(load_balancer_name),
        Action::ModifyLoadBalancerInternetSpec {
            internet_charge_type,
            bandwidth,
            ..
        } => lb.modify_internet_spec(internet_charge_type.as_deref(), *bandwidth),
        Action::ModifyLoadBalancerInstanceSpec {
            load_balancer_spec, ..
        } => lb.modify_instance_spec(load_balancer_spec),
        Action::ModifyLoadBalancerInstanceChargeType {
            instance_charge_type,
            ..
        } => lb.modify_instance_charge_type(instance_charge_type, None),
        Action::SetLoadBalancerDeleteProtection {
            delete_protection, ..
        } => lb.set_delete_protection(*delete_protection),
        Action::SetLoadBalancerModificationProtection {
            modification_protection_status: s,
            modification_protection_reason: r,
            ..
        } => lb.set_modification_protection(s, r.as_deref()),
        Action::TagResources { tags, .. } => lb.tag(tags),
        Action::UntagResources { tag_keys, .. } => lb.untag(tag_keys),
        _ => return false,
    }
    true
}

/// Listener and domain-extension steps.
fn apply_on_listener(
    lb: &mut ObservedLb,
    action: &Action,
    at: &Step<'_>,
) -> Result<(), ApplyError> {
    let done = match action {
        Action::StartLoadBalancerListener {
            listener_port: port,
            listener_protocol: protocol,
            ..
        } => lb.start_listener(*port, *protocol),
        Action::StopLoadBalancerListener {
            listener_port: port,
            listener_protocol: protocol,
            ..
        } => lb.stop_listener(*port, *protocol),
        Action::DeleteLoadBalancerListener {
            listener_port: port,
            listener_protocol: protocol,
            ..
        } => lb.delete_listener(*port, *protocol),
        Action::CreateDomainExtension {
            listener_port,
            domain,
            server_certificate_id,
            ..
        } => {
            let key = (*listener_port, domain.clone());
            let id = at
                .ids
                .domain_extensions
                .get(&key)
                .ok_or_else(|| at.unanswered(format!("domain extension {domain}")))?;
            lb.create_domain_extension(*listener_port, id, domain, server_certificate_id)
        }
        Action::SetDomainExtensionAttribute {
            domain_extension_id,
            server_certificate_id,
        } => lb.set_domain_extension(domain_extension_id, server_certificate_id),
        Action::DeleteDomainExtension {
            domain_extension_id,
        } => lb.delete_domain_extension(domain_extension_id),
        other => {
            let Some((protocol, p)) = other.listener_params() else {
                return Ok(());
            };
            return apply_listener(lb, other.is_listener_create(), protocol, p, at);
        }
    };
    done.map_err(|r| at.refused(r))
}

fn apply_listener(
    lb: &mut ObservedLb,
    create: bool,
    protocol: Protocol,
    p: &ListenerParams,
    at: &Step<'_>,
) -> Result<(), ApplyError> {
    let vserver_group_id = p.vserver_group.as_ref().map(|g| at.group(g)).transpose()?;
    let write = ListenerWrite {
        protocol,
        port: p.listener_port,
        vserver_group_id,
        description: p.description.clone(),
        bandwidth: p.bandwidth,
        attributes: p.attributes.clone(),
    };
    let done = if create {
        lb.create_listener(write)
    } else {
        lb.set_listener(&write)
    };
    done.map_err(|r| at.refused(r))
}

fn new_lb(c: &CreateLoadBalancer) -> NewLoadBalancer {
    NewLoadBalancer {
        load_balancer_name: c.load_balancer_name.clone(),
        address_type: c.address_type.clone(),
        address_ip_version: c.address_ip_version.clone(),
        vpc_id: c.vpc_id.clone(),
        vswitch_id: c.vswitch_id.clone(),
        master_zone_id: c.master_zone_id.clone(),
        slave_zone_id: c.slave_zone_id.clone(),
        load_balancer_spec: c.load_balancer_spec.clone(),
        instance_charge_type: c.instance_charge_type.clone(),
        internet_charge_type: c.internet_charge_type.clone(),
        bandwidth: c.bandwidth,
        delete_protection: c.delete_protection,
        modification_protection_status: c.modification_protection_status.clone(),
        modification_protection_reason: c.modification_protection_reason.clone(),
        resource_group_id: c.resource_group_id.clone(),
        tags: c.tags.clone(),
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

#[cfg(test)]
pub(crate) mod test_cloud;
