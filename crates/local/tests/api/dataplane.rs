//! The data-plane hook: what a snapshot contains after committed changes.

use std::net::SocketAddr;

use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::OnOff;

use crate::support::*;

#[tokio::test]
async fn running_listener_reaches_the_data_plane_with_resolved_backends() {
    let h = start().await;
    let lb = create_lb(&h, "dp").await;
    let group = create_group(&h, &lb.load_balancer_id).await;
    add(
        &h,
        &group,
        vec![
            ecs("i-node1", 30080, 40),
            eni("eni-pod", "127.0.0.21", 8080),
        ],
    )
    .await
    .unwrap();
    let listener = CreateTcpListenerRequest {
        connection_drain: Some(OnOff::On),
        connection_drain_timeout: Some(20),
        proxy_protocol_v2_enabled: Some(true),
        ..tcp_listener(&lb.load_balancer_id, 80, &group)
    };
    h.client.create_tcp_listener(&listener).await.unwrap();
    assert!(
        h.applied_snapshot().listeners.is_empty(),
        "a stopped listener does not forward"
    );
    let start = StartListenerRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        listener_port: 80,
        ..Default::default()
    };
    h.client.start_listener(&start).await.unwrap();
    let snap = h.applied_snapshot();
    assert_eq!(snap.listeners.len(), 1);
    let l = &snap.listeners[0];
    assert_eq!(
        (
            l.vip.to_string(),
            l.port,
            l.protocol.as_str(),
            l.scheduler.as_str()
        ),
        (lb.address.clone(), 80, "tcp", "wrr")
    );
    assert_eq!(l.connection_drain_timeout_s, Some(20));
    assert!(l.proxy_protocol_v2);
    assert!(l.health_check.enabled);
    let backends: Vec<(SocketAddr, u32)> = l.backends.iter().map(|b| (b.addr, b.weight)).collect();
    assert_eq!(
        backends,
        vec![
            ("127.0.0.11:30080".parse().unwrap(), 40),
            ("127.0.0.21:8080".parse().unwrap(), 100)
        ]
    );
    let inactive = SetLoadBalancerStatusRequest {
        load_balancer_id: lb.load_balancer_id,
        load_balancer_status: slb_openapi::types::LoadBalancerStatus::Inactive,
        ..Default::default()
    };
    h.client.set_load_balancer_status(&inactive).await.unwrap();
    assert!(
        h.applied_snapshot().listeners.is_empty(),
        "an inactive LB forwards nothing"
    );
}

#[tokio::test]
async fn moving_an_instance_updates_the_backend_address() {
    let h = start().await;
    let lb = create_lb(&h, "dp").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    add(&h, &group, vec![ecs("i-node2", 30080, 100)])
        .await
        .unwrap();
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    h.client
        .start_listener(&StartListenerRequest {
            load_balancer_id: lb,
            listener_port: 80,
            ..Default::default()
        })
        .await
        .unwrap();
    raw(
        h.addr,
        "POST",
        "LocalPutInstances",
        &[(
            "Instances",
            r#"[{"InstanceId":"i-node2","PrivateIpAddress":"127.0.0.99","VpcId":"vpc-local"}]"#,
        )],
    )
    .await;
    let addr = h.applied_snapshot().listeners[0].backends[0].addr;
    assert_eq!(addr, "127.0.0.99:30080".parse::<SocketAddr>().unwrap());
}

#[tokio::test]
async fn an_http_listener_reaches_the_data_plane_with_its_header_session_and_timeout_settings() {
    let h = start().await;
    let lb = create_lb(&h, "dp-http").await;
    let group = create_group(&h, &lb.load_balancer_id).await;
    add(&h, &group, vec![ecs("i-node1", 30080, 100)])
        .await
        .unwrap();
    let listener = CreateHttpListenerRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        listener_port: 8080,
        health_check: OnOff::Off,
        sticky_session: OnOff::On,
        sticky_session_type: Some(slb_openapi::types::StickySessionType::Server),
        cookie: Some("JSESSIONID".into()),
        vserver_group_id: Some(group),
        x_forwarded_for_slbip: Some(OnOff::On),
        x_forwarded_for_client_src_port: Some(OnOff::On),
        request_timeout: Some(30),
        ..Default::default()
    };
    h.client.create_http_listener(&listener).await.unwrap();
    let start = StartListenerRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        listener_port: 8080,
        ..Default::default()
    };
    h.client.start_listener(&start).await.unwrap();
    let snap = h.applied_snapshot();
    let http = snap.listeners[0].http.clone().expect("http settings");
    assert!(http.slb_ip && http.client_src_port);
    assert!(!http.slb_id && !http.proto && !http.slb_port);
    assert_eq!(http.sticky_session_type.as_deref(), Some("server"));
    assert_eq!(http.cookie, "JSESSIONID");
    assert_eq!((http.idle_timeout_s, http.request_timeout_s), (15, 30));
    assert_eq!(http.forward_port, None);
    assert!(http.gzip, "Gzip is on by default, as on CLB");
}
