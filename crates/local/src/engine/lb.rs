//! CLB instance actions (spec §3.2): create (spec, charge type, address allocation by
//! address type, quota, ClientToken replay), delete (delete protection, cascade), describe,
//! and the attribute setters with their billing and charge-type rules (in `describe` and
//! `modify`). VIP allocation (IPv4 pools, vSwitch CIDRs, the IPv6 pool) is in `vip`.
//!
//! Listener, group and tag actions live in their own modules.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use slb_openapi::clb::{CreateLoadBalancerRequest, DeleteLoadBalancerRequest};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::types::{
    AddressIpVersion, AddressType, InstanceChargeType, InternetChargeType,
    ModificationProtectionStatus, OnOff,
};

use super::refusal::refused;
use super::tags::merge_tags;
use super::{Ctx, Outcome, State, lb_by_id_for_write};
use crate::model::LoadBalancer;
use crate::store::Change;
use slb_clb_state::{NewLoadBalancer, create_load_balancer, delete_load_balancer};

mod describe;
mod modify;
mod vip;

pub(crate) use describe::{describe_attribute, describe_list};
pub(crate) use modify::{
    modify_instance_charge_type, modify_instance_spec, modify_internet_spec, set_delete_protection,
    set_modification_protection, set_name, set_status,
};
use vip::{allocate_address, allocate_ipv6, check_ip_version, check_zones};

/// The specs Alibaba sells (spec §3.1).
pub(crate) const SPECS: &[&str] = &[
    "slb.s1.small",
    "slb.s2.small",
    "slb.s2.medium",
    "slb.s3.small",
    "slb.s3.medium",
    "slb.s3.large",
];

/// The name Alibaba gives an LB created without one.
const AUTO_NAME: &str = "auto_named_slb";

/// The resource group an LB gets when none is named.
pub(crate) const DEFAULT_RESOURCE_GROUP: &str = "rg-default";

fn create_response(lb: &LoadBalancer) -> Map<String, Value> {
    let v = json!({
        "LoadBalancerId": lb.id,
        "Address": lb.address,
        "LoadBalancerName": lb.name,
        "VpcId": lb.vpc_id,
        "VSwitchId": lb.vswitch_id,
        "NetworkType": lb.network_type,
        "AddressIPVersion": lb.address_ip_version,
        "ResourceGroupId": lb.resource_group_id,
        "OrderId": lb.create_time_ms,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Validates a `LoadBalancerName`: 1–80 chars.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.chars().count() > 80 {
        return Err(ApiError::invalid_parameter(
            "LoadBalancerName",
            "at most 80 characters",
        ));
    }
    Ok(())
}

fn check_spec(spec: &str) -> Result<(), ApiError> {
    if SPECS.contains(&spec) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(
            "LoadBalancerSpec",
            &format!("{spec:?} is not one of {}", SPECS.join(", ")),
        ))
    }
}

fn check_bandwidth(bandwidth: u32) -> Result<(), ApiError> {
    if (1..=5120).contains(&bandwidth) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter("Bandwidth", "must be 1–5120"))
    }
}

fn check_protection_reason(
    status: ModificationProtectionStatus,
    reason: &str,
) -> Result<(), ApiError> {
    if status == ModificationProtectionStatus::ConsoleProtection {
        let ok = (1..=80).contains(&reason.chars().count())
            && reason.chars().next().is_some_and(char::is_alphabetic);
        if !ok {
            return Err(ApiError::invalid_parameter(
                "ModificationProtectionReason",
                "ConsoleProtection needs a reason of 1–80 characters starting with a letter",
            ));
        }
    }
    Ok(())
}

/// What `CreateLoadBalancer` decided from its request, in the order the checks run.
struct Decided {
    charge: InstanceChargeType,
    spec: String,
    address_type: AddressType,
    ip_version: AddressIpVersion,
    internet_charge: InternetChargeType,
    bandwidth: u32,
    name: String,
    protection: ModificationProtectionStatus,
    protection_reason: String,
    tags: BTreeMap<String, String>,
}

