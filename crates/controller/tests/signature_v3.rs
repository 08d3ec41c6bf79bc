//! The OpenAPI client with signature V3 (`ACS3-HMAC-SHA256`, `signature_version: v3` in its
//! config) against the local CLB's signed HTTP API: a CLB's lifecycle (create, describe,
//! delete) goes through, and a wrong secret is refused with the server's V3 string to sign,
//! which shows the V3 path (not V2) was taken. `--signature-version v3` on the command line
//! gives such a client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use slb_local::server::{Credential, ServerConfig, app};
use slb_local::store::MemoryStore;
use slb_local::{Engine, LocalConfig, NoopDataPlane};
use slb_openapi::HttpClient;
use slb_openapi::api::Clb;
use slb_openapi::clb::{
    CreateLoadBalancerRequest, DeleteLoadBalancerRequest, DescribeLoadBalancersRequest,
};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides, SignatureVersion};

const KEY_ID: &str = "v3-test";
const SECRET: &str = "v3-secret";

/// A local CLB served over HTTP on a loopback port; returns its `host:port`.
async fn serve_local_clb() -> String {
    let config: LocalConfig = serde_yaml::from_str("{}").unwrap();
    let engine = Arc::new(
        Engine::open(
            config,
            Box::new(MemoryStore::default()),
            Arc::new(NoopDataPlane),
        )
        .unwrap(),
    );
    let server = ServerConfig {
        credentials: vec![Credential {
            access_key_id: KEY_ID.into(),
            access_key_secret: SECRET.into(),
        }],
        metrics: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app(engine, server)).await });
    addr
}

fn v3_client(addr: &str, secret: &str) -> HttpClient {
    let mut config = ClientConfig::new("cn-hangzhou", Credentials::new(KEY_ID, secret));
    config.overrides = EndpointOverrides::local(addr);
    config.signature_version = SignatureVersion::V3;
    HttpClient::new(config).unwrap()
}

#[tokio::test]
async fn a_v3_signed_client_creates_describes_and_deletes_a_clb() {
    let addr = serve_local_clb().await;
    let client = v3_client(&addr, SECRET);
    let created = client
        .create_load_balancer(&CreateLoadBalancerRequest {
            load_balancer_name: Some("v3 name with spaces*~".into()),
            load_balancer_spec: Some("slb.s1.small".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let by_id = DescribeLoadBalancersRequest {
        load_balancer_id: Some(created.load_balancer_id.clone()),
        ..Default::default()
    };
    let found = client.describe_load_balancers(&by_id).await.unwrap();
    let names: Vec<&str> = found
        .load_balancers
        .iter()
        .map(|lb| lb.load_balancer_name.as_str())
        .collect();
    assert_eq!(names, ["v3 name with spaces*~"]);
    client
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: created.load_balancer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let after = client.describe_load_balancers(&by_id).await.unwrap();
    assert!(after.load_balancers.is_empty(), "{after:?}");
}

#[tokio::test]
async fn a_v3_request_with_a_wrong_secret_is_refused_with_the_v3_string_to_sign() {
    let addr = serve_local_clb().await;
    let client = v3_client(&addr, "not-the-secret");
    let err = client
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, "SignatureDoesNotMatch");
    assert!(err.message.contains("ACS3-HMAC-SHA256"), "{}", err.message);
}

/// The cloud flags of `slb-ccm controller` alone.
#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    cloud: slb_controller::run::CloudArgs,
}

fn flags(args: &[&str]) -> Result<Flags, clap::Error> {
    use clap::Parser as _;
    Flags::try_parse_from(std::iter::once("slb-ccm").chain(args.iter().copied()))
}

#[tokio::test]
async fn the_signature_version_flag_gives_a_v3_client_that_the_local_clb_serves() {
    let addr = serve_local_clb().await;
    let parsed = flags(&[
        "--signature-version",
        "v3",
        "--local-endpoint",
        &addr,
        "--access-key-id",
        KEY_ID,
        "--access-key-secret",
        SECRET,
    ])
    .unwrap();
    let (client, _) = parsed
        .cloud
        .http_client(slb_controller::run::CloudKind::Local)
        .unwrap();
    assert_eq!(client.config().signature_version, SignatureVersion::V3);
    client
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    let default = flags(&[]).unwrap();
    assert_eq!(default.cloud.signature_version, SignatureVersion::V2);
    let err = flags(&["--signature-version", "v4"])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("use v2"), "{err}");
}
