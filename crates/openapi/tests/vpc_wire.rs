//! The VPC route actions on the wire: the exact signed parameters the reference CCM sends
//! (spec `ccm-nodes-routes.md` §6.2: `Version=2016-04-28`, `RouteEntries.N.*` flattening,
//! `MaxResult` singular), the response shapes decoded from the service's JSON (wrapped
//! lists, the misspelt `RouteEntrys`, bare `FailedRouteEntries`), the parse back on the
//! server side, and `VPC_ENDPOINT`.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use serde_json::json;
use slb_openapi::config::{EndpointOverrides, Network, default_host};
use slb_openapi::vpc::*;
use slb_openapi::{Action, Product, Vpc};
use support::TestServer;

fn stable(server: &TestServer) -> BTreeMap<String, String> {
    let mut p = server.seen().pop().unwrap().stable_params();
    for k in [
        "AccessKeyId",
        "Format",
        "SignatureMethod",
        "SignatureType",
        "SignatureVersion",
    ] {
        p.remove(k);
    }
    p
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn item(table: &str, cidr: &str, hop: &str) -> RouteEntryItem {
    RouteEntryItem {
        route_table_id: table.into(),
        dst_cidr_block: cidr.into(),
        next_hop: hop.into(),
        next_hop_type: "Instance".into(),
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn create_route_entries_flattens_each_item_with_the_vpc_version() {
    let server = TestServer::start(|_, _| {
        json!({"SuccessCount": 1, "FailedCount": 1, "RouteEntryIds": ["rte-1"],
               "FailedRouteEntries": [{"DstCidrBlock": "10.1.1.0/24", "NextHop": "i-2",
               "FailedCode": "VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE", "FailedMessage": "dup"}]})
    })
    .await;
    let resp = server
        .client()
        .create_route_entries(&CreateRouteEntriesRequest {
            route_entries: vec![
                item("vtb-1", "10.1.0.0/24", "i-1"),
                item("vtb-1", "10.1.1.0/24", "i-2"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        stable(&server),
        map(&[
            ("Action", "CreateRouteEntries"),
            ("RegionId", "cn-hangzhou"),
            ("RouteEntries.1.DstCidrBlock", "10.1.0.0/24"),
            ("RouteEntries.1.NextHop", "i-1"),
            ("RouteEntries.1.NextHopType", "Instance"),
            ("RouteEntries.1.RouteTableId", "vtb-1"),
            ("RouteEntries.2.DstCidrBlock", "10.1.1.0/24"),
            ("RouteEntries.2.NextHop", "i-2"),
            ("RouteEntries.2.NextHopType", "Instance"),
            ("RouteEntries.2.RouteTableId", "vtb-1"),
            ("Version", "2016-04-28"),
        ])
    );
    assert_eq!(resp.route_entry_ids, vec!["rte-1".to_owned()]);
    assert_eq!(
        resp.failed_route_entries[0].failed_code,
        ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE
    );
    assert_eq!(resp.failed_route_entries[0].next_hop, "i-2");
}

#[tokio::test(start_paused = true)]
async fn describe_route_entry_list_sends_the_references_filters_and_decodes_route_entrys() {
    let server = TestServer::start(|_, _| {
        json!({"NextToken": "t2", "RouteEntrys": {"RouteEntry": [{
            "RouteEntryId": "rte-1", "RouteTableId": "vtb-1", "DestinationCidrBlock": "172.20.1.0/24",
            "Type": "Custom", "Status": "Available",
            "NextHops": {"NextHop": [{"NextHopType": "Instance", "NextHopId": "i-1", "Enabled": 1}]}}]}})
    })
    .await;
    let resp = server
        .client()
        .describe_route_entry_list(&DescribeRouteEntryListRequest {
            route_table_id: "vtb-1".into(),
            route_entry_type: Some("Custom".into()),
            next_hop_type: Some("Instance".into()),
            max_result: Some(500),
            next_token: Some("t1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        stable(&server),
        map(&[
            ("Action", "DescribeRouteEntryList"),
            ("MaxResult", "500"),
            ("NextHopType", "Instance"),
            ("NextToken", "t1"),
            ("RegionId", "cn-hangzhou"),
            ("RouteEntryType", "Custom"),
            ("RouteTableId", "vtb-1"),
            ("Version", "2016-04-28"),
        ])
    );
    assert_eq!(resp.next_token, "t2");
    let entry = &resp.route_entrys[0];
    assert_eq!(
        (
            entry.destination_cidr_block.as_str(),
            entry.entry_type.as_str()
        ),
        ("172.20.1.0/24", "Custom")
    );
    assert_eq!(entry.next_hops[0].next_hop_id, "i-1");
    assert_eq!(entry.next_hops[0].enabled, 1);
}

#[tokio::test(start_paused = true)]
async fn describe_route_table_list_decodes_router_table_list_type() {
    let server = TestServer::start(|_, _| {
        json!({"TotalCount": "1", "RouterTableList": {"RouterTableListType": [{
            "RouteTableId": "vtb-1", "RouteTableType": "System", "VpcId": "vpc-1",
            "VSwitchIds": {"VSwitchId": ["vsw-1"]}}]}})
    })
    .await;
    let resp = server
        .client()
        .describe_route_table_list(&DescribeRouteTableListRequest {
            vpc_id: Some("vpc-1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        stable(&server).get("VpcId").map(String::as_str),
        Some("vpc-1")
    );
    assert_eq!(resp.total_count, 1);
    assert_eq!(resp.router_table_list[0].route_table_type, "System");
    assert_eq!(
        resp.router_table_list[0].vswitch_ids,
        vec!["vsw-1".to_owned()]
    );
}

#[test]
fn route_entries_parse_back_and_a_missing_field_names_its_parameter() {
    let req = DeleteRouteEntriesRequest {
        route_entries: vec![RouteEntryItem {
            next_hop_type: String::new(),
            ..item("vtb-1", "10.0.0.0/24", "i-1")
        }],
        ..Default::default()
    };
    assert_eq!(
        DeleteRouteEntriesRequest::from_params(&req.to_params()).unwrap(),
        req
    );
    let err =
        DeleteRouteEntriesRequest::from_params(&map(&[("RouteEntries.1.RouteTableId", "vtb-1")]))
            .unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    assert!(
        err.message.contains("RouteEntries.1.DstCidrBlock"),
        "{}",
        err.message
    );
}

#[test]
fn vpc_endpoint_overrides_and_the_default_host() {
    let o = EndpointOverrides::from_lookup(|k| {
        (k == "VPC_ENDPOINT").then(|| "http://127.0.0.1:9000/x".to_owned())
    })
    .unwrap();
    assert_eq!(o.vpc.as_deref(), Some("127.0.0.1:9000"));
    assert_eq!(Product::Vpc.version(), "2016-04-28");
    assert_eq!(
        default_host(Product::Vpc, "cn-beijing", Network::Vpc),
        "vpc-vpc.cn-beijing.aliyuncs.com"
    );
    assert_eq!(
        default_host(Product::Vpc, "cn-hangzhou", Network::Public),
        "vpc.cn-hangzhou.aliyuncs.com"
    );
    assert_eq!(<CreateRouteEntriesRequest as Action>::PRODUCT, Product::Vpc);
}
