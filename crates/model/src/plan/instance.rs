//! The CLB instance: refusals checked before any call, create, attribute updates and tags.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, CreateLoadBalancer, Plan, PlanError, ReuseRefusal, Scope};
use crate::desired::DesiredLb;
use crate::naming::{
    MODIFICATION_PROTECTION_REASON, TAG_CLUSTER, TAG_DO_NOT_DELETE, TAG_REUSED, TAG_REUSED_VALUE,
    is_system_tag,
};
use crate::observed::ObservedLb;

/// Most tags one `TagResources` call (and one resource) takes.
const TAGS_PER_CALL: usize = 20;
const CONSOLE_PROTECTION: &str = "ConsoleProtection";
const PAY_BY_SPEC: &str = "PayBySpec";
const PAY_BY_CLCU: &str = "PayByCLCU";
/// The spec a PayBySpec CLB is created with when the `spec` annotation names none, as the
/// reference CCM does (without one the cloud would sell a shared instance, no longer on sale).
const DEFAULT_PAY_BY_SPEC_SPEC: &str = "slb.s1.small";

/// Immutable annotations: (suffix, error text). The first two are the FAQ's own texts.
const IMMUTABLE: &[(&str, &str)] = &[
    (
        "address-type",
        "alicloud: can not change LoadBalancer AddressType once created. delete and retry",
    ),
    (
        "resource-group-id",
        "can not change ResourceGroupId once created",
    ),
    (
        "ip-version",
        "alicloud: can not change LoadBalancer AddressIPVersion once created. delete and retry",
    ),
    (
        "master-zoneid",
        "alicloud: can not change LoadBalancer MasterZoneId once created. delete and retry",
    ),
    (
        "slave-zoneid",
        "alicloud: can not change LoadBalancer SlaveZoneId once created. delete and retry",
    ),
    (
        "network-type",
        "alicloud: can not change LoadBalancer NetworkType once created. delete and retry",
    ),
    (
        "vswitch-id",
        "alicloud: can not change LoadBalancer VSwitchId once created. delete and retry",
    ),
    (
        "ip",
        "alicloud: can not change LoadBalancer Address once created. delete and retry",
    ),
];

/// Refusals that must happen before any call: reuse rules, ownership, immutable changes.
pub(super) fn check(desired: &DesiredLb, observed: Option<&ObservedLb>) -> Result<(), PlanError> {
    match (&desired.reuse_id, observed) {
        (Some(id), None) => return Err(PlanError::ReusedLbNotFound { lb_id: id.clone() }),
        (Some(id), Some(o)) => check_reuse(desired, id, o)?,
        (None, None) if !desired.status_ips.is_empty() => {
            return Err(PlanError::NotFoundButInStatus {
                ips: desired.status_ips.clone(),
            });
        }
        (None, None) => return Ok(()),
        (None, Some(o)) => {
            if let Some(tag) = o.tags.get(TAG_DO_NOT_DELETE)
                && *tag != desired.default_name
            {
                return Err(PlanError::OwnedByOtherService {
                    lb_id: o.load_balancer_id.clone(),
                    tag: tag.clone(),
                });
            }
        }
    }
    let Some(o) = observed else { return Ok(()) };
    check_immutable(desired, o)
}

fn check_reuse(desired: &DesiredLb, id: &str, o: &ObservedLb) -> Result<(), PlanError> {
    if o.load_balancer_id != id {
        return Err(PlanError::ObservedMismatch {
            wanted: id.to_owned(),
            observed: o.load_balancer_id.clone(),
        });
    }
    let refuse = |reason| {
        Err(PlanError::ReuseRefused {
            lb_id: id.to_owned(),
            reason,
        })
    };
    if o.tags.contains_key(TAG_DO_NOT_DELETE) {
        return refuse(ReuseRefusal::CreatedByKubernetes);
    }
    if let Some(cluster) = o.tags.get(TAG_CLUSTER) {
        return refuse(ReuseRefusal::ClusterOwned {
            cluster: cluster.clone(),
        });
    }
    if o.address_type == "intranet" && !o.vpc_id.is_empty() && o.vpc_id != desired.cluster_vpc_id {
        return refuse(ReuseRefusal::OtherVpc {
            lb_vpc: o.vpc_id.clone(),
            cluster_vpc: desired.cluster_vpc_id.clone(),
        });
    }
    let ips = &desired.status_ips;
    if !desired.status_is_eip && !ips.is_empty() && !ips.contains(&o.address) {
        return refuse(ReuseRefusal::AssociatedWithOtherIp {
            status: ips.clone(),
            address: o.address.clone(),
        });
    }
    Ok(())
}

