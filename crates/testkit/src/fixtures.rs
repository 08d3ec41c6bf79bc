//! Builders for the objects a controller test creates by hand: Nodes (there is no kubelet),
//! LoadBalancer Services and EndpointSlices (there is no endpoint controller).
//!
//! They build plain k8s-openapi values with the fields slb-ccm reads; tests change the rest
//! with ordinary struct updates.

use k8s_openapi::api::core::v1::{
    Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::ObjectMeta;
use std::collections::BTreeMap;

/// A Ready node with an InternalIP and, when given, `spec.providerID`.
pub fn node(name: &str, internal_ip: &str, provider_id: Option<&str>) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        spec: Some(NodeSpec {
            provider_id: provider_id.map(Into::into),
            ..Default::default()
        }),
        status: Some(NodeStatus {
            addresses: Some(vec![NodeAddress {
                type_: "InternalIP".into(),
                address: internal_ip.into(),
            }]),
            conditions: Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

/// A `type: LoadBalancer` Service selecting `app=<name>`, one TCP port per `(port, target)`.
pub fn load_balancer_service(namespace: &str, name: &str, ports: &[(i32, i32)]) -> Service {
    let ports = ports
        .iter()
        .map(|&(port, target)| ServicePort {
            name: Some(format!("p{port}")),
            port,
            target_port: Some(IntOrString::Int(target)),
            protocol: Some("TCP".into()),
            ..Default::default()
        })
        .collect();
    Service {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            selector: Some(BTreeMap::from([("app".to_owned(), name.to_owned())])),
            ports: Some(ports),
            ..Default::default()
        }),
        status: None,
    }
}

/// One endpoint of an [`endpoint_slice`]: a pod IP on a node, ready or not, terminating or not.
#[derive(Clone, Debug)]
pub struct PodEndpoint {
    /// The pod's IP address.
    pub ip: String,
    /// The node the pod runs on.
    pub node: String,
    /// `conditions.ready`.
    pub ready: bool,
    /// `conditions.terminating`.
    pub terminating: bool,
}

impl PodEndpoint {
    /// A ready, running pod.
    pub fn ready(ip: &str, node: &str) -> Self {
        Self {
            ip: ip.into(),
            node: node.into(),
            ready: true,
            terminating: false,
        }
    }
}

/// An IPv4 EndpointSlice owned by `service` (label `kubernetes.io/service-name`), with one
/// named TCP port.
pub fn endpoint_slice(
    namespace: &str,
    service: &str,
    slice: &str,
    port: (&str, i32),
    pods: &[PodEndpoint],
) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some(slice.into()),
            namespace: Some(namespace.into()),
            labels: Some(BTreeMap::from([(
                "kubernetes.io/service-name".to_owned(),
                service.to_owned(),
            )])),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(
            pods.iter()
                .map(|pod| Endpoint {
                    addresses: vec![pod.ip.clone()],
                    node_name: Some(pod.node.clone()),
                    conditions: Some(EndpointConditions {
                        ready: Some(pod.ready),
                        serving: Some(pod.ready),
                        terminating: Some(pod.terminating),
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        ports: Some(vec![EndpointPort {
            name: Some(port.0.into()),
            port: Some(port.1),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
    }
}
