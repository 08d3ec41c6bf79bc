//! Controller benchmark: N LoadBalancer Services (externalTrafficPolicy Cluster) over M nodes,
//! reconciled by the real controller against a real kube-apiserver (testkit) and the local CLB
//! over signed HTTP, with the client throttled like Alibaba's per-action limits.
//!
//! Prints: time to converge (every Service has an IP), cloud calls by action, the calls one
//! node joining causes, the calls of a controller restart (empty cache, nothing to change),
//! and this process's peak RSS (controller + local CLB; the API server
//! runs as its own process). Sizes and the rate come from the environment:
//! `SLB_BENCH_SERVICES` (1000), `SLB_BENCH_NODES` (100), `SLB_BENCH_RATE` (20 calls/s/action).
//!
//! Run: `./scripts/bench-controller.sh` (or `cargo bench -p slb-controller --bench controller`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use k8s_openapi::api::core::v1::{Node, Service};
use kube::Api;
use kube::api::PostParams;
use slb_controller::cloud::Cloud;
use slb_controller::run::{Settings, run_controller};
use slb_model::{ClusterContext, PlanOptions};
use slb_openapi::HttpClient;
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::governor::RateLimit;
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::{load_balancer_service, node};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn node_ip(i: usize) -> String {
    format!("127.9.{}.{}", i / 250, i % 250 + 1)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn start_local_clb(dir: &std::path::Path, nodes: usize, services: usize) -> String {
    let mut yaml = format!(
        "quotas: {{ load_balancers_per_account: {}, backends_per_load_balancer: 1000 }}\ninstances:\n",
        services + 10
    );
    for i in 0..=nodes {
        yaml.push_str(&format!(
            "  - {{ InstanceId: i-local-bench-node-{i}, PrivateIpAddress: {} }}\n",
            node_ip(i)
        ));
    }
    let config = dir.join("local.yaml");
    std::fs::write(&config, yaml).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let args = slb_local::ServeArgs {
        listen: listen.parse().unwrap(),
        state: slb_local::serve::MEMORY_STATE.into(),
        region: "cn-hangzhou".into(),
        access_key_id: "bench".into(),
        access_key_secret: "bench-secret".into(),
        vip_pool: Some("127.8.0.0/16".into()),
        config: Some(config),
        metrics_addr: None,
    };
    tokio::spawn(slb_local::run(args, std::future::pending()));
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&listen).await.is_ok() {
            return listen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the local CLB did not start on {listen}");
}

async fn wait_quiet(client: &HttpClient, what: &str) -> u64 {
    let mut last = client.stats().total_calls();
    let mut quiet = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = client.stats().total_calls();
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet >= 6 {
            return now;
        }
        eprint!("\r{what}: {now} calls so far   ");
    }
}

fn print_calls(title: &str, stats: &BTreeMap<String, slb_openapi::metrics::ActionCounts>) {
    println!("{title}");
    let mut total = 0;
    for (action, counts) in stats {
        if counts.calls > 0 {
            println!(
                "  {action:<40} {:>7}  (throttled {})",
                counts.calls, counts.throttles
            );
            total += counts.calls;
        }
    }
    println!("  {:<40} {total:>7}", "total");
}

