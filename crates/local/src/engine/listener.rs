//! Listener actions (spec §3.3): create per protocol (created `stopped`), set, describe,
//! start/stop/delete, and the paged DescribeLoadBalancerListeners. Rules: TCP, HTTP and
//! HTTPS share a port space and UDP has its own (`ListenerAlreadyExists`); the per-LB
//! listener quota; a vServer group must belong to the same LB; a port carrying two
//! protocols needs `ListenerProtocol` (`TooManyListeners`).
//!
//! Every handler takes its typed request. Create and set read the listener's identity, group,
//! bandwidth, scheduler, name and tags from typed fields ([`ListenerRequest`]); the
//! protocol-specific settings are read from the request by wire name (`Action::param`),
//! validated, and kept by canonical wire name (the listener's stored form); see `settings` for
//! the accepted names, ranges and defaults.

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    DeleteListenerRequest, DescribeHttpListenerAttributeRequest,
    DescribeHttpsListenerAttributeRequest, DescribeListenersRequest,
    DescribeTcpListenerAttributeRequest, DescribeUdpListenerAttributeRequest, StartListenerRequest,
    StopListenerRequest,
};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::types::{ListenerProtocol, OnOff};

use super::refusal::refused;
use super::render::{tag_list, tags as render_tags, wrap};
use super::tags::merge_tags;
use super::{Ctx, Outcome, State, lb_by_id, lb_by_id_for_write};
use crate::model::{Listener, LoadBalancer};
use slb_clb_state::{ListenerUpdate, NewListener, Protocol};

mod forward;
mod ipv6;
mod refs;
mod request;
mod settings;

pub(crate) use forward::refuse_create_only;
pub(crate) use refs::refuse_unmodelled as refuse_unmodelled_https;
pub(crate) use request::ListenerRequest;

/// A parameter's wire text by name, set and not empty: the typed request's
/// `Action::param`. The protocol settings are validated and stored in that form.
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;
pub(crate) use settings::effective;

/// `ListenerPort` 0 is refused (the wire type takes it).
fn check_port(port: u16) -> Result<u16, ApiError> {
    if port == 0 {
        return Err(ApiError::invalid_parameter(
            "ListenerPort",
            "must be 1–65535",
        ));
    }
    Ok(port)
}

fn check_group(lb: &LoadBalancer, group: &str) -> Result<(), ApiError> {
    if lb.vserver_groups.iter().any(|g| g.id == group) {
        Ok(())
    } else {
        Err(codes::INVALID_PARAM_VSERVER_GROUP_ID.error())
    }
}

/// `CreateLoadBalancer{TCP,UDP,HTTP,HTTPS}Listener`.
pub(crate) fn create<L: ListenerRequest>(
    state: &State,
    cx: &Ctx<'_>,
    req: &L,
) -> Result<Outcome, ApiError> {
    let protocol = L::PROTOCOL;
    let get: Lookup<'_> = &|name| req.param(name);
    let mut lb = lb_by_id_for_write(state, req.load_balancer_id())?.clone();
    let port = check_port(req.listener_port())?;
    admit_listener(cx, &lb, port, protocol)?;
    let (backend_port, group) = backends(&lb, req, port, get)?;
    let bandwidth = create_bandwidth(req.bandwidth(), protocol)?;
    let mut listener = Listener {
        protocol: protocol.to_owned(),
        port,
        status: "stopped".to_owned(),
        backend_server_port: backend_port.unwrap_or(0),
        vserver_group_id: group.unwrap_or_default(),
        scheduler: req.scheduler().unwrap_or_default().as_str().to_owned(),
        bandwidth,
        description: req.description().unwrap_or_default().to_owned(),
        settings: Default::default(),
        tags: Default::default(),
        domain_extensions: Vec::new(),
    };
    settings::check_bandwidth(listener.bandwidth)?;
    settings::merge(&mut listener.settings, protocol, get, true)?;
    check_refs(state, &lb, &mut listener.settings, protocol, get)?;
    merge_tags(
        &mut listener.tags,
        req.tags(),
        cx.config.quotas.tags_per_resource,
    )?;
    add_listener(&mut lb, listener)?;
    Ok(Outcome::put_lb(lb))
}

