//! slb-model's values ↔ slb-openapi's typed values, written once: the plan's strings become
//! the wire enums (a value the API does not take fails here, as `InvalidParameter` naming
//! the parameter, before any call), listener attributes become [`ListenerSettings`] (which
//! slb-openapi turns into each protocol's request) and described settings come back as
//! listener attributes, members and tags change shape.
//!
//! No wire names are written here except in error messages: the typed requests own them.

use slb_model::types::{BackendServer, BackendType, ListenerAttributes, Protocol};
use slb_openapi::ApiError;
use slb_openapi::clb::ListenerSettings;
use slb_openapi::params::ParamValue;
use slb_openapi::types::{self as wire, OnOff, Tag};

/// `value` parsed as the wire type of parameter `param`; empty is `None`.
///
/// # Errors
/// `InvalidParameter` naming `param` and the accepted values.
pub fn parse_opt<T: ParamValue>(param: &str, value: &str) -> Result<Option<T>, ApiError> {
    if value.is_empty() {
        return Ok(None);
    }
    T::from_param(value)
        .map(Some)
        .map_err(|problem| ApiError::invalid_parameter(param, &format!("{problem}, got {value:?}")))
}

/// Like [`parse_opt`] for a parameter the request requires.
///
/// # Errors
/// `MissingParameter` when empty, `InvalidParameter` when not a wire value.
pub fn parse_req<T: ParamValue>(param: &str, value: &str) -> Result<T, ApiError> {
    parse_opt(param, value)?.ok_or_else(|| ApiError::missing_parameter(param))
}

/// `Some(value)` unless empty (an empty optional parameter is not sent).
pub fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// `on` or `off`.
pub fn on_off(b: bool) -> OnOff {
    if b { OnOff::On } else { OnOff::Off }
}

fn parse_each<T: ParamValue>(param: &str, value: &Option<String>) -> Result<Option<T>, ApiError> {
    value.as_deref().map_or(Ok(None), |v| parse_opt(param, v))
}

/// The settings a listener create or set of `protocol` sends for `attributes` (the fields
/// the protocol does not take are dropped first, by the model's rule).
///
/// # Errors
/// `InvalidParameter` for a value the API does not take (scheduler, ACL type, …).
pub fn listener_settings(
    protocol: Protocol,
    attributes: &ListenerAttributes,
) -> Result<ListenerSettings, ApiError> {
    let mut a = attributes.clone();
    a.retain_for(protocol);
    let port = |p: i32| {
        u16::try_from(p)
            .map_err(|_| ApiError::invalid_parameter("HealthCheckConnectPort", &format!("got {p}")))
    };
    Ok(ListenerSettings {
        scheduler: parse_each("Scheduler", &a.scheduler)?,
        persistence_timeout: a.persistence_timeout,
        established_timeout: a.established_timeout,
        idle_timeout: a.idle_timeout,
        request_timeout: a.request_timeout,
        connection_drain: a.connection_drain.map(on_off),
        connection_drain_timeout: a.connection_drain_timeout,
        proxy_protocol_v2_enabled: a.proxy_protocol_v2_enabled,
        acl_status: a.acl_status.map(on_off),
        acl_id: a.acl_id,
        acl_type: parse_each("AclType", &a.acl_type)?,
        sticky_session: a.sticky_session.map(on_off),
        sticky_session_type: parse_each("StickySessionType", &a.sticky_session_type)?,
        cookie_timeout: a.cookie_timeout,
        cookie: a.cookie,
        x_forwarded_for_proto: a.x_forwarded_for_proto.map(on_off),
        x_forwarded_for_slbport: a.x_forwarded_for_slbport.map(on_off),
        x_forwarded_for_client_src_port: a.x_forwarded_for_client_src_port.map(on_off),
        health_check: a.health_check.map(on_off),
        health_check_type: parse_each("HealthCheckType", &a.health_check_type)?,
        health_check_uri: a.health_check_uri,
        health_check_domain: a.health_check_domain,
        health_check_http_code: a.health_check_http_code,
        health_check_connect_port: a.health_check_connect_port.map(port).transpose()?,
        healthy_threshold: a.healthy_threshold,
        unhealthy_threshold: a.unhealthy_threshold,
        health_check_interval: a.health_check_interval,
        health_check_connect_timeout: a.health_check_connect_timeout,
        health_check_timeout: a.health_check_timeout,
        health_check_method: a.health_check_method,
        server_certificate_id: a.server_certificate_id,
        tls_cipher_policy: a.tls_cipher_policy,
        enable_http2: a.enable_http2.map(on_off),
        listener_forward: a.listener_forward.map(on_off),
        forward_port: a.forward_port,
    })
}

