//! Protocol-specific listener settings: which parameters each protocol takes, their accepted
//! spellings (`healthCheckInterval` and `HealthCheckInterval`), ranges and defaults (spec
//! §3.3), validation, and their rendering (numbers as JSON numbers, `ProxyProtocolV2Enabled`
//! a bool in attribute responses but a string in listener lists).
//!
//! The action's parameters were checked against its typed request before this runs (an unknown
//! one is refused there, by name); here, the settings of another protocol are skipped.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use slb_openapi::error::ApiError;

use super::Lookup;
use crate::model::Listener;

const TCP: u8 = 1;
const UDP: u8 = 2;
const HTTP: u8 = 4;
const HTTPS: u8 = 8;
const L4: u8 = TCP | UDP;
const L7: u8 = HTTP | HTTPS;
const ALL: u8 = L4 | L7;

#[derive(Clone, Copy)]
enum Kind {
    Range(i64, i64),
    OnOff,
    Bool,
    Choice(&'static [&'static str]),
    Text(usize),
}

struct Setting {
    name: &'static str,
    alias: Option<&'static str>,
    kind: Kind,
    protocols: u8,
    default: Option<&'static str>,
}

const fn s(
    name: &'static str,
    kind: Kind,
    protocols: u8,
    default: Option<&'static str>,
) -> Setting {
    Setting {
        name,
        alias: None,
        kind,
        protocols,
        default,
    }
}

const fn a(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    protocols: u8,
    default: Option<&'static str>,
) -> Setting {
    Setting {
        name,
        alias: Some(alias),
        kind,
        protocols,
        default,
    }
}

use Kind::{Bool, Choice, OnOff, Range, Text};

const SETTINGS: &[Setting] = &[
    s("PersistenceTimeout", Range(0, 3600), L4, Some("0")),
    s("EstablishedTimeout", Range(10, 900), TCP, Some("900")),
    s("ConnectionDrain", OnOff, L4, Some("off")),
    s("ConnectionDrainTimeout", Range(10, 900), L4, Some("300")),
    s("ProxyProtocolV2Enabled", Bool, L4, Some("false")),
    s("HealthCheckSwitch", OnOff, L4, Some("on")),
    s("HealthCheck", OnOff, L7, Some("on")),
    s(
        "HealthCheckType",
        Choice(&["tcp", "http"]),
        TCP,
        Some("tcp"),
    ),
    s("HealthCheckConnectPort", Range(1, 65535), ALL, None),
    s("HealthCheckConnectTimeout", Range(1, 300), L4, Some("5")),
    s("HealthCheckTimeout", Range(1, 300), L7, Some("5")),
    a(
        "HealthCheckInterval",
        "healthCheckInterval",
        Range(1, 50),
        ALL,
        Some("2"),
    ),
    s("HealthyThreshold", Range(2, 10), ALL, Some("3")),
    s("UnhealthyThreshold", Range(2, 10), ALL, Some("3")),
    s("HealthCheckDomain", Text(80), TCP | L7, None),
    s("HealthCheckURI", Text(80), TCP | L7, None),
    s("HealthCheckHttpCode", Text(64), TCP | L7, Some("http_2xx")),
    s(
        "HealthCheckMethod",
        Choice(&["head", "get"]),
        TCP | L7,
        None,
    ),
    a("HealthCheckReq", "healthCheckReq", Text(64), UDP, None),
    a("HealthCheckExp", "healthCheckExp", Text(64), UDP, None),
    s(
        "HealthCheckHttpVersion",
        Choice(&["http1.0", "http1.1"]),
        L7,
        None,
    ),
    s("StickySession", OnOff, L7, Some("off")),
    s("StickySessionType", Choice(&["insert", "server"]), L7, None),
    s("CookieTimeout", Range(1, 86400), L7, None),
    s("Cookie", Text(200), L7, None),
    s("XForwardedFor", OnOff, L7, Some("on")),
    s("XForwardedFor_SLBIP", OnOff, L7, None),
    s("XForwardedFor_SLBID", OnOff, L7, None),
    s("XForwardedFor_proto", OnOff, L7, None),
    s("XForwardedFor_SLBPORT", OnOff, L7, None),
    s("XForwardedFor_ClientSrcPort", OnOff, L7, None),
    s("Gzip", OnOff, L7, Some("on")),
    s("IdleTimeout", Range(1, 60), L7, Some("15")),
    s("RequestTimeout", Range(1, 180), L7, Some("60")),
    s("ListenerForward", OnOff, HTTP, Some("off")),
    s("ForwardPort", Range(1, 65535), HTTP, None),
    s("ForwardCode", Text(3), HTTP, None),
    s("ServerCertificateId", Text(128), HTTPS, None),
    s("CACertificateId", Text(128), HTTPS, None),
    s("TLSCipherPolicy", Text(64), HTTPS, None),
    s("EnableHttp2", OnOff, HTTPS, Some("on")),
    s("BackendProtocol", Choice(&["http", "https"]), HTTPS, None),
];

