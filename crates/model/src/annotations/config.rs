//! The typed configuration built from validated annotation values plus the table defaults.

use std::collections::{BTreeMap, BTreeSet};

use super::{ANNOTATIONS, AnnotationError, Default, Value, spec};
use crate::types::{ListenerAttributes, Protocol};

/// Everything the annotations say, with table defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LbConfig {
    /// Which controller handles the Service.
    pub selection: SelectionConfig,
    /// CLB instance settings.
    pub instance: InstanceConfig,
    /// Settings applied to every listener.
    pub listener: ListenerConfig,
    /// Backend selection and weights.
    pub backend: BackendConfig,
    /// Short names (suffix or exact key) the user actually set; immutability checks and
    /// reused CLBs only consider these.
    pub explicit: BTreeSet<&'static str>,
    /// Non-blocking problems (see [`super::parse`]).
    pub warnings: Vec<AnnotationError>,
}

/// Selection annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectionConfig {
    /// `service.beta.kubernetes.io/class`.
    pub class: Option<String>,
    /// `…-type` (any value but `clb` means another controller).
    pub lb_type: Option<String>,
    /// `…-tunnel-type` present.
    pub tunnel_type: bool,
}

/// Instance annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceConfig {
    /// `id`: reuse this CLB.
    pub id: Option<String>,
    /// `force-override-listeners`.
    pub force_override_listeners: bool,
    /// `name` (the default name is computed by `desired`).
    pub name: Option<String>,
    /// `spec`.
    pub spec: Option<String>,
    /// `instance-charge-type` (default `PayByCLCU`).
    pub instance_charge_type: String,
    /// `address-type` (default `internet`).
    pub address_type: String,
    /// `charge-type`, lowercase.
    pub internet_charge_type: Option<String>,
    /// `bandwidth` Mbps.
    pub bandwidth: Option<u32>,
    /// `vswitch-id`.
    pub vswitch_id: Option<String>,
    /// `network-type`.
    pub network_type: Option<String>,
    /// `master-zoneid`.
    pub master_zone_id: Option<String>,
    /// `slave-zoneid`.
    pub slave_zone_id: Option<String>,
    /// `ip-version` (default `ipv4`).
    pub address_ip_version: String,
    /// `ip`.
    pub address: Option<String>,
    /// `resource-group-id`.
    pub resource_group_id: Option<String>,
    /// `delete-protection` (default on).
    pub delete_protection: bool,
    /// `modification-protection` (default `ConsoleProtection`).
    pub modification_protection: String,
    /// `additional-resource-tags` in written order.
    pub additional_tags: Vec<(String, String)>,
    /// `preserve-lb-on-delete`.
    pub preserve_on_delete: bool,
    /// `external-ip-type: eip`.
    pub external_ip_eip: bool,
    /// `hostname`.
    pub hostname: Option<String>,
}

/// Listener annotations (the same for every listener of the Service).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListenerConfig {
    /// `protocol-port`: Service port → listener protocol.
    pub protocol_ports: BTreeMap<u16, Protocol>,
    /// `forward-port`: HTTP port → HTTPS port.
    pub forward_ports: BTreeMap<u16, u16>,
    /// `domain-extensions`: SNI certificates of HTTPS listeners, planned per listener.
    pub domain_extensions: Vec<(String, String)>,
    /// Attributes common to all protocols (filtered per protocol by `desired`).
    pub attributes: ListenerAttributes,
    /// `health-check-switch` (tcp/udp).
    pub health_check_switch: Option<bool>,
    /// `health-check-flag` (http/https, default off).
    pub health_check_flag: Option<bool>,
}

