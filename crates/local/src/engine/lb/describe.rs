//! DescribeLoadBalancers (filters, tag filters, paging) and DescribeLoadBalancerAttribute.

use serde_json::{Map, Value};
use slb_openapi::clb::{DescribeLoadBalancerAttributeRequest, DescribeLoadBalancersRequest};
use slb_openapi::error::ApiError;
use slb_openapi::params::ParamValue;
use slb_openapi::types::Tag;

use super::super::render::{self, lb_attribute, lb_fields};
use super::super::{Ctx, Outcome, State, lb_by_id};
use crate::model::LoadBalancer;
fn csv(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|s| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    })
}

fn tag_filters(r: &DescribeLoadBalancersRequest) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .tags_json
        .iter()
        .flatten()
        .map(|t| (t.tag_key.clone(), t.tag_value.clone()))
        .collect();
    out.extend(
        r.tags
            .iter()
            .map(|Tag { key, value }| (key.clone(), value.clone())),
    );
    out
}

/// A filter's wire text.
fn text<T: ParamValue>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ParamValue::to_param)
}

/// Whether `lb` passes DescribeLoadBalancers' one-value filters (any letter case).
fn scalars_match(lb: &LoadBalancer, r: &DescribeLoadBalancersRequest) -> bool {
    let scalar = [
        (text(&r.address_type), &lb.address_type),
        (r.network_type.clone(), &lb.network_type),
        (r.vpc_id.clone(), &lb.vpc_id),
        (r.vswitch_id.clone(), &lb.vswitch_id),
        (r.address.clone(), &lb.address),
        (text(&r.address_ip_version), &lb.address_ip_version),
        (text(&r.load_balancer_status), &lb.status),
        (r.master_zone_id.clone(), &lb.master_zone_id),
        (r.slave_zone_id.clone(), &lb.slave_zone_id),
        (r.resource_group_id.clone(), &lb.resource_group_id),
        (text(&r.instance_charge_type), &lb.instance_charge_type),
        (text(&r.pay_type), &lb.pay_type),
        (text(&r.internet_charge_type), &lb.internet_charge_type),
    ];
    scalar
        .into_iter()
        .all(|(want, value)| want.is_none_or(|w| w.eq_ignore_ascii_case(value)))
}

/// Whether `lb` passes DescribeLoadBalancers' filters (all given filters must match; tag
/// filters too, each one by key and, when given, value).
fn matches(
    lb: &LoadBalancer,
    r: &DescribeLoadBalancersRequest,
    tag_filters: &[(String, String)],
) -> bool {
    if let Some(ids) = csv(r.load_balancer_id.as_deref())
        && !ids.contains(&lb.id)
    {
        return false;
    }
    if let Some(names) = csv(r.load_balancer_name.as_deref())
        && !names.contains(&lb.name)
    {
        return false;
    }
    if !scalars_match(lb, r) {
        return false;
    }
    if let Some(server) = &r.server_id
        && !lb
            .vserver_groups
            .iter()
            .flat_map(|g| &g.backends)
            .any(|b| b.server_id == *server)
    {
        return false;
    }
    tag_filters.iter().all(|(key, value)| {
        lb.tags
            .get(key)
            .is_some_and(|v| value.is_empty() || v == value)
    })
}

/// `DescribeLoadBalancers`: filters, then pages (default size 10, max 100).
pub(crate) fn describe_list(
    state: &State,
    cx: &Ctx<'_>,
    r: &DescribeLoadBalancersRequest,
) -> Result<Outcome, ApiError> {
    let page_number: u32 = r.page_number.unwrap_or(1).max(1);
    let page_size: u32 = r.page_size.unwrap_or(10);
    if !(1..=100).contains(&page_size) {
        return Err(ApiError::invalid_parameter("PageSize", "must be 1–100"));
    }
    let filters = tag_filters(r);
    let mut hits: Vec<&LoadBalancer> = state
        .load_balancers
        .values()
        .filter(|lb| matches(lb, r, &filters))
        .collect();
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
    r: &DescribeLoadBalancerAttributeRequest,
) -> Result<Outcome, ApiError> {
    let lb = lb_by_id(state, &r.load_balancer_id)?;
    Ok(Outcome::read(lb_attribute(lb, &cx.config.region)))
}
