//! One reconcile of one Service, in the order of DESIGN.md "The path of one Service" and the
//! Go service controller: classify, add the finalizer before any cloud change, compute the
//! desired CLB from the informer caches (no live GETs), sync it through [`Cloud`], then write
//! labels and status only when they changed, and say what happened in an event
//! (`reconcile/report.rs`).
//!
//! Deletion (Service deleted, or no longer a LoadBalancer of ours) runs the same sync with a
//! delete intent, then clears status and labels and removes the finalizer last; then, and
//! whenever a Service is not ours, its per-Service state is forgotten
//! ([`crate::service_state`]). Errors go to [`error_policy`]: per-Service backoff 5 s → 300 s,
//! reset only by a reconcile that succeeded to the end (so a write that keeps failing after a
//! good cloud sync, a persistent 409 say, backs off too); invalid specs are reported once and
//! wait for a change instead of looping.
//!
//! Not here: the cloud calls ([`crate::cloud`]), the Service writes themselves
//! ([`crate::service_writes`]), what triggers a reconcile ([`crate::caches`]).

use crate::cloud::{Cloud, CloudError, SyncOutcome};
use crate::service_state::ServiceStates;
use crate::service_writes::{
    FINALIZER, HASH_LABEL, IngressIpMode, LB_ID_LABEL, add_finalizer, ingress, record_applied_tags,
    remove_finalizer, set_ingress, set_labels, status_hostname,
};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt};
use slb_model::{ClusterContext, DesiredLb, Intent, PlanOptions};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

mod fingerprint;
mod report;

/// The label telling which Service an EndpointSlice belongs to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Everything a reconcile needs; shared by all reconciles.
pub struct Context {
    /// Client for the Service writes (finalizer, labels, status); reads come from the caches.
    pub client: Client,
    /// The only way to the CLB: syncs a desired CLB (observe, plan, execute) and keeps the
    /// cached observations the fast path checks for freshness.
    pub cloud: Cloud,
    /// Cluster id, region, VPC, local mode.
    pub cluster: ClusterContext,
    /// Batch size and backend quota.
    pub plan_options: PlanOptions,
    /// Informer cache of Services: a failure of a Service it no longer holds is not counted
    /// (its state was forgotten with it).
    pub services: Store<Service>,
    /// Informer cache of Nodes: the backends are computed from it, never from a live list.
    pub nodes: Store<Node>,
    /// Informer cache of EndpointSlices, by Service.
    pub slices: crate::caches::ServiceSlices,
    /// Which caches have listed: no reconcile computes backends before Nodes and
    /// EndpointSlices have.
    pub listed: crate::caches::Listed,
    /// Event publisher (a changed message is a new event).
    pub recorder: crate::events::Publisher,
    /// Per Service: failures in a row, last successful ensure, Node changes that mattered
    /// (shared with the caches, which count the Node changes and forget deleted Services).
    pub states: Arc<ServiceStates>,
    /// Plan only: emit the plan as events and logs, change nothing.
    pub dry_run: bool,
    /// The `ipMode` written with the CLB's IP (none by default, as the reference).
    pub ingress_ip_mode: IngressIpMode,
    /// Requeue interval after a success (drift repair), before jitter.
    pub drift_interval: Duration,
    /// Reconciles, failures by kind, duration and fast-path hits (`slb_controller_*`).
    pub metrics: crate::metrics::Metrics,
    /// When registering nodes (local mode): keeps the local CLB's inventory in step.
    pub inventory: Option<Arc<crate::inventory::InventorySync>>,
}

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Adding or removing the finalizer failed.
    #[error("updating the finalizer: {0}")]
    Finalizer(#[source] kube::Error),
    /// Writing labels or status failed.
    #[error("updating the Service: {0}")]
    UpdateService(#[source] kube::Error),
    /// The cloud sync failed (classified for retries and events by [`CloudError`]).
    #[error(transparent)]
    Sync(#[from] CloudError),
    /// The nodes could not be registered with the local CLB.
    #[error(transparent)]
    Register(#[from] crate::inventory::RegisterError),
    /// The Service lacks a namespace (never from the API server).
    #[error("the Service has no namespace")]
    NoNamespace,
    /// The cloud answered a CLB id that cannot be the Service's label value (empty, say, from
    /// a malformed create response); nothing is written.
    #[error(
        "the cloud answered CLB id {0:?}, which is not a valid id; the Service keeps its labels"
    )]
    MalformedLoadBalancerId(String),
}

impl Error {
    /// Stable label for the `kind` of `slb_controller_reconcile_failures_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Finalizer(_) => "finalizer",
            Error::UpdateService(_) => "update_service",
            Error::Sync(e) => e.kind(),
            Error::Register(_) => "register_nodes",
            Error::NoNamespace => "no_namespace",
            Error::MalformedLoadBalancerId(_) => "malformed_load_balancer_id",
        }
    }
}

