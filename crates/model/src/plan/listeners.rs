//! Listeners: ownership, port conflicts, force-override take-over, deletions and upserts.
//!
//! Redirect (`ListenerForward`) listeners are ordered around their HTTPS target, as the
//! service requires: created after every other listener, deleted before any other.
//!
//! Redirect settings are creation-only on the CLB (`SetLoadBalancerHTTPListenerAttribute`
//! has no `ListenerForward`/`ForwardPort`, and a Set on a forwarding listener is
//! `Operation.NotAllowed`), so this pass never plans a Set on a listener that forwards. An
//! HTTP listener is deleted and created again instead when its redirect changes (off → on,
//! on → off, another `ForwardPort`), or when it keeps forwarding but its ACL or its
//! description (the ownership mark) differs. A forwarding listener's other attributes
//! (scheduler, health check, sessions, timeouts, vServer group) do not act on a redirect and
//! are left as they are, as the reference CCM does.

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
    let mut doomed = Vec::new();
    for l in observed {
        let key = (l.listener_port, l.listener_protocol);
        if scope.owns(&l.description) {
            lp.released.insert(key);
            if seen.contains(&key) {
                lp.existing.insert(key, l);
            } else {
                doomed.push(l);
            }
            continue;
        }
        foreign(scope, &mut lp, l)?;
    }
    doomed.extend(lp.take_recreated());
    // Stable: redirect listeners are deleted before any other, whatever made them go.
    doomed.sort_by_key(|l| !forwards(&l.attributes));
    lp.deletions = doomed
        .into_iter()
        .map(|l| Action::DeleteLoadBalancerListener {
            load_balancer: scope.lb.clone(),
            listener_port: l.listener_port,
            listener_protocol: l.listener_protocol,
        })
        .collect();
    Ok(lp)
}

impl<'a> ListenerPlan<'a> {
    /// Removes from `existing` the listeners that must be deleted and created again (see
    /// [`must_recreate`]) and returns them; the upsert pass then creates them anew.
    fn take_recreated(&mut self) -> Vec<&'a ObservedListener> {
        let keys: Vec<(u16, Protocol)> = self
            .wanted
            .iter()
            .filter(|w| {
                self.existing
                    .get(&(w.listener_port, w.protocol))
                    .is_some_and(|l| must_recreate(w, l))
            })
            .map(|w| (w.listener_port, w.protocol))
            .collect();
        keys.iter()
            .filter_map(|k| self.existing.remove(k))
            .collect()
    }
}

/// True when the HTTP listener `l` must be deleted and created as `w` instead of Set: its
/// redirect changes (on/off, or a reported `ForwardPort` that differs), or it keeps
/// forwarding but its ACL or description differs. A `ForwardPort` the CLB does not report is
/// taken as unchanged, so a listener is never recreated over and over.
fn must_recreate(w: &DesiredListener, l: &ObservedListener) -> bool {
    if w.protocol != Protocol::Http {
        return false;
    }
    let have = forwards(&l.attributes);
    if forwards(&w.attributes) != have {
        return true;
    }
    if !have {
        return false;
    }
    let reported = l.attributes.forward_port;
    let port_changed = reported.is_some() && reported != w.attributes.forward_port;
    port_changed
        || l.description != w.description
        || !acl_of(&w.attributes).changed_from(&l.attributes).is_empty()
}

/// Only the ACL binding of `a` (what still acts on a redirect listener).
fn acl_of(a: &ListenerAttributes) -> ListenerAttributes {
    ListenerAttributes {
        acl_status: a.acl_status,
        acl_id: a.acl_id.clone(),
        acl_type: a.acl_type.clone(),
        ..ListenerAttributes::default()
    }
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
fn forwards(a: &ListenerAttributes) -> bool {
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
        // A forwarding listener takes no Set; `prepare` recreated it if anything that
        // matters differs.
        if !forwards(&l.attributes) {
            plan_set(scope, w, l, group, out);
        }
        if !l.is_running() {
            out.actions.push(start);
        }
        super::domain_ext::plan(scope, w, &l.domain_extensions, out);
    }
}

/// The `Set…ListenerAttribute` that brings the existing listener `l` to `w`, if any field
/// differs.
fn plan_set(
    scope: &Scope<'_>,
    w: &DesiredListener,
    l: &ObservedListener,
    group: &GroupRef,
    out: &mut Plan,
) {
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
