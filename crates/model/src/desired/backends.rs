//! Group members of one Service port: nodes (Cluster and Local) or pod IPs (ENI).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::ModelError;
use super::nodes::EligibleNode;
use crate::annotations::BackendConfig;
use crate::types::{BackendServer, BackendType};
use crate::weights;

/// Label linking an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Whether an endpoint takes new traffic or is draining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Terminating,
    Ready,
}

#[derive(Debug, Clone)]
struct Endpoint {
    node: Option<String>,
    state: State,
}

/// The Service's endpoints, deduplicated by address across slices.
#[derive(Debug, Default)]
pub(crate) struct Endpoints {
    by_address: BTreeMap<String, Endpoint>,
    /// Slice port name → port number (resolves named targetPorts).
    ports: BTreeMap<String, u16>,
}

impl Endpoints {
    /// Endpoints of `service` from the slices labelled with its name in its namespace.
    /// Not-ready endpoints are dropped; terminating ones are kept for draining.
    pub(crate) fn collect(service: &Service, slices: &[EndpointSlice], ipv6: bool) -> Self {
        let name = service.metadata.name.as_deref();
        let ns = service.metadata.namespace.as_deref();
        let family = if ipv6 { "IPv6" } else { "IPv4" };
        let mut out = Endpoints::default();
        let ours = slices.iter().filter(|s| {
            let label = s
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_NAME_LABEL));
            label.map(String::as_str) == name
                && s.metadata.namespace.as_deref() == ns
                && s.address_type == family
        });
        for slice in ours {
            for p in slice.ports.as_deref().unwrap_or_default() {
                if let Some(port) = p.port.and_then(|p| u16::try_from(p).ok()) {
                    out.ports.insert(p.name.clone().unwrap_or_default(), port);
                }
            }
            for ep in slice.endpoints.as_deref().unwrap_or_default() {
                let c = ep.conditions.as_ref();
                let terminating = c.and_then(|c| c.terminating) == Some(true);
                let ready = c.and_then(|c| c.ready) != Some(false);
                let state = match (terminating, ready) {
                    (true, _) => State::Terminating,
                    (false, true) => State::Ready,
                    (false, false) => continue,
                };
                for address in &ep.addresses {
                    let entry = Endpoint {
                        node: ep.node_name.clone(),
                        state,
                    };
                    out.by_address
                        .entry(address.clone())
                        .and_modify(|e| {
                            if state > e.state {
                                *e = entry.clone();
                            }
                        })
                        .or_insert(entry);
                }
            }
        }
        out
    }
}

/// What every port's member computation shares.
pub(crate) struct Inputs<'a> {
    pub eligible: &'a [EligibleNode],
    pub endpoints: &'a Endpoints,
    pub config: &'a BackendConfig,
    /// Connection draining on: terminating endpoints stay with weight 0.
    pub draining: bool,
    /// `externalTrafficPolicy: Local`.
    pub local: bool,
}

/// The members of the group for `port`.
pub(crate) fn members(
    port: &ServicePort,
    group_port: &str,
    eni: bool,
    description: &str,
    inputs: &Inputs<'_>,
) -> Result<Vec<BackendServer>, ModelError> {
    let mut members = if eni {
        eni_members(port, description, inputs)?
    } else {
        let node_port = group_port.parse::<u16>().unwrap_or_default();
        if inputs.local {
            local_members(node_port, description, inputs)
        } else {
            cluster_members(node_port, description, inputs)
        }
    };
    members.sort();
    Ok(members)
}

fn ecs(server_id: &str, port: u16, weight: u32, description: &str) -> BackendServer {
    BackendServer {
        server_id: server_id.to_owned(),
        r#type: BackendType::Ecs,
        server_ip: None,
        port,
        weight,
        description: description.to_owned(),
    }
}

/// Cluster mode: every eligible node, `default-weight` each (or a share of `weight`).
fn cluster_members(node_port: u16, description: &str, inputs: &Inputs<'_>) -> Vec<BackendServer> {
    let n = u32::try_from(inputs.eligible.len()).unwrap_or(u32::MAX);
    let weight = match inputs.config.weight {
        Some(w) => weights::shared_group_weight(w, 1, n),
        None => inputs.config.default_weight,
    };
    inputs
        .eligible
        .iter()
        .map(|node| ecs(&node.instance_id, node_port, weight, description))
        .collect()
}

/// Local mode: eligible nodes hosting ready endpoints, weight = pods on the node (or a share
/// of `weight`); nodes with only terminating endpoints get 0 while draining.
fn local_members(node_port: u16, description: &str, inputs: &Inputs<'_>) -> Vec<BackendServer> {
    let mut ready: BTreeMap<&str, u32> = BTreeMap::new();
    for ep in inputs.endpoints.by_address.values() {
        let Some(node) = ep.node.as_deref() else {
            continue;
        };
        let count = ready.entry(node).or_default();
        if ep.state == State::Ready {
            *count += 1;
        }
    }
    let total: u32 = ready.values().sum();
    inputs
        .eligible
        .iter()
        .filter_map(|node| {
            let pods = *ready.get(node.name.as_str())?;
            if pods == 0 && !inputs.draining {
                return None;
            }
            let weight = match inputs.config.weight {
                Some(w) if pods > 0 => weights::shared_group_weight(w, pods, total),
                _ => weights::pod_count(pods),
            };
            Some(ecs(&node.instance_id, node_port, weight, description))
        })
        .collect()
}

/// ENI mode: every ready pod IP on the targetPort (terminating ones at 0 while draining).
/// The ENI id is filled in later ([`super::DesiredLb::resolve_enis`]); until then
/// `ServerId` holds the pod IP.
fn eni_members(
    port: &ServicePort,
    description: &str,
    inputs: &Inputs<'_>,
) -> Result<Vec<BackendServer>, ModelError> {
    let service_port = u16::try_from(port.port).unwrap_or_default();
    let target = match &port.target_port {
        Some(IntOrString::Int(p)) => u16::try_from(*p).ok().filter(|p| *p != 0),
        None => Some(service_port),
        Some(IntOrString::String(name)) => {
            let key = port.name.clone().unwrap_or_default();
            let resolved = inputs.endpoints.ports.get(&key).copied();
            if resolved.is_none() {
                return Err(ModelError::NamedTargetPort {
                    port: service_port,
                    name: name.clone(),
                });
            }
            resolved
        }
    };
    let Some(target) = target else {
        return Err(ModelError::InvalidPort { port: port.port });
    };
    let eps = &inputs.endpoints.by_address;
    let ready =
        u32::try_from(eps.values().filter(|e| e.state == State::Ready).count()).unwrap_or(u32::MAX);
    let weight = match inputs.config.weight {
        Some(w) => weights::shared_group_weight(w, 1, ready),
        None => inputs.config.default_weight,
    };
    Ok(eps
        .iter()
        .filter(|(_, e)| e.state == State::Ready || inputs.draining)
        .map(|(ip, e)| BackendServer {
            server_id: ip.clone(),
            r#type: BackendType::Eni,
            server_ip: Some(ip.clone()),
            port: target,
            weight: if e.state == State::Ready { weight } else { 0 },
            description: description.to_owned(),
        })
        .collect())
}
