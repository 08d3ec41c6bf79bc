//! Which nodes may be backends, and their ECS instance ids.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Service};

use super::ClusterContext;
use super::service::{is_deleting, wants_lb};
use crate::annotations::{self, BackendConfig};

/// Labels that keep a node out of every load balancer (reference list plus
/// `node-role.kubernetes.io/control-plane`, which the reference misses).
pub const EXCLUDE_LABELS: &[&str] = &[
    "node-role.kubernetes.io/master",
    "node-role.kubernetes.io/control-plane",
    "node.kubernetes.io/exclude-from-external-load-balancers",
    "alpha.service-controller.kubernetes.io/exclude-balancer",
    "service.beta.kubernetes.io/exclude-node",
    "service.alibabacloud.com/exclude-node",
];
/// Taint the cluster autoscaler puts on nodes it is about to delete.
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";
/// providerID prefix of hybrid-cloud nodes, which cannot be CLB backends.
const HYBRID_PROVIDER_PREFIX: &str = "ack-hybrid://";
/// Optional providerID prefix of Alibaba nodes.
const ALICLOUD_PROVIDER_PREFIX: &str = "alicloud://";
/// Prefix of instance ids derived from node names in local mode.
pub const LOCAL_INSTANCE_PREFIX: &str = "i-local-";

/// Why a node is not a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeSkipReason {
    /// Carries one of [`EXCLUDE_LABELS`].
    ExcludedByLabel(String),
    /// Tainted for deletion by the cluster autoscaler.
    ToBeDeleted,
    /// No `Ready=True` condition.
    NotReady,
    /// Cordoned and `remove-unscheduled-backend: on`.
    Unschedulable,
    /// Does not match `backend-label`.
    BackendLabelMismatch,
    /// A hybrid-cloud node.
    Hybrid,
    /// No usable providerID (`<region>.<instance-id>`) and not in local mode.
    NoInstanceId {
        /// The providerID as found (empty when absent).
        provider_id: String,
    },
}

impl std::fmt::Display for NodeSkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeSkipReason::ExcludedByLabel(l) => write!(f, "excluded by label {l}"),
            NodeSkipReason::ToBeDeleted => write!(f, "being deleted by the cluster autoscaler"),
            NodeSkipReason::NotReady => write!(f, "not Ready"),
            NodeSkipReason::Unschedulable => {
                write!(f, "unschedulable and remove-unscheduled-backend is on")
            }
            NodeSkipReason::BackendLabelMismatch => write!(f, "does not match backend-label"),
            NodeSkipReason::Hybrid => write!(f, "hybrid-cloud node"),
            NodeSkipReason::NoInstanceId { provider_id } => write!(
                f,
                "providerID {provider_id:?} is not <region>.<instance-id>; set spec.providerID \
                 or run in local mode"
            ),
        }
    }
}

/// A node left out of the backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedNode {
    /// Node name.
    pub node: String,
    /// Why.
    pub reason: NodeSkipReason,
}

/// A node that may be a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EligibleNode {
    pub name: String,
    pub instance_id: String,
}

/// The ECS instance id in `spec.providerID` (`<region>.<instance-id>`, optionally prefixed
/// `alicloud://`); `None` when absent or in another form.
pub fn instance_id(provider_id: &str) -> Option<&str> {
    let rest = provider_id
        .strip_prefix(ALICLOUD_PROVIDER_PREFIX)
        .unwrap_or(provider_id);
    let (region, id) = rest.split_once('.')?;
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (ok(region) && ok(id)).then_some(id)
}

/// A Node's `InternalIP` address (what the local CLB's inventory maps its instance to).
pub fn internal_ip(node: &Node) -> Option<&str> {
    node.status
        .as_ref()?
        .addresses
        .as_ref()?
        .iter()
        .find(|a| a.type_ == "InternalIP")
        .map(|a| a.address.as_str())
}

/// The stable instance id of a node without an Alibaba providerID in local mode:
/// `i-local-` + the node name lowercased, every character outside `[a-z0-9-]` replaced by `-`.
///
/// ```
/// assert_eq!(slb_model::desired::local_instance_id("Kind-Worker.2"), "i-local-kind-worker-2");
/// ```
pub fn local_instance_id(node_name: &str) -> String {
    let cleaned: String = node_name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{LOCAL_INSTANCE_PREFIX}{cleaned}")
}

