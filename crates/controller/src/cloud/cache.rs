//! Storage of the observation cache: per CLB id, the [`ObservedLb`] as last observed or
//! advanced, and since when. The members of the vServer groups are most of it (a CLB in
//! front of a large cluster has one per node and port: 100,000 at 1,000 Services × 100
//! nodes), so they are kept compact: each string is stored once and shared, a member's
//! `ServerId` with the members of every other CLB on the same node, its `Description` with
//! the rest of its group. A read rebuilds the [`ObservedLb`] as it was stored.
//!
//! Not here: how old an entry may be (the caller says), observing, planning or advancing an
//! observation. Its lock is never held across an `.await` or while an observation is
//! rebuilt.

use parking_lot::Mutex;
use slb_model::ObservedLb;
use slb_model::types::{BackendServer, BackendType};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Observations by CLB id; shared by every clone of a `Cloud`.
#[derive(Default)]
pub(super) struct ObservationCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    strings: Strings,
}

/// One CLB: its observation with every group's `backend_servers` moved into `members`.
struct Entry {
    observed: ObservedLb,
    /// The members of `observed.vserver_groups[i]`, in order.
    members: Vec<Box<[Member]>>,
    at: Instant,
}

/// A [`BackendServer`] with shared strings.
struct Member {
    server_id: Arc<str>,
    server_ip: Option<Arc<str>>,
    description: Arc<str>,
    port: u16,
    weight: u32,
    kind: BackendType,
}

impl ObservationCache {
    /// CLB `id` as stored, when stored less than `max_age` ago.
    pub(super) fn get(&self, id: &str, max_age: Duration) -> Option<ObservedLb> {
        let entry = self.fresh_entry(id, max_age)?;
        Some(entry.observed())
    }

    /// Whether CLB `id` was stored less than `max_age` ago.
    pub(super) fn is_fresh(&self, id: &str, max_age: Duration) -> bool {
        self.fresh_entry(id, max_age).is_some()
    }

    /// When CLB `id`'s stored observation was made, however old.
    pub(super) fn observed_at(&self, id: &str) -> Option<Instant> {
        self.inner.lock().entries.get(id).map(|e| e.at)
    }

    /// Stores `observed` (replacing what was stored for its id) as observed at `at`.
    pub(super) fn insert(&self, mut observed: ObservedLb, at: Instant) {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        let members = observed
            .vserver_groups
            .iter_mut()
            .map(|g| {
                let servers = std::mem::take(&mut g.backend_servers);
                servers
                    .into_iter()
                    .map(|b| inner.strings.member(b))
                    .collect()
            })
            .collect();
        let id = observed.load_balancer_id.clone();
        let entry = Entry {
            observed,
            members,
            at,
        };
        inner.entries.insert(id, Arc::new(entry));
        inner.strings.prune();
    }

    /// Drops CLB `id`'s observation.
    pub(super) fn remove(&self, id: &str) {
        self.inner.lock().entries.remove(id);
    }

    fn fresh_entry(&self, id: &str, max_age: Duration) -> Option<Arc<Entry>> {
        let inner = self.inner.lock();
        let entry = inner.entries.get(id)?;
        (entry.at.elapsed() < max_age).then(|| Arc::clone(entry))
    }
}

impl Entry {
    /// The observation as stored, members back in their groups.
    fn observed(&self) -> ObservedLb {
        let mut observed = self.observed.clone();
        for (group, members) in observed.vserver_groups.iter_mut().zip(&self.members) {
            group.backend_servers = members.iter().map(Member::server).collect();
        }
        observed
    }
}

impl Member {
    fn server(&self) -> BackendServer {
        BackendServer {
            server_id: self.server_id.to_string(),
            r#type: self.kind,
            server_ip: self.server_ip.as_deref().map(str::to_owned),
            port: self.port,
            weight: self.weight,
            description: self.description.to_string(),
        }
    }
}

/// Every distinct string the stored members use, once.
#[derive(Default)]
struct Strings {
    set: HashSet<Arc<str>>,
    /// The set's size at which strings no member uses any more are dropped.
    prune_at: usize,
}

/// Strings kept before the first prune.
const STRINGS_KEPT: usize = 4096;

impl Strings {
    fn member(&mut self, b: BackendServer) -> Member {
        Member {
            server_id: self.share(b.server_id),
            server_ip: b.server_ip.map(|ip| self.share(ip)),
            description: self.share(b.description),
            port: b.port,
            weight: b.weight,
            kind: b.r#type,
        }
    }

    /// The shared copy of `s`.
    fn share(&mut self, s: String) -> Arc<str> {
        if let Some(shared) = self.set.get(s.as_str()) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(s);
        self.set.insert(Arc::clone(&shared));
        shared
    }

    /// Drops the strings only the set still holds, once it has doubled since the last time
    /// (so the cost of a prune is spread over as many insertions as it looks at).
    fn prune(&mut self) {
        if self.set.len() < self.prune_at.max(STRINGS_KEPT) {
            return;
        }
        self.set.retain(|s| Arc::strong_count(s) > 1);
        self.prune_at = self.set.len() * 2;
    }
}

#[cfg(test)]
mod tests;