/// Where a new LB's VIP is: `(address, vpc, vSwitch, zone)`.
type Placement = (String, String, String, String);

/// `CreateLoadBalancer`: a replayed `ClientToken` answers the LB it created; otherwise the
/// billing and quota gates, the request's checks, the VIP, and the new LB.
pub(crate) fn create(
    state: &State,
    cx: &Ctx<'_>,
    r: &CreateLoadBalancerRequest,
) -> Result<Outcome, ApiError> {
    if let Some(lb) = replayed(state, r) {
        return Ok(Outcome::read(create_response(lb)));
    }
    admit(state, cx)?;
    let decided = decide(cx, r)?;
    let placement = if decided.ip_version == AddressIpVersion::Ipv6 {
        // Internet (checked in `decide`): no vSwitch, like an IPv4 internet CLB.
        (
            allocate_ipv6(state, cx)?,
            String::new(),
            String::new(),
            String::new(),
        )
    } else {
        allocate_address(state, cx, r, decided.address_type)?
    };
    let address = placement.0.clone();
    let new = new_load_balancer(r, decided, placement);
    let created = create_load_balancer(new, &Ctx::new_id("lb"), &address);
    let mut lb = LoadBalancer::created(created, cx.now_ms);
    lb.pay_type = r.pay_type.unwrap_or_default().as_str().to_owned();
    lb.client_token = r.client_token.clone().unwrap_or_default();
    let body = create_response(&lb);
    Ok(Outcome {
        body,
        ..Outcome::put_lb(lb)
    })
}

/// The LB an earlier create with the request's `ClientToken` made.
fn replayed<'s>(state: &'s State, r: &CreateLoadBalancerRequest) -> Option<&'s LoadBalancer> {
    let token = r.client_token.as_ref()?;
    state
        .load_balancers
        .values()
        .find(|lb| lb.client_token == *token)
}

/// The gates before any check of the request: billing, then the account's LB quota.
fn admit(state: &State, cx: &Ctx<'_>) -> Result<(), ApiError> {
    cx.check_billing()?;
    let quota = cx.config.quotas.load_balancers_per_account;
    if state.load_balancers.len() >= quota {
        return Err(ApiError::service(
            "QuotaExceeded.LoadBalancer",
            400,
            format!("The number of load balancers exceeds the account quota of {quota}."),
        ));
    }
    Ok(())
}

/// The request's settings, defaulted and checked (charge type and spec, address type and
/// IP version, zones, internet billing, name, protection, tags).
fn decide(cx: &Ctx<'_>, r: &CreateLoadBalancerRequest) -> Result<Decided, ApiError> {
    let (charge, spec) = charge_and_spec(cx, r)?;
    let default_type = match r.vswitch_id {
        Some(_) => AddressType::Intranet,
        None => AddressType::Internet,
    };
    let address_type = r.address_type.unwrap_or(default_type);
    let ip_version = check_ip_version(
        r.address_ip_version.unwrap_or(AddressIpVersion::Ipv4),
        address_type,
    )?;
    check_zones(cx, r)?;
    let (internet_charge, bandwidth) = internet_billing(charge, r)?;
    let name = r.load_balancer_name.clone();
    let name = name.unwrap_or_else(|| AUTO_NAME.to_owned());
    check_name(&name)?;
    let protection = r.modification_protection_status.unwrap_or_default();
    let protection_reason = r.modification_protection_reason.clone().unwrap_or_default();
    check_protection_reason(protection, &protection_reason)?;
    let mut tags = BTreeMap::new();
    merge_tags(&mut tags, &r.tags, cx.config.quotas.tags_per_resource)?;
    Ok(Decided {
        charge,
        spec,
        address_type,
        ip_version,
        internet_charge,
        bandwidth,
        name,
        protection,
        protection_reason,
        tags,
    })
}

