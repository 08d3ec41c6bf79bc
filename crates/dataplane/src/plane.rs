//! The data plane's control loop: receives full config snapshots on a `watch` channel, diffs
//! them against the running listeners and applies the difference live.
//!
//! New running listeners bind, removed or stopped ones close (with their connections),
//! changed ones update their pool in place so connections to staying backends survive.
//! Health probers are (re)started per backend here. A listener that fails to bind is
//! reported in [`ApplyStatus`] and retried on the next snapshot. This module does not decide
//! scheduling or draining (see `pool`), does not move bytes (see `tcp`, `udp`) and does not
//! place sockets on threads (see `workers`).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::{DataPlaneConfig, ListenerConfig, ListenerKey, Protocol};
use crate::fds::{self, FdBudget};
use crate::health::probe::spawn_prober;
use crate::health::report::{BackendHealth, HealthIndex};
use crate::metrics::Metrics;
use crate::pool::{Backend, Pool};
use crate::tcp::{Connect, TcpConnect};
use crate::tls::{self, TlsSlot};
use crate::workers::{IoWorkers, StreamShell};

/// Starts data planes.
#[derive(Debug, Clone, Copy)]
pub struct DataPlane;

/// How a data plane runs.
#[derive(Clone)]
pub struct Options {
    /// Threads that carry traffic, each with its own single-threaded runtime and its own
    /// `SO_REUSEPORT` listening socket per TCP listener. 0 runs traffic on the caller's
    /// runtime. Default: the number of CPUs.
    pub io_threads: usize,
    /// Upstream dialer.
    pub connector: Arc<dyn Connect>,
    /// Descriptors kept for everything but proxied connections (API, store, listening
    /// sockets, health probes, pooled pipes). Default [`fds::DEFAULT_RESERVE`].
    pub fd_reserve: u64,
    /// The descriptor limit to plan with; `None` raises the soft `RLIMIT_NOFILE` to the hard
    /// limit and uses that (tests pass a small number to exercise backpressure).
    pub fd_limit: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            io_threads: cpus,
            connector: Arc::new(TcpConnect),
            fd_reserve: fds::DEFAULT_RESERVE,
            fd_limit: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("io_threads", &self.io_threads)
            .field("fd_reserve", &self.fd_reserve)
            .field("fd_limit", &self.fd_limit)
            .finish_non_exhaustive()
    }
}

/// Controls a running data plane. Dropping every clone stops it and closes all listeners.
#[derive(Debug, Clone)]
pub struct DataPlaneHandle {
    inner: Arc<HandleInner>,
}

#[derive(Debug)]
struct HandleInner {
    config: watch::Sender<Snapshot>,
    status: watch::Receiver<ApplyStatus>,
    shutdown: CancellationToken,
    health: Arc<HealthIndex>,
}

#[derive(Debug, Clone, Default)]
struct Snapshot {
    generation: u64,
    config: Arc<DataPlaneConfig>,
}

/// The outcome of applying one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyStatus {
    /// The snapshot generation this status describes (see [`DataPlaneHandle::publish`]).
    pub generation: u64,
    /// Per listener id: the bound address, or why it is not carrying traffic.
    pub listeners: BTreeMap<String, ListenerStatus>,
    /// Validation errors; a snapshot with any is not applied at all.
    pub rejected: Vec<String>,
}

/// One listener after an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerStatus {
    /// Accepting on this address.
    Bound(SocketAddr),
    /// Configured but not running.
    Stopped,
    /// Binding failed; retried on the next snapshot.
    BindFailed(String),
}

/// Errors of the handle.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data plane task has stopped.
    #[error("the data plane has stopped; spawn a new one")]
    Stopped,
}

struct RunningListener {
    config: ListenerConfig,
    pool: Arc<Pool>,
    bound: SocketAddr,
    stop: CancellationToken,
    /// The accept (TCP, one per I/O thread) or receive (UDP) loops; awaited on close so the
    /// port is free after.
    serve: Vec<tokio::task::JoinHandle<()>>,
    probers: HashMap<SocketAddr, (Arc<Backend>, CancellationToken)>,
    /// HTTPS: the live TLS configuration its accept loops read.
    tls: Option<Arc<TlsSlot>>,
}

