//! HTTP and HTTPS listener actions (spec §3.3): Create…Listener, Set…ListenerAttribute and
//! Describe…ListenerAttribute, and the protocol-specific config structs shared with
//! `DescribeLoadBalancerListeners`.
//!
//! HTTP/HTTPS use `HealthCheckInterval` (capital H) everywhere and `HealthCheckTimeout`
//! instead of the L4 `HealthCheckConnectTimeout`. Forwarding rules, domain extensions and
//! certificates beyond their ids are out of scope (the CCM's basic flow does not need them).
//!
//! HTTP and HTTPS requests share most fields; keep their field lists in the same order so a
//! change to one is easy to mirror in the other.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::clb::listener::ListenerCommon;
use crate::lenient;
use crate::types::{AclType, OnOff, Scheduler, StickySessionType, Tag};

rpc_request! {
    /// `CreateLoadBalancerHTTPListener`. A new listener starts `stopped`.
    pub struct CreateHttpListenerRequest => Slb "CreateLoadBalancerHTTPListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `Bandwidth` (-1 = unlimited).
        bandwidth: opt i32 = "Bandwidth",
        /// `HealthCheck` (required on create).
        health_check: req OnOff = "HealthCheck",
        /// `StickySession` (required on create).
        sticky_session: req OnOff = "StickySession",
        /// `BackendServerPort`.
        backend_server_port: opt u16 = "BackendServerPort",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description` (the listener name).
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckTimeout` (1–300 s).
        health_check_timeout: opt u32 = "HealthCheckTimeout",
        /// `HealthCheckInterval` (1–50 s).
        health_check_interval: opt u32 = "HealthCheckInterval" | "healthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `HealthCheckDomain`.
        health_check_domain: opt String = "HealthCheckDomain",
        /// `HealthCheckURI` (starts with `/`).
        health_check_uri: opt String = "HealthCheckURI",
        /// `HealthCheckHttpCode` (comma list of http_2xx…).
        health_check_http_code: opt String = "HealthCheckHttpCode",
        /// `HealthCheckMethod` (head/get).
        health_check_method: opt String = "HealthCheckMethod",
        /// `HealthCheckHttpVersion` (http1.0/http1.1).
        health_check_http_version: opt String = "HealthCheckHttpVersion",
        /// `StickySessionType`.
        sticky_session_type: opt StickySessionType = "StickySessionType",
        /// `CookieTimeout` (1–86400).
        cookie_timeout: opt u32 = "CookieTimeout",
        /// `Cookie`.
        cookie: opt String = "Cookie",
        /// `XForwardedFor`.
        x_forwarded_for: opt OnOff = "XForwardedFor",
        /// `XForwardedFor_SLBIP`.
        x_forwarded_for_slbip: opt OnOff = "XForwardedFor_SLBIP",
        /// `XForwardedFor_SLBID`.
        x_forwarded_for_slbid: opt OnOff = "XForwardedFor_SLBID",
        /// `XForwardedFor_proto`.
        x_forwarded_for_proto: opt OnOff = "XForwardedFor_proto",
        /// `XForwardedFor_SLBPORT`.
        x_forwarded_for_slbport: opt OnOff = "XForwardedFor_SLBPORT",
        /// `XForwardedFor_ClientSrcPort`.
        x_forwarded_for_client_src_port: opt OnOff = "XForwardedFor_ClientSrcPort",
        /// `Gzip`.
        gzip: opt OnOff = "Gzip",
        /// `IdleTimeout` (1–60 s).
        idle_timeout: opt u32 = "IdleTimeout",
        /// `RequestTimeout` (1–180 s).
        request_timeout: opt u32 = "RequestTimeout",
        /// `ListenerForward` (HTTP→HTTPS redirect).
        listener_forward: opt OnOff = "ListenerForward",
        /// `ForwardPort`.
        forward_port: opt u16 = "ForwardPort",
        /// `ForwardCode`.
        forward_code: opt String = "ForwardCode",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

rpc_request! {
    /// `SetLoadBalancerHTTPListenerAttribute`. Idempotent; only the given fields change.
    pub struct SetHttpListenerAttributeRequest => Slb "SetLoadBalancerHTTPListenerAttribute" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `VServerGroup` (`on` to use `VServerGroupId`).
        vserver_group: opt OnOff = "VServerGroup",
        /// `Bandwidth`.
        bandwidth: opt i32 = "Bandwidth",
        /// `HealthCheck`.
        health_check: opt OnOff = "HealthCheck",
        /// `StickySession`.
        sticky_session: opt OnOff = "StickySession",
        /// `BackendServerPort`.
        backend_server_port: opt u16 = "BackendServerPort",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description` (the listener name).
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckTimeout` (1–300 s).
        health_check_timeout: opt u32 = "HealthCheckTimeout",
        /// `HealthCheckInterval` (1–50 s).
        health_check_interval: opt u32 = "HealthCheckInterval" | "healthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `HealthCheckDomain`.
        health_check_domain: opt String = "HealthCheckDomain",
        /// `HealthCheckURI` (starts with `/`).
        health_check_uri: opt String = "HealthCheckURI",
        /// `HealthCheckHttpCode` (comma list of http_2xx…).
        health_check_http_code: opt String = "HealthCheckHttpCode",
        /// `HealthCheckMethod` (head/get).
        health_check_method: opt String = "HealthCheckMethod",
        /// `HealthCheckHttpVersion` (http1.0/http1.1).
        health_check_http_version: opt String = "HealthCheckHttpVersion",
        /// `StickySessionType`.
        sticky_session_type: opt StickySessionType = "StickySessionType",
        /// `CookieTimeout` (1–86400).
        cookie_timeout: opt u32 = "CookieTimeout",
        /// `Cookie`.
        cookie: opt String = "Cookie",
        /// `XForwardedFor`.
        x_forwarded_for: opt OnOff = "XForwardedFor",
        /// `XForwardedFor_SLBIP`.
        x_forwarded_for_slbip: opt OnOff = "XForwardedFor_SLBIP",
        /// `XForwardedFor_SLBID`.
        x_forwarded_for_slbid: opt OnOff = "XForwardedFor_SLBID",
        /// `XForwardedFor_proto`.
        x_forwarded_for_proto: opt OnOff = "XForwardedFor_proto",
        /// `XForwardedFor_SLBPORT`.
        x_forwarded_for_slbport: opt OnOff = "XForwardedFor_SLBPORT",
        /// `XForwardedFor_ClientSrcPort`.
        x_forwarded_for_client_src_port: opt OnOff = "XForwardedFor_ClientSrcPort",
        /// `Gzip`.
        gzip: opt OnOff = "Gzip",
        /// `IdleTimeout` (1–60 s).
        idle_timeout: opt u32 = "IdleTimeout",
        /// `RequestTimeout` (1–180 s).
        request_timeout: opt u32 = "RequestTimeout",
        /// `ForwardCode`. (`ListenerForward` and `ForwardPort` are creation-only: the
        /// service's Set has no such parameters, so a redirect is changed by deleting and
        /// recreating the listener.)
        forward_code: opt String = "ForwardCode",
    }
}