/// The gates of a new listener: its port is free for its protocol, and the LB is under its
/// listener quota.
fn admit_listener(
    cx: &Ctx<'_>,
    lb: &LoadBalancer,
    port: u16,
    protocol: &str,
) -> Result<(), ApiError> {
    if lb.shared().port_taken(port, shared_protocol(protocol)?) {
        return Err(codes::LISTENER_ALREADY_EXISTS.error());
    }
    let quota = cx.config.quotas.listeners_per_load_balancer;
    if lb.listeners.len() >= quota {
        return Err(ApiError::service(
            "QuotaExceeded.Listener",
            400,
            format!("The number of listeners exceeds the quota of {quota} for this load balancer."),
        ));
    }
    Ok(())
}

/// Where a new listener sends traffic: `(BackendServerPort, VServerGroupId)`, at least one
/// of them unless it forwards (HTTP to HTTPS); the group must be the LB's. The forwarding
/// and IPv6 settings are checked first.
fn backends<L: ListenerRequest>(
    lb: &LoadBalancer,
    req: &L,
    port: u16,
    get: Lookup<'_>,
) -> Result<(Option<u16>, Option<String>), ApiError> {
    let backend_port = req.backend_server_port();
    let group = req.vserver_group_id().map(str::to_owned);
    let forwarding = forward::check(lb, L::PROTOCOL, port, get)?;
    ipv6::check(lb, get)?;
    if backend_port.is_none() && group.is_none() && !forwarding {
        return Err(codes::MISSING_BACKEND_PORT_OR_GROUP.error());
    }
    if let Some(g) = &group {
        check_group(lb, g)?;
    }
    Ok((backend_port, group))
}

/// A new listener's `Bandwidth`: required but for HTTP, where it defaults to -1 (unlimited).
fn create_bandwidth(bandwidth: Option<i32>, protocol: &str) -> Result<i64, ApiError> {
    match (bandwidth.map(i64::from), protocol) {
        (Some(b), _) => Ok(b),
        (None, "http") => Ok(-1),
        (None, _) => Err(ApiError::missing_parameter("Bandwidth")),
    }
}

/// Adds `listener` (built and checked by `create`) to `lb` through the shared
/// `create_listener` transition; its engine-only fields (backend port, the settings by wire
/// name, tags) follow.
fn add_listener(lb: &mut LoadBalancer, listener: Listener) -> Result<(), ApiError> {
    let new = NewListener {
        protocol: shared_protocol(&listener.protocol)?,
        port: listener.port,
        vserver_group_id: Some(listener.vserver_group_id.clone()).filter(|g| !g.is_empty()),
        description: Some(listener.description.clone()),
        bandwidth: i32::try_from(listener.bandwidth).ok(),
        attributes: listener.attributes(),
    };
    lb.transition(|s| s.create_listener(new)).map_err(refused)?;
    if let Some(created) = lb.listeners.last_mut() {
        created.backend_server_port = listener.backend_server_port;
        created.settings = listener.settings;
        created.tags = listener.tags;
    }
    Ok(())
}

/// Changes listener `i` of `lb` to `next` (built and checked by `set`) through the shared
/// `set_listener` transition, sending what differs; the engine-only fields follow.
fn update_listener(lb: &mut LoadBalancer, i: usize, next: Listener) -> Result<(), ApiError> {
    let before = &lb.listeners[i];
    let update = ListenerUpdate {
        protocol: shared_protocol(&next.protocol)?,
        port: next.port,
        vserver_group_id: Some(next.vserver_group_id.clone())
            .filter(|g| *g != before.vserver_group_id),
        description: Some(next.description.clone()).filter(|d| *d != before.description),
        bandwidth: i32::try_from(next.bandwidth)
            .ok()
            .filter(|b| i64::from(*b) != before.bandwidth),
        attributes: next.attributes().changed_from(&before.attributes()),
    };
    lb.transition(|s| s.set_listener(&update))
        .map_err(refused)?;
    let l = &mut lb.listeners[i];
    l.backend_server_port = next.backend_server_port;
    l.settings = next.settings;
    Ok(())
}

