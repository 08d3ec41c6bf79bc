//! The plan: the ordered OpenAPI calls that turn the observed CLB into the desired one.
//!
//! [`plan`] is a pure diff. Order: instance (create, attributes, tags) → listener deletions
//! → vServer groups and members (batched) → listener creates/updates/starts → orphaned
//! groups. It never touches a listener, group or member this Service does not own (owned =
//! its named key in the name/description; the CLB = the `kubernetes.do.not.delete` tag), and
//! it refuses, before any call, reuse of a CLB that must not be reused, immutable changes,
//! port conflicts and quota overruns. [`apply_to`] applies a plan's writes to a CLB's state
//! (the slb-clb-state transitions) with the ids the cloud answered.
//!
//! It does not call the cloud, retry, or resolve symbolic ids; the executor does.

mod action;
mod apply;
mod delete;
mod domain_ext;
mod groups;
mod instance;
mod listeners;

use std::fmt;

pub use action::{Action, CreateLoadBalancer, GroupRef, LbRef, ListenerParams};
#[cfg(test)]
pub(crate) use apply::test_cloud;
pub use apply::{ApplyError, CreatedIds, apply_to};

use crate::desired::{
    DEFAULT_BACKEND_QUOTA, DEFAULT_BATCH_SIZE, DesiredLb, Intent, MAX_BATCH_SIZE,
};
use crate::naming::NamedKey;
use crate::observed::ObservedLb;
use crate::types::Protocol;

/// Knobs of the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Members per Add/Remove/Set call (1–40, default 20).
    pub batch_size: usize,
    /// Maximum members per CLB (default 200), checked before any call.
    pub backend_quota: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            backend_quota: DEFAULT_BACKEND_QUOTA,
        }
    }
}

impl PlanOptions {
    /// The options from the cluster context.
    pub fn from_context(ctx: &crate::desired::ClusterContext) -> Self {
        Self {
            batch_size: ctx.batch_size,
            backend_quota: ctx.backend_quota,
        }
    }
}

/// Something the controller should tell the user about (as an event) although it is not an
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanNote {
    /// `force-override-listeners` takes over a user listener on the same port and protocol.
    ListenerTakenOver {
        /// Listener port.
        port: u16,
        /// Listener protocol.
        protocol: Protocol,
        /// Its previous description.
        previous_description: String,
    },
    /// A reused CLB without `force-override-listeners`: no listener is created or changed.
    ListenersNotManaged {
        /// The CLB.
        lb_id: String,
    },
    /// A group this Service no longer needs is kept because a listener it does not own
    /// still uses it.
    GroupKeptInUse {
        /// The group.
        group_id: String,
        /// Port of the listener using it.
        listener_port: u16,
    },
    /// No backend at all (event `UnAvailableLoadBalancer`).
    NoBackends,
    /// `preserve-lb-on-delete`: the CLB is kept (event `PreservedOnDelete`).
    PreservedOnDelete {
        /// The CLB.
        lb_id: String,
    },
    /// Deleting, and the CLB is already gone.
    AlreadyGone,
    /// A Local-policy listener without a `scheduler` annotation is switched to `wrr` (e.g.
    /// one the reference CCM created with `rr`): pod-count weights need it.
    SchedulerForWeights {
        /// Listener port.
        port: u16,
        /// Listener protocol.
        protocol: Protocol,
        /// The scheduler it had.
        previous: String,
    },
}

