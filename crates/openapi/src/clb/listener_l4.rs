//! TCP and UDP listener actions (spec §3.3): Create…Listener, Set…ListenerAttribute and
//! Describe…ListenerAttribute for both protocols.
//!
//! Quirk kept on purpose: the Create actions spell the interval `healthCheckInterval`
//! (lowercase h) and UDP's probe strings `healthCheckReq`/`healthCheckExp`; the Set actions
//! use `HealthCheckInterval`. Both spellings are accepted when parsing.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::clb::listener::ListenerCommon;
use crate::lenient;
use crate::types::{AclType, HealthCheckType, OnOff, Scheduler, Tag};

rpc_request! {
    /// `CreateLoadBalancerTCPListener`. A new listener starts `stopped`; a taken port answers
    /// `ListenerAlreadyExists`. Needs `BackendServerPort` or `VServerGroupId`.
    pub struct CreateTcpListenerRequest => Slb "CreateLoadBalancerTCPListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `BackendServerPort`.
        backend_server_port: opt u16 = "BackendServerPort",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Bandwidth` (-1 = unlimited).
        bandwidth: req i32 = "Bandwidth",
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
        /// `PersistenceTimeout` (0–3600, 0 = off).
        persistence_timeout: opt u32 = "PersistenceTimeout",
        /// `EstablishedTimeout` (10–900 s).
        established_timeout: opt u32 = "EstablishedTimeout",
        /// `ConnectionDrain`.
        connection_drain: opt OnOff = "ConnectionDrain",
        /// `ConnectionDrainTimeout` (10–900 s).
        connection_drain_timeout: opt u32 = "ConnectionDrainTimeout",
        /// `ProxyProtocolV2Enabled`.
        proxy_protocol_v2_enabled: opt bool = "ProxyProtocolV2Enabled",
        /// `HealthCheckSwitch`.
        health_check_switch: opt OnOff = "HealthCheckSwitch",
        /// `HealthCheckType`.
        health_check_type: opt HealthCheckType = "HealthCheckType",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckConnectTimeout` (1–300 s).
        health_check_connect_timeout: opt u32 = "HealthCheckConnectTimeout",
        /// `healthCheckInterval` (lowercase h on create; 1–50 s).
        health_check_interval: opt u32 = "healthCheckInterval" | "HealthCheckInterval",
        /// `HealthyThreshold` (2–10).
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold` (2–10).
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `HealthCheckDomain` (http checks).
        health_check_domain: opt String = "HealthCheckDomain",
        /// `HealthCheckURI` (http checks).
        health_check_uri: opt String = "HealthCheckURI",
        /// `HealthCheckHttpCode` (http checks).
        health_check_http_code: opt String = "HealthCheckHttpCode",
        /// `HealthCheckMethod` (http checks).
        health_check_method: opt String = "HealthCheckMethod",
        /// `MasterSlaveServerGroupId`.
        master_slave_server_group_id: opt String = "MasterSlaveServerGroupId",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

rpc_request! {
    /// `SetLoadBalancerTCPListenerAttribute`. Idempotent; only the given fields change.
    pub struct SetTcpListenerAttributeRequest => Slb "SetLoadBalancerTCPListenerAttribute" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `VServerGroup` (`on` to use `VServerGroupId`).
        vserver_group: opt OnOff = "VServerGroup",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Bandwidth`.
        bandwidth: opt i32 = "Bandwidth",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description`.
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `PersistenceTimeout`.
        persistence_timeout: opt u32 = "PersistenceTimeout",
        /// `EstablishedTimeout`.
        established_timeout: opt u32 = "EstablishedTimeout",
        /// `ConnectionDrain`.
        connection_drain: opt OnOff = "ConnectionDrain",
        /// `ConnectionDrainTimeout`.
        connection_drain_timeout: opt u32 = "ConnectionDrainTimeout",
        /// `ProxyProtocolV2Enabled`.
        proxy_protocol_v2_enabled: opt bool = "ProxyProtocolV2Enabled",
        /// `HealthCheckSwitch`.
        health_check_switch: opt OnOff = "HealthCheckSwitch",
        /// `HealthCheckType`.
        health_check_type: opt HealthCheckType = "HealthCheckType",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckConnectTimeout`.
        health_check_connect_timeout: opt u32 = "HealthCheckConnectTimeout",
        /// `HealthCheckInterval`.
        health_check_interval: opt u32 = "HealthCheckInterval" | "healthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `HealthCheckDomain`.
        health_check_domain: opt String = "HealthCheckDomain",
        /// `HealthCheckURI`.
        health_check_uri: opt String = "HealthCheckURI",
        /// `HealthCheckHttpCode`.
        health_check_http_code: opt String = "HealthCheckHttpCode",
        /// `HealthCheckMethod`.
        health_check_method: opt String = "HealthCheckMethod",
    }
}

