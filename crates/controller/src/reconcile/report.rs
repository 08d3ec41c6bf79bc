//! What a reconcile tells the user: Kubernetes events on the Service (the Go CCMs' reasons,
//! notes cut to the API server's 1 kB) and the texts they carry. Publishing never fails a
//! reconcile: an event that cannot be written is logged and dropped.
//!
//! Not here: deciding what happened (the reconcile does) or event correlation (the
//! [`crate::events::Publisher`] does).

use super::Context;
use crate::cloud::{CloudError, SyncOutcome};
use crate::notices;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};
use slb_model::catalog::{EVENT_CLEAN, EVENT_ENSURED, EVENT_SYNC_FAILED};

/// The event note for a failed sync: the error and the FAQ's remedy, or, when the Service's
/// CLB was deleted outside the cluster, what happened and the commands that make a new one.
pub(super) fn failure_note(svc: &Service, err: &CloudError, known_id: Option<&str>) -> String {
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
pub(super) async fn endpoints_without_node(ctx: &Context, svc: &Service, slices: &[EndpointSlice]) {
    let refs: Vec<&EndpointSlice> = slices.iter().collect();
    let missing = notices::endpoints_without_node(svc, &refs, ctx.cluster.default_eni);
    if !missing.is_empty() {
        let note = notices::endpoints_without_node_note(&missing);
        warn(ctx, svc, notices::EVENT_ENDPOINT_WITHOUT_NODE, &note).await;
    }
}

/// A Warning for each annotation that has no effect (as in the reference CCM, they do not
/// block the sync).
pub(super) async fn annotation_warnings(
    ctx: &Context,
    svc: &Service,
    desired: &slb_model::DesiredLb,
) {
    for w in &desired.annotation_warnings {
        let note = format!("{w}. Remedy: {}", w.remedy());
        warn(ctx, svc, w.kind(), &note).await;
    }
}

/// The Warning for a Service that does not validate: every problem with its remedy.
pub(super) async fn invalid_spec(ctx: &Context, svc: &Service, problems: &[slb_model::ModelError]) {
    let note = problems
        .iter()
        .map(|p| format!("{p} ({})", p.remedy()))
        .collect::<Vec<_>>()
        .join("; ");
    let note = format!("Invalid Service, nothing was changed: {note}");
    warn(ctx, svc, EVENT_SYNC_FAILED, &note).await;
}

/// `EnsuredLoadBalancer`, when the sync made calls: how many, and the plan's notes.
pub(super) async fn ensured(ctx: &Context, svc: &Service, outcome: &SyncOutcome) {
    if outcome.plan.is_empty() {
        return;
    }
    let id = outcome.load_balancer_id.as_deref().unwrap_or_default();
    let mut note = format!(
        "Ensured load balancer [{id}] with {} call(s)",
        outcome.plan.actions.len()
    );
    for n in &outcome.plan.notes {
        note.push_str(&format!("; {n}"));
    }
    publish(ctx, svc, EventType::Normal, EVENT_ENSURED, &note).await;
}

/// `CleanLoadBalancer`: what the cleanup took.
pub(super) async fn cleaned(ctx: &Context, svc: &Service, outcome: &SyncOutcome) {
    let note = if outcome.plan.is_empty() {
        "Clean load balancer: nothing of this Service was left".to_owned()
    } else {
        format!(
            "Clean load balancer: {} call(s)",
            outcome.plan.actions.len()
        )
    };
    publish(ctx, svc, EventType::Normal, EVENT_CLEAN, &note).await;
}

/// `DryRun`: the calls a sync would have made (nothing when in sync).
pub(super) async fn dry_run(ctx: &Context, svc: &Service, outcome: &SyncOutcome) {
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

/// A Warning event.
pub(super) async fn warn(ctx: &Context, svc: &Service, reason: &str, note: &str) {
    publish(ctx, svc, EventType::Warning, reason, note).await;
}

/// Publishes an event on `svc`; a failure is logged, never returned.
#[tracing::instrument(level = "debug", skip_all, fields(service = %svc.name_any(), reason))]
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
