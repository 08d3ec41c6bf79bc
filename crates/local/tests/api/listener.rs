//! Listener actions: lifecycle, port spaces, validation, settings round trip, paging.

use slb_local::store::MemoryStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{ListenerProtocol, OnOff, Scheduler};

use crate::support::*;

async fn lb_with_group(h: &Harness) -> (String, String) {
    let lb = create_lb(h, "l").await.load_balancer_id;
    let group = create_group(h, &lb).await;
    (lb, group)
}

fn describe_tcp(lb: &str, port: u16) -> DescribeTcpListenerAttributeRequest {
    DescribeTcpListenerAttributeRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        ..Default::default()
    }
}

#[tokio::test]
async fn new_listener_is_stopped_until_started_and_stops_again() {
    let h = start().await;
    let (lb, group) = lb_with_group(&h).await;
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    let status = |h: &Harness| {
        let c = h.client.clone();
        let lb = lb.clone();
        async move {
            c.describe_tcp_listener_attribute(&describe_tcp(&lb, 80))
                .await
                .unwrap()
                .common
                .status
        }
    };
    assert_eq!(status(&h).await, "stopped");
    let start = StartListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    h.client.start_listener(&start).await.unwrap();
    assert_eq!(status(&h).await, "running");
    let stop = StopListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        ..Default::default()
    };
    h.client.stop_listener(&stop).await.unwrap();
    assert_eq!(status(&h).await, "stopped");
}

#[tokio::test]
async fn tcp_port_is_taken_for_tcp_but_free_for_udp_and_then_ambiguous_without_protocol() {
    let h = start().await;
    let (lb, group) = lb_with_group(&h).await;
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 53, &group))
        .await
        .unwrap();
    let err = assert_code(
        h.client
            .create_tcp_listener(&tcp_listener(&lb, 53, &group))
            .await,
        "ListenerAlreadyExists",
        400,
    );
    assert_eq!(
        err.message,
        "A listener with the specified port already exists"
    );
    let udp = CreateUdpListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 53,
        vserver_group_id: Some(group.clone()),
        bandwidth: -1,
        ..Default::default()
    };
    h.client.create_udp_listener(&udp).await.unwrap();
    let start = StartListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 53,
        ..Default::default()
    };
    assert_code(
        h.client.start_listener(&start).await,
        "TooManyListeners",
        400,
    );
    let start_udp = StartListenerRequest {
        listener_protocol: Some(ListenerProtocol::Udp),
        ..start
    };
    h.client.start_listener(&start_udp).await.unwrap();
}

#[tokio::test]
async fn listener_without_backend_port_or_group_is_missing_parameter() {
    let h = start().await;
    let (lb, _) = lb_with_group(&h).await;
    let req = CreateTcpListenerRequest {
        load_balancer_id: lb,
        listener_port: 80,
        bandwidth: -1,
        ..Default::default()
    };
    let err = assert_code(
        h.client.create_tcp_listener(&req).await,
        "MissingParameter",
        400,
    );
    assert_eq!(
        err.message,
        "The BackendServerPort or VServerGroupId is required at lease one."
    );
}

#[tokio::test]
async fn group_of_another_lb_is_an_invalid_vserver_group_id() {
    let h = start().await;
    let (lb, _) = lb_with_group(&h).await;
    let (_, other_group) = lb_with_group(&h).await;
    assert_code(
        h.client
            .create_tcp_listener(&tcp_listener(&lb, 80, &other_group))
            .await,
        "InvalidParam.VServerGroupId",
        400,
    );
}

#[tokio::test]
async fn listener_quota_is_enforced_per_lb() {
    let mut config = config();
    config.quotas.listeners_per_load_balancer = 2;
    let h = start_with(config, Box::new(MemoryStore::default())).await;
    let (lb, group) = lb_with_group(&h).await;
    for port in [80, 81] {
        h.client
            .create_tcp_listener(&tcp_listener(&lb, port, &group))
            .await
            .unwrap();
    }
    assert_code(
        h.client
            .create_tcp_listener(&tcp_listener(&lb, 82, &group))
            .await,
        "QuotaExceeded.Listener",
        400,
    );
}

#[tokio::test]
async fn missing_listener_is_not_found_for_describe_and_delete() {
    let h = start().await;
    let (lb, _) = lb_with_group(&h).await;
    assert_code(
        h.client
            .describe_tcp_listener_attribute(&describe_tcp(&lb, 9))
            .await,
        "ListenerNotFound",
        404,
    );
    let del = DeleteListenerRequest {
        load_balancer_id: lb,
        listener_port: 9,
        ..Default::default()
    };
    assert_code(
        h.client.delete_listener(&del).await,
        "ResourceNotFound.Listener",
        404,
    );
}