rpc_request! {
    /// `CreateLoadBalancerUDPListener`. A new listener starts `stopped`.
    pub struct CreateUdpListenerRequest => Slb "CreateLoadBalancerUDPListener" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `BackendServerPort`.
        backend_server_port: opt u16 = "BackendServerPort",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Bandwidth` (-1 = unlimited).
        bandwidth: req i32 = "Bandwidth",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description`.
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `PersistenceTimeout`.
        persistence_timeout: opt u32 = "PersistenceTimeout",
        /// `ConnectionDrain`.
        connection_drain: opt OnOff = "ConnectionDrain",
        /// `ConnectionDrainTimeout`.
        connection_drain_timeout: opt u32 = "ConnectionDrainTimeout",
        /// `ProxyProtocolV2Enabled`.
        proxy_protocol_v2_enabled: opt bool = "ProxyProtocolV2Enabled",
        /// `HealthCheckSwitch`.
        health_check_switch: opt OnOff = "HealthCheckSwitch",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckConnectTimeout`.
        health_check_connect_timeout: opt u32 = "HealthCheckConnectTimeout",
        /// `healthCheckInterval` (lowercase h on create).
        health_check_interval: opt u32 = "healthCheckInterval" | "HealthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `healthCheckReq` (probe payload).
        health_check_req: opt String = "healthCheckReq" | "HealthCheckReq",
        /// `healthCheckExp` (expected reply).
        health_check_exp: opt String = "healthCheckExp" | "HealthCheckExp",
        /// `MasterSlaveServerGroupId`.
        master_slave_server_group_id: opt String = "MasterSlaveServerGroupId",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

rpc_request! {
    /// `SetLoadBalancerUDPListenerAttribute`. Idempotent; only the given fields change.
    pub struct SetUdpListenerAttributeRequest => Slb "SetLoadBalancerUDPListenerAttribute" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
        /// `VServerGroup`.
        vserver_group: opt OnOff = "VServerGroup",
        /// `VServerGroupId`.
        vserver_group_id: opt String = "VServerGroupId",
        /// `Bandwidth`.
        bandwidth: opt i32 = "Bandwidth",
        /// `Scheduler`.
        scheduler: opt Scheduler = "Scheduler",
        /// `Description`.
        description: opt String = "Description",
        /// `AclStatus`.
        acl_status: opt OnOff = "AclStatus",
        /// `AclType`.
        acl_type: opt AclType = "AclType",
        /// `AclId`.
        acl_id: opt String = "AclId",
        /// `PersistenceTimeout`.
        persistence_timeout: opt u32 = "PersistenceTimeout",
        /// `ConnectionDrain`.
        connection_drain: opt OnOff = "ConnectionDrain",
        /// `ConnectionDrainTimeout`.
        connection_drain_timeout: opt u32 = "ConnectionDrainTimeout",
        /// `ProxyProtocolV2Enabled`.
        proxy_protocol_v2_enabled: opt bool = "ProxyProtocolV2Enabled",
        /// `HealthCheckSwitch`.
        health_check_switch: opt OnOff = "HealthCheckSwitch",
        /// `HealthCheckConnectPort`.
        health_check_connect_port: opt u16 = "HealthCheckConnectPort",
        /// `HealthCheckConnectTimeout`.
        health_check_connect_timeout: opt u32 = "HealthCheckConnectTimeout",
        /// `HealthCheckInterval`.
        health_check_interval: opt u32 = "HealthCheckInterval" | "healthCheckInterval",
        /// `HealthyThreshold`.
        healthy_threshold: opt u32 = "HealthyThreshold",
        /// `UnhealthyThreshold`.
        unhealthy_threshold: opt u32 = "UnhealthyThreshold",
        /// `healthCheckReq`.
        health_check_req: opt String = "healthCheckReq" | "HealthCheckReq",
        /// `healthCheckExp`.
        health_check_exp: opt String = "healthCheckExp" | "HealthCheckExp",
    }
}

rpc_request! {
    /// `DescribeLoadBalancerTCPListenerAttribute`. Read-only.
    pub struct DescribeTcpListenerAttributeRequest => Slb "DescribeLoadBalancerTCPListenerAttribute" -> DescribeTcpListenerAttributeResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
    }
}

rpc_request! {
    /// `DescribeLoadBalancerUDPListenerAttribute`. Read-only.
    pub struct DescribeUdpListenerAttributeRequest => Slb "DescribeLoadBalancerUDPListenerAttribute" -> DescribeUdpListenerAttributeResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ListenerPort`.
        listener_port: req u16 = "ListenerPort",
    }
}

