//! vServer groups and their members: create, add/set/remove in batches, quota, orphans.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::listeners::ListenerPlan;
use super::{Action, GroupRef, Plan, PlanError, PlanNote, Scope};
use crate::desired::{DesiredGroup, GroupTarget};
use crate::naming::NamedKey;
use crate::observed::ObservedVServerGroup;
use crate::types::{BackendServer, MemberKeyRef};

/// The member changes of one group.
struct GroupDiff<'a> {
    group: GroupRef,
    create: bool,
    adds: Vec<&'a BackendServer>,
    sets: Vec<BackendServer>,
    removes: Vec<&'a BackendServer>,
}

/// Plans every desired group; returns how each group target is referred to afterwards.
pub(super) fn plan_groups(
    scope: &Scope<'_>,
    out: &mut Plan,
) -> Result<BTreeMap<GroupTarget, GroupRef>, PlanError> {
    let mut refs = BTreeMap::new();
    let mut diffs = Vec::new();
    for group in &scope.desired.groups {
        if refs.contains_key(&group.target) {
            continue;
        }
        let (gref, observed) = resolve(scope, &group.target)?;
        refs.insert(group.target.clone(), gref.clone());
        diffs.push(diff(scope, gref, group, observed));
    }
    let existing = scope.observed.map_or(0, |o| o.backend_count());
    let adds: usize = diffs.iter().map(|d| d.adds.len()).sum();
    let removes: usize = diffs.iter().map(|d| d.removes.len()).sum();
    let after = existing + adds - removes.min(existing + adds);
    let quota = scope.opts.backend_quota;
    if after > quota {
        return Err(PlanError::BackendQuota {
            count: after,
            quota,
        });
    }
    // Adding first keeps traffic flowing during a rollover; only when that would overshoot
    // the quota on the way do removals go first.
    let removes_first = existing + adds > quota;
    for d in diffs {
        emit(scope, d, removes_first, out);
    }
    Ok(refs)
}

fn resolve<'o>(
    scope: &Scope<'o>,
    target: &GroupTarget,
) -> Result<(GroupRef, Option<&'o ObservedVServerGroup>), PlanError> {
    match target {
        GroupTarget::Owned(name) => match scope.observed.and_then(|o| o.group_by_name(name)) {
            Some(g) => Ok((GroupRef::Id(g.vserver_group_id.clone()), Some(g))),
            None => Ok((GroupRef::Pending(name.clone()), None)),
        },
        GroupTarget::Reused(id) => {
            let Some(g) = scope.observed.and_then(|o| o.group_by_id(id)) else {
                return Err(PlanError::ReusedGroupNotFound {
                    group_id: id.clone(),
                    lb_id: scope.lb_id().to_owned(),
                });
            };
            if NamedKey::parse(&g.vserver_group_name).is_some() {
                return Err(PlanError::ReusedGroupOwnedByKubernetes {
                    group_id: id.clone(),
                    name: g.vserver_group_name.clone(),
                });
            }
            Ok((GroupRef::Id(id.clone()), Some(g)))
        }
    }
}

fn diff<'a>(
    scope: &Scope<'_>,
    group: GroupRef,
    desired: &'a DesiredGroup,
    observed: Option<&'a ObservedVServerGroup>,
) -> GroupDiff<'a> {
    let want = sorted_members(&desired.backends);
    let have = sorted_members(
        observed
            .map(|g| g.backend_servers.as_slice())
            .unwrap_or_default(),
    );
    let ignore_weight = scope.desired.ignore_weight_update;
    let mut d = GroupDiff {
        create: matches!(group, GroupRef::Pending(_)),
        group,
        adds: Vec::new(),
        sets: Vec::new(),
        removes: Vec::new(),
    };
    // Both sides are sorted by member key: one merge walk instead of map lookups (this is
    // the hot path of every endpoint event).
    let (mut i, mut j) = (0, 0);
    while i < want.len() || j < have.len() {
        let order = match (want.get(i), have.get(j)) {
            (Some(w), Some(h)) => w.0.cmp(&h.0),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                d.adds.push(want[i].1);
                i += 1;
            }
            Ordering::Greater => {
                let h = have[j].1;
                if scope.owns(&h.description) {
                    d.removes.push(h);
                }
                j += 1;
            }
            Ordering::Equal => {
                let (w, h) = (want[i].1, have[j].1);
                // Members someone else added are left alone, even on a matching server.
                if scope.owns(&h.description) {
                    let weight = if ignore_weight { h.weight } else { w.weight };
                    if weight != h.weight || w.description != h.description {
                        d.sets.push(BackendServer {
                            weight,
                            ..w.clone()
                        });
                    }
                }
                i += 1;
                j += 1;
            }
        }
    }
    d
}

