//! VPC elastic IP actions (spec part 2 §10): allocate, associate with an instance (a CLB is
//! `InstanceType=SlbInstance`), unassociate, describe with filters and paging, release.
//! Product `Vpc`, version `2016-04-28`.
//!
//! Only the wire shapes live here; which EIP a Service reports is the controller's decision.

use serde::{Deserialize, Deserializer, Serialize};

use crate::action::rpc_request;
use crate::lenient::{self, wrap};

/// `InstanceType` / `AssociatedInstanceType` of a CLB.
pub const SLB_INSTANCE: &str = "SlbInstance";

rpc_request! {
    /// `AllocateEipAddress`: a new EIP (`Available`). Not idempotent without `ClientToken`.
    pub struct AllocateEipAddressRequest => Vpc "AllocateEipAddress" -> AllocateEipAddressResponse {
        /// `Bandwidth` in Mbit/s (default 5).
        bandwidth: opt String = "Bandwidth",
        /// `InternetChargeType`: `PayByBandwidth` (default) or `PayByTraffic`.
        internet_charge_type: opt String = "InternetChargeType",
        /// `InstanceChargeType`: `PostPaid` (default) or `PrePaid`.
        instance_charge_type: opt String = "InstanceChargeType",
        /// `ISP` (default `BGP`).
        isp: opt String = "ISP",
        /// `Netmode` (`public`).
        netmode: opt String = "Netmode",
        /// `Name`.
        name: opt String = "Name",
        /// `Description`.
        description: opt String = "Description",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `IpAddress`: a specific address to allocate.
        ip_address: opt String = "IpAddress",
        /// `ClientToken`.
        client_token: opt String = "ClientToken",
    }
}

/// Response of `AllocateEipAddress`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocateEipAddressResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `AllocationId` (`eip-…`).
    pub allocation_id: String,
    /// `EipAddress`: the IP.
    pub eip_address: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
}

rpc_request! {
    /// `AssociateEipAddress`: binds an `Available` EIP to an instance; send
    /// `InstanceType=SlbInstance` for a CLB (the default is `EcsInstance`).
    pub struct AssociateEipAddressRequest => Vpc "AssociateEipAddress" -> crate::action::EmptyResponse {
        /// `AllocationId`.
        allocation_id: req String = "AllocationId",
        /// `InstanceId` (`lb-…` for a CLB).
        instance_id: req String = "InstanceId",
        /// `InstanceType`, e.g. `SlbInstance`.
        instance_type: opt String = "InstanceType",
        /// `VpcId`.
        vpc_id: opt String = "VpcId",
        /// `InstanceRegionId`.
        instance_region_id: opt String = "InstanceRegionId",
        /// `ClientToken`.
        client_token: opt String = "ClientToken",
    }
}

rpc_request! {
    /// `UnassociateEipAddress`: unbinds an `InUse` EIP.
    pub struct UnassociateEipAddressRequest => Vpc "UnassociateEipAddress" -> crate::action::EmptyResponse {
        /// `AllocationId`.
        allocation_id: req String = "AllocationId",
        /// `InstanceId` the EIP is bound to.
        instance_id: opt String = "InstanceId",
        /// `InstanceType`, e.g. `SlbInstance`.
        instance_type: opt String = "InstanceType",
        /// `Force`.
        force: opt bool = "Force",
        /// `ClientToken`.
        client_token: opt String = "ClientToken",
    }
}

rpc_request! {
    /// `ReleaseEipAddress`: deletes an `Available` EIP.
    pub struct ReleaseEipAddressRequest => Vpc "ReleaseEipAddress" -> crate::action::EmptyResponse {
        /// `AllocationId`.
        allocation_id: req String = "AllocationId",
    }
}