/// The index of the listener on `port` of `protocol`, or `ListenerNotFound`.
fn index_of(lb: &LoadBalancer, port: u16, protocol: &str) -> Result<usize, ApiError> {
    lb.listeners
        .iter()
        .position(|l| l.port == port && l.protocol == protocol)
        .ok_or_else(|| codes::LISTENER_NOT_FOUND.error())
}

/// `SetLoadBalancer{TCP,UDP,HTTP,HTTPS}ListenerAttribute`.
pub(crate) fn set<L: ListenerRequest>(
    state: &State,
    _cx: &Ctx<'_>,
    req: &L,
) -> Result<Outcome, ApiError> {
    let protocol = L::PROTOCOL;
    let get: Lookup<'_> = &|name| req.param(name);
    let mut lb = lb_by_id_for_write(state, req.load_balancer_id())?.clone();
    let port = check_port(req.listener_port())?;
    let i = index_of(&lb, port, protocol)?;
    forward::check_set(&lb.listeners[i], get)?;
    ipv6::check(&lb, get)?;
    let group: Option<String> = req.vserver_group_id().map(str::to_owned);
    if let Some(g) = &group {
        check_group(&lb, g)?;
    }
    let switch: Option<OnOff> = req.vserver_group();
    let mut next = lb.listeners[i].clone();
    let l = &mut next;
    match (switch, group) {
        (Some(OnOff::Off), _) => l.vserver_group_id.clear(),
        (Some(OnOff::On), None) => return Err(ApiError::missing_parameter("VServerGroupId")),
        (_, Some(g)) => l.vserver_group_id = g,
        (None, None) => {}
    }
    if let Some(p) = req.backend_server_port() {
        l.backend_server_port = p;
    }
    if let Some(s) = req.scheduler() {
        l.scheduler = s.as_str().to_owned();
    }
    if let Some(b) = req.bandwidth().map(i64::from) {
        settings::check_bandwidth(b)?;
        l.bandwidth = b;
    }
    if let Some(d) = req.description() {
        l.description = d.to_owned();
    }
    settings::merge(&mut l.settings, protocol, get, false)?;
    check_refs(state, &lb, &mut next.settings, protocol, get)?;
    update_listener(&mut lb, i, next)?;
    Ok(Outcome::put_lb(lb))
}

/// The shared protocol of an engine protocol name (`tcp`, `udp`, `http`, `https`).
fn shared_protocol(protocol: &str) -> Result<Protocol, ApiError> {
    Protocol::parse(protocol).ok_or_else(|| codes::INTERNAL_ERROR.error())
}

/// The fields naming other resources: the ACL binding, and on HTTPS the certificates and
/// the TLS policy (see `refs`).
fn check_refs(
    state: &State,
    lb: &LoadBalancer,
    settings: &mut std::collections::BTreeMap<String, String>,
    protocol: &str,
    get: Lookup<'_>,
) -> Result<(), ApiError> {
    refs::merge_acl(state, lb, settings, get)?;
    if protocol == "https" {
        refs::check_https(state, get)?;
    }
    Ok(())
}

