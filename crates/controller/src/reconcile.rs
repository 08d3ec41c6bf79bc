//! One reconcile of one Service, in the order of DESIGN.md "The path of one Service" and the
//! Go service controller: classify, add the finalizer before any cloud change, compute the
//! desired CLB from the informer caches (no live GETs), sync it through [`Cloud`], then write
//! labels and status only when they changed, and say what happened in an event.
//!
//! Deletion (Service deleted, or no longer a LoadBalancer of ours) runs the same sync with a
//! delete intent, then clears status and labels and removes the finalizer last.
//! Errors go to [`error_policy`]: per-Service backoff 5 s → 300 s; invalid specs are reported
//! once and wait for a change instead of looping.

use crate::backoff::Backoff;
use crate::cloud::{Cloud, CloudError, SyncOutcome};
use crate::notices;
use crate::service_writes::{
    FINALIZER, HASH_LABEL, IngressIpMode, LB_ID_LABEL, add_finalizer, ingress, record_applied_tags,
    remove_finalizer, set_ingress, set_labels, status_hostname,
};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::reflector::Store;
use kube::{Api, Client, Resource, ResourceExt};
use slb_model::catalog::{EVENT_CLEAN, EVENT_ENSURED, EVENT_SYNC_FAILED};
use slb_model::{ClusterContext, Intent, PlanOptions};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The label telling which Service an EndpointSlice belongs to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Everything a reconcile needs; shared by all reconciles.
pub struct Context {
    /// Client for writes (finalizer, labels, status).
    pub client: Client,
    /// The cloud.
    pub cloud: Cloud,
    /// Cluster id, region, VPC, local mode.
    pub cluster: ClusterContext,
    /// Batch size and backend quota.
    pub plan_options: PlanOptions,
    /// Informer cache of Nodes.
    pub nodes: Store<Node>,
    /// Informer cache of EndpointSlices, by Service.
    pub slices: crate::caches::ServiceSlices,
    /// Which caches have listed.
    pub listed: crate::caches::Listed,
    /// Event publisher (a changed message is a new event).
    pub recorder: crate::events::Publisher,
    /// Per-Service retry delays.
    pub backoff: Backoff,
    /// Plan only: emit the plan as events and logs, change nothing.
    pub dry_run: bool,
    /// The `ipMode` written with the CLB's IP (none by default, as the reference).
    pub ingress_ip_mode: IngressIpMode,
    /// Requeue interval after a success (drift repair), before jitter.
    pub drift_interval: Duration,
    /// Reconcile metrics.
    pub metrics: crate::metrics::Metrics,
    /// When registering nodes (local mode): keeps the local CLB's inventory in step.
    pub inventory: Option<Arc<crate::inventory::InventorySync>>,
    /// Per Service, the [`Fingerprint`] of its last successful ensure.
    pub synced: std::sync::Mutex<std::collections::HashMap<String, Fingerprint>>,
    /// Per Service, the Node changes that mattered to it (kept by the node fan-out).
    pub node_epochs: Arc<crate::fanout::NodeEpochs>,
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
    /// The cloud sync failed.
    #[error(transparent)]
    Sync(#[from] CloudError),
    /// The nodes could not be registered with the local CLB.
    #[error(transparent)]
    Register(#[from] crate::inventory::RegisterError),
    /// The Service lacks a namespace (never from the API server).
    #[error("the Service has no namespace")]
    NoNamespace,
}

impl Error {
    /// Stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Finalizer(_) => "finalizer",
            Error::UpdateService(_) => "update_service",
            Error::Sync(e) => e.kind(),
            Error::Register(_) => "register_nodes",
            Error::NoNamespace => "no_namespace",
        }
    }
}

/// Reconciles one Service.
///
/// # Errors
/// See [`Error`]; the caller's [`error_policy`] decides when to retry.
pub async fn reconcile(svc: Arc<Service>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = tokio::time::Instant::now();
    ctx.metrics.reconciles.inc();
    let result = reconcile_inner(svc, &ctx).await;
    ctx.metrics
        .duration
        .observe(started.elapsed().as_secs_f64());
    if let Err(err) = &result {
        let kind = crate::metrics::KindLabel {
            kind: err.kind().to_owned(),
        };
        ctx.metrics.failures.get_or_create(&kind).inc();
    }
    result
}