rpc_request! {
    /// `DescribeEipAddresses`. Read-only; every parameter is a filter (an unknown
    /// `AssociatedInstanceId` gives an empty list). Paged by `PageNumber`/`PageSize` (≤ 100).
    pub struct DescribeEipAddressesRequest => Vpc "DescribeEipAddresses" -> DescribeEipAddressesResponse {
        /// `AllocationId`: up to 50, comma-separated.
        allocation_id: opt String = "AllocationId",
        /// `EipAddress`: up to 50, comma-separated.
        eip_address: opt String = "EipAddress",
        /// `AssociatedInstanceType`, e.g. `SlbInstance`.
        associated_instance_type: opt String = "AssociatedInstanceType",
        /// `AssociatedInstanceId`, e.g. `lb-…`.
        associated_instance_id: opt String = "AssociatedInstanceId",
        /// `Status`: `Associating`, `Unassociating`, `InUse`, `Available`, `Releasing`.
        status: opt String = "Status",
        /// `ChargeType`: `PostPaid` or `PrePaid`.
        charge_type: opt String = "ChargeType",
        /// `ISP`.
        isp: opt String = "ISP",
        /// `EipName`.
        eip_name: opt String = "EipName",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `PageNumber` (from 1).
        page_number: opt u32 = "PageNumber",
        /// `PageSize` (1–100, default 10).
        page_size: opt u32 = "PageSize",
        /// `Tag.N`: EIPs with these tags.
        tags: tags crate::types::Tag = "Tag",
        /// `DryRun`: check the request only (answers `DryRunOperation`).
        dry_run: opt bool = "DryRun",
    }
}

/// Response of `DescribeEipAddresses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeEipAddressesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `TotalCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u32,
    /// `PageNumber`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u32,
    /// `PageSize`.
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u32,
    /// `EipAddresses.EipAddress[]`.
    #[serde(with = "wrap::eip_address")]
    pub eip_addresses: Vec<EipAddress>,
}

/// One EIP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EipAddress {
    /// `AllocationId` (`eip-…`).
    pub allocation_id: String,
    /// `IpAddress`.
    pub ip_address: String,
    /// `Status`: `Available`, `InUse`, ….
    pub status: String,
    /// `InstanceId` it is bound to (empty when none).
    pub instance_id: String,
    /// `InstanceType`, e.g. `SlbInstance`.
    pub instance_type: String,
    /// `InstanceRegionId`.
    pub instance_region_id: String,
    /// `RegionId`.
    pub region_id: String,
    /// `Bandwidth` (a string, Mbit/s).
    #[serde(deserialize_with = "lenient::string")]
    pub bandwidth: String,
    /// `InternetChargeType`.
    pub internet_charge_type: String,
    /// `ChargeType`.
    pub charge_type: String,
    /// `Name`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// `AllocationTime` (ISO 8601).
    pub allocation_time: String,
    /// `ISP`.
    #[serde(rename = "ISP")]
    pub isp: String,
    /// `Netmode`.
    pub netmode: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `Tags.Tag[]`: EIP tags use `Key`/`Value` (read `TagKey`/`TagValue` too).
    #[serde(with = "wrap::tag")]
    pub tags: Vec<EipTag>,
}

/// One EIP tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EipTag {
    /// `Key`.
    pub key: String,
    /// `Value`.
    pub value: String,
}

impl<'de> Deserialize<'de> for EipTag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let get = |a: &str, b: &str| {
            v.get(a)
                .or_else(|| v.get(b))
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Self {
            key: get("Key", "TagKey"),
            value: get("Value", "TagValue"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    #[test]
    fn allocating_creates_an_eip_so_it_is_not_retried_blindly_but_binding_is() {
        assert!(AllocateEipAddressRequest::creates_resource());
        assert!(!AssociateEipAddressRequest::creates_resource());
        assert!(!DescribeEipAddressesRequest::creates_resource());
    }

    #[test]
    fn eip_tags_read_key_value_and_the_slb_spelling() {
        let tags: Vec<EipTag> =
            serde_json::from_str(r#"[{"Key":"a","Value":"1"},{"TagKey":"b","TagValue":"2"}]"#)
                .unwrap();
        assert_eq!((tags[0].key.as_str(), tags[1].value.as_str()), ("a", "2"));
    }
}
