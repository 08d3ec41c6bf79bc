//! Access control list actions (spec part 2 §4.1): create, delete (refused while a listener
//! uses the ACL), describe (paged list and attribute with its entries and the listeners
//! that use it), add/remove entries (real CIDRs of the ACL's IP version) and rename. The
//! quotas are the service's: 50 ACLs per region, 300 entries per ACL, 50 per call.
//!
//! Binding an ACL to a listener is a listener field (`AclStatus`/`AclType`/`AclId`), checked
//! in `listener::refs`. Not here: the legacy white-list actions, and tags through
//! TagResources (ResourceType `acl` is refused there by name).

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    AddAccessControlListEntryRequest, CreateAccessControlListRequest,
    DeleteAccessControlListRequest, DescribeAccessControlListAttributeRequest,
    DescribeAccessControlListsRequest, RemoveAccessControlListEntryRequest,
    SetAccessControlListAttributeRequest,
};
use slb_openapi::error::ApiError;

use super::render::{iso_time, tags as render_tags, wrap};
use super::tags::merge_tags;
use super::{Ctx, Outcome, State};
use crate::model::{Acl, AclEntry};
use crate::store::Change;

mod entry;

/// ACLs per region.
pub(crate) const ACLS_PER_REGION: usize = 50;
/// Entries per ACL.
pub(crate) const ENTRIES_PER_ACL: usize = 300;
/// Entries per Add/Remove call.
const ENTRIES_PER_CALL: usize = 50;

/// `AclNotExist` (400), the answer to any unknown `AclId`.
pub(crate) fn acl_not_exist(id: &str) -> ApiError {
    ApiError::service(
        "AclNotExist",
        400,
        format!("Acl does not exist: {id:?}; list the ACLs with DescribeAccessControlLists."),
    )
}

fn find<'s>(state: &'s State, id: &str) -> Result<&'s Acl, ApiError> {
    state.security.acls.get(id).ok_or_else(|| acl_not_exist(id))
}

fn put(acl: Acl) -> Outcome {
    Outcome {
        change: Change {
            put_acls: vec![acl],
            ..Change::default()
        },
        ..Outcome::default()
    }
}

/// The ids named by a listener's `AclId` (a comma list).
pub(crate) fn listener_acl_ids(l: &crate::model::Listener) -> Vec<&str> {
    if l.setting("AclStatus") != Some("on") {
        return Vec::new();
    }
    l.setting("AclId")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The listeners using ACL `id`: `RelatedListener` items.
fn related(state: &State, id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for lb in state.load_balancers.values() {
        for l in lb
            .listeners
            .iter()
            .filter(|l| listener_acl_ids(l).contains(&id))
        {
            out.push(json!({
                "LoadBalancerId": lb.id,
                "ListenerPort": l.port,
                "Protocol": l.protocol,
                "AclType": l.setting("AclType").unwrap_or("white"),
            }));
        }
    }
    out
}

/// `AclName`: 1–80 characters of letters, digits, CJK, `.` `-` `/` `_`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '/' | '_');
    if name.is_empty() || name.chars().count() > 80 || !name.chars().all(ok_char) {
        return Err(ApiError::invalid_parameter(
            "AclName",
            &format!("{name:?} must be 1–80 letters, digits, CJK characters, '.', '-', '/' or '_'"),
        ));
    }
    Ok(())
}

fn check_unique(state: &State, name: &str, except: &str) -> Result<(), ApiError> {
    if state
        .security
        .acls
        .values()
        .any(|a| a.name == name && a.id != except)
    {
        return Err(ApiError::service(
            "AclNameExist",
            400,
            format!("An ACL named {name:?} already exists in this region; choose another AclName."),
        ));
    }
    Ok(())
}

