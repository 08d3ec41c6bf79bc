//! Listeners: ownership, port conflicts, force-override take-over, deletions and upserts.
//!
//! Redirect (`ListenerForward`) listeners are ordered around their HTTPS target, as the
//! service requires: created after every other listener, deleted before any other.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, GroupRef, ListenerParams, Plan, PlanError, PlanNote, Scope};
use crate::desired::{DesiredListener, GroupTarget, SchedulerSource};
use crate::naming::NamedKey;
use crate::observed::ObservedListener;
use crate::types::{ListenerAttributes, Protocol};

/// What the listener pass decided before groups are planned.
pub(super) struct ListenerPlan<'a> {
    /// Deletions of owned listeners no longer wanted (run before groups change).
    pub deletions: Vec<Action>,
    /// Take-over notes.
    pub notes: Vec<PlanNote>,
    /// Desired listeners in order, deduplicated by port and protocol.
    wanted: Vec<&'a DesiredListener>,
    /// Observed listeners this Service manages after the plan, by port and protocol.
    existing: BTreeMap<(u16, Protocol), &'a ObservedListener>,
    /// Observed listeners that stop using their current group (deleted or managed by us).
    released: BTreeSet<(u16, Protocol)>,
}

impl ListenerPlan<'_> {
    /// True when the observed listener on `port`/`protocol` no longer keeps its group.
    pub fn releases(&self, port: u16, protocol: Protocol) -> bool {
        self.released.contains(&(port, protocol))
    }
}

/// Checks conflicts and decides deletions and take-overs.
pub(super) fn prepare<'a>(scope: &Scope<'a>) -> Result<ListenerPlan<'a>, PlanError> {
    let mut seen = BTreeSet::new();
    let wanted: Vec<&DesiredListener> = scope
        .desired
        .listeners
        .iter()
        .filter(|l| seen.insert((l.listener_port, l.protocol)))
        .collect();
    let mut lp = ListenerPlan {
        deletions: Vec::new(),
        notes: Vec::new(),
        wanted,
        existing: BTreeMap::new(),
        released: BTreeSet::new(),
    };
    let Some(o) = scope.observed else {
        return Ok(lp);
    };
    let mut observed: Vec<&ObservedListener> = o.listeners.iter().collect();
    observed.sort_by_key(|l| !forwards(&l.attributes));
    for l in observed {
        let key = (l.listener_port, l.listener_protocol);
        if scope.owns(&l.description) {
            lp.released.insert(key);
            if seen.contains(&key) {
                lp.existing.insert(key, l);
            } else {
                lp.deletions.push(Action::DeleteLoadBalancerListener {
                    load_balancer: scope.lb.clone(),
                    listener_port: l.listener_port,
                    listener_protocol: l.listener_protocol,
                });
            }
            continue;
        }
        foreign(scope, &mut lp, l)?;
    }
    Ok(lp)
}

/// A listener this Service does not own: conflict, or take-over with force-override.
fn foreign<'a>(
    scope: &Scope<'a>,
    lp: &mut ListenerPlan<'a>,
    l: &'a ObservedListener,
) -> Result<(), PlanError> {
    let clash = lp.wanted.iter().find(|w| {
        w.listener_port == l.listener_port && w.protocol.clashes_with(l.listener_protocol)
    });
    let Some(w) = clash else { return Ok(()) };
    let other = NamedKey::parse(&l.description).map(|k| k.service.to_string());
    let user_listener = other.is_none();
    if scope.desired.force_override_listeners && user_listener && w.protocol == l.listener_protocol
    {
        let key = (l.listener_port, l.listener_protocol);
        lp.existing.insert(key, l);
        lp.released.insert(key);
        lp.notes.push(PlanNote::ListenerTakenOver {
            port: l.listener_port,
            protocol: l.listener_protocol,
            previous_description: l.description.clone(),
        });
        return Ok(());
    }
    Err(PlanError::PortConflict {
        lb_id: scope.lb_id().to_owned(),
        port: l.listener_port,
        protocol: w.protocol,
        service: scope.desired.service.to_string(),
        other,
        description: l.description.clone(),
    })
}

/// True for an HTTP listener that redirects to an HTTPS one.
fn forwards(a: &crate::types::ListenerAttributes) -> bool {
    a.listener_forward == Some(true)
}

/// Creates, updates and starts the desired listeners (redirecting ones last).
pub(super) fn plan_upserts(
    scope: &Scope<'_>,
    lp: &ListenerPlan<'_>,
    groups: &BTreeMap<GroupTarget, GroupRef>,
    out: &mut Plan,
) {
    let mut wanted = lp.wanted.clone();
    wanted.sort_by_key(|w| forwards(&w.attributes));
    for w in wanted {
        let Some(group) = groups.get(&w.group) else {
            continue;
        };
        let start = Action::StartLoadBalancerListener {
            load_balancer: scope.lb.clone(),
            listener_port: w.listener_port,
            listener_protocol: w.protocol,
        };
        let Some(l) = lp.existing.get(&(w.listener_port, w.protocol)) else {
            let params = ListenerParams {
                load_balancer: scope.lb.clone(),
                listener_port: w.listener_port,
                vserver_group: Some(group.clone()),
                description: Some(w.description.clone()),
                bandwidth: w.bandwidth,
                attributes: w.attributes.clone(),
            };
            out.actions
                .push(Action::create_listener(w.protocol, params));
            out.actions.push(start);
            super::domain_ext::plan(scope, w, &[], out);
            continue;
        };
        let group_changed = match group {
            GroupRef::Id(id) => *id != l.vserver_group_id,
            GroupRef::Pending(_) => true,
        };
        let params = ListenerParams {
            load_balancer: scope.lb.clone(),
            listener_port: w.listener_port,
            vserver_group: group_changed.then(|| group.clone()),
            description: (l.description != w.description).then(|| w.description.clone()),
            bandwidth: None,
            attributes: updated_attributes(w, l, &mut out.notes),
        };
        let changed = params.vserver_group.is_some()
            || params.description.is_some()
            || !params.attributes.is_empty();
        if changed {
            out.actions.push(Action::set_listener(w.protocol, params));
        }
        if !l.is_running() {
            out.actions.push(start);
        }
        super::domain_ext::plan(scope, w, &l.domain_extensions, out);
    }
}

/// What to change on an existing listener: the desired attributes that differ, except a
/// defaulted scheduler under Cluster policy (the listener keeps its own); a Local-policy
/// default that changes the scheduler is noted for the event.
fn updated_attributes(
    w: &DesiredListener,
    l: &ObservedListener,
    notes: &mut Vec<PlanNote>,
) -> ListenerAttributes {
    let mut changed = w.attributes.changed_from(&l.attributes);
    match w.scheduler {
        SchedulerSource::Annotation => {}
        SchedulerSource::ClusterDefault => changed.scheduler = None,
        SchedulerSource::LocalDefault => {
            if changed.scheduler.is_some() {
                notes.push(PlanNote::SchedulerForWeights {
                    port: l.listener_port,
                    protocol: l.listener_protocol,
                    previous: l.attributes.scheduler.clone().unwrap_or_default(),
                });
            }
        }
    }
    changed
}
