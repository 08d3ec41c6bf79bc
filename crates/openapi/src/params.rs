//! The flat parameter map of an RPC request (`BTreeMap<String, String>`) and the two
//! directions over it: [`ParamWriter`] flattens typed values (scalars, 1-based repeat lists
//! `Name.N`, struct lists `Tag.N.Key`, JSON-valued parameters), and [`ParamReader`] parses
//! them back with `MissingParameter` / `InvalidParameter` errors a server can answer with.
//!
//! The serialization rules are spec §1.3: decimal integers, `true`/`false`, empty optional
//! values omitted. This module knows nothing about actions; see `action`.

use std::collections::BTreeMap;

use crate::error::ApiError;
use crate::types::Tag;

/// The flat parameter map of one request.
pub type Params = BTreeMap<String, String>;

/// A scalar that travels as one parameter value.
pub trait ParamValue: Sized {
    /// The wire form.
    fn to_param(&self) -> String;
    /// Parses the wire form; the error says what was expected.
    ///
    /// # Errors
    /// A short description of the accepted values.
    fn from_param(s: &str) -> Result<Self, String>;
}

impl ParamValue for String {
    fn to_param(&self) -> String {
        self.clone()
    }
    fn from_param(s: &str) -> Result<Self, String> {
        Ok(s.to_owned())
    }
}

impl ParamValue for bool {
    fn to_param(&self) -> String {
        self.to_string()
    }
    fn from_param(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("expected true or false".to_owned()),
        }
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn to_param(&self) -> String {
                self.to_string()
            }
            fn from_param(s: &str) -> Result<Self, String> {
                s.trim().parse().map_err(|_| {
                    format!("expected an integer between {} and {}", <$t>::MIN, <$t>::MAX)
                })
            }
        }
    )*};
}

int_param!(u16, u32, u64, i32, i64);

/// A value that travels as one JSON-encoded string parameter (`BackendServers`, `Tags`,
/// ECS `InstanceIds`).
pub trait JsonParam: Sized {
    /// The JSON text sent as the parameter value.
    fn to_json_param(&self) -> String;
    /// Parses the JSON text leniently (key case, numbers as strings).
    ///
    /// # Errors
    /// A description of what is wrong with the JSON.
    fn from_json_param(s: &str) -> Result<Self, String>;
}

impl JsonParam for Vec<String> {
    fn to_json_param(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    fn from_json_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| format!("expected a JSON array of strings: {e}"))
    }
}

/// A struct that travels as a repeat list of fields, `Name.N.Field` (VPC `RouteEntries`).
pub trait ParamItem: Sized {
    /// Every field name an item may carry (`Name.N.<field>`).
    const FIELD_NAMES: &'static [&'static str];
    /// The field names and values of one item (empty values are omitted on the wire).
    fn fields(&self) -> Vec<(&'static str, String)>;
    /// Builds one item from its fields; `get(field)` is the non-empty value of
    /// `Name.N.field`. The error names the missing field.
    ///
    /// # Errors
    /// The name of a required field that is absent.
    fn from_fields(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, &'static str>;
}

/// Which parameter names each field kind of a request takes (the strict parse's check):
/// one function per kind, named like the kind, so `rpc_request!` can call them uniformly.
pub mod accepts {
    use super::ParamItem;

    fn scalar(key: &str, names: &[&str]) -> bool {
        names.contains(&key)
    }

    /// `Name.N` with a decimal `N` (index validity is the reader's check).
    fn indexed<'k>(key: &'k str, name: &str) -> Option<&'k str> {
        let rest = key.strip_prefix(name)?.strip_prefix('.')?;
        let (digits, tail) = rest.split_once('.').unwrap_or((rest, ""));
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(tail)
    }

    /// A required scalar.
    pub fn req<T>(key: &str, names: &[&str]) -> bool {
        scalar(key, names)
    }

    /// An optional scalar.
    pub fn opt<T>(key: &str, names: &[&str]) -> bool {
        scalar(key, names)
    }

    /// A JSON-valued parameter.
    pub fn json<T>(key: &str, names: &[&str]) -> bool {
        scalar(key, names)
    }

    /// An optional JSON-valued parameter.
    pub fn optjson<T>(key: &str, names: &[&str]) -> bool {
        scalar(key, names)
    }

    /// `Name.N`.
    pub fn list<T>(key: &str, names: &[&str]) -> bool {
        names.iter().any(|n| indexed(key, n) == Some(""))
    }

    /// `Name.N.Key` / `Name.N.Value`.
    pub fn tags<T>(key: &str, names: &[&str]) -> bool {
        names
            .iter()
            .any(|n| matches!(indexed(key, n), Some("Key" | "Value")))
    }

    /// `Name.N.<field>` for a field of `T`.
    pub fn items<T: ParamItem>(key: &str, names: &[&str]) -> bool {
        names
            .iter()
            .any(|n| indexed(key, n).is_some_and(|f| T::FIELD_NAMES.contains(&f)))
    }
}

/// The wire text of one field of a request, by parameter name (the typed side of
/// `Action::param`): one function per field kind, named like the kind. Repeat lists have no
/// single text and answer `None`.
pub mod text {
    use super::{JsonParam, ParamValue};