fn mask(protocol: &str) -> u8 {
    match protocol {
        "tcp" => TCP,
        "udp" => UDP,
        "http" => HTTP,
        _ => HTTPS,
    }
}

fn applicable(protocol: &str) -> impl Iterator<Item = &'static Setting> {
    let m = mask(protocol);
    SETTINGS.iter().filter(move |s| s.protocols & m != 0)
}

/// Validates `raw` for `setting`, returning the canonical stored value.
fn check(setting: &Setting, raw: &str) -> Result<String, ApiError> {
    let bad = |problem: String| ApiError::invalid_parameter(setting.name, &problem);
    match setting.kind {
        Range(min, max) => {
            let n: i64 = raw
                .trim()
                .parse()
                .map_err(|_| bad(format!("{raw:?} is not an integer")))?;
            if n < min || n > max {
                return Err(bad(format!("{n} is outside {min}–{max}")));
            }
            Ok(n.to_string())
        }
        OnOff => match raw.to_ascii_lowercase().as_str() {
            v @ ("on" | "off") => Ok(v.to_owned()),
            _ => Err(bad(format!("{raw:?} is not on or off"))),
        },
        Bool => match raw.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(v.to_owned()),
            _ => Err(bad(format!("{raw:?} is not true or false"))),
        },
        Choice(values) => values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(raw))
            .map(|v| (*v).to_owned())
            .ok_or_else(|| bad(format!("{raw:?} is not one of {}", values.join(", ")))),
        Text(max) => {
            if raw.chars().count() > max {
                return Err(bad(format!("longer than {max} characters")));
            }
            if setting.name == "HealthCheckURI" && !raw.starts_with('/') {
                return Err(bad("must start with /".to_owned()));
            }
            Ok(raw.to_owned())
        }
    }
}

/// Validates the protocol's settings in `params` and merges them into `settings`.
/// `creating` enforces what a create requires (`HealthCheck` for HTTP/HTTPS,
/// `ServerCertificateId` for HTTPS).
///
/// # Errors
/// `InvalidParameter` naming the setting, `MissingParameter` for a required one.
pub(super) fn merge(
    settings: &mut BTreeMap<String, String>,
    protocol: &str,
    get: Lookup<'_>,
    creating: bool,
) -> Result<(), ApiError> {
    let mut next = settings.clone();
    for setting in applicable(protocol) {
        let raw = get(setting.name).or_else(|| setting.alias.and_then(get));
        if let Some(raw) = raw {
            next.insert(setting.name.to_owned(), check(setting, &raw)?);
        }
    }
    if creating {
        if matches!(protocol, "http" | "https") && !next.contains_key("HealthCheck") {
            return Err(ApiError::missing_parameter("HealthCheck"));
        }
        if protocol == "https" && !next.contains_key("ServerCertificateId") {
            return Err(ApiError::missing_parameter("ServerCertificateId"));
        }
    }
    if next.get("ConnectionDrain").is_some_and(|v| v == "on")
        && !next.contains_key("ConnectionDrainTimeout")
    {
        return Err(ApiError::missing_parameter("ConnectionDrainTimeout"));
    }
    *settings = next;
    Ok(())
}

/// The listener's settings with defaults filled in for everything unset.
pub(crate) fn effective(l: &Listener) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for setting in applicable(&l.protocol) {
        if let Some(v) = l.setting(setting.name).or(setting.default) {
            out.insert(setting.name.to_owned(), v.to_owned());
        }
    }
    out
}

/// The protocol-specific fields of a response. `in_list` renders `ProxyProtocolV2Enabled` as
/// the string DescribeLoadBalancerListeners uses instead of a bool.
pub(super) fn render(l: &Listener, in_list: bool) -> Map<String, Value> {
    let values = effective(l);
    let mut out = Map::new();
    for setting in applicable(&l.protocol) {
        let Some(v) = values.get(setting.name) else {
            continue;
        };
        let value = match setting.kind {
            Range(..) => v.parse::<i64>().map_or_else(|_| json!(v), |n| json!(n)),
            Bool if !in_list => json!(v == "true"),
            _ => json!(v),
        };
        out.insert(setting.name.to_owned(), value);
    }
    if l.protocol == "tcp" || l.protocol == "udp" {
        let switch = values
            .get("HealthCheckSwitch")
            .cloned()
            .unwrap_or_else(|| "on".to_owned());
        out.insert("HealthCheck".to_owned(), json!(switch));
        let port = values
            .get("HealthCheckConnectPort")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(l.backend_server_port);
        out.insert("HealthCheckConnectPort".to_owned(), json!(port));
    }
    out
}

