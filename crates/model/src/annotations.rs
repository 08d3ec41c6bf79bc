//! Service annotations → a typed [`LbConfig`], with every problem reported at once.
//!
//! [`ANNOTATIONS`] (in `annotations/table.rs`) is the one table of names, value types,
//! defaults, mutability and docs; [`parse`] validates against it and [`render_markdown`]
//! turns it into the README reference. Both prefixes are read
//! (`service.beta.kubernetes.io/alibaba-cloud-loadbalancer-` wins over the legacy
//! `service.beta.kubernetes.io/alicloud-loadbalancer-`), plus a few exact keys.
//!
//! This module does not decide what a value means for the cloud (that is `desired`), and it
//! does not compare with a previous value (immutability is enforced by the plan).

mod bounds;
mod config;
mod table;
mod value;

use std::collections::BTreeMap;

pub use bounds::{MAX_NAME_LEN, MAX_TAG_LEN};
pub use config::{BackendConfig, InstanceConfig, LbConfig, ListenerConfig, SelectionConfig};
pub use table::{ANNOTATIONS, NLB_ONLY_SUFFIXES};
pub use value::Value;

/// Current annotation prefix.
pub const PREFIX: &str = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-";
/// Legacy prefix, still read; the current prefix wins when both are set.
pub const LEGACY_PREFIX: &str = "service.beta.kubernetes.io/alicloud-loadbalancer-";

/// How an annotation is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Under [`PREFIX`] (or [`LEGACY_PREFIX`]) with this suffix.
    Prefixed(&'static str),
    /// A full key outside the prefix.
    Exact(&'static str),
}

impl Key {
    /// The canonical full key (current prefix for prefixed keys).
    pub fn full(&self) -> String {
        match self {
            Key::Prefixed(suffix) => format!("{PREFIX}{suffix}"),
            Key::Exact(key) => (*key).to_owned(),
        }
    }

    /// The short name used inside the crate: the suffix, or the exact key.
    pub fn short(&self) -> &'static str {
        match self {
            Key::Prefixed(s) | Key::Exact(s) => s,
        }
    }
}

/// The value type of an annotation: how it is parsed and what the error says is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any non-empty text.
    Text,
    /// `on` or `off`.
    OnOff,
    /// `true` or `false`.
    TrueFalse,
    /// Any non-empty value means yes.
    Presence,
    /// An integer in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// One of these words, exactly.
    OneOf(&'static [&'static str]),
    /// One of these words, any case (normalised to the spelling listed).
    OneOfIgnoreCase(&'static [&'static str]),
    /// A cloud id with this prefix.
    Id(&'static str),
    /// A comma list of cloud ids with this prefix.
    IdList(&'static str),
    /// An IPv4 or IPv6 address.
    Ip,
    /// A URL path starting with `/`.
    Path,
    /// A comma list of words from this set.
    ListOf(&'static [&'static str]),
    /// `proto:port,…` with proto in tcp/udp/http/https.
    ProtocolPorts,
    /// `k1=v1,k2=v2,k3=,k4` (tags; empty values allowed).
    Tags,
    /// `k1=v1,k2=v2` (node label selector; all must match).
    Labels,
    /// `from:to,…` port pairs.
    PortPairs,
    /// `domain:certId,…`.
    DomainCerts,
    /// `rsp-id:port,…`.
    VGroupPorts,
    /// 1–65535, or -520 (the backend port).
    HealthCheckPort,
}

/// What happens when the annotation is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    /// Not managed: the cloud value is left as it is.
    None,
    /// This value, enforced on every sync.
    Always(&'static str),
    /// This value when the CLB is created; not compared afterwards.
    OnCreate(&'static str),
    /// Derived from elsewhere (text says from what).
    Computed(&'static str),
}

/// What a change of value after creation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Applied to the cloud.
    Mutable,
    /// Refused with an error naming the annotation (delete and recreate the Service).
    Immutable,
    /// Only affects the Service status.
    StatusOnly,
    /// Read when the Service is deleted.
    AtDeletion,
}

/// Which part of the CLB an annotation configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Which controller handles the Service.
    Selection,
    /// The CLB instance.
    Instance,
    /// Every listener of the Service.
    Listener,
    /// vServer group members.
    Backend,
}