#[tokio::main]
async fn main() {
    let services = env("SLB_BENCH_SERVICES", 1000);
    let nodes = env("SLB_BENCH_NODES", 100);
    let rate = env("SLB_BENCH_RATE", 20);
    println!(
        "controller bench: {services} Services (Cluster policy) over {nodes} nodes, client limit {rate} calls/s per action"
    );

    let cp = ControlPlane::start().await.expect("test control plane");
    let kube = cp.client().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = start_local_clb(dir.path(), nodes, services).await;
    let mut config = ClientConfig::new("cn-hangzhou", Credentials::new("bench", "bench-secret"));
    config.overrides = EndpointOverrides::local(endpoint);
    config.governor.default_rate = RateLimit::new(rate as f64, rate as u32);
    config.governor.max_concurrency = 16;
    let http = Arc::new(HttpClient::new(config).unwrap());
    let cloud = Cloud::new(http.clone(), http.clone(), "cn-hangzhou");

    let node_api: Api<Node> = Api::all(kube.clone());
    for i in 0..nodes {
        node_api
            .create(
                &PostParams::default(),
                &node(&format!("bench-node-{i}"), &node_ip(i), None),
            )
            .await
            .unwrap();
    }
    let mut cluster = ClusterContext::new("c-bench", "cn-hangzhou", "vpc-local");
    cluster.local_mode = true;
    cluster.batch_size = 40;
    let settings = Settings {
        plan_options: PlanOptions {
            batch_size: 40,
            backend_quota: 1000,
        },
        cluster,
        dry_run: false,
        ingress_ip_mode: Default::default(),
        drift_interval: Duration::from_secs(3600),
        concurrency: 16,
        leader: None,
        admin_addr: None,
        namespace: Some("default".into()),
        debounce: Duration::from_millis(500),
        inventory: None,
        services: true,
        nodes: None,
        routes: None,
    };
    let stop = CancellationToken::new();
    tokio::spawn(run_controller(
        kube.clone(),
        cloud,
        settings.clone(),
        stop.clone(),
    ));

    let started = Instant::now();
    let svc_api: Api<Service> = Api::namespaced(kube.clone(), "default");
    for i in 0..services {
        let mut svc = load_balancer_service("default", &format!("svc-{i}"), &[(80, 8080)]);
        svc.metadata.annotations = Some(
            [(
                "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec".to_owned(),
                "slb.s1.small".to_owned(),
            )]
            .into(),
        );
        svc_api.create(&PostParams::default(), &svc).await.unwrap();
    }
    let created_in = started.elapsed();
    loop {
        let list = svc_api.list(&Default::default()).await.unwrap();
        let ready = list
            .items
            .iter()
            .filter(|s| {
                s.status
                    .as_ref()
                    .and_then(|st| st.load_balancer.as_ref())
                    .and_then(|lb| lb.ingress.as_ref())
                    .is_some_and(|i| !i.is_empty())
            })
            .count();
        eprint!(
            "\rconverging: {ready}/{services} Services have an IP, {} calls   ",
            http.stats().total_calls()
        );
        if ready == services {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let converged = started.elapsed();
    wait_quiet(&http, "settling").await;
    eprintln!();
    println!(
        "Services created in {:.1} s; all converged after {:.1} s",
        created_in.as_secs_f64(),
        converged.as_secs_f64()
    );
    print_calls(
        "cloud calls to converge, by action:",
        &http.stats().snapshot(),
    );

    // Steady state: nothing changes, nothing is called.
    http.stats().reset();
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!(
        "cloud calls in 5 s of steady state: {}",
        http.stats().total_calls()
    );

    // One node joins: every Cluster-policy group gains one member.
    http.stats().reset();
    let joined = Instant::now();
    node_api
        .create(
            &PostParams::default(),
            &node(&format!("bench-node-{nodes}"), &node_ip(nodes), None),
        )
        .await
        .unwrap();
    let total = wait_quiet(&http, "node join").await;
    eprintln!();
    println!(
        "one node joining: {total} calls in {:.1} s ({:.2} per Service)",
        joined.elapsed().as_secs_f64() - 3.0,
        total as f64 / services as f64
    );
    print_calls(
        "calls caused by the node join, by action:",
        &http.stats().snapshot(),
    );

    // A restart: a new controller with an empty cache observes every CLB once.
    stop.cancel();
    tokio::time::sleep(Duration::from_secs(2)).await;
    http.stats().reset();
    let restarted = Instant::now();
    let stop = CancellationToken::new();
    let fresh = Cloud::new(http.clone(), http.clone(), "cn-hangzhou");
    tokio::spawn(run_controller(kube.clone(), fresh, settings, stop.clone()));
    while http.stats().total_calls() == 0 && restarted.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = wait_quiet(&http, "restart").await;
    eprintln!();
    println!(
        "a restart: {total} calls in {:.1} s ({:.2} per Service), nothing to change",
        restarted.elapsed().as_secs_f64() - 3.0,
        total as f64 / services as f64
    );
    print_calls("calls of the restart, by action:", &http.stats().snapshot());
    println!(
        "peak RSS of controller + local CLB process: {:.0} MiB",
        peak_rss_mib()
    );
    stop.cancel();
}
