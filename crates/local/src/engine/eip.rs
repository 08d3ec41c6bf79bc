//! VPC elastic IP actions (spec part 2 §10): `AllocateEipAddress` from the configured
//! `eip_pool`, `AssociateEipAddress`/`UnassociateEipAddress` with a CLB (`SlbInstance`), the
//! filtered and paged `DescribeEipAddresses`, and `ReleaseEipAddress`, with the spec's error
//! codes. Transitions complete at once (`Available` ⇄ `InUse`), one EIP per CLB, and only an
//! intranet (VPC) CLB takes one: an internet CLB already has a public address.
//!
//! Not modelled, and refused with an error naming the parameter: prepaid EIPs (`PrePaid`,
//! `Period`, `PricingCycle`, `AutoPay`), other instance types (`EcsInstance`, `Nat`, …),
//! `PrivateIpAddress`, `Mode`, `Zone` and address pools. Traffic to an EIP is not forwarded:
//! the data plane listens on VIPs only, so the EIP is an address to report, not to reach.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde_json::{Map, Value, json};
use slb_openapi::error::ApiError;
use slb_openapi::params::Params;
use slb_openapi::vpc::{
    AllocateEipAddressRequest, AssociateEipAddressRequest, ReleaseEipAddressRequest,
    UnassociateEipAddressRequest,
};

use super::lb::DEFAULT_RESOURCE_GROUP;

use super::{Ctx, Outcome, State};
use crate::address::{Cidr, allocate};
use crate::model::Eip;
use crate::store::Change;

const SLB_INSTANCE: &str = "SlbInstance";
const INSTANCE_TYPES: &[&str] = &[
    "EcsInstance",
    "SlbInstance",
    "Nat",
    "HaVip",
    "NetworkInterface",
    "IpAddress",
];

fn err(code: &str, status: u16, message: impl Into<String>) -> ApiError {
    ApiError::service(code, status, message)
}

fn not_found() -> ApiError {
    err(
        "InvalidAllocationId.NotFound",
        404,
        "Specified allocation ID is not found.",
    )
}

fn incorrect_status(eip: &Eip) -> ApiError {
    err(
        "IncorrectEipStatus",
        400,
        format!(
            "Current elastic IP status does not support this operation: {} is {}.",
            eip.allocation_id, eip.status
        ),
    )
}

/// The parameters of unmodelled features each EIP action refuses by name.
const UNMODELLED: &[(&str, &[&str])] = &[
    (
        "AllocateEipAddress",
        &[
            "Period",
            "PricingCycle",
            "AutoPay",
            "InstanceId",
            "Zone",
            "PublicIpAddressPoolId",
        ],
    ),
    ("AssociateEipAddress", &["PrivateIpAddress", "Mode"]),
    ("UnassociateEipAddress", &["PrivateIpAddress"]),
];

/// Refuses, by name, `action`'s parameters of features the local CLB does not model (the
/// parse step runs it; see `dispatch::refuse_by_name`).
///
/// # Errors
/// `InvalidParameter` naming the first such parameter.
pub(crate) fn refuse_unmodelled_of(action: &str, params: &Params) -> Result<(), ApiError> {
    match UNMODELLED.iter().find(|(a, _)| *a == action) {
        Some((_, names)) => refuse_unmodelled(params, names),
        None => Ok(()),
    }
}

/// Refuses a parameter of a feature the local CLB does not model.
fn refuse_unmodelled(params: &Params, names: &[&str]) -> Result<(), ApiError> {
    match names
        .iter()
        .find(|n| params.get(**n).is_some_and(|v| !v.is_empty()))
    {
        Some(name) => Err(ApiError::invalid_parameter(
            name,
            "not modelled by the local CLB (PostPaid EIPs bound to CLBs only); leave it out",
        )),
        None => Ok(()),
    }
}

fn find<'s>(state: &'s State, id: &str) -> Result<&'s Eip, ApiError> {
    state.eips.get(id).ok_or_else(not_found)
}

fn put(eip: Eip) -> Outcome {
    Outcome {
        change: Change {
            put_eips: vec![eip],
            ..Change::default()
        },
        ..Outcome::default()
    }
}

/// Every address in use: VIPs and EIPs (the pools may overlap).
fn taken(state: &State) -> BTreeSet<Ipv4Addr> {
    let vips = state.load_balancers.values().map(|lb| &lb.address);
    let eips = state.eips.values().map(|e| &e.ip_address);
    vips.chain(eips).filter_map(|a| a.parse().ok()).collect()
}