/// Reconciles one Service; a success resets its backoff.
///
/// # Errors
/// See [`Error`]; the caller's [`error_policy`] decides when to retry.
pub async fn reconcile(svc: Arc<Service>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = tokio::time::Instant::now();
    ctx.metrics.reconciles.inc();
    let key = ObjectRef::from_obj(&*svc);
    let result = reconcile_inner(svc, &ctx).await;
    ctx.metrics
        .duration
        .observe(started.elapsed().as_secs_f64());
    match &result {
        Ok(_) => ctx.states.succeeded(&key),
        Err(err) => {
            let kind = crate::metrics::KindLabel {
                kind: err.kind().to_owned(),
            };
            ctx.metrics.failures.get_or_create(&kind).inc();
        }
    }
    result
}

async fn reconcile_inner(svc: Arc<Service>, ctx: &Context) -> Result<Action, Error> {
    let ns = svc.namespace().ok_or(Error::NoNamespace)?;
    let key = ObjectRef::from_obj(&*svc);
    let class = ctx.cluster.load_balancer_class.as_deref();
    let wants = slb_model::wants_lb(&svc, class);
    if !wants && !slb_model::needs_cleanup(&svc, class) {
        // Not ours (any more): keep no per-Service state for it.
        ctx.states.forget(&key);
        return Ok(Action::await_change());
    }
    // Never compute backends from a cache that has not listed yet (an empty Node cache would
    // read as "no nodes" and empty every group). Come back shortly instead of waiting here:
    // a reconcile that waits cannot finish, and a graceful shutdown waits for running ones.
    if !caches_ready(ctx) {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let ensuring = wants && svc.metadata.deletion_timestamp.is_none() && !ctx.dry_run;
    // The inputs, read once: the fingerprint and the desired CLB see the same slices, and the
    // node-change count is read before the Node cache (a change landing later makes it differ).
    let slices = ctx.slices.of(&ns, &svc.name_any());
    let inputs = fingerprint::inputs(&svc, ctx.states.node_epoch(&key), &slices);
    if ensuring && unchanged_since_last_sync(ctx, &key, &svc, inputs) {
        ctx.metrics.fast_path.inc();
        return Ok(Action::requeue(jittered(ctx.drift_interval)));
    }
    ctx.states.set_synced(&key, None);
    let api: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);
    // Finalizer first: a Service that never carried it cannot have a CLB of ours yet.
    let new_service = ensuring && !svc.finalizers().iter().any(|f| f == FINALIZER);
    let svc = if new_service {
        with_finalizer(&api, &svc).await?
    } else {
        svc
    };
    // Only this Service's slices are copied, and only past the fast path.
    let slices: Vec<EndpointSlice> = slices.iter().map(|s| EndpointSlice::clone(s)).collect();
    let Some(desired) = desired_lb(ctx, &svc, &slices, ensuring).await? else {
        // Invalid: nothing will get better until the Service changes.
        return Ok(Action::await_change());
    };
    let intent = desired.intent;
    let outcome = sync(ctx, &svc, desired, new_service).await?;
    if ctx.dry_run {
        report::dry_run(ctx, &svc, &outcome).await;
        return Ok(Action::requeue(ctx.drift_interval));
    }
    write_back(ctx, &api, &svc, &outcome, intent, inputs).await?;
    Ok(Action::requeue(jittered(ctx.drift_interval)))
}

/// Adds the finalizer (before any cloud change); the Service as stored.
async fn with_finalizer(api: &Api<Service>, svc: &Service) -> Result<Arc<Service>, Error> {
    let svc = add_finalizer(api, svc).await.map_err(Error::Finalizer)?;
    Ok(Arc::new(svc))
}

/// After a sync: an ensure writes labels and status and records the fingerprint; a cleanup
/// clears them, removes the finalizer and forgets the Service.
async fn write_back(
    ctx: &Context,
    api: &Api<Service>,
    svc: &Service,
    outcome: &SyncOutcome,
    intent: Intent,
    inputs: u64,
) -> Result<(), Error> {
    let key = ObjectRef::from_obj(svc);
    match intent {
        Intent::Ensure => {
            let svc = ensured(ctx, api, svc, outcome).await?;
            let done = fingerprint::of(&svc, inputs);
            ctx.states.set_synced(&key, Some(done));
        }
        Intent::Delete => {
            cleaned(ctx, api, svc, outcome).await?;
            ctx.states.forget(&key);
        }
    }
    Ok(())
}

