//! CLB instance actions: allocation, lifecycle, protection, billing, quotas.

use slb_local::store::MemoryStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{AddressType, InstanceChargeType, OnOff, TagKv};

use crate::support::*;

#[tokio::test]
async fn intranet_lb_gets_a_vip_from_its_vswitch_and_describes_back() {
    let h = start().await;
    let lb = create_lb(&h, "svc-a").await;
    assert!(lb.load_balancer_id.starts_with("lb-"));
    assert_eq!(lb.address, "127.0.2.1");
    assert_eq!(
        (lb.vpc_id.as_str(), lb.network_type.as_str()),
        ("vpc-local", "vpc")
    );
    let attr = h
        .client
        .describe_load_balancer_attribute(&DescribeLoadBalancerAttributeRequest {
            load_balancer_id: lb.load_balancer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attr.summary.load_balancer_status, "active");
    assert_eq!(attr.summary.address_type, "intranet");
    assert_eq!(attr.summary.load_balancer_spec, "slb.s1.small");
    assert_eq!(attr.summary.load_balancer_name, "svc-a");
}

#[tokio::test]
async fn internet_lb_gets_a_vip_from_the_pool_and_second_one_the_next_address() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        address_type: Some(AddressType::Internet),
        load_balancer_spec: Some("slb.s1.small".into()),
        ..Default::default()
    };
    let a = h.client.create_load_balancer(&req).await.unwrap();
    let b = h.client.create_load_balancer(&req).await.unwrap();
    assert_eq!(
        (a.address.as_str(), b.address.as_str()),
        ("127.0.1.1", "127.0.1.2")
    );
    assert_eq!(a.network_type, "classic");
}

#[tokio::test]
async fn create_without_spec_under_pay_by_spec_is_share_slb_halt_sales() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        load_balancer_spec: None,
        ..intranet("shared")
    };
    let err = assert_code(
        h.client.create_load_balancer(&req).await,
        "ShareSlbHaltSales",
        400,
    );
    assert_eq!(err.message, "The share instance has been discontinued.");
    let clcu = CreateLoadBalancerRequest {
        instance_charge_type: Some(InstanceChargeType::PayByClcu),
        ..req
    };
    assert!(h.client.create_load_balancer(&clcu).await.is_ok());
}

#[tokio::test]
async fn exhausted_vswitch_answers_vswitch_available_ip_not_exist() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        vswitch_id: Some("vsw-tiny".into()),
        ..intranet("tiny")
    };
    for _ in 0..2 {
        h.client.create_load_balancer(&req).await.unwrap();
    }
    let err = assert_code(
        h.client.create_load_balancer(&req).await,
        "VSwitchAvailableIpNotExist",
        400,
    );
    assert_eq!(err.message, "The specified VSwitch has no availabe ip.");
}

#[tokio::test]
async fn replayed_client_token_returns_the_lb_created_first() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        client_token: Some("tok-1".into()),
        ..intranet("once")
    };
    let a = h.client.create_load_balancer(&req).await.unwrap();
    let b = h.client.create_load_balancer(&req).await.unwrap();
    assert_eq!(a.load_balancer_id, b.load_balancer_id);
    let all = h
        .client
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total_count, 1);
}