/// TCP-specific listener fields (`TCPListenerConfig` and the TCP attribute response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TcpListenerConfig {
    /// `PersistenceTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub persistence_timeout: u32,
    /// `EstablishedTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub established_timeout: u32,
    /// `ConnectionDrain`.
    pub connection_drain: String,
    /// `ConnectionDrainTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub connection_drain_timeout: u32,
    /// `ProxyProtocolV2Enabled` (bool here, the string `"false"` in listener lists).
    #[serde(deserialize_with = "lenient::boolean")]
    pub proxy_protocol_v2_enabled: bool,
    /// `SynProxy`.
    pub syn_proxy: String,
    /// `HealthCheck` (on/off).
    pub health_check: String,
    /// `HealthCheckType`.
    pub health_check_type: String,
    /// `HealthCheckConnectPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_connect_port: u16,
    /// `HealthCheckConnectTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_connect_timeout: u32,
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
}

/// UDP-specific listener fields (`UDPListenerConfig` and the UDP attribute response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UdpListenerConfig {
    /// `PersistenceTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub persistence_timeout: u32,
    /// `ConnectionDrain`.
    pub connection_drain: String,
    /// `ConnectionDrainTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub connection_drain_timeout: u32,
    /// `ProxyProtocolV2Enabled`.
    #[serde(deserialize_with = "lenient::boolean")]
    pub proxy_protocol_v2_enabled: bool,
    /// `HealthCheck` (on/off).
    pub health_check: String,
    /// `HealthCheckSwitch`.
    pub health_check_switch: String,
    /// `HealthCheckConnectPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_connect_port: u16,
    /// `HealthCheckConnectTimeout`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_connect_timeout: u32,
    /// `HealthCheckInterval`.
    #[serde(deserialize_with = "lenient::number")]
    pub health_check_interval: u32,
    /// `HealthyThreshold`.
    #[serde(deserialize_with = "lenient::number")]
    pub healthy_threshold: u32,
    /// `UnhealthyThreshold`.
    #[serde(deserialize_with = "lenient::number")]
    pub unhealthy_threshold: u32,
    /// `HealthCheckReq`.
    pub health_check_req: String,
    /// `HealthCheckExp`.
    pub health_check_exp: String,
    /// `QuicVersion`.
    pub quic_version: String,
}

/// Response of `DescribeLoadBalancerTCPListenerAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeTcpListenerAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// Fields every listener has.
    #[serde(flatten)]
    pub common: ListenerCommon,
    /// TCP fields.
    #[serde(flatten)]
    pub config: TcpListenerConfig,
}

/// Response of `DescribeLoadBalancerUDPListenerAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeUdpListenerAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// Fields every listener has.
    #[serde(flatten)]
    pub common: ListenerCommon,
    /// UDP fields.
    #[serde(flatten)]
    pub config: UdpListenerConfig,
}
