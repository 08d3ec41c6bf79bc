//! Where a new CLB's VIP comes from (spec §3.2, part 2 §11.1): an internet IPv4 VIP from
//! `vip_pool`, an intranet one from its vSwitch's CIDR (or the fixed `Address`), an IPv6 one
//! from `ipv6_vip_pool`; with the checks that go with them (an IPv6 CLB is internet, the
//! zones are the region's). Pure: the addresses already taken come from the state.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use slb_openapi::clb::CreateLoadBalancerRequest;
use slb_openapi::error::{ApiError, codes};
use slb_openapi::types::{AddressIpVersion, AddressType};

use super::super::{Ctx, State};
use crate::address::{Cidr, Cidr6, allocate, allocate6};

fn taken_addresses(state: &State) -> BTreeSet<Ipv4Addr> {
    state
        .load_balancers
        .values()
        .filter_map(|lb| lb.address.parse().ok())
        .collect()
}

/// The VIP of an `AddressIPVersion=ipv6` CLB: the lowest free address of `ipv6_vip_pool`.
pub(super) fn allocate_ipv6(state: &State, cx: &Ctx<'_>) -> Result<String, ApiError> {
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
pub(super) fn check_ip_version(
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
pub(super) fn check_zones(cx: &Ctx<'_>, r: &CreateLoadBalancerRequest) -> Result<(), ApiError> {
    let zones = cx.config.zone_ids();
    for (name, zone) in [
        ("MasterZoneId", &r.master_zone_id),
        ("SlaveZoneId", &r.slave_zone_id),
    ] {
        if let Some(zone) = zone
            && !zones.contains(zone)
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
pub(super) fn allocate_address(
    state: &State,
    cx: &Ctx<'_>,
    r: &CreateLoadBalancerRequest,
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
    let vsw_id: Option<String> = r.vswitch_id.clone();
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
    let vpc: Option<String> = r.vpc_id.clone();
    if let Some(vpc) = vpc.filter(|v| *v != vsw.vpc_id) {
        return Err(codes::NETWORK_CONFLICT.error_with(&format!(
            "vSwitch {} is in {}, not in {vpc}",
            vsw.id, vsw.vpc_id
        )));
    }
    let cidr = Cidr::parse(&vsw.cidr).map_err(|_| codes::INTERNAL_ERROR.error())?;
    let ip = intranet_ip(&cidr, &taken, r.address.as_deref())?;
    Ok((
        ip.to_string(),
        vsw.vpc_id.clone(),
        vsw.id.clone(),
        vsw.zone_id.clone(),
    ))
}

/// The intranet VIP inside `cidr`: the fixed `Address` if given (free and inside), else the
/// lowest free host.
fn intranet_ip(
    cidr: &Cidr,
    taken: &BTreeSet<Ipv4Addr>,
    fixed: Option<&str>,
) -> Result<Ipv4Addr, ApiError> {
    let ip = match fixed {
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
            allocate(cidr, taken).ok_or_else(|| codes::VSWITCH_AVAILABLE_IP_NOT_EXIST.error())?
        }
    };
    Ok(ip)
}
