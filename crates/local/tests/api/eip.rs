//! VPC EIPs over the signed API (spec part 2 §10): allocation from `eip_pool`, binding to an
//! intranet CLB (`SlbInstance`), the filtered and paged describe, unbinding, release, every
//! error code the local CLB answers, unmodelled parameters refused by name, and durability.

use slb_local::store::SqliteStore;
use slb_openapi::clb::{CreateLoadBalancerRequest, DeleteLoadBalancerRequest};
use slb_openapi::types::AddressType;
use slb_openapi::vpc::*;
use slb_openapi::{Clb, Vpc};

use crate::support::*;

async fn allocate(h: &Harness) -> AllocateEipAddressResponse {
    h.client
        .allocate_eip_address(&AllocateEipAddressRequest::default())
        .await
        .unwrap()
}

fn associate(eip: &str, lb: &str) -> AssociateEipAddressRequest {
    AssociateEipAddressRequest {
        allocation_id: eip.into(),
        instance_id: lb.into(),
        instance_type: Some(SLB_INSTANCE.into()),
        ..Default::default()
    }
}

fn unassociate(eip: &str) -> UnassociateEipAddressRequest {
    UnassociateEipAddressRequest {
        allocation_id: eip.into(),
        instance_type: Some(SLB_INSTANCE.into()),
        ..Default::default()
    }
}

fn release(eip: &str) -> ReleaseEipAddressRequest {
    ReleaseEipAddressRequest {
        allocation_id: eip.into(),
        ..Default::default()
    }
}

async fn bound_to(h: &Harness, lb: &str) -> Vec<EipAddress> {
    let req = DescribeEipAddressesRequest {
        associated_instance_type: Some(SLB_INSTANCE.into()),
        associated_instance_id: Some(lb.into()),
        ..Default::default()
    };
    h.client
        .describe_eip_addresses(&req)
        .await
        .unwrap()
        .eip_addresses
}

#[tokio::test]
async fn an_eip_is_allocated_bound_to_an_intranet_clb_reported_unbound_and_released() {
    let h = start().await;
    let lb = create_lb(&h, "eip").await.load_balancer_id;
    let eip = allocate(&h).await;
    assert!(eip.allocation_id.starts_with("eip-"), "{eip:?}");
    assert_eq!(
        eip.eip_address, "127.0.4.1",
        "the lowest address of the default pool"
    );
    assert!(
        bound_to(&h, &lb).await.is_empty(),
        "no EIP yet: an empty list, not an error"
    );
    h.client
        .associate_eip_address(&associate(&eip.allocation_id, &lb))
        .await
        .unwrap();
    let got = bound_to(&h, &lb).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0].ip_address.as_str(),
            got[0].status.as_str(),
            got[0].instance_type.as_str()
        ),
        ("127.0.4.1", "InUse", "SlbInstance")
    );
    assert_eq!(
        (got[0].bandwidth.as_str(), got[0].vpc_id.as_str()),
        ("5", "vpc-local")
    );
    h.client
        .unassociate_eip_address(&unassociate(&eip.allocation_id))
        .await
        .unwrap();
    assert!(bound_to(&h, &lb).await.is_empty());
    h.client
        .release_eip_address(&release(&eip.allocation_id))
        .await
        .unwrap();
    assert_code(
        h.client
            .release_eip_address(&release(&eip.allocation_id))
            .await,
        "InvalidAllocationId.NotFound",
        404,
    );
}

#[tokio::test]
async fn binding_errors_are_the_services_codes() {
    let h = start().await;
    let lb = create_lb(&h, "eip").await.load_balancer_id;
    let (a, b) = (
        allocate(&h).await.allocation_id,
        allocate(&h).await.allocation_id,
    );
    assert_code(
        h.client
            .associate_eip_address(&associate("eip-nope", &lb))
            .await,
        "InvalidAllocationId.NotFound",
        404,
    );
    assert_code(
        h.client
            .associate_eip_address(&associate(&a, "lb-nope"))
            .await,
        "InvalidInstanId.NotFound",
        404,
    );
    h.client
        .associate_eip_address(&associate(&a, &lb))
        .await
        .unwrap();
    assert_code(
        h.client.associate_eip_address(&associate(&b, &lb)).await,
        "InvalidAssociation.Duplicated",
        400,
    );
    assert_code(
        h.client.associate_eip_address(&associate(&a, &lb)).await,
        "IncorrectEipStatus",
        400,
    );
    assert_code(
        h.client.release_eip_address(&release(&a)).await,
        "IncorrectEipStatus",
        400,
    );
    assert_code(
        h.client.unassociate_eip_address(&unassociate(&b)).await,
        "IncorrectEipStatus",
        400,
    );
    let wrong = UnassociateEipAddressRequest {
        instance_id: Some("lb-other".into()),
        ..unassociate(&a)
    };
    assert_code(
        h.client.unassociate_eip_address(&wrong).await,
        "InvalidBindInstance.NotFound",
        404,
    );
}