/// Backend annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackendConfig {
    /// `backend-type: eni` (None = cluster default).
    pub eni: Option<bool>,
    /// `backend-label`.
    pub backend_label: BTreeMap<String, String>,
    /// `remove-unscheduled-backend`.
    pub remove_unscheduled: bool,
    /// `vgroup-port`: user group id → Service port.
    pub vgroup_ports: Vec<(String, u16)>,
    /// `weight`.
    pub weight: Option<u32>,
    /// `default-weight` (default 100).
    pub default_weight: u32,
    /// `ignore-weight-update`.
    pub ignore_weight_update: bool,
    /// `backend-ip-version` is `ipv6`.
    pub ipv6_backends: bool,
}

/// Read access to the values with the table defaults filled in.
struct Values<'a> {
    given: &'a BTreeMap<&'static str, Value>,
    defaults: BTreeMap<&'static str, Value>,
}

impl Values<'_> {
    fn get(&self, short: &str) -> Option<&Value> {
        self.given.get(short).or_else(|| self.defaults.get(short))
    }
    fn text(&self, short: &str) -> Option<String> {
        match self.get(short) {
            Some(Value::Text(s)) => Some(s.clone()),
            _ => None,
        }
    }
    fn flag(&self, short: &str) -> Option<bool> {
        match self.get(short) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    fn int<T: TryFrom<i64>>(&self, short: &str) -> Option<T> {
        match self.get(short) {
            Some(Value::Int(i)) => T::try_from(*i).ok(),
            _ => None,
        }
    }
    fn pairs(&self, short: &str) -> Vec<(String, String)> {
        match self.get(short) {
            Some(Value::Pairs(p)) => p.clone(),
            _ => Vec::new(),
        }
    }
}

/// Defaults that apply when absent, parsed with the same parser as user values.
fn table_defaults() -> BTreeMap<&'static str, Value> {
    ANNOTATIONS
        .iter()
        .filter_map(|s| match s.default {
            Default::Always(v) | Default::OnCreate(v) => super::value::parse(s.kind, v)
                .ok()
                .map(|v| (s.key.short(), v)),
            Default::None | Default::Computed(_) => None,
        })
        .collect()
}

impl LbConfig {
    /// Builds the configuration from validated values (short name → value).
    pub(super) fn from_values(given: &BTreeMap<&'static str, Value>) -> Self {
        let v = Values {
            given,
            defaults: table_defaults(),
        };
        LbConfig {
            selection: SelectionConfig {
                class: v.text("service.beta.kubernetes.io/class"),
                lb_type: v.text("type"),
                tunnel_type: v.text("tunnel-type").is_some(),
            },
            instance: instance(&v),
            listener: listener(&v),
            backend: backend(&v),
            explicit: given.keys().copied().collect(),
            warnings: Vec::new(),
        }
    }

    /// True when the user set this annotation (short name: suffix or exact key).
    pub fn is_explicit(&self, short: &str) -> bool {
        self.explicit.contains(short)
    }
}

fn instance(v: &Values<'_>) -> InstanceConfig {
    InstanceConfig {
        id: v.text("id"),
        force_override_listeners: v.flag("force-override-listeners").unwrap_or(false),
        name: v.text("name"),
        spec: v.text("spec"),
        instance_charge_type: v.text("instance-charge-type").unwrap_or_default(),
        address_type: v.text("address-type").unwrap_or_default(),
        internet_charge_type: v.text("charge-type"),
        bandwidth: v.int("bandwidth"),
        vswitch_id: v.text("vswitch-id"),
        network_type: v.text("network-type"),
        master_zone_id: v.text("master-zoneid"),
        slave_zone_id: v.text("slave-zoneid"),
        address_ip_version: v.text("ip-version").unwrap_or_default(),
        address: v.text("ip"),
        resource_group_id: v.text("resource-group-id"),
        delete_protection: v.flag("delete-protection").unwrap_or(true),
        modification_protection: v.text("modification-protection").unwrap_or_default(),
        additional_tags: v.pairs("additional-resource-tags"),
        preserve_on_delete: v.flag("preserve-lb-on-delete").unwrap_or(false),
        external_ip_eip: v.text("external-ip-type").is_some(),
        hostname: v.text("hostname"),
    }
}

