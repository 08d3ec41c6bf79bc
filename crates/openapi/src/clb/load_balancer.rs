//! CLB instance actions (spec §3.2): create, delete, describe (list and attribute), and the
//! attribute setters (name, protections, internet spec, instance spec, charge type, status).
//!
//! Quirk kept on purpose: DescribeLoadBalancers items carry `InternetChargeType` as the code
//! `"3"`/`"4"` (name in `InternetChargeTypeAlias`); DescribeLoadBalancerAttribute carries the
//! name. Both stay `String` here; see [`InternetChargeType::from_describe_code`].

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::lenient::{self, wrap};
use crate::types::{
    AddressIpVersion, AddressType, BackendServer, InstanceChargeType, InternetChargeType,
    LoadBalancerStatus, ModificationProtectionStatus, OnOff, PayType, Tag, TagKv,
};

rpc_request! {
    /// `CreateLoadBalancer`. Not idempotent without `client_token`: the client retries it
    /// after an unknown outcome only when a token is set, and the service returns the LB
    /// created earlier for a replayed token.
    pub struct CreateLoadBalancerRequest => Slb "CreateLoadBalancer" -> CreateLoadBalancerResponse {
        /// `AddressType` (defaults to `intranet` when a vSwitch is given).
        address_type: opt AddressType = "AddressType",
        /// `AddressIPVersion`.
        address_ip_version: opt AddressIpVersion = "AddressIPVersion",
        /// `LoadBalancerName` (1–80 chars, starts with a letter).
        load_balancer_name: opt String = "LoadBalancerName",
        /// `VpcId`.
        vpc_id: opt String = "VpcId",
        /// `VSwitchId`.
        vswitch_id: opt String = "VSwitchId",
        /// `Address`: a fixed private IP inside the vSwitch.
        address: opt String = "Address",
        /// `MasterZoneId`.
        master_zone_id: opt String = "MasterZoneId",
        /// `SlaveZoneId`.
        slave_zone_id: opt String = "SlaveZoneId",
        /// `LoadBalancerSpec`, e.g. `slb.s1.small` (absent means a shared instance, no longer sold).
        load_balancer_spec: opt String = "LoadBalancerSpec",
        /// `InstanceChargeType`.
        instance_charge_type: opt InstanceChargeType = "InstanceChargeType",
        /// `InternetChargeType`.
        internet_charge_type: opt InternetChargeType = "InternetChargeType",
        /// `Bandwidth` (1–5120, only with paybybandwidth).
        bandwidth: opt u32 = "Bandwidth",
        /// `PayType`.
        pay_type: opt PayType = "PayType",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `DeleteProtection`.
        delete_protection: opt OnOff = "DeleteProtection",
        /// `ModificationProtectionStatus`.
        modification_protection_status: opt ModificationProtectionStatus = "ModificationProtectionStatus",
        /// `ModificationProtectionReason`.
        modification_protection_reason: opt String = "ModificationProtectionReason",
        /// `ClientToken`: idempotency key.
        client_token: opt String = "ClientToken",
        /// `Tag.N.Key` / `Tag.N.Value`.
        tags: tags Tag = "Tag",
    }
}

/// Response of `CreateLoadBalancer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateLoadBalancerResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `LoadBalancerId` (`lb-…`).
    pub load_balancer_id: String,
    /// `Address` (the VIP).
    pub address: String,
    /// `LoadBalancerName`.
    pub load_balancer_name: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `NetworkType` (`vpc`/`classic`).
    pub network_type: String,
    /// `AddressIPVersion`.
    #[serde(rename = "AddressIPVersion")]
    pub address_ip_version: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `OrderId`.
    #[serde(deserialize_with = "lenient::number")]
    pub order_id: i64,
}

rpc_request! {
    /// `DeleteLoadBalancer`; also deletes listeners, vServer groups and tags. Fails with
    /// `OperationDenied.DeleteProtectionIsOn` while protection is on; a deleted or unknown id
    /// answers `InvalidLoadBalancerId.NotFound`.
    pub struct DeleteLoadBalancerRequest => Slb "DeleteLoadBalancer" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
    }
}

