//! Listener actions common to every protocol (spec §3.3): start, stop, delete,
//! `DescribeLoadBalancerListeners` and `DescribeHealthStatus`, plus the fields every
//! listener attribute response shares.
//!
//! Quirk kept on purpose: `DescribeLoadBalancerListeners` returns **bare arrays**
//! (`"Listeners":[…]`, `"AclIds":[…]`, `"Tags":[…]`), unlike every other response, which
//! wraps lists in a singular-named object. Protocol-specific create/set/describe actions live
//! in `listener_l4` (TCP/UDP) and `listener_l7` (HTTP/HTTPS).

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::clb::listener_l4::{TcpListenerConfig, UdpListenerConfig};
use crate::clb::listener_l7::{HttpListenerConfig, HttpsListenerConfig};
use crate::lenient::{self, wrap};
use crate::types::{ListenerProtocol, Tag, TagKv};

rpc_request! {
    /// `StartLoadBalancerListener`: `stopped` → `starting` → `running`. Give
    /// `listener_protocol` when one port carries several protocols (else `TooManyListeners`).
    pub struct StartListenerRequest => Slb "StartLoadBalancerListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `ListenerProtocol`.
        listener_protocol: opt ListenerProtocol = "ListenerProtocol",
    }
}

rpc_request! {
    /// `StopLoadBalancerListener`.
    pub struct StopListenerRequest => Slb "StopLoadBalancerListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `ListenerProtocol`.
        listener_protocol: opt ListenerProtocol = "ListenerProtocol",
    }
}

rpc_request! {
    /// `DeleteLoadBalancerListener`. A missing listener answers `ResourceNotFound.Listener`.
    pub struct DeleteListenerRequest => Slb "DeleteLoadBalancerListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `ListenerProtocol`.
        listener_protocol: opt ListenerProtocol = "ListenerProtocol",
    }
}

rpc_request! {
    /// `DescribeLoadBalancerListeners`: listeners of up to 10 LBs, paged by `NextToken`
    /// (`MaxResults` 1–100, default 20). Read-only.
    pub struct DescribeListenersRequest => Slb "DescribeLoadBalancerListeners" -> DescribeListenersResponse {
        /// `LoadBalancerId.N` (≤10).
        load_balancer_ids: list String = "LoadBalancerId",
        /// `ListenerProtocol`.
        listener_protocol: opt ListenerProtocol = "ListenerProtocol",
        /// `ListenerPort`.
        listener_port: opt u16 = "ListenerPort",
        /// `Description`.
        description: opt String = "Description",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
        /// `MaxResults`.
        max_results: opt u32 = "MaxResults",
        /// `NextToken`.
        next_token: opt String = "NextToken",
    }
}

/// Response of `DescribeLoadBalancerListeners` (bare `Listeners` array).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeListenersResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `NextToken` (empty on the last page).
    pub next_token: String,
    /// `MaxResults`.
    #[serde(deserialize_with = "lenient::number")]
    pub max_results: u32,
    /// `TotalCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u32,
    /// `Listeners[]` (bare array).
    #[serde(deserialize_with = "lenient::bare_list")]
    pub listeners: Vec<ListenerItem>,
}

/// One listener of `DescribeLoadBalancerListeners`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListenerItem {
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `ListenerProtocol` (lowercase).
    pub listener_protocol: String,
    /// `Status`: running, stopped, starting, configuring, stopping.
    pub status: String,
    /// `BackendServerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub backend_server_port: u16,
    /// `VServerGroupId`.
    #[serde(rename = "VServerGroupId")]
    pub vserver_group_id: String,
    /// `Scheduler`.
    pub scheduler: String,
    /// `Bandwidth`.
    #[serde(deserialize_with = "lenient::number")]
    pub bandwidth: i32,
    /// `Description`.
    pub description: String,
    /// `AclStatus`.
    pub acl_status: String,
    /// `AclType`.
    pub acl_type: String,
    /// `AclId`.
    pub acl_id: String,
    /// `AclIds[]` (bare array).
    #[serde(deserialize_with = "lenient::bare_list")]
    pub acl_ids: Vec<String>,
    /// `Tags[]` (bare array).
    #[serde(deserialize_with = "lenient::bare_list")]
    pub tags: Vec<TagKv>,
    /// `TCPListenerConfig`.
    #[serde(rename = "TCPListenerConfig", skip_serializing_if = "Option::is_none")]
    pub tcp_listener_config: Option<TcpListenerConfig>,
    /// `UDPListenerConfig`.
    #[serde(rename = "UDPListenerConfig", skip_serializing_if = "Option::is_none")]
    pub udp_listener_config: Option<UdpListenerConfig>,
    /// `HTTPListenerConfig`.
    #[serde(rename = "HTTPListenerConfig", skip_serializing_if = "Option::is_none")]
    pub http_listener_config: Option<HttpListenerConfig>,
    /// `HTTPSListenerConfig`.
    #[serde(
        rename = "HTTPSListenerConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub https_listener_config: Option<HttpsListenerConfig>,
}

impl ListenerItem {
    /// The protocol, if it is one of the four known ones.
    pub fn protocol(&self) -> Option<ListenerProtocol> {
        ListenerProtocol::parse(&self.listener_protocol)
    }
}

rpc_request! {
    /// `DescribeHealthStatus`: backend health per listener. Read-only.
    pub struct DescribeHealthStatusRequest => Slb "DescribeHealthStatus" -> DescribeHealthStatusResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: opt u16 = "ListenerPort",
        /// `ListenerProtocol`.
        listener_protocol: opt ListenerProtocol = "ListenerProtocol",
    }
}

/// Response of `DescribeHealthStatus`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeHealthStatusResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `BackendServers.BackendServer[]`.
    #[serde(with = "wrap::backend_server")]
    pub backend_servers: Vec<BackendHealth>,
}

/// One backend's health on one listener.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BackendHealth {
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `Protocol`.
    pub protocol: String,
    /// `ServerId`.
    pub server_id: String,
    /// `ServerIp`.
    pub server_ip: String,
    /// `EniHost`.
    pub eni_host: String,
    /// `Port`.
    #[serde(deserialize_with = "lenient::number")]
    pub port: u16,
    /// `ServerHealthStatus`: `normal`, `abnormal` or `unavailable`.
    pub server_health_status: String,
    /// `Weight`: a **string** in this response (quirk kept on the wire).
    #[serde(deserialize_with = "lenient::string")]
    pub weight: String,
}

/// Fields every `Describe…ListenerAttribute` response has (wrapped lists here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListenerCommon {
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `BackendServerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub backend_server_port: u16,
    /// `VServerGroupId`.
    #[serde(rename = "VServerGroupId")]
    pub vserver_group_id: String,
    /// `Status`.
    pub status: String,
    /// `Bandwidth`.
    #[serde(deserialize_with = "lenient::number")]
    pub bandwidth: i32,
    /// `Scheduler`.
    pub scheduler: String,
    /// `Description`.
    pub description: String,
    /// `AclStatus`.
    pub acl_status: String,
    /// `AclType`.
    pub acl_type: String,
    /// `AclId`.
    pub acl_id: String,
    /// `AclIds.AclId[]`.
    #[serde(with = "wrap::acl_id")]
    pub acl_ids: Vec<String>,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}