impl std::fmt::Display for PlanNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanNote::ListenerTakenOver {
                port,
                protocol,
                previous_description,
            } => write!(
                f,
                "force-override-listeners: took over the {protocol} listener on port {port} \
                 (was \"{previous_description}\")"
            ),
            PlanNote::ListenersNotManaged { lb_id } => write!(
                f,
                "listeners of the reused load balancer {lb_id} are not managed; set \
                 force-override-listeners: \"true\" to let slb-ccm create them"
            ),
            PlanNote::GroupKeptInUse {
                group_id,
                listener_port,
            } => write!(
                f,
                "vServer group {group_id} is kept: the listener on port {listener_port}, which \
                 this Service does not own, still uses it"
            ),
            PlanNote::NoBackends => f.write_str(
                "there are no available nodes for LoadBalancer: no backend server could be added",
            ),
            PlanNote::PreservedOnDelete { lb_id } => {
                write!(
                    f,
                    "the lb [{lb_id}] will be preserved after the service is deleted"
                )
            }
            PlanNote::AlreadyGone => f.write_str("the load balancer is already gone"),
            PlanNote::SchedulerForWeights {
                port,
                protocol,
                previous,
            } => write!(
                f,
                "the scheduler of the {protocol} listener on port {port} changes from \
                 {previous} to wrr: externalTrafficPolicy Local weights backends by pod count, \
                 which only wrr honours; set the scheduler annotation to choose another"
            ),
        }
    }
}

/// The ordered calls, plus notes for events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Calls in execution order.
    pub actions: Vec<Action>,
    /// Things to report.
    pub notes: Vec<PlanNote>,
}

impl Plan {
    /// True when nothing needs to be called.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Why a reuse (`id` annotation) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReuseRefusal {
    /// Tagged `kubernetes.do.not.delete`: created by a cluster for a Service.
    CreatedByKubernetes,
    /// Tagged `ack.aliyun.com`: a cluster's own CLB such as the API server's.
    ClusterOwned {
        /// The tag value (cluster id).
        cluster: String,
    },
    /// An intranet CLB in another VPC.
    OtherVpc {
        /// The CLB's VPC.
        lb_vpc: String,
        /// The cluster's VPC.
        cluster_vpc: String,
    },
    /// The Service already has another address: a live Service cannot switch CLBs.
    AssociatedWithOtherIp {
        /// Status IPs.
        status: Vec<String>,
        /// The CLB's address.
        address: String,
    },
}