async fn reconcile_inner(svc: Arc<Service>, ctx: &Arc<Context>) -> Result<Action, Error> {
    let ctx = Arc::clone(ctx);
    let class = ctx.cluster.load_balancer_class.as_deref();
    let wants = slb_model::wants_lb(&svc, class);
    let cleanup = slb_model::needs_cleanup(&svc, class);
    let ns = svc.namespace().ok_or(Error::NoNamespace)?;
    let key = format!("{ns}/{}", svc.name_any());
    if !wants && !cleanup {
        // Not ours (any more): keep no per-Service state for it.
        forget_sync(&ctx, &key);
        ctx.node_epochs.remove(&key);
        return Ok(Action::await_change());
    }
    // Never compute backends from a cache that has not listed yet (an empty Node cache would
    // read as "no nodes" and empty every group). Come back shortly instead of waiting here:
    // a reconcile that waits cannot finish, and a graceful shutdown waits for running ones.
    if !caches_ready(&ctx) {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let api: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);

    // Fast path: nothing this Service's CLB depends on changed since its last successful
    // sync, and the cached observation is still fresh (the drift check does not take it).
    let ensuring = wants && svc.metadata.deletion_timestamp.is_none() && !ctx.dry_run;
    // The inputs, read once: the fingerprint and the desired CLB see the same slices, and the
    // node-change count is read before the Node cache (a change landing later makes it differ).
    let node_epoch = ctx.node_epochs.get(&key);
    let slices = ctx.slices.of(&ns, &svc.name_any());
    let inputs = inputs_fingerprint(&svc, node_epoch, &slices);
    if ensuring && unchanged_since_last_sync(&ctx, &key, &svc, inputs) {
        ctx.metrics.fast_path.inc();
        return Ok(Action::requeue(jittered(ctx.drift_interval)));
    }
    forget_sync(&ctx, &key);

    // Finalizer first: a Service that never carried it cannot have a CLB of ours yet.
    let new_service = ensuring && !svc.finalizers().iter().any(|f| f == FINALIZER);
    let svc = if new_service {
        Arc::new(add_finalizer(&api, &svc).await.map_err(Error::Finalizer)?)
    } else {
        svc
    };

    let nodes = ctx.nodes.state();
    if let Some(inventory) = &ctx.inventory {
        // Backends must name instances the local CLB knows (usually nothing to send).
        inventory.ensure(&nodes).await?;
    }
    // Only this Service's slices are copied, and only past the fast path (slb-model takes
    // owned slices).
    let slices: Vec<EndpointSlice> = slices.iter().map(|s| EndpointSlice::clone(s)).collect();
    let desired = match slb_model::desired(&svc, &nodes, &slices, &ctx.cluster) {
        Ok(d) => {
            if ensuring {
                warn_endpoints_without_node(&ctx, &svc, &slices).await;
            }
            // Annotations that have no effect (as in the reference CCM) do not block the sync.
            for w in &d.annotation_warnings {
                warn(
                    &ctx,
                    &svc,
                    w.kind(),
                    &format!("{w}. Remedy: {}", w.remedy()),
                )
                .await;
            }
            d
        }
        Err(problems) => {
            let note = problems
                .iter()
                .map(|p| format!("{p} ({})", p.remedy()))
                .collect::<Vec<_>>()
                .join("; ");
            warn(
                &ctx,
                &svc,
                EVENT_SYNC_FAILED,
                &format!("Invalid Service, nothing was changed: {note}"),
            )
            .await;
            // Nothing will get better until the Service changes.
            return Ok(Action::await_change());
        }
    };
    let intent = desired.intent;
    let status_is_eip = desired.status_is_eip && matches!(intent, Intent::Ensure);
    let known_id = svc.labels().get(LB_ID_LABEL).cloned();
    if spec_changed(&svc) {
        // The user changed the Service: plan against the CLB as the cloud has it now, so a
        // console change (a weight, an attribute) is reverted on this sync.
        for id in known_id.iter().chain(desired.reuse_id.iter()) {
            ctx.cloud.invalidate(id);
        }
    }
    let synced = if new_service && known_id.is_none() {
        ctx.cloud
            .sync_new(desired, &ctx.plan_options, ctx.dry_run)
            .await
    } else {
        ctx.cloud
            .sync(desired, known_id.as_deref(), &ctx.plan_options, ctx.dry_run)
            .await
    };
    let mut outcome = match synced {
        Ok(outcome) => outcome,
        Err(err) => {
            let note = failure_note(&svc, &err, known_id.as_deref());
            warn(&ctx, &svc, err.reason(), &note).await;
            return Err(err.into());
        }
    };
    if status_is_eip && !ctx.dry_run {
        eip_status(&ctx, &svc, &mut outcome).await?;
    }
    ctx.backoff.succeeded(&key);
    if ctx.dry_run {
        report_dry_run(&ctx, &svc, &outcome).await;
        return Ok(Action::requeue(ctx.drift_interval));
    }
    match intent {
        Intent::Ensure => {
            let svc = ensured(&ctx, &api, &svc, &outcome).await?;
            let done = Fingerprint {
                inputs,
                written: written_fingerprint(&svc),
            };
            ctx.synced
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, done);
        }
        Intent::Delete => {
            cleaned(&ctx, &api, &svc, &outcome).await?;
            ctx.node_epochs.remove(&key);
        }
    }
    Ok(Action::requeue(jittered(ctx.drift_interval)))
}