/// The instance charge type (the faults' default when absent) and its spec: `PayBySpec`
/// needs one of [`SPECS`] (none is a shared instance, no longer sold), `PayByCLCU` has none.
fn charge_and_spec(
    cx: &Ctx<'_>,
    r: &CreateLoadBalancerRequest,
) -> Result<(InstanceChargeType, String), ApiError> {
    let default_charge =
        InstanceChargeType::parse(&cx.faults.config().instance_charge_type).unwrap_or_default();
    let charge = r.instance_charge_type.unwrap_or(default_charge);
    match (charge, r.load_balancer_spec.clone()) {
        (InstanceChargeType::PayBySpec, None) => Err(codes::SHARE_SLB_HALT_SALES.error()),
        (InstanceChargeType::PayBySpec, Some(s)) => {
            check_spec(&s)?;
            Ok((charge, s))
        }
        (InstanceChargeType::PayByClcu, _) => Ok((charge, String::new())),
    }
}

/// The internet charge type (`PayByCLCU` allows only `paybytraffic`) and the bandwidth
/// (5120 when absent).
fn internet_billing(
    charge: InstanceChargeType,
    r: &CreateLoadBalancerRequest,
) -> Result<(InternetChargeType, u32), ApiError> {
    let internet_charge = r.internet_charge_type.unwrap_or_default();
    if charge == InstanceChargeType::PayByClcu
        && internet_charge != InternetChargeType::PayByTraffic
    {
        return Err(ApiError::invalid_parameter(
            "InternetChargeType",
            "PayByCLCU allows paybytraffic only",
        ));
    }
    let bandwidth = r.bandwidth.unwrap_or(5120);
    check_bandwidth(bandwidth)?;
    Ok((internet_charge, bandwidth))
}

/// The shared CLB state's record of the new LB.
fn new_load_balancer(
    r: &CreateLoadBalancerRequest,
    d: Decided,
    (_, vpc_id, vswitch_id, zone): Placement,
) -> NewLoadBalancer {
    NewLoadBalancer {
        load_balancer_name: d.name,
        address_type: d.address_type.as_str().to_owned(),
        address_ip_version: d.ip_version.as_str().to_owned(),
        vpc_id: Some(vpc_id).filter(|v| !v.is_empty()),
        vswitch_id: Some(vswitch_id),
        master_zone_id: Some(r.master_zone_id.clone().unwrap_or(zone)),
        slave_zone_id: Some(r.slave_zone_id.clone().unwrap_or_default()),
        load_balancer_spec: Some(d.spec),
        instance_charge_type: d.charge.as_str().to_owned(),
        internet_charge_type: Some(d.internet_charge.as_str().to_owned()),
        bandwidth: Some(d.bandwidth),
        delete_protection: r.delete_protection == Some(OnOff::On),
        modification_protection_status: d.protection.as_str().to_owned(),
        modification_protection_reason: Some(d.protection_reason),
        resource_group_id: Some(
            r.resource_group_id
                .clone()
                .unwrap_or_else(|| DEFAULT_RESOURCE_GROUP.to_owned()),
        ),
        tags: d.tags.into_iter().collect(),
    }
}

/// `DeleteLoadBalancer`: refuses while delete protection is on; cascades to everything, and
/// an EIP bound to the CLB becomes `Available` again.
pub(crate) fn delete(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteLoadBalancerRequest,
) -> Result<Outcome, ApiError> {
    let lb = lb_by_id_for_write(state, &req.load_balancer_id)?;
    if lb.delete_protection {
        return Err(codes::DELETE_PROTECTION_IS_ON.error());
    }
    delete_load_balancer(&mut Some(lb.shared()), &lb.id).map_err(refused)?;
    let put_eips = state
        .eips
        .values()
        .filter(|e| e.instance_id == lb.id)
        .map(|e| super::eip::unbound(e, String::new()))
        .collect();
    Ok(Outcome {
        change: Change {
            delete_load_balancers: vec![lb.id.clone()],
            put_eips,
            ..Change::default()
        },
        ..Outcome::default()
    })
}
