//! A listener's live backend pool: the shared per-backend state (health, active count, kill
//! switch), selection under a short lock, and the diff that applies a new backend list.
//!
//! Draining lives here too: a backend that leaves (removed, or weight set to 0) is either
//! killed at once (drain off) or after the drain timeout (drain on); connections to it watch
//! its kill token. Backends that stay keep their `Arc<Backend>` so their connections live on.
//! This module does not open sockets and does not run health probes (see `health::probe`).

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::metrics::gauge::Gauge;
use tokio_util::sync::CancellationToken;

use crate::config::{BackendConfig, DrainConfig, HttpConfig, ListenerConfig};
use crate::health::report::BackendHealth;
use crate::metrics::ListenerMetrics;
use crate::select::{Candidate, Select, Selector, backend_id, flow_hash};

/// Live state of one backend under one listener.
#[derive(Debug)]
pub struct Backend {
    /// Where connections go.
    pub addr: SocketAddr,
    /// [`backend_id`] of `addr`, computed once (every pick lists every backend's id).
    id: u64,
    healthy: AtomicBool,
    /// A probe has given a verdict since health checking started for this backend.
    checked: AtomicBool,
    active: AtomicU32,
    draining: AtomicBool,
    drain_epoch: AtomicU64,
    /// Cancelled when this backend's existing connections must close.
    pub kill: CancellationToken,
}

/// Decrements the backend's active count (and the listener gauge) when a connection ends.
#[derive(Debug)]
pub struct ActiveGuard {
    backend: Arc<Backend>,
    /// The listener's `active` gauge (only this handle: cloning all of `ListenerMetrics` per
    /// request cost an allocation and a dozen reference counts).
    active: Gauge,
}

#[derive(Debug)]
struct Entry {
    backend: Arc<Backend>,
    weight: u8,
}

#[derive(Debug)]
struct PoolState {
    entries: Vec<Entry>,
    selector: Selector,
    /// Reused candidate buffer: no allocation per pick.
    scratch: Vec<Candidate>,
    backend_ips: HashSet<IpAddr>,
    config: ListenerConfig,
    /// `config.http`, shared with the HTTP connections that started under it.
    http: Arc<HttpConfig>,
}

/// The backends of one listener and the settings connections read.
#[derive(Debug)]
pub struct Pool {
    /// Listener id for logs.
    pub id: Arc<str>,
    /// Cached metric handles.
    pub metrics: ListenerMetrics,
    state: Mutex<PoolState>,
}

/// Why a new connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The client is one of the listener's backends (hairpin refusal).
    Hairpin,
    /// The listener's ACL refuses the client.
    Acl,
}

/// Settings a new connection or flow reads once, at accept time.
#[derive(Debug, Clone, Copy)]
pub struct ConnSettings {
    /// Send a PROXY v2 header.
    pub proxy_protocol_v2: bool,
    /// Upstream connect timeout.
    pub connect_timeout: std::time::Duration,
    /// UDP idle timeout.
    pub udp_idle_timeout: std::time::Duration,
    /// TCP idle (established) timeout.
    pub idle_timeout: Option<std::time::Duration>,
}

// === impl Backend ===

impl Backend {
    fn new(addr: SocketAddr, healthy: bool) -> Arc<Self> {
        Arc::new(Self {
            addr,
            id: backend_id(addr),
            healthy: AtomicBool::new(healthy),
            checked: AtomicBool::new(false),
            active: AtomicU32::new(0),
            draining: AtomicBool::new(false),
            drain_epoch: AtomicU64::new(0),
            kill: CancellationToken::new(),
        })
    }

    /// The backend's id for session cookies ([`backend_id`] of its address).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether health checks currently pass.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Set by the health prober.
    pub fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::Relaxed);
    }

    /// Set by the health prober after each verdict; cleared when health checking stops.
    pub fn set_checked(&self, checked: bool) {
        self.checked.store(checked, Ordering::Release);
    }

    /// What the health checker says about this backend (see [`BackendHealth`]).
    pub fn health(&self) -> BackendHealth {
        if !self.checked.load(Ordering::Acquire) {
            BackendHealth::Unchecked
        } else if self.is_healthy() {
            BackendHealth::Healthy
        } else {
            BackendHealth::Unhealthy
        }
    }

    /// Connections or flows open now.
    pub fn active(&self) -> u32 {
        self.active.load(Ordering::Relaxed)
    }

    fn start_drain(self: &Arc<Self>, drain: DrainConfig) {
        if !drain.enabled {
            self.kill.cancel();
            return;
        }
        if self.draining.swap(true, Ordering::AcqRel) {
            return; // already draining: keep the earlier deadline
        }
        let epoch = self.drain_epoch.fetch_add(1, Ordering::AcqRel) + 1;
        let me = Arc::clone(self);
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(drain.timeout) => {}
                () = me.kill.cancelled() => return,
            }
            if me.draining.load(Ordering::Acquire)
                && me.drain_epoch.load(Ordering::Acquire) == epoch
            {
                tracing::debug!(backend = %me.addr, "drain timeout passed; closing remaining connections");
                me.kill.cancel();
            }
        });
    }

    fn stop_drain(&self) {
        self.draining.store(false, Ordering::Release);
        self.drain_epoch.fetch_add(1, Ordering::AcqRel);
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.backend.active.fetch_sub(1, Ordering::Relaxed);
        self.active.dec();
    }
}