/// Splits nodes into eligible backends and skipped ones, in input order.
pub(crate) fn eligible<N: std::borrow::Borrow<Node>>(
    nodes: &[N],
    config: &BackendConfig,
    ctx: &ClusterContext,
) -> (Vec<EligibleNode>, Vec<SkippedNode>) {
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    for node in nodes {
        let node: &Node = node.borrow();
        let name = node.metadata.name.clone().unwrap_or_default();
        match check(node, &name, config, ctx) {
            Ok(instance_id) => ok.push(EligibleNode { name, instance_id }),
            Err(reason) => skipped.push(SkippedNode { node: name, reason }),
        }
    }
    (ok, skipped)
}

fn check(
    node: &Node,
    name: &str,
    config: &BackendConfig,
    ctx: &ClusterContext,
) -> Result<String, NodeSkipReason> {
    let labels = node.metadata.labels.as_ref();
    let label = |k: &str| labels.and_then(|l| l.get(k));
    if let Some(l) = EXCLUDE_LABELS.iter().find(|l| label(l).is_some()) {
        return Err(NodeSkipReason::ExcludedByLabel((*l).to_owned()));
    }
    if config
        .backend_label
        .iter()
        .any(|(k, v)| label(k) != Some(v))
    {
        return Err(NodeSkipReason::BackendLabelMismatch);
    }
    let spec = node.spec.as_ref();
    let taints = spec.and_then(|s| s.taints.as_deref()).unwrap_or_default();
    if taints.iter().any(|t| t.key == TO_BE_DELETED_TAINT) {
        return Err(NodeSkipReason::ToBeDeleted);
    }
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if !ready {
        return Err(NodeSkipReason::NotReady);
    }
    if config.remove_unscheduled && spec.and_then(|s| s.unschedulable) == Some(true) {
        return Err(NodeSkipReason::Unschedulable);
    }
    let provider_id = spec
        .and_then(|s| s.provider_id.as_deref())
        .unwrap_or_default();
    if provider_id.starts_with(HYBRID_PROVIDER_PREFIX) {
        return Err(NodeSkipReason::Hybrid);
    }
    match instance_id(provider_id) {
        Some(id) => Ok(id.to_owned()),
        None if ctx.local_mode => Ok(local_instance_id(name)),
        None => Err(NodeSkipReason::NoInstanceId {
            provider_id: provider_id.to_owned(),
        }),
    }
}

/// Whether a change of one Node, from `before` to `after` (`None` = absent), can change the
/// backends [`super::desired`] computes for `service`: the controller's filter for Node
/// events, so a node joining, leaving or changing reconciles only the Services whose
/// backend set it changes.
///
/// A node contributes to a Service's backends exactly its instance id while eligible, so the
/// change matters when that contribution differs. It never matters to a Service that does
/// not want a CLB, to ENI-mode Services (backends are pods), or, under
/// `externalTrafficPolicy: Local`, when the node hosts none of the Service's endpoints
/// (`hosts_endpoints`). Heartbeats, image lists and other status churn never matter.
pub fn node_change_matters(
    service: &Service,
    before: Option<&Node>,
    after: Option<&Node>,
    hosts_endpoints: bool,
    ctx: &ClusterContext,
) -> bool {
    if !wants_lb(service, ctx.load_balancer_class.as_deref()) || is_deleting(service) {
        return false;
    }
    let empty = BTreeMap::new();
    let raw = service.metadata.annotations.as_ref().unwrap_or(&empty);
    let (config, _) = annotations::parse_lenient(raw);
    if config.backend.eni.unwrap_or(ctx.default_eni) {
        return false;
    }
    let local = service
        .spec
        .as_ref()
        .and_then(|s| s.external_traffic_policy.as_deref())
        == Some("Local");
    if local && !hosts_endpoints {
        return false;
    }
    let contribution = |node: Option<&Node>| {
        let node = node?;
        let name = node.metadata.name.as_deref().unwrap_or_default();
        check(node, name, &config.backend, ctx).ok()
    };
    contribution(before) != contribution(after)
}