fn check_immutable(desired: &DesiredLb, o: &ObservedLb) -> Result<(), PlanError> {
    let i = &desired.instance;
    for (suffix, message) in IMMUTABLE {
        if !i.explicit.contains(suffix) {
            continue;
        }
        let (wanted, observed) = match *suffix {
            "address-type" => (Some(&i.address_type), &o.address_type),
            "resource-group-id" => (i.resource_group_id.as_ref(), &o.resource_group_id),
            "ip-version" => (Some(&i.address_ip_version), &o.address_ip_version),
            "master-zoneid" => (i.master_zone_id.as_ref(), &o.master_zone_id),
            "slave-zoneid" => (i.slave_zone_id.as_ref(), &o.slave_zone_id),
            "network-type" => (i.network_type.as_ref(), &o.network_type),
            "vswitch-id" => (i.vswitch_id.as_ref(), &o.vswitch_id),
            _ => (i.address.as_ref(), &o.address),
        };
        if let Some(wanted) = wanted.filter(|w| !observed.is_empty() && *w != observed) {
            return Err(PlanError::ImmutableChange {
                annotation: suffix,
                observed: observed.clone(),
                wanted: wanted.clone(),
                message,
            });
        }
    }
    let to_spec = i.explicit.contains("instance-charge-type")
        && i.instance_charge_type == PAY_BY_SPEC
        && o.instance_charge_type == PAY_BY_CLCU;
    if to_spec {
        return Err(PlanError::ChargeTypeToSpec {
            lb_id: o.load_balancer_id.clone(),
        });
    }
    Ok(())
}

/// Create, attribute updates and tags of the instance.
pub(super) fn plan_instance(scope: &Scope<'_>, out: &mut Plan) {
    match scope.observed {
        None => out
            .actions
            .push(Action::CreateLoadBalancer(create(scope.desired))),
        Some(o) => {
            update_attributes(scope, o, out);
            out.actions.extend(tag_actions(scope, o));
        }
    }
}

fn reason_for(status: &str) -> Option<String> {
    (status == CONSOLE_PROTECTION).then(|| MODIFICATION_PROTECTION_REASON.to_owned())
}

fn create(desired: &DesiredLb) -> CreateLoadBalancer {
    let i = &desired.instance;
    CreateLoadBalancer {
        address_type: i.address_type.clone(),
        address_ip_version: i.address_ip_version.clone(),
        load_balancer_name: i.load_balancer_name.clone(),
        vpc_id: i.vpc_id.clone(),
        vswitch_id: i.vswitch_id.clone(),
        address: i.address.clone(),
        master_zone_id: i.master_zone_id.clone(),
        slave_zone_id: i.slave_zone_id.clone(),
        load_balancer_spec: i.load_balancer_spec.clone().or_else(|| {
            (i.instance_charge_type == PAY_BY_SPEC).then(|| DEFAULT_PAY_BY_SPEC_SPEC.to_owned())
        }),
        instance_charge_type: i.instance_charge_type.clone(),
        internet_charge_type: i.internet_charge_type.clone(),
        bandwidth: i.bandwidth,
        resource_group_id: i.resource_group_id.clone(),
        delete_protection: i.delete_protection,
        modification_protection_status: i.modification_protection_status.clone(),
        modification_protection_reason: reason_for(&i.modification_protection_status),
        tags: wanted_tags(desired).into_iter().collect(),
        client_token: desired.default_name.clone(),
    }
}

/// Ownership tags plus additional tags (later duplicates win; `acs:` never).
fn wanted_tags(desired: &DesiredLb) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for (k, v) in &desired.instance.additional_tags {
        tags.insert(k.clone(), v.clone());
    }
    if desired.reuse_id.is_some() {
        tags.insert(TAG_REUSED.to_owned(), TAG_REUSED_VALUE.to_owned());
    } else {
        tags.insert(TAG_DO_NOT_DELETE.to_owned(), desired.default_name.clone());
        tags.insert(TAG_CLUSTER.to_owned(), desired.service.cluster_id.clone());
    }
    tags.retain(|k, _| !is_system_tag(k));
    tags
}

