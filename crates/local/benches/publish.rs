//! Per-write latency of the engine when it feeds a data plane that takes snapshots (as
//! `slb-ccm local serve` does), at scale: `cargo bench -p slb-local --bench publish`.
//! `SLB_BENCH_LBS` (default 2,000) CLBs, each with one running TCP listener over a vServer
//! group of `SLB_BENCH_BACKENDS` (default 200) ECS backends, are loaded first; then
//! `SLB_BENCH_WRITES` (default 300) weight changes, one after another, each on another CLB,
//! are timed one by one. Prints p50/p99/max per write, the snapshots the data plane received,
//! and how long after the last answer the data plane held it. Not a test: no assertions on time.
#![allow(clippy::unwrap_used, clippy::disallowed_types, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slb_local::config::LocalConfig;
use slb_local::model::Instance;
use slb_local::store::{Change, MemoryStore, Store, StoreError, StoredState};
use slb_local::{DataPlane, Engine, LocalDataPlaneSnapshot, NoopDataPlane};
use slb_openapi::Params;

/// A memory store two engines can open one after the other (load with one, measure with
/// the next).
#[derive(Clone, Default)]
struct SharedStore(Arc<Mutex<MemoryStore>>);

impl Store for SharedStore {
    fn load(&mut self) -> Result<StoredState, StoreError> {
        self.0.lock().unwrap().load()
    }

    fn commit(&mut self, change: &Change) -> Result<(), StoreError> {
        self.0.lock().unwrap().commit(change)
    }
}

/// Keeps the latest snapshot (dropping the one before, as the proxy's channel does) and
/// counts them.
#[derive(Default)]
struct Latest(Mutex<(usize, LocalDataPlaneSnapshot)>);

impl DataPlane for Latest {
    fn apply(&self, snapshot: LocalDataPlaneSnapshot) {
        let mut latest = self.0.lock().unwrap();
        latest.0 += 1;
        latest.1 = snapshot;
    }
}

impl Latest {
    /// The weight of the first backend of `lb`'s listener in the latest snapshot.
    fn first_weight(&self, lb: &str) -> Option<u32> {
        let latest = self.0.lock().unwrap();
        let l = latest
            .1
            .listeners
            .iter()
            .find(|l| l.load_balancer_id == lb)?;
        l.backends.first().map(|b| b.weight)
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().0
    }
}

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(backends: usize) -> LocalConfig {
    LocalConfig {
        vip_pool: "127.8.0.0/16".into(),
        instances: (0..backends)
            .map(|n| {
                Instance::running(
                    format!("i-{n}"),
                    format!("127.0.{}.{}", 9 + n / 250, n % 250 + 1),
                )
            })
            .collect(),
        quotas: slb_local::config::Quotas {
            load_balancers_per_account: 100_000,
            ..Default::default()
        },
        ..LocalConfig::default()
    }
}

fn field(v: &serde_json::Value, key: &str) -> String {
    v[key].as_str().unwrap().to_owned()
}

/// One CLB with a running TCP listener on port 80 over a group of `backends` members:
/// (LB id, group id).
fn load_one(e: &Engine, i: usize, backends: usize) -> (String, String) {
    let name = format!("lb{i}");
    let lb = field(
        &e.handle(
            "CreateLoadBalancer",
            &params(&[
                ("LoadBalancerSpec", "slb.s1.small"),
                ("LoadBalancerName", &name),
            ]),
        )
        .unwrap(),
        "LoadBalancerId",
    );
    let group = field(
        &e.handle("CreateVServerGroup", &params(&[("LoadBalancerId", &lb)]))
            .unwrap(),
        "VServerGroupId",
    );
    for chunk in (0..backends).collect::<Vec<_>>().chunks(20) {
        let members: Vec<String> = chunk
            .iter()
            .map(|n| format!(r#"{{"ServerId":"i-{n}","Port":"30080","Weight":"100"}}"#))
            .collect();
        let list = format!("[{}]", members.join(","));
        e.handle(
            "AddVServerGroupBackendServers",
            &params(&[("VServerGroupId", &group), ("BackendServers", &list)]),
        )
        .unwrap();
    }
    let listener = [("LoadBalancerId", lb.as_str()), ("ListenerPort", "80")];
    let mut create = listener.to_vec();
    create.extend([("Bandwidth", "-1"), ("VServerGroupId", group.as_str())]);
    e.handle("CreateLoadBalancerTCPListener", &params(&create))
        .unwrap();
    e.handle("StartLoadBalancerListener", &params(&listener))
        .unwrap();
    (lb, group)
}

/// What one snapshot costs at this size: a full build from the state (what every write paid
/// before snapshots were kept per CLB) and a clone of one (the assembly the publisher still
/// does, off the engine's lock).
fn split_of_a_snapshot(store: &SharedStore, backends: usize) {
    let e = Engine::open(
        config(backends),
        Box::new(store.clone()),
        Arc::new(NoopDataPlane),
    )
    .unwrap();
    let state = e.state();
    let at = Instant::now();
    let full = slb_local::dataplane::snapshot(&state);
    let build = at.elapsed();
    let at = Instant::now();
    let copy = full.clone();
    let clone = at.elapsed();
    println!(
        "one snapshot ({} listeners): full build {:.1} ms, clone {:.1} ms",
        copy.listeners.len(),
        build.as_secs_f64() * 1e3,
        clone.as_secs_f64() * 1e3,
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

fn main() {
    let (lbs, backends, writes) = (
        env("SLB_BENCH_LBS", 2_000),
        env("SLB_BENCH_BACKENDS", 200),
        env("SLB_BENCH_WRITES", 300),
    );
    let store = SharedStore::default();
    let loader = Engine::open(
        config(backends),
        Box::new(store.clone()),
        Arc::new(NoopDataPlane),
    )
    .unwrap();
    let started = Instant::now();
    let made: Vec<(String, String)> = (0..lbs).map(|i| load_one(&loader, i, backends)).collect();
    drop(loader);
    println!(
        "loaded {lbs} CLBs x {backends} backends in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    split_of_a_snapshot(&store, backends);
    let plane = Arc::new(Latest::default());
    let e = Engine::open(config(backends), Box::new(store), plane.clone()).unwrap();
    let mut times = Vec::with_capacity(writes);
    let mut last = String::new();
    let measured = Instant::now();
    for w in 0..writes {
        let (lb, group) = &made[(w * 7919) % made.len()];
        let weight = (w % 99 + 1).to_string();
        let member = format!(r#"[{{"ServerId":"i-0","Port":"30080","Weight":"{weight}"}}]"#);
        let at = Instant::now();
        e.handle(
            "SetVServerGroupAttribute",
            &params(&[("VServerGroupId", group), ("BackendServers", &member)]),
        )
        .unwrap();
        times.push(at.elapsed());
        last.clone_from(lb);
    }
    let answered = Instant::now();
    let want = u32::try_from((writes - 1) % 99 + 1).unwrap();
    while plane.first_weight(&last) != Some(want) {
        std::thread::sleep(Duration::from_micros(200));
    }
    let lag = answered.elapsed();
    let total = measured.elapsed();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{writes} writes at {lbs} x {backends}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, \
         {:.0} writes/s; {} snapshots applied; last write in the data plane {:.1} ms after its answer",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times[times.len() - 1]),
        writes as f64 / total.as_secs_f64(),
        plane.count(),
        ms(lag),
    );
}
