//! Releasing a Service's CLB resources (Service deleted, or no longer a LoadBalancer).
//!
//! CCM-created CLB: delete protection off, then `DeleteLoadBalancer` (listeners and groups go
//! with it). With `preserve-lb-on-delete`: protections off, ownership tags removed, then only
//! what the Service owns is deleted. Reused or foreign CLB: only owned listeners, owned groups
//! and this Service's members in user groups are removed.

use super::{Action, LbRef, Plan, PlanError, PlanNote, PlanOptions, Scope};
use crate::desired::DesiredLb;
use crate::naming::{TAG_CLUSTER, TAG_DO_NOT_DELETE};
use crate::observed::ObservedLb;
use crate::types::BackendServer;

const NON_PROTECTION: &str = "NonProtection";

/// The deletion plan.
pub(super) fn plan_delete(
    desired: &DesiredLb,
    observed: Option<&ObservedLb>,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let mut out = Plan::default();
    let Some(o) = observed else {
        out.notes.push(PlanNote::AlreadyGone);
        return Ok(out);
    };
    let lb = LbRef::Id(o.load_balancer_id.clone());
    let tag = o.tags.get(TAG_DO_NOT_DELETE);
    let created_for_us = desired.reuse_id.is_none()
        && (tag == Some(&desired.default_name)
            || (tag.is_none() && o.load_balancer_name == desired.default_name));
    if created_for_us {
        if o.delete_protection {
            out.actions.push(Action::SetLoadBalancerDeleteProtection {
                load_balancer: lb.clone(),
                delete_protection: false,
            });
        }
        if !desired.preserve_on_delete {
            out.actions.push(Action::DeleteLoadBalancer {
                load_balancer_id: o.load_balancer_id.clone(),
            });
            return Ok(out);
        }
        preserve(desired, o, &lb, &mut out);
    }
    let scope = Scope {
        desired,
        observed,
        lb,
        opts,
    };
    release_owned(&scope, o, &mut out)?;
    Ok(out)
}

/// Protections off and ownership tags removed, so the CLB is the user's from now on.
fn preserve(desired: &DesiredLb, o: &ObservedLb, lb: &LbRef, out: &mut Plan) {
    if o.modification_protection_status != NON_PROTECTION {
        out.actions
            .push(Action::SetLoadBalancerModificationProtection {
                load_balancer: lb.clone(),
                modification_protection_status: NON_PROTECTION.to_owned(),
                modification_protection_reason: None,
            });
    }
    let ours = [
        (TAG_DO_NOT_DELETE, desired.default_name.as_str()),
        (TAG_CLUSTER, desired.service.cluster_id.as_str()),
    ];
    let tag_keys: Vec<String> = ours
        .iter()
        .filter(|(k, v)| o.tags.get(*k).map(String::as_str) == Some(*v))
        .map(|(k, _)| (*k).to_owned())
        .collect();
    if !tag_keys.is_empty() {
        out.actions.push(Action::UntagResources {
            load_balancer: lb.clone(),
            tag_keys,
        });
    }
    out.notes.push(PlanNote::PreservedOnDelete {
        lb_id: o.load_balancer_id.clone(),
    });
}

/// Owned listeners, this Service's members in groups it does not own, then owned groups.
fn release_owned(scope: &Scope<'_>, o: &ObservedLb, out: &mut Plan) -> Result<(), PlanError> {
    let owned_listener = |d: &str| scope.owns(d);
    for l in o
        .listeners
        .iter()
        .filter(|l| owned_listener(&l.description))
    {
        out.actions.push(Action::DeleteLoadBalancerListener {
            load_balancer: scope.lb.clone(),
            listener_port: l.listener_port,
            listener_protocol: l.listener_protocol,
        });
    }
    for g in o
        .vserver_groups
        .iter()
        .filter(|g| !scope.owns(&g.vserver_group_name))
    {
        let ours: Vec<BackendServer> = g
            .backend_servers
            .iter()
            .filter(|b| scope.owns(&b.description))
            .cloned()
            .collect();
        for batch in ours.chunks(scope.opts.batch_size) {
            out.actions.push(Action::RemoveVServerGroupBackendServers {
                vserver_group: super::GroupRef::Id(g.vserver_group_id.clone()),
                backend_servers: batch.to_vec(),
            });
        }
    }
    for g in o
        .vserver_groups
        .iter()
        .filter(|g| scope.owns(&g.vserver_group_name))
    {
        let user = o
            .listeners
            .iter()
            .find(|l| l.vserver_group_id == g.vserver_group_id && !owned_listener(&l.description));
        if let Some(l) = user {
            return Err(PlanError::GroupInUse {
                group_id: g.vserver_group_id.clone(),
                listener_port: l.listener_port,
                listener_protocol: l.listener_protocol,
            });
        }
        out.actions.push(Action::DeleteVServerGroup {
            vserver_group_id: g.vserver_group_id.clone(),
        });
    }
    Ok(())
}
