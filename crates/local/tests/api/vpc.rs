//! VPC route tables over the signed HTTP API: the seeded `System` table, entries created one
//! by one and in batches (duplicates, reserved ranges, unknown instances and the quota fail
//! with the service's codes), listing with the reference's filters and paging, deletion
//! (not-exist codes), unmodelled parameters refused by name, and durability across a restart.

use slb_local::config::RouteTableConfig;
use slb_local::store::SqliteStore;
use slb_openapi::Vpc;
use slb_openapi::client::{CommonParams, signed_params, utc_timestamp};
use slb_openapi::config::Credentials;
use slb_openapi::vpc::*;
use slb_openapi::{Params, Product};

use crate::support::*;

const TABLE: &str = "vtb-local";

fn item(cidr: &str, hop: &str) -> RouteEntryItem {
    RouteEntryItem {
        route_table_id: TABLE.into(),
        dst_cidr_block: cidr.into(),
        next_hop: hop.into(),
        next_hop_type: "Instance".into(),
        ..Default::default()
    }
}

/// A `DeleteRouteEntries` item: no `NextHopType` (the action has none).
fn delete_item(cidr: &str, hop: &str) -> RouteEntryItem {
    RouteEntryItem {
        next_hop_type: String::new(),
        ..item(cidr, hop)
    }
}

fn create(cidr: &str, hop: &str) -> CreateRouteEntryRequest {
    CreateRouteEntryRequest {
        route_table_id: TABLE.into(),
        destination_cidr_block: cidr.into(),
        next_hop_type: Some("Instance".into()),
        next_hop_id: Some(hop.into()),
        ..Default::default()
    }
}

async fn custom_entries(h: &Harness, table: &str) -> Vec<RouteEntry> {
    let req = DescribeRouteEntryListRequest {
        route_table_id: table.into(),
        route_entry_type: Some("Custom".into()),
        next_hop_type: Some("Instance".into()),
        max_result: Some(500),
        ..Default::default()
    };
    h.client
        .describe_route_entry_list(&req)
        .await
        .unwrap()
        .route_entrys
}

/// A signed VPC request (the shared `sign` picks Slb/Ecs only).
fn signed_vpc(action: &str, params: &[(&str, &str)]) -> Params {
    let creds = Credentials::new(AK_ID, AK_SECRET);
    let ts = utc_timestamp();
    let nonce = uuid_nonce();
    let common = CommonParams {
        action,
        product: Product::Vpc,
        region_id: "cn-hangzhou",
        credentials: &creds,
        nonce: &nonce,
        timestamp: &ts,
    };
    let base = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    signed_params(base, &common)
}

#[tokio::test]
async fn every_vpc_of_the_vswitches_has_one_system_table() {
    let h = start().await;
    let req = DescribeRouteTableListRequest {
        vpc_id: Some("vpc-local".into()),
        ..Default::default()
    };
    let tables = h.client.describe_route_table_list(&req).await.unwrap();
    assert_eq!(tables.total_count, 1);
    let t = &tables.router_table_list[0];
    assert_eq!(
        (t.route_table_id.as_str(), t.route_table_type.as_str()),
        (TABLE, "System")
    );
    let all = DescribeRouteEntryListRequest {
        route_table_id: TABLE.into(),
        ..Default::default()
    };
    let system: Vec<_> = h
        .client
        .describe_route_entry_list(&all)
        .await
        .unwrap()
        .route_entrys
        .into_iter()
        .filter(|e| e.entry_type == "System")
        .collect();
    assert_eq!(system.len(), 2, "one system route per vSwitch of the VPC");
}

#[tokio::test]
async fn create_route_entry_lists_it_with_its_next_hop_and_refuses_a_duplicate_destination() {
    let h = start().await;
    let created = h
        .client
        .create_route_entry(&create("10.244.1.0/24", "i-node1"))
        .await
        .unwrap();
    assert!(created.route_entry_id.starts_with("rte-"));
    let entries = custom_entries(&h, TABLE).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].destination_cidr_block, "10.244.1.0/24");
    assert_eq!(entries[0].next_hops[0].next_hop_id, "i-node1");
    assert_eq!(entries[0].next_hops[0].next_hop_type, "Instance");
    let dup = h
        .client
        .create_route_entry(&create("10.244.1.0/24", "i-node2"))
        .await;
    assert_code(dup, "InvalidCIDRBlock.Duplicate", 400);
}