#[tokio::test]
async fn an_internet_clb_takes_no_eip() {
    let h = start().await;
    let internet = h
        .client
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_type: Some(AddressType::Internet),
            load_balancer_spec: Some("slb.s1.small".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .load_balancer_id;
    let eip = allocate(&h).await.allocation_id;
    let err = assert_code(
        h.client
            .associate_eip_address(&associate(&eip, &internet))
            .await,
        "IncorrectInstanceStatus",
        400,
    );
    assert!(err.message.contains("intranet"), "{err}");
}

#[tokio::test]
async fn instance_types_other_than_slb_are_refused_by_name() {
    let h = start().await;
    let lb = create_lb(&h, "eip").await.load_balancer_id;
    let eip = allocate(&h).await.allocation_id;
    let default_type = AssociateEipAddressRequest {
        instance_type: None,
        ..associate(&eip, &lb)
    };
    let err = assert_code(
        h.client.associate_eip_address(&default_type).await,
        "InvalidInstanceType.ValueNotSupported",
        400,
    );
    assert!(
        err.message.contains("SlbInstance"),
        "says what to send: {err}"
    );
    let unknown = AssociateEipAddressRequest {
        instance_type: Some("Spaceship".into()),
        ..associate(&eip, &lb)
    };
    assert_code(
        h.client.associate_eip_address(&unknown).await,
        "InvalidInstanceType.ValueNotSupported",
        400,
    );
}

#[tokio::test]
async fn allocation_checks_bandwidth_charge_type_and_unmodelled_parameters() {
    let h = start().await;
    let cases = [
        (
            AllocateEipAddressRequest {
                bandwidth: Some("501".into()),
                ..Default::default()
            },
            "InvalidBandwidth.Malformed",
        ),
        (
            AllocateEipAddressRequest {
                bandwidth: Some("201".into()),
                internet_charge_type: Some("PayByTraffic".into()),
                ..Default::default()
            },
            "InvalidBandwidth.Malformed",
        ),
        (
            AllocateEipAddressRequest {
                internet_charge_type: Some("Free".into()),
                ..Default::default()
            },
            "InvalidParameter",
        ),
        (
            AllocateEipAddressRequest {
                instance_charge_type: Some("PrePaid".into()),
                ..Default::default()
            },
            "InvalidParameter",
        ),
        (
            AllocateEipAddressRequest {
                ip_address: Some("10.0.0.1".into()),
                ..Default::default()
            },
            "InvalidParameter",
        ),
    ];
    for (req, code) in cases {
        assert_code(h.client.allocate_eip_address(&req).await, code, 400);
    }
    let (status, body) = raw_vpc(&h, "AllocateEipAddress", &[("Period", "1")]).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{body}"
    );
    assert!(
        body["Message"].as_str().unwrap_or("").contains("Period"),
        "{body}"
    );
}

#[tokio::test]
async fn a_chosen_address_and_the_pool_running_out() {
    let config = slb_local::config::LocalConfig {
        eip_pool: "127.0.4.0/30".into(),
        ..config()
    };
    let h = start_with(config, Box::new(slb_local::store::MemoryStore::default())).await;
    let chosen = AllocateEipAddressRequest {
        ip_address: Some("127.0.4.2".into()),
        ..Default::default()
    };
    assert_eq!(
        h.client
            .allocate_eip_address(&chosen)
            .await
            .unwrap()
            .eip_address,
        "127.0.4.2"
    );
    assert_code(
        h.client.allocate_eip_address(&chosen).await,
        "InvalidIpAddress.AlreadyUsed",
        400,
    );
    assert_eq!(allocate(&h).await.eip_address, "127.0.4.1");
    let err = assert_code(
        h.client
            .allocate_eip_address(&AllocateEipAddressRequest::default())
            .await,
        "QuotaExceeded.Eip",
        400,
    );
    assert!(err.message.contains("eip_pool"), "{err}");
}