#[tokio::test]
async fn tcp_settings_round_trip_through_create_set_and_describe() {
    let h = start().await;
    let (lb, group) = lb_with_group(&h).await;
    let req = CreateTcpListenerRequest {
        scheduler: Some(Scheduler::Wlc),
        health_check_interval: Some(7),
        connection_drain: Some(OnOff::On),
        connection_drain_timeout: Some(30),
        proxy_protocol_v2_enabled: Some(true),
        description: Some("k8s/80/svc/ns/c1".into()),
        ..tcp_listener(&lb, 80, &group)
    };
    h.client.create_tcp_listener(&req).await.unwrap();
    let set = SetTcpListenerAttributeRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        healthy_threshold: Some(4),
        ..Default::default()
    };
    h.client.set_tcp_listener_attribute(&set).await.unwrap();
    let got = h
        .client
        .describe_tcp_listener_attribute(&describe_tcp(&lb, 80))
        .await
        .unwrap();
    assert_eq!(got.common.scheduler, "wlc");
    assert_eq!(got.common.vserver_group_id, group);
    assert_eq!(got.common.description, "k8s/80/svc/ns/c1");
    assert_eq!(got.config.health_check_interval, 7);
    assert_eq!(got.config.healthy_threshold, 4);
    assert_eq!(
        (
            got.config.connection_drain.as_str(),
            got.config.connection_drain_timeout
        ),
        ("on", 30)
    );
    assert!(got.config.proxy_protocol_v2_enabled);
    let bad = SetTcpListenerAttributeRequest {
        health_check_interval: Some(99),
        ..set
    };
    let err = assert_code(
        h.client.set_tcp_listener_attribute(&bad).await,
        "InvalidParameter",
        400,
    );
    assert!(
        err.message.contains("HealthCheckInterval"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn drain_on_without_timeout_is_missing_parameter() {
    let h = start().await;
    let (lb, group) = lb_with_group(&h).await;
    let req = CreateTcpListenerRequest {
        connection_drain: Some(OnOff::On),
        ..tcp_listener(&lb, 80, &group)
    };
    assert_code(
        h.client.create_tcp_listener(&req).await,
        "MissingParameter",
        400,
    );
}

#[tokio::test]
async fn describe_listeners_returns_bare_arrays_and_pages_with_next_token() {
    let h = start().await;
    let (lb, group) = lb_with_group(&h).await;
    for port in [80, 443, 8080] {
        h.client
            .create_tcp_listener(&tcp_listener(&lb, port, &group))
            .await
            .unwrap();
    }
    let mut req = DescribeListenersRequest {
        load_balancer_ids: vec![lb.clone()],
        max_results: Some(2),
        ..Default::default()
    };
    let first = h.client.describe_listeners(&req).await.unwrap();
    assert_eq!((first.listeners.len(), first.total_count), (2, 3));
    assert!(!first.next_token.is_empty());
    req.next_token = Some(first.next_token);
    let second = h.client.describe_listeners(&req).await.unwrap();
    assert_eq!(second.listeners.len(), 1);
    assert!(second.next_token.is_empty());
    let item = &second.listeners[0];
    assert_eq!(
        (item.listener_protocol.as_str(), item.status.as_str()),
        ("tcp", "stopped")
    );
    assert!(
        item.tcp_listener_config.is_some(),
        "protocol config object is present"
    );
}

#[tokio::test]
async fn https_listener_needs_a_certificate_and_http_listener_works() {
    let h = start().await;
    let (lb, group) = lb_with_group(&h).await;
    let https = CreateHttpsListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 443,
        vserver_group_id: Some(group.clone()),
        bandwidth: -1,
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        ..Default::default()
    };
    let err = assert_code(
        h.client.create_https_listener(&https).await,
        "MissingParameter",
        400,
    );
    assert!(err.message.contains("ServerCertificateId"));
    let http = CreateHttpListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        vserver_group_id: Some(group),
        health_check: OnOff::On,
        sticky_session: OnOff::Off,
        ..Default::default()
    };
    h.client.create_http_listener(&http).await.unwrap();
    let got = h
        .client
        .describe_http_listener_attribute(&DescribeHttpListenerAttributeRequest {
            load_balancer_id: lb,
            listener_port: 80,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.common.status, "stopped");
}
