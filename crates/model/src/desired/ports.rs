//! Per Service port: the listener (protocol, description, attributes) and its group.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{DesiredListener, GroupTarget, ModelError, SchedulerSource};
use crate::annotations::{self, LbConfig};
use crate::naming::{NamedKey, ServiceKey};
use crate::types::{ListenerAttributes, Protocol};

/// The listener of one port and the text of its group port (NodePort or targetPort);
/// `(eni, local)`: pod backends, and `externalTrafficPolicy: Local`.
pub(super) fn port_plan(
    port: &ServicePort,
    service: &ServiceKey,
    config: &LbConfig,
    (eni, local): (bool, bool),
) -> Result<(DesiredListener, String), Vec<ModelError>> {
    let listener_port = u16::try_from(port.port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| vec![ModelError::InvalidPort { port: port.port }])?;
    let written = port.protocol.as_deref().unwrap_or("TCP");
    let protocol = match config.listener.protocol_ports.get(&listener_port) {
        Some(p) => *p,
        None => match Protocol::parse(written) {
            Some(p @ (Protocol::Tcp | Protocol::Udp)) => p,
            _ => {
                return Err(vec![ModelError::UnsupportedProtocol {
                    port: listener_port,
                    protocol: written.to_owned(),
                }]);
            }
        },
    };
    let mut errors = Vec::new();
    if protocol == Protocol::Https && config.listener.attributes.server_certificate_id.is_none() {
        errors.push(ModelError::MissingCertificate {
            port: listener_port,
        });
    }
    let group_port = if eni {
        match &port.target_port {
            Some(IntOrString::Int(p)) => p.to_string(),
            Some(IntOrString::String(name)) => name.clone(),
            None => port.port.to_string(),
        }
    } else {
        match port.node_port {
            Some(p) if p > 0 => p.to_string(),
            _ => {
                errors.push(ModelError::MissingNodePort {
                    port: listener_port,
                });
                String::new()
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let listener = DesiredListener {
        listener_port,
        protocol,
        description: NamedKey::new(listener_port, service).to_string(),
        group: GroupTarget::Owned(String::new()),
        bandwidth: (protocol != Protocol::Http).then_some(-1),
        attributes: listener_attributes(config, protocol, listener_port),
        scheduler: SchedulerSource::of(config.is_explicit("scheduler"), local),
        domain_extensions: domain_extensions(config, protocol),
    };
    Ok((listener, group_port))
}

/// `domain-extensions` of an HTTPS listener as domain (lower case, as the CLB keeps it) →
/// certificate id; `None` for other protocols or without the annotation.
fn domain_extensions(config: &LbConfig, protocol: Protocol) -> Option<BTreeMap<String, String>> {
    if protocol != Protocol::Https || config.listener.domain_extensions.is_empty() {
        return None;
    }
    Some(
        config
            .listener
            .domain_extensions
            .iter()
            .map(|(domain, cert)| (domain.to_ascii_lowercase(), cert.clone()))
            .collect(),
    )
}

fn listener_attributes(config: &LbConfig, protocol: Protocol, port: u16) -> ListenerAttributes {
    let mut a = config.listener.attributes.clone();
    a.health_check = match protocol {
        Protocol::Tcp | Protocol::Udp => config.listener.health_check_switch,
        Protocol::Http | Protocol::Https => config.listener.health_check_flag,
    };
    if let Some(to) = config.listener.forward_ports.get(&port) {
        a.listener_forward = Some(true);
        a.forward_port = Some(*to);
    }
    a.retain_for(protocol);
    a
}

/// The group of a Service port: a reused user group when `vgroup-port` names the port,
/// else the group this Service owns under its named key.
pub(super) fn group_target(config: &LbConfig, service_port: u16, description: &str) -> GroupTarget {
    match config
        .backend
        .vgroup_ports
        .iter()
        .find(|(_, p)| *p == service_port)
    {
        Some((id, _)) => GroupTarget::Reused(id.clone()),
        None => GroupTarget::Owned(description.to_owned()),
    }
}

pub(super) fn unknown_vgroup_ports(
    config: &LbConfig,
    listeners: &[DesiredListener],
) -> Vec<ModelError> {
    let ports: BTreeSet<u16> = listeners.iter().map(|l| l.listener_port).collect();
    config
        .backend
        .vgroup_ports
        .iter()
        .filter(|(_, p)| !ports.contains(p))
        .map(|(_, p)| ModelError::UnknownVGroupPort {
            key: format!("{}vgroup-port", annotations::PREFIX),
            port: *p,
        })
        .collect()
}
