//! ECS actions the CCM uses to map nodes and pods (spec §5): `DescribeInstances` and
//! `DescribeNetworkInterfaces`, plus the providerID parsing rule.
//!
//! Unknown ids are simply absent from results (not an error): the caller decides that a
//! missing instance means "node deleted". Chunking id lists to 100 is the pagination
//! module's job.

use serde::{Deserialize, Serialize};

use crate::action::rpc_request;
use crate::lenient::{self, wrap};
use crate::types::{Tag, TagKv};

rpc_request! {
    /// `DescribeInstances`. Read-only. Page with `MaxResults` (10–100) + `NextToken`.
    pub struct DescribeInstancesRequest => Ecs "DescribeInstances" -> DescribeInstancesResponse {
        /// `InstanceIds`: JSON array string of ≤100 ids.
        instance_ids: optjson Vec<String> = "InstanceIds",
        /// `PrivateIpAddresses`: JSON array of ≤100 IPs (needs `InstanceNetworkType=vpc`).
        private_ip_addresses: optjson Vec<String> = "PrivateIpAddresses",
        /// `InstanceNetworkType`.
        instance_network_type: opt String = "InstanceNetworkType",
        /// `VpcId`.
        vpc_id: opt String = "VpcId",
        /// `Status`.
        status: opt String = "Status",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
        /// `AdditionalAttributes.N`, e.g. `NETWORK_PRIMARY_ENI_IP`.
        additional_attributes: list String = "AdditionalAttributes",
        /// `MaxResults` (10–100).
        max_results: opt u32 = "MaxResults",
        /// `NextToken`.
        next_token: opt String = "NextToken",
        /// Legacy `PageNumber`.
        page_number: opt u32 = "PageNumber",
        /// Legacy `PageSize` (≤100).
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeInstances`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstancesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `NextToken` (empty on the last page).
    pub next_token: String,
    /// `PageSize` (the effective page size).
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u32,
    /// `PageNumber`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u32,
    /// `TotalCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u32,
    /// `Instances.Instance[]`.
    #[serde(with = "wrap::instance")]
    pub instances: Vec<Instance>,
}

/// One ECS instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    /// `InstanceId`.
    pub instance_id: String,
    /// `RegionId`.
    pub region_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `InstanceType`.
    pub instance_type: String,
    /// `InstanceName`.
    pub instance_name: String,
    /// `HostName`.
    pub host_name: String,
    /// `Status`.
    pub status: String,
    /// `InstanceNetworkType`.
    pub instance_network_type: String,
    /// `InstanceChargeType`.
    pub instance_charge_type: String,
    /// `SpotStrategy`.
    pub spot_strategy: String,
    /// `VpcAttributes`.
    pub vpc_attributes: VpcAttributes,
    /// `InnerIpAddress.IpAddress[]`.
    #[serde(with = "wrap::ip_address")]
    pub inner_ip_address: Vec<String>,
    /// `PublicIpAddress.IpAddress[]`.
    #[serde(with = "wrap::ip_address")]
    pub public_ip_address: Vec<String>,
    /// `EipAddress`.
    pub eip_address: EipAddress,
    /// `NetworkInterfaces.NetworkInterface[]`.
    #[serde(with = "wrap::network_interface")]
    pub network_interfaces: Vec<InstanceNetworkInterface>,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

/// `VpcAttributes` of an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcAttributes {
    /// `VpcId`.
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `NatIpAddress`.
    pub nat_ip_address: String,
    /// `PrivateIpAddress.IpAddress[]`.
    #[serde(with = "wrap::ip_address")]
    pub private_ip_address: Vec<String>,
}

/// `EipAddress` of an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EipAddress {
    /// `IpAddress`.
    pub ip_address: String,
    /// `AllocationId`.
    pub allocation_id: String,
    /// `Bandwidth`.
    #[serde(deserialize_with = "lenient::number")]
    pub bandwidth: i64,
    /// `InternetChargeType`.
    pub internet_charge_type: String,
}

/// An ENI as listed inside an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceNetworkInterface {
    /// `Type`: Primary or Secondary.
    #[serde(rename = "Type")]
    pub interface_type: String,
    /// `NetworkInterfaceId`.
    pub network_interface_id: String,
    /// `PrimaryIpAddress`.
    pub primary_ip_address: String,
    /// `MacAddress`.
    pub mac_address: String,
    /// `PrivateIpSets.PrivateIpSet[]`.
    #[serde(with = "wrap::private_ip_set")]
    pub private_ip_sets: Vec<PrivateIpSet>,
    /// `Ipv6Sets.Ipv6Set[]`.
    #[serde(with = "wrap::ipv6_set")]
    pub ipv6_sets: Vec<Ipv6Set>,
}