/// The desired CLB from the caches (registering the nodes first in local mode), with its
/// warnings published; `None` (after a Warning) when the Service does not validate.
async fn desired_lb(
    ctx: &Context,
    svc: &Service,
    slices: &[EndpointSlice],
    ensuring: bool,
) -> Result<Option<DesiredLb>, Error> {
    let nodes = ctx.nodes.state();
    if let Some(inventory) = &ctx.inventory {
        // Backends must name instances the local CLB knows (usually nothing to send).
        inventory.ensure(&nodes).await?;
    }
    match slb_model::desired(svc, &nodes, slices, &ctx.cluster) {
        Ok(desired) => {
            if ensuring {
                report::endpoints_without_node(ctx, svc, slices).await;
            }
            report::annotation_warnings(ctx, svc, &desired).await;
            Ok(Some(desired))
        }
        Err(problems) => {
            report::invalid_spec(ctx, svc, &problems).await;
            Ok(None)
        }
    }
}

/// Syncs the desired CLB through the cloud (a failure is also a Warning event), with the
/// EIP looked up for the status when the Service asks for it.
async fn sync(
    ctx: &Context,
    svc: &Service,
    desired: DesiredLb,
    new_service: bool,
) -> Result<SyncOutcome, Error> {
    let status_is_eip = desired.status_is_eip && matches!(desired.intent, Intent::Ensure);
    let known_id = svc.labels().get(LB_ID_LABEL).cloned();
    if spec_changed(svc) {
        // The user changed the Service: plan against the CLB as the cloud has it now, so a
        // console change (a weight, an attribute) is reverted on this sync.
        for id in known_id.iter().chain(desired.reuse_id.iter()) {
            ctx.cloud.invalidate(id);
        }
    }
    let (options, dry_run) = (&ctx.plan_options, ctx.dry_run);
    let as_new = new_service
        && known_id.is_none()
        && ctx.states.first_sync_as_new(&ObjectRef::from_obj(svc));
    let synced = if as_new {
        ctx.cloud.sync_new(desired, options, dry_run).await
    } else {
        let known = known_id.as_deref();
        ctx.cloud.sync(desired, known, options, dry_run).await
    };
    let mut outcome = match synced {
        Ok(outcome) => outcome,
        Err(err) => {
            let note = report::failure_note(svc, &err, known_id.as_deref());
            report::warn(ctx, svc, err.reason(), &note).await;
            return Err(err.into());
        }
    };
    if status_is_eip && !dry_run {
        eip_status(ctx, svc, &mut outcome).await?;
    }
    Ok(outcome)
}

/// Whether the Service's spec or annotations changed since its last successful sync (the
/// hash label written then differs), as opposed to its endpoints or the nodes.
fn spec_changed(svc: &Service) -> bool {
    svc.labels().get(HASH_LABEL).map(String::as_str) != Some(slb_model::spec_hash(svc).as_str())
}

/// The Node and EndpointSlice caches have listed. (Never polled through
/// `Store::wait_until_ready`: its single waker would be taken from whoever else waits.)
fn caches_ready(ctx: &Context) -> bool {
    use crate::caches::Cache;
    ctx.listed.has(Cache::Nodes) && ctx.listed.has(Cache::EndpointSlices)
}

/// Nothing the Service's CLB depends on changed since its last successful ensure, nothing
/// the controller wrote on it was changed, and the cached observation of its CLB is fresh
/// (the drift check does not take the fast path).
fn unchanged_since_last_sync(
    ctx: &Context,
    key: &ObjectRef<Service>,
    svc: &Service,
    inputs: u64,
) -> bool {
    ctx.states.synced(key) == Some(fingerprint::of(svc, inputs))
        && svc
            .labels()
            .get(LB_ID_LABEL)
            .is_some_and(|id| ctx.cloud.is_fresh(id))
}

/// The CLB id label's value for a sync's outcome: `None` when there is no CLB, the id when it
/// is one a label can hold.
///
/// # Errors
/// [`Error::MalformedLoadBalancerId`] for an empty id or one that is not a valid label value
/// (at most 63 characters of `[A-Za-z0-9-_.]`, alphanumeric at both ends).
pub fn recorded_id(id: Option<&str>) -> Result<Option<String>, Error> {
    let Some(id) = id else {
        return Ok(None);
    };
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let valid = id.len() <= 63
        && alnum(id.chars().next())
        && alnum(id.chars().last())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(Some(id.to_owned()))
    } else {
        Err(Error::MalformedLoadBalancerId(id.to_owned()))
    }
}

