//! Serde helpers for response bodies, which the real service (and the Go SDK) treat
//! leniently: numbers may arrive as strings, flags as bools or strings, and list wrappers
//! (`"LoadBalancers":{"LoadBalancer":[…]}`) may be missing, `null`, empty objects or bare
//! arrays. Serialization always produces Alibaba's documented shape.
//!
//! These helpers never fail on a missing value (defaults apply); they fail only on values
//! of an impossible type, with the field named by serde.

use std::str::FromStr;

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A number that may be a JSON number, a numeric string, empty or null (→ default).
///
/// # Errors
/// When the value is neither a number nor a numeric string.
pub fn number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Default,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(T::default()),
        Value::Number(n) => parse_num(&n.to_string()),
        Value::String(s) if s.trim().is_empty() => Ok(T::default()),
        Value::String(s) => parse_num(&s),
        other => Err(D::Error::custom(format!("expected a number, got {other}"))),
    }
}

fn parse_num<T: FromStr, E: Error>(s: &str) -> Result<T, E> {
    let s = s.trim();
    s.parse()
        .or_else(|_| {
            // "100.0" from a lenient producer: accept whole floats only.
            s.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0)
                .and_then(|f| format!("{f:.0}").parse().ok())
                .ok_or(())
        })
        .map_err(|()| E::custom(format!("expected a number, got {s:?}")))
}

/// A string that may arrive as a number or bool (→ its text) or null (→ empty).
///
/// # Errors
/// When the value is an array or object.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(D::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// A flag that may be a JSON bool or the strings `true`/`false`/`on`/`off` (null → false).
///
/// # Errors
/// When the value is not one of those.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "on" => Ok(true),
            "false" | "off" | "" => Ok(false),
            _ => Err(D::Error::custom(format!("expected a boolean, got {s:?}"))),
        },
        other => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

/// Serializes a bool as the string `"true"`/`"false"` (the listener-config quirk of
/// `DescribeLoadBalancerListeners`).
///
/// # Errors
/// Only the serializer's own.
pub fn bool_as_string<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *v { "true" } else { "false" })
}

/// A bare array that may be missing or null (→ empty).
///
/// # Errors
/// When an element does not decode.
pub fn bare_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
            .collect(),
        other => Err(D::Error::custom(format!("expected an array, got {other}"))),
    }
}

/// Reads a wrapped list `{"<Item>":[…]}` leniently: the wrapper may be null, `{}`, `""`, a
/// bare array, or hold a single object instead of an array.
///
/// # Errors
/// When an element does not decode.
pub fn unwrap_list<T: DeserializeOwned, E: Error>(v: Value, item: &str) -> Result<Vec<T>, E> {
    let inner = match v {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.is_empty() => return Ok(Vec::new()),
        Value::Object(mut map) => match map.remove(item) {
            Some(inner) => inner,
            None => return Ok(Vec::new()),
        },
        other => other,
    };
    let items = match inner {
        Value::Null => Vec::new(),
        Value::Array(items) => items,
        single => vec![single],
    };
    items
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(E::custom))
        .collect()
}

/// Writes `{"<Item>": items}`.
///
/// # Errors
/// Only the serializer's own.
pub fn wrap_list<T: Serialize, S: Serializer>(
    items: &[T],
    item: &str,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(item, items)?;
    map.end()
}

/// Defines serde `with` modules for wrapped lists: `wrapped!(load_balancer => "LoadBalancer")`
/// gives `#[serde(with = "wrap::load_balancer")]` for `"LoadBalancers":{"LoadBalancer":[…]}`.
macro_rules! wrapped {
    ($($module:ident => $item:literal),* $(,)?) => {$(
        #[doc = concat!("The `{\"", $item, "\":[…]}` list wrapper.")]
        pub mod $module {
            use serde::{Deserialize, Deserializer, Serialize, Serializer};
            use serde::de::DeserializeOwned;

            /// Writes the wrapper.
            ///
            /// # Errors
            /// Only the serializer's own.
            #[allow(clippy::ptr_arg)]
            pub fn serialize<T: Serialize, S: Serializer>(v: &Vec<T>, s: S) -> Result<S::Ok, S::Error> {
                super::super::wrap_list(v, $item, s)
            }

            /// Reads the wrapper leniently.
            ///
            /// # Errors
            /// When an element does not decode.
            pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
                super::super::unwrap_list(serde_json::Value::deserialize(d)?, $item)
            }
        }
    )*};
}

/// `with` modules for every list wrapper the responses use.
pub mod wrap {
    wrapped! {
        load_balancer => "LoadBalancer",
        backend_server => "BackendServer",
        tag => "Tag",
        vserver_group => "VServerGroup",
        tag_resource => "TagResource",
        tag_set => "TagSet",
        listener_port => "ListenerPort",
        listener_port_and_protocol => "ListenerPortAndProtocol",
        listener_port_and_protocal => "ListenerPortAndProtocal",
        acl_id => "AclId",
        listener => "Listener",
        rule => "Rule",
        instance => "Instance",
        ip_address => "IpAddress",
        network_interface => "NetworkInterface",
        network_interface_set => "NetworkInterfaceSet",
        private_ip_set => "PrivateIpSet",
        ipv6_set => "Ipv6Set",
        security_group_id => "SecurityGroupId",
        router_table_list_type => "RouterTableListType",
        route_entry => "RouteEntry",
        next_hop => "NextHop",
        vswitch_id => "VSwitchId",
        eip_address => "EipAddress",
        acl => "Acl",
        acl_entry => "AclEntry",
        related_listener => "RelatedListener",
        server_certificate => "ServerCertificate",
        ca_certificate => "CACertificate",
        subject_alternative_name => "SubjectAlternativeName",
        domain_extension => "DomainExtension",
        certificate => "Certificate",
        region => "Region",
        zone => "Zone",
        slave_zone => "SlaveZone",
        available_resource => "AvailableResource",
        support_resource => "SupportResource",
    }
}