#[tokio::test]
async fn account_in_arrears_cannot_create_or_modify_and_recovers_when_cleared() {
    let h = start().await;
    let lb = create_lb(&h, "paid").await;
    let (status, _) = raw(
        h.addr,
        "POST",
        "LocalSetFaults",
        &[("Faults", r#"{"arrears":true}"#)],
    )
    .await;
    assert_eq!(status, 200);
    let err = assert_code(
        h.client.create_load_balancer(&intranet("x")).await,
        "ORDER.ARREARAGE",
        400,
    );
    assert_eq!(err.message, "The account is arrearage.");
    let spec = ModifyLoadBalancerInstanceSpecRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        load_balancer_spec: "slb.s2.small".into(),
        ..Default::default()
    };
    assert_code(
        h.client.modify_load_balancer_instance_spec(&spec).await,
        "ORDER.ARREARAGE",
        400,
    );
    raw(
        h.addr,
        "POST",
        "LocalSetFaults",
        &[("Faults", r#"{"insufficient_balance":true}"#)],
    )
    .await;
    assert_code(
        h.client.create_load_balancer(&intranet("x")).await,
        "PAY.INSUFFICIENT_BALANCE",
        400,
    );
    raw(h.addr, "POST", "LocalSetFaults", &[("Faults", "{}")]).await;
    assert!(
        h.client
            .modify_load_balancer_instance_spec(&spec)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn delete_protection_blocks_delete_until_turned_off_and_deleted_lb_is_not_found() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        delete_protection: Some(OnOff::On),
        ..intranet("keep")
    };
    let id = h
        .client
        .create_load_balancer(&req)
        .await
        .unwrap()
        .load_balancer_id;
    let del = DeleteLoadBalancerRequest {
        load_balancer_id: id.clone(),
        ..Default::default()
    };
    let err = assert_code(
        h.client.delete_load_balancer(&del).await,
        "OperationDenied.DeleteProtectionIsOn",
        400,
    );
    assert_eq!(
        err.message,
        "The loadbalancer can not be deleted due to DeleteProtection is enabled."
    );
    let off = SetLoadBalancerDeleteProtectionRequest {
        load_balancer_id: id.clone(),
        delete_protection: OnOff::Off,
        ..Default::default()
    };
    h.client
        .set_load_balancer_delete_protection(&off)
        .await
        .unwrap();
    h.client.delete_load_balancer(&del).await.unwrap();
    let describe = DescribeLoadBalancerAttributeRequest {
        load_balancer_id: id,
        ..Default::default()
    };
    let err = assert_code(
        h.client.describe_load_balancer_attribute(&describe).await,
        "InvalidLoadBalancerId.NotFound",
        404,
    );
    assert_eq!(err.message, "The specified LoadBalancerId does not exist.");
    assert_code(
        h.client.delete_load_balancer(&del).await,
        "InvalidLoadBalancerId.NotFound",
        404,
    );
}

#[tokio::test]
async fn describe_load_balancers_pages_by_ten_and_filters_by_tag_json() {
    let h = start().await;
    for i in 0..12 {
        let mut req = CreateLoadBalancerRequest {
            address_type: Some(AddressType::Internet),
            ..intranet(&format!("lb{i}"))
        };
        req.vswitch_id = None;
        if i == 7 {
            req.tags = vec![slb_openapi::types::Tag::new(
                "kubernetes.do.not.delete",
                "asvc7",
            )];
        }
        h.client.create_load_balancer(&req).await.unwrap();
    }
    let first = h
        .client
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    assert_eq!((first.total_count, first.load_balancers.len()), (12, 10));
    let second = DescribeLoadBalancersRequest {
        page_number: Some(2),
        ..Default::default()
    };
    assert_eq!(
        h.client
            .describe_load_balancers(&second)
            .await
            .unwrap()
            .load_balancers
            .len(),
        2
    );
    let by_tag = DescribeLoadBalancersRequest {
        tags_json: Some(vec![TagKv::new("kubernetes.do.not.delete", "asvc7")]),
        ..Default::default()
    };
    let hit = h.client.describe_load_balancers(&by_tag).await.unwrap();
    assert_eq!(hit.load_balancers.len(), 1);
    assert_eq!(hit.load_balancers[0].load_balancer_name, "lb7");
    assert_eq!(
        hit.load_balancers[0].internet_charge_type, "4",
        "DescribeLoadBalancers items carry the code"
    );
}

#[tokio::test]
async fn account_quota_limits_the_number_of_lbs() {
    let mut config = config();
    config.quotas.load_balancers_per_account = 1;
    let h = start_with(config, Box::new(MemoryStore::default())).await;
    create_lb(&h, "one").await;
    assert_code(
        h.client.create_load_balancer(&intranet("two")).await,
        "QuotaExceeded.LoadBalancer",
        400,
    );
}

#[tokio::test]
async fn clcu_lb_refuses_spec_changes_and_cannot_go_back_to_spec() {
    let h = start().await;
    let id = create_lb(&h, "c").await.load_balancer_id;
    let to_clcu = ModifyLoadBalancerInstanceChargeTypeRequest {
        load_balancer_id: id.clone(),
        instance_charge_type: InstanceChargeType::PayByClcu,
        ..Default::default()
    };
    h.client
        .modify_load_balancer_instance_charge_type(&to_clcu)
        .await
        .unwrap();
    let spec = ModifyLoadBalancerInstanceSpecRequest {
        load_balancer_id: id.clone(),
        load_balancer_spec: "slb.s2.small".into(),
        ..Default::default()
    };
    assert_code(
        h.client.modify_load_balancer_instance_spec(&spec).await,
        "OperationDenied.PayByCLCU",
        400,
    );
    let back = ModifyLoadBalancerInstanceChargeTypeRequest {
        instance_charge_type: InstanceChargeType::PayBySpec,
        ..to_clcu
    };
    assert_code(
        h.client
            .modify_load_balancer_instance_charge_type(&back)
            .await,
        "Forbidden.LcuToSpec",
        400,
    );
}

#[tokio::test]
async fn locked_lb_refuses_changes_but_answers_reads() {
    let h = start().await;
    let id = create_lb(&h, "l").await.load_balancer_id;
    let (status, _) = raw(
        h.addr,
        "POST",
        "LocalSetLoadBalancerStatus",
        &[("LoadBalancerId", &id), ("LoadBalancerStatus", "locked")],
    )
    .await;
    assert_eq!(status, 200);
    let rename = SetLoadBalancerNameRequest {
        load_balancer_id: id.clone(),
        load_balancer_name: "n".into(),
        ..Default::default()
    };
    assert_code(
        h.client.set_load_balancer_name(&rename).await,
        "ActionNotAllowed",
        400,
    );
    let describe = DescribeLoadBalancerAttributeRequest {
        load_balancer_id: id,
        ..Default::default()
    };
    assert_eq!(
        h.client
            .describe_load_balancer_attribute(&describe)
            .await
            .unwrap()
            .summary
            .load_balancer_status,
        "locked"
    );
}

#[tokio::test]
async fn vpc_that_does_not_own_the_vswitch_is_a_network_conflict() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        vpc_id: Some("vpc-other".into()),
        ..intranet("x")
    };
    assert_code(
        h.client.create_load_balancer(&req).await,
        "NetworkConflict",
        400,
    );
}

#[tokio::test]
async fn setters_change_name_protection_and_internet_spec() {
    let h = start().await;
    let id = create_lb(&h, "before").await.load_balancer_id;
    let c = &h.client;
    c.set_load_balancer_name(&SetLoadBalancerNameRequest {
        load_balancer_id: id.clone(),
        load_balancer_name: "after".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    c.set_load_balancer_modification_protection(&SetLoadBalancerModificationProtectionRequest {
        load_balancer_id: id.clone(),
        modification_protection_status:
            slb_openapi::types::ModificationProtectionStatus::ConsoleProtection,
        modification_protection_reason: Some("managed by k8s".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    c.modify_load_balancer_internet_spec(&ModifyLoadBalancerInternetSpecRequest {
        load_balancer_id: id.clone(),
        internet_charge_type: Some(slb_openapi::types::InternetChargeType::PayByBandwidth),
        bandwidth: Some(50),
        ..Default::default()
    })
    .await
    .unwrap();
    let attr = c
        .describe_load_balancer_attribute(&DescribeLoadBalancerAttributeRequest {
            load_balancer_id: id,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attr.summary.load_balancer_name, "after");
    assert_eq!(
        attr.summary.modification_protection_status,
        "ConsoleProtection"
    );
    assert_eq!(
        (
            attr.summary.internet_charge_type.as_str(),
            attr.summary.bandwidth
        ),
        ("paybybandwidth", 50)
    );
}
