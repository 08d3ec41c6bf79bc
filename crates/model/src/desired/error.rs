//! Validation errors of the desired state: every one names the problem and the fix.

use crate::annotations::AnnotationError;

/// A Service problem that stops the sync before any cloud call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// An annotation problem.
    #[error(transparent)]
    Annotation(#[from] AnnotationError),
    /// The Service lacks metadata the model needs.
    #[error("Service has no {field}; it cannot be mapped to a CLB")]
    MissingMetadata {
        /// `metadata.uid`, `metadata.name` or `metadata.namespace`.
        field: &'static str,
    },
    /// A LoadBalancer Service with no ports.
    #[error("Service has no ports; add at least one port")]
    NoPorts,
    /// More ports than a CLB holds listeners (one listener per port).
    #[error(
        "Service has {ports} ports but a CLB holds at most {quota} listeners (one per port; \
         Alibaba's per-instance listener quota), so the reference CCM fails on this Service \
         too once the quota is reached; split the ports over several LoadBalancer Services \
         (each gets its own CLB)"
    )]
    ListenerQuota {
        /// Ports of the Service.
        ports: usize,
        /// Listeners a CLB holds.
        quota: usize,
    },
    /// A port protocol CLB cannot serve.
    #[error("port {port}: protocol {protocol} is not supported by CLB; use TCP or UDP")]
    UnsupportedProtocol {
        /// Service port.
        port: u16,
        /// The protocol as written.
        protocol: String,
    },
    /// A port out of range.
    #[error("port {port} must be between 1 and 65535")]
    InvalidPort {
        /// The value as written.
        port: i32,
    },
    /// ECS modes forward to the NodePort, which the Service lacks.
    #[error(
        "port {port} has no nodePort; set allocateLoadBalancerNodePorts to true or use \
         service.beta.kubernetes.io/backend-type: eni"
    )]
    MissingNodePort {
        /// Service port.
        port: u16,
    },
    /// HTTPS without a certificate.
    #[error(
        "port {port} is https but no certificate is set; add \
         service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id"
    )]
    MissingCertificate {
        /// Service port.
        port: u16,
    },
    /// ENI mode with a named targetPort the EndpointSlices do not resolve.
    #[error(
        "The specified Port must be between 1 and 65535. (port {port}: targetPort {name:?} is \
         a name that no EndpointSlice resolves; in ENI mode set targetPort to an integer)"
    )]
    NamedTargetPort {
        /// Service port.
        port: u16,
        /// The targetPort name.
        name: String,
    },
    /// `vgroup-port` names a port the Service does not have.
    #[error(
        "annotation {key} attaches port {port}, which the Service does not expose; use one of \
         its ports"
    )]
    UnknownVGroupPort {
        /// Full annotation key.
        key: String,
        /// The port in the annotation.
        port: u16,
    },
}

impl ModelError {
    /// Stable label for metrics and events.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelError::Annotation(e) => e.kind(),
            ModelError::MissingMetadata { .. } => "MissingMetadata",
            ModelError::NoPorts => "NoPorts",
            ModelError::ListenerQuota { .. } => "ListenerQuota",
            ModelError::UnsupportedProtocol { .. } => "UnsupportedProtocol",
            ModelError::InvalidPort { .. } => "InvalidPort",
            ModelError::MissingNodePort { .. } => "MissingNodePort",
            ModelError::MissingCertificate { .. } => "MissingCertificate",
            ModelError::NamedTargetPort { .. } => "NamedTargetPort",
            ModelError::UnknownVGroupPort { .. } => "UnknownVGroupPort",
        }
    }
}
