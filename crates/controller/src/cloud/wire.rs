//! Model values ↔ OpenAPI wire parameters, written once.
//!
//! Listener attributes are many and nearly the same on every protocol, so instead of filling
//! eight request structs field by field, [`listener_params`] writes the attributes under
//! their wire names and the executor lets slb-openapi's typed request parse them
//! (`Action::from_params`), which checks required parameters and value formats. The same
//! table reads them back from a described listener ([`listener_attributes`]).

use slb_model::types::{BackendServer, ListenerAttributes, Protocol};
use slb_openapi::Params;
use std::collections::BTreeMap;

/// How one attribute is written on the wire.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
    /// `on`/`off`.
    Switch,
    /// `true`/`false`.
    Flag,
}

macro_rules! attribute_table {
    ($( $field:ident : $kind:ident => $wire:literal ),* $(,)?) => {
        /// Writes every attribute set in `a` (health check excluded: its name depends on the
        /// protocol).
        fn write_attributes(a: &ListenerAttributes, out: &mut Params) {
            $( if let Some(v) = &a.$field { out.insert($wire.to_owned(), to_wire(Kind::$kind, v)); } )*
        }

        /// Reads the attributes present in `values` (keyed by wire name).
        fn read_attributes(values: &BTreeMap<String, String>, a: &mut ListenerAttributes) {
            $( if let Some(v) = values.get($wire).and_then(|s| from_wire(Kind::$kind, s)) { a.$field = Some(v); } )*
        }
    };
}

attribute_table! {
    scheduler: Text => "Scheduler",
    persistence_timeout: Number => "PersistenceTimeout",
    established_timeout: Number => "EstablishedTimeout",
    idle_timeout: Number => "IdleTimeout",
    request_timeout: Number => "RequestTimeout",
    connection_drain: Switch => "ConnectionDrain",
    connection_drain_timeout: Number => "ConnectionDrainTimeout",
    proxy_protocol_v2_enabled: Flag => "ProxyProtocolV2Enabled",
    acl_status: Switch => "AclStatus",
    acl_id: Text => "AclId",
    acl_type: Text => "AclType",
    sticky_session: Switch => "StickySession",
    sticky_session_type: Text => "StickySessionType",
    cookie_timeout: Number => "CookieTimeout",
    cookie: Text => "Cookie",
    x_forwarded_for_proto: Switch => "XForwardedFor_proto",
    x_forwarded_for_slbport: Switch => "XForwardedFor_SLBPORT",
    x_forwarded_for_client_src_port: Switch => "XForwardedFor_ClientSrcPort",
    health_check_type: Text => "HealthCheckType",
    health_check_uri: Text => "HealthCheckURI",
    health_check_domain: Text => "HealthCheckDomain",
    health_check_http_code: Text => "HealthCheckHttpCode",
    health_check_connect_port: Number => "HealthCheckConnectPort",
    healthy_threshold: Number => "HealthyThreshold",
    unhealthy_threshold: Number => "UnhealthyThreshold",
    health_check_interval: Number => "HealthCheckInterval",
    health_check_connect_timeout: Number => "HealthCheckConnectTimeout",
    health_check_timeout: Number => "HealthCheckTimeout",
    health_check_method: Text => "HealthCheckMethod",
    server_certificate_id: Text => "ServerCertificateId",
    tls_cipher_policy: Text => "TLSCipherPolicy",
    enable_http2: Switch => "EnableHttp2",
    listener_forward: Switch => "ListenerForward",
    forward_port: Number => "ForwardPort",
}

trait Wire: Sized {
    fn text(&self, kind: Kind) -> String;
    fn parse(kind: Kind, s: &str) -> Option<Self>;
}

impl Wire for String {
    fn text(&self, _: Kind) -> String {
        self.clone()
    }
    fn parse(_: Kind, s: &str) -> Option<Self> {
        (!s.is_empty()).then(|| s.to_owned())
    }
}

impl Wire for bool {
    fn text(&self, kind: Kind) -> String {
        match (kind, self) {
            (Kind::Flag, b) => b.to_string(),
            (_, true) => "on".into(),
            (_, false) => "off".into(),
        }
    }
    fn parse(_: Kind, s: &str) -> Option<Self> {
        match s {
            "on" | "true" => Some(true),
            "off" | "false" => Some(false),
            _ => None,
        }
    }
}

macro_rules! numeric_wire {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn text(&self, _: Kind) -> String { self.to_string() }
            fn parse(_: Kind, s: &str) -> Option<Self> { s.parse().ok() }
        }
    )*};
}
numeric_wire!(u16, u32, i32);

fn to_wire<T: Wire>(kind: Kind, v: &T) -> String {
    v.text(kind)
}

fn from_wire<T: Wire>(kind: Kind, s: &str) -> Option<T> {
    T::parse(kind, s)
}

/// The health-check switch is `HealthCheckSwitch` on layer 4 and `HealthCheck` on layer 7.
fn health_switch_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp | Protocol::Udp => "HealthCheckSwitch",
        Protocol::Http | Protocol::Https => "HealthCheck",
    }
}