/// Tags missing or with another value, then the additional tags slb-ccm applied earlier and
/// the user dropped from the annotation; no other tag is ever removed (console tags are safe).
fn tag_actions(scope: &Scope<'_>, o: &ObservedLb) -> Vec<Action> {
    let wanted = wanted_tags(scope.desired);
    let missing: Vec<(String, String)> = wanted
        .iter()
        .filter(|(k, v)| o.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let dropped: Vec<String> = dropped_tag_keys(&scope.desired.instance.applied_tag_keys, &wanted)
        .filter(|k| o.tags.contains_key(*k))
        .cloned()
        .collect();
    let tag = missing
        .chunks(TAGS_PER_CALL)
        .map(|chunk| Action::TagResources {
            load_balancer: scope.lb.clone(),
            tags: chunk.to_vec(),
        });
    let untag = dropped
        .chunks(TAGS_PER_CALL)
        .map(|chunk| Action::UntagResources {
            load_balancer: scope.lb.clone(),
            tag_keys: chunk.to_vec(),
        });
    tag.chain(untag).collect()
}

/// Recorded keys no longer wanted, never an ownership or system tag.
fn dropped_tag_keys<'a>(
    applied: &'a BTreeSet<String>,
    wanted: &'a BTreeMap<String, String>,
) -> impl Iterator<Item = &'a String> {
    const OWNERSHIP: [&str; 3] = [TAG_DO_NOT_DELETE, TAG_CLUSTER, TAG_REUSED];
    applied.iter().filter(move |k| {
        !wanted.contains_key(*k) && !OWNERSHIP.contains(&k.as_str()) && !is_system_tag(k)
    })
}

fn update_attributes(scope: &Scope<'_>, o: &ObservedLb, out: &mut Plan) {
    let i = &scope.desired.instance;
    // A reused CLB only gets what the user asked for explicitly; ours gets the defaults too.
    let managed = |suffix: &str| scope.desired.reuse_id.is_none() || i.explicit.contains(suffix);
    let lb = || scope.lb.clone();
    if managed("name") && i.load_balancer_name != o.load_balancer_name {
        out.actions.push(Action::SetLoadBalancerName {
            load_balancer: lb(),
            load_balancer_name: i.load_balancer_name.clone(),
        });
    }
    if o.address_type == "internet" {
        let charge = i
            .internet_charge_type
            .as_ref()
            .filter(|c| **c != o.internet_charge_type);
        let bandwidth = i.bandwidth.filter(|b| Some(*b) != o.bandwidth);
        if charge.is_some() || bandwidth.is_some() {
            out.actions.push(Action::ModifyLoadBalancerInternetSpec {
                load_balancer: lb(),
                internet_charge_type: i.internet_charge_type.clone(),
                bandwidth: i.bandwidth,
            });
        }
    }
    if o.instance_charge_type == PAY_BY_SPEC {
        if i.explicit.contains("instance-charge-type") && i.instance_charge_type == PAY_BY_CLCU {
            out.actions
                .push(Action::ModifyLoadBalancerInstanceChargeType {
                    load_balancer: lb(),
                    instance_charge_type: PAY_BY_CLCU.to_owned(),
                });
        } else if let Some(spec) = i
            .load_balancer_spec
            .as_ref()
            .filter(|s| **s != o.load_balancer_spec)
        {
            out.actions.push(Action::ModifyLoadBalancerInstanceSpec {
                load_balancer: lb(),
                load_balancer_spec: spec.clone(),
            });
        }
    }
    if managed("delete-protection") && i.delete_protection != o.delete_protection {
        out.actions.push(Action::SetLoadBalancerDeleteProtection {
            load_balancer: lb(),
            delete_protection: i.delete_protection,
        });
    }
    let status = &i.modification_protection_status;
    if managed("modification-protection") && *status != o.modification_protection_status {
        out.actions
            .push(Action::SetLoadBalancerModificationProtection {
                load_balancer: lb(),
                modification_protection_status: status.clone(),
                modification_protection_reason: reason_for(status),
            });
    }
}