rpc_request! {
    /// `DescribeLoadBalancers`: filter and page (default page size 10, max 100). Read-only.
    pub struct DescribeLoadBalancersRequest => Slb "DescribeLoadBalancers" -> DescribeLoadBalancersResponse {
        /// `LoadBalancerId`: up to 10 ids, comma-separated.
        load_balancer_id: opt String = "LoadBalancerId",
        /// `LoadBalancerName`: up to 10 names, comma-separated.
        load_balancer_name: opt String = "LoadBalancerName",
        /// `AddressType`.
        address_type: opt AddressType = "AddressType",
        /// `NetworkType`.
        network_type: opt String = "NetworkType",
        /// `VpcId`.
        vpc_id: opt String = "VpcId",
        /// `VSwitchId`.
        vswitch_id: opt String = "VSwitchId",
        /// `Address`.
        address: opt String = "Address",
        /// `AddressIPVersion`.
        address_ip_version: opt AddressIpVersion = "AddressIPVersion",
        /// `InternetChargeType`.
        internet_charge_type: opt InternetChargeType = "InternetChargeType",
        /// `LoadBalancerStatus`.
        load_balancer_status: opt LoadBalancerStatus = "LoadBalancerStatus",
        /// `ServerId`: LBs with this backend.
        server_id: opt String = "ServerId",
        /// `ServerIntranetAddress`.
        server_intranet_address: opt String = "ServerIntranetAddress",
        /// `MasterZoneId`.
        master_zone_id: opt String = "MasterZoneId",
        /// `SlaveZoneId`.
        slave_zone_id: opt String = "SlaveZoneId",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `PayType`.
        pay_type: opt PayType = "PayType",
        /// `InstanceChargeType`.
        instance_charge_type: opt InstanceChargeType = "InstanceChargeType",
        /// `Fuzzy`.
        fuzzy: opt String = "Fuzzy",
        /// `Tags`: JSON `[{"TagKey","TagValue"}]` filter (keys matched case-insensitively).
        tags_json: optjson Vec<TagKv> = "Tags",
        /// `Tag.N.Key` / `Tag.N.Value` filter.
        tags: tags Tag = "Tag",
        /// `PageNumber` (1-based).
        page_number: opt u32 = "PageNumber",
        /// `PageSize` (1–100, default 10).
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeLoadBalancers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeLoadBalancersResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `PageNumber`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u32,
    /// `PageSize`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u32,
    /// `TotalCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u32,
    /// `LoadBalancers.LoadBalancer[]`.
    #[serde(with = "wrap::load_balancer")]
    pub load_balancers: Vec<LoadBalancerSummary>,
}

/// One item of `DescribeLoadBalancers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancerSummary {
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `LoadBalancerName`.
    pub load_balancer_name: String,
    /// `LoadBalancerStatus`.
    pub load_balancer_status: String,
    /// `Address`.
    pub address: String,
    /// `AddressType`.
    pub address_type: String,
    /// `AddressIPVersion`.
    #[serde(rename = "AddressIPVersion")]
    pub address_ip_version: String,
    /// `NetworkType`.
    pub network_type: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `VSwitchId`.
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    /// `RegionId`.
    pub region_id: String,
    /// `RegionIdAlias`.
    pub region_id_alias: String,
    /// `MasterZoneId`.
    pub master_zone_id: String,
    /// `SlaveZoneId`.
    pub slave_zone_id: String,
    /// `LoadBalancerSpec`.
    pub load_balancer_spec: String,
    /// `Bandwidth`.
    #[serde(deserialize_with = "lenient::number")]
    pub bandwidth: i64,
    /// `InternetChargeType`: the code `"3"` (bandwidth) or `"4"` (traffic).
    #[serde(deserialize_with = "lenient::string")]
    pub internet_charge_type: String,
    /// `InternetChargeTypeAlias`: the name.
    pub internet_charge_type_alias: String,
    /// `InstanceChargeType`.
    pub instance_charge_type: String,
    /// `PayType`.
    pub pay_type: String,
    /// `CreateTime` (ISO 8601).
    pub create_time: String,
    /// `CreateTimeStamp` (ms).
    #[serde(deserialize_with = "lenient::number")]
    pub create_time_stamp: i64,
    /// `DeleteProtection`.
    pub delete_protection: String,
    /// `ModificationProtectionStatus`.
    pub modification_protection_status: String,
    /// `ModificationProtectionReason`.
    pub modification_protection_reason: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

impl LoadBalancerSummary {
    /// The internet charge type from the code, falling back to the alias.
    pub fn internet_charge_type(&self) -> Option<InternetChargeType> {
        InternetChargeType::from_describe_code(&self.internet_charge_type)
            .or_else(|| InternetChargeType::parse(&self.internet_charge_type_alias))
    }
}

rpc_request! {
    /// `DescribeLoadBalancerAttribute`. Read-only; an unknown id answers
    /// `InvalidLoadBalancerId.NotFound` (404).
    pub struct DescribeLoadBalancerAttributeRequest => Slb "DescribeLoadBalancerAttribute" -> DescribeLoadBalancerAttributeResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
    }
}