/// One row of the annotation table.
#[derive(Debug, Clone, Copy)]
pub struct AnnotationSpec {
    /// The key.
    pub key: Key,
    /// The value type.
    pub kind: Kind,
    /// Behaviour when absent.
    pub default: Default,
    /// Behaviour on change.
    pub mutability: Mutability,
    /// What it configures.
    pub scope: Scope,
    /// A valid example value (README and tests).
    pub example: &'static str,
    /// One-line description.
    pub doc: &'static str,
}

/// A problem with the Service's annotations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnotationError {
    /// The value does not parse or is out of range.
    #[error("annotation {key}: invalid value {}; allowed: {allowed}", shown(.value))]
    InvalidValue {
        /// Full annotation key as written.
        key: String,
        /// The value as written.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A key under the prefix that no table row matches.
    #[error("annotation {key} is not a known CLB annotation{}", suggestion_text(.suggestion))]
    UnknownKey {
        /// Full annotation key as written.
        key: String,
        /// The nearest known key, if any.
        suggestion: Option<String>,
    },
    /// The annotation only works together with another one; it is ignored without it.
    #[error("annotation {key} only takes effect with {requires}; it is ignored")]
    MissingDependency {
        /// Full key of the annotation that was set.
        key: String,
        /// What must also be set.
        requires: String,
    },
    /// A value the reference CCM accepts and ignores; slb-ccm does the same.
    #[error("annotation {key}: value {value:?} is ignored ({meaning})")]
    IgnoredValue {
        /// Full annotation key as written.
        key: String,
        /// The value as written.
        value: String,
        /// What the value means and what happens instead.
        meaning: &'static str,
    },
}

/// Longest value echoed in full by an error message; longer ones are cut with their length.
const SHOWN_VALUE_CHARS: usize = 64;

/// The value as an error message quotes it: in full when short, else its start and length
/// (an event or terminal line must stay readable whatever was written).
fn shown(value: &str) -> String {
    let len = value.chars().count();
    if len <= SHOWN_VALUE_CHARS {
        return format!("{value:?}");
    }
    let head: String = value.chars().take(SHOWN_VALUE_CHARS).collect();
    format!("{head:?}… ({len} characters)")
}

fn suggestion_text(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!("; did you mean {s}?"))
        .unwrap_or_default()
}

impl AnnotationError {
    /// True for problems that do not block a sync (unknown keys, missing companions, values
    /// the reference ignores): the annotation simply has no effect.
    pub fn is_warning(&self) -> bool {
        !matches!(self, AnnotationError::InvalidValue { .. })
    }

    /// Stable label for metrics and event messages.
    pub fn kind(&self) -> &'static str {
        match self {
            AnnotationError::InvalidValue { .. } => "InvalidAnnotationValue",
            AnnotationError::UnknownKey { .. } => "UnknownAnnotation",
            AnnotationError::MissingDependency { .. } => "AnnotationMissingDependency",
            AnnotationError::IgnoredValue { .. } => "IgnoredAnnotationValue",
        }
    }
}

/// The table row for a short name (suffix or exact key).
pub fn spec(short: &str) -> Option<&'static AnnotationSpec> {
    ANNOTATIONS.iter().find(|s| s.key.short() == short)
}

/// Parses and validates every annotation this controller reads.
///
/// Unknown keys (likely typos, with the nearest known key), annotations missing their
/// companion and values the reference CCM ignores are *warnings*: they have no effect, are
/// listed in [`LbConfig::warnings`], and do not block a sync (a cluster moving from the
/// reference CCM may carry keys and values it ignored).
///
/// # Errors
/// When any value is invalid: every problem at once, warnings included, each naming the
/// annotation, the bad value and what is allowed.
pub fn parse(annotations: &BTreeMap<String, String>) -> Result<LbConfig, Vec<AnnotationError>> {
    let (mut config, problems) = parse_lenient(annotations);
    if problems.iter().any(|p| !p.is_warning()) {
        return Err(problems);
    }
    config.warnings = problems;
    Ok(config)
}