fn emit(scope: &Scope<'_>, d: GroupDiff<'_>, removes_first: bool, out: &mut Plan) {
    let size = scope.opts.batch_size;
    let mut adds = batches(d.adds.into_iter().cloned(), size);
    if let (true, GroupRef::Pending(name)) = (d.create, &d.group) {
        out.actions.push(Action::CreateVServerGroup {
            load_balancer: scope.lb.clone(),
            vserver_group_name: name.clone(),
            backend_servers: adds.next().unwrap_or_default(),
        });
    }
    let group = &d.group;
    let adds = adds.map(|b| Action::AddVServerGroupBackendServers {
        vserver_group: group.clone(),
        backend_servers: b,
    });
    let sets = batches(d.sets.into_iter(), size).map(|b| Action::SetVServerGroupAttribute {
        vserver_group: group.clone(),
        backend_servers: b,
    });
    let removes: Vec<Action> = batches(d.removes.into_iter().cloned(), size)
        .map(|b| Action::RemoveVServerGroupBackendServers {
            vserver_group: group.clone(),
            backend_servers: b,
        })
        .collect();
    if removes_first {
        out.actions.extend(removes);
        out.actions.extend(adds);
        out.actions.extend(sets);
    } else {
        out.actions.extend(adds);
        out.actions.extend(sets);
        out.actions.extend(removes);
    }
}

/// Splits members into batches of at most `size` without copying them twice.
fn batches(
    members: impl Iterator<Item = BackendServer>,
    size: usize,
) -> impl Iterator<Item = Vec<BackendServer>> {
    let mut members = members.peekable();
    std::iter::from_fn(move || {
        members.peek()?;
        Some(members.by_ref().take(size).collect())
    })
}

/// Members sorted by key, the first of each key kept (a group holds a key once).
fn sorted_members(members: &[BackendServer]) -> Vec<(MemberKeyRef<'_>, &BackendServer)> {
    let mut v: Vec<_> = members.iter().map(|b| (b.key_ref(), b)).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.dedup_by(|later, first| later.0 == first.0);
    v
}

/// Deletes groups this Service owns but no longer uses (including duplicates of a name),
/// unless a listener that stays keeps using them.
pub(super) fn plan_orphans(
    scope: &Scope<'_>,
    listeners: Option<&ListenerPlan<'_>>,
    out: &mut Plan,
) {
    let Some(o) = scope.observed else { return };
    let kept: BTreeSet<&str> = scope
        .desired
        .groups
        .iter()
        .filter_map(|g| match &g.target {
            GroupTarget::Owned(name) => o.group_by_name(name).map(|g| g.vserver_group_id.as_str()),
            GroupTarget::Reused(id) => Some(id.as_str()),
        })
        .collect();
    for g in &o.vserver_groups {
        if !scope.owns(&g.vserver_group_name) || kept.contains(g.vserver_group_id.as_str()) {
            continue;
        }
        let user = o.listeners.iter().find(|l| {
            l.vserver_group_id == g.vserver_group_id
                && !listeners.is_some_and(|lp| lp.releases(l.listener_port, l.listener_protocol))
        });
        match user {
            Some(l) => out.notes.push(PlanNote::GroupKeptInUse {
                group_id: g.vserver_group_id.clone(),
                listener_port: l.listener_port,
            }),
            None => out.actions.push(Action::DeleteVServerGroup {
                vserver_group_id: g.vserver_group_id.clone(),
            }),
        }
    }
}
