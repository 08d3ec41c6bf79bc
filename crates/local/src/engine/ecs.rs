//! ECS read actions over the local inventory (spec §5): DescribeInstances and
//! DescribeNetworkInterfaces, with their filters (an ENI matches `PrivateIpAddress.N` by
//! any of its IPv4 addresses and `Ipv6Address.N` by any of its IPv6 addresses, compared as
//! parsed addresses) and both paging styles (`MaxResults` +
//! `NextToken`, or `PageNumber` + `PageSize`). Unknown ids are simply absent, as on ECS.
//!
//! Filters run first, then only the requested page is rendered to JSON, so an answer costs
//! the page, not the inventory. The inventory is written by the config file and the
//! `Local…` admin actions only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};
use slb_openapi::ecs::{DescribeInstancesRequest, DescribeNetworkInterfacesRequest};
use slb_openapi::error::ApiError;

use super::render::wrap;
use super::{Ctx, Outcome, State};
use crate::model::{Instance, NetworkInterface};

/// The paging fields both ECS requests have.
#[derive(Clone, Copy)]
struct Paging<'r> {
    max_results: Option<u32>,
    next_token: Option<&'r str>,
    page_number: Option<u32>,
    page_size: Option<u32>,
}

/// A page request: (offset, size, whether NextToken paging is used).
fn page(p: Paging<'_>, max: u32) -> Result<(usize, usize, bool), ApiError> {
    let (max_results, token) = (p.max_results, p.next_token);
    if max_results.is_some() || token.is_some() {
        let size = max_results.unwrap_or(10).clamp(10, max) as usize;
        let offset = match token {
            Some(t) => t.parse().map_err(|_| {
                ApiError::invalid_parameter(
                    "NextToken",
                    "pass back the NextToken of the previous page",
                )
            })?,
            None => 0,
        };
        return Ok((offset, size, true));
    }
    let number = p.page_number.unwrap_or(1).max(1) as usize;
    let size = p.page_size.unwrap_or(10).clamp(1, max) as usize;
    Ok(((number - 1).saturating_mul(size), size, false))
}

/// One page of the matching items: every match is counted for `TotalCount`, only the page
/// is rendered (30,000 instances rendered to answer `PageSize=10` used to cost 300 MB).
fn paged<'a, T: 'a>(
    matching: impl Iterator<Item = &'a T>,
    (offset, size, tokens): (usize, usize, bool),
    render: impl Fn(&T) -> Value,
    (key, item): (&str, &str),
) -> Outcome {
    let mut total = 0usize;
    let mut page = Vec::new();
    for m in matching {
        if total >= offset && page.len() < size {
            page.push(render(m));
        }
        total += 1;
    }
    let next = if tokens && offset.saturating_add(size) < total {
        (offset.saturating_add(size)).to_string()
    } else {
        String::new()
    };
    Outcome::read(Map::new())
        .with("NextToken", next)
        .with("PageSize", page.len())
        .with("PageNumber", offset / size.max(1) + 1)
        .with("TotalCount", total)
        .with(key, wrap(item, page))
}

fn instance_json(i: &Instance, region: &str) -> Value {
    let name = or(&i.instance_name, &i.instance_id);
    let d = &i.details;
    let tags: Vec<Value> = d
        .tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    json!({
        "InstanceId": i.instance_id,
        "RegionId": region,
        "ZoneId": i.zone_id,
        "InstanceType": or(&d.instance_type, "ecs.local"),
        "InstanceName": name,
        "HostName": or(&d.host_name, name),
        "Status": i.status,
        "InstanceNetworkType": "vpc",
        "InstanceChargeType": or(&d.instance_charge_type, "PostPaid"),
        "SpotStrategy": or(&d.spot_strategy, "NoSpot"),
        "VpcAttributes": {
            "VpcId": i.vpc_id, "VSwitchId": i.vswitch_id, "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [i.private_ip_address]},
        },
        "InnerIpAddress": {"IpAddress": []},
        "PublicIpAddress": {"IpAddress": d.public_ip_addresses},
        "EipAddress": {"IpAddress": d.eip_address, "AllocationId": "", "Bandwidth": 0, "InternetChargeType": ""},
        "NetworkInterfaces": {"NetworkInterface": [{
            "Type": "Primary", "NetworkInterfaceId": "", "PrimaryIpAddress": i.private_ip_address,
            "MacAddress": "", "PrivateIpSets": {"PrivateIpSet": [{"PrivateIpAddress": i.private_ip_address, "Primary": true}]},
        }]},
        "Tags": {"Tag": tags},
    })
}

/// `value`, or `default` when it is empty.
fn or<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() { default } else { value }
}

