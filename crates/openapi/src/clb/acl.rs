//! Access control list actions (spec part 2 §4.1): create, delete, describe (list and
//! attribute), add/remove entries and rename. `AclEntrys` travels as one JSON string with
//! lower-case keys (`[{"entry":"10.0.0.0/8","comment":"office"}]`), see [`AclEntryParam`].
//!
//! Binding an ACL to a listener is done with the listener requests' `AclStatus`/`AclType`/
//! `AclId` fields, not here.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::lenient::{self, wrap};
use crate::params::JsonParam;
use crate::types::{Tag, TagKv};

/// One item of the `AclEntrys` JSON parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntryParam {
    /// `entry`: a CIDR such as `10.0.0.0/8` (a bare address means one host).
    pub entry: String,
    /// `comment` (at most 100 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

impl AclEntryParam {
    /// An entry without comment.
    pub fn new(entry: impl Into<String>) -> Self {
        Self {
            entry: entry.into(),
            comment: String::new(),
        }
    }
}

impl JsonParam for Vec<AclEntryParam> {
    fn to_json_param(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    fn from_json_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| {
            format!(
                "expected a JSON array like [{{\"entry\":\"10.0.0.0/8\",\"comment\":\"x\"}}]: {e}"
            )
        })
    }
}

rpc_request! {
    /// `CreateAccessControlList`. Not idempotent: a retry after an unknown outcome may find
    /// the name taken (`AclNameExist`).
    pub struct CreateAccessControlListRequest => Slb "CreateAccessControlList" -> CreateAccessControlListResponse {
        /// `AclName` (1–80 chars, unique in the region).
        acl_name: req String = "AclName",
        /// `AddressIPVersion`: `ipv4` (default) or `ipv6`.
        address_ip_version: opt String = "AddressIPVersion",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

/// Response of `CreateAccessControlList` and `SetAccessControlListAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateAccessControlListResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `AclId`.
    pub acl_id: String,
}

rpc_request! {
    /// `DeleteAccessControlList`: `OperationFailed.AclBindedWithVip` while a listener uses it;
    /// an unknown id answers `AclNotExist`.
    pub struct DeleteAccessControlListRequest => Slb "DeleteAccessControlList" -> EmptyResponse {
        /// `AclId`.
        acl_id: req String = "AclId",
    }
}

rpc_request! {
    /// `DescribeAccessControlLists`: paged by `PageNumber`/`PageSize` (≤ 50). Read-only.
    pub struct DescribeAccessControlListsRequest => Slb "DescribeAccessControlLists" -> DescribeAccessControlListsResponse {
        /// `AclName` (substring match).
        acl_name: opt String = "AclName",
        /// `AddressIPVersion`.
        address_ip_version: opt String = "AddressIPVersion",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `Tag.N` (all must match).
        tags: tags Tag = "Tag",
        /// `PageNumber` (from 1).
        page_number: opt u32 = "PageNumber",
        /// `PageSize` (1–50, default 10).
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeAccessControlLists`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAccessControlListsResponse {
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
    /// `Count` (items on this page).
    #[serde(deserialize_with = "lenient::number")]
    pub count: u32,
    /// `Acls.Acl[]`.
    #[serde(with = "wrap::acl")]
    pub acls: Vec<AclSummary>,
}

/// One item of `DescribeAccessControlLists`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclSummary {
    /// `AclId`.
    pub acl_id: String,
    /// `AclName`.
    pub acl_name: String,
    /// `AddressIPVersion`.
    #[serde(rename = "AddressIPVersion")]
    pub address_ip_version: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `CreateTime`.
    pub create_time: String,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

rpc_request! {
    /// `DescribeAccessControlListAttribute`: entries paged by `Page` (not `PageNumber`) and
    /// the listeners using the ACL. Read-only.
    pub struct DescribeAccessControlListAttributeRequest => Slb "DescribeAccessControlListAttribute" -> DescribeAccessControlListAttributeResponse {
        /// `AclId`.
        acl_id: req String = "AclId",
        /// `AclEntryComment` (filter).
        acl_entry_comment: opt String = "AclEntryComment",
        /// `Page` (from 1).
        page: opt u32 = "Page",
        /// `PageSize` (1–50, default 10).
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeAccessControlListAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAccessControlListAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `AclId`.
    pub acl_id: String,
    /// `AclName`.
    pub acl_name: String,
    /// `AddressIPVersion`.
    #[serde(rename = "AddressIPVersion")]
    pub address_ip_version: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `TotalAclEntry`.
    #[serde(deserialize_with = "lenient::number")]
    pub total_acl_entry: u32,
    /// `AclEntrys.AclEntry[]` (this page).
    #[serde(with = "wrap::acl_entry")]
    pub acl_entrys: Vec<AclEntryItem>,
    /// `RelatedListeners.RelatedListener[]`.
    #[serde(with = "wrap::related_listener")]
    pub related_listeners: Vec<RelatedListener>,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

/// One entry of an ACL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclEntryItem {
    /// `AclEntryIP` (a CIDR).
    #[serde(rename = "AclEntryIP")]
    pub acl_entry_ip: String,
    /// `AclEntryComment`.
    pub acl_entry_comment: String,
}

/// A listener using an ACL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RelatedListener {
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    #[serde(deserialize_with = "lenient::number")]
    pub listener_port: u16,
    /// `Protocol`.
    pub protocol: String,
    /// `AclType`.
    pub acl_type: String,
}

rpc_request! {
    /// `AddAccessControlListEntry`: ≤ 50 entries per call, 300 per ACL.
    pub struct AddAccessControlListEntryRequest => Slb "AddAccessControlListEntry" -> EmptyResponse {
        /// `AclId`.
        acl_id: req String = "AclId",
        /// `AclEntrys` (JSON).
        acl_entrys: json Vec<AclEntryParam> = "AclEntrys",
    }
}

rpc_request! {
    /// `RemoveAccessControlListEntry`: entries not in the ACL are ignored.
    pub struct RemoveAccessControlListEntryRequest => Slb "RemoveAccessControlListEntry" -> EmptyResponse {
        /// `AclId`.
        acl_id: req String = "AclId",
        /// `AclEntrys` (JSON; `entry` is the key).
        acl_entrys: json Vec<AclEntryParam> = "AclEntrys",
    }
}

rpc_request! {
    /// `SetAccessControlListAttribute`: renames the ACL.
    pub struct SetAccessControlListAttributeRequest => Slb "SetAccessControlListAttribute" -> CreateAccessControlListResponse {
        /// `AclId`.
        acl_id: req String = "AclId",
        /// `AclName`.
        acl_name: req String = "AclName",
    }
}
