//! CLB instance actions (spec §3.2): create (spec, charge type, address allocation by
//! address type, quota, ClientToken replay), delete (delete protection, cascade), describe,
//! and the attribute setters with their billing and charge-type rules (in `describe` and
//! `modify`).
//!
//! Listener, group and tag actions live in their own modules.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::params::{ParamReader, Params};
use slb_openapi::types::{
    AddressIpVersion, AddressType, InstanceChargeType, InternetChargeType,
    ModificationProtectionStatus, OnOff, PayType,
};

use super::tags::merge_tags;
use super::{Ctx, Outcome, State, find_lb_for_write};
use crate::address::{Cidr, Cidr6, allocate, allocate6};
use crate::model::LoadBalancer;
use crate::store::Change;

mod describe;
mod modify;

pub(crate) use describe::{describe_attribute, describe_list};
pub(crate) use modify::{
    modify_instance_charge_type, modify_instance_spec, modify_internet_spec, set_delete_protection,
    set_modification_protection, set_name, set_status,
};

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

fn taken_addresses(state: &State) -> BTreeSet<Ipv4Addr> {
    state
        .load_balancers
        .values()
        .filter_map(|lb| lb.address.parse().ok())
        .collect()
}

/// The VIP of an `AddressIPVersion=ipv6` CLB: the lowest free address of `ipv6_vip_pool`.
fn allocate_ipv6(state: &State, cx: &Ctx<'_>) -> Result<String, ApiError> {
    let taken: BTreeSet<Ipv6Addr> = state
        .load_balancers
        .values()
        .filter_map(|lb| match lb.address.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => Some(ip),
            _ => None,
        })
        .collect();
    let pool = Cidr6::parse(&cx.config.ipv6_vip_pool).map_err(|_| codes::INTERNAL_ERROR.error())?;
    let ip = allocate6(&pool, &taken).ok_or_else(|| {
        ApiError::service(
            "OperationFailed.InternetIpNotEnough",
            400,
            format!(
                "The IPv6 address pool of the local CLB ({}) is exhausted; widen ipv6_vip_pool \
                 in the config file (and assign the addresses on this host for traffic).",
                cx.config.ipv6_vip_pool
            ),
        )
    })?;
    Ok(ip.to_string())
}

/// `AddressIPVersion` with the IPv6 rules (spec part 2 §11.1): an IPv6 CLB must be
/// `internet`.
fn check_ip_version(
    version: AddressIpVersion,
    address_type: AddressType,
) -> Result<AddressIpVersion, ApiError> {
    if version == AddressIpVersion::Ipv6 && address_type == AddressType::Intranet {
        return Err(ApiError::service(
            "InvalidParameter.Mismatch",
            400,
            "AddressType and IpVersion is conflict, IPv6 does not support intranet instance.",
        ));
    }
    Ok(version)
}

