//! What a Node should look like given its ECS instance: labels, addresses, taints, and
//! whether a Node whose instance is gone may be deleted. Pure functions of the Node and the
//! `DescribeInstances` record (spec `ccm-nodes-routes.md` §3.3, §3.4, §5 and §9), so every
//! rule is a table test.
//!
//! Not here: calling ECS or the API server ([`super::lookup`], [`super::writes`]), or when
//! to run ([`super`]).

use k8s_openapi::api::core::v1::{Node, NodeAddress, Taint};
use slb_openapi::ecs::{Instance, ProviderId};
use std::collections::BTreeMap;

/// The taint the kubelet registers with under `--cloud-provider=external`.
pub const UNINITIALIZED_TAINT: &str = "node.cloudprovider.kubernetes.io/uninitialized";
/// The taint of a Node whose instance is stopped (upstream cloud-node-lifecycle).
pub const SHUTDOWN_TAINT: &str = "node.cloudprovider.kubernetes.io/shutdown";
/// The IP the kubelet was given with `--node-ip`.
pub const PROVIDED_NODE_IP: &str = "alpha.kubernetes.io/provided-node-ip";
/// ECS tag carrying an ACK node pool id.
pub const NODEPOOL_TAG: &str = "ack.alibabacloud.com/nodepool-id";
/// Labels that exclude a Node from the periodic sync (as the reference).
pub const EXCLUDE_LABELS: [&str; 2] = [
    "service.beta.kubernetes.io/exclude-node",
    "service.alibabacloud.com/exclude-node",
];

/// The labels the reference writes from an instance (spec §3.4): each only when its source
/// is non-empty; labels are never removed.
pub fn node_labels(instance: &Instance) -> BTreeMap<String, String> {
    let tag = instance
        .tags
        .iter()
        .find(|t| t.tag_key == NODEPOOL_TAG)
        .map(|t| t.tag_value.as_str());
    let sources: [(&[&str], Option<&str>); 6] = [
        (
            &[
                "node.kubernetes.io/instance-type",
                "beta.kubernetes.io/instance-type",
            ],
            Some(&instance.instance_type),
        ),
        (
            &[
                "topology.kubernetes.io/zone",
                "failure-domain.beta.kubernetes.io/zone",
            ],
            Some(&instance.zone_id),
        ),
        (
            &[
                "topology.kubernetes.io/region",
                "failure-domain.beta.kubernetes.io/region",
            ],
            Some(&instance.region_id),
        ),
        (
            &["node.alibabacloud.com/instance-charge-type"],
            Some(&instance.instance_charge_type),
        ),
        (
            &["node.alibabacloud.com/spot-strategy"],
            Some(&instance.spot_strategy),
        ),
        (&["node.alibabacloud.com/nodepool-id"], tag),
    ];
    let mut labels = BTreeMap::new();
    for (keys, value) in sources {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            for key in keys {
                labels.insert((*key).to_owned(), value.to_owned());
            }
        }
    }
    labels
}

/// The labels of `want` that `node` lacks or carries with another value.
pub fn changed_labels(node: &Node, want: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let have = node.metadata.labels.clone().unwrap_or_default();
    want.iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn address(type_: &str, ip: &str) -> NodeAddress {
    NodeAddress {
        type_: type_.to_owned(),
        address: ip.to_owned(),
    }
}

/// The addresses from the instance in the reference's order (spec §3.3): public IPs, EIP
/// (ExternalIP), classic inner IPs, VPC private IPs (InternalIP); then the Node's own
/// `Hostname` addresses.
pub fn cloud_addresses(instance: &Instance, node: &Node) -> Vec<NodeAddress> {
    let mut out: Vec<NodeAddress> = Vec::new();
    let eip = Some(&instance.eip_address.ip_address).filter(|ip| !ip.is_empty());
    for ip in instance.public_ip_address.iter().chain(eip) {
        out.push(address("ExternalIP", ip));
    }
    let private = &instance.vpc_attributes.private_ip_address;
    for ip in instance.inner_ip_address.iter().chain(private) {
        out.push(address("InternalIP", ip));
    }
    out.extend(
        node_addresses(node)
            .iter()
            .filter(|a| a.type_ == "Hostname")
            .cloned(),
    );
    out
}

/// Why a Node's addresses cannot be taken from its instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The kubelet's `--node-ip` is not an address of the instance found.
    #[error(
        "the kubelet's node IP {provided} (annotation {PROVIDED_NODE_IP}) is not an address of \
         instance {instance}; check the kubelet's --node-ip and the Node's providerID"
    )]
    ProvidedIpAbsent {
        /// The annotation's value.
        provided: String,
        /// The instance id.
        instance: String,
    },
}

