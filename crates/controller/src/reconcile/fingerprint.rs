//! The fast path's fingerprints: what a Service's CLB is computed from (spec hash, the count
//! of Node changes that mattered to it, its EndpointSlices' versions) and what the controller
//! wrote on the Service (CLB id label, finalizer, status). When both match the last
//! successful ensure, and the cached CLB observation is fresh, a reconcile has nothing to do.
//!
//! Pure hashing; the fingerprints are kept in [`crate::service_state`].

use crate::service_state::Fingerprint;
use crate::service_writes::{FINALIZER, LB_ID_LABEL};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The spec hash, the count of Node changes that mattered to the Service and the versions of
/// its EndpointSlices: everything the desired CLB is computed from besides the Node cache.
pub fn inputs(svc: &Service, node_epoch: u64, slices: &[Arc<EndpointSlice>]) -> u64 {
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
pub fn written(svc: &Service) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    svc.labels().get(LB_ID_LABEL).hash(&mut h);
    svc.finalizers().iter().any(|f| f == FINALIZER).hash(&mut h);
    serde_json::to_string(&svc.status)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

/// The fingerprint of `svc` as it is now, for inputs hashed to `inputs`.
pub fn of(svc: &Service, inputs: u64) -> Fingerprint {
    Fingerprint {
        inputs,
        written: written(svc),
    }
}