/// The address of a new EIP: `IpAddress` if given (inside the pool and free), else the
/// lowest free one.
fn pick_address(state: &State, cx: &Ctx<'_>, fixed: Option<&str>) -> Result<String, ApiError> {
    let pool = Cidr::parse(&cx.config.eip_pool)
        .map_err(|e| err("InternalError", 500, format!("eip_pool: {e}")))?;
    let taken = taken(state);
    if let Some(fixed) = fixed {
        let ip: Ipv4Addr = fixed
            .parse()
            .ok()
            .filter(|ip| pool.contains(*ip))
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "IpAddress",
                    &format!(
                        "{fixed:?} is not an address of the EIP pool {}",
                        cx.config.eip_pool
                    ),
                )
            })?;
        if taken.contains(&ip) {
            return Err(err(
                "InvalidIpAddress.AlreadyUsed",
                400,
                format!("The specified IpAddress {ip} is already used."),
            ));
        }
        return Ok(ip.to_string());
    }
    let ip = allocate(&pool, &taken).ok_or_else(|| {
        err(
            "QuotaExceeded.Eip",
            400,
            format!(
                "Elastic IP address quota exceeded: the EIP pool {} of the local CLB is \
                 exhausted; release EIPs or widen eip_pool.",
                cx.config.eip_pool
            ),
        )
    })?;
    Ok(ip.to_string())
}

/// `(Bandwidth, InternetChargeType)` with the spec's ranges (PostPaid only).
fn bandwidth_and_charge(r: &AllocateEipAddressRequest) -> Result<(u32, String), ApiError> {
    let charge: String = r
        .internet_charge_type
        .clone()
        .unwrap_or_else(|| "PayByBandwidth".to_owned());
    let max = match charge.as_str() {
        "PayByBandwidth" => 500,
        "PayByTraffic" => 200,
        _ => {
            return Err(err(
                "InvalidParameter",
                400,
                "Specified value of \"InternetChargeType\" is not valid; use PayByBandwidth or PayByTraffic.",
            ));
        }
    };
    let raw: String = r.bandwidth.clone().unwrap_or_else(|| "5".to_owned());
    let bandwidth = raw
        .parse::<u32>()
        .ok()
        .filter(|b| (1..=max).contains(b))
        .ok_or_else(|| {
            err(
                "InvalidBandwidth.Malformed",
                400,
                format!("The specified Bandwidth is invalid: {raw:?} is not 1–{max} for {charge}."),
            )
        })?;
    Ok((bandwidth, charge))
}

/// What `AllocateEipAddress` refuses: prepaid EIPs (their parameters, address pools and
/// zones are refused at the parse step) and a non-`public` `Netmode`.
fn check_allocation(r: &AllocateEipAddressRequest) -> Result<(), ApiError> {
    if let Some(c) = &r.instance_charge_type
        && c != "PostPaid"
    {
        return Err(ApiError::invalid_parameter(
            "InstanceChargeType",
            &format!("{c:?}: the local CLB allocates PostPaid EIPs only"),
        ));
    }
    if let Some(n) = &r.netmode
        && n != "public"
    {
        return Err(ApiError::invalid_parameter("Netmode", "must be public"));
    }
    Ok(())
}

/// `AllocateEipAddress`.
pub(crate) fn allocate_eip(
    state: &State,
    cx: &Ctx<'_>,
    r: &AllocateEipAddressRequest,
) -> Result<Outcome, ApiError> {
    let token: String = r.client_token.clone().unwrap_or_default();
    if let Some(eip) = state
        .eips
        .values()
        .find(|e| !token.is_empty() && e.client_token == token)
    {
        return Ok(Outcome::read(allocate_response(eip)));
    }
    check_allocation(r)?;
    cx.check_billing()?;
    let (bandwidth, internet_charge_type) = bandwidth_and_charge(r)?;
    let eip = Eip {
        allocation_id: Ctx::new_id("eip"),
        ip_address: pick_address(state, cx, r.ip_address.as_deref())?,
        status: "Available".to_owned(),
        instance_id: String::new(),
        instance_type: String::new(),
        bandwidth,
        internet_charge_type,
        isp: r.isp.clone().unwrap_or_else(|| "BGP".to_owned()),
        name: r.name.clone().unwrap_or_default(),
        description: r.description.clone().unwrap_or_default(),
        resource_group_id: r
            .resource_group_id
            .clone()
            .unwrap_or_else(|| DEFAULT_RESOURCE_GROUP.to_owned()),
        allocation_time_ms: cx.now_ms,
        client_token: token,
        binding_token: String::new(),
    };
    let body = allocate_response(&eip);
    Ok(Outcome { body, ..put(eip) })
}

fn allocate_response(eip: &Eip) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("AllocationId".into(), json!(eip.allocation_id));
    m.insert("EipAddress".into(), json!(eip.ip_address));
    m.insert("ResourceGroupId".into(), json!(eip.resource_group_id));
    m
}

/// `InstanceType` of an (un)associate call: `SlbInstance`, or an error naming the choice.
fn instance_type(given: Option<&str>) -> Result<(), ApiError> {
    match given {
        Some(SLB_INSTANCE) => Ok(()),
        Some(t) if !INSTANCE_TYPES.contains(&t) => Err(err(
            "InvalidInstanceType.ValueNotSupported",
            400,
            format!(
                "InstanceType {t:?} is not one of {}.",
                INSTANCE_TYPES.join(", ")
            ),
        )),
        other => Err(err(
            "InvalidInstanceType.ValueNotSupported",
            400,
            format!(
                "InstanceType {} is not modelled by the local CLB, which binds EIPs to CLBs \
                 only; send InstanceType=SlbInstance with a lb-… InstanceId.",
                other.unwrap_or("EcsInstance (the default)")
            ),
        )),
    }
}

