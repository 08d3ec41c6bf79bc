//! The records the local CLB keeps: load balancers with their listeners, vServer groups and
//! tags, ACLs and certificates (`security`), the ECS inventory (instances and ENIs) and the VPC route tables (`route`). They are plain serde values so the store
//! can persist each load balancer as one document and restore it unchanged.
//!
//! No rules live here (see `engine`), and no wire rendering (see `engine::render`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod eip;
mod route;
pub use eip::Eip;
mod security;
mod shared;
pub use route::{RouteEntryRecord, RouteTable};
pub use security::{
    Acl, AclEntry, CaCertificate, CertificateFacts, DomainExtension, SecurityRecords,
    ServerCertificate,
};

/// One CLB instance with everything that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// `lb-…`.
    pub id: String,
    /// `LoadBalancerName`.
    pub name: String,
    /// `active`, `inactive` or `locked`.
    pub status: String,
    /// The VIP.
    pub address: String,
    /// `internet` or `intranet`.
    pub address_type: String,
    /// `ipv4` (ipv6 is not allocated locally).
    pub address_ip_version: String,
    /// `vpc` when the LB sits in a VPC, else `classic`.
    pub network_type: String,
    /// `VpcId` (empty for classic).
    pub vpc_id: String,
    /// `VSwitchId` (empty for internet LBs).
    pub vswitch_id: String,
    /// `MasterZoneId`.
    pub master_zone_id: String,
    /// `SlaveZoneId`.
    pub slave_zone_id: String,
    /// `LoadBalancerSpec` (empty for PayByCLCU).
    pub spec: String,
    /// `PayBySpec` or `PayByCLCU`.
    pub instance_charge_type: String,
    /// `paybytraffic` or `paybybandwidth`.
    pub internet_charge_type: String,
    /// `Bandwidth` in Mbit/s (meaningful with paybybandwidth).
    pub bandwidth: u32,
    /// `PayType`.
    pub pay_type: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `DeleteProtection` is `on`.
    pub delete_protection: bool,
    /// `NonProtection` or `ConsoleProtection`.
    pub modification_protection_status: String,
    /// `ModificationProtectionReason`.
    pub modification_protection_reason: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub create_time_ms: i64,
    /// Tags of the instance.
    pub tags: BTreeMap<String, String>,
    /// Listeners, in creation order.
    pub listeners: Vec<Listener>,
    /// vServer groups, in creation order.
    pub vserver_groups: Vec<VServerGroup>,
    /// The `ClientToken` of the create call (empty when none); a replay returns this LB.
    #[serde(default)]
    pub client_token: String,
}

/// One listener, keyed by (protocol, port) inside its load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// `tcp`, `udp`, `http` or `https`.
    pub protocol: String,
    /// `ListenerPort`.
    pub port: u16,
    /// `stopped`, `running`, ….
    pub status: String,
    /// `BackendServerPort` (0 when a vServer group is used).
    pub backend_server_port: u16,
    /// `VServerGroupId` (empty when none).
    pub vserver_group_id: String,
    /// `Scheduler`.
    pub scheduler: String,
    /// `Bandwidth` (-1 = unlimited).
    pub bandwidth: i64,
    /// `Description` (the listener name).
    pub description: String,
    /// Every other protocol-specific parameter, under its canonical wire name
    /// (`HealthCheckInterval`, `ConnectionDrain`, `ProxyProtocolV2Enabled`, …).
    pub settings: BTreeMap<String, String>,
    /// Tags of the listener.
    pub tags: BTreeMap<String, String>,
    /// Domain extensions (HTTPS only), in creation order.
    #[serde(default)]
    pub domain_extensions: Vec<DomainExtension>,
}

impl Listener {
    /// The tag-API resource id `<lbId>_<proto>_<port>`.
    pub fn resource_id(&self, lb_id: &str) -> String {
        format!("{lb_id}_{}_{}", self.protocol, self.port)
    }

    /// A protocol-specific setting, if set.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(String::as_str)
    }
}

/// One vServer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VServerGroup {
    /// `rsp-…`.
    pub id: String,
    /// `VServerGroupName`.
    pub name: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub create_time_ms: i64,
    /// Members, in insertion order.
    pub backends: Vec<Backend>,
    /// Tags of the group.
    pub tags: BTreeMap<String, String>,
}