/// `MasterZoneId`/`SlaveZoneId` must be zones of the region (spec part 2 §9, §12).
fn check_zones(cx: &Ctx<'_>, r: &ParamReader<'_>) -> Result<(), ApiError> {
    let zones = cx.config.zone_ids();
    for name in ["MasterZoneId", "SlaveZoneId"] {
        if let Some(zone) = r.opt::<String>(&[name])?
            && !zones.contains(&zone)
        {
            return Err(ApiError::service(
                "PRODUCT.NOT_AVAILABLE_IZ",
                400,
                format!(
                    "The Instance zone id doesn t support: {name} {zone} is not one of {}.",
                    zones.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Where the VIP comes from: (address, vpc, vswitch, zone).
fn allocate_address(
    state: &State,
    cx: &Ctx<'_>,
    r: &ParamReader<'_>,
    address_type: AddressType,
) -> Result<(String, String, String, String), ApiError> {
    let taken = taken_addresses(state);
    if address_type == AddressType::Internet {
        let pool = Cidr::parse(&cx.config.vip_pool).map_err(|_| codes::INTERNAL_ERROR.error())?;
        let ip = allocate(&pool, &taken).ok_or_else(|| {
            ApiError::service(
                "OperationFailed.InternetIpNotEnough",
                400,
                "The internet address pool of the local CLB is exhausted; widen --vip-pool.",
            )
        })?;
        return Ok((ip.to_string(), String::new(), String::new(), String::new()));
    }
    let vsw_id: Option<String> = r.opt(&["VSwitchId"])?;
    let vsw = match &vsw_id {
        Some(id) => cx.config.vswitch(id),
        None => cx.config.vswitches.first(),
    }
    .ok_or_else(|| {
        ApiError::service(
            "InvalidVSwitchId.NotFound",
            404,
            format!(
                "The specified VSwitchId {} does not exist.",
                vsw_id.unwrap_or_default()
            ),
        )
    })?;
    let vpc: Option<String> = r.opt(&["VpcId"])?;
    if let Some(vpc) = vpc.filter(|v| *v != vsw.vpc_id) {
        return Err(codes::NETWORK_CONFLICT.error_with(&format!(
            "vSwitch {} is in {}, not in {vpc}",
            vsw.id, vsw.vpc_id
        )));
    }
    let cidr = Cidr::parse(&vsw.cidr).map_err(|_| codes::INTERNAL_ERROR.error())?;
    let ip = match r.opt::<String>(&["Address"])? {
        Some(fixed) => {
            let ip: Ipv4Addr = fixed
                .parse()
                .ok()
                .filter(|ip| cidr.contains(*ip))
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        "Address",
                        "must be an IPv4 address inside the vSwitch's CIDR",
                    )
                })?;
            if taken.contains(&ip) {
                return Err(ApiError::service(
                    "InvalidIpAddress.AlreadyUsed",
                    400,
                    format!("The specified Address {ip} is already used."),
                ));
            }
            ip
        }
        None => {
            allocate(&cidr, &taken).ok_or_else(|| codes::VSWITCH_AVAILABLE_IP_NOT_EXIST.error())?
        }
    };
    Ok((
        ip.to_string(),
        vsw.vpc_id.clone(),
        vsw.id.clone(),
        vsw.zone_id.clone(),
    ))
}

/// `CreateLoadBalancer`.
pub(crate) fn create(state: &State, cx: &Ctx<'_>, params: &Params) -> Result<Outcome, ApiError> {
    let r = ParamReader::new(params);
    let token: Option<String> = r.opt(&["ClientToken"])?;
    if let Some(token) = &token
        && let Some(lb) = state
            .load_balancers
            .values()
            .find(|lb| lb.client_token == *token)
    {
        return Ok(Outcome::read(create_response(lb)));
    }
    cx.check_billing()?;
    if state.load_balancers.len() >= cx.config.quotas.load_balancers_per_account {
        return Err(ApiError::service(
            "QuotaExceeded.LoadBalancer",
            400,
            format!(
                "The number of load balancers exceeds the account quota of {}.",
                cx.config.quotas.load_balancers_per_account
            ),
        ));
    }
    let default_charge =
        InstanceChargeType::parse(&cx.faults.config().instance_charge_type).unwrap_or_default();
    let charge: InstanceChargeType = r.opt(&["InstanceChargeType"])?.unwrap_or(default_charge);
    let spec: Option<String> = r.opt(&["LoadBalancerSpec"])?;
    let spec = match (charge, spec) {
        (InstanceChargeType::PayBySpec, None) => return Err(codes::SHARE_SLB_HALT_SALES.error()),
        (InstanceChargeType::PayBySpec, Some(s)) => {
            check_spec(&s)?;
            s
        }
        (InstanceChargeType::PayByClcu, _) => String::new(),
    };
    let vsw_given = r.opt::<String>(&["VSwitchId"])?.is_some();
    let address_type: AddressType = r.opt(&["AddressType"])?.unwrap_or(if vsw_given {
        AddressType::Intranet
    } else {
        AddressType::Internet
    });
    let ip_version = check_ip_version(
        r.opt(&["AddressIPVersion"])?
            .unwrap_or(AddressIpVersion::Ipv4),
        address_type,
    )?;
    check_zones(cx, &r)?;
    let internet_charge: InternetChargeType = r.opt(&["InternetChargeType"])?.unwrap_or_default();
    if charge == InstanceChargeType::PayByClcu
        && internet_charge != InternetChargeType::PayByTraffic
    {
        return Err(ApiError::invalid_parameter(
            "InternetChargeType",
            "PayByCLCU allows paybytraffic only",
        ));
    }
    let bandwidth: u32 = r.opt(&["Bandwidth"])?.unwrap_or(5120);
    check_bandwidth(bandwidth)?;
    let name: String = r
        .opt(&["LoadBalancerName"])?
        .unwrap_or_else(|| AUTO_NAME.to_owned());
    check_name(&name)?;
    let mp_status: ModificationProtectionStatus = r
        .opt(&["ModificationProtectionStatus"])?
        .unwrap_or_default();
    let mp_reason: String = r
        .opt(&["ModificationProtectionReason"])?
        .unwrap_or_default();
    check_protection_reason(mp_status, &mp_reason)?;
    let mut tags = BTreeMap::new();
    merge_tags(
        &mut tags,
        &r.tags(&["Tag"])?,
        cx.config.quotas.tags_per_resource,
    )?;
    let (address, vpc_id, vswitch_id, zone) = if ip_version == AddressIpVersion::Ipv6 {
        // Internet (checked above): no vSwitch, like an IPv4 internet CLB.
        let ip = allocate_ipv6(state, cx)?;
        (ip, String::new(), String::new(), String::new())
    } else {
        allocate_address(state, cx, &r, address_type)?
    };
    let lb = LoadBalancer {
        id: Ctx::new_id("lb"),
        name,
        status: "active".to_owned(),
        address,
        address_type: address_type.as_str().to_owned(),
        address_ip_version: ip_version.as_str().to_owned(),
        network_type: if vpc_id.is_empty() { "classic" } else { "vpc" }.to_owned(),
        vpc_id,
        vswitch_id,
        master_zone_id: r.opt(&["MasterZoneId"])?.unwrap_or(zone),
        slave_zone_id: r.opt(&["SlaveZoneId"])?.unwrap_or_default(),
        spec,
        instance_charge_type: charge.as_str().to_owned(),
        internet_charge_type: internet_charge.as_str().to_owned(),
        bandwidth,
        pay_type: r
            .opt::<PayType>(&["PayType"])?
            .unwrap_or_default()
            .as_str()
            .to_owned(),
        resource_group_id: r
            .opt(&["ResourceGroupId"])?
            .unwrap_or_else(|| DEFAULT_RESOURCE_GROUP.to_owned()),
        delete_protection: r.opt::<OnOff>(&["DeleteProtection"])? == Some(OnOff::On),
        modification_protection_status: mp_status.as_str().to_owned(),
        modification_protection_reason: mp_reason,
        create_time_ms: cx.now_ms,
        tags,
        listeners: Vec::new(),
        vserver_groups: Vec::new(),
        client_token: token.unwrap_or_default(),
    };
    let body = create_response(&lb);
    Ok(Outcome {
        body,
        ..Outcome::put_lb(lb)
    })
}

/// `DeleteLoadBalancer`: refuses while delete protection is on; cascades to everything, and
/// an EIP bound to the CLB becomes `Available` again.
pub(crate) fn delete(state: &State, _cx: &Ctx<'_>, params: &Params) -> Result<Outcome, ApiError> {
    let lb = find_lb_for_write(state, params)?;
    if lb.delete_protection {
        return Err(codes::DELETE_PROTECTION_IS_ON.error());
    }
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