/// `DescribeInstances`.
pub(crate) fn describe_instances(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeInstancesRequest,
) -> Result<Outcome, ApiError> {
    let (ids, ips) = (&req.instance_ids, &req.private_ip_addresses);
    for (name, list) in [("InstanceIds", ids), ("PrivateIpAddresses", ips)] {
        if list.as_ref().is_some_and(|l| l.len() > 100) {
            return Err(ApiError::invalid_parameter(name, "at most 100 entries"));
        }
    }
    let (vpc, status) = (&req.vpc_id, &req.status);
    let page = page(
        Paging {
            max_results: req.max_results,
            next_token: req.next_token.as_deref(),
            page_number: req.page_number,
            page_size: req.page_size,
        },
        100,
    )?;
    let matching = state
        .instances
        .values()
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.instance_id)))
        .filter(|i| {
            ips.as_ref()
                .is_none_or(|ips| ips.contains(&i.private_ip_address))
        })
        .filter(|i| vpc.as_ref().is_none_or(|v| *v == i.vpc_id))
        .filter(|i| {
            status
                .as_ref()
                .is_none_or(|s| s.eq_ignore_ascii_case(&i.status))
        });
    let render = |i: &Instance| instance_json(i, &cx.config.region);
    Ok(paged(matching, page, render, ("Instances", "Instance")))
}

fn eni_json(e: &NetworkInterface) -> Value {
    let sets: Vec<Value> = e
        .private_ip_addresses
        .iter()
        .enumerate()
        .map(|(n, ip)| json!({"PrivateIpAddress": ip, "Primary": n == 0}))
        .collect();
    let v6: Vec<Value> = e
        .ipv6_addresses
        .iter()
        .map(|ip| json!({"Ipv6Address": ip}))
        .collect();
    json!({
        "NetworkInterfaceId": e.network_interface_id,
        "Status": e.status,
        "Type": e.eni_type,
        "VpcId": e.vpc_id,
        "VSwitchId": e.vswitch_id,
        "ZoneId": e.zone_id,
        "InstanceId": e.instance_id,
        "PrivateIpAddress": e.private_ip_addresses.first().cloned().unwrap_or_default(),
        "MacAddress": "",
        "SourceDestCheck": false,
        "PrivateIpSets": {"PrivateIpSet": sets},
        "Ipv6Sets": {"Ipv6Set": v6},
        "SecurityGroupIds": {"SecurityGroupId": []},
        "Tags": {"Tag": []},
    })
}

/// `NAME.N` (at most 100) as addresses of one family `A`; another family or a non-address is
/// an `InvalidParameter` naming `NAME.N` and where the address belongs (`hint`).
fn ip_list<A>(raw: &[String], name: &str, hint: &str) -> Result<Vec<IpAddr>, ApiError>
where
    A: std::str::FromStr + Into<IpAddr>,
{
    let field = format!("{name}.N");
    if raw.len() > 100 {
        return Err(ApiError::invalid_parameter(&field, "at most 100 entries"));
    }
    raw.iter()
        .map(|ip| {
            ip.parse::<A>().map(Into::into).map_err(|_| {
                ApiError::invalid_parameter(
                    &field,
                    &format!("{ip:?} is not an address of this family; {hint}"),
                )
            })
        })
        .collect()
}

/// Whether any of `held` (as written in the inventory) is one of `wanted`.
fn holds_any(held: &[String], wanted: &[IpAddr]) -> bool {
    held.iter()
        .filter_map(|ip| ip.parse::<IpAddr>().ok())
        .any(|ip| wanted.contains(&ip))
}

/// Reads one string field of an ENI (for equality filters).
type EniField = fn(&NetworkInterface) -> &str;

/// What `DescribeNetworkInterfaces` asks for: ids, addresses and field filters (all given
/// ones must match).
struct EniQuery<'r> {
    ids: &'r [String],
    v4: Vec<IpAddr>,
    v6: Vec<IpAddr>,
    filters: Vec<(&'r Option<String>, EniField)>,
}

impl<'r> EniQuery<'r> {
    /// The request's filters, checked (at most 100 ids; each address list in its family).
    fn new(req: &'r DescribeNetworkInterfacesRequest) -> Result<Self, ApiError> {
        let ids = &req.network_interface_ids;
        if ids.len() > 100 {
            return Err(ApiError::invalid_parameter(
                "NetworkInterfaceId.N",
                "at most 100 entries",
            ));
        }
        let v4 = ip_list::<Ipv4Addr>(
            &req.private_ip_addresses,
            "PrivateIpAddress",
            "IPv6 ones go in Ipv6Address.N",
        )?;
        let v6 = ip_list::<Ipv6Addr>(
            &req.ipv6_addresses,
            "Ipv6Address",
            "IPv4 ones go in PrivateIpAddress.N",
        )?;
        let filters: Vec<(&Option<String>, EniField)> = vec![
            (&req.vpc_id, |e| &e.vpc_id),
            (&req.vswitch_id, |e| &e.vswitch_id),
            (&req.status, |e| &e.status),
            (&req.interface_type, |e| &e.eni_type),
            (&req.instance_id, |e| &e.instance_id),
        ];
        Ok(Self {
            ids,
            v4,
            v6,
            filters,
        })
    }