rpc_request! {
    /// `CreateLoadBalancerHTTPSListener`. A new listener starts `stopped`.
    pub struct CreateHttpsListenerRequest => Slb "CreateLoadBalancerHTTPSListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `Bandwidth` (-1 = unlimited).
        bandwidth: req i32 = "Bandwidth",
        /// `HealthCheck` (required on create).
        health_check: req OnOff = "HealthCheck",
        /// `StickySession` (required on create).
        sticky_session: req OnOff = "StickySession",
        /// `BackendServerPort`.
        backend_server_port: opt u16 = "BackendServerPort",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description` (the listener name).
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckTimeout` (1–300 s).
        health_check_timeout: opt u32 = "HealthCheckTimeout",
        /// `HealthCheckInterval` (1–50 s).
        health_check_interval: opt u32 = "HealthCheckInterval" | "healthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `HealthCheckDomain`.
        health_check_domain: opt String = "HealthCheckDomain",
        /// `HealthCheckURI` (starts with `/`).
        health_check_uri: opt String = "HealthCheckURI",
        /// `HealthCheckHttpCode` (comma list of http_2xx…).
        health_check_http_code: opt String = "HealthCheckHttpCode",
        /// `HealthCheckMethod` (head/get).
        health_check_method: opt String = "HealthCheckMethod",
        /// `HealthCheckHttpVersion` (http1.0/http1.1).
        health_check_http_version: opt String = "HealthCheckHttpVersion",
        /// `StickySessionType`.
        sticky_session_type: opt StickySessionType = "StickySessionType",
        /// `CookieTimeout` (1–86400).
        cookie_timeout: opt u32 = "CookieTimeout",
        /// `Cookie`.
        cookie: opt String = "Cookie",
        /// `XForwardedFor`.
        x_forwarded_for: opt OnOff = "XForwardedFor",
        /// `XForwardedFor_SLBIP`.
        x_forwarded_for_slbip: opt OnOff = "XForwardedFor_SLBIP",
        /// `XForwardedFor_SLBID`.
        x_forwarded_for_slbid: opt OnOff = "XForwardedFor_SLBID",
        /// `XForwardedFor_proto`.
        x_forwarded_for_proto: opt OnOff = "XForwardedFor_proto",
        /// `XForwardedFor_SLBPORT`.
        x_forwarded_for_slbport: opt OnOff = "XForwardedFor_SLBPORT",
        /// `XForwardedFor_ClientSrcPort`.
        x_forwarded_for_client_src_port: opt OnOff = "XForwardedFor_ClientSrcPort",
        /// `Gzip`.
        gzip: opt OnOff = "Gzip",
        /// `IdleTimeout` (1–60 s).
        idle_timeout: opt u32 = "IdleTimeout",
        /// `RequestTimeout` (1–180 s).
        request_timeout: opt u32 = "RequestTimeout",
        /// `ServerCertificateId`.
        server_certificate_id: opt String = "ServerCertificateId",
        /// `CACertificateId`.
        ca_certificate_id: opt String = "CACertificateId",
        /// `TLSCipherPolicy`.
        tls_cipher_policy: opt String = "TLSCipherPolicy",
        /// `EnableHttp2`.
        enable_http2: opt OnOff = "EnableHttp2",
        /// `BackendProtocol`.
        backend_protocol: opt String = "BackendProtocol",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

rpc_request! {
    /// `SetLoadBalancerHTTPSListenerAttribute`. Idempotent; only the given fields change.
    pub struct SetHttpsListenerAttributeRequest => Slb "SetLoadBalancerHTTPSListenerAttribute" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `VServerGroup` (`on` to use `VServerGroupId`).
        vserver_group: opt OnOff = "VServerGroup",
        /// `Bandwidth`.
        bandwidth: opt i32 = "Bandwidth",
        /// `HealthCheck`.
        health_check: opt OnOff = "HealthCheck",
        /// `StickySession`.
        sticky_session: opt OnOff = "StickySession",
        /// `BackendServerPort`.
        backend_server_port: opt u16 = "BackendServerPort",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description` (the listener name).
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckTimeout` (1–300 s).
        health_check_timeout: opt u32 = "HealthCheckTimeout",
        /// `HealthCheckInterval` (1–50 s).
        health_check_interval: opt u32 = "HealthCheckInterval" | "healthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `HealthCheckDomain`.
        health_check_domain: opt String = "HealthCheckDomain",
        /// `HealthCheckURI` (starts with `/`).
        health_check_uri: opt String = "HealthCheckURI",
        /// `HealthCheckHttpCode` (comma list of http_2xx…).
        health_check_http_code: opt String = "HealthCheckHttpCode",
        /// `HealthCheckMethod` (head/get).
        health_check_method: opt String = "HealthCheckMethod",
        /// `HealthCheckHttpVersion` (http1.0/http1.1).
        health_check_http_version: opt String = "HealthCheckHttpVersion",
        /// `StickySessionType`.
        sticky_session_type: opt StickySessionType = "StickySessionType",
        /// `CookieTimeout` (1–86400).
        cookie_timeout: opt u32 = "CookieTimeout",
        /// `Cookie`.
        cookie: opt String = "Cookie",
        /// `XForwardedFor`.
        x_forwarded_for: opt OnOff = "XForwardedFor",
        /// `XForwardedFor_SLBIP`.
        x_forwarded_for_slbip: opt OnOff = "XForwardedFor_SLBIP",
        /// `XForwardedFor_SLBID`.
        x_forwarded_for_slbid: opt OnOff = "XForwardedFor_SLBID",
        /// `XForwardedFor_proto`.
        x_forwarded_for_proto: opt OnOff = "XForwardedFor_proto",
        /// `XForwardedFor_SLBPORT`.
        x_forwarded_for_slbport: opt OnOff = "XForwardedFor_SLBPORT",
        /// `XForwardedFor_ClientSrcPort`.
        x_forwarded_for_client_src_port: opt OnOff = "XForwardedFor_ClientSrcPort",
        /// `Gzip`.
        gzip: opt OnOff = "Gzip",
        /// `IdleTimeout` (1–60 s).
        idle_timeout: opt u32 = "IdleTimeout",
        /// `RequestTimeout` (1–180 s).
        request_timeout: opt u32 = "RequestTimeout",
        /// `ServerCertificateId`.
        server_certificate_id: opt String = "ServerCertificateId",
        /// `CACertificateId`.
        ca_certificate_id: opt String = "CACertificateId",
        /// `TLSCipherPolicy`.
        tls_cipher_policy: opt String = "TLSCipherPolicy",
        /// `EnableHttp2`.
        enable_http2: opt OnOff = "EnableHttp2",
        /// `BackendProtocol`.
        backend_protocol: opt String = "BackendProtocol",
    }
}

