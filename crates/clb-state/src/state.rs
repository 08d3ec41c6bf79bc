//! A CLB instance as both sides see it: the controller's cache (observed from
//! `DescribeLoadBalancerAttribute`, `ListTagResources`, `DescribeLoadBalancerListeners`,
//! `DescribeVServerGroupAttribute` and `DescribeDomainExtensions`, then advanced by the
//! transitions) and the local CLB (whose engine records convert to and from one of these
//! around each transition, keeping their own bookkeeping). Field names follow the OpenAPI's.
//!
//! These are plain values with read-only helpers; every change goes through a transition
//! (`crate::transitions`). Nothing here is fetched or rendered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::{BackendServer, ListenerAttributes, Protocol};

/// A CLB instance and everything on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// `LoadBalancerId` (`lb-…`).
    pub load_balancer_id: String,
    /// `LoadBalancerName`.
    pub load_balancer_name: String,
    /// `Address` (the VIP).
    pub address: String,
    /// `AddressType`: `internet` or `intranet`.
    pub address_type: String,
    /// `AddressIPVersion`: `ipv4` or `ipv6`.
    pub address_ip_version: String,
    /// `NetworkType`: `vpc` or `classic`.
    pub network_type: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// `MasterZoneId`.
    pub master_zone_id: String,
    /// `SlaveZoneId`.
    pub slave_zone_id: String,
    /// `LoadBalancerSpec` (empty for PayByCLCU or shared instances).
    pub load_balancer_spec: String,
    /// `InstanceChargeType`: `PayBySpec` or `PayByCLCU`.
    pub instance_charge_type: String,
    /// `InternetChargeType` by name: `paybytraffic` or `paybybandwidth`.
    pub internet_charge_type: String,
    /// `Bandwidth` in Mbps.
    pub bandwidth: Option<u32>,
    /// `DeleteProtection`.
    pub delete_protection: bool,
    /// `ModificationProtectionStatus`: `ConsoleProtection` or `NonProtection`.
    pub modification_protection_status: String,
    /// `ModificationProtectionReason`.
    pub modification_protection_reason: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// Instance tags (`ListTagResources`), `acs:` tags included as read.
    pub tags: BTreeMap<String, String>,
    /// Listeners on the instance.
    pub listeners: Vec<Listener>,
    /// vServer groups on the instance with their members.
    pub vserver_groups: Vec<VServerGroup>,
}

/// A listener as listed by `DescribeLoadBalancerListeners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// `ListenerPort`.
    pub listener_port: u16,
    /// `ListenerProtocol`.
    pub listener_protocol: Protocol,
    /// `Status`: `running`, `stopped`, `starting`, `configuring`, `stopping`.
    pub status: String,
    /// `Description` (the named key for listeners a Service created).
    pub description: String,
    /// `VServerGroupId` (empty when the listener forwards or uses the default group).
    pub vserver_group_id: String,
    /// `Bandwidth` (-1 = unlimited).
    pub bandwidth: Option<i32>,
    /// The protocol-specific configuration as reported.
    pub attributes: ListenerAttributes,
    /// HTTPS: the domain extensions (`DescribeDomainExtensions`); empty for other protocols.
    #[serde(default)]
    pub domain_extensions: Vec<DomainExtension>,
}

/// One domain extension (SNI certificate) of an HTTPS listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainExtension {
    /// `DomainExtensionId` (`de-…`).
    pub domain_extension_id: String,
    /// `Domain`, lower case.
    pub domain: String,
    /// `ServerCertificateId`.
    pub server_certificate_id: String,
}

impl Listener {
    /// True when the listener is running or on its way there.
    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "running" | "starting" | "configuring")
    }
}

/// A vServer group with its members (`DescribeVServerGroupAttribute`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VServerGroup {
    /// `VServerGroupId` (`rsp-…`).
    pub vserver_group_id: String,
    /// `VServerGroupName`.
    pub vserver_group_name: String,
    /// `BackendServers`.
    pub backend_servers: Vec<BackendServer>,
}

impl LoadBalancer {
    /// The listener on `port`/`protocol`, if any.
    pub fn listener(&self, port: u16, protocol: Protocol) -> Option<&Listener> {
        self.listeners
            .iter()
            .find(|l| l.listener_port == port && l.listener_protocol == protocol)
    }

    /// The group with this id, if any.
    pub fn group_by_id(&self, id: &str) -> Option<&VServerGroup> {
        self.vserver_groups
            .iter()
            .find(|g| g.vserver_group_id == id)
    }

    /// The first group with this name, if any.
    pub fn group_by_name(&self, name: &str) -> Option<&VServerGroup> {
        self.vserver_groups
            .iter()
            .find(|g| g.vserver_group_name == name)
    }

    /// Backends on the instance across all groups (what the per-CLB quota counts).
    pub fn backend_count(&self) -> usize {
        self.vserver_groups
            .iter()
            .map(|g| g.backend_servers.len())
            .sum()
    }
}
