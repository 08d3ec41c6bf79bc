//! Pagination helpers, metrics and the action list, exercised through the real
//! HTTP client against the in-test server (so they see real pages and real counts).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};
use slb_openapi::api::CLB_ACTIONS;
use slb_openapi::clb::*;
use slb_openapi::metrics::ApiMetrics;
use slb_openapi::paginate::*;
use slb_openapi::{Clb, HttpClient};
use support::{TestServer, empty_responder};

const TOTAL_LBS: u32 = 250;

fn pages(action: &str, p: &BTreeMap<String, String>) -> Value {
    let num = |k: &str, d: u32| p.get(k).and_then(|v| v.parse::<u32>().ok()).unwrap_or(d);
    match action {
        "DescribeLoadBalancers" => {
            let (page, size) = (num("PageNumber", 1), num("PageSize", 10));
            let items: Vec<Value> = ((page - 1) * size..(page * size).min(TOTAL_LBS))
                .map(|i| json!({"LoadBalancerId": format!("lb-{i}")}))
                .collect();
            json!({"PageNumber": page, "PageSize": size, "TotalCount": TOTAL_LBS,
                   "LoadBalancers": {"LoadBalancer": items}})
        }
        "DescribeLoadBalancerListeners" => {
            // Three pages: tokens "" -> "t1" -> "t2" -> "".
            let (ports, next) = match p.get("NextToken").map(String::as_str) {
                None => ([80, 81], "t1"),
                Some("t1") => ([82, 83], "t2"),
                _ => ([84, 85], ""),
            };
            let listeners: Vec<Value> = ports
                .iter()
                .map(|port| json!({"ListenerPort": port, "ListenerProtocol": "tcp"}))
                .collect();
            json!({"Listeners": listeners, "NextToken": next})
        }
        "DescribeInstances" => {
            let ids: Vec<String> = serde_json::from_str(&p["InstanceIds"]).unwrap();
            let known: Vec<Value> = ids
                .iter()
                .filter(|id| !id.ends_with("-gone"))
                .map(|id| json!({"InstanceId": id}))
                .collect();
            json!({"Instances": {"Instance": known}, "NextToken": ""})
        }
        "ListTagResources" => json!({"NextToken": "same", "TagResources": {"TagResource": []}}),
        _ => json!({}),
    }
}

#[tokio::test(start_paused = true)]
async fn page_number_listing_returns_every_load_balancer_in_three_calls() {
    let server = TestServer::start(pages).await;
    let client = server.client();
    let all = describe_all_load_balancers(&client, &DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    assert_eq!(all.len(), TOTAL_LBS as usize);
    assert_eq!(all[249].load_balancer_id, "lb-249");
    let seen = server.seen_of("DescribeLoadBalancers");
    let asked: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| {
            (
                s.params["PageNumber"].as_str(),
                s.params["PageSize"].as_str(),
            )
        })
        .collect();
    assert_eq!(asked, [("1", "100"), ("2", "100"), ("3", "100")]);
    assert_eq!(client.stats().calls("DescribeLoadBalancers"), 3);
}

#[tokio::test(start_paused = true)]
async fn next_token_listing_follows_tokens_until_empty() {
    let server = TestServer::start(pages).await;
    let client = server.client();
    let req = DescribeListenersRequest {
        load_balancer_ids: vec!["lb-1".into()],
        max_results: Some(50),
        ..Default::default()
    };
    let all = describe_all_listeners(&client, &req).await.unwrap();
    let ports: Vec<u16> = all.iter().map(|l| l.listener_port).collect();
    assert_eq!(ports, [80, 81, 82, 83, 84, 85]);
    let tokens: Vec<Option<String>> = server
        .seen_of("DescribeLoadBalancerListeners")
        .iter()
        .map(|s| s.params.get("NextToken").cloned())
        .collect();
    assert_eq!(tokens, [None, Some("t1".into()), Some("t2".into())]);
}

