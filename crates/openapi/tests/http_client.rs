//! The HTTP client against an in-test server on 127.0.0.1:0: exact wire parameters and a
//! verified signature for one call per action family, then scripted throttling, 5xx and
//! timeouts proving the retry rules and the token bucket. The clock is paused, so backoffs
//! and timeouts take no real time and elapsed times are exact.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use serde_json::json;
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::error::codes;
use slb_openapi::governor::RateLimit;
use slb_openapi::types::*;
use slb_openapi::{Clb, Ecs, HttpClient};
use support::{Reply, TestServer, empty_responder};
use tokio::time::{Duration, Instant};

fn expected(action: &str, version: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = [
        ("AccessKeyId", "testid"),
        ("Action", action),
        ("Format", "JSON"),
        ("RegionId", "cn-hangzhou"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("Version", version),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    m.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    m
}

fn last(server: &TestServer) -> support::Seen {
    server.seen().pop().unwrap()
}

#[tokio::test(start_paused = true)]
async fn each_action_family_sends_exact_signed_parameters_as_an_empty_post() {
    let server = TestServer::start(|action, _| match action {
        "CreateLoadBalancer" => json!({"LoadBalancerId": "lb-new", "Address": "10.0.0.9"}),
        "AddVServerGroupBackendServers" => {
            json!({"VServerGroupId": "rsp-1", "BackendServers": {"BackendServer": [{"ServerId": "i-1", "Port": 80}]}})
        }
        "DescribeInstances" => json!({"Instances": {"Instance": [{"InstanceId": "i-1"}]}}),
        _ => json!({}),
    })
    .await;
    let client = server.client();

    let created = client
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_type: Some(AddressType::Intranet),
            load_balancer_spec: Some("slb.s1.small".into()),
            vswitch_id: Some("vsw-1".into()),
            client_token: Some("tok-1".into()),
            tags: vec![Tag::new("kubernetes.do.not.delete", "a1")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.load_balancer_id, "lb-new");
    assert_eq!(created.request_id, "TEST-REQ");
    let seen = last(&server);
    assert_eq!(seen.method, "POST");
    assert!(seen.body.is_empty());
    assert_eq!(seen.content_type, "application/x-www-form-urlencoded");
    assert_eq!(
        seen.stable_params(),
        expected(
            "CreateLoadBalancer",
            "2014-05-15",
            &[
                ("AddressType", "intranet"),
                ("ClientToken", "tok-1"),
                ("LoadBalancerSpec", "slb.s1.small"),
                ("Tag.1.Key", "kubernetes.do.not.delete"),
                ("Tag.1.Value", "a1"),
                ("VSwitchId", "vsw-1"),
            ]
        )
    );

    client
        .create_tcp_listener(&CreateTcpListenerRequest {
            load_balancer_id: "lb-new".into(),
            listener_port: 80,
            vserver_group_id: Some("rsp-1".into()),
            bandwidth: -1,
            scheduler: Some(Scheduler::Rr),
            health_check_interval: Some(2),
            description: Some("k8s/80/svc/ns/c1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        last(&server).stable_params(),
        expected(
            "CreateLoadBalancerTCPListener",
            "2014-05-15",
            &[
                ("Bandwidth", "-1"),
                ("Description", "k8s/80/svc/ns/c1"),
                ("ListenerPort", "80"),
                ("LoadBalancerId", "lb-new"),
                ("Scheduler", "rr"),
                ("VServerGroupId", "rsp-1"),
                ("healthCheckInterval", "2"),
            ]
        )
    );

    let added = client
        .add_vserver_group_backend_servers(&AddVServerGroupBackendServersRequest {
            vserver_group_id: "rsp-1".into(),
            backend_servers: vec![BackendServer {
                server_id: "i-1".into(),
                port: Some(80),
                weight: Some(100),
                description: "k8s/80/svc/ns/c1".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(added.backend_servers[0].port, Some(80));
    assert_eq!(
        last(&server).stable_params(),
        expected(
            "AddVServerGroupBackendServers",
            "2014-05-15",
            &[
                (
                    "BackendServers",
                    r#"[{"ServerId":"i-1","Weight":"100","Port":"80","Description":"k8s/80/svc/ns/c1"}]"#
                ),
                ("VServerGroupId", "rsp-1"),
            ]
        )
    );

    client
        .tag_resources(&TagResourcesRequest {
            resource_type: ResourceType::Instance,
            resource_ids: vec!["lb-new".into()],
            tags: vec![Tag::new("k", "v w")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        last(&server).stable_params(),
        expected(
            "TagResources",
            "2014-05-15",
            &[
                ("ResourceId.1", "lb-new"),
                ("ResourceType", "instance"),
                ("Tag.1.Key", "k"),
                ("Tag.1.Value", "v w"),
            ]
        )
    );

    let instances = client
        .describe_instances(&DescribeInstancesRequest {
            region_id: Some("cn-beijing".into()),
            instance_ids: Some(vec!["i-1".into()]),
            max_results: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(instances.instances[0].instance_id, "i-1");
    let mut want = expected(
        "DescribeInstances",
        "2014-05-26",
        &[("InstanceIds", r#"["i-1"]"#), ("MaxResults", "100")],
    );
    want.insert("RegionId".into(), "cn-beijing".into());
    assert_eq!(last(&server).stable_params(), want);

    // Every request carried a fresh nonce and a second-precision timestamp.
    let seen = server.seen();
    let nonces: std::collections::BTreeSet<_> = seen
        .iter()
        .map(|s| s.params["SignatureNonce"].clone())
        .collect();
    assert_eq!(nonces.len(), seen.len());
    assert!(seen.iter().all(|s| s.params["Timestamp"].len() == 20));
}

#[tokio::test(start_paused = true)]
async fn sts_credentials_send_a_signed_security_token() {
    let server = TestServer::start(empty_responder).await;
    let mut cfg = server.config();
    cfg.credentials = std::sync::Arc::new(
        slb_openapi::Credentials::new("testid", support::SECRET).with_security_token("sts-1"),
    );
    let client = HttpClient::new(cfg).unwrap();
    client
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(last(&server).params["SecurityToken"], "sts-1");
}

#[tokio::test(start_paused = true)]
async fn a_wrong_secret_comes_back_as_signature_does_not_match() {
    let server = TestServer::start(empty_responder).await;
    let mut cfg = server.config();
    cfg.credentials = std::sync::Arc::new(slb_openapi::Credentials::new("testid", "wrong"));
    let err = HttpClient::new(cfg)
        .unwrap()
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "SignatureDoesNotMatch");
    assert!(err.message.contains("POST&%2F&AccessKeyId%3Dtestid"));
    assert_eq!(server.seen().len(), 1, "auth errors are not retried");
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_jittered_exponential_backoff() {
    let server = TestServer::start(empty_responder).await;
    server.script(
        "DescribeVServerGroups",
        [
            Reply::Error(codes::THROTTLING_USER.error()),
            Reply::Error(codes::THROTTLING_API.error()),
        ],
    );
    let client = server.client();
    let start = Instant::now();
    client
        .describe_vserver_groups(&DescribeVServerGroupsRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let elapsed = start.elapsed();
    // Ceilings 100 ms then 200 ms, equal jitter: between half and all of their sum.
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed <= Duration::from_millis(300), "{elapsed:?}");
    assert_eq!(server.seen().len(), 3);
    let stats = client.stats().get("DescribeVServerGroups");
    assert_eq!(
        (
            stats.calls,
            stats.requests,
            stats.throttles,
            stats.retries,
            stats.errors
        ),
        (1, 3, 2, 2, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttle_time_left_header_sets_the_wait_exactly() {
    let server = TestServer::start(empty_responder).await;
    server.script(
        "DescribeVServerGroups",
        [Reply::ErrorWithHeaders(
            codes::THROTTLING_USER.error(),
            vec![("x-ratelimit-user-api", "Limit:10,Remain:0,TimeLeft:750")],
        )],
    );
    let start = Instant::now();
    server
        .client()
        .describe_vserver_groups(&DescribeVServerGroupsRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(750));
}

#[tokio::test(start_paused = true)]
async fn busy_and_5xx_answers_are_retried_until_the_budget_is_spent() {
    let server = TestServer::start(empty_responder).await;
    server.script(
        "SetLoadBalancerName",
        [
            Reply::Error(codes::BACKEND_SERVER_CONFIGURING.error()),
            Reply::Raw(502, "<html>bad gateway</html>"),
            Reply::Error(codes::SERVICE_UNAVAILABLE.error()),
        ],
    );
    let client = server.client();
    let err = client
        .set_load_balancer_name(&SetLoadBalancerNameRequest {
            load_balancer_id: "lb-1".into(),
            load_balancer_name: "n".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "ServiceUnavailable");
    assert_eq!(err.http_status, 503);
    assert_eq!(err.request_id, "TEST-REQ");
    assert_eq!(server.seen().len(), 3, "max_attempts is 3");
    assert_eq!(client.stats().get("SetLoadBalancerName").errors, 1);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_read_times_out_and_is_retried() {
    let server = TestServer::start(|_, _| json!({"LoadBalancers": {"LoadBalancer": []}})).await;
    server.script("DescribeLoadBalancers", [Reply::Hang]);
    let client = server.client();
    let start = Instant::now();
    client
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 2);
    // The 2 s attempt timeout plus a 50–100 ms backoff.
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(2050) && elapsed <= Duration::from_millis(2100),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_without_client_token_is_not_retried_after_a_timeout() {
    let server = TestServer::start(|_, _| json!({"VServerGroupId": "rsp-1"})).await;
    server.script("CreateVServerGroup", [Reply::Hang]);
    let err = server
        .client()
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: "lb-1".into(),
            vserver_group_name: Some("k8s/80/svc/ns/c1".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "SDK.Timeout");
    assert_eq!(
        server.seen().len(),
        1,
        "a second attempt could create a duplicate group"
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_without_client_token_is_retried_after_throttling() {
    let server = TestServer::start(|_, _| json!({"VServerGroupId": "rsp-1"})).await;
    server.script(
        "CreateVServerGroup",
        [Reply::Error(codes::THROTTLING_USER.error())],
    );
    let created = server
        .client()
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.vserver_group_id, "rsp-1");
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_create_with_client_token_is_retried_after_a_5xx_with_the_same_token() {
    let server = TestServer::start(|_, _| json!({"LoadBalancerId": "lb-1"})).await;
    server.script(
        "CreateLoadBalancer",
        [Reply::Error(codes::INTERNAL_ERROR.error())],
    );
    server
        .client()
        .create_load_balancer(&CreateLoadBalancerRequest {
            client_token: Some("tok-9".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.params["ClientToken"] == "tok-9"));
    assert_ne!(
        seen[0].params["SignatureNonce"],
        seen[1].params["SignatureNonce"]
    );
}

#[tokio::test(start_paused = true)]
async fn not_found_errors_come_back_typed_and_unretried() {
    let server = TestServer::start(empty_responder).await;
    server.script(
        "DescribeLoadBalancerAttribute",
        [Reply::Error(
            codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND.error(),
        )],
    );
    let err = server
        .client()
        .describe_load_balancer_attribute(&DescribeLoadBalancerAttributeRequest {
            load_balancer_id: "lb-gone".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidLoadBalancerId.NotFound");
    assert_eq!(err.http_status, 404);
    assert!(err.is_not_found());
    assert_eq!(err.kind(), "not_found");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_per_action_token_bucket_paces_wire_requests() {
    let server = TestServer::start(|_, _| json!({})).await;
    let mut cfg = server.config();
    cfg.governor.per_action.insert(
        "DescribeVServerGroupAttribute".into(),
        RateLimit::new(5.0, 1),
    );
    let client = HttpClient::new(cfg).unwrap();
    let req = DescribeVServerGroupAttributeRequest {
        vserver_group_id: "rsp-1".into(),
        ..Default::default()
    };
    let start = Instant::now();
    let calls = (0..6).map(|_| client.describe_vserver_group_attribute(&req));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    // One immediate token, then five at 5/s.
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(server.seen().len(), 6);
    // Other actions are not slowed by that bucket.
    let other = Instant::now();
    client
        .delete_vserver_group(&DeleteVServerGroupRequest {
            vserver_group_id: "rsp-1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(other.elapsed(), Duration::ZERO);
}