rpc_request! {
    /// `DescribeLoadBalancerHTTPListenerAttribute`. Read-only.
    pub struct DescribeHttpListenerAttributeRequest => Slb "DescribeLoadBalancerHTTPListenerAttribute" -> DescribeHttpListenerAttributeResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
    }
}

rpc_request! {
    /// `DescribeLoadBalancerHTTPSListenerAttribute`. Read-only.
    pub struct DescribeHttpsListenerAttributeRequest => Slb "DescribeLoadBalancerHTTPSListenerAttribute" -> DescribeHttpsListenerAttributeResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
    }
}

/// HTTP-specific listener fields (`HTTPListenerConfig` and the HTTP attribute response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HttpListenerConfig {
    /// `HealthCheck`.
    pub health_check: String,
    /// `HealthCheckConnectPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_connect_port: u16,
    /// `HealthCheckTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_timeout: u32,
    /// `HealthCheckInterval`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_interval: u32,
    /// `HealthyThreshold`.
    #[serde(deserialize_with = "lenient::number")]
    pub healthy_threshold: u32,
    /// `UnhealthyThreshold`.
    #[serde(deserialize_with = "lenient::number")]
    pub unhealthy_threshold: u32,
    /// `HealthCheckDomain`.
    pub health_check_domain: String,
    /// `HealthCheckURI`.
    #[serde(rename = "HealthCheckURI")]
    pub health_check_uri: String,
    /// `HealthCheckHttpCode`.
    pub health_check_http_code: String,
    /// `HealthCheckMethod`.
    pub health_check_method: String,
    /// `HealthCheckHttpVersion`.
    pub health_check_http_version: String,
    /// `StickySession`.
    pub sticky_session: String,
    /// `StickySessionType`.
    pub sticky_session_type: String,
    /// `CookieTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub cookie_timeout: u32,
    /// `Cookie`.
    pub cookie: String,
    /// `XForwardedFor`.
    pub x_forwarded_for: String,
    /// `XForwardedFor_SLBIP`.
    #[serde(rename = "XForwardedFor_SLBIP")]
    pub x_forwarded_for_slbip: String,
    /// `XForwardedFor_SLBID`.
    #[serde(rename = "XForwardedFor_SLBID")]
    pub x_forwarded_for_slbid: String,
    /// `XForwardedFor_proto`.
    #[serde(rename = "XForwardedFor_proto")]
    pub x_forwarded_for_proto: String,
    /// `XForwardedFor_SLBPORT`.
    #[serde(rename = "XForwardedFor_SLBPORT")]
    pub x_forwarded_for_slbport: String,
    /// `XForwardedFor_ClientSrcPort`.
    #[serde(rename = "XForwardedFor_ClientSrcPort")]
    pub x_forwarded_for_client_src_port: String,
    /// `Gzip`.
    pub gzip: String,
    /// `IdleTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub idle_timeout: u32,
    /// `RequestTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub request_timeout: u32,
    /// `ListenerForward`.
    pub listener_forward: String,
    /// `ForwardPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub forward_port: u16,
    /// `ForwardCode`.
    #[serde(deserialize_with = "lenient::string")]
    pub forward_code: String,
}