fn listener(v: &Values<'_>) -> ListenerConfig {
    let protocol_ports = match v.get("protocol-port") {
        Some(Value::ProtocolPorts(pp)) => pp.iter().map(|(p, port)| (*port, *p)).collect(),
        _ => BTreeMap::new(),
    };
    let forward_ports = match v.get("forward-port") {
        Some(Value::PortPairs(pp)) => pp.iter().copied().collect(),
        _ => BTreeMap::new(),
    };
    let acl_id = match v.get("acl-id") {
        Some(Value::List(ids)) => Some(ids.join(",")),
        _ => None,
    };
    let http_code = match v.get("health-check-httpcode") {
        Some(Value::List(codes)) => Some(codes.join(",")),
        _ => None,
    };
    let attributes = ListenerAttributes {
        scheduler: v.text("scheduler"),
        persistence_timeout: v.int("persistence-timeout"),
        established_timeout: v.int("established-timeout"),
        idle_timeout: v.int("idle-timeout"),
        request_timeout: v.int("request-timeout"),
        connection_drain: v.flag("connection-drain"),
        connection_drain_timeout: v.int("connection-drain-timeout"),
        proxy_protocol_v2_enabled: v.flag("proxy-protocol"),
        acl_status: v.flag("acl-status"),
        acl_id,
        acl_type: v.text("acl-type"),
        sticky_session: v.flag("sticky-session"),
        sticky_session_type: v.text("sticky-session-type"),
        cookie_timeout: v.int("cookie-timeout"),
        cookie: v.text("cookie"),
        x_forwarded_for_proto: v.flag("xforwardedfor-proto"),
        x_forwarded_for_slbport: v.flag("xforwardedfor-slbport"),
        x_forwarded_for_client_src_port: v.flag("xforwardedfor-clientsrcport"),
        health_check: None,
        health_check_type: v.text("health-check-type"),
        health_check_uri: v.text("health-check-uri"),
        health_check_domain: v.text("health-check-domain"),
        health_check_http_code: http_code,
        health_check_connect_port: v.int("health-check-connect-port"),
        healthy_threshold: v.int("healthy-threshold"),
        unhealthy_threshold: v.int("unhealthy-threshold"),
        health_check_interval: v.int("health-check-interval"),
        health_check_connect_timeout: v.int("health-check-connect-timeout"),
        health_check_timeout: v.int("health-check-timeout"),
        health_check_method: v.text("health-check-method"),
        server_certificate_id: v.text("cert-id"),
        tls_cipher_policy: v.text("tls-cipher-policy"),
        enable_http2: v.flag("http2-enabled"),
        listener_forward: None,
        forward_port: None,
    };
    ListenerConfig {
        protocol_ports,
        forward_ports,
        domain_extensions: v.pairs("domain-extensions"),
        attributes,
        health_check_switch: v.flag("health-check-switch"),
        health_check_flag: v.flag("health-check-flag"),
    }
}

fn backend(v: &Values<'_>) -> BackendConfig {
    BackendConfig {
        eni: v
            .text("service.beta.kubernetes.io/backend-type")
            .map(|t| t == "eni"),
        backend_label: v.pairs("backend-label").into_iter().collect(),
        remove_unscheduled: v.flag("remove-unscheduled-backend").unwrap_or(false),
        vgroup_ports: v
            .pairs("vgroup-port")
            .into_iter()
            .filter_map(|(g, p)| Some((g, p.parse().ok()?)))
            .collect(),
        weight: v.int("weight"),
        default_weight: v
            .int("default-weight")
            .unwrap_or(crate::weights::DEFAULT_WEIGHT),
        ignore_weight_update: v.flag("ignore-weight-update").unwrap_or(false),
        ipv6_backends: v.text("backend-ip-version").is_some_and(|s| s == "ipv6"),
    }
}

