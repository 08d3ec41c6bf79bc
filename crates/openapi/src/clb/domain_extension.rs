//! Domain extension actions (spec part 2 §7): the SNI certificates of an HTTPS listener.
//! Create, describe (per listener or one by id), change the certificate, delete.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::lenient::{self, wrap};

rpc_request! {
    /// `CreateDomainExtension`. Not idempotent: a retry after an unknown outcome may find the
    /// domain taken (`InvalidParameter.Domain`).
    pub struct CreateDomainExtensionRequest => Slb "CreateDomainExtension" -> CreateDomainExtensionResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort` (an HTTPS listener).
        listener_port: req u16 = "ListenerPort",
        /// `Domain` (`www.example.com` or `*.example.com`).
        domain: req String = "Domain",
        /// `ServerCertificateId`.
        server_certificate_id: req String = "ServerCertificateId",
    }
}

/// Response of `CreateDomainExtension`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateDomainExtensionResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `DomainExtensionId`.
    pub domain_extension_id: String,
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
}

rpc_request! {
    /// `DescribeDomainExtensions`: the extensions of one HTTPS listener. Read-only.
    pub struct DescribeDomainExtensionsRequest => Slb "DescribeDomainExtensions" -> DescribeDomainExtensionsResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `DomainExtensionId` (filter).
        domain_extension_id: opt String = "DomainExtensionId",
    }
}

/// Response of `DescribeDomainExtensions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeDomainExtensionsResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `DomainExtensions.DomainExtension[]`.
    #[serde(with = "wrap::domain_extension")]
    pub domain_extensions: Vec<DomainExtensionItem>,
}

/// One domain extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DomainExtensionItem {
    /// `DomainExtensionId`.
    pub domain_extension_id: String,
    /// `Domain`.
    pub domain: String,
    /// `ServerCertificateId`.
    pub server_certificate_id: String,
}

rpc_request! {
    /// `DescribeDomainExtensionAttribute`. Read-only.
    pub struct DescribeDomainExtensionAttributeRequest => Slb "DescribeDomainExtensionAttribute" -> DescribeDomainExtensionAttributeResponse {
        /// `DomainExtensionId`.
        domain_extension_id: req String = "DomainExtensionId",
    }
}

/// Response of `DescribeDomainExtensionAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeDomainExtensionAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `DomainExtensionId`.
    pub domain_extension_id: String,
    /// `Domain`.
    pub domain: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `ServerCertificateId`.
    pub server_certificate_id: String,
}

rpc_request! {
    /// `SetDomainExtensionAttribute`: changes the certificate (the domain cannot change).
    pub struct SetDomainExtensionAttributeRequest => Slb "SetDomainExtensionAttribute" -> EmptyResponse {
        /// `DomainExtensionId`.
        domain_extension_id: req String = "DomainExtensionId",
        /// `ServerCertificateId`.
        server_certificate_id: req String = "ServerCertificateId",
    }
}

rpc_request! {
    /// `DeleteDomainExtension`: an unknown id answers `InvalidParameter.DomainExtensionId`.
    pub struct DeleteDomainExtensionRequest => Slb "DeleteDomainExtension" -> EmptyResponse {
        /// `DomainExtensionId`.
        domain_extension_id: req String = "DomainExtensionId",
    }
}
