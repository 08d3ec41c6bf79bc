//! The desired CLB of a Service, computed from the Service, Nodes, EndpointSlices and cluster
//! settings.
//!
//! [`desired`] validates everything up front and returns every problem at once; on success
//! it describes the instance attributes, one listener and one vServer group per Service
//! port, and each group's members with weights. It also classifies the Service
//! ([`wants_lb`], [`needs_cleanup`]) and fingerprints what matters ([`spec_hash`]).
//!
//! Deliberate differences from the reference (ccm-reference §12/§13): the default scheduler
//! is `wrr` so Local-mode pod-count weights take effect; `node-role.kubernetes.io/control-plane`
//! is excluded like `master`; terminating endpoints are kept with weight 0 while connection
//! draining is on; per-port errors are never swallowed.
//!
//! This module does not look at the cloud (that is `plan`) and does not resolve ENI ids
//! (the controller does, then calls [`DesiredLb::resolve_enis`]).

mod backends;
mod error;
mod nodes;
mod ports;
mod service;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;

pub use error::ModelError;
pub use nodes::{
    EXCLUDE_LABELS, LOCAL_INSTANCE_PREFIX, NodeSkipReason, SkippedNode, TO_BE_DELETED_TAINT,
    instance_id, internal_ip, local_instance_id, node_change_matters,
};
pub use service::{
    applied_tags_record, is_deleting, needs_cleanup, service_key, spec_hash, wants_lb,
};

use crate::annotations::{self, AnnotationError, LbConfig};
use crate::naming::{self, NamedKey, ServiceKey};
use crate::types::{BackendServer, BackendType, ListenerAttributes, Protocol};

/// Default per-CLB backend quota (the cloud's default; configurable).
pub const DEFAULT_BACKEND_QUOTA: usize = 200;
/// Default per-CLB listener quota (Alibaba's default: 50 listeners per CLB instance).
pub const DEFAULT_LISTENER_QUOTA: usize = 50;
/// Default backends per CreateVServerGroup/Add/Remove/Set call: 40, the reference CCM's
/// `--sg-batch-size` default, which the cloud accepts (the API docs still say 20; set
/// `--sg-batch-size 20` to follow them).
pub const DEFAULT_BATCH_SIZE: usize = 40;
/// Largest batch size accepted (the reference CCM uses 40).
pub const MAX_BATCH_SIZE: usize = 40;

/// Cluster-wide settings the model needs (from the controller's configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterContext {
    /// Cluster id used in names and the `ack.aliyun.com` tag.
    pub cluster_id: String,
    /// Region id (`cn-hangzhou`).
    pub region: String,
    /// The cluster's VPC id (intranet CLBs must be in it).
    pub vpc_id: String,
    /// Maximum backends per CLB, checked before any call.
    pub backend_quota: usize,
    /// Maximum listeners per CLB (one per Service port), checked before anything else.
    pub listener_quota: usize,
    /// Backends per Add/Remove/Set call (1–40).
    pub batch_size: usize,
    /// Running against the local CLB: nodes without an Alibaba providerID get a derived
    /// instance id (see [`local_instance_id`]).
    pub local_mode: bool,
    /// Cluster default backend type is ENI (cloud-config `serviceBackendType: eni`).
    pub default_eni: bool,
    /// vSwitch for new intranet CLBs when the Service names none.
    pub vswitch_id: Option<String>,
    /// Resource group for new CLBs when the Service names none.
    pub resource_group_id: Option<String>,
    /// Our `spec.loadBalancerClass`, if we are not the default controller.
    pub load_balancer_class: Option<String>,
}

impl ClusterContext {
    /// A context with the defaults for quota and batch size.
    pub fn new(cluster_id: &str, region: &str, vpc_id: &str) -> Self {
        Self {
            cluster_id: cluster_id.to_owned(),
            region: region.to_owned(),
            vpc_id: vpc_id.to_owned(),
            backend_quota: DEFAULT_BACKEND_QUOTA,
            listener_quota: DEFAULT_LISTENER_QUOTA,
            batch_size: DEFAULT_BATCH_SIZE,
            local_mode: false,
            default_eni: false,
            vswitch_id: None,
            resource_group_id: None,
            load_balancer_class: None,
        }
    }
}

/// Whether the Service wants its CLB ensured or released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Create or update the CLB.
    Ensure,
    /// Release what the Service owns (deleted, type changed, or handed to another class).
    Delete,
}