impl ActiveGuard {
    /// The backend this connection uses.
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }
}

// === impl Pool ===

impl Pool {
    /// A pool for `config`'s backends, all starting healthy.
    pub fn new(config: &ListenerConfig, metrics: ListenerMetrics) -> Self {
        let entries = config
            .backends
            .iter()
            .map(|b| Entry {
                backend: Backend::new(b.addr, true),
                weight: b.weight,
            })
            .collect();
        let state = PoolState {
            entries,
            selector: Selector::new(config.scheduler),
            scratch: Vec::new(),
            backend_ips: config.backends.iter().map(|b| b.addr.ip()).collect(),
            config: config.clone(),
            http: Arc::new(config.http.clone()),
        };
        Self {
            id: Arc::from(config.id.as_str()),
            metrics,
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A panic while holding this lock cannot leave the state half-written in a way that
        // matters more than refusing traffic would, so a poisoned lock is simply reused.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The settings connections read at accept time.
    pub fn settings(&self) -> ConnSettings {
        let st = self.lock();
        ConnSettings {
            proxy_protocol_v2: st.config.proxy_protocol_v2,
            connect_timeout: st.config.connect_timeout,
            udp_idle_timeout: st.config.udp_idle_timeout,
            idle_timeout: st.config.idle_timeout,
        }
    }

    /// True when hairpin refusal is on and `ip` is one of this listener's backends.
    pub fn is_hairpin(&self, ip: IpAddr) -> bool {
        let st = self.lock();
        st.config.refuse_hairpin && st.backend_ips.contains(&ip)
    }

    /// Chooses a backend for a new connection and counts it active, or `None` when no
    /// backend is healthy, non-draining and weighted. Also returns the connection settings,
    /// read under the same lock.
    /// `client` and `local` (the VIP:port it reached) feed the `sch`/`tch` hash.
    pub fn pick_with_settings(
        &self,
        client: SocketAddr,
        local: SocketAddr,
    ) -> Option<(ActiveGuard, ConnSettings)> {
        let mut guard = self.lock();
        let settings = ConnSettings {
            proxy_protocol_v2: guard.config.proxy_protocol_v2,
            connect_timeout: guard.config.connect_timeout,
            udp_idle_timeout: guard.config.udp_idle_timeout,
            idle_timeout: guard.config.idle_timeout,
        };
        pick_locked(&mut guard, &self.metrics, client, local, None).map(|g| (g, settings))
    }

    /// [`Pool::pick_with_settings`] without the settings.
    pub fn pick(&self, client: SocketAddr, local: SocketAddr) -> Option<ActiveGuard> {
        pick_locked(&mut self.lock(), &self.metrics, client, local, None)
    }

    /// Like [`Pool::pick`], but the backend whose [`backend_id`] is `sticky` wins while it
    /// is healthy, weighted and not leaving (an HTTP session cookie); otherwise the
    /// scheduler picks.
    pub fn pick_sticky(
        &self,
        sticky: Option<u64>,
        client: SocketAddr,
        local: SocketAddr,
    ) -> Option<ActiveGuard> {
        pick_locked(&mut self.lock(), &self.metrics, client, local, sticky)
    }

    /// False when the listener's ACL refuses a client at `ip`; counts the refusal.
    pub fn admits(&self, ip: IpAddr) -> bool {
        let admitted = self
            .lock()
            .config
            .acl
            .as_ref()
            .is_none_or(|acl| acl.admits(ip));
        if !admitted {
            self.metrics.acl_refused.inc();
        }
        admitted
    }

    /// What a new HTTP connection from `ip` needs, under one lock: `Err` when hairpin
    /// refusal or the ACL turns it away (counted), else the HTTP settings and the connect
    /// timeout.
    pub fn admit_http(
        &self,
        ip: IpAddr,
    ) -> Result<(Arc<HttpConfig>, std::time::Duration), Refusal> {
        let st = self.lock();
        if st.config.refuse_hairpin && st.backend_ips.contains(&ip) {
            self.metrics.hairpin.inc();
            return Err(Refusal::Hairpin);
        }
        if !st.config.acl.as_ref().is_none_or(|acl| acl.admits(ip)) {
            self.metrics.acl_refused.inc();
            return Err(Refusal::Acl);
        }
        Ok((Arc::clone(&st.http), st.config.connect_timeout))
    }

    /// The health of the backend at `addr`, `None` when the pool has none there.
    pub fn backend_health(&self, addr: SocketAddr) -> Option<BackendHealth> {
        let st = self.lock();
        let entry = st.entries.iter().find(|e| e.backend.addr == addr)?;
        Some(entry.backend.health())
    }

    /// Every backend currently in the pool (for health probes).
    pub fn backends(&self) -> Vec<Arc<Backend>> {
        self.lock()
            .entries
            .iter()
            .map(|e| Arc::clone(&e.backend))
            .collect()
    }

    /// Applies a new listener config: keeps staying backends (and their connections),
    /// drains or kills leaving ones, adds new ones. Callers find new backends (which need
    /// health probes) by comparing [`Pool::backends`] before and after.
    pub fn update(&self, config: &ListenerConfig) {
        let mut st = self.lock();
        let drain = config.drain;
        let mut old: Vec<Entry> = std::mem::take(&mut st.entries);
        let mut entries = Vec::with_capacity(config.backends.len());
        for &BackendConfig { addr, weight } in &config.backends {
            let entry = match old.iter().position(|e| e.backend.addr == addr) {
                Some(pos) => revive_or_keep(old.swap_remove(pos), weight, drain),
                None => Entry {
                    backend: Backend::new(addr, true),
                    weight,
                },
            };
            entries.push(entry);
        }
        for gone in old {
            tracing::debug!(listener = %self.id, backend = %gone.backend.addr, drain = drain.enabled, "backend removed");
            gone.backend.start_drain(drain);
        }
        if st.selector.scheduler() != config.scheduler || st.entries.len() != entries.len() {
            st.selector = Selector::new(config.scheduler);
        }
        st.entries = entries;
        st.backend_ips = config.backends.iter().map(|b| b.addr.ip()).collect();
        if st.config.http != config.http {
            st.http = Arc::new(config.http.clone());
        }
        st.config = config.clone();
    }

    /// Closes every connection of every backend (listener removed or stopped).
    pub fn kill_all(&self) {
        for e in &self.lock().entries {
            e.backend.kill.cancel();
        }
    }
}

fn pick_locked(
    st: &mut PoolState,
    metrics: &ListenerMetrics,
    client: SocketAddr,
    local: SocketAddr,
    sticky: Option<u64>,
) -> Option<ActiveGuard> {
    let flow = flow_hash(st.selector.scheduler(), client, local);
    st.scratch.clear();
    st.scratch.extend(st.entries.iter().map(|e| Candidate {
        id: e.backend.id,
        weight: e.weight,
        eligible: e.backend.is_healthy() && !e.backend.kill.is_cancelled(),
        active: e.backend.active(),
    }));
    let kept = sticky.and_then(|id| {
        st.scratch
            .iter()
            .position(|c| c.id == id && c.eligible && c.weight > 0)
    });
    let i = match kept {
        Some(i) => i,
        None => st.selector.pick(&st.scratch, flow)?,
    };
    let backend = Arc::clone(&st.entries[i].backend);
    backend.active.fetch_add(1, Ordering::Relaxed);
    metrics.active.inc();
    Some(ActiveGuard {
        backend,
        active: metrics.active.clone(),
    })
}

/// A staying backend: weight changes to or from 0 start or stop draining; a backend whose
/// kill already fired is replaced by a fresh one (same health) so new connections work.
fn revive_or_keep(old: Entry, weight: u8, drain: DrainConfig) -> Entry {
    let b = old.backend;
    if weight == 0 {
        if old.weight > 0 {
            b.start_drain(drain);
        }
        return Entry { backend: b, weight };
    }
    if b.kill.is_cancelled() {
        let fresh = Backend::new(b.addr, b.is_healthy());
        fresh.set_checked(b.health() != BackendHealth::Unchecked);
        return Entry {
            backend: fresh,
            weight,
        };
    }
    b.stop_drain();
    Entry { backend: b, weight }
}

#[cfg(test)]
mod tests;
