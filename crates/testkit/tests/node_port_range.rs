//! The NodePort range option of the test control plane: a control plane started with
//! `ControlPlaneOptions::node_port_range` allocates NodePorts from that range and from no
//! other (the default range is checked by the smoke test).

use k8s_openapi::api::core::v1::Service;
use kube::Api;
use kube::api::PostParams;
use slb_testkit::fixtures::load_balancer_service;
use slb_testkit::{ControlPlane, ControlPlaneOptions};
use std::collections::BTreeSet;

#[tokio::test]
async fn a_custom_node_port_range_is_where_node_ports_come_from_until_it_is_full() {
    let options = ControlPlaneOptions::default().node_port_range(20000, 20002);
    let cp = ControlPlane::start_with(options)
        .await
        .expect("control plane");
    let services: Api<Service> = Api::namespaced(cp.client().await.unwrap(), "default");
    let mut ports = BTreeSet::new();
    for i in 0..3 {
        let svc = load_balancer_service("default", &format!("svc-{i}"), &[(80, 8080)]);
        let created = services.create(&PostParams::default(), &svc).await.unwrap();
        let port = created.spec.unwrap().ports.unwrap()[0].node_port.unwrap();
        ports.insert(port);
    }
    assert_eq!(ports, BTreeSet::from([20000, 20001, 20002]));

    let fourth = load_balancer_service("default", "svc-3", &[(80, 8080)]);
    let refused = services.create(&PostParams::default(), &fourth).await;
    assert!(
        refused.is_err(),
        "a fourth NodePort Service fits no port of a three-port range"
    );
}