/// `Bandwidth` is -1 (unlimited) or 1–5120.
pub(super) fn check_bandwidth(b: i64) -> Result<(), ApiError> {
    if b == -1 || (1..=5120).contains(&b) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(
            "Bandwidth",
            "must be -1 (unlimited) or 1–5120",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup over the given (name, value) pairs, like a request's `Action::param`.
    fn params(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// A setting's parameters as the wire sends them.
    type Input<'a> = &'a [(&'a str, &'a str)];

    /// The settings `input` stores for `protocol`.
    fn stored(protocol: &str, input: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut settings = BTreeMap::new();
        merge(&mut settings, protocol, &params(input), false).unwrap();
        settings
    }

    /// The message `input` is refused with for `protocol`.
    fn refusal(protocol: &str, input: &[(&str, &str)]) -> String {
        let mut settings = BTreeMap::new();
        merge(&mut settings, protocol, &params(input), false)
            .unwrap_err()
            .message
            .clone()
    }

    #[test]
    fn accepted_settings_are_stored_under_their_wire_name_and_canonical_value() {
        let cases: &[(&str, Input<'_>, (&str, &str))] = &[
            (
                "tcp",
                &[("healthCheckInterval", "5")],
                ("HealthCheckInterval", "5"),
            ),
            (
                "udp",
                &[("ConnectionDrain", "ON"), ("ConnectionDrainTimeout", "10")],
                ("ConnectionDrain", "on"),
            ),
            (
                "tcp",
                &[("HealthCheckType", "HTTP")],
                ("HealthCheckType", "http"),
            ),
        ];
        for (protocol, input, (key, value)) in cases {
            let settings = stored(protocol, input);
            assert_eq!(
                settings.get(*key).map(String::as_str),
                Some(*value),
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_value_out_of_range_or_of_the_wrong_kind_is_refused_by_name() {
        let cases: &[(&str, Input<'_>, &str)] = &[
            (
                "tcp",
                &[("HealthCheckInterval", "51")],
                "HealthCheckInterval",
            ),
            (
                "udp",
                &[("ConnectionDrainTimeout", "9")],
                "ConnectionDrainTimeout",
            ),
            (
                "tcp",
                &[("ProxyProtocolV2Enabled", "yes")],
                "ProxyProtocolV2Enabled",
            ),
            (
                "http",
                &[("HealthCheck", "on"), ("HealthCheckURI", "health")],
                "HealthCheckURI",
            ),
        ];
        for (protocol, input, name) in cases {
            assert!(refusal(protocol, input).contains(name), "{input:?}");
        }
    }

    #[test]
    fn settings_of_other_protocols_are_ignored() {
        let mut settings = BTreeMap::new();
        merge(
            &mut settings,
            "udp",
            &params(&[("EstablishedTimeout", "5"), ("Gzip", "bad")]),
            false,
        )
        .unwrap();
        assert!(settings.is_empty());
    }

    #[test]
    fn a_failed_merge_leaves_settings_unchanged() {
        let mut settings = BTreeMap::from([("HealthyThreshold".to_owned(), "3".to_owned())]);
        let bad = params(&[("HealthyThreshold", "5"), ("UnhealthyThreshold", "99")]);
        assert!(merge(&mut settings, "tcp", &bad, false).is_err());
        assert_eq!(settings["HealthyThreshold"], "3");
    }

    #[test]
    fn effective_settings_fill_defaults() {
        let l = Listener {
            protocol: "tcp".into(),
            port: 80,
            status: "running".into(),
            backend_server_port: 0,
            vserver_group_id: String::new(),
            scheduler: "wrr".into(),
            bandwidth: -1,
            description: String::new(),
            settings: BTreeMap::from([("HealthCheckInterval".to_owned(), "9".to_owned())]),
            tags: BTreeMap::new(),
            domain_extensions: Vec::new(),
        };
        let e = effective(&l);
        assert_eq!(e["HealthCheckInterval"], "9");
        assert_eq!(e["HealthyThreshold"], "3");
        assert_eq!(e["ConnectionDrain"], "off");
        assert!(
            !e.contains_key("Gzip"),
            "HTTP-only settings are not filled for TCP"
        );
    }
}