/// Why no plan could be made. Nothing has been called when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The `id` CLB must not be reused.
    #[error("the loadbalancer {lb_id} can not be reused, {}", reuse_text(.reason))]
    ReuseRefused {
        /// The CLB.
        lb_id: String,
        /// Why.
        reason: ReuseRefusal,
    },
    /// The `id` CLB does not exist.
    #[error("the loadbalancer {lb_id} named by the id annotation does not exist in this region")]
    ReusedLbNotFound {
        /// The CLB.
        lb_id: String,
    },
    /// The caller passed a CLB other than the one the Service names.
    #[error("observed loadbalancer {observed} is not the loadbalancer {wanted} the Service names")]
    ObservedMismatch {
        /// Id the Service names.
        wanted: String,
        /// Id observed.
        observed: String,
    },
    /// No CLB found but the Service status has an address: refuse to silently create a new
    /// one.
    #[error("alicloud: can not find loadbalancer, but it's defined in service (status {ips:?})")]
    NotFoundButInStatus {
        /// Status IPs.
        ips: Vec<String>,
    },
    /// The CLB found is tagged for another Service.
    #[error("loadbalancer {lb_id} belongs to another Service (kubernetes.do.not.delete={tag})")]
    OwnedByOtherService {
        /// The CLB.
        lb_id: String,
        /// Its tag value.
        tag: String,
    },
    /// An immutable attribute would change.
    #[error("{message} (annotation {annotation}: {observed:?} → {wanted:?})")]
    ImmutableChange {
        /// Annotation suffix.
        annotation: &'static str,
        /// Current cloud value.
        observed: String,
        /// Value the annotation asks for.
        wanted: String,
        /// The reference/FAQ error text.
        message: &'static str,
    },
    /// PayByCLCU → PayBySpec is not allowed.
    #[error(
        "The operation is not allowed because the instanceChargeType of loadbalancer is \
         PayByCLCU. (loadbalancer {lb_id})"
    )]
    ChargeTypeToSpec {
        /// The CLB.
        lb_id: String,
    },
    /// A port is claimed by someone else.
    #[error(
        "port {port}/{protocol} on loadbalancer {lb_id} is claimed by {} and by Service {service}",
        owner_text(.other, .description)
    )]
    PortConflict {
        /// The CLB.
        lb_id: String,
        /// Listener port.
        port: u16,
        /// Protocol we want.
        protocol: Protocol,
        /// This Service (`namespace/name (cluster id)`).
        service: String,
        /// The other Service, when the listener has a named key.
        other: Option<String>,
        /// The existing listener's description.
        description: String,
    },
    /// A `vgroup-port` group does not exist on the CLB.
    #[error("vserver group {group_id} from vgroup-port does not exist on loadbalancer {lb_id}")]
    ReusedGroupNotFound {
        /// The group.
        group_id: String,
        /// The CLB.
        lb_id: String,
    },
    /// A `vgroup-port` group was created by Kubernetes.
    #[error("cannot reuse a ccm created vgroup: {group_id} is named {name}")]
    ReusedGroupOwnedByKubernetes {
        /// The group.
        group_id: String,
        /// Its name.
        name: String,
    },
    /// Over the per-CLB backend quota.
    #[error(
        "The backend server number has reached to the quota limit of this load balancers: \
         {count} backends needed, quota {quota}"
    )]
    BackendQuota {
        /// Members after the plan.
        count: usize,
        /// The quota.
        quota: usize,
    },
    /// A group to delete is used by a listener the Service does not own.
    #[error(
        "there are vips associating with this vServer group: {group_id} is used by listener \
         {listener_port}/{listener_protocol}, which this Service does not own"
    )]
    GroupInUse {
        /// The group.
        group_id: String,
        /// The listener port.
        listener_port: u16,
        /// The listener protocol.
        listener_protocol: Protocol,
    },
    /// ENI members whose ENI id was not filled in ([`DesiredLb::resolve_enis`]).
    #[error("ENI backends {ips:?} have no ENI id yet; resolve them before planning")]
    UnresolvedEni {
        /// Pod IPs without an ENI id.
        ips: Vec<String>,
    },
    /// Bad planner options.
    #[error("batch size {batch_size} is out of range 1–{MAX_BATCH_SIZE}")]
    InvalidOptions {
        /// The batch size given.
        batch_size: usize,
    },
}

fn reuse_text(r: &ReuseRefusal) -> String {
    match r {
        ReuseRefusal::CreatedByKubernetes => {
            "can not reuse loadbalancer created by kubernetes.".to_owned()
        }
        ReuseRefusal::ClusterOwned { cluster } => format!(
            "can not reuse loadbalancer created by kubernetes. (tagged ack.aliyun.com={cluster}: \
             a cluster's own CLB such as its API server's)"
        ),
        ReuseRefusal::OtherVpc {
            lb_vpc,
            cluster_vpc,
        } => format!(
            "it is an intranet loadbalancer in VPC {lb_vpc} but the cluster is in VPC \
             {cluster_vpc} (NetworkConflict)"
        ),
        ReuseRefusal::AssociatedWithOtherIp { status, address } => format!(
            "service has been associated with ip [{}], cannot be bound to ip [{address}]",
            status.join(",")
        ),
    }
}

fn owner_text(other: &Option<String>, description: &str) -> String {
    match other {
        Some(o) => format!("Service {o}"),
        None => format!("a listener not created by Kubernetes (description {description:?})"),
    }
}

