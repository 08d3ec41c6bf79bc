//! Everything the controller remembers about one Service between reconciles, in one map:
//! failures in a row (the retry backoff), the [`Fingerprint`] of its last successful ensure
//! (the fast path), how many Node changes mattered to it (kept by the node fan-out, part
//! of that fingerprint), and whether a sync already went ahead for it as a new Service
//! (without looking for its CLB: `Cloud::sync_new`).
//!
//! Keyed by kube-runtime's [`ObjectRef<Service>`] (namespace and name); each entry also holds
//! the Service's uid, so a Service deleted and created again under the same name starts
//! fresh instead of inheriting the old one's failures. One [`ServiceStates::forget`] drops
//! everything: the reconcile calls it when a Service stops being ours or its cleanup is done,
//! the Service cache when a Service is deleted or is missing from a relist.
//!
//! Not here: the retry-delay policy itself ([`crate::backoff`]) or what a fingerprint hashes
//! ([`crate::reconcile`]). Never held across an `.await`.

use crate::backoff::RetryDelays;
use k8s_openapi::api::core::v1::Service;
use kube::runtime::reflector::ObjectRef;
use parking_lot::Mutex;
use prometheus_client::metrics::gauge::Gauge;
use std::collections::HashMap;
use std::time::Duration;

/// What a successful ensure of a Service depended on: its inputs as read *before* the desired
/// CLB was computed, and what the controller wrote on the Service afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// Spec hash, node-change count and EndpointSlice versions, hashed.
    pub inputs: u64,
    /// CLB id label, finalizer and status as written, hashed.
    pub written: u64,
}

/// One Service's state.
#[derive(Debug, Default)]
struct ServiceState {
    /// The uid this state belongs to (`None` until one is seen).
    uid: Option<String>,
    /// Failed reconciles in a row.
    failures: u32,
    /// The last successful ensure.
    synced: Option<Fingerprint>,
    /// Node changes that mattered to the Service.
    node_epoch: u64,
    /// A sync went ahead for it as a new Service (no lookup of an existing CLB).
    synced_as_new: bool,
}

/// Per-Service state of one controller, shared by its reconciles and its caches.
#[derive(Debug, Default)]
pub struct ServiceStates {
    delays: RetryDelays,
    entries: Mutex<HashMap<ObjectRef<Service>, ServiceState>>,
    /// Set to the number of entries after every change.
    tracked: Gauge,
}

impl ServiceStates {
    /// States whose retry delays follow `delays`.
    pub fn new(delays: RetryDelays) -> Self {
        Self {
            delays,
            entries: Mutex::default(),
            tracked: Gauge::default(),
        }
    }

    /// Keeps `gauge` at the number of Services with state (`slb_controller_services_tracked`).
    #[must_use]
    pub fn counted_in(mut self, gauge: Gauge) -> Self {
        gauge.set(self.entries.get_mut().len().try_into().unwrap_or(i64::MAX));
        self.tracked = gauge;
        self
    }

    fn count(&self, entries: &HashMap<ObjectRef<Service>, ServiceState>) {
        self.tracked
            .set(entries.len().try_into().unwrap_or(i64::MAX));
    }

    /// Runs `f` on the state of `key`, created when absent, and reset first when `key`
    /// carries a uid other than the one the state belongs to (the Service was re-created).
    fn with<R>(&self, key: &ObjectRef<Service>, f: impl FnOnce(&mut ServiceState) -> R) -> R {
        let mut entries = self.entries.lock();
        if !entries.contains_key(key) {
            entries.insert(key.clone(), ServiceState::default());
            self.count(&entries);
        }
        let state = entries.entry(key.clone()).or_default();
        if let Some(uid) = &key.extra.uid
            && state.uid.as_ref() != Some(uid)
        {
            *state = ServiceState {
                uid: Some(uid.clone()),
                ..ServiceState::default()
            };
        }
        f(state)
    }

    /// Runs `f` on the state of `key` only if it exists for the uid `key` carries (so a
    /// Service just forgotten is not brought back).
    fn existing(&self, key: &ObjectRef<Service>, f: impl FnOnce(&mut ServiceState)) {
        let mut entries = self.entries.lock();
        if let Some(state) = entries.get_mut(key)
            && (key.extra.uid.is_none() || key.extra.uid == state.uid)
        {
            f(state);
        }
    }

    /// Reads the state of `key` without creating one; `None` when absent or kept for another
    /// uid.
    fn peek<R>(&self, key: &ObjectRef<Service>, f: impl FnOnce(&ServiceState) -> R) -> Option<R> {
        let entries = self.entries.lock();
        let state = entries.get(key)?;
        match (&key.extra.uid, &state.uid) {
            (Some(asked), Some(kept)) if asked != kept => None,
            _ => Some(f(state)),
        }
    }

    /// Records a failed reconcile of `key`; returns how long to wait before the next try
    /// (jittered).
    pub fn failed(&self, key: &ObjectRef<Service>) -> Duration {
        let count = self.with(key, |s| {
            s.failures = s.failures.saturating_add(1);
            s.failures
        });
        self.delays.jittered(count)
    }

    /// A reconcile of `key` succeeded: the next failure waits the shortest delay again.
    pub fn succeeded(&self, key: &ObjectRef<Service>) {
        self.existing(key, |s| s.failures = 0);
    }

    /// Failed reconciles of `key` in a row.
    pub fn failures(&self, key: &ObjectRef<Service>) -> u32 {
        self.peek(key, |s| s.failures).unwrap_or(0)
    }

    /// The fingerprint of the last successful ensure of `key`.
    pub fn synced(&self, key: &ObjectRef<Service>) -> Option<Fingerprint> {
        self.peek(key, |s| s.synced).flatten()
    }

    /// Records (`Some`) or clears (`None`) the fingerprint of `key`'s last successful ensure.
    pub fn set_synced(&self, key: &ObjectRef<Service>, fingerprint: Option<Fingerprint>) {
        match fingerprint {
            Some(_) => self.with(key, |s| s.synced = fingerprint),
            None => self.existing(key, |s| s.synced = None),
        }
    }

    /// How many Node changes mattered to `key`.
    pub fn node_epoch(&self, key: &ObjectRef<Service>) -> u64 {
        self.peek(key, |s| s.node_epoch).unwrap_or(0)
    }

    /// A Node change matters to `key`.
    pub fn bump_node_epoch(&self, key: &ObjectRef<Service>) {
        self.with(key, |s| s.node_epoch = s.node_epoch.wrapping_add(1));
    }

    /// Whether a sync of `key` may skip looking for an existing CLB, as a Service that never
    /// carried the finalizer: true the first time it is asked for a uid, false after that
    /// (that first sync may have created the CLB while the cache still shows the Service
    /// without the finalizer, and a second create would make a second CLB).
    pub fn first_sync_as_new(&self, key: &ObjectRef<Service>) -> bool {
        self.with(key, |s| !std::mem::replace(&mut s.synced_as_new, true))
    }

    /// Drops everything kept about `key` (whatever its uid).
    pub fn forget(&self, key: &ObjectRef<Service>) {
        let mut entries = self.entries.lock();
        if entries.remove(key).is_some() {
            self.count(&entries);
        }
    }

    /// Drops the state of every Service for which `keep` says no (after a relist: the
    /// Services that are gone).
    pub fn retain(&self, mut keep: impl FnMut(&ObjectRef<Service>) -> bool) {
        let mut entries = self.entries.lock();
        entries.retain(|key, _| keep(key));
        self.count(&entries);
    }

    /// How many Services have state.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether no Service has state.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
