//! Wire value types shared by several actions: the enumerations of spec §3.1, tags in their
//! two shapes (`Tag.N.Key` pairs and `{"TagKey","TagValue"}` JSON), and the `BackendServers`
//! JSON item with the lenient parsing the real service applies (any key case, numbers or
//! numeric strings, unknown keys ignored).
//!
//! Response structs keep enum-like fields as `String` so a new value from the cloud never
//! breaks decoding; requests use the enums below so bad input is rejected up front.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::params::{JsonParam, ParamValue};

/// Defines a string enumeration with its exact wire values. The first variant is the
/// `Default`. Parsing is case-insensitive (the service is lenient), output is canonical.
macro_rules! wire_enum {
    (
        $(#[$m:meta])*
        $name:ident {
            $(#[$fm:meta])* $first:ident = $fwire:literal
            $(, $(#[$vm:meta])* $variant:ident = $wire:literal)* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $(#[$fm])* #[doc = concat!("`", $fwire, "`")] #[default] $first,
            $($(#[$vm])* #[doc = concat!("`", $wire, "`")] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[Self::$first $(, Self::$variant)*];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    Self::$first => $fwire,
                    $(Self::$variant => $wire,)*
                }
            }

            /// Parses a wire value, ignoring ASCII case.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ParamValue for $name {
            fn to_param(&self) -> String {
                self.as_str().to_owned()
            }
            fn from_param(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("expected one of {}", all.join(", "))
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <Self as ParamValue>::from_param(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// For the wire enums declared next to their actions (`clb::regions`).
pub(crate) use wire_enum;

wire_enum!(
    /// `AddressType`: public or private VIP.
    AddressType { Internet = "internet", Intranet = "intranet" }
);
wire_enum!(
    /// `AddressIPVersion`.
    AddressIpVersion { Ipv4 = "ipv4", Ipv6 = "ipv6" }
);
wire_enum!(
    /// `InstanceChargeType`: by spec or by CLCU (only PayBySpec→PayByCLCU is allowed).
    InstanceChargeType { PayBySpec = "PayBySpec", PayByClcu = "PayByCLCU" }
);
wire_enum!(
    /// `InternetChargeType` by name. DescribeLoadBalancers items carry a code instead; see
    /// [`InternetChargeType::from_describe_code`].
    InternetChargeType { PayByTraffic = "paybytraffic", PayByBandwidth = "paybybandwidth" }
);
wire_enum!(
    /// `PayType`.
    PayType { PayOnDemand = "PayOnDemand", PrePay = "PrePay" }
);
wire_enum!(
    /// `LoadBalancerStatus`.
    LoadBalancerStatus { Active = "active", Inactive = "inactive", Locked = "locked" }
);
wire_enum!(
    /// An `on`/`off` switch (`DeleteProtection`, `HealthCheck`, `StickySession`, …). The
    /// default is `off`, so a defaulted required switch never turns a feature on by accident.
    OnOff { Off = "off", On = "on" }
);
wire_enum!(
    /// `ModificationProtectionStatus`.
    ModificationProtectionStatus {
        NonProtection = "NonProtection",
        ConsoleProtection = "ConsoleProtection",
    }
);
wire_enum!(
    /// `Scheduler`; `wlc` is accepted because older docs and the CCM annotations use it.
    Scheduler { Wrr = "wrr", Rr = "rr", Sch = "sch", Tch = "tch", Wlc = "wlc" }
);
wire_enum!(
    /// `ListenerProtocol` (lowercase on the wire).
    ListenerProtocol { Tcp = "tcp", Udp = "udp", Http = "http", Https = "https" }
);
wire_enum!(
    /// Backend server `Type`.
    BackendType { Ecs = "ecs", Eni = "eni", Eci = "eci" }
);
wire_enum!(
    /// `ResourceType` of the tag APIs. A listener's id is `<lbId>_<proto>_<port>`.
    ResourceType {
        Instance = "instance",
        Certificate = "certificate",
        Acl = "acl",
        Listener = "listener",
        VServerGroup = "vservergroup",
        MasterSlaveServerGroup = "masterslaveservergroup",
    }
);
wire_enum!(
    /// `AclType`.
    AclType { White = "white", Black = "black" }
);
wire_enum!(
    /// TCP listener `HealthCheckType`.
    HealthCheckType { Tcp = "tcp", Http = "http" }
);
wire_enum!(
    /// `StickySessionType`.
    StickySessionType { Insert = "insert", Server = "server" }
);

impl InternetChargeType {
    /// Decodes DescribeLoadBalancers' code (`"3"` = by bandwidth, `"4"` = by traffic); names
    /// are accepted too.
    pub fn from_describe_code(code: &str) -> Option<Self> {
        match code.trim() {
            "3" => Some(Self::PayByBandwidth),
            "4" => Some(Self::PayByTraffic),
            other => Self::parse(other),
        }
    }

    /// The code DescribeLoadBalancers items carry.
    pub fn describe_code(self) -> &'static str {
        match self {
            Self::PayByBandwidth => "3",
            Self::PayByTraffic => "4",
        }
    }
}

/// A tag as a repeat-list pair (`Tag.N.Key` / `Tag.N.Value`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag {
    /// `Key`.
    pub key: String,
    /// `Value` (may be empty).
    pub value: String,
}

impl Tag {
    /// A tag from key and value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A tag in JSON shape `{"TagKey","TagValue"}` (the `Tags` JSON parameter and `Tags.Tag[]`
/// in responses). Keys are matched case-insensitively when parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagKv {
    /// `TagKey`.
    pub tag_key: String,
    /// `TagValue`.
    pub tag_value: String,
}

impl TagKv {
    /// A tag from key and value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            tag_key: key.into(),
            tag_value: value.into(),
        }
    }
}

impl<'de> Deserialize<'de> for TagKv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let obj = LooseObject::deserialize(d)?;
        Ok(Self {
            tag_key: obj.string("TagKey"),
            tag_value: obj.string("TagValue"),
        })
    }
}

impl JsonParam for Vec<TagKv> {
    fn to_json_param(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    fn from_json_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| {
            format!("expected a JSON array like [{{\"TagKey\":\"k\",\"TagValue\":\"v\"}}]: {e}")
        })
    }
}

/// One backend server: an item of the `BackendServers` JSON parameter and of
/// `BackendServers.BackendServer[]` in responses.
///
/// Identity is (`ServerId`, `Port`) for `ecs` and (`ServerId`, `ServerIp`, `Port`) for
/// `eni`/`eci`. Parsing accepts any key case, numbers or numeric strings, and ignores
/// unknown keys (the reference CCM sends camelCase with extra fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackendServer {
    /// `ServerId`: `i-…`, `eni-…` or `eci-…`.
    pub server_id: String,
    /// `Port`: backend port, 1–65535.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `Weight`: 0–100 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// `Type`: `ecs` (default), `eni`, `eci`.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub server_type: Option<BackendType>,
    /// `ServerIp`: the ENI/ECI IP.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server_ip: String,
    /// `Description`: the CCM writes `k8s/<port>/<svc>/<ns>/<clusterid>`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `VpcId` (responses).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vpc_id: String,
    /// `ServerRegionId` (responses).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server_region_id: String,
}

impl BackendServer {
    /// The effective type (`ecs` when absent).
    pub fn effective_type(&self) -> BackendType {
        self.server_type.unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for BackendServer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let obj = LooseObject::deserialize(d)?;
        let server_type = match obj.string("Type").as_str() {
            "" => None,
            t => Some(BackendType::parse(t).ok_or_else(|| {
                D::Error::custom(format!("backend Type {t:?} is not one of ecs, eni, eci"))
            })?),
        };
        Ok(Self {
            server_id: obj.string("ServerId"),
            port: obj.number("Port").map_err(D::Error::custom)?,
            weight: obj.number("Weight").map_err(D::Error::custom)?,
            server_type,
            server_ip: obj.string("ServerIp"),
            description: obj.string("Description"),
            vpc_id: obj.string("VpcId"),
            server_region_id: obj.string("ServerRegionId"),
        })
    }
}

/// The request form of a backend (numbers as strings, key order as Alibaba's docs).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackendServerParam<'a> {
    server_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    server_type: Option<&'static str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    server_ip: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
}

