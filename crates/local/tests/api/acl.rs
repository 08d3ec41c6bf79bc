//! Access control lists: the ACL actions, and the listener fields that bind one
//! (`AclStatus`/`AclType`/`AclId`), with every error code the local CLB answers for them.

use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{AclType, OnOff};

use crate::support::*;

pub async fn create_acl(h: &Harness, name: &str) -> String {
    h.client
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .acl_id
}

pub async fn add_entries(
    h: &Harness,
    acl: &str,
    entries: &[&str],
) -> Result<(), slb_openapi::ApiError> {
    h.client
        .add_access_control_list_entry(&AddAccessControlListEntryRequest {
            acl_id: acl.into(),
            acl_entrys: entries.iter().map(|e| AclEntryParam::new(*e)).collect(),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

async fn attribute(h: &Harness, acl: &str) -> DescribeAccessControlListAttributeResponse {
    h.client
        .describe_access_control_list_attribute(&DescribeAccessControlListAttributeRequest {
            acl_id: acl.into(),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// A TCP listener on `port` of a fresh LB with the ACL fields of `acl`.
fn acl_listener(lb: &str, group: &str, port: u16, acl: Option<&str>) -> CreateTcpListenerRequest {
    let mut req = tcp_listener(lb, port, group);
    req.acl_status = Some(OnOff::On);
    req.acl_type = Some(AclType::Black);
    req.acl_id = acl.map(str::to_owned);
    req
}

#[tokio::test]
async fn an_acl_is_created_listed_renamed_and_deleted() {
    let h = start().await;
    let id = create_acl(&h, "office").await;
    assert!(id.starts_with("acl-"), "{id}");
    let list = h
        .client
        .describe_access_control_lists(&DescribeAccessControlListsRequest {
            acl_name: Some("offi".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (list.total_count, list.acls[0].acl_id.as_str()),
        (1, id.as_str())
    );
    assert_eq!(list.acls[0].address_ip_version, "ipv4");
    h.client
        .set_access_control_list_attribute(&SetAccessControlListAttributeRequest {
            acl_id: id.clone(),
            acl_name: "office-2".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attribute(&h, &id).await.acl_name, "office-2");
    h.client
        .delete_access_control_list(&DeleteAccessControlListRequest {
            acl_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let gone = h
        .client
        .describe_access_control_list_attribute(&DescribeAccessControlListAttributeRequest {
            acl_id: id,
            ..Default::default()
        })
        .await;
    assert_code(gone, "AclNotExist", 400);
}

#[tokio::test]
async fn acl_names_are_unique_and_checked() {
    let h = start().await;
    create_acl(&h, "same").await;
    let req = |name: &str| CreateAccessControlListRequest {
        acl_name: name.into(),
        ..Default::default()
    };
    assert_code(
        h.client.create_access_control_list(&req("same")).await,
        "AclNameExist",
        400,
    );
    let err = assert_code(
        h.client.create_access_control_list(&req("bad name!")).await,
        "InvalidParameter",
        400,
    );
    assert!(err.message.contains("AclName"), "{err}");
}

#[tokio::test]
async fn the_region_holds_at_most_fifty_acls() {
    let h = start().await;
    for i in 0..50 {
        create_acl(&h, &format!("acl{i}")).await;
    }
    let over = h
        .client
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: "one-too-many".into(),
            ..Default::default()
        })
        .await;
    assert_code(over, "AclNumberOverLimit", 400);
}

#[tokio::test]
async fn entries_are_cidrs_added_paged_and_removed() {
    let h = start().await;
    let id = create_acl(&h, "entries").await;
    add_entries(&h, &id, &["10.0.0.0/8", "192.0.2.7"])
        .await
        .unwrap();
    let got = attribute(&h, &id).await;
    let ips: Vec<&str> = got
        .acl_entrys
        .iter()
        .map(|e| e.acl_entry_ip.as_str())
        .collect();
    assert_eq!(
        (got.total_acl_entry, ips),
        (2, vec!["10.0.0.0/8", "192.0.2.7/32"])
    );
    h.client
        .remove_access_control_list_entry(&RemoveAccessControlListEntryRequest {
            acl_id: id.clone(),
            acl_entrys: vec![
                AclEntryParam::new("10.0.0.0/8"),
                AclEntryParam::new("10.9.9.9/32"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attribute(&h, &id).await.total_acl_entry, 1);
}

#[tokio::test]
async fn bad_entries_are_refused_with_the_services_codes() {
    let h = start().await;
    let id = create_acl(&h, "strict").await;
    add_entries(&h, &id, &["10.0.0.0/8"]).await.unwrap();
    assert_code(
        add_entries(&h, &id, &["10.0.0.0/8"]).await,
        "InvalidParam.AclEntryExists",
        400,
    );
    assert_code(
        add_entries(&h, &id, &["10.0.0.0/40"]).await,
        "AclEntryIllegal",
        400,
    );
    assert_code(
        add_entries(&h, &id, &["2001:db8::/32"]).await,
        "IllegalEntry",
        400,
    );
    let many: Vec<String> = (0..51).map(|i| format!("10.1.{i}.0/24")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_code(
        add_entries(&h, &id, &many).await,
        "AclEntryExceedLimit",
        400,
    );
    let long = h
        .client
        .add_access_control_list_entry(&AddAccessControlListEntryRequest {
            acl_id: id.clone(),
            acl_entrys: vec![AclEntryParam {
                entry: "10.2.0.0/16".into(),
                comment: "x".repeat(101),
            }],
            ..Default::default()
        })
        .await;
    assert_code(long, "InvalidParam.Comment", 400);
    assert_code(
        add_entries(&h, "acl-nope", &["10.0.0.0/8"]).await,
        "AclNotExist",
        400,
    );
}

#[tokio::test]
async fn an_acl_holds_at_most_three_hundred_entries() {
    let h = start().await;
    let id = create_acl(&h, "full").await;
    for batch in 0..6 {
        let entries: Vec<String> = (0..50).map(|i| format!("10.{batch}.{i}.0/24")).collect();
        let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
        add_entries(&h, &id, &entries).await.unwrap();
    }
    assert_code(
        add_entries(&h, &id, &["172.16.0.0/12"]).await,
        "AclEntryExceedLimit",
        400,
    );
}

#[tokio::test]
async fn a_listener_keeps_its_acl_binding_and_the_acl_lists_it() {
    let h = start().await;
    let lb = create_lb(&h, "acl-lb").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    let acl = create_acl(&h, "bound").await;
    h.client
        .create_tcp_listener(&acl_listener(&lb, &group, 80, Some(&acl)))
        .await
        .unwrap();
    let got = h
        .client
        .describe_tcp_listener_attribute(&DescribeTcpListenerAttributeRequest {
            load_balancer_id: lb.clone(),
            listener_port: 80,
            ..Default::default()
        })
        .await
        .unwrap();
    let c = &got.common;
    assert_eq!(
        (
            c.acl_status.as_str(),
            c.acl_type.as_str(),
            c.acl_id.as_str()
        ),
        ("on", "black", acl.as_str())
    );
    assert_eq!(c.acl_ids, vec![acl.clone()]);
    let listed = h
        .client
        .describe_listeners(&DescribeListenersRequest {
            load_balancer_ids: vec![lb.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.listeners[0].acl_status, "on");
    assert_eq!(listed.listeners[0].acl_ids, vec![acl.clone()]);
    let related = attribute(&h, &acl).await.related_listeners;
    assert_eq!(related.len(), 1);
    assert_eq!(
        (
            related[0].load_balancer_id.as_str(),
            related[0].listener_port
        ),
        (lb.as_str(), 80)
    );
    let delete = DeleteAccessControlListRequest {
        acl_id: acl,
        ..Default::default()
    };
    assert_code(
        h.client.delete_access_control_list(&delete).await,
        "OperationFailed.AclBindedWithVip",
        400,
    );
}

#[tokio::test]
async fn listener_acl_fields_are_validated() {
    let h = start().await;
    let lb = create_lb(&h, "acl-check").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    let unknown = acl_listener(&lb, &group, 81, Some("acl-missing"));
    assert_code(
        h.client.create_tcp_listener(&unknown).await,
        "AclNotExist",
        400,
    );
    let without_id = acl_listener(&lb, &group, 82, None);
    let err = assert_code(
        h.client.create_tcp_listener(&without_id).await,
        "MissingParameter",
        400,
    );
    assert!(err.message.contains("AclId"), "{err}");
    let v6 = h
        .client
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: "six".into(),
            address_ip_version: Some("ipv6".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .acl_id;
    let conflict = acl_listener(&lb, &group, 83, Some(&v6));
    assert_code(
        h.client.create_tcp_listener(&conflict).await,
        "IpVersionConflict",
        400,
    );
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 84, &group))
        .await
        .unwrap();
    let set = SetTcpListenerAttributeRequest {
        load_balancer_id: lb,
        listener_port: 84,
        acl_status: Some(OnOff::On),
        acl_id: Some("acl-missing".into()),
        ..Default::default()
    };
    assert_code(
        h.client.set_tcp_listener_attribute(&set).await,
        "AclNotExist",
        400,
    );
}

#[tokio::test]
async fn turning_the_acl_off_unbinds_it() {
    let h = start().await;
    let lb = create_lb(&h, "acl-off").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    let acl = create_acl(&h, "temporary").await;
    h.client
        .create_tcp_listener(&acl_listener(&lb, &group, 80, Some(&acl)))
        .await
        .unwrap();
    let off = SetTcpListenerAttributeRequest {
        load_balancer_id: lb,
        listener_port: 80,
        acl_status: Some(OnOff::Off),
        ..Default::default()
    };
    h.client.set_tcp_listener_attribute(&off).await.unwrap();
    assert!(attribute(&h, &acl).await.related_listeners.is_empty());
    h.client
        .delete_access_control_list(&DeleteAccessControlListRequest {
            acl_id: acl,
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn acls_are_paged_and_page_sizes_checked() {
    let h = start().await;
    for name in ["p1", "p2", "p3"] {
        create_acl(&h, name).await;
    }
    let page = |number: u32, size: u32| DescribeAccessControlListsRequest {
        page_number: Some(number),
        page_size: Some(size),
        ..Default::default()
    };
    let second = h
        .client
        .describe_access_control_lists(&page(2, 2))
        .await
        .unwrap();
    assert_eq!((second.total_count, second.count), (3, 1));
    let first = h
        .client
        .describe_access_control_lists(&page(1, 2))
        .await
        .unwrap();
    let mut names: Vec<String> = first
        .acls
        .iter()
        .chain(&second.acls)
        .map(|a| a.acl_name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["p1", "p2", "p3"], "the pages cover every ACL once");
    let err = assert_code(
        h.client.describe_access_control_lists(&page(1, 51)).await,
        "InvalidParameter",
        400,
    );
    assert!(err.message.contains("PageSize"), "{err}");
    let v5 = CreateAccessControlListRequest {
        acl_name: "v5".into(),
        address_ip_version: Some("ipv5".into()),
        ..Default::default()
    };
    assert_code(
        h.client.create_access_control_list(&v5).await,
        "InvalidParameter",
        400,
    );
}
