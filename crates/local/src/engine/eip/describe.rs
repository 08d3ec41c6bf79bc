//! `DescribeEipAddresses` (spec part 2 §10.1): every parameter is a filter (an unknown
//! `AssociatedInstanceId` is an empty page, not an error), paged by `PageNumber`/`PageSize`.
//! EIPs carry no tags here, so a `Tag.N` filter matches none.

use serde_json::{Map, Value, json};
use slb_openapi::error::ApiError;
use slb_openapi::vpc::DescribeEipAddressesRequest;

use super::super::render::{iso_time, wrap};
use super::super::{Ctx, Outcome, State};
use super::{INSTANCE_TYPES, err};
use crate::model::Eip;

const STATUSES: &[&str] = &[
    "Associating",
    "Unassociating",
    "InUse",
    "Available",
    "Releasing",
];

/// A comma-separated filter of at most 50 values.
fn csv(raw: Option<&str>, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let values: Vec<String> = raw.split(',').map(|v| v.trim().to_owned()).collect();
    if values.len() > 50 {
        return Err(ApiError::invalid_parameter(
            name,
            "at most 50 comma-separated values",
        ));
    }
    Ok(Some(values))
}

fn one_of(
    value: Option<&str>,
    name: &str,
    allowed: &[&str],
    code: &str,
) -> Result<Option<String>, ApiError> {
    match value.map(str::to_owned) {
        Some(v) if !allowed.contains(&v.as_str()) => Err(err(
            code,
            400,
            format!("{name} {v:?} is not one of {}.", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

/// The filters of one call.
struct Filters {
    ids: Option<Vec<String>>,
    addresses: Option<Vec<String>>,
    instance_type: Option<String>,
    instance_id: Option<String>,
    status: Option<String>,
    charge_type: Option<String>,
    isp: Option<String>,
    name: Option<String>,
    resource_group: Option<String>,
    tagged: bool,
}

impl Filters {
    fn read(r: &DescribeEipAddressesRequest) -> Result<Self, ApiError> {
        Ok(Self {
            ids: csv(r.allocation_id.as_deref(), "AllocationId")?,
            addresses: csv(r.eip_address.as_deref(), "EipAddress")?,
            instance_type: one_of(
                r.associated_instance_type.as_deref(),
                "AssociatedInstanceType",
                INSTANCE_TYPES,
                "InvalidIAssociatedInstanceType.ValueNotSupported",
            )?,
            instance_id: r.associated_instance_id.clone(),
            status: one_of(r.status.as_deref(), "Status", STATUSES, "InvalidParameter")?,
            charge_type: one_of(
                r.charge_type.as_deref(),
                "ChargeType",
                &["PostPaid", "PrePaid"],
                "InvalidChargeType.ValueNotSupported",
            )?,
            isp: r.isp.clone(),
            name: r.eip_name.clone(),
            resource_group: r.resource_group_id.clone(),
            tagged: !r.tags.is_empty(),
        })
    }

    fn matches(&self, e: &Eip) -> bool {
        let eq = |f: &Option<String>, v: &str| f.as_deref().is_none_or(|f| f == v);
        self.ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&e.allocation_id))
            && self
                .addresses
                .as_ref()
                .is_none_or(|a| a.contains(&e.ip_address))
            && eq(&self.instance_type, &e.instance_type)
            && eq(&self.instance_id, &e.instance_id)
            && eq(&self.status, &e.status)
            && eq(&self.charge_type, "PostPaid")
            && eq(&self.isp, &e.isp)
            && eq(&self.name, &e.name)
            && eq(&self.resource_group, &e.resource_group_id)
            && !self.tagged
    }
}

fn item(e: &Eip, cx: &Ctx<'_>, state: &State) -> Value {
    let vpc = state
        .load_balancers
        .get(&e.instance_id)
        .map(|lb| lb.vpc_id.clone())
        .unwrap_or_default();
    let region = &cx.config.region;
    json!({
        "AllocationId": e.allocation_id,
        "IpAddress": e.ip_address,
        "Status": e.status,
        "InstanceId": e.instance_id,
        "InstanceType": e.instance_type,
        "InstanceRegionId": if e.instance_id.is_empty() { "" } else { region.as_str() },
        "PrivateIpAddress": "",
        "RegionId": region,
        "Bandwidth": e.bandwidth.to_string(),
        "EipBandwidth": e.bandwidth.to_string(),
        "InternetChargeType": e.internet_charge_type,
        "ChargeType": "PostPaid",
        "Name": e.name,
        "Description": e.description,
        "Descritpion": e.description,
        "AllocationTime": iso_time(e.allocation_time_ms),
        "ExpiredTime": "",
        "ISP": e.isp,
        "Netmode": "public",
        "Mode": "NAT",
        "ResourceGroupId": e.resource_group_id,
        "DeletionProtection": false,
        "VpcId": vpc,
        "OperationLocks": wrap("LockReason", Vec::new()),
        "Tags": wrap("Tag", Vec::new()),
    })
}

/// `DescribeEipAddresses`.
pub(crate) fn describe_eips(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeEipAddressesRequest,
) -> Result<Outcome, ApiError> {
    let filters = Filters::read(req)?;
    if req.dry_run == Some(true) {
        return Err(err(
            "DryRunOperation",
            400,
            "Request validation has been passed with DryRun flag set.",
        ));
    }
    let page: usize = req.page_number.unwrap_or(1) as usize;
    let size: usize = req.page_size.unwrap_or(10) as usize;
    if page == 0 {
        return Err(ApiError::invalid_parameter("PageNumber", "starts at 1"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid_parameter("PageSize", "must be 1–100"));
    }
    let mut hits: Vec<&Eip> = state.eips.values().filter(|e| filters.matches(e)).collect();
    hits.sort_by_key(|e| (e.allocation_time_ms, &e.allocation_id));
    let total = hits.len();
    let items: Vec<Value> = hits
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|e| item(e, cx, state))
        .collect();
    Ok(Outcome::read(Map::new())
        .with("TotalCount", total)
        .with("PageNumber", page)
        .with("PageSize", size)
        .with("EipAddresses", wrap("EipAddress", items)))
}