#[tokio::test]
async fn a_client_token_replays_the_allocation() {
    let h = start().await;
    let req = AllocateEipAddressRequest {
        client_token: Some("once".into()),
        ..Default::default()
    };
    let first = h.client.allocate_eip_address(&req).await.unwrap();
    let again = h.client.allocate_eip_address(&req).await.unwrap();
    assert_eq!(first.allocation_id, again.allocation_id);
    let all = h
        .client
        .describe_eip_addresses(&DescribeEipAddressesRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total_count, 1);
}

#[tokio::test]
async fn describe_filters_validates_and_pages() {
    let h = start().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(allocate(&h).await.allocation_id);
    }
    let page = |n, size| DescribeEipAddressesRequest {
        page_number: Some(n),
        page_size: Some(size),
        ..Default::default()
    };
    let p2 = h.client.describe_eip_addresses(&page(2, 2)).await.unwrap();
    assert_eq!((p2.total_count, p2.page_number, p2.page_size), (3, 2, 2));
    assert_eq!(p2.eip_addresses.len(), 1);
    let two = DescribeEipAddressesRequest {
        allocation_id: Some(format!("{},{}", ids[0], ids[2])),
        ..Default::default()
    };
    assert_eq!(
        h.client
            .describe_eip_addresses(&two)
            .await
            .unwrap()
            .total_count,
        2
    );
    let by_ip = DescribeEipAddressesRequest {
        eip_address: Some("127.0.4.2".into()),
        status: Some("Available".into()),
        ..Default::default()
    };
    let got = h.client.describe_eip_addresses(&by_ip).await.unwrap();
    assert_eq!(got.eip_addresses[0].allocation_id, ids[1]);
    for (req, code) in [
        (
            DescribeEipAddressesRequest {
                associated_instance_type: Some("Car".into()),
                ..Default::default()
            },
            "InvalidIAssociatedInstanceType.ValueNotSupported",
        ),
        (
            DescribeEipAddressesRequest {
                charge_type: Some("Free".into()),
                ..Default::default()
            },
            "InvalidChargeType.ValueNotSupported",
        ),
        (page(1, 101), "InvalidParameter"),
    ] {
        assert_code(h.client.describe_eip_addresses(&req).await, code, 400);
    }
}

#[tokio::test]
async fn deleting_a_clb_frees_its_eip() {
    let h = start().await;
    let lb = create_lb(&h, "eip").await.load_balancer_id;
    let eip = allocate(&h).await.allocation_id;
    h.client
        .associate_eip_address(&associate(&eip, &lb))
        .await
        .unwrap();
    h.client
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: lb,
            ..Default::default()
        })
        .await
        .unwrap();
    h.client.release_eip_address(&release(&eip)).await.unwrap();
}

#[tokio::test]
async fn eips_and_their_bindings_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let (lb, eip) = {
        let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
        let lb = create_lb(&h, "eip").await.load_balancer_id;
        let eip = allocate(&h).await;
        h.client
            .associate_eip_address(&associate(&eip.allocation_id, &lb))
            .await
            .unwrap();
        (lb, eip)
    };
    let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
    let got = bound_to(&h, &lb).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].allocation_id.as_str(), got[0].ip_address.as_str()),
        (eip.allocation_id.as_str(), eip.eip_address.as_str())
    );
}

/// A signed VPC call with raw parameters (for parameters the typed request does not have).
async fn raw_vpc(h: &Harness, action: &str, params: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut signed = sign("GET", action, params, &uuid_nonce());
    signed.insert("Version".into(), "2016-04-28".into());
    signed.remove("Signature");
    let sig = slb_openapi::sign::sign_v2("GET", &signed, AK_SECRET);
    signed.insert("Signature".into(), sig);
    let (status, body) = send(h.addr, "GET", &signed).await;
    (status.as_u16(), body)
}
