//! Which EndpointSlices belong to which Service: an index from `(namespace, service name)`
//! (the `kubernetes.io/service-name` label) to the names of that Service's slices, kept from
//! the EndpointSlice watch events, so a reconcile reads its own slices instead of scanning
//! every slice of the cluster.
//!
//! [`SliceIndex`] is pure bookkeeping over watch events: it holds names, not slices (the
//! reflector's store already holds each slice once; [`ServiceSlices`] resolves the names
//! through it). A relist is buffered and replaces the index at its end, as the store does, so
//! slices that vanished while the watch was broken are dropped.
//!
//! Not here: the watch itself (the caches' feed hands every event to [`SliceIndex::apply`]).

use crate::reconcile::SERVICE_NAME_LABEL;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use parking_lot::RwLock;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// `(namespace, name)` of a Service, or of an EndpointSlice.
type Key = (String, String);

/// The slices of each Service, by name, as the watch events left them.
#[derive(Debug, Default)]
pub struct SliceIndex {
    live: Entries,
    /// The relist in progress (between `Init` and `InitDone`), if any.
    relist: Option<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_service: HashMap<Key, BTreeSet<String>>,
    /// Each indexed slice's Service, to move or drop it when the slice changes.
    owner: HashMap<Key, Key>,
}

impl SliceIndex {
    /// Applies one watch event (after the reflector applied it to the store).
    pub fn apply(&mut self, event: &watcher::Event<EndpointSlice>) {
        match event {
            watcher::Event::Apply(slice) => self.live.upsert(slice),
            watcher::Event::Delete(slice) => self.live.remove(&slice_key(slice)),
            watcher::Event::Init => self.relist = Some(Entries::default()),
            watcher::Event::InitApply(slice) => {
                self.relist
                    .get_or_insert_with(Entries::default)
                    .upsert(slice);
            }
            watcher::Event::InitDone => {
                if let Some(listed) = self.relist.take() {
                    self.live = listed;
                }
            }
        }
    }

    /// Names of the slices of Service `name` in `namespace`, in name order.
    pub fn slices_of(&self, namespace: &str, name: &str) -> Vec<String> {
        let key = (namespace.to_owned(), name.to_owned());
        self.live
            .by_service
            .get(&key)
            .map(|names| names.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl Entries {
    /// Indexes `slice` under its Service now, leaving the one it named before (if another).
    fn upsert(&mut self, slice: &EndpointSlice) {
        let key = slice_key(slice);
        let service = slice
            .labels()
            .get(SERVICE_NAME_LABEL)
            .map(|svc| (key.0.clone(), svc.clone()));
        if self.owner.get(&key) == service.as_ref() {
            return;
        }
        self.remove(&key);
        if let Some(service) = service {
            self.by_service
                .entry(service.clone())
                .or_default()
                .insert(key.1.clone());
            self.owner.insert(key, service);
        }
    }

    fn remove(&mut self, key: &Key) {
        let Some(service) = self.owner.remove(key) else {
            return;
        };
        if let Some(names) = self.by_service.get_mut(&service) {
            names.remove(&key.1);
            if names.is_empty() {
                self.by_service.remove(&service);
            }
        }
    }
}

fn slice_key(slice: &EndpointSlice) -> Key {
    (slice.namespace().unwrap_or_default(), slice.name_any())
}

/// A Service's slices from the caches: the index's names resolved through the store. Cheap to
/// clone; shared by the caches' feed (writer) and every reconcile (readers).
#[derive(Clone)]
pub struct ServiceSlices {
    store: Store<EndpointSlice>,
    index: Arc<RwLock<SliceIndex>>,
}

impl ServiceSlices {
    /// Over the reflector's `store`, with an empty index.
    pub fn new(store: Store<EndpointSlice>) -> Self {
        ServiceSlices {
            store,
            index: Arc::default(),
        }
    }

    /// Records one watch event in the index.
    pub fn apply(&self, event: &watcher::Event<EndpointSlice>) {
        self.index.write().apply(event);
    }

    /// The slices of Service `name` in `namespace`. The store is written just before the
    /// index, so a slice may have moved on meanwhile: only those still labelled for the
    /// Service are returned.
    pub fn of(&self, namespace: &str, name: &str) -> Vec<Arc<EndpointSlice>> {
        let names = self.index.read().slices_of(namespace, name);
        names
            .iter()
            .filter_map(|slice| self.store.get(&ObjectRef::new(slice).within(namespace)))
            .filter(|s| s.labels().get(SERVICE_NAME_LABEL).map(String::as_str) == Some(name))
            .collect()
    }
}

#[cfg(test)]
mod tests;