fn is_on(s: Option<OnOff>) -> Option<bool> {
    s.map(|s| s == OnOff::On)
}

fn name<T: ParamValue>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_param())
}

/// The listener attributes of described `settings` (the fields `protocol` does not take
/// are dropped).
pub fn listener_attributes(protocol: Protocol, s: ListenerSettings) -> ListenerAttributes {
    let mut a = ListenerAttributes {
        scheduler: name(s.scheduler),
        persistence_timeout: s.persistence_timeout,
        established_timeout: s.established_timeout,
        idle_timeout: s.idle_timeout,
        request_timeout: s.request_timeout,
        connection_drain: is_on(s.connection_drain),
        connection_drain_timeout: s.connection_drain_timeout,
        proxy_protocol_v2_enabled: s.proxy_protocol_v2_enabled,
        acl_status: is_on(s.acl_status),
        acl_id: s.acl_id,
        acl_type: name(s.acl_type),
        sticky_session: is_on(s.sticky_session),
        sticky_session_type: name(s.sticky_session_type),
        cookie_timeout: s.cookie_timeout,
        cookie: s.cookie,
        x_forwarded_for_proto: is_on(s.x_forwarded_for_proto),
        x_forwarded_for_slbport: is_on(s.x_forwarded_for_slbport),
        x_forwarded_for_client_src_port: is_on(s.x_forwarded_for_client_src_port),
        health_check: is_on(s.health_check),
        health_check_type: name(s.health_check_type),
        health_check_uri: s.health_check_uri,
        health_check_domain: s.health_check_domain,
        health_check_http_code: s.health_check_http_code,
        health_check_connect_port: s.health_check_connect_port.map(i32::from),
        healthy_threshold: s.healthy_threshold,
        unhealthy_threshold: s.unhealthy_threshold,
        health_check_interval: s.health_check_interval,
        health_check_connect_timeout: s.health_check_connect_timeout,
        health_check_timeout: s.health_check_timeout,
        health_check_method: s.health_check_method,
        server_certificate_id: s.server_certificate_id,
        tls_cipher_policy: s.tls_cipher_policy,
        enable_http2: is_on(s.enable_http2),
        listener_forward: is_on(s.listener_forward),
        forward_port: s.forward_port,
    };
    a.retain_for(protocol);
    a
}

/// The wire protocol of a model protocol.
pub fn listener_protocol(p: Protocol) -> wire::ListenerProtocol {
    match p {
        Protocol::Tcp => wire::ListenerProtocol::Tcp,
        Protocol::Udp => wire::ListenerProtocol::Udp,
        Protocol::Http => wire::ListenerProtocol::Http,
        Protocol::Https => wire::ListenerProtocol::Https,
    }
}

/// The model protocol of a wire protocol.
pub fn protocol(p: wire::ListenerProtocol) -> Protocol {
    match p {
        wire::ListenerProtocol::Tcp => Protocol::Tcp,
        wire::ListenerProtocol::Udp => Protocol::Udp,
        wire::ListenerProtocol::Http => Protocol::Http,
        wire::ListenerProtocol::Https => Protocol::Https,
    }
}

fn backend_type(t: BackendType) -> wire::BackendType {
    match t {
        BackendType::Ecs => wire::BackendType::Ecs,
        BackendType::Eni => wire::BackendType::Eni,
        BackendType::Eci => wire::BackendType::Eci,
    }
}

/// Group members as the API's backend servers.
pub fn backend_servers(servers: &[BackendServer]) -> Vec<wire::BackendServer> {
    servers
        .iter()
        .map(|b| wire::BackendServer {
            server_id: b.server_id.clone(),
            port: Some(b.port),
            weight: Some(b.weight),
            server_type: Some(backend_type(b.r#type)),
            server_ip: b.server_ip.clone().unwrap_or_default(),
            description: b.description.clone(),
            ..wire::BackendServer::default()
        })
        .collect()
}

/// A described backend server as a group member.
pub fn member(b: &wire::BackendServer) -> BackendServer {
    let r#type = match b.effective_type() {
        wire::BackendType::Eni => BackendType::Eni,
        wire::BackendType::Eci => BackendType::Eci,
        wire::BackendType::Ecs => BackendType::Ecs,
    };
    BackendServer {
        server_id: b.server_id.clone(),
        r#type,
        server_ip: non_empty(&b.server_ip),
        port: b.port.unwrap_or(0),
        weight: b.weight.unwrap_or(100),
        description: b.description.clone(),
    }
}

/// Key/value pairs as `Tag.N` tags.
pub fn tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(key, value)| Tag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