impl PlanError {
    /// Stable label for metrics and events.
    pub fn kind(&self) -> &'static str {
        match self {
            PlanError::ReuseRefused { .. } => "ReuseRefused",
            PlanError::ReusedLbNotFound { .. } => "ReusedLoadBalancerNotFound",
            PlanError::ObservedMismatch { .. } => "ObservedMismatch",
            PlanError::NotFoundButInStatus { .. } => "LoadBalancerNotFoundButInStatus",
            PlanError::OwnedByOtherService { .. } => "OwnedByOtherService",
            PlanError::ImmutableChange { .. } => "ImmutableChange",
            PlanError::ChargeTypeToSpec { .. } => "ChargeTypeToSpec",
            PlanError::PortConflict { .. } => "PortConflict",
            PlanError::ReusedGroupNotFound { .. } => "ReusedGroupNotFound",
            PlanError::ReusedGroupOwnedByKubernetes { .. } => "ReusedGroupOwnedByKubernetes",
            PlanError::BackendQuota { .. } => "BackendQuota",
            PlanError::GroupInUse { .. } => "GroupInUse",
            PlanError::UnresolvedEni { .. } => "UnresolvedEni",
            PlanError::InvalidOptions { .. } => "InvalidOptions",
        }
    }
}

impl fmt::Display for LbRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LbRef::Created => f.write_str("<created>"),
            LbRef::Id(id) => f.write_str(id),
        }
    }
}

/// What the sub-planners share.
pub(crate) struct Scope<'a> {
    pub desired: &'a DesiredLb,
    pub observed: Option<&'a ObservedLb>,
    pub lb: LbRef,
    pub opts: &'a PlanOptions,
}

impl Scope<'_> {
    /// True when `text` (a name or description) is this Service's named key.
    pub fn owns(&self, text: &str) -> bool {
        NamedKey::is_owned_by(text, &self.desired.service)
    }
    /// The CLB's id, or empty while it is still to be created.
    pub fn lb_id(&self) -> &str {
        self.observed.map_or("", |o| o.load_balancer_id.as_str())
    }
}

/// Computes the calls that make `observed` match `desired`.
///
/// `observed` is the CLB found for the Service (by the `id` annotation or by its ownership
/// tag), `None` when there is none.
///
/// # Errors
/// A [`PlanError`] when the change must not be made; nothing should be called then.
///
/// # Guarantees
/// The plan only acts on resources the Service owns, plus (with `force-override-listeners`)
/// user listeners on the same port and protocol, reported as [`PlanNote::ListenerTakenOver`].
pub fn plan(
    desired: &DesiredLb,
    observed: Option<&ObservedLb>,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    if !(1..=MAX_BATCH_SIZE).contains(&opts.batch_size) {
        return Err(PlanError::InvalidOptions {
            batch_size: opts.batch_size,
        });
    }
    if desired.intent == Intent::Delete {
        return delete::plan_delete(desired, observed, opts);
    }
    let unresolved = desired.eni_ips();
    if !unresolved.is_empty() {
        return Err(PlanError::UnresolvedEni {
            ips: unresolved.into_iter().collect(),
        });
    }
    instance::check(desired, observed)?;
    let lb = observed.map_or(LbRef::Created, |o| LbRef::Id(o.load_balancer_id.clone()));
    let scope = Scope {
        desired,
        observed,
        lb,
        opts,
    };
    let mut out = Plan::default();
    instance::plan_instance(&scope, &mut out);
    let manage_listeners = desired.reuse_id.is_none() || desired.force_override_listeners;
    let listener_plan = if manage_listeners {
        Some(listeners::prepare(&scope)?)
    } else {
        out.notes.push(PlanNote::ListenersNotManaged {
            lb_id: scope.lb_id().to_owned(),
        });
        None
    };
    if let Some(lp) = &listener_plan {
        out.actions.extend(lp.deletions.iter().cloned());
        out.notes.extend(lp.notes.iter().cloned());
    }
    let group_refs = groups::plan_groups(&scope, &mut out)?;
    if let Some(lp) = &listener_plan {
        listeners::plan_upserts(&scope, lp, &group_refs, &mut out);
    }
    groups::plan_orphans(&scope, listener_plan.as_ref(), &mut out);
    if desired.backend_count() == 0 {
        out.notes.push(PlanNote::NoBackends);
    }
    Ok(out)
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
