//! IPv6 CLBs (spec part 2 §11.1): `AddressIPVersion=ipv6` takes the lowest free address of
//! `ipv6_vip_pool`, describes as `ipv6`, must be internet (`InvalidParameter.Mismatch`), runs
//! out with the pool, reaches the data plane with its IPv6 VIP, and zones are checked
//! against the region's (`PRODUCT.NOT_AVAILABLE_IZ`); its listeners refuse the
//! `X-Forwarded-For` sub-options (`ListenerForwardNotSupport`).

use slb_local::store::SqliteStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{AddressIpVersion, AddressType, OnOff};

use crate::support::*;

fn ipv6(name: &str) -> CreateLoadBalancerRequest {
    CreateLoadBalancerRequest {
        address_ip_version: Some(AddressIpVersion::Ipv6),
        address_type: Some(AddressType::Internet),
        load_balancer_name: Some(name.into()),
        load_balancer_spec: Some("slb.s1.small".into()),
        ..Default::default()
    }
}

fn with_pool(pool: &str) -> slb_local::config::LocalConfig {
    slb_local::config::LocalConfig {
        ipv6_vip_pool: pool.into(),
        ..config()
    }
}

async fn attribute(h: &Harness, id: &str) -> LoadBalancerSummary {
    let req = DescribeLoadBalancerAttributeRequest {
        load_balancer_id: id.into(),
        ..Default::default()
    };
    h.client
        .describe_load_balancer_attribute(&req)
        .await
        .unwrap()
        .summary
}

#[tokio::test]
async fn an_ipv6_clb_takes_the_lowest_free_pool_address_and_describes_as_ipv6() {
    let h = start_with(
        with_pool("fd00:5b::/120"),
        Box::new(slb_local::store::MemoryStore::default()),
    )
    .await;
    let first = h.client.create_load_balancer(&ipv6("v6-a")).await.unwrap();
    let second = h.client.create_load_balancer(&ipv6("v6-b")).await.unwrap();
    assert_eq!(
        (first.address.as_str(), first.address_ip_version.as_str()),
        ("fd00:5b::1", "ipv6")
    );
    assert_eq!(second.address, "fd00:5b::2");
    let got = attribute(&h, &first.load_balancer_id).await;
    assert_eq!(
        (got.address.as_str(), got.address_ip_version.as_str()),
        ("fd00:5b::1", "ipv6")
    );
    let listed = h
        .client
        .describe_load_balancers(&DescribeLoadBalancersRequest {
            address_ip_version: Some(AddressIpVersion::Ipv6),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.total_count, 2);
}

#[tokio::test]
async fn an_intranet_ipv6_clb_is_a_mismatch_even_when_implied_by_the_vswitch() {
    let h = start().await;
    let implied = CreateLoadBalancerRequest {
        address_type: None,
        vswitch_id: Some("vsw-local".into()),
        ..ipv6("v6-intranet")
    };
    let err = assert_code(
        h.client.create_load_balancer(&implied).await,
        "InvalidParameter.Mismatch",
        400,
    );
    assert!(
        err.message.contains("IPv6 does not support intranet"),
        "{err}"
    );
    let explicit = CreateLoadBalancerRequest {
        address_type: Some(AddressType::Intranet),
        ..implied
    };
    assert_code(
        h.client.create_load_balancer(&explicit).await,
        "InvalidParameter.Mismatch",
        400,
    );
}

#[tokio::test]
async fn the_default_pool_is_the_loopback_address_and_holds_one_ipv6_clb() {
    let h = start().await;
    let lb = h.client.create_load_balancer(&ipv6("v6-lo")).await.unwrap();
    assert_eq!(lb.address, "::1");
    let err = assert_code(
        h.client.create_load_balancer(&ipv6("v6-more")).await,
        "OperationFailed.InternetIpNotEnough",
        400,
    );
    assert!(err.message.contains("ipv6_vip_pool"), "{err}");
    let v4 = h
        .client
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_ip_version: Some(AddressIpVersion::Ipv4),
            ..ipv6("v4-still")
        })
        .await
        .unwrap();
    assert_eq!(v4.address_ip_version, "ipv4", "the IPv4 pool is separate");
}

