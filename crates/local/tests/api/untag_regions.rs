//! UntagResources without keys (spec part 2 §11.2: every tag goes, whatever `All` says) and
//! its key limits, and the region actions (§9): DescribeRegions, DescribeZones and
//! DescribeAvailableResource answered from the config's one region and its zones.

use serde_json::Value;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{ResourceType, Tag};

use crate::support::*;

async fn tagged_lb(h: &Harness) -> String {
    let lb = create_lb(h, "tags").await.load_balancer_id;
    let req = TagResourcesRequest {
        resource_type: ResourceType::Instance,
        resource_ids: vec![lb.clone()],
        tags: vec![Tag::new("a", "1"), Tag::new("b", "2")],
        ..Default::default()
    };
    h.client.tag_resources(&req).await.unwrap();
    lb
}

fn untag(lb: &str, keys: &[&str], all: Option<bool>) -> UntagResourcesRequest {
    UntagResourcesRequest {
        resource_type: ResourceType::Instance,
        resource_ids: vec![lb.into()],
        tag_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        all,
        ..Default::default()
    }
}

async fn keys(h: &Harness, lb: &str) -> Vec<String> {
    let req = ListTagResourcesRequest {
        resource_type: ResourceType::Instance,
        resource_ids: vec![lb.into()],
        ..Default::default()
    };
    let got = h.client.list_tag_resources(&req).await.unwrap();
    got.tag_resources.into_iter().map(|t| t.tag_key).collect()
}

#[tokio::test]
async fn untag_without_keys_removes_every_tag_with_all_true_false_or_absent() {
    let h = start().await;
    for all in [Some(true), Some(false), None] {
        let lb = tagged_lb(&h).await;
        h.client
            .untag_resources(&untag(&lb, &[], all))
            .await
            .unwrap();
        assert!(keys(&h, &lb).await.is_empty(), "All={all:?}");
    }
}

#[tokio::test]
async fn untag_with_keys_ignores_all_and_removes_only_those_keys() {
    let h = start().await;
    let lb = tagged_lb(&h).await;
    h.client
        .untag_resources(&untag(&lb, &["a", "missing"], Some(true)))
        .await
        .unwrap();
    assert_eq!(keys(&h, &lb).await, ["b"]);
}

#[tokio::test]
async fn untag_key_limits_are_the_services_codes() {
    let h = start().await;
    let lb = tagged_lb(&h).await;
    assert_code(
        h.client
            .untag_resources(&untag(&lb, &["a", "a"], None))
            .await,
        "Duplicate.TagKey",
        400,
    );
    let many: Vec<String> = (0..21).map(|i| format!("k{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_code(
        h.client.untag_resources(&untag(&lb, &many, None)).await,
        "SizeLimitExceeded.TagKey",
        400,
    );
    let long = "k".repeat(65);
    assert_code(
        h.client.untag_resources(&untag(&lb, &[&long], None)).await,
        "InvalidParam.TagKey",
        400,
    );
    assert_eq!(
        keys(&h, &lb).await,
        ["a", "b"],
        "a refused call changes nothing"
    );
}

#[tokio::test]
async fn describe_regions_answers_the_one_region_in_the_asked_language() {
    let h = start().await;
    let (status, body) = raw(h.addr, "GET", "DescribeRegions", &[]).await;
    assert_eq!(status, 200, "{body}");
    let regions = &body["Regions"]["Region"];
    assert_eq!(regions.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(regions[0]["RegionId"], "cn-hangzhou");
    assert_eq!(regions[0]["LocalName"], "华东1（杭州）");
    assert_eq!(regions[0]["RegionEndpoint"], "slb.cn-hangzhou.aliyuncs.com");
    let (_, en) = raw(
        h.addr,
        "GET",
        "DescribeRegions",
        &[("AcceptLanguage", "en-US")],
    )
    .await;
    assert_eq!(en["Regions"]["Region"][0]["LocalName"], "China (Hangzhou)");
    let (status, bad) = raw(
        h.addr,
        "GET",
        "DescribeRegions",
        &[("AcceptLanguage", "fr")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), bad["Code"].as_str()),
        (400, Some("InvalidParameter"))
    );
}

fn zone_ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|z| z["ZoneId"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn describe_zones_lists_each_zone_with_the_others_as_standby() {
    let h = start().await;
    let (status, body) = raw(
        h.addr,
        "GET",
        "DescribeZones",
        &[("RegionId", "cn-hangzhou")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let zones = &body["Zones"]["Zone"];
    assert_eq!(zone_ids(zones), ["cn-hangzhou-a", "cn-hangzhou-b"]);
    assert_eq!(
        zone_ids(&zones[0]["SlaveZones"]["SlaveZone"]),
        ["cn-hangzhou-b"]
    );
    let (status, body) = raw(
        h.addr,
        "GET",
        "DescribeZones",
        &[("RegionId", "cn-shanghai")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str()),
        (404, Some("InvalidRegionId.NotFound")),
        "another region: {body}"
    );
}

async fn available(h: &Harness, filters: &[(&str, &str)]) -> (u16, Value) {
    let mut params = vec![("RegionId", "cn-hangzhou")];
    params.extend_from_slice(filters);
    let (status, body) = raw(h.addr, "GET", "DescribeAvailableResource", &params).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn describe_available_resource_pairs_zones_and_filters_what_they_support() {
    let h = start().await;
    let (status, body) = available(&h, &[]).await;
    assert_eq!(status, 200, "{body}");
    let pairs = body["AvailableResources"]["AvailableResource"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(pairs.len(), 2, "a→b and b→a: {body}");
    assert_eq!(
        (
            pairs[0]["MasterZoneId"].as_str(),
            pairs[0]["SlaveZoneId"].as_str()
        ),
        (Some("cn-hangzhou-a"), Some("cn-hangzhou-b"))
    );
    assert_eq!(
        pairs[0]["SupportResources"]["SupportResource"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    let (_, v6) = available(&h, &[("AddressIPVersion", "ipv6")]).await;
    let support =
        &v6["AvailableResources"]["AvailableResource"][0]["SupportResources"]["SupportResource"];
    assert_eq!(support.as_array().map(Vec::len), Some(1), "{v6}");
    assert_eq!(support[0]["AddressType"], "classic_internet");
    let (_, none) = available(&h, &[("AddressType", "vpc"), ("AddressIPVersion", "ipv6")]).await;
    assert_eq!(
        none["AvailableResources"]["AvailableResource"],
        Value::Array(vec![])
    );
    let (status, bad) = available(&h, &[("AddressType", "internet")]).await;
    assert_eq!(
        (status, bad["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{bad}"
    );
}