/// Whether the Service's spec or annotations changed since its last successful sync (the
/// hash label written then differs), as opposed to its endpoints or the nodes.
fn spec_changed(svc: &Service) -> bool {
    svc.labels().get(HASH_LABEL).map(String::as_str) != Some(slb_model::spec_hash(svc).as_str())
}

/// The event note for a failed sync: the error and the FAQ's remedy, or, when the Service's
/// CLB was deleted outside the cluster, what happened and the commands that make a new one.
fn failure_note(svc: &Service, err: &CloudError, known_id: Option<&str>) -> String {
    if let CloudError::Plan(slb_model::PlanError::NotFoundButInStatus { ips }) = err {
        let ns = svc.namespace().unwrap_or_default();
        return notices::deleted_outside(&ns, &svc.name_any(), known_id, ips);
    }
    let remedy = err
        .remedy()
        .map(|r| format!(" Remedy: {r}"))
        .unwrap_or_default();
    format!("Error syncing load balancer: {err}.{remedy}")
}

/// A Warning naming the Local-policy endpoints that get no backend for lack of a node.
async fn warn_endpoints_without_node(ctx: &Context, svc: &Service, slices: &[EndpointSlice]) {
    let refs: Vec<&EndpointSlice> = slices.iter().collect();
    let missing = notices::endpoints_without_node(svc, &refs, ctx.cluster.default_eni);
    if !missing.is_empty() {
        let note = notices::endpoints_without_node_note(&missing);
        warn(ctx, svc, notices::EVENT_ENDPOINT_WITHOUT_NODE, &note).await;
    }
}

/// The Node and EndpointSlice caches have listed. (Never polled through
/// `Store::wait_until_ready`: its single waker would be taken from whoever else waits.)
fn caches_ready(ctx: &Context) -> bool {
    use crate::caches::Cache;
    ctx.listed.has(Cache::Nodes) && ctx.listed.has(Cache::EndpointSlices)
}

/// What a successful reconcile of a Service depended on: its inputs as read *before* the
/// desired CLB was computed (so a change arriving during the reconcile never hides behind
/// it), and what the controller wrote on the Service afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    inputs: u64,
    written: u64,
}

/// The spec hash, the count of Node changes that mattered to the Service and the versions of
/// its EndpointSlices: everything the desired CLB is computed from besides the Node cache.
fn inputs_fingerprint(svc: &Service, node_epoch: u64, slices: &[Arc<EndpointSlice>]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    slb_model::spec_hash(svc).hash(&mut h);
    node_epoch.hash(&mut h);
    let mut versions: Vec<(String, String)> = slices
        .iter()
        .map(|s| (s.name_any(), s.resource_version().unwrap_or_default()))
        .collect();
    versions.sort();
    versions.hash(&mut h);
    h.finish()
}

/// What the controller writes on the Service: CLB id label, finalizer, status.
fn written_fingerprint(svc: &Service) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    svc.labels().get(LB_ID_LABEL).hash(&mut h);
    svc.finalizers().iter().any(|f| f == FINALIZER).hash(&mut h);
    serde_json::to_string(&svc.status)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

fn unchanged_since_last_sync(ctx: &Context, key: &str, svc: &Service, inputs: u64) -> bool {
    let last = ctx
        .synced
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(key)
        .copied();
    let now = Fingerprint {
        inputs,
        written: written_fingerprint(svc),
    };
    last == Some(now)
        && svc
            .labels()
            .get(LB_ID_LABEL)
            .is_some_and(|id| ctx.cloud.is_fresh(id))
}

fn forget_sync(ctx: &Context, key: &str) {
    ctx.synced
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(key);
}

