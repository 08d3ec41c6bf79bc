//! ACL and HTTPS annotations against the local CLB in process: a Service with `acl-status`,
//! `acl-id` and `acl-type`, and an HTTPS Service with `cert-id` and `domain-extensions`, are
//! created, and then a full compare (a controller without a cache, as the drift check runs)
//! plans no write. Changing `domain-extensions` sets, deletes and creates exactly what differs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::{Node, Service};
use slb_controller::cloud::Cloud;
use slb_local::Engine;
use slb_model::{Action, DesiredLb, PlanOptions, desired};
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_testkit::fixtures::{load_balancer_service, node};
use std::sync::Arc;
use support::{local_context, local_engine};

const INVENTORY: &str = "instances:
  - { InstanceId: i-local-node-a, PrivateIpAddress: 127.0.0.51 }
";

fn nodes() -> Vec<Node> {
    vec![node("node-a", "127.0.0.51", None)]
}

fn service(name: &str, uid: &str, port: i32, annotations: &[(&str, &str)]) -> Service {
    let mut svc = load_balancer_service("default", name, &[(port, 8080)]);
    svc.metadata.uid = Some(uid.into());
    svc.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].node_port = Some(30000 + port);
    svc.metadata.annotations = Some(
        annotations
            .iter()
            .map(|(k, v)| {
                (
                    format!("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-{k}"),
                    (*v).to_owned(),
                )
            })
            .collect(),
    );
    svc
}

fn want(svc: &Service) -> DesiredLb {
    desired(svc, &nodes(), &[], &local_context()).unwrap()
}

/// A real sync by `cloud`, returning the CLB id.
async fn apply(cloud: &Cloud, svc: &Service, known: Option<&str>) -> String {
    cloud
        .sync(want(svc), known, &PlanOptions::default(), false)
        .await
        .unwrap()
        .load_balancer_id
        .expect("a CLB")
}

/// What a controller without a cache (the drift check's full compare) would write.
async fn full_compare(engine: &Arc<Engine>, svc: &Service, id: &str) -> Vec<&'static str> {
    let fresh = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    fresh
        .sync(want(svc), Some(id), &PlanOptions::default(), true)
        .await
        .unwrap()
        .plan
        .actions
        .iter()
        .map(Action::api_name)
        .collect()
}

async fn upload(engine: &Engine, name: &str, domain: &str) -> String {
    let c = rcgen::generate_simple_self_signed(vec![domain.to_owned()]).unwrap();
    engine
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: c.cert.pem(),
            private_key: c.signing_key.serialize_pem(),
            server_certificate_name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificate_id
}

async fn extensions(engine: &Engine, lb: &str) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> = engine
        .describe_domain_extensions(&DescribeDomainExtensionsRequest {
            load_balancer_id: lb.into(),
            listener_port: 443,
            ..Default::default()
        })
        .await
        .unwrap()
        .domain_extensions
        .into_iter()
        .map(|d| (d.domain, d.server_certificate_id))
        .collect();
    got.sort();
    got
}

#[tokio::test]
async fn a_service_with_an_acl_converges_and_the_listener_carries_the_acl() {
    let engine = local_engine(INVENTORY);
    let acl = engine
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: "office".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .acl_id;
    let svc = service(
        "acl",
        "6f1c2d3e-0000-4000-8000-00000000a001",
        80,
        &[
            ("acl-status", "on"),
            ("acl-id", &acl),
            ("acl-type", "black"),
        ],
    );
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let id = apply(&cloud, &svc, None).await;
    let writes = full_compare(&engine, &svc, &id).await;
    assert!(writes.is_empty(), "the drift check rewrites: {writes:?}");
    let related = engine
        .describe_access_control_list_attribute(&DescribeAccessControlListAttributeRequest {
            acl_id: acl,
            ..Default::default()
        })
        .await
        .unwrap()
        .related_listeners;
    assert_eq!(
        (
            related[0].load_balancer_id.as_str(),
            related[0].acl_type.as_str()
        ),
        (id.as_str(), "black")
    );
}

#[tokio::test]
async fn an_https_service_gets_its_domain_extensions_and_converges() {
    let engine = local_engine(INVENTORY);
    let default = upload(&engine, "default", "www.example.com").await;
    let a = upload(&engine, "a", "a.example.com").await;
    let b = upload(&engine, "b", "b.example.com").await;
    let extensions_annotation = format!("a.example.com:{a},b.example.com:{b}");
    let svc = service(
        "tls",
        "6f1c2d3e-0000-4000-8000-00000000a002",
        443,
        &[
            ("protocol-port", "https:443"),
            ("cert-id", &default),
            ("domain-extensions", &extensions_annotation),
        ],
    );
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let id = apply(&cloud, &svc, None).await;
    assert_eq!(
        extensions(&engine, &id).await,
        [
            ("a.example.com".to_owned(), a.clone()),
            ("b.example.com".to_owned(), b.clone())
        ]
    );
    let writes = full_compare(&engine, &svc, &id).await;
    assert!(writes.is_empty(), "the drift check rewrites: {writes:?}");

    let c = upload(&engine, "c", "c.example.com").await;
    let changed_annotation = format!("a.example.com:{b},c.example.com:{c}");
    let changed = service(
        "tls",
        "6f1c2d3e-0000-4000-8000-00000000a002",
        443,
        &[
            ("protocol-port", "https:443"),
            ("cert-id", &default),
            ("domain-extensions", &changed_annotation),
        ],
    );
    let plan = cloud
        .sync(want(&changed), Some(&id), &PlanOptions::default(), false)
        .await
        .unwrap()
        .plan;
    let names: Vec<&str> = plan.actions.iter().map(Action::api_name).collect();
    assert_eq!(
        names,
        [
            "DeleteDomainExtension",
            "SetDomainExtensionAttribute",
            "CreateDomainExtension"
        ]
    );
    assert_eq!(
        extensions(&engine, &id).await,
        [
            ("a.example.com".to_owned(), b),
            ("c.example.com".to_owned(), c)
        ]
    );
    let writes = full_compare(&engine, &changed, &id).await;
    assert!(writes.is_empty(), "the drift check rewrites: {writes:?}");
    let cached = cloud
        .sync(want(&changed), Some(&id), &PlanOptions::default(), true)
        .await
        .unwrap()
        .plan;
    assert!(
        cached.is_empty(),
        "the controller's own cache agrees: {:?}",
        cached.actions
    );
}