struct Worker {
    metrics: Metrics,
    connector: Arc<dyn Connect>,
    budget: FdBudget,
    running: HashMap<ListenerKey, RunningListener>,
    shutdown: CancellationToken,
    io: IoWorkers,
    /// The running listeners' pools, for [`DataPlaneHandle::backend_health`].
    health: Arc<HealthIndex>,
}

// === impl DataPlane ===

impl DataPlane {
    /// Spawns an empty data plane, registering its metrics: the control loop on the current
    /// tokio runtime, traffic on one I/O thread per CPU (see [`Options`]).
    ///
    /// # Panics
    /// Like `tokio::spawn`, when called outside a tokio runtime.
    pub fn spawn(registry: &mut Registry) -> DataPlaneHandle {
        Self::spawn_with_options(registry, Options::default())
    }

    /// Like [`DataPlane::spawn`] with an injected upstream dialer.
    pub fn spawn_with(registry: &mut Registry, connector: Arc<dyn Connect>) -> DataPlaneHandle {
        Self::spawn_with_options(
            registry,
            Options {
                connector,
                ..Options::default()
            },
        )
    }

    /// Like [`DataPlane::spawn`] with explicit [`Options`].
    ///
    /// # Panics
    /// Like `tokio::spawn`, when called outside a tokio runtime.
    pub fn spawn_with_options(registry: &mut Registry, options: Options) -> DataPlaneHandle {
        let Options {
            io_threads,
            connector,
            fd_reserve,
            fd_limit,
        } = options;
        let metrics = Metrics::register(registry);
        let budget = descriptor_budget(&metrics, fd_limit, fd_reserve);
        let (config_tx, config_rx) = watch::channel(Snapshot::default());
        let (status_tx, status_rx) = watch::channel(ApplyStatus::default());
        let shutdown = CancellationToken::new();
        let health = Arc::new(HealthIndex::default());
        let worker = Worker {
            metrics,
            connector,
            budget,
            running: HashMap::new(),
            shutdown: shutdown.clone(),
            io: IoWorkers::start(io_threads),
            health: Arc::clone(&health),
        };
        tokio::spawn(worker.run(config_rx, status_tx));
        DataPlaneHandle {
            inner: Arc::new(HandleInner {
                config: config_tx,
                status: status_rx,
                shutdown,
                health,
            }),
        }
    }
}

/// Raises the descriptor limit (unless one is given), plans it and sizes the pipe pool.
fn descriptor_budget(metrics: &Metrics, limit: Option<u64>, reserve: u64) -> FdBudget {
    let limit = limit.unwrap_or_else(|| fds::raise_nofile_limit().soft);
    let plan = fds::plan(limit, reserve);
    #[cfg(target_os = "linux")]
    crate::tcp::splice::set_pool_capacity(plan.pooled_pipes);
    metrics.fd_budget.set(i64::from(plan.budget));
    tracing::info!(
        limit,
        reserve,
        budget = plan.budget,
        tcp_connections = plan.budget / fds::TCP_CONNECTION_FDS,
        "data plane descriptor budget"
    );
    FdBudget::new(
        plan.budget,
        metrics.fds_in_use.clone(),
        metrics.fd_budget_waits.clone(),
    )
}

// === impl DataPlaneHandle ===

impl DataPlaneHandle {
    /// Publishes a full snapshot without waiting; returns its generation. Later snapshots
    /// supersede earlier ones that were not yet applied.
    pub fn publish(&self, config: DataPlaneConfig) -> u64 {
        let mut generation = 0;
        self.inner.config.send_modify(|s| {
            s.generation += 1;
            s.config = Arc::new(config);
            generation = s.generation;
        });
        generation
    }

    /// Waits until snapshot `generation` (or a later one) has been applied.
    ///
    /// # Errors
    /// [`Error::Stopped`] when the data plane task is gone.
    pub async fn applied(&self, generation: u64) -> Result<ApplyStatus, Error> {
        let mut rx = self.inner.status.clone();
        let status = rx
            .wait_for(|s| s.generation >= generation)
            .await
            .map_err(|_| Error::Stopped)?;
        Ok(status.clone())
    }

