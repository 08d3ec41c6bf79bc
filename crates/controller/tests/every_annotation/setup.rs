//! What `every_annotation.rs` makes before its Services: a signed OpenAPI client of the
//! local CLB, a cordoned edge node, and through the signed API the certificates, the ACL, the
//! user CLBs to reuse and their vServer groups that cases name. It creates no Service.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::PostParams;
use slb_openapi::clb::*;
use slb_openapi::{Clb, HttpClient};
use slb_testkit::fixtures::node;

use super::cases::Fixtures;
use super::support::{Harness, NODE_LABEL};

/// The signed OpenAPI client of a second server over the harness's local CLB (the
/// controller reaches the same engine through its own).
pub async fn signed_client(h: &Harness) -> Arc<HttpClient> {
    use slb_local::server::{Credential, ServerConfig, app};
    use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = ServerConfig {
        credentials: vec![Credential {
            access_key_id: "user".into(),
            access_key_secret: "user-secret".into(),
        }],
        metrics: Default::default(),
    };
    let engine = h.engine.clone();
    tokio::spawn(async move { axum::serve(listener, app(engine, server)).await });
    let mut config = ClientConfig::new("cn-hangzhou", Credentials::new("user", "user-secret"));
    config.overrides = EndpointOverrides::local(addr);
    Arc::new(HttpClient::new(config).unwrap())
}

/// Node `<ns>-d` (the harness's spare instance): cordoned and labelled `pool=edge,zone=a`,
/// for `backend-label` and `remove-unscheduled-backend`.
pub async fn cordoned_edge_node(h: &Harness) {
    let mut n = node(&format!("{}-d", h.ns), "127.0.0.64", None);
    n.metadata.labels = Some(
        [
            (NODE_LABEL.to_owned(), h.ns.clone()),
            ("pool".to_owned(), "edge".to_owned()),
            ("zone".to_owned(), "a".to_owned()),
        ]
        .into(),
    );
    n.spec.get_or_insert_with(Default::default).unschedulable = Some(true);
    Api::<Node>::all(h.client.clone())
        .create(&PostParams::default(), &n)
        .await
        .unwrap();
}

pub async fn fixtures(h: &Harness, api: &HttpClient) -> Fixtures {
    let acl = api
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: "office".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .acl_id;
    let entry = AddAccessControlListEntryRequest {
        acl_id: acl.clone(),
        acl_entrys: vec![AclEntryParam {
            entry: "192.168.0.0/16".into(),
            comment: "office".into(),
        }],
        ..Default::default()
    };
    api.add_access_control_list_entry(&entry).await.unwrap();
    let mut reuse = Vec::new();
    for n in 0..4 {
        reuse.push(user_clb(api, &format!("user-clb-{n}")).await);
    }
    let groups = [
        user_group(api, &reuse[2], "user-web").await,
        user_group(api, &reuse[3], "user-shared").await,
    ];
    Fixtures {
        ns: h.ns.clone(),
        cert: certificate(api, "www", "www.example.com").await,
        cert_a: certificate(api, "a", "a.example.com").await,
        acl,
        reuse: reuse.try_into().unwrap(),
        groups,
        vswitch: ("vsw-second", "127.0.3."),
        enis: [("eni-pod4", "10.244.9.1"), ("eni-pod6", "fd00::9")],
    }
}

pub async fn certificate(api: &HttpClient, name: &str, domain: &str) -> String {
    let c = rcgen::generate_simple_self_signed(vec![domain.to_owned()]).unwrap();
    let req = UploadServerCertificateRequest {
        server_certificate: c.cert.pem(),
        private_key: c.signing_key.serialize_pem(),
        server_certificate_name: name.into(),
        ..Default::default()
    };
    api.upload_server_certificate(&req)
        .await
        .unwrap()
        .server_certificate_id
}

pub async fn user_clb(api: &HttpClient, name: &str) -> String {
    let req = CreateLoadBalancerRequest {
        load_balancer_name: Some(name.into()),
        instance_charge_type: Some(slb_openapi::types::InstanceChargeType::PayByClcu),
        ..Default::default()
    };
    api.create_load_balancer(&req)
        .await
        .unwrap()
        .load_balancer_id
}

pub async fn user_group(api: &HttpClient, lb: &str, name: &str) -> String {
    let req = CreateVServerGroupRequest {
        load_balancer_id: lb.into(),
        vserver_group_name: Some(name.into()),
        ..Default::default()
    };
    api.create_vserver_group(&req)
        .await
        .unwrap()
        .vserver_group_id
}