/// HTTPS-specific listener fields (`HTTPSListenerConfig` and the HTTPS attribute response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HttpsListenerConfig {
    /// `HealthCheck`.
    pub health_check: String,
    /// `HealthCheckConnectPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_connect_port: u16,
    /// `HealthCheckTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_timeout: u32,
    /// `HealthCheckInterval`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_interval: u32,
    /// `HealthyThreshold`.
    #[serde(deserialize_with = "lenient::number")]
    pub healthy_threshold: u32,
    /// `UnhealthyThreshold`.
    #[serde(deserialize_with = "lenient::number")]
    pub unhealthy_threshold: u32,
    /// `HealthCheckDomain`.
    pub health_check_domain: String,
    /// `HealthCheckURI`.
    #[serde(rename = "HealthCheckURI")]
    pub health_check_uri: String,
    /// `HealthCheckHttpCode`.
    pub health_check_http_code: String,
    /// `HealthCheckMethod`.
    pub health_check_method: String,
    /// `HealthCheckHttpVersion`.
    pub health_check_http_version: String,
    /// `StickySession`.
    pub sticky_session: String,
    /// `StickySessionType`.
    pub sticky_session_type: String,
    /// `CookieTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub cookie_timeout: u32,
    /// `Cookie`.
    pub cookie: String,
    /// `XForwardedFor`.
    pub x_forwarded_for: String,
    /// `XForwardedFor_SLBIP`.
    #[serde(rename = "XForwardedFor_SLBIP")]
    pub x_forwarded_for_slbip: String,
    /// `XForwardedFor_SLBID`.
    #[serde(rename = "XForwardedFor_SLBID")]
    pub x_forwarded_for_slbid: String,
    /// `XForwardedFor_proto`.
    #[serde(rename = "XForwardedFor_proto")]
    pub x_forwarded_for_proto: String,
    /// `XForwardedFor_SLBPORT`.
    #[serde(rename = "XForwardedFor_SLBPORT")]
    pub x_forwarded_for_slbport: String,
    /// `XForwardedFor_ClientSrcPort`.
    #[serde(rename = "XForwardedFor_ClientSrcPort")]
    pub x_forwarded_for_client_src_port: String,
    /// `Gzip`.
    pub gzip: String,
    /// `IdleTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub idle_timeout: u32,
    /// `RequestTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub request_timeout: u32,
    /// `ServerCertificateId`.
    pub server_certificate_id: String,
    /// `CACertificateId`.
    #[serde(rename = "CACertificateId")]
    pub ca_certificate_id: String,
    /// `TLSCipherPolicy`.
    #[serde(rename = "TLSCipherPolicy")]
    pub tls_cipher_policy: String,
    /// `EnableHttp2`.
    pub enable_http2: String,
    /// `BackendProtocol`.
    pub backend_protocol: String,
}

/// Response of `DescribeLoadBalancerHTTPListenerAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeHttpListenerAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// Fields every listener has.
    #[serde(flatten)]
    pub common: ListenerCommon,
    /// HTTP fields.
    #[serde(flatten)]
    pub config: HttpListenerConfig,
}

/// Response of `DescribeLoadBalancerHTTPSListenerAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeHttpsListenerAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// Fields every listener has.
    #[serde(flatten)]
    pub common: ListenerCommon,
    /// HTTPS fields.
    #[serde(flatten)]
    pub config: HttpsListenerConfig,
    /// `DomainExtensions.DomainExtension[]`: the listener's SNI certificates.
    #[serde(
        rename = "DomainExtensions",
        with = "crate::lenient::wrap::domain_extension"
    )]
    pub domain_extensions: Vec<crate::clb::DomainExtensionItem>,
}
