//! CLB region and zone actions: `DescribeRegions`, `DescribeZones` and
//! `DescribeAvailableResource`, with the parameters Alibaba documents for them (the
//! account fields the SDKs add are common parameters, see
//! [`COMMON_PARAMS`](crate::action::COMMON_PARAMS)). All three are read-only.
//!
//! They are not methods of the [`Clb`](crate::api::Clb) trait: the controller never calls
//! them. A client sends them with [`HttpClient::call`](crate::HttpClient::call); the local
//! CLB's server parses them here like every other action.

use serde::{Deserialize, Deserializer, Serialize};

use crate::action::rpc_request;
use crate::lenient::wrap;
use crate::params::ParamValue;
use crate::types::{AddressIpVersion, wire_enum};

wire_enum!(
    /// `AcceptLanguage`: the language of region names.
    AcceptLanguage { ZhCn = "zh-CN", EnUs = "en-US", Ja = "ja" }
);

wire_enum!(
    /// `AddressType` of `DescribeAvailableResource`: the network a zone pair sells CLBs in
    /// (not [`AddressType`](crate::types::AddressType): the classic network is split in two).
    ResourceAddressType {
        Vpc = "vpc",
        ClassicInternet = "classic_internet",
        ClassicIntranet = "classic_intranet",
    }
);

rpc_request! {
    /// `DescribeRegions`: the regions the account can use, named in `AcceptLanguage`.
    pub struct DescribeRegionsRequest => Slb "DescribeRegions" -> DescribeRegionsResponse {
        /// `AcceptLanguage` (`zh-CN` when absent).
        accept_language: opt AcceptLanguage = "AcceptLanguage",
    }
}

/// Response of `DescribeRegions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRegionsResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `Regions.Region`.
    #[serde(with = "wrap::region")]
    pub regions: Vec<Region>,
}

/// One region of `DescribeRegions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Region {
    /// `RegionId`, e.g. `cn-hangzhou`.
    pub region_id: String,
    /// `LocalName`: the name in the asked language.
    pub local_name: String,
    /// `RegionEndpoint`, e.g. `slb.cn-hangzhou.aliyuncs.com`.
    pub region_endpoint: String,
}

rpc_request! {
    /// `DescribeZones`: the zones of `RegionId` (required) with the standby zones each allows.
    pub struct DescribeZonesRequest => Slb "DescribeZones" -> DescribeZonesResponse {}
}

/// Response of `DescribeZones`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeZonesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `Zones.Zone`.
    #[serde(with = "wrap::zone")]
    pub zones: Vec<Zone>,
}

/// One zone of `DescribeZones`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Zone {
    /// `ZoneId`, e.g. `cn-hangzhou-a`.
    pub zone_id: String,
    /// `LocalName`.
    pub local_name: String,
    /// `SlaveZones.SlaveZone`: the zones a CLB mastered here may stand by in.
    #[serde(with = "wrap::slave_zone")]
    pub slave_zones: Vec<SlaveZone>,
}

/// One standby zone of a [`Zone`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SlaveZone {
    /// `ZoneId`.
    pub zone_id: String,
    /// `LocalName`.
    pub local_name: String,
}

rpc_request! {
    /// `DescribeAvailableResource`: the master/standby zone pairs of `RegionId` (required)
    /// on sale, each with the address types and IP versions it supports, filtered by
    /// `AddressType` and `AddressIPVersion`.
    pub struct DescribeAvailableResourceRequest => Slb "DescribeAvailableResource" -> DescribeAvailableResourceResponse {
        /// `AddressType`: only pairs that sell this network.
        address_type: opt ResourceAddressType = "AddressType",
        /// `AddressIPVersion`: only pairs that sell this IP version.
        address_ip_version: opt AddressIpVersion = "AddressIPVersion",
    }
}

/// Response of `DescribeAvailableResource`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAvailableResourceResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `AvailableResources.AvailableResource`.
    #[serde(with = "wrap::available_resource")]
    pub available_resources: Vec<AvailableResource>,
}

/// One zone pair of `DescribeAvailableResource`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AvailableResource {
    /// `MasterZoneId`.
    pub master_zone_id: String,
    /// `SlaveZoneId`.
    pub slave_zone_id: String,
    /// `SupportResources.SupportResource`.
    #[serde(with = "wrap::support_resource")]
    pub support_resources: Vec<SupportResource>,
}

/// What a zone pair sells: one network and IP version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SupportResource {
    /// `AddressType`.
    pub address_type: ResourceAddressType,
    /// `AddressIPVersion`.
    #[serde(rename = "AddressIPVersion")]
    pub address_ip_version: AddressIpVersion,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::params::Params;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_region_filters_travel_under_their_documented_names() {
        let request = DescribeAvailableResourceRequest {
            region_id: Some("cn-hangzhou".into()),
            address_type: Some(ResourceAddressType::ClassicInternet),
            address_ip_version: Some(AddressIpVersion::Ipv6),
        };
        let wire = request.to_params();
        assert_eq!(
            wire,
            params(&[
                ("AddressIPVersion", "ipv6"),
                ("AddressType", "classic_internet"),
                ("RegionId", "cn-hangzhou"),
            ])
        );
        assert_eq!(
            DescribeAvailableResourceRequest::from_params(&wire).unwrap(),
            request
        );
    }

    #[test]
    fn a_language_the_service_does_not_speak_is_refused_by_the_parse() {
        let err =
            DescribeRegionsRequest::from_params(&params(&[("AcceptLanguage", "fr")])).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
        assert!(err.message.contains("AcceptLanguage"), "{}", err.message);
    }

    #[test]
    fn describe_zones_takes_no_parameter_but_the_region() {
        let ok = DescribeZonesRequest::from_params(&params(&[("RegionId", "cn-hangzhou")]));
        assert_eq!(ok.unwrap().region_id.as_deref(), Some("cn-hangzhou"));
        let err =
            DescribeZonesRequest::from_params(&params(&[("ZoneId", "cn-hangzhou-a")])).unwrap_err();
        assert!(err.message.contains("ZoneId"), "{}", err.message);
    }

    #[test]
    fn a_zone_pair_decodes_from_the_wrapped_lists_of_the_wire() {
        let body = serde_json::json!({
            "RequestId": "r",
            "AvailableResources": {"AvailableResource": [{
                "MasterZoneId": "cn-hangzhou-a",
                "SlaveZoneId": "cn-hangzhou-b",
                "SupportResources": {"SupportResource": [
                    {"AddressType": "vpc", "AddressIPVersion": "ipv4"}
                ]}
            }]}
        });
        let answer: DescribeAvailableResourceResponse = serde_json::from_value(body).unwrap();
        let pair = &answer.available_resources[0];
        assert_eq!(pair.slave_zone_id, "cn-hangzhou-b");
        assert_eq!(
            pair.support_resources,
            [SupportResource {
                address_type: ResourceAddressType::Vpc,
                address_ip_version: AddressIpVersion::Ipv4,
            }]
        );
    }
}
