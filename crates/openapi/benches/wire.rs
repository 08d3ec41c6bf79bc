//! Wire-path costs: V2 signing, request flattening/parsing, and a full signed call through
//! the HTTP client to an in-process server on 127.0.0.1 (governor, metrics, JSON included).
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use slb_openapi::action::Action;
use slb_openapi::clb::{AddVServerGroupBackendServersRequest, DeleteLoadBalancerRequest};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides, Scheme};
use slb_openapi::governor::{GovernorConfig, RateLimit};
use slb_openapi::types::{BackendServer, BackendType};
use slb_openapi::{Clb, HttpClient, sign};

fn backends(n: usize) -> Vec<BackendServer> {
    (0..n)
        .map(|i| BackendServer {
            server_id: format!("eni-{i}"),
            port: Some(30080),
            weight: Some(100),
            server_type: Some(BackendType::Eni),
            server_ip: format!("10.0.{}.{}", i / 250, i % 250),
            description: "k8s/80/svc/ns/cluster".into(),
            ..Default::default()
        })
        .collect()
}

fn bench_sign_and_params(c: &mut Criterion) {
    let req = AddVServerGroupBackendServersRequest {
        region_id: Some("cn-hangzhou".into()),
        vserver_group_id: "rsp-1".into(),
        backend_servers: backends(40),
    };
    let mut params: BTreeMap<String, String> = req.to_params();
    params.insert("AccessKeyId".into(), "testid".into());
    params.insert("Timestamp".into(), "2024-01-02T03:04:05Z".into());
    c.bench_function("sign_v2 40 backends", |b| {
        b.iter(|| sign::sign_v2("POST", &params, "testsecret"))
    });
    c.bench_function("to_params 40 backends", |b| b.iter(|| req.to_params()));
    let flat = req.to_params();
    c.bench_function("from_params 40 backends", |b| {
        b.iter(|| AddVServerGroupBackendServersRequest::from_params(&flat).unwrap())
    });
}

fn bench_loopback_call(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(|| async { axum::Json(serde_json::json!({"RequestId": "B"})) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut cfg = ClientConfig::new("cn-hangzhou", Credentials::new("ak", "sk"));
        cfg.overrides = EndpointOverrides {
            slb: Some(addr.to_string()),
            ecs: None,
            vpc: None,
            scheme: Some(Scheme::Http),
        };
        cfg.governor = GovernorConfig {
            default_rate: RateLimit::UNLIMITED,
            ..GovernorConfig::default()
        };
        HttpClient::new(cfg).unwrap()
    });
    let req = DeleteLoadBalancerRequest {
        load_balancer_id: "lb-1".into(),
        ..Default::default()
    };
    c.bench_function("signed loopback call", |b| {
        b.iter(|| rt.block_on(client.delete_load_balancer(&req)).unwrap())
    });
}

criterion_group!(benches, bench_sign_and_params, bench_loopback_call);
criterion_main!(benches);