/// `CreateAccessControlList`.
pub(crate) fn create(
    state: &State,
    cx: &Ctx<'_>,
    req: &CreateAccessControlListRequest,
) -> Result<Outcome, ApiError> {
    let name = req.acl_name.clone();
    check_name(&name)?;
    check_unique(state, &name, "")?;
    let version = req
        .address_ip_version
        .clone()
        .unwrap_or_else(|| "ipv4".to_owned());
    if version != "ipv4" && version != "ipv6" {
        return Err(ApiError::invalid_parameter(
            "AddressIPVersion",
            "must be ipv4 or ipv6",
        ));
    }
    if state.security.acls.len() >= ACLS_PER_REGION {
        return Err(ApiError::service(
            "AclNumberOverLimit",
            400,
            format!("The Acl number has reached to the max quota limit of {ACLS_PER_REGION}."),
        ));
    }
    let mut acl = Acl {
        id: Ctx::new_id("acl"),
        name,
        address_ip_version: version,
        resource_group_id: req.resource_group_id.clone().unwrap_or_default(),
        create_time_ms: cx.now_ms,
        entries: Vec::new(),
        tags: Default::default(),
    };
    merge_tags(&mut acl.tags, &req.tags, cx.config.quotas.tags_per_resource)?;
    let id = acl.id.clone();
    Ok(put(acl).with("AclId", id))
}

/// `DeleteAccessControlList`: refused while a listener uses the ACL.
pub(crate) fn delete(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteAccessControlListRequest,
) -> Result<Outcome, ApiError> {
    let acl = find(state, &req.acl_id)?;
    if !related(state, &acl.id).is_empty() {
        return Err(ApiError::service(
            "OperationFailed.AclBindedWithVip",
            400,
            "The ACL has binded with vip: turn AclStatus off on the listeners listed in \
             DescribeAccessControlListAttribute's RelatedListeners first.",
        ));
    }
    Ok(Outcome {
        change: Change {
            delete_acls: vec![acl.id.clone()],
            ..Change::default()
        },
        ..Outcome::default()
    })
}

/// `SetAccessControlListAttribute`: renames.
pub(crate) fn set_attribute(
    state: &State,
    _cx: &Ctx<'_>,
    req: &SetAccessControlListAttributeRequest,
) -> Result<Outcome, ApiError> {
    let mut acl = find(state, &req.acl_id)?.clone();
    let name = req.acl_name.clone();
    check_name(&name)?;
    check_unique(state, &name, &acl.id)?;
    acl.name = name;
    let id = acl.id.clone();
    Ok(put(acl).with("AclId", id))
}

/// `AddAccessControlListEntry`.
pub(crate) fn add_entries(
    state: &State,
    _cx: &Ctx<'_>,
    req: &AddAccessControlListEntryRequest,
) -> Result<Outcome, ApiError> {
    let mut acl = find(state, &req.acl_id)?.clone();
    for e in entry::read_entries(&req.acl_entrys, ENTRIES_PER_CALL)? {
        let cidr = entry::parse_cidr(&e.entry)?;
        if cidr.version != acl.address_ip_version {
            return Err(ApiError::service(
                "IllegalEntry",
                400,
                format!(
                    "Entry version is conflict to the acl version: {} is {} but the ACL is {}.",
                    e.entry, cidr.version, acl.address_ip_version
                ),
            ));
        }
        if acl.entries.iter().any(|x| x.entry == cidr.text) {
            return Err(ApiError::service(
                "InvalidParam.AclEntryExists",
                400,
                format!(
                    "The specified aclEntry already exists in the acl: {}.",
                    cidr.text
                ),
            ));
        }
        acl.entries.push(AclEntry {
            entry: cidr.text,
            comment: e.comment,
        });
    }
    if acl.entries.len() > ENTRIES_PER_ACL {
        return Err(ApiError::service(
            "AclEntryExceedLimit",
            400,
            format!("The maximum number of ACL entries ({ENTRIES_PER_ACL} per ACL) is exceeded."),
        ));
    }
    Ok(put(acl))
}

/// `RemoveAccessControlListEntry`: entries not present are ignored.
pub(crate) fn remove_entries(
    state: &State,
    _cx: &Ctx<'_>,
    req: &RemoveAccessControlListEntryRequest,
) -> Result<Outcome, ApiError> {
    let mut acl = find(state, &req.acl_id)?.clone();
    for e in entry::read_entries(&req.acl_entrys, ENTRIES_PER_CALL)? {
        let cidr = entry::parse_cidr(&e.entry)?;
        acl.entries.retain(|x| x.entry != cidr.text);
    }
    Ok(put(acl))
}