/// One private IP of an ENI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIpSet {
    /// `PrivateIpAddress`.
    pub private_ip_address: String,
    /// `Primary`.
    #[serde(deserialize_with = "lenient::boolean")]
    pub primary: bool,
}

/// One IPv6 address of an ENI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Set {
    /// `Ipv6Address`.
    pub ipv6_address: String,
}

rpc_request! {
    /// `DescribeNetworkInterfaces`. Read-only. Page with `MaxResults` (10–500) + `NextToken`.
    pub struct DescribeNetworkInterfacesRequest => Ecs "DescribeNetworkInterfaces" -> DescribeNetworkInterfacesResponse {
        /// `VpcId`.
        vpc_id: opt String = "VpcId",
        /// `VSwitchId`.
        vswitch_id: opt String = "VSwitchId",
        /// `Status` (the CCM sends `InUse`).
        status: opt String = "Status",
        /// `Type`: Primary or Secondary.
        interface_type: opt String = "Type",
        /// `InstanceId`.
        instance_id: opt String = "InstanceId",
        /// `NetworkInterfaceId.N` (1–100).
        network_interface_ids: list String = "NetworkInterfaceId",
        /// `PrivateIpAddress.N` (1–100).
        private_ip_addresses: list String = "PrivateIpAddress",
        /// `Ipv6Address.N`.
        ipv6_addresses: list String = "Ipv6Address",
        /// `MaxResults`.
        max_results: opt u32 = "MaxResults",
        /// `NextToken`.
        next_token: opt String = "NextToken",
        /// Legacy `PageNumber`.
        page_number: opt u32 = "PageNumber",
        /// Legacy `PageSize`.
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeNetworkInterfaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeNetworkInterfacesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `NextToken`.
    pub next_token: String,
    /// `PageSize`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u32,
    /// `PageNumber`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u32,
    /// `TotalCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u32,
    /// `NetworkInterfaceSets.NetworkInterfaceSet[]`.
    #[serde(with = "wrap::network_interface_set")]
    pub network_interface_sets: Vec<NetworkInterfaceSet>,
}

/// One ENI of `DescribeNetworkInterfaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterfaceSet {
    /// `NetworkInterfaceId`.
    pub network_interface_id: String,
    /// `Status`.
    pub status: String,
    /// `Type`.
    #[serde(rename = "Type")]
    pub interface_type: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `InstanceId`.
    pub instance_id: String,
    /// `PrivateIpAddress`.
    pub private_ip_address: String,
    /// `MacAddress`.
    pub mac_address: String,
    /// `SourceDestCheck`.
    #[serde(deserialize_with = "lenient::boolean")]
    pub source_dest_check: bool,
    /// `PrivateIpSets.PrivateIpSet[]`.
    #[serde(with = "wrap::private_ip_set")]
    pub private_ip_sets: Vec<PrivateIpSet>,
    /// `Ipv6Sets.Ipv6Set[]`.
    #[serde(with = "wrap::ipv6_set")]
    pub ipv6_sets: Vec<Ipv6Set>,
    /// `SecurityGroupIds.SecurityGroupId[]`.
    #[serde(with = "wrap::security_group_id")]
    pub security_group_ids: Vec<String>,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

/// A parsed node providerID: `<region>.<instance-id>`, optionally prefixed `alicloud://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderId {
    /// The region, e.g. `cn-hangzhou`.
    pub region_id: String,
    /// The instance id, e.g. `i-v98dklsmnxkkgiiil7`.
    pub instance_id: String,
}

impl ProviderId {
    /// Parses `[alicloud://]<region>.<instance-id>`; `None` when either part is missing.
    pub fn parse(provider_id: &str) -> Option<Self> {
        let rest = provider_id
            .strip_prefix("alicloud://")
            .unwrap_or(provider_id);
        let (region, instance) = rest.split_once('.')?;
        if region.is_empty() || instance.is_empty() || instance.contains('.') {
            return None;
        }
        Some(Self {
            region_id: region.to_owned(),
            instance_id: instance.to_owned(),
        })
    }
}

impl std::fmt::Display for ProviderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.region_id, self.instance_id)
    }
}