/// After an ensure: the CLB id and spec hash labels, the applied-tags record, the status, and
/// the `EnsuredLoadBalancer` event; returns the Service as written.
async fn ensured(
    ctx: &Context,
    api: &Api<Service>,
    svc: &Service,
    outcome: &SyncOutcome,
) -> Result<Service, Error> {
    let id = match recorded_id(outcome.load_balancer_id.as_deref()) {
        Ok(id) => id,
        Err(err) => {
            report::warn(
                ctx,
                svc,
                slb_model::catalog::EVENT_SYNC_FAILED,
                &err.to_string(),
            )
            .await;
            return Err(err);
        }
    };
    let labels = BTreeMap::from([
        (LB_ID_LABEL, id),
        (HASH_LABEL, Some(slb_model::spec_hash(svc))),
    ]);
    let svc = set_labels(api, svc, &labels)
        .await
        .map_err(Error::UpdateService)?;
    let mut svc = record_applied_tags(api, &svc)
        .await
        .map_err(Error::UpdateService)?;
    let wanted = ingress(
        outcome.address.as_deref(),
        status_hostname(&svc),
        ctx.ingress_ip_mode,
    );
    let written = set_ingress(api, &svc, wanted.clone()).await;
    if written.map_err(Error::UpdateService)? {
        let status = svc.status.get_or_insert_with(Default::default);
        let lb = status.load_balancer.get_or_insert_with(Default::default);
        lb.ingress = Some(wanted);
    }
    report::ensured(ctx, &svc, outcome).await;
    Ok(svc)
}

/// After a cleanup: status and labels cleared, the `CleanLoadBalancer` event, and the
/// finalizer removed last.
async fn cleaned(
    ctx: &Context,
    api: &Api<Service>,
    svc: &Service,
    outcome: &SyncOutcome,
) -> Result<(), Error> {
    set_ingress(api, svc, Vec::new())
        .await
        .map_err(Error::UpdateService)?;
    let cleared = BTreeMap::from([(LB_ID_LABEL, None), (HASH_LABEL, None)]);
    let svc = set_labels(api, svc, &cleared)
        .await
        .map_err(Error::UpdateService)?;
    report::cleaned(ctx, &svc, outcome).await;
    if svc.finalizers().iter().any(|f| f == FINALIZER) {
        remove_finalizer(api, &svc)
            .await
            .map_err(Error::Finalizer)?;
    }
    Ok(())
}

/// `external-ip-type: eip`: the status shows the EIP bound to the CLB instead of its VIP;
/// with none bound, no address and a Warning event saying how to bind one (looked up again
/// at every sync: a Service change, or the drift check).
async fn eip_status(ctx: &Context, svc: &Service, outcome: &mut SyncOutcome) -> Result<(), Error> {
    let Some(id) = outcome.load_balancer_id.clone() else {
        return Ok(());
    };
    match ctx.cloud.bound_eip(&id).await {
        Ok(Some(eip)) => outcome.address = Some(eip),
        Ok(None) => {
            outcome.address = None;
            let note = format!(
                "external-ip-type is eip, but no EIP is bound to CLB {id}, so the status shows \
                 no address. Bind one: AssociateEipAddress with InstanceType=SlbInstance and \
                 InstanceId={id}."
            );
            report::warn(ctx, svc, crate::cloud::EVENT_NO_EIP, &note).await;
        }
        Err(err) => {
            let note = format!("Error looking up the EIP of load balancer {id}: {err}.");
            report::warn(ctx, svc, err.reason(), &note).await;
            return Err(err.into());
        }
    }
    Ok(())
}

/// Retry policy: every failure backs off per Service, 5 s doubling to 300 s (jittered); the
/// count is reset only by a reconcile that succeeds to the end.
#[allow(clippy::needless_pass_by_value)] // the signature kube-runtime's Controller::run expects
pub fn error_policy(svc: Arc<Service>, err: &Error, ctx: Arc<Context>) -> Action {
    let key = ObjectRef::from_obj(&*svc);
    if !still_cached(&ctx.services, &svc) {
        // Deleted while it was reconciled: keep nothing for it (the cache already forgot it).
        tracing::debug!(service = %key, error = %err, "reconcile of a deleted Service failed");
        ctx.states.forget(&key);
        return Action::await_change();
    }
    let delay = ctx.states.failed(&key);
    tracing::warn!(service = %key, error = %err, kind = err.kind(), retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// Whether the Service cache still holds `svc` (the same uid).
fn still_cached(services: &Store<Service>, svc: &Service) -> bool {
    services
        .get(&ObjectRef::from_obj(svc))
        .is_some_and(|cached| cached.metadata.uid == svc.metadata.uid)
}

fn jittered(d: Duration) -> Duration {
    use rand::Rng;
    d.mul_f64(rand::rng().random_range(0.9..=1.1))
}

#[cfg(test)]
mod tests;
