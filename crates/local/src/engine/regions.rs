//! Region and zone actions (spec part 2 §9): `DescribeRegions`, `DescribeZones` and
//! `DescribeAvailableResource`, answered from the configuration: the local CLB serves one
//! region (`region`) with the zones of `LocalConfig::zone_ids`, every ordered pair of two
//! different zones being a master/standby pair on sale.
//!
//! What each pair supports is what `CreateLoadBalancer` here accepts: IPv4 in every address
//! type, IPv6 only as an internet (classic) CLB. Nothing here changes state.

use serde_json::{Map, Value, json};
use slb_openapi::error::ApiError;
use slb_openapi::params::{ParamReader, Params};

use super::render::wrap;
use super::{Ctx, Outcome, State};

/// Display names of some regions, as `(id, zh-CN, en-US, ja)`; any other region is named
/// by its id.
const REGION_NAMES: &[(&str, &str, &str, &str)] = &[
    (
        "cn-hangzhou",
        "华东1（杭州）",
        "China (Hangzhou)",
        "中国 (杭州)",
    ),
    (
        "cn-shanghai",
        "华东2（上海）",
        "China (Shanghai)",
        "中国 (上海)",
    ),
    (
        "cn-beijing",
        "华北2（北京）",
        "China (Beijing)",
        "中国 (北京)",
    ),
    (
        "cn-shenzhen",
        "华南1（深圳）",
        "China (Shenzhen)",
        "中国 (深セン)",
    ),
    ("ap-southeast-1", "新加坡", "Singapore", "シンガポール"),
];

/// The languages `AcceptLanguage` takes.
const LANGUAGES: &[&str] = &["zh-CN", "en-US", "ja"];

/// `(AddressType, AddressIPVersion)` a zone pair supports here.
const SUPPORT: &[(&str, &str)] = &[
    ("vpc", "ipv4"),
    ("classic_internet", "ipv4"),
    ("classic_intranet", "ipv4"),
    ("classic_internet", "ipv6"),
];

fn region_name(region: &str, language: &str) -> String {
    REGION_NAMES
        .iter()
        .find(|(id, ..)| *id == region)
        .map_or(region, |(_, zh, en, ja)| match language {
            "en-US" => en,
            "ja" => ja,
            _ => zh,
        })
        .to_owned()
}

/// `DescribeRegions`: the one region served, in `AcceptLanguage` (`zh-CN` by default).
pub(crate) fn describe_regions(
    _state: &State,
    cx: &Ctx<'_>,
    params: &Params,
) -> Result<Outcome, ApiError> {
    let r = ParamReader::new(params);
    let language: String = r
        .opt(&["AcceptLanguage"])?
        .unwrap_or_else(|| "zh-CN".to_owned());
    if !LANGUAGES.contains(&language.as_str()) {
        return Err(ApiError::invalid_parameter(
            "AcceptLanguage",
            &format!("{language:?} is not one of {}", LANGUAGES.join(", ")),
        ));
    }
    let region = &cx.config.region;
    let item = json!({
        "RegionId": region,
        "LocalName": region_name(region, &language),
        "RegionEndpoint": format!("slb.{region}.aliyuncs.com"),
    });
    Ok(Outcome::read(Map::new()).with("Regions", wrap("Region", vec![item])))
}

fn zone(id: &str) -> Value {
    json!({ "ZoneId": id, "LocalName": id })
}

/// `DescribeZones`: every zone with the other zones as its allowed standby zones.
pub(crate) fn describe_zones(
    _state: &State,
    cx: &Ctx<'_>,
    params: &Params,
) -> Result<Outcome, ApiError> {
    let _region: String = ParamReader::new(params).req(&["RegionId"])?;
    let zones = cx.config.zone_ids();
    let items = zones
        .iter()
        .map(|master| {
            let slaves = zones.iter().filter(|z| *z != master).map(|z| zone(z));
            let mut item = zone(master);
            if let Value::Object(m) = &mut item {
                m.insert("SlaveZones".into(), wrap("SlaveZone", slaves.collect()));
            }
            item
        })
        .collect();
    Ok(Outcome::read(Map::new()).with("Zones", wrap("Zone", items)))
}

/// An optional filter that must be one of `allowed`.
fn filter(r: &ParamReader<'_>, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    let value: Option<String> = r.opt(&[name])?;
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::invalid_parameter(
            name,
            &format!("{v:?} is not one of {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

/// `DescribeAvailableResource`: the zone pairs on sale with what they support, filtered by
/// `AddressType` (`vpc`, `classic_internet`, `classic_intranet`) and `AddressIPVersion`.
pub(crate) fn describe_available_resource(
    _state: &State,
    cx: &Ctx<'_>,
    params: &Params,
) -> Result<Outcome, ApiError> {
    let r = ParamReader::new(params);
    let _region: String = r.req(&["RegionId"])?;
    let address_type = filter(
        &r,
        "AddressType",
        &["vpc", "classic_internet", "classic_intranet"],
    )?;
    let version = filter(&r, "AddressIPVersion", &["ipv4", "ipv6"])?;
    let support: Vec<Value> = SUPPORT
        .iter()
        .filter(|(t, _)| address_type.as_deref().is_none_or(|a| a == *t))
        .filter(|(_, v)| version.as_deref().is_none_or(|x| x == *v))
        .map(|(t, v)| json!({ "AddressType": t, "AddressIPVersion": v }))
        .collect();
    let zones = cx.config.zone_ids();
    let mut items = Vec::new();
    if !support.is_empty() {
        for master in &zones {
            for slave in zones.iter().filter(|z| *z != master) {
                items.push(json!({
                    "MasterZoneId": master,
                    "SlaveZoneId": slave,
                    "SupportResources": wrap("SupportResource", support.clone()),
                }));
            }
        }
    }
    Ok(Outcome::read(Map::new()).with("AvailableResources", wrap("AvailableResource", items)))
}
