//! DescribeLoadBalancers (filters, tag filters, paging) and DescribeLoadBalancerAttribute.

use serde_json::{Map, Value};
use slb_openapi::error::ApiError;
use slb_openapi::params::{ParamReader, Params};
use slb_openapi::types::{Tag, TagKv};

use super::super::render::{self, lb_attribute, lb_fields};
use super::super::{Ctx, Outcome, State, find_lb};
use crate::model::LoadBalancer;
fn csv(r: &ParamReader<'_>, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    Ok(r.opt::<String>(&[name])?.map(|s| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    }))
}

fn tag_filters(r: &ParamReader<'_>) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = r
        .optjson::<Vec<TagKv>>(&["Tags"])?
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.tag_key, t.tag_value))
        .collect();
    out.extend(
        r.tags(&["Tag"])?
            .into_iter()
            .map(|Tag { key, value }| (key, value)),
    );
    Ok(out)
}

/// Whether `lb` passes DescribeLoadBalancers' filters (all given filters must match; tag
/// filters too, each one by key and, when given, value).
fn matches(
    lb: &LoadBalancer,
    r: &ParamReader<'_>,
    tag_filters: &[(String, String)],
) -> Result<bool, ApiError> {
    if let Some(ids) = csv(r, "LoadBalancerId")?
        && !ids.contains(&lb.id)
    {
        return Ok(false);
    }
    if let Some(names) = csv(r, "LoadBalancerName")?
        && !names.contains(&lb.name)
    {
        return Ok(false);
    }
    let scalar = [
        ("AddressType", &lb.address_type),
        ("NetworkType", &lb.network_type),
        ("VpcId", &lb.vpc_id),
        ("VSwitchId", &lb.vswitch_id),
        ("Address", &lb.address),
        ("AddressIPVersion", &lb.address_ip_version),
        ("LoadBalancerStatus", &lb.status),
        ("MasterZoneId", &lb.master_zone_id),
        ("SlaveZoneId", &lb.slave_zone_id),
        ("ResourceGroupId", &lb.resource_group_id),
        ("InstanceChargeType", &lb.instance_charge_type),
        ("PayType", &lb.pay_type),
        ("InternetChargeType", &lb.internet_charge_type),
    ];
    for (name, value) in scalar {
        if let Some(want) = r.opt::<String>(&[name])?
            && !want.eq_ignore_ascii_case(value)
        {
            return Ok(false);
        }
    }
    if let Some(server) = r.opt::<String>(&["ServerId"])?
        && !lb
            .vserver_groups
            .iter()
            .flat_map(|g| &g.backends)
            .any(|b| b.server_id == server)
    {
        return Ok(false);
    }
    for (key, value) in tag_filters {
        match lb.tags.get(key) {
            Some(v) if value.is_empty() || v == value => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// `DescribeLoadBalancers`: filters, then pages (default size 10, max 100).
pub(crate) fn describe_list(
    state: &State,
    cx: &Ctx<'_>,
    params: &Params,
) -> Result<Outcome, ApiError> {
    let r = ParamReader::new(params);
    let page_number: u32 = r.opt(&["PageNumber"])?.unwrap_or(1).max(1);
    let page_size: u32 = r.opt(&["PageSize"])?.unwrap_or(10);
    if !(1..=100).contains(&page_size) {
        return Err(ApiError::invalid_parameter("PageSize", "must be 1–100"));
    }
    let filters = tag_filters(&r)?;
    let mut hits = Vec::new();
    for lb in state.load_balancers.values() {
        if matches(lb, &r, &filters)? {
            hits.push(lb);
        }
    }
    hits.sort_by_key(|lb| (lb.create_time_ms, lb.id.clone()));
    let skip =
        usize::try_from(u64::from(page_number - 1) * u64::from(page_size)).unwrap_or(usize::MAX);
    let items: Vec<Value> = hits
        .iter()
        .skip(skip)
        .take(page_size as usize)
        .map(|lb| Value::Object(lb_fields(lb, &cx.config.region, true)))
        .collect();
    Ok(Outcome::read(Map::new())
        .with("PageNumber", page_number)
        .with("PageSize", page_size)
        .with("TotalCount", hits.len())
        .with("LoadBalancers", render::wrap("LoadBalancer", items)))
}

/// `DescribeLoadBalancerAttribute`.
pub(crate) fn describe_attribute(
    state: &State,
    cx: &Ctx<'_>,
    params: &Params,
) -> Result<Outcome, ApiError> {
    let lb = find_lb(state, params)?;
    Ok(Outcome::read(lb_attribute(lb, &cx.config.region)))
}