fn page_size(size: Option<u32>) -> Result<usize, ApiError> {
    let size: usize = size.unwrap_or(10) as usize;
    if !(1..=50).contains(&size) {
        return Err(ApiError::invalid_parameter("PageSize", "must be 1–50"));
    }
    Ok(size)
}

fn page_number(n: Option<u32>, name: &str) -> Result<usize, ApiError> {
    let n: usize = n.unwrap_or(1) as usize;
    if n == 0 {
        return Err(ApiError::invalid_parameter(name, "pages count from 1"));
    }
    Ok(n)
}

/// The fields an ACL's list item and attribute share.
fn fields(acl: &Acl) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("AclId".into(), json!(acl.id));
    m.insert("AclName".into(), json!(acl.name));
    m.insert("AddressIPVersion".into(), json!(acl.address_ip_version));
    m.insert("ResourceGroupId".into(), json!(acl.resource_group_id));
    m.insert("CreateTime".into(), json!(iso_time(acl.create_time_ms)));
    m.insert("ServiceManagedMode".into(), json!("UserManaged"));
    m.insert("Tags".into(), render_tags(&acl.tags));
    m
}

fn matches(acl: &Acl, req: &DescribeAccessControlListsRequest) -> bool {
    req.acl_name.as_ref().is_none_or(|n| acl.name.contains(n))
        && req
            .address_ip_version
            .as_ref()
            .is_none_or(|v| acl.address_ip_version == *v)
        && req
            .resource_group_id
            .as_ref()
            .is_none_or(|g| acl.resource_group_id == *g)
        && req
            .tags
            .iter()
            .all(|t| acl.tags.get(&t.key).is_some_and(|v| *v == t.value))
}

/// `DescribeAccessControlLists`: filters (name is a substring match), then pages.
pub(crate) fn describe_list(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeAccessControlListsRequest,
) -> Result<Outcome, ApiError> {
    let number = page_number(req.page_number, "PageNumber")?;
    let size = page_size(req.page_size)?;
    let mut hits: Vec<&Acl> = state
        .security
        .acls
        .values()
        .filter(|acl| matches(acl, req))
        .collect();
    hits.sort_by_key(|a| (a.create_time_ms, a.id.clone()));
    let page: Vec<Value> = hits
        .iter()
        .skip((number - 1).saturating_mul(size))
        .take(size)
        .map(|a| Value::Object(fields(a)))
        .collect();
    Ok(Outcome::read(Map::new())
        .with("PageNumber", number)
        .with("PageSize", size)
        .with("TotalCount", hits.len())
        .with("Count", page.len())
        .with("Acls", wrap("Acl", page)))
}

/// `DescribeAccessControlListAttribute`: the entries (paged by `Page`, filtered by comment)
/// and the listeners using the ACL.
pub(crate) fn describe_attribute(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeAccessControlListAttributeRequest,
) -> Result<Outcome, ApiError> {
    let acl = find(state, &req.acl_id)?;
    let (number, size) = (page_number(req.page, "Page")?, page_size(req.page_size)?);
    let comment = &req.acl_entry_comment;
    let entries: Vec<Value> = acl
        .entries
        .iter()
        .filter(|e| comment.as_ref().is_none_or(|c| e.comment == *c))
        .skip((number - 1).saturating_mul(size))
        .take(size)
        .map(|e| json!({"AclEntryIP": e.entry, "AclEntryComment": e.comment}))
        .collect();
    let mut body = fields(acl);
    body.insert("TotalAclEntry".into(), json!(acl.entries.len()));
    body.insert("AclEntrys".into(), wrap("AclEntry", entries));
    body.insert(
        "RelatedListeners".into(),
        wrap("RelatedListener", related(state, &acl.id)),
    );
    Ok(Outcome::read(body))
}