#[tokio::test]
async fn a_running_listener_of_an_ipv6_clb_reaches_the_data_plane_on_its_ipv6_vip() {
    let h = start().await;
    let lb = h.client.create_load_balancer(&ipv6("v6-dp")).await.unwrap();
    let group = create_group(&h, &lb.load_balancer_id).await;
    add(&h, &group, vec![ecs("i-node1", 30080, 100)])
        .await
        .unwrap();
    h.client
        .create_tcp_listener(&tcp_listener(&lb.load_balancer_id, 8080, &group))
        .await
        .unwrap();
    h.client
        .start_listener(&StartListenerRequest {
            load_balancer_id: lb.load_balancer_id.clone(),
            listener_port: 8080,
            ..Default::default()
        })
        .await
        .unwrap();
    let snap = h.applied_snapshot();
    assert_eq!(snap.listeners.len(), 1);
    assert_eq!(snap.listeners[0].vip.to_string(), "::1");
    assert_eq!(
        snap.listeners[0].backends[0].addr.to_string(),
        "127.0.0.11:30080"
    );
}

#[tokio::test]
async fn a_zone_the_region_does_not_have_is_not_available() {
    let h = start().await;
    let req = CreateLoadBalancerRequest {
        master_zone_id: Some("cn-hangzhou-z".into()),
        ..intranet("zoned")
    };
    let err = assert_code(
        h.client.create_load_balancer(&req).await,
        "PRODUCT.NOT_AVAILABLE_IZ",
        400,
    );
    assert!(
        err.message.contains("cn-hangzhou-a"),
        "names the zones: {err}"
    );
    let ok = CreateLoadBalancerRequest {
        master_zone_id: Some("cn-hangzhou-a".into()),
        slave_zone_id: Some("cn-hangzhou-b".into()),
        ..intranet("zoned")
    };
    h.client.create_load_balancer(&ok).await.unwrap();
}

#[tokio::test]
async fn an_ipv6_clb_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let id = {
        let store = Box::new(SqliteStore::open(&path).unwrap());
        let h = start_with(with_pool("fd00:5b::/120"), store).await;
        h.client
            .create_load_balancer(&ipv6("v6"))
            .await
            .unwrap()
            .load_balancer_id
    };
    let h = start_with(
        with_pool("fd00:5b::/120"),
        Box::new(SqliteStore::open(&path).unwrap()),
    )
    .await;
    let got = attribute(&h, &id).await;
    assert_eq!(
        (got.address.as_str(), got.address_ip_version.as_str()),
        ("fd00:5b::1", "ipv6")
    );
    let next = h
        .client
        .create_load_balancer(&ipv6("v6-next"))
        .await
        .unwrap();
    assert_eq!(next.address, "fd00:5b::2", "the restored VIP stays taken");
}

#[tokio::test]
async fn an_ipv6_clb_refuses_the_x_forwarded_for_sub_options() {
    let h = start().await;
    let lb = h
        .client
        .create_load_balancer(&ipv6("v6-xff"))
        .await
        .unwrap();
    let group = create_group(&h, &lb.load_balancer_id).await;
    let http = |port| CreateHttpListenerRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        listener_port: port,
        vserver_group_id: Some(group.clone()),
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        x_forwarded_for: Some(OnOff::On),
        ..Default::default()
    };
    let with_slb_ip = CreateHttpListenerRequest {
        x_forwarded_for_slbip: Some(OnOff::On),
        ..http(80)
    };
    let err = assert_code(
        h.client.create_http_listener(&with_slb_ip).await,
        "ListenerForwardNotSupport",
        400,
    );
    assert!(err.message.contains("XForwardedFor_SLBIP"), "{err}");
    h.client.create_http_listener(&http(80)).await.unwrap();
}
