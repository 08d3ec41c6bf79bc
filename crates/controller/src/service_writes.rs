//! The few writes the controller makes to a Service, each minimal and conflict-safe:
//! the finalizer (added before any cloud change, removed last), the status
//! (`status.loadBalancer.ingress`, patched only when it changed) and the reference CCM's labels
//! (`service.k8s.alibaba/loadbalancer-id`, the spec hash).
//!
//! Finalizer and label writes are JSON merge patches that carry the `resourceVersion` they were
//! computed from, so a concurrent change makes the API server answer 409 instead of one write
//! silently undoing another; the caller re-reads from its cache and tries again. Labels go
//! through the main resource, not `/status` (the Go CCM's §12.7 quirk).

use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, Service};
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub use slb_model::FINALIZER;
/// Label holding the id of the Service's CLB.
pub const LB_ID_LABEL: &str = "service.k8s.alibaba/loadbalancer-id";
/// Label holding the hash of the Service spec last synced successfully.
pub const HASH_LABEL: &str = "service.beta.kubernetes.io/hash";
/// Field manager for every write of the controller.
pub const FIELD_MANAGER: &str = "slb-ccm";

/// Adds [`FINALIZER`] unless present. Returns the Service as the API server stored it.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
pub async fn add_finalizer(api: &Api<Service>, svc: &Service) -> Result<Service, kube::Error> {
    if svc.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(svc.clone());
    }
    let mut finalizers = svc.finalizers().to_vec();
    finalizers.push(FINALIZER.to_owned());
    patch_metadata(api, svc, json!({ "finalizers": finalizers })).await
}

/// Removes [`FINALIZER`], keeping everyone else's. Returns the Service as stored.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
pub async fn remove_finalizer(api: &Api<Service>, svc: &Service) -> Result<Service, kube::Error> {
    if !svc.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(svc.clone());
    }
    let finalizers: Vec<&String> = svc
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .collect();
    patch_metadata(api, svc, json!({ "finalizers": finalizers })).await
}

/// Sets (`Some`) or removes (`None`) labels; a no-op when they already are so.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
pub async fn set_labels(
    api: &Api<Service>,
    svc: &Service,
    labels: &BTreeMap<&str, Option<String>>,
) -> Result<Service, kube::Error> {
    let current = svc.labels();
    let changes: serde_json::Map<String, Value> = labels
        .iter()
        .filter(|(k, v)| current.get(**k) != v.as_ref())
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                v.as_ref().map_or(Value::Null, |v| json!(v)),
            )
        })
        .collect();
    if changes.is_empty() {
        return Ok(svc.clone());
    }
    patch_metadata(api, svc, json!({ "labels": changes })).await
}

/// The ingress list for a CLB: its address, or only the hostname when the `hostname`
/// annotation is set (as the reference does). `ip_mode` is `Proxy` where the load balancer
/// proxies (so kube-proxy does not short-circuit in-cluster traffic, the FAQ's hairpin case),
/// or `VIP`.
pub fn ingress(
    address: Option<&str>,
    hostname: Option<&str>,
    ip_mode: &str,
) -> Vec<LoadBalancerIngress> {
    match (hostname, address) {
        (Some(host), _) => vec![LoadBalancerIngress {
            hostname: Some(host.into()),
            ..Default::default()
        }],
        (None, Some(ip)) => vec![LoadBalancerIngress {
            ip: Some(ip.into()),
            ip_mode: Some(ip_mode.into()),
            ..Default::default()
        }],
        (None, None) => Vec::new(),
    }
}

/// Patches `status.loadBalancer.ingress` to `ingress` unless it already is exactly that.
/// Returns whether a write happened.
///
/// # Errors
/// The API error.
pub async fn set_ingress(
    api: &Api<Service>,
    svc: &Service,
    ingress: Vec<LoadBalancerIngress>,
) -> Result<bool, kube::Error> {
    let current = svc
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.clone())
        .unwrap_or_default();
    if current == ingress {
        return Ok(false);
    }
    let status = LoadBalancerStatus {
        ingress: Some(ingress),
    };
    let patch = json!({ "status": { "loadBalancer": status } });
    api.patch_status(
        &svc.name_any(),
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(true)
}

async fn patch_metadata(
    api: &Api<Service>,
    svc: &Service,
    mut metadata: Value,
) -> Result<Service, kube::Error> {
    if let (Some(rv), Some(map)) = (svc.resource_version(), metadata.as_object_mut()) {
        map.insert("resourceVersion".into(), json!(rv));
    }
    let patch = json!({ "metadata": metadata });
    api.patch(
        &svc.name_any(),
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Merge(&patch),
    )
    .await
}