#[tokio::test(start_paused = true)]
async fn a_server_repeating_its_next_token_is_an_error_not_an_endless_loop() {
    let server = TestServer::start(pages).await;
    let req = ListTagResourcesRequest {
        resource_ids: vec!["lb-1".into()],
        ..Default::default()
    };
    let err = list_all_tag_resources(&server.client(), &req)
        .await
        .unwrap_err();
    assert!(err.message.contains("ListTagResources"), "{}", err.message);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn instance_lookups_are_chunked_by_100_and_unknown_ids_are_absent() {
    let server = TestServer::start(pages).await;
    let mut ids: Vec<String> = (0..250).map(|i| format!("i-{i}")).collect();
    ids.push("i-gone".into());
    let found = describe_instances_by_ids(&server.client(), None, &ids)
        .await
        .unwrap();
    assert_eq!(found.len(), 250);
    let chunk_sizes: Vec<usize> = server
        .seen_of("DescribeInstances")
        .iter()
        .map(|s| {
            serde_json::from_str::<Vec<String>>(&s.params["InstanceIds"])
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(chunk_sizes, [100, 100, 51]);
}

fn numbered(params: &BTreeMap<String, String>, prefix: &str) -> usize {
    params
        .keys()
        .filter(|k| k.strip_prefix(prefix).is_some_and(|n| n.starts_with('.')))
        .count()
}

#[tokio::test(start_paused = true)]
async fn eni_lookups_send_ipv4_as_private_ip_and_ipv6_as_ipv6_address_in_chunks_of_100() {
    let server = TestServer::start(pages).await;
    let mut ips: Vec<String> = (0..150)
        .map(|i| format!("10.0.{}.{}", i / 200, i % 200))
        .collect();
    ips.extend((0..120).map(|i| format!("2001:db8::{i:x}")));
    describe_enis_by_ips(&server.client(), None, "vpc-1", &ips)
        .await
        .unwrap();
    let sizes: Vec<(usize, usize)> = server
        .seen_of("DescribeNetworkInterfaces")
        .iter()
        .map(|s| {
            (
                numbered(&s.params, "PrivateIpAddress"),
                numbered(&s.params, "Ipv6Address"),
            )
        })
        .collect();
    assert_eq!(sizes, [(100, 0), (50, 0), (0, 100), (0, 20)]);
}

#[test]
fn an_ipv6_only_eni_lookup_sends_no_private_ip_request() {
    let ips = vec!["2001:db8::1".to_owned(), "2001:DB8:0::2".to_owned()];
    let reqs = eni_lookup_requests(Some("cn-hangzhou"), "vpc-1", &ips);
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].private_ip_addresses.is_empty());
    assert_eq!(reqs[0].ipv6_addresses, ips);
    assert_eq!(reqs[0].status.as_deref(), Some("InUse"));
}

#[tokio::test(start_paused = true)]
async fn metrics_are_registered_into_the_callers_registry() {
    let server = TestServer::start(empty_responder).await;
    server.script(
        "DeleteLoadBalancer",
        [support::Reply::Error(
            slb_openapi::error::codes::THROTTLING_USER.error(),
        )],
    );
    let metrics = ApiMetrics::new();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let client = HttpClient::with_metrics(server.config(), metrics).unwrap();
    client
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut text = String::new();
    encode(&mut text, &registry).unwrap();
    for line in [
        r#"openapi_calls_total{action="DeleteLoadBalancer",outcome="ok"} 1"#,
        r#"openapi_requests_total{action="DeleteLoadBalancer",outcome="throttling"} 1"#,
        r#"openapi_requests_total{action="DeleteLoadBalancer",outcome="ok"} 1"#,
        r#"openapi_throttles_total{action="DeleteLoadBalancer"} 1"#,
        r#"openapi_retries_total{action="DeleteLoadBalancer"} 1"#,
        r#"openapi_call_duration_seconds_count{action="DeleteLoadBalancer"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert_eq!(client.stats().total_calls(), 1);
    assert_eq!(client.stats().total_requests(), 2);
    client.stats().reset();
    assert_eq!(client.stats().total_calls(), 0);
}

#[test]
fn every_clb_action_of_the_spec_is_served() {
    let expected = [
        "CreateLoadBalancer",
        "DeleteLoadBalancer",
        "DescribeLoadBalancers",
        "DescribeLoadBalancerAttribute",
        "SetLoadBalancerName",
        "SetLoadBalancerDeleteProtection",
        "SetLoadBalancerModificationProtection",
        "ModifyLoadBalancerInternetSpec",
        "ModifyLoadBalancerInstanceSpec",
        "ModifyLoadBalancerInstanceChargeType",
        "SetLoadBalancerStatus",
        "CreateLoadBalancerTCPListener",
        "SetLoadBalancerTCPListenerAttribute",
        "DescribeLoadBalancerTCPListenerAttribute",
        "CreateLoadBalancerUDPListener",
        "SetLoadBalancerUDPListenerAttribute",
        "DescribeLoadBalancerUDPListenerAttribute",
        "CreateLoadBalancerHTTPListener",
        "SetLoadBalancerHTTPListenerAttribute",
        "DescribeLoadBalancerHTTPListenerAttribute",
        "CreateLoadBalancerHTTPSListener",
        "SetLoadBalancerHTTPSListenerAttribute",
        "DescribeLoadBalancerHTTPSListenerAttribute",
        "StartLoadBalancerListener",
        "StopLoadBalancerListener",
        "DeleteLoadBalancerListener",
        "DescribeLoadBalancerListeners",
        "DescribeHealthStatus",
        "CreateVServerGroup",
        "DeleteVServerGroup",
        "DescribeVServerGroups",
        "DescribeVServerGroupAttribute",
        "AddVServerGroupBackendServers",
        "RemoveVServerGroupBackendServers",
        "SetVServerGroupAttribute",
        "ModifyVServerGroupBackendServers",
        "TagResources",
        "UntagResources",
        "ListTagResources",
        "AddTags",
        "RemoveTags",
        "DescribeTags",
        "CreateAccessControlList",
        "DeleteAccessControlList",
        "DescribeAccessControlLists",
        "DescribeAccessControlListAttribute",
        "AddAccessControlListEntry",
        "RemoveAccessControlListEntry",
        "SetAccessControlListAttribute",
        "UploadServerCertificate",
        "DescribeServerCertificates",
        "DeleteServerCertificate",
        "SetServerCertificateName",
        "UploadCACertificate",
        "DescribeCACertificates",
        "DeleteCACertificate",
        "SetCACertificateName",
        "CreateDomainExtension",
        "DescribeDomainExtensions",
        "DescribeDomainExtensionAttribute",
        "SetDomainExtensionAttribute",
        "DeleteDomainExtension",
    ];
    let mut served: Vec<&str> = CLB_ACTIONS.to_vec();
    let mut want = expected.to_vec();
    served.sort_unstable();
    want.sort_unstable();
    assert_eq!(served, want);
}

#[tokio::test]
async fn a_fake_implements_only_what_it_needs_and_the_rest_answers_not_found() {
    struct OnlyDeletes;
    #[async_trait::async_trait]
    impl Clb for OnlyDeletes {
        async fn delete_load_balancer(
            &self,
            _: &DeleteLoadBalancerRequest,
        ) -> Result<slb_openapi::EmptyResponse, slb_openapi::ApiError> {
            Ok(slb_openapi::EmptyResponse::default())
        }
    }
    let fake: Arc<dyn Clb> = Arc::new(OnlyDeletes);
    fake.delete_load_balancer(&DeleteLoadBalancerRequest::default())
        .await
        .unwrap();
    let err = fake
        .describe_vserver_groups(&DescribeVServerGroupsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.http_status),
        ("InvalidAction.NotFound", 404)
    );
    assert!(err.message.contains("DescribeVServerGroups"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trait_object_calls_are_send_and_run_on_spawned_tasks() {
    let server = TestServer::start(empty_responder).await;
    let clb: Arc<dyn Clb> = Arc::new(server.client());
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let clb = Arc::clone(&clb);
            tokio::spawn(async move {
                clb.set_load_balancer_name(&SetLoadBalancerNameRequest {
                    load_balancer_id: format!("lb-{i}"),
                    load_balancer_name: "n".into(),
                    ..Default::default()
                })
                .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(server.seen_of("SetLoadBalancerName").len(), 4);
}
