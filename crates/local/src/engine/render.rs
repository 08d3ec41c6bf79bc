//! Wire rendering of the records: Alibaba's JSON shapes (spec §2.1), with list wrappers
//! such as `{"Tag":[…]}`, the `"3"`/`"4"` InternetChargeType codes of DescribeLoadBalancers
//! items, and ISO/millisecond times. Pure functions from records to `serde_json` values.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::model::{Backend, LoadBalancer};

/// `{"<item>": items}`.
pub(crate) fn wrap(item: &str, items: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert(item.to_owned(), Value::Array(items));
    Value::Object(m)
}

/// Tags as `[{"TagKey","TagValue"}]`.
pub(crate) fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Value> {
    tags.iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect()
}

/// Tags as `{"Tag":[…]}`.
pub(crate) fn tags(tags: &BTreeMap<String, String>) -> Value {
    wrap("Tag", tag_list(tags))
}

/// ISO 8601 UTC time of a millisecond timestamp (`2024-01-02T03:04:05Z`).
pub(crate) fn iso_time(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

/// One backend in the response shape.
pub(crate) fn backend(b: &Backend, vpc_id: &str, region: &str) -> Value {
    json!({
        "ServerId": b.server_id,
        "Port": b.port,
        "Weight": b.weight,
        "Type": b.server_type,
        "ServerIp": b.server_ip,
        "Description": b.description,
        "VpcId": vpc_id,
        "ServerRegionId": region,
    })
}

/// `{"BackendServer":[…]}` of a member list.
pub(crate) fn backends(list: &[Backend], vpc_id: &str, region: &str) -> Value {
    wrap(
        "BackendServer",
        list.iter().map(|b| backend(b, vpc_id, region)).collect(),
    )
}

/// The fields DescribeLoadBalancers items and DescribeLoadBalancerAttribute share.
/// `describe_code` selects DescribeLoadBalancers' `"3"`/`"4"` InternetChargeType.
pub(crate) fn lb_fields(
    lb: &LoadBalancer,
    region: &str,
    describe_code: bool,
) -> Map<String, Value> {
    let charge_code = if lb.internet_charge_type == "paybybandwidth" {
        "3"
    } else {
        "4"
    };
    let internet_charge_type = if describe_code {
        charge_code.to_owned()
    } else {
        lb.internet_charge_type.clone()
    };
    let v = json!({
        "LoadBalancerId": lb.id,
        "LoadBalancerName": lb.name,
        "LoadBalancerStatus": lb.status,
        "Address": lb.address,
        "AddressType": lb.address_type,
        "AddressIPVersion": lb.address_ip_version,
        "NetworkType": lb.network_type,
        "VpcId": lb.vpc_id,
        "VSwitchId": lb.vswitch_id,
        "RegionId": region,
        "RegionIdAlias": region,
        "MasterZoneId": lb.master_zone_id,
        "SlaveZoneId": lb.slave_zone_id,
        "LoadBalancerSpec": lb.spec,
        "Bandwidth": lb.bandwidth,
        "InternetChargeType": internet_charge_type,
        "InternetChargeTypeAlias": lb.internet_charge_type,
        "InstanceChargeType": lb.instance_charge_type,
        "PayType": lb.pay_type,
        "CreateTime": iso_time(lb.create_time_ms),
        "CreateTimeStamp": lb.create_time_ms,
        "DeleteProtection": if lb.delete_protection { "on" } else { "off" },
        "ModificationProtectionStatus": lb.modification_protection_status,
        "ModificationProtectionReason": lb.modification_protection_reason,
        "ResourceGroupId": lb.resource_group_id,
        "Tags": tags(&lb.tags),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The DescribeLoadBalancerAttribute body.
pub(crate) fn lb_attribute(lb: &LoadBalancer, region: &str) -> Map<String, Value> {
    let mut m = lb_fields(lb, region, false);
    let ports: Vec<Value> = lb.listeners.iter().map(|l| json!(l.port)).collect();
    let pp: Vec<Value> = lb
        .listeners
        .iter()
        .map(|l| {
            json!({"ListenerPort": l.port, "ListenerProtocol": l.protocol,
                   "ListenerForward": l.setting("ListenerForward").unwrap_or("off"),
                   "ForwardPort": l.setting("ForwardPort").and_then(|p| p.parse::<u16>().ok()).unwrap_or(0),
                   "Description": l.description})
        })
        .collect();
    let legacy: Vec<Value> = lb
        .listeners
        .iter()
        .map(|l| json!({"ListenerPort": l.port, "ListenerProtocal": l.protocol}))
        .collect();
    m.insert("ListenerPorts".into(), wrap("ListenerPort", ports));
    m.insert(
        "ListenerPortsAndProtocol".into(),
        wrap("ListenerPortAndProtocol", pp),
    );
    m.insert(
        "ListenerPortsAndProtocal".into(),
        wrap("ListenerPortAndProtocal", legacy),
    );
    // The default server group is not modelled locally (the CCM uses vServer groups only).
    m.insert("BackendServers".into(), wrap("BackendServer", Vec::new()));
    m.insert("EndTime".into(), json!("2999-09-08T16:00:00Z"));
    m.insert("EndTimeStamp".into(), json!(32_493_801_600_000_i64));
    m.insert("AutoReleaseTime".into(), json!(0));
    m.insert("RenewalStatus".into(), json!("AutoRenewal"));
    m
}