    fn matches(&self, e: &NetworkInterface) -> bool {
        (self.ids.is_empty() || self.ids.contains(&e.network_interface_id))
            && (self.v4.is_empty() || holds_any(&e.private_ip_addresses, &self.v4))
            && (self.v6.is_empty() || holds_any(&e.ipv6_addresses, &self.v6))
            && self
                .filters
                .iter()
                .all(|(want, get)| want.as_ref().is_none_or(|w| w.eq_ignore_ascii_case(get(e))))
    }
}

/// `DescribeNetworkInterfaces`.
pub(crate) fn describe_network_interfaces(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeNetworkInterfacesRequest,
) -> Result<Outcome, ApiError> {
    let query = EniQuery::new(req)?;
    let page = page(
        Paging {
            max_results: req.max_results,
            next_token: req.next_token.as_deref(),
            page_number: req.page_number,
            page_size: req.page_size,
        },
        500,
    )?;
    let matching = state
        .network_interfaces
        .values()
        .filter(|e| query.matches(e));
    Ok(paged(
        matching,
        page,
        eni_json,
        ("NetworkInterfaceSets", "NetworkInterfaceSet"),
    ))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn rendered_for(total: usize, page_request: (usize, usize, bool)) -> (usize, Outcome) {
        let items: Vec<u32> = (0..u32::try_from(total).unwrap()).collect();
        let calls = Cell::new(0);
        let render = |n: &u32| {
            calls.set(calls.get() + 1);
            json!(n)
        };
        let out = paged(items.iter(), page_request, render, ("Items", "Item"));
        (calls.get(), out)
    }

    #[test]
    fn a_page_of_ten_renders_ten_items_out_of_thirty_thousand() {
        let (rendered, out) = rendered_for(30_000, (20, 10, false));
        assert_eq!(rendered, 10, "only the page is rendered");
        assert_eq!(out.body["TotalCount"], 30_000);
        assert_eq!(out.body["PageNumber"], 3);
        assert_eq!(out.body["Items"]["Item"][0], 20);
    }

    #[test]
    fn a_page_past_the_end_renders_nothing_and_tokens_stop() {
        let (rendered, out) = rendered_for(25, (20, 10, true));
        assert_eq!(rendered, 5);
        assert_eq!(out.body["NextToken"], "");
        let (rendered, _) = rendered_for(25, (40, 10, true));
        assert_eq!(rendered, 0);
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;

    #[test]
    fn an_instance_renders_every_field_the_node_controller_reads() {
        let mut i: Instance = serde_json::from_value(json!({
            "InstanceId": "i-1", "PrivateIpAddress": "10.0.0.1", "ZoneId": "cn-hangzhou-b",
            "Status": "Stopped", "InstanceType": "ecs.g7.large", "InstanceChargeType": "PrePaid",
            "SpotStrategy": "SpotAsPriceGo", "HostName": "host-1",
            "PublicIpAddresses": ["47.0.0.1"], "EipAddress": "47.0.0.2",
            "Tags": {"ack.alibabacloud.com/nodepool-id": "np-1"},
        }))
        .unwrap();
        let v = instance_json(&i, "cn-hangzhou");
        assert_eq!(v["InstanceType"], "ecs.g7.large");
        assert_eq!(v["InstanceChargeType"], "PrePaid");
        assert_eq!(v["SpotStrategy"], "SpotAsPriceGo");
        assert_eq!(v["HostName"], "host-1");
        assert_eq!(v["Status"], "Stopped");
        assert_eq!(v["PublicIpAddress"]["IpAddress"][0], "47.0.0.1");
        assert_eq!(v["EipAddress"]["IpAddress"], "47.0.0.2");
        let tag = &v["Tags"]["Tag"][0];
        assert_eq!(tag["TagKey"], "ack.alibabacloud.com/nodepool-id");
        i.details = Default::default();
        let v = instance_json(&i, "cn-hangzhou");
        let default = "empty fields render the local defaults";
        assert_eq!(v["InstanceType"], "ecs.local", "{default}");
        assert_eq!(v["HostName"], "i-1");
    }
}
