//! Publishing snapshots off the request path: a write only bumps a version and wakes the
//! publisher thread, which builds one snapshot for however many writes came since the last
//! and applies it to the data plane.
//!
//! Pacing: when the publisher has been idle for at least [`MIN_GAP`], a change is published
//! at once; otherwise the next build starts [`MIN_GAP`] (or as long as the previous build and
//! apply took, when that was longer) after the previous one ended. A burst of writes thus
//! costs a snapshot per gap, not one per write, and the publisher uses at most about half a
//! core however fast writes come. A write reaches the data plane within one gap plus two
//! builds of its answer. [`Publisher::wait`] blocks until a given version is applied (tests,
//! tools). This module does not decide what a snapshot holds (see `forwarding`).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use super::DataPlane;
use super::forwarding::Parts;

/// The shortest time between two snapshots while writes keep coming.
pub const MIN_GAP: Duration = Duration::from_millis(10);

/// Builds the parts of the next snapshot (taking the engine's lock for the incremental part).
pub(crate) type Build = Box<dyn FnMut() -> Parts + Send>;

/// The publisher thread's handle; dropping it stops the thread (after the build under way).
pub(crate) struct Publisher {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
    metrics: PublishMetrics,
}

#[derive(Debug, Default)]
struct Progress {
    /// The latest version noted by the engine.
    wanted: u64,
    /// The version of the latest snapshot applied.
    published: u64,
    stop: bool,
}

/// The publisher's series: versions noted and applied, snapshots and their build time.
#[derive(Debug, Clone, Default)]
pub struct PublishMetrics {
    committed: Gauge,
    published: Gauge,
    snapshots: Counter,
    build_seconds: Counter<f64>,
}

impl PublishMetrics {
    /// Registers the series under `slb_local_dataplane_*`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("slb_local_dataplane");
        r.register(
            "committed_version",
            "Writes that may change forwarding, counted since start",
            self.committed.clone(),
        );
        r.register(
            "published_version",
            "The committed_version the data plane's latest snapshot reflects",
            self.published.clone(),
        );
        r.register(
            "snapshots",
            "Snapshots built and handed to the data plane",
            self.snapshots.clone(),
        );
        r.register(
            "snapshot_build_seconds",
            "Time spent building and handing over snapshots",
            self.build_seconds.clone(),
        );
    }
}

fn gauge(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Publisher {
    /// Starts the thread publishing to `dataplane` with `build`; `published` is the version
    /// the data plane already holds.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn start(
        dataplane: Arc<dyn DataPlane>,
        build: Build,
        published: u64,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            progress: Mutex::new(Progress {
                wanted: published,
                published,
                stop: false,
            }),
            changed: Condvar::new(),
            metrics: PublishMetrics::default(),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("slb-local-publish".into())
            .spawn(move || run(&for_thread, dataplane.as_ref(), build))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Version `version` is committed: publish it soon. Cheap; never blocks on a build.
    pub fn notify(&self, version: u64) {
        let mut p = self.shared.lock();
        p.wanted = p.wanted.max(version);
        self.shared.metrics.committed.set(gauge(p.wanted));
        self.shared.changed.notify_all();
    }

    /// Waits until a snapshot reflecting `version` is applied; `false` after `timeout`.
    pub fn wait(&self, version: u64, timeout: Duration) -> bool {
        let p = self.shared.lock();
        let (p, _) = self
            .shared
            .changed
            .wait_timeout_while(p, timeout, |p| p.published < version && !p.stop)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        p.published >= version
    }

    /// The publisher's series.
    pub fn metrics(&self) -> &PublishMetrics {
        &self.shared.metrics
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the data plane publisher panicked");
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Blocks until a version newer than `published` is wanted and the gap since `last_end`
    /// has passed; `false` once stopped.
    fn next_turn(&self, last_end: Instant, gap: Duration) -> bool {
        let mut p = self.lock();
        loop {
            if p.stop {
                return false;
            }
            if p.wanted > p.published {
                let ready_at = last_end + gap;
                let now = Instant::now();
                if now >= ready_at {
                    return true;
                }
                p = self.wait(p, ready_at - now);
            } else {
                p = self.wait(p, Duration::from_secs(3600));
            }
        }
    }

    fn wait<'a>(&self, p: MutexGuard<'a, Progress>, d: Duration) -> MutexGuard<'a, Progress> {
        self.changed
            .wait_timeout(p, d)
            .map(|(p, _)| p)
            .unwrap_or_else(|e| e.into_inner().0)
    }
}

/// The thread: wait for a change and the gap, build, apply, record, repeat.
fn run(shared: &Shared, dataplane: &dyn DataPlane, mut build: Build) {
    let mut last_end = Instant::now();
    let mut gap = Duration::ZERO;
    while shared.next_turn(last_end, gap) {
        let started = Instant::now();
        let parts = build();
        dataplane.apply(parts.snapshot());
        last_end = Instant::now();
        let took = last_end - started;
        gap = MIN_GAP.max(took);
        shared.metrics.snapshots.inc();
        shared.metrics.build_seconds.inc_by(took.as_secs_f64());
        shared.metrics.published.set(gauge(parts.version));
        let mut p = shared.lock();
        p.published = p.published.max(parts.version);
        shared.changed.notify_all();
        tracing::debug!(
            version = parts.version,
            took_ms = took.as_millis(),
            "data plane snapshot published"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::forwarding::tests::{call, engine, forwarding_lb};
    use super::super::{DataPlane, LocalDataPlaneSnapshot, RecordingDataPlane};
    use std::sync::Arc;
    use std::time::Duration;

    /// Takes 20 ms per snapshot, as a large state does.
    #[derive(Default)]
    struct Slow(RecordingDataPlane);

    impl DataPlane for Slow {
        fn apply(&self, snapshot: LocalDataPlaneSnapshot) {
            std::thread::sleep(Duration::from_millis(20));
            self.0.apply(snapshot);
        }
    }

    #[test]
    fn a_burst_of_writes_costs_a_few_snapshots_and_the_last_one_holds_every_write() {
        let plane = Arc::new(Slow::default());
        let e = engine(plane.clone());
        let (_, group) = forwarding_lb(&e);
        assert!(e.wait_for_dataplane(Duration::from_secs(5)));
        let before = plane.0.snapshots().len();
        let writes = 60;
        for w in 1..=writes {
            let member = format!(r#"[{{"ServerId":"i-a","Port":"30080","Weight":"{w}"}}]"#);
            let set = [
                ("VServerGroupId", group.as_str()),
                ("BackendServers", &member),
            ];
            call(&e, "SetVServerGroupAttribute", &set);
        }
        assert!(e.wait_for_dataplane(Duration::from_secs(5)));
        let snapshots = plane.0.snapshots().len() - before;
        assert!(
            snapshots <= writes / 3,
            "{writes} writes cost {snapshots} snapshots"
        );
        let latest = plane.0.latest();
        assert_eq!(latest.listeners[0].backends[0].weight, 60);
    }
}
