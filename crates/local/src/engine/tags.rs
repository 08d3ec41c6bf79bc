//! Tag actions (spec §3.5): TagResources / UntagResources / ListTagResources over LB
//! instances, listeners (`<lbId>_<proto>_<port>`) and vServer groups, plus the legacy
//! AddTags / RemoveTags / DescribeTags on LB instances. Limits: 20 resources and 20 tags per
//! call, the configured tags per resource, keys and values of at most 128 characters, and no
//! key starting with `aliyun` or `acs:` or containing `http://`/`https://`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    AddTagsRequest, DescribeTagsRequest, ListTagResourcesRequest, RemoveTagsRequest,
    TagResourcesRequest, UntagResourcesRequest,
};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::types::{ResourceType, Tag, TagKv};

use super::render::wrap;
use super::{Ctx, Outcome, State, ensure_unlocked, lb_by_id, lb_by_id_for_write};
use crate::model::LoadBalancer;

/// At most this many resources and tags in one call.
const PER_CALL: usize = 20;
/// Tag keys and values are at most this long.
const MAX_TAG_LEN: usize = 128;
/// ListTagResources page size.
const LIST_PAGE: usize = 50;

fn check_key(key: &str) -> Result<(), ApiError> {
    let lower = key.to_ascii_lowercase();
    if key.is_empty()
        || lower.starts_with("aliyun")
        || lower.starts_with("acs:")
        || lower.contains("http://")
        || lower.contains("https://")
    {
        return Err(ApiError::invalid_parameter(
            "Tag.N.Key",
            &format!("{key:?} is empty, starts with aliyun or acs:, or contains http(s)://"),
        ));
    }
    Ok(())
}

/// Adds `new` to `tags` (replacing values of existing keys) within the per-resource limit.
///
/// # Errors
/// `QuotaExceeded.Tag` (too many in the call), `SizeLimitExceeded.Tag`, `InvalidParameter`
/// (reserved key), `QuotaExceed.TagsPerResource`.
pub(crate) fn merge_tags(
    tags: &mut BTreeMap<String, String>,
    new: &[Tag],
    limit: usize,
) -> Result<(), ApiError> {
    if new.len() > PER_CALL {
        return Err(codes::QUOTA_EXCEEDED_TAG.error());
    }
    for tag in new {
        check_key(&tag.key)?;
        if tag.key.chars().count() > MAX_TAG_LEN || tag.value.chars().count() > MAX_TAG_LEN {
            return Err(codes::SIZE_LIMIT_EXCEEDED_TAG.error());
        }
        tags.insert(tag.key.clone(), tag.value.clone());
    }
    if tags.len() > limit {
        return Err(codes::QUOTA_EXCEED_TAGS_PER_RESOURCE.error());
    }
    Ok(())
}

/// The LB that owns a tag resource.
fn owner_id(state: &State, rtype: ResourceType, rid: &str) -> Result<String, ApiError> {
    match rtype {
        ResourceType::Instance => state
            .load_balancers
            .contains_key(rid)
            .then(|| rid.to_owned())
            .ok_or_else(|| codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND.error()),
        ResourceType::Listener => {
            let lb = rid.split('_').next().unwrap_or_default();
            state
                .load_balancers
                .get(lb)
                .filter(|lb| lb.listeners.iter().any(|l| l.resource_id(&lb.id) == rid))
                .map(|lb| lb.id.clone())
                .ok_or_else(|| codes::RESOURCE_NOT_FOUND_LISTENER.error())
        }
        ResourceType::VServerGroup => state
            .group(rid)
            .map(|(lb, _)| lb.id.clone())
            .ok_or_else(|| codes::VSERVER_GROUP_NOT_FOUND.error()),
        other => Err(ApiError::invalid_parameter(
            "ResourceType",
            &format!(
                "{other} is not kept by the local CLB; use instance, listener or vservergroup"
            ),
        )),
    }
}

/// The tag map of a listener or group inside its (copied) LB (instance tags change through
/// [`retag`]).
fn tags_mut<'a>(
    lb: &'a mut LoadBalancer,
    rtype: ResourceType,
    rid: &str,
) -> Option<&'a mut BTreeMap<String, String>> {
    let lb_id = lb.id.clone();
    match rtype {
        ResourceType::Listener => lb
            .listeners
            .iter_mut()
            .find(|l| l.resource_id(&lb_id) == rid)
            .map(|l| &mut l.tags),
        ResourceType::VServerGroup => lb
            .vserver_groups
            .iter_mut()
            .find(|g| g.id == rid)
            .map(|g| &mut g.tags),
        _ => None,
    }
}

