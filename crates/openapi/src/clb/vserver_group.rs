//! vServer group actions (spec §3.4): create, delete, describe (list and attribute), and the
//! backend membership changes (add, remove, set weights/descriptions, modify = replace).
//!
//! `BackendServers` travels as one JSON string parameter (see [`BackendServer`] for the
//! lenient parsing). Batching to the per-call limit is the caller's job, not this module's.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::lenient::{self, wrap};
use crate::types::{BackendServer, Tag, TagKv};

rpc_request! {
    /// `CreateVServerGroup`. Not idempotent (no ClientToken): the client never retries it
    /// after an unknown outcome. The CCM creates groups empty and adds servers afterwards.
    pub struct CreateVServerGroupRequest => Slb "CreateVServerGroup" -> VServerGroupBackendsResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `VServerGroupName` (1–80 chars).
        vserver_group_name: opt String = "VServerGroupName",
        /// `BackendServers` (JSON).
        backend_servers: optjson Vec<BackendServer> = "BackendServers",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

rpc_request! {
    /// `DeleteVServerGroup`. Fails with `RspoolVipExist` while a listener uses the group; an
    /// unknown id answers `InvalidParameter` (404).
    pub struct DeleteVServerGroupRequest => Slb "DeleteVServerGroup" -> EmptyResponse {
        /// `VServerGroupId`.
        vserver_group_id: req String = "VServerGroupId",
    }
}

rpc_request! {
    /// `DescribeVServerGroups`: the groups of one LB. Read-only.
    pub struct DescribeVServerGroupsRequest => Slb "DescribeVServerGroups" -> DescribeVServerGroupsResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `IncludeListener`.
        include_listener: opt bool = "IncludeListener",
        /// `IncludeRule`.
        include_rule: opt bool = "IncludeRule",
        /// `Description`.
        description: opt String = "Description",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

/// Response of `DescribeVServerGroups`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVServerGroupsResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `VServerGroups.VServerGroup[]`.
    #[serde(rename = "VServerGroups", with = "wrap::vserver_group")]
    pub vserver_groups: Vec<VServerGroupSummary>,
}

/// One item of `DescribeVServerGroups`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VServerGroupSummary {
    /// `VServerGroupId`.
    #[serde(rename = "VServerGroupId")]
    pub vserver_group_id: String,
    /// `VServerGroupName`.
    #[serde(rename = "VServerGroupName")]
    pub vserver_group_name: String,
    /// `ServerCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub server_count: u32,
    /// `CreateTime`.
    pub create_time: String,
    /// `AssociatedObjects`.
    pub associated_objects: AssociatedObjects,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

/// `AssociatedObjects` of a vServer group: who uses it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssociatedObjects {
    /// `Listeners.Listener[]`.
    #[serde(with = "wrap::listener")]
    pub listeners: Vec<AssociatedListener>,
    /// `Rules.Rule[]`.
    #[serde(with = "wrap::rule")]
    pub rules: Vec<AssociatedRule>,
}

/// A listener using a vServer group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssociatedListener {
    /// `Port`.
    #[serde(deserialize_with = "lenient::number")]
    pub port: u16,
    /// `Protocol`.
    pub protocol: String,
}

/// A forwarding rule using a vServer group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssociatedRule {
    /// `RuleId`.
    pub rule_id: String,
    /// `RuleName`.
    pub rule_name: String,
    /// `Domain`.
    pub domain: String,
    /// `Url`.
    pub url: String,
}

rpc_request! {
    /// `DescribeVServerGroupAttribute`. Read-only.
    pub struct DescribeVServerGroupAttributeRequest => Slb "DescribeVServerGroupAttribute" -> DescribeVServerGroupAttributeResponse {
        /// `VServerGroupId`.
        vserver_group_id: req String = "VServerGroupId",
    }
}

/// Response of `DescribeVServerGroupAttribute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVServerGroupAttributeResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `VServerGroupId`.
    #[serde(rename = "VServerGroupId")]
    pub vserver_group_id: String,
    /// `VServerGroupName`.
    #[serde(rename = "VServerGroupName")]
    pub vserver_group_name: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `CreateTime`.
    pub create_time: String,
    /// `BackendServers.BackendServer[]`.
    #[serde(with = "wrap::backend_server")]
    pub backend_servers: Vec<BackendServer>,
    /// `Tags.Tag[]`.
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

rpc_request! {
    /// `AddVServerGroupBackendServers`. Answers the group's full member list.
    pub struct AddVServerGroupBackendServersRequest => Slb "AddVServerGroupBackendServers" -> VServerGroupBackendsResponse {
        /// `VServerGroupId`.
        vserver_group_id: req String = "VServerGroupId",
        /// `BackendServers` (JSON).
        backend_servers: json Vec<BackendServer> = "BackendServers",
    }
}

rpc_request! {
    /// `RemoveVServerGroupBackendServers`. Non-members are silently ignored (idempotent).
    pub struct RemoveVServerGroupBackendServersRequest => Slb "RemoveVServerGroupBackendServers" -> VServerGroupBackendsResponse {
        /// `VServerGroupId`.
        vserver_group_id: req String = "VServerGroupId",
        /// `BackendServers` (JSON).
        backend_servers: json Vec<BackendServer> = "BackendServers",
    }
}

rpc_request! {
    /// `SetVServerGroupAttribute`: rename, and change weight/description of existing members.
    /// At least one of the two must be given (`MissingParameter`). Idempotent.
    pub struct SetVServerGroupAttributeRequest => Slb "SetVServerGroupAttribute" -> VServerGroupBackendsResponse {
        /// `VServerGroupId`.
        vserver_group_id: req String = "VServerGroupId",
        /// `VServerGroupName`.
        vserver_group_name: opt String = "VServerGroupName",
        /// `BackendServers` (JSON).
        backend_servers: optjson Vec<BackendServer> = "BackendServers",
    }
}

rpc_request! {
    /// `ModifyVServerGroupBackendServers`: replace `old_backend_servers` by `new_backend_servers`.
    pub struct ModifyVServerGroupBackendServersRequest => Slb "ModifyVServerGroupBackendServers" -> VServerGroupBackendsResponse {
        /// `VServerGroupId`.
        vserver_group_id: req String = "VServerGroupId",
        /// `OldBackendServers` (JSON).
        old_backend_servers: optjson Vec<BackendServer> = "OldBackendServers",
        /// `NewBackendServers` (JSON).
        new_backend_servers: optjson Vec<BackendServer> = "NewBackendServers",
    }
}

/// Response of the vServer group create and membership actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VServerGroupBackendsResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `VServerGroupId`.
    #[serde(rename = "VServerGroupId")]
    pub vserver_group_id: String,
    /// `VServerGroupName` (Set only).
    #[serde(rename = "VServerGroupName", skip_serializing_if = "String::is_empty")]
    pub vserver_group_name: String,
    /// `BackendServers.BackendServer[]`: the group's members after the change.
    #[serde(with = "wrap::backend_server")]
    pub backend_servers: Vec<BackendServer>,
}