/// The desired CLB of one Service.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredLb {
    /// Whose CLB this is.
    pub service: ServiceKey,
    /// Ensure or delete.
    pub intent: Intent,
    /// `a` + UID: the default name and the `kubernetes.do.not.delete` value.
    pub default_name: String,
    /// `id` annotation: reuse this user CLB.
    pub reuse_id: Option<String>,
    /// `force-override-listeners` on a reused CLB.
    pub force_override_listeners: bool,
    /// `preserve-lb-on-delete`.
    pub preserve_on_delete: bool,
    /// `ignore-weight-update`.
    pub ignore_weight_update: bool,
    /// IPs in the Service status (guards against silently switching CLBs).
    pub status_ips: Vec<String>,
    /// `external-ip-type: eip` (status IP is an EIP, so it is not compared with the VIP).
    pub status_is_eip: bool,
    /// The cluster's VPC (a reused intranet CLB must be in it).
    pub cluster_vpc_id: String,
    /// Instance attributes.
    pub instance: DesiredInstance,
    /// One listener per Service port.
    pub listeners: Vec<DesiredListener>,
    /// One vServer group per Service port.
    pub groups: Vec<DesiredGroup>,
    /// Nodes left out, with the reason (for events).
    pub skipped_nodes: Vec<SkippedNode>,
    /// Annotation problems that do not block the sync (unknown keys, missing companions).
    pub annotation_warnings: Vec<AnnotationError>,
}

