//! Parsing one annotation value according to its [`Kind`]; errors are the "allowed" text.

use std::net::IpAddr;

use super::Kind;
use crate::types::Protocol;

/// A validated annotation value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text, an id, a path, an IP or a word (normalised spelling for case-insensitive words).
    Text(String),
    /// on/off, true/false, or presence.
    Bool(bool),
    /// An integer within its range.
    Int(i64),
    /// A comma list (ids, words).
    List(Vec<String>),
    /// `k=v` / `a:b` pairs in written order.
    Pairs(Vec<(String, String)>),
    /// `proto:port` entries.
    ProtocolPorts(Vec<(Protocol, u16)>),
    /// `from:to` port pairs.
    PortPairs(Vec<(u16, u16)>),
}

/// What `kind` allows, in words (used by errors and the README).
pub fn describe(kind: Kind) -> String {
    match kind {
        Kind::Text => "any non-empty text".into(),
        Kind::OnOff => "`on` | `off`".into(),
        Kind::TrueFalse => "`true` | `false`".into(),
        Kind::Presence => "any non-empty value".into(),
        Kind::Int { min, max } => format!("integer {min}–{max}"),
        Kind::OneOf(words) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" | "),
        Kind::OneOfIgnoreCase(words) => format!(
            "{} (any case)",
            words
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        Kind::Id(prefix) => format!("an id starting with `{prefix}`"),
        Kind::IdList(prefix) => format!("comma-separated ids starting with `{prefix}`"),
        Kind::Ip => "an IPv4 or IPv6 address".into(),
        Kind::Path => "a path starting with `/`".into(),
        Kind::ListOf(words) => format!("comma-separated list of {}", words.join(", ")),
        Kind::ProtocolPorts => "`proto:port,…` with proto tcp, udp, http or https".into(),
        Kind::Tags => "`k1=v1,k2=v2,k3=` (keys must not start with `acs:` or `aliyun`)".into(),
        Kind::Labels => "`key=value,…` (all must match)".into(),
        Kind::PortPairs => "`port:port,…` (e.g. `80:443`)".into(),
        Kind::DomainCerts => "`domain:certId,…`".into(),
        Kind::VGroupPorts => "`rsp-id:port,…`".into(),
        Kind::HealthCheckPort => {
            "integer 1–65535, or -520 for the backend port (0 is ignored)".into()
        }
    }
}

/// Parses `raw` as `kind`; the error is [`describe`]`(kind)`.
pub fn parse(kind: Kind, raw: &str) -> Result<Value, String> {
    parse_inner(kind, raw.trim()).ok_or_else(|| describe(kind))
}

fn parse_inner(kind: Kind, raw: &str) -> Option<Value> {
    match kind {
        Kind::Text => non_empty(raw).map(|s| Value::Text(s.to_owned())),
        Kind::Presence => non_empty(raw).map(|_| Value::Bool(true)),
        Kind::OnOff => word_bool(raw, "on", "off"),
        Kind::TrueFalse => word_bool(raw, "true", "false"),
        Kind::Int { min, max } => raw
            .parse::<i64>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .map(Value::Int),
        Kind::OneOf(words) => words
            .iter()
            .find(|w| **w == raw)
            .map(|w| Value::Text((*w).into())),
        Kind::OneOfIgnoreCase(words) => words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(raw))
            .map(|w| Value::Text((*w).into())),
        Kind::Id(prefix) => id(raw, prefix).map(|s| Value::Text(s.to_owned())),
        Kind::IdList(prefix) => list(raw)
            .map(|items| items.into_iter().map(|i| id(i, prefix).map(str::to_owned)))?
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        Kind::Ip => raw
            .parse::<IpAddr>()
            .ok()
            .map(|ip| Value::Text(ip.to_string())),
        Kind::Path => raw.starts_with('/').then(|| Value::Text(raw.to_owned())),
        Kind::ListOf(words) => list(raw)?
            .into_iter()
            .map(|i| words.contains(&i).then(|| i.to_owned()))
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        Kind::ProtocolPorts => pairs(raw, ':')?
            .into_iter()
            .map(|(p, port)| Some((Protocol::parse(&p)?, port_number(&port)?)))
            .collect::<Option<Vec<_>>>()
            .map(Value::ProtocolPorts),
        Kind::Tags => tags(raw).map(Value::Pairs),
        Kind::Labels => pairs(raw, '=')?
            .into_iter()
            .map(|(k, v)| (!k.is_empty()).then_some((k, v)))
            .collect::<Option<Vec<_>>>()
            .map(Value::Pairs),
        Kind::PortPairs => pairs(raw, ':')?
            .into_iter()
            .map(|(a, b)| Some((port_number(&a)?, port_number(&b)?)))
            .collect::<Option<Vec<_>>>()
            .map(Value::PortPairs),
        Kind::DomainCerts => pairs(raw, ':')?
            .into_iter()
            .map(|(d, c)| (!d.is_empty() && !c.is_empty()).then_some((d, c)))
            .collect::<Option<Vec<_>>>()
            .map(Value::Pairs),
        Kind::VGroupPorts => pairs(raw, ':')?
            .into_iter()
            .map(|(g, p)| Some((id(&g, "rsp-")?.to_owned(), port_number(&p)?.to_string())))
            .collect::<Option<Vec<_>>>()
            .map(Value::Pairs),
        Kind::HealthCheckPort => match raw.parse::<i64>().ok()? {
            // 0 parses so that it can be reported as ignored (as the reference does).
            p @ (-520 | 0) => Some(Value::Int(p)),
            p if (1..=65535).contains(&p) => Some(Value::Int(p)),
            _ => None,
        },
    }
}

fn non_empty(raw: &str) -> Option<&str> {
    (!raw.is_empty()).then_some(raw)
}

fn word_bool(raw: &str, yes: &str, no: &str) -> Option<Value> {
    match raw {
        r if r == yes => Some(Value::Bool(true)),
        r if r == no => Some(Value::Bool(false)),
        _ => None,
    }
}

fn id<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    (raw.len() > prefix.len() && raw.starts_with(prefix)).then_some(raw)
}

fn port_number(raw: &str) -> Option<u16> {
    raw.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// Comma list of non-empty trimmed items.
fn list(raw: &str) -> Option<Vec<&str>> {
    raw.split(',').map(|i| non_empty(i.trim())).collect()
}

/// Comma list of `a<sep>b` items, both sides trimmed; `b` may be empty.
fn pairs(raw: &str, sep: char) -> Option<Vec<(String, String)>> {
    list(raw)?
        .into_iter()
        .map(|item| {
            let (a, b) = item.split_once(sep)?;
            Some((a.trim().to_owned(), b.trim().to_owned()))
        })
        .collect()
}

/// `k1=v1,k2=,k3`: a bare key means an empty value; system prefixes are refused.
fn tags(raw: &str) -> Option<Vec<(String, String)>> {
    list(raw)?
        .into_iter()
        .map(|item| {
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            let k = k.trim();
            let forbidden = k.is_empty() || k.starts_with("acs:") || k.starts_with("aliyun");
            (!forbidden).then(|| (k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}
