//! Smoke test of the test control plane: the objects slb-ccm lives on (Node, LoadBalancer
//! Service, EndpointSlice) can be created, watched with kube-runtime's watcher, and a Service's
//! status subresource patched — against a real kube-apiserver, as the admin and as a user
//! restricted by RBAC.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service, node};
use std::time::Duration;

#[tokio::test]
async fn service_node_and_endpointslice_round_trip_through_a_real_apiserver() {
    let cp = ControlPlane::shared().await.expect("control plane");
    let client = cp.client().await.unwrap();
    let ns = cp.namespace("smoke").await.unwrap();

    let nodes: Api<Node> = Api::all(client.clone());
    let created = nodes
        .create(
            &PostParams::default(),
            &node("smoke-node-a", "127.0.0.11", Some("cn-hangzhou.i-a")),
        )
        .await
        .unwrap();
    assert_eq!(
        created.spec.unwrap().provider_id.as_deref(),
        Some("cn-hangzhou.i-a")
    );

    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let svc = services
        .create(
            &PostParams::default(),
            &load_balancer_service(&ns, "web", &[(80, 8080)]),
        )
        .await
        .unwrap();
    let spec = svc.spec.clone().unwrap();
    assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
    let node_port = spec.ports.unwrap()[0]
        .node_port
        .expect("the API server allocates a NodePort");
    assert!(
        (30000..=32767).contains(&node_port),
        "node port {node_port}"
    );
    assert!(svc.uid().is_some());

    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &ns);
    let slice = endpoint_slice(
        &ns,
        "web",
        "web-1",
        ("p80", 8080),
        &[PodEndpoint::ready("10.244.0.5", "smoke-node-a")],
    );
    let slice = slices.create(&PostParams::default(), &slice).await.unwrap();
    assert_eq!(slice.labels()["kubernetes.io/service-name"], "web");

    // Watch the namespace's Services, then patch the status subresource the way a controller
    // does, and see the watcher deliver the new status.
    let stream = watcher(services.clone(), watcher::Config::default()).applied_objects();
    let status = serde_json::json!({"status": {"loadBalancer": {"ingress": [
        {"ip": "127.0.1.10", "ipMode": "Proxy"}
    ]}}});
    let patched = services
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    let ingress = &patched
        .status
        .unwrap()
        .load_balancer
        .unwrap()
        .ingress
        .unwrap()[0];
    assert_eq!(ingress.ip.as_deref(), Some("127.0.1.10"));
    assert_eq!(ingress.ip_mode.as_deref(), Some("Proxy"));

    let seen = tokio::time::timeout(
        Duration::from_secs(20),
        stream
            .try_filter(|s| {
                let has_ip = s
                    .status
                    .as_ref()
                    .and_then(|st| st.load_balancer.as_ref())
                    .and_then(|lb| lb.ingress.as_ref())
                    .is_some_and(|i| i.iter().any(|i| i.ip.as_deref() == Some("127.0.1.10")));
                std::future::ready(has_ip)
            })
            .boxed()
            .next(),
    )
    .await
    .expect("watcher delivers the patched Service")
    .unwrap()
    .unwrap();
    assert_eq!(seen.name_any(), "web");

    // A status patch does not touch the spec, and a spec write does not keep status fields it
    // does not own: read back both.
    let fresh = services.get("web").await.unwrap();
    assert_eq!(fresh.spec.unwrap().ports.unwrap()[0].port, 80);
    nodes
        .delete("smoke-node-a", &Default::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_bound_to_a_cluster_role_gets_exactly_what_the_role_grants() {
    let cp = ControlPlane::shared().await.expect("control plane");
    let admin = cp.client().await.unwrap();
    let ns = cp.namespace("rbac").await.unwrap();
    let role = ClusterRole {
        metadata: ObjectMeta {
            name: Some("smoke-service-reader".into()),
            ..Default::default()
        },
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["services".into()]),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            ..Default::default()
        }]),
        ..Default::default()
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&PostParams::default(), &role)
        .await
        .unwrap();
    Api::<Service>::namespaced(admin, &ns)
        .create(
            &PostParams::default(),
            &load_balancer_service(&ns, "api", &[(443, 8443)]),
        )
        .await
        .unwrap();

    let user = cp
        .client_for_cluster_role("smoke-reader", "smoke-service-reader")
        .await
        .unwrap();
    let services: Api<Service> = Api::namespaced(user.clone(), &ns);
    let listed = services.list(&Default::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);

    let err = services
        .create(
            &PostParams::default(),
            &load_balancer_service(&ns, "nope", &[(80, 80)]),
        )
        .await
        .expect_err("the role grants no create");
    match err {
        kube::Error::Api(status) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403 Forbidden, got {other:?}"),
    }
    let nodes: Api<Node> = Api::all(user);
    assert!(
        nodes.list(&Default::default()).await.is_err(),
        "nodes are not in the role"
    );
}