    /// A required scalar.
    pub fn req<T: ParamValue>(value: &T, name: &str, names: &[&str]) -> Option<String> {
        names.contains(&name).then(|| value.to_param())
    }

    /// An optional scalar.
    pub fn opt<T: ParamValue>(value: &Option<T>, name: &str, names: &[&str]) -> Option<String> {
        value
            .as_ref()
            .filter(|_| names.contains(&name))
            .map(ParamValue::to_param)
    }

    /// A JSON-valued parameter.
    pub fn json<T: JsonParam>(value: &T, name: &str, names: &[&str]) -> Option<String> {
        names.contains(&name).then(|| value.to_json_param())
    }

    /// An optional JSON-valued parameter.
    pub fn optjson<T: JsonParam>(value: &Option<T>, name: &str, names: &[&str]) -> Option<String> {
        value
            .as_ref()
            .filter(|_| names.contains(&name))
            .map(JsonParam::to_json_param)
    }

    /// `Name.N`: no single text.
    pub fn list<T>(_: &[T], _: &str, _: &[&str]) -> Option<String> {
        None
    }

    /// `Name.N.Key`: no single text.
    pub fn tags<T>(_: &[T], _: &str, _: &[&str]) -> Option<String> {
        None
    }

    /// `Name.N.Field`: no single text.
    pub fn items<T>(_: &[T], _: &str, _: &[&str]) -> Option<String> {
        None
    }
}

/// Whether a required field is empty, so the wire would omit it (one function per field kind,
/// named like the kind; only `req` and `json` fields are required).
pub mod missing {
    use super::{JsonParam, ParamValue};

    /// A required scalar: empty text.
    pub fn req<T: ParamValue>(value: &T) -> bool {
        value.to_param().is_empty()
    }

    /// A required JSON-valued parameter: empty text.
    pub fn json<T: JsonParam>(value: &T) -> bool {
        value.to_json_param().is_empty()
    }

    /// Optional: never missing.
    pub fn opt<T>(_: &Option<T>) -> bool {
        false
    }

    /// Optional: never missing.
    pub fn optjson<T>(_: &Option<T>) -> bool {
        false
    }

    /// A repeat list: never missing (an action that needs items says so itself).
    pub fn list<T>(_: &[T]) -> bool {
        false
    }

    /// A repeat list of tags: never missing.
    pub fn tags<T>(_: &[T]) -> bool {
        false
    }

    /// A repeat list of items: never missing.
    pub fn items<T>(_: &[T]) -> bool {
        false
    }
}

/// Builds a [`Params`] map. Empty values are omitted, like the Go SDK does.
#[derive(Debug, Default)]
pub struct ParamWriter {
    params: Params,
}

impl ParamWriter {
    /// The finished map.
    pub fn finish(self) -> Params {
        self.params
    }

    fn put(&mut self, name: &str, value: String) {
        if !value.is_empty() {
            self.params.insert(name.to_owned(), value);
        }
    }

    /// A required scalar.
    pub fn req<T: ParamValue>(&mut self, name: &str, value: &T) {
        self.put(name, value.to_param());
    }

    /// An optional scalar; `None` is omitted.
    pub fn opt<T: ParamValue>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.put(name, v.to_param());
        }
    }

    /// A repeat list of scalars: `Name.1`, `Name.2`, … .
    pub fn list<T: ParamValue>(&mut self, name: &str, values: &[T]) {
        for (i, v) in values.iter().enumerate() {
            self.put(&format!("{name}.{}", i + 1), v.to_param());
        }
    }

    /// A repeat list of tags: `Name.1.Key`, `Name.1.Value`, … .
    pub fn tags(&mut self, name: &str, tags: &[Tag]) {
        for (i, tag) in tags.iter().enumerate() {
            self.put(&format!("{name}.{}.Key", i + 1), tag.key.clone());
            self.put(&format!("{name}.{}.Value", i + 1), tag.value.clone());
        }
    }

    /// A repeat list of structs: `Name.1.Field`, … .
    pub fn items<T: ParamItem>(&mut self, name: &str, items: &[T]) {
        for (i, item) in items.iter().enumerate() {
            for (field, value) in item.fields() {
                self.put(&format!("{name}.{}.{field}", i + 1), value);
            }
        }
    }

    /// A required JSON-valued parameter.
    pub fn json<T: JsonParam>(&mut self, name: &str, value: &T) {
        self.put(name, value.to_json_param());
    }

    /// An optional JSON-valued parameter.
    pub fn optjson<T: JsonParam>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.put(name, v.to_json_param());
        }
    }
}

/// Reads typed values out of a [`Params`] map, with errors a server can answer with.
///
/// Every lookup takes a list of accepted names: the first is the canonical wire name, the
/// others are accepted spellings (e.g. `healthCheckInterval` and `HealthCheckInterval`).
/// Empty values count as absent.
#[derive(Debug, Clone, Copy)]
pub struct ParamReader<'a> {
    params: &'a Params,
}

impl<'a> ParamReader<'a> {
    /// A reader over `params`.
    pub fn new(params: &'a Params) -> Self {
        Self { params }
    }