    /// Publishes `config` and waits until it is applied.
    ///
    /// # Errors
    /// [`Error::Stopped`] when the data plane task is gone.
    pub async fn apply(&self, config: DataPlaneConfig) -> Result<ApplyStatus, Error> {
        let generation = self.publish(config);
        self.applied(generation).await
    }

    /// What the health checker says about `backend` under the running listener
    /// `listener_id`: `None` when no such listener runs (not applied yet, stopped, or its
    /// bind failed) or it has no such backend. Cheap and non-blocking (a read lock and an
    /// atomic per call), so it may be called from synchronous code.
    pub fn backend_health(&self, listener_id: &str, backend: SocketAddr) -> Option<BackendHealth> {
        self.inner.health.backend_health(listener_id, backend)
    }

    /// Stops the data plane: closes every listener and connection, and returns once every
    /// listening port is released (so a new data plane can bind the same addresses).
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        let mut rx = self.inner.status.clone();
        while rx.changed().await.is_ok() {}
    }
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

// === impl Worker ===

impl Worker {
    async fn run(mut self, mut rx: watch::Receiver<Snapshot>, status: watch::Sender<ApplyStatus>) {
        loop {
            let snapshot = rx.borrow_and_update().clone();
            let report = self.reconcile(&snapshot).await;
            self.health.replace(
                self.running
                    .values()
                    .map(|r| (r.config.id.clone(), Arc::clone(&r.pool))),
            );
            status.send_replace(report);
            tokio::select! {
                () = self.shutdown.cancelled() => break,
                r = rx.changed() => if r.is_err() { break },
            }
        }
        self.health.replace([]);
        for (_, l) in self.running.drain() {
            close_listener(l).await;
        }
    }

    async fn reconcile(&mut self, snapshot: &Snapshot) -> ApplyStatus {
        let mut status = ApplyStatus {
            generation: snapshot.generation,
            ..ApplyStatus::default()
        };
        if let Err(errors) = snapshot.config.validate() {
            status.rejected = errors.iter().map(ToString::to_string).collect();
            tracing::warn!(errors = ?status.rejected, "data plane config rejected");
            for (id, l) in self.running.values().map(|l| (&l.config.id, l)) {
                status
                    .listeners
                    .insert(id.clone(), ListenerStatus::Bound(l.bound));
            }
            return status;
        }
        let wanted: HashMap<ListenerKey, &ListenerConfig> = snapshot
            .config
            .listeners
            .iter()
            .filter(|l| l.running)
            .map(|l| (l.key(), l))
            .collect();
        let gone: Vec<ListenerKey> = self
            .running
            .keys()
            .filter(|k| !wanted.contains_key(k))
            .copied()
            .collect();
        for key in gone {
            if let Some(l) = self.running.remove(&key) {
                tracing::info!(listener = %l.config.id, "listener closed");
                close_listener(l).await;
            }
        }
        for l in &snapshot.config.listeners {
            let st = if !l.running {
                ListenerStatus::Stopped
            } else if let Some(r) = self.running.get_mut(&l.key())
                && r.config.id == l.id
            {
                update_listener(r, l);
                ListenerStatus::Bound(r.bound)
            } else {
                // A new listener, or the same address under a new id (its metrics and logs
                // are labelled by id, so it starts afresh).
                if let Some(old) = self.running.remove(&l.key()) {
                    close_listener(old).await;
                }
                match self.start_listener(l).await {
                    Ok(r) => {
                        let bound = r.bound;
                        self.running.insert(l.key(), r);
                        ListenerStatus::Bound(bound)
                    }
                    Err(e) => {
                        tracing::warn!(listener = %l.id, vip = %l.vip, port = l.port, error = %e, "listener bind failed");
                        ListenerStatus::BindFailed(e.to_string())
                    }
                }
            };
            status.listeners.insert(l.id.clone(), st);
        }
        status
    }