/// Annotations that only make sense together with another (`short`, `requires`), in an
/// order where a dropped annotation is seen before those that depend on it.
const DEPENDENCIES: &[(&str, &str)] = &[
    ("force-override-listeners", "id"),
    ("vgroup-port", "id"),
    ("weight", "vgroup-port"),
];

/// Annotations that take effect only with a given value of another (`short`, `requires`,
/// its value): without it they are ignored with a warning, as the cloud would ignore them or
/// (for `network-type` on an internet CLB, always `classic`) report a value that no sync can
/// ever reach.
const VALUE_DEPENDENCIES: &[(&str, &str, &str)] = &[("network-type", "address-type", "intranet")];

/// Annotations whose value needs another annotation the cloud requires with it (`short`,
/// value, `requires`): refused up front, since the cloud refuses every call that would carry
/// them (`MissingParameter`), for the reference CCM too.
const REQUIRED_WITH: &[(&str, bool, &str)] =
    &[("connection-drain", true, "connection-drain-timeout")];

/// Values the reference CCM accepts and then ignores (`short`, value, what it means).
const IGNORED_VALUES: &[(&str, i64, &str)] = &[(
    "health-check-connect-port",
    0,
    "0 means unset, as in the reference CCM: the listener keeps its health-check port, the \
     backend port by default; remove the annotation or use 1-65535",
)];

/// Removes the values that have no effect (an ignored value, or an annotation set without the
/// one it depends on, as the reference CCM ignores it) and reports each as a warning.
pub(super) fn drop_ignored(
    given: &mut BTreeMap<&'static str, Value>,
    written: &BTreeMap<&'static str, String>,
) -> Vec<AnnotationError> {
    let mut warnings = Vec::new();
    for (short, ignored, meaning) in IGNORED_VALUES {
        if given.get(short) == Some(&Value::Int(*ignored)) {
            given.remove(short);
            warnings.push(AnnotationError::IgnoredValue {
                key: written_key(written, short),
                value: ignored.to_string(),
                meaning,
            });
        }
    }
    for (short, requires, value) in VALUE_DEPENDENCIES {
        let wanted = Value::Text((*value).to_owned());
        if given.contains_key(short) && given.get(requires) != Some(&wanted) {
            given.remove(short);
            warnings.push(AnnotationError::MissingDependency {
                key: written_key(written, short),
                requires: format!("{}: {value}", full(requires)),
            });
        }
    }
    for (short, requires) in DEPENDENCIES {
        if !given.contains_key(short) || given.contains_key(requires) {
            continue;
        }
        // `force-override-listeners: "false"` without `id` is harmless.
        if given.remove(short) != Some(Value::Bool(false)) {
            warnings.push(AnnotationError::MissingDependency {
                key: written_key(written, short),
                requires: full(requires),
            });
        }
    }
    warnings
}

/// Values that the cloud refuses without a companion annotation (see [`REQUIRED_WITH`]).
pub(super) fn incomplete(
    given: &BTreeMap<&'static str, Value>,
    written: &BTreeMap<&'static str, String>,
) -> Vec<AnnotationError> {
    REQUIRED_WITH
        .iter()
        .filter(|(short, value, requires)| {
            given.get(short) == Some(&Value::Bool(*value)) && !given.contains_key(requires)
        })
        .map(|(short, value, requires)| AnnotationError::InvalidValue {
            key: written_key(written, short),
            value: if *value { "on" } else { "off" }.to_owned(),
            allowed: format!(
                "this value only together with {} (the cloud refuses it alone); add that \
                 annotation or remove this one",
                full(requires)
            ),
        })
        .collect()
}

fn written_key(written: &BTreeMap<&'static str, String>, short: &str) -> String {
    written.get(short).cloned().unwrap_or_else(|| full(short))
}

fn full(short: &str) -> String {
    spec(short).map_or_else(|| short.to_owned(), |s| s.key.full())
}
