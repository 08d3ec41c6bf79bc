//! Names, descriptions and tags that tie cloud resources to a Service.
//!
//! Everything here is byte-for-byte compatible with the reference CCM so a cluster can switch
//! controllers without recreating a CLB: the default CLB name, the ownership tags, and the
//! `k8s/<port>/<svc>/<ns>/<clusterId>` key used for vServer group names, listener descriptions
//! and backend descriptions. This module only formats and parses; deciding what to do with an
//! owned or foreign resource is the plan's job.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The finalizer the controller puts on every Service it manages (same as the reference).
pub const FINALIZER: &str = "service.k8s.alibaba/resources";
/// Tag on CLBs created for a Service; value = [`default_lb_name`] of that Service.
pub const TAG_DO_NOT_DELETE: &str = "kubernetes.do.not.delete";
/// Tag on CLBs created by a cluster; value = the cluster id.
pub const TAG_CLUSTER: &str = "ack.aliyun.com";
/// Tag added to a user's CLB reused by a Service (`id` annotation); value `true`.
pub const TAG_REUSED: &str = "kubernetes.reused.by.user";
/// Value of [`TAG_REUSED`].
pub const TAG_REUSED_VALUE: &str = "true";
/// Prefix of tags owned by the cloud platform itself; they are never added, changed or removed.
pub const SYSTEM_TAG_PREFIX: &str = "acs:";
/// Annotation on a Service recording the keys of the `additional-resource-tags` that slb-ccm
/// last applied to its CLB (sorted, comma-separated). A tag is removed from the CLB only when
/// its key is recorded here and has left `additional-resource-tags`: console tags and tags of
/// other tools are never removed. (The reference CCM removes every tag not listed instead.)
pub const APPLIED_TAGS_ANNOTATION: &str = "slb-ccm/applied-resource-tags";
/// Reason sent with `ModificationProtectionStatus=ConsoleProtection` (same as the reference).
pub const MODIFICATION_PROTECTION_REASON: &str = "managed.by.ack";

/// Length of the default CLB name: `a` plus the first 31 hex digits of the UID.
const DEFAULT_NAME_LEN: usize = 32;

/// The default CLB name and [`TAG_DO_NOT_DELETE`] value of a Service: `a` followed by the
/// Service UID with dashes removed, cut to 32 characters.
///
/// ```
/// assert_eq!(
///     slb_model::naming::default_lb_name("3f2c8a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6"),
///     "a3f2c8a9e1b2d4c5e8f90a1b2c3d4e5f"
/// );
/// ```
pub fn default_lb_name(uid: &str) -> String {
    std::iter::once('a')
        .chain(uid.chars().filter(|c| *c != '-'))
        .take(DEFAULT_NAME_LEN)
        .collect()
}

/// The tag keys recorded in [`APPLIED_TAGS_ANNOTATION`] (none when absent).
pub fn recorded_tag_keys(annotations: &BTreeMap<String, String>) -> BTreeSet<String> {
    annotations
        .get(APPLIED_TAGS_ANNOTATION)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The [`APPLIED_TAGS_ANNOTATION`] value for these tag keys; `None` when there are none.
pub fn tag_record<'a>(keys: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let keys: BTreeSet<&str> = keys.into_iter().collect();
    (!keys.is_empty()).then(|| keys.into_iter().collect::<Vec<_>>().join(","))
}

/// True for tags owned by the cloud platform (`acs:` prefix), which we never touch.
pub fn is_system_tag(key: &str) -> bool {
    key.starts_with(SYSTEM_TAG_PREFIX)
}

/// The namespaced identity of a Service inside one cluster; what ownership is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKey {
    /// Service namespace.
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// Cluster id (cloud-config `clusterID`).
    pub cluster_id: String,
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} (cluster {})",
            self.namespace, self.name, self.cluster_id
        )
    }
}

/// The `k8s/<port>/<svc>/<ns>/<clusterId>` key.
///
/// For vServer groups `port` is the NodePort (ECS modes) or the targetPort (ENI mode); for
/// listeners it is the Service port. Backends carry their group's key as description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedKey {
    /// The port part (kept as text: ENI mode with a named targetPort uses the name).
    pub port: String,
    /// Whose key this is.
    pub service: ServiceKey,
}

impl NamedKey {
    /// Key for `port` of `service`.
    pub fn new(port: impl fmt::Display, service: &ServiceKey) -> Self {
        Self {
            port: port.to_string(),
            service: service.clone(),
        }
    }

    /// Parses a name or description; `None` unless it has exactly five `/`-separated parts
    /// starting with `k8s` (anything else is user managed, as in the reference).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('/');
        let (Some("k8s"), Some(port), Some(name), Some(namespace), Some(cluster), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        Some(Self {
            port: port.to_owned(),
            service: ServiceKey {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                cluster_id: cluster.to_owned(),
            },
        })
    }

    /// True when `text` parses as a key of `service` (any port). Allocation-free: it runs
    /// for every member of every group on each sync.
    pub fn is_owned_by(text: &str, service: &ServiceKey) -> bool {
        let mut parts = text.split('/');
        parts.next() == Some("k8s")
            && parts.next().is_some()
            && parts.next() == Some(service.name.as_str())
            && parts.next() == Some(service.namespace.as_str())
            && parts.next() == Some(service.cluster_id.as_str())
            && parts.next().is_none()
    }
}

impl fmt::Display for NamedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.service;
        write!(
            f,
            "k8s/{}/{}/{}/{}",
            self.port, s.name, s.namespace, s.cluster_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> ServiceKey {
        ServiceKey {
            namespace: "ns".into(),
            name: "web".into(),
            cluster_id: "c1".into(),
        }
    }

    #[test]
    fn default_name_is_a_plus_uid_without_dashes_cut_to_32_chars() {
        let uid = "3f2c8a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6";
        let name = default_lb_name(uid);
        assert_eq!(name.len(), 32);
        // Same as the FAQ's shell: substr("a"$1$2$3$4$5,1,32).
        assert_eq!(name, "a3f2c8a9e1b2d4c5e8f90a1b2c3d4e5f");
    }

    #[test]
    fn named_key_round_trips_through_its_text_form() {
        let key = NamedKey::new(30080, &svc());
        assert_eq!(key.to_string(), "k8s/30080/web/ns/c1");
        assert_eq!(NamedKey::parse("k8s/30080/web/ns/c1"), Some(key));
    }

    #[test]
    fn texts_not_in_the_five_part_form_are_user_managed() {
        for text in [
            "",
            "k8s/80/web/ns",
            "k8s/80/web/ns/c1/x",
            "app/80/web/ns/c1",
            "my-group",
        ] {
            assert_eq!(NamedKey::parse(text), None, "{text}");
        }
    }

    #[test]
    fn ownership_requires_same_service_namespace_and_cluster() {
        assert!(NamedKey::is_owned_by("k8s/80/web/ns/c1", &svc()));
        assert!(!NamedKey::is_owned_by("k8s/80/web/ns/c2", &svc()));
        assert!(!NamedKey::is_owned_by("k8s/80/api/ns/c1", &svc()));
        assert!(!NamedKey::is_owned_by("k8s/80/web/other/c1", &svc()));
    }

    #[test]
    fn acs_tags_are_system_tags() {
        assert!(is_system_tag("acs:rm:rgId"));
        assert!(!is_system_tag("ack.aliyun.com"));
    }
}
