//! Test fixtures: small builders for Services, Nodes and EndpointSlices.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LoadBalancerIngress, LoadBalancerStatus, Node, NodeCondition, NodeSpec, NodeStatus, Service,
    ServicePort, ServiceSpec, ServiceStatus, Taint,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::annotations::PREFIX;
use crate::desired::ClusterContext;

pub const UID: &str = "3f2c8a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6";

/// No nodes (an empty slice whose element type `desired` can infer).
pub const NO_NODES: &[Node] = &[];

pub fn ctx() -> ClusterContext {
    ClusterContext::new("c1", "cn-hangzhou", "vpc-cluster")
}

/// A LoadBalancer Service `ns/web` with TCP ports `(port, nodePort)`; targetPort = port.
pub fn service(ports: &[(i32, i32)]) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("ns".into()),
            uid: Some(UID.into()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            external_traffic_policy: Some("Cluster".into()),
            ports: Some(
                ports
                    .iter()
                    .map(|(port, node_port)| ServicePort {
                        name: Some(format!("p{port}")),
                        port: *port,
                        node_port: Some(*node_port),
                        protocol: Some("TCP".into()),
                        target_port: Some(IntOrString::Int(*port)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        status: None,
    }
}

pub fn annotate(svc: &mut Service, suffix: &str, value: &str) {
    let key = if suffix.contains('/') {
        suffix.to_owned()
    } else {
        format!("{PREFIX}{suffix}")
    };
    svc.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(key, value.into());
}

pub fn local(svc: &mut Service) {
    svc.spec.as_mut().unwrap().external_traffic_policy = Some("Local".into());
}

pub fn with_status_ip(svc: &mut Service, ip: &str) {
    svc.status = Some(ServiceStatus {
        load_balancer: Some(LoadBalancerStatus {
            ingress: Some(vec![LoadBalancerIngress {
                ip: Some(ip.into()),
                ..Default::default()
            }]),
        }),
        ..Default::default()
    });
}

/// A Ready node with providerID `cn-hangzhou.i-<name>`.
pub fn node(name: &str) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        spec: Some(NodeSpec {
            provider_id: Some(format!("cn-hangzhou.i-{name}")),
            ..Default::default()
        }),
        status: Some(NodeStatus {
            conditions: Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

pub fn label(mut node: Node, key: &str, value: &str) -> Node {
    node.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(key.into(), value.into());
    node
}

pub fn taint(mut node: Node, key: &str) -> Node {
    let spec = node.spec.get_or_insert_with(Default::default);
    spec.taints.get_or_insert_with(Vec::new).push(Taint {
        key: key.into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    });
    node
}

/// Endpoint state in a slice.
#[derive(Clone, Copy)]
pub enum Ep {
    Ready,
    NotReady,
    Terminating,
}

/// An IPv4 slice of `ns/web` with endpoints `(ip, node, state)` and ports `(name, port)`.
pub fn slice(endpoints: &[(&str, &str, Ep)], ports: &[(&str, i32)]) -> EndpointSlice {
    EndpointSlice {
        address_type: "IPv4".into(),
        metadata: ObjectMeta {
            name: Some("web-abc".into()),
            namespace: Some("ns".into()),
            labels: Some([("kubernetes.io/service-name".to_owned(), "web".to_owned())].into()),
            ..Default::default()
        },
        endpoints: Some(
            endpoints
                .iter()
                .map(|(ip, node, state)| Endpoint {
                    addresses: vec![(*ip).into()],
                    node_name: Some((*node).into()),
                    conditions: Some(match state {
                        Ep::Ready => EndpointConditions {
                            ready: Some(true),
                            serving: Some(true),
                            terminating: Some(false),
                        },
                        Ep::NotReady => EndpointConditions {
                            ready: Some(false),
                            serving: Some(false),
                            terminating: Some(false),
                        },
                        Ep::Terminating => EndpointConditions {
                            ready: Some(false),
                            serving: Some(true),
                            terminating: Some(true),
                        },
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        ports: Some(
            ports
                .iter()
                .map(|(name, port)| EndpointPort {
                    name: Some((*name).into()),
                    port: Some(*port),
                    ..Default::default()
                })
                .collect(),
        ),
    }
}