/// The fields every listener rendering shares.
fn common(lb: &LoadBalancer, l: &Listener) -> Map<String, Value> {
    let v = json!({
        "LoadBalancerId": lb.id,
        "ListenerPort": l.port,
        "BackendServerPort": l.backend_server_port,
        "VServerGroupId": l.vserver_group_id,
        "Status": l.status,
        "Bandwidth": l.bandwidth,
        "Scheduler": l.scheduler,
        "Description": l.description,
        "AclStatus": l.setting("AclStatus").unwrap_or("off"),
        "AclType": l.setting("AclType").unwrap_or(""),
        "AclId": l.setting("AclId").unwrap_or(""),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `AclIds`: the ids of `AclId` (a comma list) as JSON strings.
fn acl_ids(l: &Listener) -> Vec<Value> {
    l.setting("AclId")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| json!(s))
        .collect()
}

/// `DescribeLoadBalancer{TCP,UDP,HTTP,HTTPS}ListenerAttribute` of the listener of
/// `protocol` on `port` of the LB `id`.
fn describe_attribute(
    state: &State,
    (id, port): (&str, u16),
    protocol: &str,
) -> Result<Outcome, ApiError> {
    let lb = lb_by_id(state, id)?;
    let l = &lb.listeners[index_of(lb, check_port(port)?, protocol)?];
    let mut body = common(lb, l);
    body.extend(settings::render(l, false));
    body.insert("ListenerProtocol".into(), json!(l.protocol));
    body.insert("AclIds".into(), wrap("AclId", acl_ids(l)));
    body.insert("Tags".into(), render_tags(&l.tags));
    if l.protocol == "https" {
        body.insert(
            "DomainExtensions".into(),
            wrap("DomainExtension", super::domain_ext::render_all(state, l)),
        );
    }
    Ok(Outcome::read(body))
}

/// `DescribeLoadBalancerTCPListenerAttribute`.
pub(crate) fn describe_tcp(
    state: &State,
    _cx: &Ctx<'_>,
    r: &DescribeTcpListenerAttributeRequest,
) -> Result<Outcome, ApiError> {
    describe_attribute(state, (&r.load_balancer_id, r.listener_port), "tcp")
}

/// `DescribeLoadBalancerUDPListenerAttribute`.
pub(crate) fn describe_udp(
    state: &State,
    _cx: &Ctx<'_>,
    r: &DescribeUdpListenerAttributeRequest,
) -> Result<Outcome, ApiError> {
    describe_attribute(state, (&r.load_balancer_id, r.listener_port), "udp")
}

/// `DescribeLoadBalancerHTTPListenerAttribute`.
pub(crate) fn describe_http(
    state: &State,
    _cx: &Ctx<'_>,
    r: &DescribeHttpListenerAttributeRequest,
) -> Result<Outcome, ApiError> {
    describe_attribute(state, (&r.load_balancer_id, r.listener_port), "http")
}

/// `DescribeLoadBalancerHTTPSListenerAttribute`.
pub(crate) fn describe_https(
    state: &State,
    _cx: &Ctx<'_>,
    r: &DescribeHttpsListenerAttributeRequest,
) -> Result<Outcome, ApiError> {
    describe_attribute(state, (&r.load_balancer_id, r.listener_port), "https")
}

/// The listener on `port` (and of `protocol` if given) of a copied LB.
fn select(
    lb: &LoadBalancer,
    (port, protocol): (u16, Option<ListenerProtocol>),
    missing: &slb_openapi::error::ErrorSpec,
) -> Result<usize, ApiError> {
    let port = check_port(port)?;
    let hits: Vec<usize> = lb
        .listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| l.port == port && protocol.is_none_or(|p| p.as_str() == l.protocol))
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(missing.error()),
        _ => Err(codes::TOO_MANY_LISTENERS.error()),
    }
}

fn set_status(
    state: &State,
    (id, port, protocol): (&str, u16, Option<ListenerProtocol>),
    running: bool,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id_for_write(state, id)?.clone();
    let i = select(&lb, (port, protocol), &codes::LISTENER_NOT_FOUND)?;
    let (port, protocol) = (
        lb.listeners[i].port,
        shared_protocol(&lb.listeners[i].protocol)?,
    );
    lb.transition(|s| {
        if running {
            s.start_listener(port, protocol)
        } else {
            s.stop_listener(port, protocol)
        }
    })
    .map_err(refused)?;
    Ok(Outcome::put_lb(lb))
}

/// `StartLoadBalancerListener`: the listener runs (the local data plane starts at once, so
/// the transient `starting` state is never observed).
pub(crate) fn start(
    state: &State,
    _cx: &Ctx<'_>,
    r: &StartListenerRequest,
) -> Result<Outcome, ApiError> {
    let target = (
        r.load_balancer_id.as_str(),
        r.listener_port,
        r.listener_protocol,
    );
    set_status(state, target, true)
}