    fn raw<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &'a str)> {
        names.iter().find_map(|name| {
            self.params
                .get(*name)
                .filter(|v| !v.is_empty())
                .map(|v| (*name, v.as_str()))
        })
    }

    fn parse<T: ParamValue>(name: &str, raw: &str) -> Result<T, ApiError> {
        T::from_param(raw).map_err(|problem| {
            ApiError::invalid_parameter(name, &format!("{problem}, got {raw:?}"))
        })
    }

    /// A required scalar.
    ///
    /// # Errors
    /// `MissingParameter` when absent, `InvalidParameter` when unparsable.
    pub fn req<T: ParamValue>(&self, names: &[&str]) -> Result<T, ApiError> {
        match self.raw(names) {
            Some((name, raw)) => Self::parse(name, raw),
            None => Err(ApiError::missing_parameter(
                names.first().copied().unwrap_or(""),
            )),
        }
    }

    /// An optional scalar.
    ///
    /// # Errors
    /// `InvalidParameter` when present but unparsable.
    pub fn opt<T: ParamValue>(&self, names: &[&str]) -> Result<Option<T>, ApiError> {
        self.raw(names)
            .map(|(name, raw)| Self::parse(name, raw))
            .transpose()
    }

    /// Indices `N` of keys `Name.N` (or `Name.N.<suffix>`), ascending, deduplicated.
    fn indices(&self, name: &str) -> Result<Vec<u32>, ApiError> {
        let prefix = format!("{name}.");
        let mut out = Vec::new();
        for key in self.params.keys() {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            let digits = rest.split('.').next().unwrap_or(rest);
            match digits.parse::<u32>() {
                Ok(n) if n >= 1 => out.push(n),
                _ => {
                    return Err(ApiError::invalid_parameter(
                        key,
                        "repeat-list indices are 1-based integers (Name.1, Name.2, …)",
                    ));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// A repeat list of scalars `Name.1..N` in index order (gaps are tolerated).
    ///
    /// # Errors
    /// `InvalidParameter` for a bad index or value.
    pub fn list<T: ParamValue>(&self, names: &[&str]) -> Result<Vec<T>, ApiError> {
        let name = names.first().copied().unwrap_or("");
        let mut out = Vec::new();
        for n in self.indices(name)? {
            let key = format!("{name}.{n}");
            if let Some(raw) = self.params.get(&key).filter(|v| !v.is_empty()) {
                out.push(Self::parse(&key, raw)?);
            }
        }
        Ok(out)
    }

    /// A repeat list of tags `Name.N.Key` / `Name.N.Value`.
    ///
    /// # Errors
    /// `InvalidParameter` for a bad index, `MissingParameter` for a value without a key.
    pub fn tags(&self, names: &[&str]) -> Result<Vec<Tag>, ApiError> {
        let name = names.first().copied().unwrap_or("");
        let mut out = Vec::new();
        for n in self.indices(name)? {
            let key = self
                .params
                .get(&format!("{name}.{n}.Key"))
                .filter(|k| !k.is_empty());
            let value = self.params.get(&format!("{name}.{n}.Value")).cloned();
            match key {
                Some(key) => out.push(Tag {
                    key: key.clone(),
                    value: value.unwrap_or_default(),
                }),
                None => return Err(ApiError::missing_parameter(&format!("{name}.{n}.Key"))),
            }
        }
        Ok(out)
    }

    /// A repeat list of structs `Name.N.Field` in index order.
    ///
    /// # Errors
    /// `InvalidParameter` for a bad index, `MissingParameter` naming `Name.N.Field` for a
    /// required field that is absent.
    pub fn items<T: ParamItem>(&self, names: &[&str]) -> Result<Vec<T>, ApiError> {
        let name = names.first().copied().unwrap_or("");
        let mut out = Vec::new();
        for n in self.indices(name)? {
            let get = |field: &str| {
                self.params
                    .get(&format!("{name}.{n}.{field}"))
                    .filter(|v| !v.is_empty())
                    .cloned()
            };
            let item = T::from_fields(&get)
                .map_err(|field| ApiError::missing_parameter(&format!("{name}.{n}.{field}")))?;
            out.push(item);
        }
        Ok(out)
    }

    /// A required JSON-valued parameter.
    ///
    /// # Errors
    /// `MissingParameter` when absent, `InvalidParameter` when the JSON does not parse.
    pub fn json<T: JsonParam>(&self, names: &[&str]) -> Result<T, ApiError> {
        match self.optjson(names)? {
            Some(v) => Ok(v),
            None => Err(ApiError::missing_parameter(
                names.first().copied().unwrap_or(""),
            )),
        }
    }

    /// An optional JSON-valued parameter.
    ///
    /// # Errors
    /// `InvalidParameter` when present but the JSON does not parse.
    pub fn optjson<T: JsonParam>(&self, names: &[&str]) -> Result<Option<T>, ApiError> {
        self.raw(names)
            .map(|(name, raw)| {
                T::from_json_param(raw)
                    .map_err(|problem| ApiError::invalid_parameter(name, &problem))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests;