    async fn start_listener(&self, cfg: &ListenerConfig) -> std::io::Result<RunningListener> {
        let addr = SocketAddr::new(cfg.vip, cfg.port);
        let pool = Arc::new(Pool::new(cfg, self.metrics.listener(&cfg.id)));
        let tls = tls_slot(cfg)?;
        let stop = self.shutdown.child_token();
        let shell = match cfg.protocol {
            Protocol::Http | Protocol::Https => StreamShell::Http(tls.clone()),
            Protocol::Tcp | Protocol::Udp => StreamShell::Tcp,
        };
        let (bound, serve) = match cfg.protocol {
            Protocol::Tcp | Protocol::Http | Protocol::Https => {
                self.io
                    .serve_tcp(&shell, addr, &pool, &self.connector, &self.budget, &stop)?
            }
            Protocol::Udp => self.io.serve_udp(addr, &pool, &self.budget, &stop)?,
        };
        tracing::info!(listener = %cfg.id, %bound, protocol = ?cfg.protocol, description = %cfg.description, "listener started");
        let mut running = RunningListener {
            config: cfg.clone(),
            pool,
            bound,
            stop,
            serve,
            probers: HashMap::new(),
            tls,
        };
        sync_probers(&mut running);
        Ok(running)
    }
}

/// The TLS configuration of an HTTPS listener (`None` for other kinds); an HTTPS listener
/// without a usable certificate does not start, and its status says why.
fn tls_slot(cfg: &ListenerConfig) -> std::io::Result<Option<Arc<TlsSlot>>> {
    if cfg.protocol != Protocol::Https {
        return Ok(None);
    }
    let Some(t) = &cfg.tls else {
        return Err(std::io::Error::other(format!(
            "listener {}: an HTTPS listener needs a server certificate; set ServerCertificateId",
            cfg.id
        )));
    };
    let config = tls::server_config(t)
        .map_err(|e| std::io::Error::other(format!("listener {}: {e}", cfg.id)))?;
    Ok(Some(Arc::new(TlsSlot::new(config))))
}

/// Rebuilds a running HTTPS listener's TLS configuration after its settings changed; a
/// configuration that does not build leaves the old one serving.
fn update_tls(r: &RunningListener, cfg: &ListenerConfig) {
    let (Some(slot), Some(t)) = (&r.tls, &cfg.tls) else {
        return;
    };
    if r.config.tls.as_ref() == Some(t) {
        return;
    }
    match tls::server_config(t) {
        Ok(c) => slot.set(c),
        Err(e) => {
            tracing::warn!(listener = %cfg.id, error = %e, "TLS settings not applied; the previous ones still serve");
        }
    }
}

fn update_listener(r: &mut RunningListener, cfg: &ListenerConfig) {
    if r.config == *cfg {
        return;
    }
    update_tls(r, cfg);
    let health_changed = r.config.health_check != cfg.health_check;
    r.pool.update(cfg);
    r.config = cfg.clone();
    if health_changed {
        for (_, (_, stop)) in r.probers.drain() {
            stop.cancel();
        }
        if cfg.health_check.is_none() {
            for b in r.pool.backends() {
                b.set_healthy(true);
                b.set_checked(false);
            }
        }
    }
    sync_probers(r);
    tracing::info!(listener = %cfg.id, backends = cfg.backends.len(), "listener updated");
}

/// Starts a prober for every pool backend without one, stops those of departed backends.
fn sync_probers(r: &mut RunningListener) {
    let backends = r.pool.backends();
    r.probers.retain(|_, (b, stop)| {
        let keep = backends.iter().any(|nb| Arc::ptr_eq(nb, b));
        if !keep {
            stop.cancel();
        }
        keep
    });
    let Some(hc) = &r.config.health_check else {
        return;
    };
    for b in backends {
        if r.probers.contains_key(&b.addr) {
            continue;
        }
        let stop = r.stop.child_token();
        spawn_prober(
            Arc::clone(&r.pool.id),
            Arc::clone(&b),
            hc,
            r.pool.metrics.clone(),
            stop.clone(),
        );
        r.probers.insert(b.addr, (b, stop));
    }
}

/// Stops accepting, closes every connection, and waits until the port is released.
async fn close_listener(l: RunningListener) {
    l.stop.cancel();
    l.pool.kill_all();
    for task in l.serve {
        if let Err(e) = task.await {
            tracing::warn!(listener = %l.config.id, error = %e, "listener task failed");
        }
    }
}
