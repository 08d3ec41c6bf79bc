//! Rough throughput of the engine with the durable SQLite store (fsync per commit) and with
//! the in-memory store: `cargo bench -p slb-local --bench engine`. Prints calls per second;
//! not a test, no assertions on time.
#![allow(clippy::unwrap_used, clippy::disallowed_types, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use slb_local::config::LocalConfig;
use slb_local::model::Instance;
use slb_local::store::{MemoryStore, SqliteStore, Store};
use slb_local::{Engine, NoopDataPlane};
use slb_openapi::Params;

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn engine(store: Box<dyn Store>) -> Engine {
    let config = LocalConfig {
        vip_pool: "127.8.0.0/16".into(),
        instances: (0..200)
            .map(|n| Instance::running(format!("i-{n}"), format!("127.0.9.{}", n % 250 + 1)))
            .collect(),
        quotas: slb_local::config::Quotas {
            load_balancers_per_account: 100_000,
            ..Default::default()
        },
        ..LocalConfig::default()
    };
    Engine::open(config, store, Arc::new(NoopDataPlane)).unwrap()
}

fn run(label: &str, store: Box<dyn Store>) {
    let e = engine(store);
    let n = 500;
    let started = Instant::now();
    for i in 0..n {
        let name = format!("lb{i}");
        e.handle(
            "CreateLoadBalancer",
            &params(&[
                ("LoadBalancerSpec", "slb.s1.small"),
                ("LoadBalancerName", &name),
            ]),
        )
        .unwrap();
    }
    let creates = f64::from(n) / started.elapsed().as_secs_f64();
    let lb = e.state().load_balancers.keys().next().unwrap().clone();
    let group = e
        .handle("CreateVServerGroup", &params(&[("LoadBalancerId", &lb)]))
        .unwrap()["VServerGroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    for i in 0..190 {
        let backends = format!(r#"[{{"ServerId":"i-{i}","Port":"30080","Weight":"100"}}]"#);
        e.handle(
            "AddVServerGroupBackendServers",
            &params(&[("VServerGroupId", &group), ("BackendServers", &backends)]),
        )
        .unwrap();
    }
    let adds = 190.0 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for _ in 0..200 {
        e.handle("DescribeLoadBalancers", &params(&[("PageSize", "100")]))
            .unwrap();
    }
    let describes = 200.0 / started.elapsed().as_secs_f64();
    println!(
        "{label}: CreateLoadBalancer {creates:.0}/s (500 LBs), AddVServerGroupBackendServers {adds:.0}/s (group grows to 190), DescribeLoadBalancers(100 of 500) {describes:.0}/s"
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    run(
        "sqlite (WAL, synchronous=FULL)",
        Box::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap()),
    );
    run("memory", Box::new(MemoryStore::default()));
}
