//! Region and zone actions (spec part 2 §9): `DescribeRegions`, `DescribeZones` and
//! `DescribeAvailableResource`, answered from the configuration: the local CLB serves one
//! region (`region`) with the zones of `LocalConfig::zone_ids`, every ordered pair of two
//! different zones being a master/standby pair on sale.
//!
//! What each pair supports is what `CreateLoadBalancer` here accepts: IPv4 in every address
//! type, IPv6 only as an internet (classic) CLB. Nothing here changes state.

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    AcceptLanguage, DescribeAvailableResourceRequest, DescribeRegionsRequest, DescribeZonesRequest,
    ResourceAddressType,
};
use slb_openapi::error::ApiError;
use slb_openapi::types::AddressIpVersion;

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

/// `(AddressType, AddressIPVersion)` a zone pair supports here.
const SUPPORT: &[(ResourceAddressType, AddressIpVersion)] = &[
    (ResourceAddressType::Vpc, AddressIpVersion::Ipv4),
    (ResourceAddressType::ClassicInternet, AddressIpVersion::Ipv4),
    (ResourceAddressType::ClassicIntranet, AddressIpVersion::Ipv4),
    (ResourceAddressType::ClassicInternet, AddressIpVersion::Ipv6),
];

fn region_name(region: &str, language: AcceptLanguage) -> String {
    REGION_NAMES
        .iter()
        .find(|(id, ..)| *id == region)
        .map_or(region, |(_, zh, en, ja)| match language {
            AcceptLanguage::EnUs => en,
            AcceptLanguage::Ja => ja,
            AcceptLanguage::ZhCn => zh,
        })
        .to_owned()
}

/// The required `RegionId` (the engine has already checked it is the one served).
fn require_region(region: Option<&str>) -> Result<(), ApiError> {
    match region {
        Some(r) if !r.is_empty() => Ok(()),
        _ => Err(ApiError::missing_parameter("RegionId")),
    }
}

/// `DescribeRegions`: the one region served, in `AcceptLanguage` (`zh-CN` by default; the
/// parse refuses any other language).
pub(crate) fn describe_regions(
    _state: &State,
    cx: &Ctx<'_>,
    req: &DescribeRegionsRequest,
) -> Result<Outcome, ApiError> {
    let language = req.accept_language.unwrap_or_default();
    let region = &cx.config.region;
    let item = json!({
        "RegionId": region,
        "LocalName": region_name(region, language),
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
    req: &DescribeZonesRequest,
) -> Result<Outcome, ApiError> {
    require_region(req.region_id.as_deref())?;
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

/// `DescribeAvailableResource`: the zone pairs on sale with what they support, filtered by
/// `AddressType` (`vpc`, `classic_internet`, `classic_intranet`) and `AddressIPVersion`.
pub(crate) fn describe_available_resource(
    _state: &State,
    cx: &Ctx<'_>,
    req: &DescribeAvailableResourceRequest,
) -> Result<Outcome, ApiError> {
    require_region(req.region_id.as_deref())?;
    let support: Vec<Value> = SUPPORT
        .iter()
        .filter(|(t, _)| req.address_type.is_none_or(|a| a == *t))
        .filter(|(_, v)| req.address_ip_version.is_none_or(|x| x == *v))
        .map(|(t, v)| json!({ "AddressType": t.as_str(), "AddressIPVersion": v.as_str() }))
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