/// `AssociateEipAddress` with a CLB.
pub(crate) fn associate(
    state: &State,
    cx: &Ctx<'_>,
    r: &AssociateEipAddressRequest,
) -> Result<Outcome, ApiError> {
    let eip = find(state, &r.allocation_id)?;
    let instance = &r.instance_id;
    let token: String = r.client_token.clone().unwrap_or_default();
    if !token.is_empty() && eip.binding_token == token && eip.instance_id == *instance {
        return Ok(Outcome::default());
    }
    instance_type(r.instance_type.as_deref())?;
    let lb = state.load_balancers.get(instance).ok_or_else(|| {
        err(
            "InvalidInstanId.NotFound",
            404,
            "Specified instance does not exist.",
        )
    })?;
    if eip.status != "Available" {
        return Err(incorrect_status(eip));
    }
    if state.eips.values().any(|e| e.instance_id == lb.id) {
        return Err(err(
            "InvalidAssociation.Duplicated",
            400,
            "Specified instance already is associated.",
        ));
    }
    check_bindable(lb, cx, r)?;
    let mut bound = eip.clone();
    bound.status = "InUse".to_owned();
    bound.instance_id = lb.id.clone();
    bound.instance_type = SLB_INSTANCE.to_owned();
    bound.binding_token = token;
    Ok(put(bound))
}

/// Only an active, unlocked intranet CLB in a VPC takes an EIP (and `VpcId`/
/// `InstanceRegionId`, when given, must be its own).
fn check_bindable(
    lb: &crate::model::LoadBalancer,
    cx: &Ctx<'_>,
    r: &AssociateEipAddressRequest,
) -> Result<(), ApiError> {
    if lb.address_type != "intranet" || lb.status != "active" {
        return Err(err(
            "IncorrectInstanceStatus",
            400,
            format!(
                "The current status of the instance does not support this operation: {} is \
                 an {} CLB in status {}; EIPs bind to active intranet CLBs.",
                lb.id, lb.address_type, lb.status
            ),
        ));
    }
    if lb.vpc_id.is_empty() {
        return Err(err(
            "OperationDenied",
            400,
            "Specified instance is not in VPC.",
        ));
    }
    if let Some(vpc) = &r.vpc_id
        && *vpc != lb.vpc_id
    {
        return Err(ApiError::invalid_parameter(
            "VpcId",
            &format!("{} is in {}, not in {vpc}", lb.id, lb.vpc_id),
        ));
    }
    if let Some(region) = &r.instance_region_id
        && *region != cx.config.region
    {
        return Err(ApiError::invalid_parameter(
            "InstanceRegionId",
            &format!("this local CLB serves {} only", cx.config.region),
        ));
    }
    Ok(())
}

/// `UnassociateEipAddress` (`Force` is accepted: unbinding is immediate anyway).
pub(crate) fn unassociate(
    state: &State,
    _cx: &Ctx<'_>,
    r: &UnassociateEipAddressRequest,
) -> Result<Outcome, ApiError> {
    let eip = find(state, &r.allocation_id)?;
    let token: String = r.client_token.clone().unwrap_or_default();
    if !token.is_empty() && eip.binding_token == token && eip.status == "Available" {
        return Ok(Outcome::default());
    }
    instance_type(r.instance_type.as_deref())?;
    if eip.status != "InUse" {
        return Err(incorrect_status(eip));
    }
    if let Some(instance) = &r.instance_id
        && *instance != eip.instance_id
    {
        return Err(err(
            "InvalidBindInstance.NotFound",
            404,
            format!("{} is not bound to {instance}.", eip.allocation_id),
        ));
    }
    Ok(put(unbound(eip, token)))
}

/// `eip` after its binding is removed.
pub(crate) fn unbound(eip: &Eip, token: String) -> Eip {
    let mut e = eip.clone();
    e.status = "Available".to_owned();
    e.instance_id.clear();
    e.instance_type.clear();
    e.binding_token = token;
    e
}

/// `ReleaseEipAddress`: `Available` EIPs only.
pub(crate) fn release(
    state: &State,
    _cx: &Ctx<'_>,
    r: &ReleaseEipAddressRequest,
) -> Result<Outcome, ApiError> {
    let eip = find(state, &r.allocation_id)?;
    if eip.status != "Available" {
        return Err(incorrect_status(eip));
    }
    Ok(Outcome {
        change: Change {
            delete_eips: vec![eip.allocation_id.clone()],
            ..Change::default()
        },
        ..Outcome::default()
    })
}

mod describe;
pub(crate) use describe::describe_eips;