/// Gives the instance the tags `next` through the shared `UntagResources`/`TagResources`
/// transitions (the listener and group tags are the local CLB's own).
fn retag(lb: &mut LoadBalancer, next: &BTreeMap<String, String>) {
    let removed: Vec<String> = lb
        .tags
        .keys()
        .filter(|k| !next.contains_key(*k))
        .cloned()
        .collect();
    let set: Vec<(String, String)> = next
        .iter()
        .filter(|(k, v)| lb.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    lb.change(|s| {
        s.untag(&removed);
        s.tag(&set);
    });
}

/// Runs `f` on the tags of every named resource, on copies of their LBs.
fn edit_resources(
    state: &State,
    (rtype, ids): (ResourceType, &[String]),
    mut f: impl FnMut(&mut BTreeMap<String, String>) -> Result<(), ApiError>,
) -> Result<Outcome, ApiError> {
    if ids.is_empty() {
        return Err(ApiError::missing_parameter("ResourceId.1"));
    }
    if ids.len() > PER_CALL {
        return Err(ApiError::invalid_parameter(
            "ResourceId.N",
            "at most 20 resources per call",
        ));
    }
    let mut copies: BTreeMap<String, LoadBalancer> = BTreeMap::new();
    for rid in ids {
        let owner = owner_id(state, rtype, rid)?;
        let lb = match copies.get_mut(&owner) {
            Some(lb) => lb,
            None => {
                let original = &state.load_balancers[&owner];
                ensure_unlocked(original)?;
                copies.entry(owner).or_insert_with(|| original.clone())
            }
        };
        if matches!(rtype, ResourceType::Instance) {
            let mut next = lb.tags.clone();
            f(&mut next)?;
            retag(lb, &next);
            continue;
        }
        let tags = tags_mut(lb, rtype, rid).ok_or_else(|| codes::INTERNAL_ERROR.error())?;
        f(tags)?;
    }
    let mut out = Outcome::default();
    out.change.put_load_balancers = copies.into_values().collect();
    Ok(out)
}

/// `TagResources`.
pub(crate) fn tag_resources(
    state: &State,
    cx: &Ctx<'_>,
    req: &TagResourcesRequest,
) -> Result<Outcome, ApiError> {
    let new = &req.tags;
    if new.is_empty() {
        return Err(ApiError::missing_parameter("Tag.1.Key"));
    }
    let limit = cx.config.quotas.tags_per_resource;
    let resources = (req.resource_type, req.resource_ids.as_slice());
    edit_resources(state, resources, |tags| merge_tags(tags, new, limit))
}

/// `UntagResources` (spec part 2 §11.2): removes the named keys (`All` is then ignored), or,
/// with no `TagKey`, every tag of each resource whatever `All` says (the metadata's
/// `TagKey` description; its `All` text conflicts, and the spec settles on "remove all").
/// Keys that are not present are a no-op.
pub(crate) fn untag_resources(
    state: &State,
    _cx: &Ctx<'_>,
    req: &UntagResourcesRequest,
) -> Result<Outcome, ApiError> {
    let keys = &req.tag_keys;
    check_untag_keys(keys)?;
    // `All` is parsed (a malformed value is refused); absent, `true` and `false` act alike.
    let resources = (req.resource_type, req.resource_ids.as_slice());
    edit_resources(state, resources, |tags| {
        if keys.is_empty() {
            tags.clear();
        } else {
            for k in keys {
                tags.remove(k);
            }
        }
        Ok(())
    })
}

/// `TagKey.N` of UntagResources: at most 20, each at most 64 characters, no duplicates.
fn check_untag_keys(keys: &[String]) -> Result<(), ApiError> {
    if keys.len() > PER_CALL {
        return Err(ApiError::service(
            "SizeLimitExceeded.TagKey",
            400,
            "The maximum size of TagKey is exceeded.",
        ));
    }
    if let Some(k) = keys.iter().find(|k| k.chars().count() > 64) {
        return Err(ApiError::service(
            "InvalidParam.TagKey",
            400,
            format!("The TagKey {k:?} is longer than 64 characters."),
        ));
    }
    let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
    if unique.len() != keys.len() {
        return Err(ApiError::service(
            "Duplicate.TagKey",
            400,
            "The param TagKey has duplicate value.",
        ));
    }
    Ok(())
}

/// Every (resource id, tags) of a type.
fn resources(state: &State, rtype: ResourceType) -> Vec<(String, &BTreeMap<String, String>)> {
    let mut out = Vec::new();
    for lb in state.load_balancers.values() {
        match rtype {
            ResourceType::Instance => out.push((lb.id.clone(), &lb.tags)),
            ResourceType::Listener => {
                out.extend(
                    lb.listeners
                        .iter()
                        .map(|l| (l.resource_id(&lb.id), &l.tags)),
                );
            }
            ResourceType::VServerGroup => {
                out.extend(lb.vserver_groups.iter().map(|g| (g.id.clone(), &g.tags)));
            }
            _ => {}
        }
    }
    out
}

/// `ListTagResources`: tags of the named resources and/or of resources carrying every given tag.
pub(crate) fn list_tag_resources(
    state: &State,
    _cx: &Ctx<'_>,
    req: &ListTagResourcesRequest,
) -> Result<Outcome, ApiError> {
    let (rtype, ids, filters) = (req.resource_type, &req.resource_ids, &req.tags);
    if ids.is_empty() && filters.is_empty() {
        return Err(codes::MISSING_TAG_OR_RESOURCE_ID.error());
    }
    let offset: usize = match &req.next_token {
        Some(t) => t.parse().map_err(|_| {
            ApiError::invalid_parameter("NextToken", "pass back the NextToken of the previous page")
        })?,
        None => 0,
    };
    let mut items = Vec::new();
    for (rid, tags) in resources(state, rtype) {
        if !ids.is_empty() && !ids.contains(&rid) {
            continue;
        }
        let all_match = filters.iter().all(|f| {
            tags.get(&f.key)
                .is_some_and(|v| f.value.is_empty() || *v == f.value)
        });
        if !all_match {
            continue;
        }
        for (k, v) in tags {
            items.push(json!({"ResourceId": rid, "ResourceType": rtype.as_str(), "TagKey": k, "TagValue": v}));
        }
    }
    let page: Vec<Value> = items.iter().skip(offset).take(LIST_PAGE).cloned().collect();
    let next = if offset.saturating_add(LIST_PAGE) < items.len() {
        (offset.saturating_add(LIST_PAGE)).to_string()
    } else {
        String::new()
    };
    Ok(Outcome::read(Map::new())
        .with("NextToken", next)
        .with("TagResources", wrap("TagResource", page)))
}

fn json_tags(tags: &[TagKv]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag::new(t.tag_key.clone(), t.tag_value.clone()))
        .collect()
}

