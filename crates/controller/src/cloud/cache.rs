//! Storage of the observation cache: per CLB id, the [`ObservedLb`] as last observed or
//! advanced, and since when. The members of the vServer groups are most of it (a CLB in
//! front of a large cluster has one per node and port: 100,000 at 1,000 Services × 100
//! nodes), so they are kept compact: each distinct string is stored once in a table and a
//! member names its `ServerId`, `ServerIp` and `Description` by their 4-byte index there
//! (20 bytes a member, against 56 with a shared `Arc<str>` for each string and 80 plus three
//! heap strings as a `BackendServer`). A
//! read rebuilds the [`ObservedLb`] as it was stored.
//!
//! Not here: how old an entry may be (the caller says), observing, planning or advancing an
//! observation. Its lock is never held across an `.await`; it is held while an observation
//! is rebuilt from the table (a few microseconds for a few hundred members).

use parking_lot::Mutex;
use slb_model::ObservedLb;
use slb_model::types::{BackendServer, BackendType};
use std::collections::HashMap;
use std::num::NonZeroU32;
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
    entries: HashMap<String, Entry>,
    strings: Strings,
}

/// One CLB: its observation with every group's `backend_servers` moved into `members`.
struct Entry {
    observed: ObservedLb,
    /// The members of `observed.vserver_groups[i]`, in order.
    members: Vec<Box<[Member]>>,
    at: Instant,
}

/// A [`BackendServer`] with its strings as indexes into [`Strings`].
struct Member {
    server_id: StrId,
    server_ip: Option<StrId>,
    description: StrId,
    weight: u32,
    port: u16,
    kind: BackendType,
}

/// A string's place in [`Strings::by_id`], counted from 1 (so an absent one costs nothing).
type StrId = NonZeroU32;

impl ObservationCache {
    /// CLB `id` as stored, when stored less than `max_age` ago.
    pub(super) fn get(&self, id: &str, max_age: Duration) -> Option<ObservedLb> {
        let inner = self.inner.lock();
        let entry = inner.fresh_entry(id, max_age)?;
        Some(entry.observed(&inner.strings))
    }

    /// Whether CLB `id` was stored less than `max_age` ago.
    pub(super) fn is_fresh(&self, id: &str, max_age: Duration) -> bool {
        self.inner.lock().fresh_entry(id, max_age).is_some()
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
        inner.entries.insert(id, entry);
        inner.prune();
    }

    /// Drops CLB `id`'s observation.
    pub(super) fn remove(&self, id: &str) {
        self.inner.lock().entries.remove(id);
    }
}

impl Inner {
    fn fresh_entry(&self, id: &str, max_age: Duration) -> Option<&Entry> {
        let entry = self.entries.get(id)?;
        (entry.at.elapsed() < max_age).then_some(entry)
    }

    /// Frees the strings no member uses any more, once the table has doubled since the
    /// last time (so the cost of a prune, a look at every member, is spread over as many
    /// new strings).
    fn prune(&mut self) {
        if self.strings.ids.len() < self.strings.prune_at.max(STRINGS_KEPT) {
            return;
        }
        let mut used = vec![false; self.strings.by_id.len()];
        for member in self
            .entries
            .values()
            .flat_map(|e| e.members.iter().flatten())
        {
            for id in [
                Some(member.server_id),
                member.server_ip,
                Some(member.description),
            ] {
                if let Some(slot) = id.and_then(|id| used.get_mut(Strings::slot(id))) {
                    *slot = true;
                }
            }
        }
        self.strings.free_unused(&used);
        self.strings.prune_at = self.strings.ids.len() * 2;
    }
}

impl Entry {
    /// The observation as stored, members back in their groups.
    fn observed(&self, strings: &Strings) -> ObservedLb {
        let mut observed = self.observed.clone();
        for (group, members) in observed.vserver_groups.iter_mut().zip(&self.members) {
            group.backend_servers = members.iter().map(|m| m.server(strings)).collect();
        }
        observed
    }
}

impl Member {
    fn server(&self, strings: &Strings) -> BackendServer {
        BackendServer {
            server_id: strings.get(self.server_id).to_owned(),
            r#type: self.kind,
            server_ip: self.server_ip.map(|ip| strings.get(ip).to_owned()),
            port: self.port,
            weight: self.weight,
            description: strings.get(self.description).to_owned(),
        }
    }
}

/// Every distinct string the stored members use, once, by [`StrId`].
#[derive(Default)]
struct Strings {
    /// The strings by `StrId` - 1; `None` where one was freed (reused by the next new one).
    by_id: Vec<Option<Arc<str>>>,
    /// The `StrId` of each string in `by_id`.
    ids: HashMap<Arc<str>, StrId>,
    /// Freed places in `by_id`.
    free: Vec<StrId>,
    /// The table's size at which strings no member uses any more are freed.
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

    /// The id of `s`, added when new.
    fn share(&mut self, s: String) -> StrId {
        if let Some(id) = self.ids.get(s.as_str()) {
            return *id;
        }
        let shared: Arc<str> = Arc::from(s);
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.by_id.push(None);
                Self::id(self.by_id.len())
            }
        };
        if let Some(slot) = self.by_id.get_mut(Self::slot(id)) {
            *slot = Some(Arc::clone(&shared));
        }
        self.ids.insert(shared, id);
        id
    }

    /// String `id` (empty for an id this table never gave, which no member holds).
    fn get(&self, id: StrId) -> &str {
        self.by_id
            .get(Self::slot(id))
            .and_then(Option::as_deref)
            .unwrap_or_default()
    }

    /// Frees every string whose place in `used` is false.
    fn free_unused(&mut self, used: &[bool]) {
        for (slot, string) in self.by_id.iter_mut().enumerate() {
            if used.get(slot).copied().unwrap_or(true) {
                continue;
            }
            if let Some(string) = string.take() {
                self.ids.remove(&string);
                self.free.push(Self::id(slot + 1));
            }
        }
    }

    fn slot(id: StrId) -> usize {
        usize::try_from(id.get() - 1).unwrap_or(usize::MAX)
    }

    /// The id of the `n`th place (from 1). The table holds fewer than 2^32 strings: each is
    /// a distinct member string held in memory.
    fn id(n: usize) -> StrId {
        u32::try_from(n)
            .ok()
            .and_then(NonZeroU32::new)
            .unwrap_or(NonZeroU32::MAX)
    }
}

#[cfg(test)]
mod tests;