/// Desired CLB instance attributes (`None` = not managed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DesiredInstance {
    /// `LoadBalancerName`.
    pub load_balancer_name: String,
    /// `AddressType`.
    pub address_type: String,
    /// `AddressIPVersion`.
    pub address_ip_version: String,
    /// `NetworkType`.
    pub network_type: Option<String>,
    /// `VpcId` (set for intranet CLBs).
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `Address`.
    pub address: Option<String>,
    /// `MasterZoneId`.
    pub master_zone_id: Option<String>,
    /// `SlaveZoneId`.
    pub slave_zone_id: Option<String>,
    /// `LoadBalancerSpec`.
    pub load_balancer_spec: Option<String>,
    /// `InstanceChargeType`.
    pub instance_charge_type: String,
    /// `InternetChargeType`.
    pub internet_charge_type: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<u32>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DeleteProtection`.
    pub delete_protection: bool,
    /// `ModificationProtectionStatus`.
    pub modification_protection_status: String,
    /// `additional-resource-tags`.
    pub additional_tags: Vec<(String, String)>,
    /// Keys of the additional tags slb-ccm applied before (the Service's
    /// [`naming::APPLIED_TAGS_ANNOTATION`]); those no longer wanted are removed.
    pub applied_tag_keys: BTreeSet<String>,
    /// Short names of the annotations the user set (immutability and reuse only look at
    /// these).
    pub explicit: BTreeSet<&'static str>,
}

/// Which vServer group a listener or member set refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupTarget {
    /// A group this Service owns, by its named key.
    Owned(String),
    /// A user group attached with `vgroup-port`, by id.
    Reused(String),
}

/// A listener for one Service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredListener {
    /// `ListenerPort` (the Service port).
    pub listener_port: u16,
    /// `ListenerProtocol`.
    pub protocol: Protocol,
    /// `Description`: `k8s/<servicePort>/<svc>/<ns>/<clusterId>`.
    pub description: String,
    /// Its vServer group.
    pub group: GroupTarget,
    /// `Bandwidth` at create (-1 = unlimited; HTTP leaves it unset).
    pub bandwidth: Option<i32>,
    /// Managed attributes, already filtered for the protocol.
    pub attributes: ListenerAttributes,
    /// Where `attributes.scheduler` comes from, which decides whether an existing
    /// listener's scheduler is changed (issue 14 item 12).
    pub scheduler: SchedulerSource,
    /// HTTPS: domain (lower case) → server certificate id from `domain-extensions`; `None`
    /// when the annotation is absent (the listener's extensions are left alone).
    pub domain_extensions: Option<BTreeMap<String, String>>,
}

/// Where a listener's scheduler comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedulerSource {
    /// The `scheduler` annotation: applied on create and on every update.
    Annotation,
    /// No annotation, `externalTrafficPolicy: Local`: `wrr`, applied on create and on
    /// update, because the FAQ's pod-count weights only take effect with it.
    LocalDefault,
    /// No annotation, Cluster policy (equal weights): `wrr` on create; an existing listener
    /// keeps the scheduler it has (a CLB taken over from the reference CCM keeps its `rr`).
    ClusterDefault,
}

impl SchedulerSource {
    /// The source for a Service with (`explicit`) or without a `scheduler` annotation.
    pub fn of(explicit: bool, local: bool) -> Self {
        match (explicit, local) {
            (true, _) => Self::Annotation,
            (false, true) => Self::LocalDefault,
            (false, false) => Self::ClusterDefault,
        }
    }
}

/// A vServer group for one Service port and its desired members from this Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredGroup {
    /// The group.
    pub target: GroupTarget,
    /// The named key this Service writes into member descriptions.
    pub member_description: String,
    /// The Service port it serves.
    pub service_port: u16,
    /// Desired members from this Service.
    pub backends: Vec<BackendServer>,
}

/// Computes the desired CLB of `service`.
///
/// For a Service that is being deleted or no longer wants a CLB the result has
/// [`Intent::Delete`]; annotations are then read leniently (a broken annotation must not
/// block cleanup) and no listeners or groups are desired.
///
/// # Errors
/// Every validation problem at once (annotations, ports, certificates, ENI target ports).
/// Annotation warnings alone do not fail; they are in [`DesiredLb::annotation_warnings`]
/// (and in the error list when something else fails).
///
/// `nodes` may be owned or shared (`&[Node]`, or an informer cache's `&[Arc<Node>]` without
/// copying every node for every reconcile).
pub fn desired<N: std::borrow::Borrow<Node>>(
    service: &Service,
    nodes: &[N],
    slices: &[EndpointSlice],
    ctx: &ClusterContext,
) -> Result<DesiredLb, Vec<ModelError>> {
    let key = service_key(service, ctx).map_err(|e| vec![e])?;
    let uid = service.metadata.uid.as_deref().filter(|u| !u.is_empty());
    let uid = uid.ok_or_else(|| {
        vec![ModelError::MissingMetadata {
            field: "metadata.uid",
        }]
    })?;
    let empty = BTreeMap::new();
    let raw = service.metadata.annotations.as_ref().unwrap_or(&empty);
    let intent = if wants_lb(service, ctx.load_balancer_class.as_deref()) && !is_deleting(service) {
        Intent::Ensure
    } else {
        Intent::Delete
    };
    let (config, annotation_errors) = annotations::parse_lenient(raw);
    let mut lb = skeleton(service, key, uid, intent, &config, ctx);
    if intent == Intent::Delete {
        return Ok(lb);
    }
    let fatal = annotation_errors.iter().any(|e| !e.is_warning());
    lb.annotation_warnings = annotation_errors.clone();
    let mut errors: Vec<ModelError> = annotation_errors.into_iter().map(Into::into).collect();
    if !fatal {
        errors.clear();
    }
    let ports = service
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default();
    if ports.is_empty() {
        errors.push(ModelError::NoPorts);
    }
    if ports.len() > ctx.listener_quota {
        // Nothing per port is worth computing: the CLB cannot hold these listeners.
        errors.push(ModelError::ListenerQuota {
            ports: ports.len(),
            quota: ctx.listener_quota,
        });
        return Err(errors);
    }
    let eni = config.backend.eni.unwrap_or(ctx.default_eni);
    let (eligible, skipped) = nodes::eligible(nodes, &config.backend, ctx);
    lb.skipped_nodes = skipped;
    let endpoints = backends::Endpoints::collect(service, slices, config.backend.ipv6_backends);
    let draining = config.listener.attributes.connection_drain == Some(true);
    let local = service
        .spec
        .as_ref()
        .and_then(|s| s.external_traffic_policy.as_deref())
        == Some("Local");
    for port in ports {
        match ports::port_plan(port, &lb.service, &config, (eni, local)) {
            Ok((listener, group_port)) => {
                let inputs = backends::Inputs {
                    eligible: &eligible,
                    endpoints: &endpoints,
                    config: &config.backend,
                    draining,
                    local,
                };
                let description = NamedKey::new(&group_port, &lb.service).to_string();
                match backends::members(port, &group_port, eni, &description, &inputs) {
                    Ok(members) => {
                        let target =
                            ports::group_target(&config, listener.listener_port, &description);
                        lb.groups.push(DesiredGroup {
                            target: target.clone(),
                            member_description: description,
                            service_port: listener.listener_port,
                            backends: members,
                        });
                        lb.listeners.push(DesiredListener {
                            group: target,
                            ..listener
                        });
                    }
                    Err(e) => errors.push(e),
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    errors.extend(ports::unknown_vgroup_ports(&config, &lb.listeners));
    if errors.is_empty() {
        Ok(lb)
    } else {
        Err(errors)
    }
}

/// Everything but listeners and groups.
fn skeleton(
    service: &Service,
    key: ServiceKey,
    uid: &str,
    intent: Intent,
    config: &LbConfig,
    ctx: &ClusterContext,
) -> DesiredLb {
    let default_name = naming::default_lb_name(uid);
    let status_ips = service
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .map(|ingress| ingress.iter().filter_map(|i| i.ip.clone()).collect())
        .unwrap_or_default();
    let mut instance = instance(config, &default_name, ctx);
    if let Some(a) = service.metadata.annotations.as_ref() {
        instance.applied_tag_keys = naming::recorded_tag_keys(a);
    }
    DesiredLb {
        service: key,
        intent,
        instance,
        default_name,
        reuse_id: config.instance.id.clone(),
        force_override_listeners: config.instance.force_override_listeners,
        preserve_on_delete: config.instance.preserve_on_delete,
        ignore_weight_update: config.backend.ignore_weight_update,
        status_ips,
        status_is_eip: config.instance.external_ip_eip,
        cluster_vpc_id: ctx.vpc_id.clone(),
        listeners: Vec::new(),
        groups: Vec::new(),
        skipped_nodes: Vec::new(),
        annotation_warnings: Vec::new(),
    }
}

fn instance(config: &LbConfig, default_name: &str, ctx: &ClusterContext) -> DesiredInstance {
    let i = &config.instance;
    let intranet = i.address_type == "intranet";
    DesiredInstance {
        load_balancer_name: i.name.clone().unwrap_or_else(|| default_name.to_owned()),
        address_type: i.address_type.clone(),
        address_ip_version: i.address_ip_version.clone(),
        network_type: i.network_type.clone(),
        vpc_id: (intranet && i.network_type.as_deref() != Some("classic"))
            .then(|| ctx.vpc_id.clone()),
        vswitch_id: i
            .vswitch_id
            .clone()
            .or_else(|| intranet.then(|| ctx.vswitch_id.clone())?),
        address: i.address.clone(),
        master_zone_id: i.master_zone_id.clone(),
        slave_zone_id: i.slave_zone_id.clone(),
        load_balancer_spec: i.spec.clone(),
        // Asking for a spec means PayBySpec unless the billing model is named explicitly.
        instance_charge_type: if i.spec.is_some() && !config.is_explicit("instance-charge-type") {
            "PayBySpec".to_owned()
        } else {
            i.instance_charge_type.clone()
        },
        internet_charge_type: i.internet_charge_type.clone(),
        bandwidth: i.bandwidth,
        resource_group_id: i
            .resource_group_id
            .clone()
            .or_else(|| ctx.resource_group_id.clone()),
        delete_protection: i.delete_protection,
        modification_protection_status: i.modification_protection.clone(),
        additional_tags: i.additional_tags.clone(),
        applied_tag_keys: BTreeSet::new(),
        explicit: config.explicit.clone(),
    }
}

impl DesiredLb {
    /// Pod IPs of ENI members whose ENI id is not known yet (the controller looks them up
    /// with `DescribeNetworkInterfaces`).
    pub fn eni_ips(&self) -> BTreeSet<String> {
        self.groups
            .iter()
            .flat_map(|g| &g.backends)
            .filter(|b| b.r#type == BackendType::Eni && !b.server_id.starts_with("eni-"))
            .filter_map(|b| b.server_ip.clone())
            .collect()
    }

    /// Fills in ENI ids from `ip → eni-id`; members whose IP is not in the map are dropped
    /// and returned (the controller reports them as skipped backends).
    pub fn resolve_enis(&mut self, enis: &BTreeMap<String, String>) -> Vec<String> {
        let mut unresolved = Vec::new();
        for group in &mut self.groups {
            group.backends.retain_mut(|b| {
                if b.r#type != BackendType::Eni || b.server_id.starts_with("eni-") {
                    return true;
                }
                let ip = b.server_ip.clone().unwrap_or_default();
                match enis.get(&ip) {
                    Some(id) => {
                        b.server_id = id.clone();
                        true
                    }
                    None => {
                        unresolved.push(ip);
                        false
                    }
                }
            });
        }
        unresolved
    }

    /// Number of members this Service wants across all its groups.
    pub fn backend_count(&self) -> usize {
        self.groups.iter().map(|g| g.backends.len()).sum()
    }
}

#[cfg(test)]
mod tests;