/// `AddTags` (legacy).
pub(crate) fn add_tags(
    state: &State,
    cx: &Ctx<'_>,
    req: &AddTagsRequest,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id_for_write(state, &req.load_balancer_id)?.clone();
    let new = json_tags(&req.tags);
    let mut next = lb.tags.clone();
    merge_tags(&mut next, &new, cx.config.quotas.tags_per_resource)?;
    retag(&mut lb, &next);
    Ok(Outcome::put_lb(lb))
}

/// `RemoveTags` (legacy): removes each key whose value matches (or any value when empty).
pub(crate) fn remove_tags(
    state: &State,
    _cx: &Ctx<'_>,
    req: &RemoveTagsRequest,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id_for_write(state, &req.load_balancer_id)?.clone();
    let mut next = lb.tags.clone();
    for tag in json_tags(&req.tags) {
        if next
            .get(&tag.key)
            .is_some_and(|v| tag.value.is_empty() || *v == tag.value)
        {
            next.remove(&tag.key);
        }
    }
    retag(&mut lb, &next);
    Ok(Outcome::put_lb(lb))
}

/// `DescribeTags` (legacy): tag sets with the number of LBs carrying each.
pub(crate) fn describe_tags(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeTagsRequest,
) -> Result<Outcome, ApiError> {
    let lbs: Vec<&LoadBalancer> = match &req.load_balancer_id {
        Some(id) => vec![lb_by_id(state, id)?],
        None => state.load_balancers.values().collect(),
    };
    let filters: &[TagKv] = req.tags.as_deref().unwrap_or_default();
    let distinct = req.distinct_key.unwrap_or(false);
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for lb in lbs {
        for (k, v) in &lb.tags {
            let wanted = filters.is_empty()
                || filters
                    .iter()
                    .any(|f| f.tag_key == *k && (f.tag_value.is_empty() || f.tag_value == *v));
            if wanted {
                let value = if distinct { String::new() } else { v.clone() };
                *counts.entry((k.clone(), value)).or_default() += 1;
            }
        }
    }
    let page_number: usize = req.page_number.unwrap_or(1).max(1) as usize;
    let page_size: usize = req.page_size.unwrap_or(50).clamp(1, 100) as usize;
    let sets: Vec<Value> = counts
        .iter()
        .skip((page_number - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|((k, v), n)| json!({"TagKey": k, "TagValue": v, "InstanceCount": n}))
        .collect();
    Ok(Outcome::read(Map::new())
        .with("PageNumber", page_number)
        .with("PageSize", page_size)
        .with("TotalCount", counts.len())
        .with("TagSets", wrap("TagSet", sets)))
}