async fn ensured(
    ctx: &Context,
    api: &Api<Service>,
    svc: &Service,
    outcome: &SyncOutcome,
) -> Result<Service, Error> {
    let labels = BTreeMap::from([
        (LB_ID_LABEL, outcome.load_balancer_id.clone()),
        (HASH_LABEL, Some(slb_model::spec_hash(svc))),
    ]);
    let svc = set_labels(api, svc, &labels)
        .await
        .map_err(Error::UpdateService)?;
    let svc = record_applied_tags(api, &svc)
        .await
        .map_err(Error::UpdateService)?;
    let hostname = status_hostname(&svc);
    let wanted = ingress(outcome.address.as_deref(), hostname, ctx.ingress_ip_mode);
    let mut svc = svc;
    if set_ingress(api, &svc, wanted.clone())
        .await
        .map_err(Error::UpdateService)?
    {
        let status = svc.status.get_or_insert_with(Default::default);
        status
            .load_balancer
            .get_or_insert_with(Default::default)
            .ingress = Some(wanted);
    }
    if !outcome.plan.is_empty() {
        let id = outcome.load_balancer_id.as_deref().unwrap_or_default();
        let mut note = format!(
            "Ensured load balancer [{id}] with {} call(s)",
            outcome.plan.actions.len()
        );
        for n in &outcome.plan.notes {
            note.push_str(&format!("; {n}"));
        }
        publish(ctx, &svc, EventType::Normal, EVENT_ENSURED, &note).await;
    }
    Ok(svc)
}

async fn cleaned(
    ctx: &Context,
    api: &Api<Service>,
    svc: &Service,
    outcome: &SyncOutcome,
) -> Result<(), Error> {
    let svc = set_ingress(api, svc, Vec::new())
        .await
        .map(|_| svc)
        .map_err(Error::UpdateService)?;
    let svc = set_labels(
        api,
        svc,
        &BTreeMap::from([(LB_ID_LABEL, None), (HASH_LABEL, None)]),
    )
    .await
    .map_err(Error::UpdateService)?;
    let note = if outcome.plan.is_empty() {
        "Clean load balancer: nothing of this Service was left".to_owned()
    } else {
        format!(
            "Clean load balancer: {} call(s)",
            outcome.plan.actions.len()
        )
    };
    publish(ctx, &svc, EventType::Normal, EVENT_CLEAN, &note).await;
    if svc.finalizers().iter().any(|f| f == FINALIZER) {
        remove_finalizer(api, &svc)
            .await
            .map_err(Error::Finalizer)?;
    }
    Ok(())
}

async fn report_dry_run(ctx: &Context, svc: &Service, outcome: &SyncOutcome) {
    if outcome.plan.is_empty() {
        return;
    }
    let calls: Vec<&str> = outcome
        .plan
        .actions
        .iter()
        .map(slb_model::Action::api_name)
        .collect();
    tracing::info!(service = %svc.name_any(), ?calls, "dry run: would call");
    let note = format!("DryRun: would call {}", calls.join(", "));
    publish(ctx, svc, EventType::Normal, "DryRun", &note).await;
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
            warn(ctx, svc, crate::cloud::EVENT_NO_EIP, &note).await;
        }
        Err(err) => {
            let note = format!("Error looking up the EIP of load balancer {id}: {err}.");
            warn(ctx, svc, err.reason(), &note).await;
            return Err(err.into());
        }
    }
    Ok(())
}

async fn warn(ctx: &Context, svc: &Service, reason: &str, note: &str) {
    publish(ctx, svc, EventType::Warning, reason, note).await;
}

async fn publish(ctx: &Context, svc: &Service, type_: EventType, reason: &str, note: &str) {
    // Events are limited to 1 kB of note by the API server.
    let note: String = note.chars().take(1000).collect();
    let event = Event {
        type_,
        reason: reason.to_owned(),
        note: Some(note),
        action: "SyncLoadBalancer".into(),
        secondary: None,
    };
    if let Err(err) = ctx.recorder.publish(&event, &svc.object_ref(&())).await {
        tracing::warn!(service = %svc.name_any(), error = %err, "publishing an event failed");
    }
}

/// Retry policy: throttling and other errors back off per Service, 5 s doubling to 300 s.
#[allow(clippy::needless_pass_by_value)] // the signature kube-runtime's Controller::run expects
pub fn error_policy(svc: Arc<Service>, err: &Error, ctx: Arc<Context>) -> Action {
    let key = format!("{}/{}", svc.namespace().unwrap_or_default(), svc.name_any());
    let delay = ctx.backoff.failed_jittered(&key);
    tracing::warn!(service = %key, error = %err, kind = err.kind(), retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

fn jittered(d: Duration) -> Duration {
    use rand::Rng;
    d.mul_f64(rand::rng().random_range(0.9..=1.1))
}