/// The addresses to write, `None` when the cloud gave none (never overwrite with nothing,
/// spec §9 #8). With `provided-node-ip` that IP comes first and the others are kept
/// (upstream's rule; the reference keeps only that one).
///
/// # Errors
/// The provided IP is not among the instance's addresses (the wrong instance, or a wrong
/// `--node-ip`).
pub fn desired_addresses(
    instance: &Instance,
    node: &Node,
) -> Result<Option<Vec<NodeAddress>>, AddressError> {
    let mut all = cloud_addresses(instance, node);
    if all.iter().all(|a| a.type_ == "Hostname") {
        return Ok(None);
    }
    if let Some(provided) = provided_ip(node) {
        let Some(pos) = all
            .iter()
            .position(|a| a.address == provided && a.type_ != "Hostname")
        else {
            return Err(AddressError::ProvidedIpAbsent {
                provided: provided.to_owned(),
                instance: instance.instance_id.clone(),
            });
        };
        let first = all.remove(pos);
        all.retain(|a| a.address != provided || a.type_ == "Hostname");
        all.insert(0, first);
    }
    Ok(Some(all))
}

/// The Node's current addresses.
pub fn node_addresses(node: &Node) -> &[NodeAddress] {
    node.status
        .as_ref()
        .and_then(|s| s.addresses.as_deref())
        .unwrap_or_default()
}

/// The kubelet's `--node-ip` annotation, if any.
pub fn provided_ip(node: &Node) -> Option<&str> {
    node.metadata
        .annotations
        .as_ref()?
        .get(PROVIDED_NODE_IP)
        .map(String::as_str)
        .filter(|ip| !ip.is_empty())
}

/// The IP to find a providerID-less Node's instance by: its InternalIP, else the kubelet's
/// provided IP (the kubelet registers with no addresses under an external cloud provider).
pub fn lookup_ip(node: &Node) -> Option<&str> {
    slb_model::desired::internal_ip(node).or_else(|| provided_ip(node))
}

/// The Node's parsed providerID (`[alicloud://]<region>.<id>`).
pub fn provider_id(node: &Node) -> Option<ProviderId> {
    node.spec
        .as_ref()?
        .provider_id
        .as_deref()
        .and_then(ProviderId::parse)
}

/// Whether `node` carries a taint with `key`.
pub fn has_taint(node: &Node, key: &str) -> bool {
    taints(node).iter().any(|t| t.key == key)
}

fn taints(node: &Node) -> &[Taint] {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default()
}

/// The Node's taints after the cloud's say: without the uninitialized taint when
/// `initialized`, with the shutdown taint exactly when `stopped`. `None` when unchanged.
pub fn desired_taints(node: &Node, initialized: bool, stopped: bool) -> Option<Vec<Taint>> {
    let mut out: Vec<Taint> = taints(node)
        .iter()
        .filter(|t| !(initialized && t.key == UNINITIALIZED_TAINT))
        .filter(|t| stopped || t.key != SHUTDOWN_TAINT)
        .cloned()
        .collect();
    if stopped && !out.iter().any(|t| t.key == SHUTDOWN_TAINT) {
        out.push(Taint {
            key: SHUTDOWN_TAINT.to_owned(),
            effect: "NoSchedule".to_owned(),
            ..Taint::default()
        });
    }
    (out.as_slice() != taints(node)).then_some(out)
}

/// Whether ECS reports the instance as stopped (the shutdown taint's cue).
pub fn is_stopped(instance: &Instance) -> bool {
    instance.status.eq_ignore_ascii_case("Stopped")
}

/// The status of the Node's `Ready` condition (`True`, `False`, `Unknown`), if reported.
pub fn ready_status(node: &Node) -> Option<&str> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.as_str())
}

/// Whether a Node whose instance is absent from a successful describe may be deleted: its
/// kubelet reports not Ready (`False` or `Unknown`), and the region answered with instances
/// at all (`region_seen`: an empty region means wrong credentials or region, spec §9 #5).
pub fn may_delete(node: &Node, region_seen: bool) -> bool {
    region_seen
        && matches!(ready_status(node), Some("False" | "Unknown"))
        && node.metadata.deletion_timestamp.is_none()
}

/// Whether the Node is left out of the periodic sync (exclude labels, `ack-hybrid://`).
pub fn is_excluded(node: &Node) -> bool {
    let labels = node.metadata.labels.as_ref();
    EXCLUDE_LABELS
        .iter()
        .any(|l| labels.is_some_and(|m| m.contains_key(*l)))
        || node
            .spec
            .as_ref()
            .and_then(|s| s.provider_id.as_deref())
            .is_some_and(|p| p.starts_with("ack-hybrid://"))
}

/// The providerID the reference writes for an instance: `<RegionId>.<InstanceId>`.
pub fn provider_id_of(instance: &Instance, default_region: &str) -> String {
    let region = if instance.region_id.is_empty() {
        default_region
    } else {
        &instance.region_id
    };
    format!("{region}.{}", instance.instance_id)
}

#[cfg(test)]
mod tests;