/// Response of `DescribeLoadBalancerAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeLoadBalancerAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// The fields shared with DescribeLoadBalancers items (`InternetChargeType` is the name here).
    #[serde(flatten)]
    pub summary: LoadBalancerSummary,
    /// `ListenerPorts.ListenerPort[]`.
    #[serde(with = "wrap::listener_port")]
    pub listener_ports: Vec<u16>,
    /// `ListenerPortsAndProtocol.ListenerPortAndProtocol[]`.
    #[serde(with = "wrap::listener_port_and_protocol")]
    pub listener_ports_and_protocol: Vec<ListenerPortAndProtocol>,
    /// The legacy misspelt twin `ListenerPortsAndProtocal.ListenerPortAndProtocal[]`.
    #[serde(with = "wrap::listener_port_and_protocal")]
    pub listener_ports_and_protocal: Vec<ListenerPortAndProtocal>,
    /// `BackendServers.BackendServer[]` (default server group only).
    #[serde(with = "wrap::backend_server")]
    pub backend_servers: Vec<BackendServer>,
    /// `EndTime`.
    pub end_time: String,
    /// `EndTimeStamp` (ms).
    #[serde(deserialize_with = "lenient::number")]
    pub end_time_stamp: i64,
    /// `AutoReleaseTime`.
    #[serde(deserialize_with = "lenient::number")]
    pub auto_release_time: i64,
    /// `RenewalStatus`.
    pub renewal_status: String,
}

/// An item of `ListenerPortsAndProtocol`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListenerPortAndProtocol {
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `ListenerProtocol`.
    pub listener_protocol: String,
    /// `ListenerForward`.
    pub listener_forward: String,
    /// `ForwardPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub forward_port: u16,
    /// `Description`.
    pub description: String,
}

/// An item of the legacy `ListenerPortsAndProtocal` (sic).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListenerPortAndProtocal {
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `ListenerProtocal` (sic).
    pub listener_protocal: String,
}

rpc_request! {
    /// `SetLoadBalancerName`. Idempotent.
    pub struct SetLoadBalancerNameRequest => Slb "SetLoadBalancerName" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `LoadBalancerName`.
        load_balancer_name: req String = "LoadBalancerName",
    }
}

rpc_request! {
    /// `SetLoadBalancerDeleteProtection`. Idempotent.
    pub struct SetLoadBalancerDeleteProtectionRequest => Slb "SetLoadBalancerDeleteProtection" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `DeleteProtection`.
        delete_protection: req OnOff = "DeleteProtection",
    }
}

rpc_request! {
    /// `SetLoadBalancerModificationProtection`. Idempotent. `ConsoleProtection` needs a reason.
    pub struct SetLoadBalancerModificationProtectionRequest => Slb "SetLoadBalancerModificationProtection" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `ModificationProtectionStatus`.
        modification_protection_status: req ModificationProtectionStatus = "ModificationProtectionStatus",
        /// `ModificationProtectionReason` (1–80 chars, starts with a letter).
        modification_protection_reason: opt String = "ModificationProtectionReason",
    }
}

rpc_request! {
    /// `ModifyLoadBalancerInternetSpec`. Idempotent.
    pub struct ModifyLoadBalancerInternetSpecRequest => Slb "ModifyLoadBalancerInternetSpec" -> OrderResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `InternetChargeType`.
        internet_charge_type: opt InternetChargeType = "InternetChargeType",
        /// `Bandwidth`.
        bandwidth: opt u32 = "Bandwidth",
        /// `AutoPay`.
        auto_pay: opt bool = "AutoPay",
    }
}

rpc_request! {
    /// `ModifyLoadBalancerInstanceSpec`. Idempotent; refused on PayByCLCU instances.
    pub struct ModifyLoadBalancerInstanceSpecRequest => Slb "ModifyLoadBalancerInstanceSpec" -> OrderResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `LoadBalancerSpec`.
        load_balancer_spec: req String = "LoadBalancerSpec",
        /// `AutoPay`.
        auto_pay: opt bool = "AutoPay",
    }
}

rpc_request! {
    /// `ModifyLoadBalancerInstanceChargeType`. Only PayBySpec→PayByCLCU is allowed.
    pub struct ModifyLoadBalancerInstanceChargeTypeRequest => Slb "ModifyLoadBalancerInstanceChargeType" -> OrderResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `InstanceChargeType`.
        instance_charge_type: req InstanceChargeType = "InstanceChargeType",
        /// `InternetChargeType`.
        internet_charge_type: opt InternetChargeType = "InternetChargeType",
        /// `LoadBalancerSpec`.
        load_balancer_spec: opt String = "LoadBalancerSpec",
        /// `Bandwidth`.
        bandwidth: opt u32 = "Bandwidth",
    }
}

rpc_request! {
    /// `SetLoadBalancerStatus`. Idempotent.
    pub struct SetLoadBalancerStatusRequest => Slb "SetLoadBalancerStatus" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `LoadBalancerStatus`.
        load_balancer_status: req LoadBalancerStatus = "LoadBalancerStatus",
    }
}

/// A response that may carry an `OrderId` (billing changes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrderResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `OrderId` (0 when none).
    #[serde(deserialize_with = "lenient::number")]
    pub order_id: i64,
}