impl JsonParam for Vec<BackendServer> {
    fn to_json_param(&self) -> String {
        let items: Vec<BackendServerParam<'_>> = self
            .iter()
            .map(|b| BackendServerParam {
                server_id: &b.server_id,
                weight: b.weight.map(|w| w.to_string()),
                server_type: b.server_type.map(BackendType::as_str),
                server_ip: &b.server_ip,
                port: b.port.map(|p| p.to_string()),
                description: &b.description,
            })
            .collect();
        serde_json::to_string(&items).unwrap_or_default()
    }

    fn from_json_param(s: &str) -> Result<Self, String> {
        let items: Vec<BackendServer> = serde_json::from_str(s).map_err(|e| {
            format!("expected a JSON array of {{\"ServerId\",\"Port\",\"Weight\",\"Type\",\"ServerIp\",\"Description\"}} objects: {e}")
        })?;
        if let Some(i) = items.iter().position(|b| b.server_id.is_empty()) {
            return Err(format!("item {} has no ServerId", i + 1));
        }
        Ok(items)
    }
}

/// A JSON object read with case-insensitive keys and string/number tolerance.
struct LooseObject(serde_json::Map<String, Value>);

impl<'de> Deserialize<'de> for LooseObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Map::deserialize(d).map(Self)
    }
}

impl LooseObject {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    fn string(&self, key: &str) -> String {
        match self.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            _ => String::new(),
        }
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, String> {
        let raw = self.string(key);
        if raw.is_empty() {
            return Ok(None);
        }
        raw.trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{key} must be a number, got {raw:?}"))
    }
}

#[cfg(test)]
mod tests;