/// Like [`parse`], but always returns a configuration built from the valid annotations
/// (invalid ones fall back to their defaults) together with the problems found.
///
/// Deletion uses this: a Service with a broken annotation must still be cleaned up.
pub fn parse_lenient(annotations: &BTreeMap<String, String>) -> (LbConfig, Vec<AnnotationError>) {
    let mut errors = Vec::new();
    let mut values: BTreeMap<&'static str, Value> = BTreeMap::new();
    let mut written: BTreeMap<&'static str, String> = BTreeMap::new();
    for (key, raw) in annotations {
        let Some((spec, legacy)) = classify(key, &mut errors) else {
            continue;
        };
        let short = spec.key.short();
        // The current prefix wins over the legacy one whatever the map order.
        if legacy && annotations.contains_key(&spec.key.full()) {
            continue;
        }
        let parsed =
            bounds::check(short, spec.kind, raw).and_then(|()| value::parse(spec.kind, raw));
        match parsed {
            Ok(v) => {
                values.insert(short, v);
                written.insert(short, key.clone());
            }
            Err(allowed) => errors.push(AnnotationError::InvalidValue {
                key: key.clone(),
                value: raw.clone(),
                allowed,
            }),
        }
    }
    // Ignored values go before the configuration is built, so they really have no effect.
    errors.extend(config::drop_ignored(&mut values, &written));
    errors.extend(config::incomplete(&values, &written));
    let config = LbConfig::from_values(&values);
    (config, errors)
}

/// The raw value of one annotation by short name (suffix or exact key), current prefix
/// first; no validation. Used for the selection keys that decide whether we act at all.
pub fn raw<'a>(annotations: &'a BTreeMap<String, String>, short: &str) -> Option<&'a str> {
    if short.contains('/') {
        return annotations.get(short).map(String::as_str);
    }
    annotations
        .get(&format!("{PREFIX}{short}"))
        .or_else(|| annotations.get(&format!("{LEGACY_PREFIX}{short}")))
        .map(String::as_str)
}

/// Finds the table row of `key`; `None` for keys that are not ours (after recording a typo
/// error for unknown keys under our prefixes).
fn classify(
    key: &str,
    errors: &mut Vec<AnnotationError>,
) -> Option<(&'static AnnotationSpec, bool)> {
    if let Some(spec) = ANNOTATIONS
        .iter()
        .find(|s| matches!(s.key, Key::Exact(k) if k == key))
    {
        return Some((spec, false));
    }
    let (suffix, legacy) = if let Some(s) = key.strip_prefix(PREFIX) {
        (s, false)
    } else if let Some(s) = key.strip_prefix(LEGACY_PREFIX) {
        (s, true)
    } else {
        return None;
    };
    if let Some(spec) = ANNOTATIONS
        .iter()
        .find(|s| matches!(s.key, Key::Prefixed(k) if k == suffix))
    {
        return Some((spec, legacy));
    }
    if !NLB_ONLY_SUFFIXES.contains(&suffix) {
        errors.push(AnnotationError::UnknownKey {
            key: key.to_owned(),
            suggestion: nearest_known(suffix).map(|s| s.key.full()),
        });
    }
    None
}

/// The prefixed table row whose suffix is nearest to `suffix` by edit distance.
pub fn nearest_known(suffix: &str) -> Option<&'static AnnotationSpec> {
    ANNOTATIONS
        .iter()
        .filter(|s| matches!(s.key, Key::Prefixed(_)))
        .min_by_key(|s| edit_distance(suffix, s.key.short()))
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev_diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j] + 1).min(row[j + 1] + 1).min(prev_diag + cost);
            prev_diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The annotation reference as a Markdown table (for the README), one row per table entry.
pub fn render_markdown() -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Prefix `{PREFIX}` (the legacy `{LEGACY_PREFIX}` is also read; the current prefix \
         wins). Keys shown in full are not prefixed.\n\n"
    ));
    out.push_str("| Annotation | Values | Default | On change | Description |\n");
    out.push_str("|---|---|---|---|---|\n");
    for s in ANNOTATIONS {
        let key = match s.key {
            Key::Prefixed(suffix) => format!("`{suffix}`"),
            Key::Exact(full) => format!("`{full}`"),
        };
        out.push_str(&format!(
            "| {key} | {} | {} | {} | {} |\n",
            value::describe(s.kind).replace('|', "\\|"),
            describe_default(s.default),
            describe_mutability(s.mutability),
            s.doc.replace('|', "\\|"),
        ));
    }
    out
}

fn describe_default(d: Default) -> String {
    match d {
        Default::None => "— (not managed)".to_owned(),
        Default::Always(v) => format!("`{v}`"),
        Default::OnCreate(v) => format!("`{v}` (at create)"),
        Default::Computed(text) => text.to_owned(),
    }
}

fn describe_mutability(m: Mutability) -> &'static str {
    match m {
        Mutability::Mutable => "applied",
        Mutability::Immutable => "refused (recreate the Service)",
        Mutability::StatusOnly => "status only",
        Mutability::AtDeletion => "read at deletion",
    }
}

#[cfg(test)]
mod tests;