/// One member of a vServer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backend {
    /// `ServerId`: `i-…`, `eni-…` or `eci-…`.
    pub server_id: String,
    /// `ecs`, `eni` or `eci`.
    pub server_type: String,
    /// `ServerIp` (ENI/ECI; empty for ecs).
    pub server_ip: String,
    /// `Port`.
    pub port: u16,
    /// `Weight` 0–100.
    pub weight: u32,
    /// `Description`.
    pub description: String,
}

impl Backend {
    /// Member identity: (id, port) for ecs, (id, ip, port) for eni/eci.
    pub fn same_member(&self, other: &Self) -> bool {
        self.server_id == other.server_id
            && self.port == other.port
            && (self.server_type == "ecs" || self.server_ip == other.server_ip)
    }
}

/// One ECS instance of the local inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    /// `InstanceId` (`i-…`, or any id the controller derives for a node).
    pub instance_id: String,
    /// The primary private IPv4 address; `ecs` backends resolve to it.
    pub private_ip_address: String,
    /// `VpcId`.
    #[serde(default)]
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(default, rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `ZoneId`.
    #[serde(default)]
    pub zone_id: String,
    /// `InstanceName` (defaults to the id).
    #[serde(default)]
    pub instance_name: String,
    /// `Status` (default `Running`; `Stopped` drives the node controller's shutdown taint).
    #[serde(default = "running")]
    pub status: String,
    /// What the node controller reads besides the address: type, charge, public IPs, tags.
    #[serde(flatten, default)]
    pub details: InstanceDetails,
}

impl Instance {
    /// A running instance with only an id and its private address (no VPC, vSwitch or zone;
    /// every other attribute at its default).
    pub fn running(id: impl Into<String>, private_ip_address: impl Into<String>) -> Self {
        Self {
            instance_id: id.into(),
            private_ip_address: private_ip_address.into(),
            vpc_id: String::new(),
            vswitch_id: String::new(),
            zone_id: String::new(),
            instance_name: String::new(),
            status: running(),
            details: InstanceDetails::default(),
        }
    }
}

/// The attributes of an instance the node controller turns into labels and addresses
/// (all optional: an empty one renders as the local default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceDetails {
    /// `InstanceType` (rendered `ecs.local` when empty).
    pub instance_type: String,
    /// `InstanceChargeType` (rendered `PostPaid` when empty).
    pub instance_charge_type: String,
    /// `SpotStrategy` (rendered `NoSpot` when empty).
    pub spot_strategy: String,
    /// `HostName` (rendered as the instance name when empty).
    pub host_name: String,
    /// `PublicIpAddress.IpAddress[]`.
    pub public_ip_addresses: Vec<String>,
    /// `EipAddress.IpAddress` (empty when none).
    pub eip_address: String,
    /// `Tags.Tag[]`, e.g. `ack.alibabacloud.com/nodepool-id`.
    pub tags: BTreeMap<String, String>,
}

/// One elastic network interface of the local inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    /// `NetworkInterfaceId` (`eni-…`).
    pub network_interface_id: String,
    /// Its IPv4 addresses; the first is the primary one.
    pub private_ip_addresses: Vec<String>,
    /// `Ipv6Sets.Ipv6Set[].Ipv6Address`: its IPv6 addresses (none by default).
    #[serde(default)]
    pub ipv6_addresses: Vec<String>,
    /// `VpcId`.
    #[serde(default)]
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(default, rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `ZoneId`.
    #[serde(default)]
    pub zone_id: String,
    /// `InstanceId` it is attached to (may be empty).
    #[serde(default)]
    pub instance_id: String,
    /// `Type`: `Primary` or `Secondary` (default `Secondary`).
    #[serde(default = "secondary", rename = "Type")]
    pub eni_type: String,
    /// `Status` (default `InUse`).
    #[serde(default = "in_use")]
    pub status: String,
}

fn running() -> String {
    "Running".to_owned()
}

fn secondary() -> String {
    "Secondary".to_owned()
}

fn in_use() -> String {
    "InUse".to_owned()
}
