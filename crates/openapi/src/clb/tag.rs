//! Tag actions (spec §3.5): the resource-tag API (`TagResources`, `UntagResources`,
//! `ListTagResources`) and the legacy LB-only API (`AddTags`, `RemoveTags`, `DescribeTags`).
//!
//! Tag keys the CCM relies on (`kubernetes.do.not.delete`, …) are the model crate's concern.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::lenient::{self, wrap};
use crate::types::{ResourceType, Tag, TagKv};

rpc_request! {
    /// `TagResources`: add or overwrite tags (≤20 per resource). Idempotent.
    pub struct TagResourcesRequest => Slb "TagResources" -> EmptyResponse {
        /// `ResourceType`.
        resource_type: req ResourceType = "ResourceType",
        /// `ResourceId.N` (≤20).
        resource_ids: list String = "ResourceId",
        /// `Tag.N.Key` / `Tag.N.Value`.
        tags: tags Tag = "Tag",
    }
}

rpc_request! {
    /// `UntagResources`: remove the given keys, or every tag with `all` and no keys.
    /// Idempotent.
    pub struct UntagResourcesRequest => Slb "UntagResources" -> EmptyResponse {
        /// `ResourceType`.
        resource_type: req ResourceType = "ResourceType",
        /// `ResourceId.N`.
        resource_ids: list String = "ResourceId",
        /// `TagKey.N` (≤20).
        tag_keys: list String = "TagKey",
        /// `All`.
        all: opt bool = "All",
    }
}

rpc_request! {
    /// `ListTagResources`: tags of the given resources and/or resources with the given tags,
    /// paged by `NextToken`. Needs at least one id or tag (`MissingParam.TagOrResourceId`).
    pub struct ListTagResourcesRequest => Slb "ListTagResources" -> ListTagResourcesResponse {
        /// `ResourceType`.
        resource_type: req ResourceType = "ResourceType",
        /// `ResourceId.N`.
        resource_ids: list String = "ResourceId",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
        /// `NextToken`.
        next_token: opt String = "NextToken",
    }
}

/// Response of `ListTagResources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListTagResourcesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `NextToken` (empty on the last page).
    pub next_token: String,
    /// `TagResources.TagResource[]`.
    #[serde(with = "wrap::tag_resource")]
    pub tag_resources: Vec<TagResource>,
}

/// One (resource, tag) pair of `ListTagResources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagResource {
    /// `ResourceId`.
    pub resource_id: String,
    /// `ResourceType`.
    pub resource_type: String,
    /// `TagKey`.
    pub tag_key: String,
    /// `TagValue`.
    pub tag_value: String,
}

rpc_request! {
    /// Legacy `AddTags` on one LB. Idempotent.
    pub struct AddTagsRequest => Slb "AddTags" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `Tags` (JSON `[{"TagKey","TagValue"}]`).
        tags: json Vec<TagKv> = "Tags",
    }
}

rpc_request! {
    /// Legacy `RemoveTags` on one LB. Idempotent.
    pub struct RemoveTagsRequest => Slb "RemoveTags" -> EmptyResponse {
        /// `LoadBalancerId`.
        load_balancer_id: req String = "LoadBalancerId",
        /// `Tags` (JSON).
        tags: json Vec<TagKv> = "Tags",
    }
}

rpc_request! {
    /// Legacy `DescribeTags`, paged by `PageNumber`/`PageSize` (default 50, max 100).
    pub struct DescribeTagsRequest => Slb "DescribeTags" -> DescribeTagsResponse {
        /// `LoadBalancerId`.
        load_balancer_id: opt String = "LoadBalancerId",
        /// `Tags` (JSON filter).
        tags: optjson Vec<TagKv> = "Tags",
        /// `DistinctKey`.
        distinct_key: opt bool = "DistinctKey",
        /// `PageNumber`.
        page_number: opt u32 = "PageNumber",
        /// `PageSize`.
        page_size: opt u32 = "PageSize",
    }
}

/// Response of `DescribeTags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeTagsResponse {
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
    /// `TagSets.TagSet[]`.
    #[serde(with = "wrap::tag_set")]
    pub tag_sets: Vec<TagSet>,
}

/// One item of `DescribeTags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagSet {
    /// `TagKey`.
    pub tag_key: String,
    /// `TagValue`.
    pub tag_value: String,
    /// `InstanceCount`.
    #[serde(deserialize_with = "lenient::number")]
    pub instance_count: u32,
}