/// `StopLoadBalancerListener`.
pub(crate) fn stop(
    state: &State,
    _cx: &Ctx<'_>,
    r: &StopListenerRequest,
) -> Result<Outcome, ApiError> {
    let target = (
        r.load_balancer_id.as_str(),
        r.listener_port,
        r.listener_protocol,
    );
    set_status(state, target, false)
}

/// `DeleteLoadBalancerListener`.
pub(crate) fn delete(
    state: &State,
    _cx: &Ctx<'_>,
    r: &DeleteListenerRequest,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id_for_write(state, &r.load_balancer_id)?.clone();
    let target = (r.listener_port, r.listener_protocol);
    let i = select(&lb, target, &codes::RESOURCE_NOT_FOUND_LISTENER)?;
    let (port, protocol) = (
        lb.listeners[i].port,
        shared_protocol(&lb.listeners[i].protocol)?,
    );
    lb.transition(|s| s.delete_listener(port, protocol))
        .map_err(refused)?;
    Ok(Outcome::put_lb(lb))
}

/// One item of DescribeLoadBalancerListeners: bare arrays and one `…ListenerConfig` object.
fn list_item(lb: &LoadBalancer, l: &Listener) -> Value {
    let mut m = common(lb, l);
    m.insert("ListenerProtocol".into(), json!(l.protocol));
    m.insert("AclIds".into(), Value::Array(acl_ids(l)));
    m.insert("Tags".into(), Value::Array(tag_list(&l.tags)));
    let key = format!("{}ListenerConfig", l.protocol.to_ascii_uppercase());
    m.insert(key, Value::Object(settings::render(l, true)));
    Value::Object(m)
}

/// `DescribeListeners`' page: `(MaxResults, offset)`, 20 per page by default (1–100), the
/// offset being the previous page's `NextToken`.
fn listener_page(r: &DescribeListenersRequest) -> Result<(usize, usize), ApiError> {
    let max: usize = r.max_results.unwrap_or(20) as usize;
    if !(1..=100).contains(&max) {
        return Err(ApiError::invalid_parameter("MaxResults", "must be 1–100"));
    }
    let offset: usize = match &r.next_token {
        Some(t) => t.parse().map_err(|_| {
            ApiError::invalid_parameter("NextToken", "pass back the NextToken of the previous page")
        })?,
        None => 0,
    };
    Ok((max, offset))
}

/// `DescribeLoadBalancerListeners`: filters, then pages by `MaxResults` (1–100, default 20).
pub(crate) fn describe_list(
    state: &State,
    _cx: &Ctx<'_>,
    r: &DescribeListenersRequest,
) -> Result<Outcome, ApiError> {
    let ids = &r.load_balancer_ids;
    if ids.len() > 10 {
        return Err(ApiError::invalid_parameter(
            "LoadBalancerId.N",
            "at most 10 ids",
        ));
    }
    let (protocol, port, description) = (r.listener_protocol, r.listener_port, &r.description);
    let (max, offset) = listener_page(r)?;
    let lbs: Vec<&LoadBalancer> = if ids.is_empty() {
        state.load_balancers.values().collect()
    } else {
        ids.iter()
            .filter_map(|id| state.load_balancers.get(id))
            .collect()
    };
    let items: Vec<Value> = lbs
        .iter()
        .flat_map(|lb| lb.listeners.iter().map(move |l| (*lb, l)))
        .filter(|(_, l)| protocol.is_none_or(|p| p.as_str() == l.protocol))
        .filter(|(_, l)| port.is_none_or(|p| p == l.port))
        .filter(|(_, l)| description.as_ref().is_none_or(|d| *d == l.description))
        .map(|(lb, l)| list_item(lb, l))
        .collect();
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(max).collect();
    let next = if offset.saturating_add(max) < total {
        (offset.saturating_add(max)).to_string()
    } else {
        String::new()
    };
    Ok(Outcome::read(Map::new())
        .with("NextToken", next)
        .with("MaxResults", max)
        .with("TotalCount", total)
        .with("Listeners", Value::Array(page)))
}