/// Wire parameters of a `Create…Listener` (`create`) or `Set…ListenerAttribute` call, without
/// the load balancer and group ids (the executor adds those).
pub fn listener_params(
    protocol: Protocol,
    attributes: &ListenerAttributes,
    create: bool,
) -> Params {
    let mut out = Params::new();
    let mut attributes = attributes.clone();
    attributes.retain_for(protocol);
    write_attributes(&attributes, &mut out);
    if let Some(on) = attributes.health_check {
        out.insert(
            health_switch_name(protocol).into(),
            to_wire(Kind::Switch, &on),
        );
    }
    if create && matches!(protocol, Protocol::Http | Protocol::Https) {
        // Required on create for layer 7; absent means the CLB's default of "off".
        out.entry("HealthCheck".into())
            .or_insert_with(|| "off".into());
        out.entry("StickySession".into())
            .or_insert_with(|| "off".into());
    }
    out
}

/// The attributes of a described listener, from its top-level fields and its
/// `<PROTO>ListenerConfig` object (as JSON, keyed by wire name).
pub fn listener_attributes(protocol: Protocol, item: &serde_json::Value) -> ListenerAttributes {
    let mut values = BTreeMap::new();
    let config_key = match protocol {
        Protocol::Tcp => "TCPListenerConfig",
        Protocol::Udp => "UDPListenerConfig",
        Protocol::Http => "HTTPListenerConfig",
        Protocol::Https => "HTTPSListenerConfig",
    };
    for object in [Some(item), item.get(config_key)].into_iter().flatten() {
        if let Some(map) = object.as_object() {
            for (k, v) in map {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                values.insert(k.clone(), text);
            }
        }
    }
    let mut a = ListenerAttributes::default();
    read_attributes(&values, &mut a);
    let switch = values
        .get("HealthCheck")
        .or_else(|| values.get(health_switch_name(protocol)));
    a.health_check = switch.and_then(|s| from_wire(Kind::Switch, s));
    a.retain_for(protocol);
    a
}

/// `BackendServers` as the JSON string the API takes.
pub fn backend_servers_json(servers: &[BackendServer]) -> String {
    let list: Vec<serde_json::Value> = servers
        .iter()
        .map(|b| {
            let mut v = serde_json::json!({
                "ServerId": b.server_id,
                "Type": b.r#type.as_str(),
                "Port": b.port,
                "Weight": b.weight,
            });
            if let Some(map) = v.as_object_mut() {
                if let Some(ip) = &b.server_ip {
                    map.insert("ServerIp".into(), ip.clone().into());
                }
                if !b.description.is_empty() {
                    map.insert("Description".into(), b.description.clone().into());
                }
            }
            v
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Writes `Tag.N.Key` / `Tag.N.Value` (1-based).
pub fn write_tags(tags: &[(String, String)], out: &mut Params) {
    for (i, (k, v)) in tags.iter().enumerate() {
        out.insert(format!("Tag.{}.Key", i + 1), k.clone());
        out.insert(format!("Tag.{}.Value", i + 1), v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer4_and_layer7_name_the_health_switch_differently_and_drop_foreign_fields() {
        let a = ListenerAttributes {
            scheduler: Some("wrr".into()),
            health_check: Some(true),
            connection_drain: Some(true),
            idle_timeout: Some(10),
            proxy_protocol_v2_enabled: Some(true),
            ..Default::default()
        };
        let tcp = listener_params(Protocol::Tcp, &a, true);
        assert_eq!(tcp["HealthCheckSwitch"], "on");
        assert_eq!(tcp["ConnectionDrain"], "on");
        assert_eq!(tcp["ProxyProtocolV2Enabled"], "true");
        assert!(
            !tcp.contains_key("IdleTimeout"),
            "IdleTimeout is layer 7 only"
        );
        let http = listener_params(Protocol::Http, &a, true);
        assert_eq!(http["HealthCheck"], "on");
        assert_eq!(
            http["StickySession"], "off",
            "required on create, defaulted"
        );
        assert_eq!(http["IdleTimeout"], "10");
        assert!(!http.contains_key("ConnectionDrain"));
    }

    #[test]
    fn described_attributes_read_back_into_the_same_fields() {
        let item = serde_json::json!({
            "ListenerPort": 80, "ListenerProtocol": "tcp", "Scheduler": "wrr", "AclStatus": "off",
            "TCPListenerConfig": {
                "HealthCheck": "on", "ConnectionDrain": "on", "ConnectionDrainTimeout": 30,
                "ProxyProtocolV2Enabled": false, "HealthCheckType": "tcp", "HealthCheckDomain": ""
            }
        });
        let a = listener_attributes(Protocol::Tcp, &item);
        assert_eq!(a.scheduler.as_deref(), Some("wrr"));
        assert_eq!(a.health_check, Some(true));
        assert_eq!(a.connection_drain, Some(true));
        assert_eq!(a.connection_drain_timeout, Some(30));
        assert_eq!(a.proxy_protocol_v2_enabled, Some(false));
        assert_eq!(a.acl_status, Some(false));
        assert_eq!(a.health_check_domain, None, "empty text is not reported");
        let round = listener_params(Protocol::Tcp, &a, false);
        assert_eq!(round["ConnectionDrainTimeout"], "30");
    }

    #[test]
    fn backend_servers_are_a_json_list_with_wire_keys() {
        let b = BackendServer {
            server_id: "eni-1".into(),
            r#type: slb_model::types::BackendType::Eni,
            server_ip: Some("10.0.0.5".into()),
            port: 8080,
            weight: 100,
            description: "k8s/8080/web/ns/c1".into(),
        };
        let json: serde_json::Value = serde_json::from_str(&backend_servers_json(&[b])).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"ServerId": "eni-1", "Type": "eni", "Port": 8080, "Weight": 100,
                "ServerIp": "10.0.0.5", "Description": "k8s/8080/web/ns/c1"}])
        );
    }
}
