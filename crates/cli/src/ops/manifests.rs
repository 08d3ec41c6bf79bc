//! Reads Kubernetes manifests as `kubectl get -o yaml` prints them: one file or a folder of
//! `.yaml`/`.yml`/`.json` files, several documents per file (`---`), and `kind: List`.
//! Services, Nodes and EndpointSlices are kept; any other kind is skipped with a warning.
//!
//! Input is bounded before it is parsed: files of at most [`MAX_FILE_BYTES`], and flow
//! collections nested at most [`depth::MAX_DEPTH`] deep (a linear pre-scan; the YAML parser
//! slows down quadratically with flow depth).
//!
//! Every error names the file, the document (1-based) and the problem. This module does not
//! validate Services against the CLB model (that is `slb_model::desired`) and does not talk
//! to a cluster.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use serde::Deserialize;
use serde_json::Value;

pub mod depth;

/// Largest manifest file read (a `kubectl get -o yaml` of thousands of Nodes fits).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The objects the CLB model reads, in file order.
#[derive(Debug, Default, Clone)]
pub struct Manifests {
    /// Services (of any type; callers pick the LoadBalancer ones).
    pub services: Vec<Service>,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// EndpointSlices.
    pub slices: Vec<EndpointSlice>,
    /// Documents that were skipped, one line each (file, document, why).
    pub warnings: Vec<String>,
}

/// Why manifests could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist or cannot be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A folder without any manifest file.
    #[error("{}: no .yaml, .yml or .json file in this folder", path.display())]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },
    /// A file larger than [`MAX_FILE_BYTES`].
    #[error(
        "{}: {bytes} bytes is more than the {limit} bytes a manifest file may have; split it \
         or pass only the Services, Nodes and EndpointSlices",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// [`MAX_FILE_BYTES`].
        limit: u64,
    },
    /// Flow collections nested deeper than [`depth::MAX_DEPTH`].
    #[error(
        "{file}: document {document}: line {line}: `[ ]`/`{{ }}` collections nested more than \
         {limit} levels deep; Kubernetes objects nest about a dozen levels: is this a manifest?"
    )]
    TooDeep {
        /// The file.
        file: String,
        /// 1-based document index in the file.
        document: usize,
        /// 1-based line of the first bracket past the limit.
        line: usize,
        /// [`depth::MAX_DEPTH`].
        limit: usize,
    },
    /// A document is not valid YAML/JSON.
    #[error("{file}: document {document}: not valid YAML or JSON: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based document index in the file.
        document: usize,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A document has no `kind`.
    #[error(
        "{file}: document {document}: no `kind` field; every manifest needs apiVersion and kind \
         (as `kubectl get -o yaml` prints them)"
    )]
    MissingKind {
        /// The file.
        file: String,
        /// 1-based document index in the file.
        document: usize,
    },
    /// A known kind whose fields do not match the Kubernetes schema.
    #[error("{file}: document {document}: {kind} {name:?}: {message}")]
    Schema {
        /// The file.
        file: String,
        /// 1-based document index in the file.
        document: usize,
        /// The object's kind.
        kind: String,
        /// `metadata.name` (empty when absent).
        name: String,
        /// What does not match.
        message: String,
    },
}

impl LoadError {
    /// A stable label for the failed step.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::EmptyFolder { .. } => "empty_folder",
            Self::TooLarge { .. } => "too_large",
            Self::TooDeep { .. } => "too_deep",
            Self::Syntax { .. } => "syntax",
            Self::MissingKind { .. } => "missing_kind",
            Self::Schema { .. } => "schema",
        }
    }
}

/// Loads a file, or every `.yaml`/`.yml`/`.json` file of a folder (sorted by name, not
/// recursive).
///
/// # Errors
/// [`LoadError`] naming the file, document and problem.
pub fn load(path: &Path) -> Result<Manifests, LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Manifests::default();
    if !meta.is_dir() {
        add_text(&mut out, &path.display().to_string(), &read(path)?)?;
        return Ok(out);
    }
    let entries = std::fs::read_dir(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && is_manifest_file(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LoadError::EmptyFolder {
            path: path.to_path_buf(),
        });
    }
    for file in files {
        add_text(&mut out, &file.display().to_string(), &read(&file)?)?;
    }
    Ok(out)
}

/// Parses the manifests of one file's text; `file` names it in errors and warnings.
///
/// # Errors
/// [`LoadError`] naming the file, document and problem.
pub fn parse(file: &str, text: &str) -> Result<Manifests, LoadError> {
    let mut out = Manifests::default();
    add_text(&mut out, file, text)?;
    Ok(out)
}

/// Reads a file of at most [`MAX_FILE_BYTES`] (checked before reading it).
fn read(path: &Path) -> Result<String, LoadError> {
    let failed = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(failed)?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            bytes,
            limit: MAX_FILE_BYTES,
        });
    }
    std::fs::read_to_string(path).map_err(failed)
}

fn is_manifest_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn add_text(out: &mut Manifests, file: &str, text: &str) -> Result<(), LoadError> {
    depth::check(text).map_err(|at| LoadError::TooDeep {
        file: file.to_owned(),
        document: at.document,
        line: at.line,
        limit: depth::MAX_DEPTH,
    })?;
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let at = Location {
            file,
            document: index + 1,
        };
        let value = Value::deserialize(document).map_err(|e| LoadError::Syntax {
            file: file.to_owned(),
            document: at.document,
            message: e.to_string(),
        })?;
        if value.is_null() {
            continue; // an empty document, e.g. a leading `---`
        }
        add_object(out, &at, value)?;
    }
    Ok(())
}

struct Location<'a> {
    file: &'a str,
    document: usize,
}

fn add_object(out: &mut Manifests, at: &Location<'_>, value: Value) -> Result<(), LoadError> {
    let Some(kind) = value.get("kind").and_then(Value::as_str).map(str::to_owned) else {
        return Err(LoadError::MissingKind {
            file: at.file.to_owned(),
            document: at.document,
        });
    };
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let schema = |e: serde_json::Error| LoadError::Schema {
        file: at.file.to_owned(),
        document: at.document,
        kind: kind.clone(),
        name: name.clone(),
        message: e.to_string(),
    };
    match kind.as_str() {
        "Service" => out
            .services
            .push(serde_json::from_value(value).map_err(schema)?),
        "Node" => out
            .nodes
            .push(serde_json::from_value(value).map_err(schema)?),
        "EndpointSlice" => out
            .slices
            .push(serde_json::from_value(value).map_err(schema)?),
        "List" => {
            for item in list_items(&value).map_err(schema)? {
                add_object(out, at, item)?;
            }
        }
        other => out.warnings.push(format!(
            "{}: document {}: skipping {other} {name:?} (plan and apply read Services, Nodes \
             and EndpointSlices)",
            at.file, at.document
        )),
    }
    Ok(())
}

/// The `items` of a `kind: List` (none when absent or null).
fn list_items(value: &Value) -> Result<Vec<Value>, serde_json::Error> {
    match value.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(_) => Err(serde::de::Error::custom(
            "`items` must be a list of objects",
        )),
    }
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