#[tokio::test]
async fn a_destination_inside_a_vswitch_or_100_64_and_an_unknown_instance_are_refused() {
    let h = start().await;
    let inside = h
        .client
        .create_route_entry(&create("127.0.2.0/25", "i-node1"))
        .await;
    assert_code(inside, "InvalidCIDRBlock.Overlapped", 400);
    let cgnat = h
        .client
        .create_route_entry(&create("100.64.1.0/24", "i-node1"))
        .await;
    assert_code(cgnat, "InvalidCIDRBlock.Overlapped", 400);
    let ghost = h
        .client
        .create_route_entry(&create("10.1.0.0/24", "i-ghost"))
        .await;
    assert_code(ghost, "InvalidInstanceId.NotFound", 404);
    let table = CreateRouteEntryRequest {
        route_table_id: "vtb-nope".into(),
        ..create("10.1.0.0/24", "i-node1")
    };
    assert_code(
        h.client.create_route_entry(&table).await,
        "InvalidRouteTableId.NotFound",
        404,
    );
}

#[tokio::test]
async fn create_route_entries_fails_items_one_by_one_with_the_batch_codes() {
    let h = start().await;
    h.client
        .create_route_entry(&create("10.244.0.0/24", "i-node1"))
        .await
        .unwrap();
    let resp = h
        .client
        .create_route_entries(&CreateRouteEntriesRequest {
            route_entries: vec![
                item("10.244.0.0/24", "i-node2"),
                item("10.244.2.0/24", "i-node2"),
                item("10.244.2.0/24", "i-node1"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((resp.success_count, resp.failed_count), (1, 2));
    assert_eq!(resp.route_entry_ids.len(), 1);
    let codes: Vec<_> = resp
        .failed_route_entries
        .iter()
        .map(|f| {
            (
                f.dst_cidr_block.as_str(),
                f.next_hop.as_str(),
                f.failed_code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("10.244.0.0/24", "i-node2", ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE),
            ("10.244.2.0/24", "i-node1", ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE),
        ]
    );
    assert_eq!(custom_entries(&h, TABLE).await.len(), 2);
}

#[tokio::test]
async fn a_table_holds_at_most_200_custom_entries() {
    let h = start().await;
    for chunk in 0..4 {
        let items = (0..50)
            .map(|i| item(&format!("10.{chunk}.{i}.0/24"), "i-node1"))
            .collect();
        let req = CreateRouteEntriesRequest {
            route_entries: items,
            ..Default::default()
        };
        let resp = h.client.create_route_entries(&req).await.unwrap();
        assert_eq!(resp.success_count, 50);
    }
    let full = h
        .client
        .create_route_entry(&create("10.9.0.0/24", "i-node1"))
        .await;
    assert_code(full, "QuotaExceeded", 400);
    let too_many = (0..51)
        .map(|i| item(&format!("10.8.{i}.0/24"), "i-node1"))
        .collect();
    let refused = h
        .client
        .create_route_entries(&CreateRouteEntriesRequest {
            route_entries: too_many,
            ..Default::default()
        })
        .await;
    let err = assert_code(refused, "InvalidParameter", 400);
    assert!(err.message.contains("RouteEntries"), "{}", err.message);
}

#[tokio::test]
async fn entries_page_with_max_result_and_next_token_and_filter_by_next_hop() {
    let h = start().await;
    let items = (0..30)
        .map(|i| {
            item(
                &format!("10.7.{i}.0/24"),
                if i % 3 == 0 { "i-node2" } else { "i-node1" },
            )
        })
        .collect();
    h.client
        .create_route_entries(&CreateRouteEntriesRequest {
            route_entries: items,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut req = DescribeRouteEntryListRequest {
        route_table_id: TABLE.into(),
        route_entry_type: Some("Custom".into()),
        max_result: Some(20),
        ..Default::default()
    };
    let first = h.client.describe_route_entry_list(&req).await.unwrap();
    assert_eq!(first.route_entrys.len(), 20);
    req.next_token = Some(first.next_token.clone());
    let second = h.client.describe_route_entry_list(&req).await.unwrap();
    assert_eq!(
        (second.route_entrys.len(), second.next_token.as_str()),
        (10, "")
    );
    let by_hop = DescribeRouteEntryListRequest {
        next_hop_id: Some("i-node2".into()),
        destination_cidr_block: Some("10.7.3.0/24".into()),
        ..req
    };
    let found = h
        .client
        .describe_route_entry_list(&DescribeRouteEntryListRequest {
            next_token: None,
            ..by_hop
        })
        .await
        .unwrap();
    assert_eq!(found.route_entrys.len(), 1);
}

#[tokio::test]
async fn delete_route_entry_and_entries_answer_the_not_found_codes() {
    let h = start().await;
    h.client
        .create_route_entry(&create("10.5.0.0/24", "i-node1"))
        .await
        .unwrap();
    h.client
        .create_route_entry(&create("10.5.1.0/24", "i-node2"))
        .await
        .unwrap();
    let one = DeleteRouteEntryRequest {
        route_table_id: Some(TABLE.into()),
        destination_cidr_block: Some("10.5.0.0/24".into()),
        next_hop_id: Some("i-node1".into()),
        ..Default::default()
    };
    h.client.delete_route_entry(&one).await.unwrap();
    assert_code(
        h.client.delete_route_entry(&one).await,
        "InvalidRouteEntry.NotFound",
        404,
    );
    let resp = h
        .client
        .delete_route_entries(&DeleteRouteEntriesRequest {
            route_entries: vec![
                delete_item("10.5.1.0/24", "i-node2"),
                delete_item("10.5.0.0/24", "i-node1"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((resp.success_count, resp.failed_count), (1, 1));
    assert_eq!(
        resp.failed_route_entries[0].failed_code,
        ROUTER_ENTRY_NOT_EXIST
    );
    assert!(custom_entries(&h, TABLE).await.is_empty());
}

#[tokio::test]
async fn an_unmodelled_parameter_is_refused_by_name_and_the_vpc_version_is_required() {
    let h = start().await;
    let params = signed_vpc(
        "DescribeRouteEntryList",
        &[("RouteTableId", TABLE), ("IpVersion", "IPv6")],
    );
    let (status, body) = send(h.addr, "POST", &params).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["Code"], "InvalidParameter");
    assert!(
        body["Message"].as_str().unwrap().contains("IpVersion"),
        "{body}"
    );
    let (status, body) = raw(
        h.addr,
        "POST",
        "DescribeRouteTableList",
        &[("VpcId", "vpc-local")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str()),
        (400, Some("InvalidVersion")),
        "Slb's version is refused"
    );
}

#[tokio::test]
async fn route_entries_and_configured_tables_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut cfg = config();
    cfg.route_tables.push(RouteTableConfig {
        id: "vtb-custom".into(),
        vpc_id: "vpc-local".into(),
        table_type: "Custom".into(),
        vswitch_ids: vec!["vsw-tiny".into()],
    });
    {
        let h = start_with(cfg.clone(), Box::new(SqliteStore::open(&path).unwrap())).await;
        h.client
            .create_route_entry(&create("10.3.0.0/24", "i-node1"))
            .await
            .unwrap();
        let custom = CreateRouteEntryRequest {
            route_table_id: "vtb-custom".into(),
            ..create("10.3.0.0/24", "i-node2")
        };
        h.client.create_route_entry(&custom).await.unwrap();
    }
    let h = start_with(cfg, Box::new(SqliteStore::open(&path).unwrap())).await;
    let req = DescribeRouteTableListRequest {
        vpc_id: Some("vpc-local".into()),
        ..Default::default()
    };
    let listed = h.client.describe_route_table_list(&req).await.unwrap();
    assert_eq!(listed.total_count, 2);
    assert_eq!(
        custom_entries(&h, TABLE).await[0].next_hops[0].next_hop_id,
        "i-node1"
    );
    assert_eq!(
        custom_entries(&h, "vtb-custom").await[0].next_hops[0].next_hop_id,
        "i-node2"
    );
}
