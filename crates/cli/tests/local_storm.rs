//! A connection storm against `slb-ccm local serve` run with a deliberately low descriptor
//! limit (`ulimit -n` on the child: soft = hard), so a few hundred connections meet the same
//! limits that 5,000 meet at 20,000 descriptors. Each client connects to the VIP, sends a
//! line, waits for its echo, holds the connection a moment and closes. Meanwhile the test
//! samples the server's descriptors and memory, times signed API calls, and finally reads
//! the data plane's metrics and the server's log.
//!
//! It asserts what the issue saw break: every connection served (none stalled, none reset),
//! no `accept failed` in the log, no backend marked unhealthy. It prints the figures:
//!
//! ```text
//! cargo test -p slb-ccm --test local_storm -- --nocapture
//! SLB_STORM_CONNECTIONS=5000 SLB_STORM_NOFILE=20000 cargo test -p slb-ccm --test local_storm -- --nocapture
//! ```
//!
//! `SLB_STORM_BIN=/path/to/slb-ccm` runs the storm against another build (to compare).
//! Loopback only; bounded by the connection count and a deadline per connection.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use slb_openapi::clb::{
    CreateTcpListenerRequest, DescribeLoadBalancersRequest, StartListenerRequest,
};
use slb_openapi::governor::RateLimit;
use slb_openapi::types::{HealthCheckType, OnOff};
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

mod local_serve_support;
use local_serve_support::{
    LocalServe, ServeArgs, free_addr, internet_lb, lb_with_group, scrape, start,
};
use tokio::time::Instant;

const ID: &str = "storm-id";
const SECRET: &str = "storm-secret";
/// Longest a client waits for its echo before it counts as stalled.
const DEADLINE: Duration = Duration::from_secs(30);

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Two echo "nodes" on 127.0.0.61 and .62 sharing one port.
async fn backends() -> u16 {
    let first = TcpListener::bind("127.0.0.61:0").await.unwrap();
    let port = first.local_addr().unwrap().port();
    let second = TcpListener::bind(("127.0.0.62", port)).await.unwrap();
    for listener in [first, second] {
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = conn.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
    }
    port
}

/// The server under a descriptor limit of `nofile`, its API address, and its log lines.
/// The server (`SLB_STORM_BIN` when set) under `ulimit -n nofile`, VIPs from 127.6.0.0/24,
/// metrics on `metrics`, its warnings collected.
async fn spawn_server(dir: &Path, nofile: u64, metrics: SocketAddr) -> (LocalServe, Log) {
    let mut args = ServeArgs::new(ID, SECRET)
        .program_from_env("SLB_STORM_BIN")
        .flag("--vip-pool", "127.6.0.0/24")
        .flag("--metrics-addr", metrics.to_string())
        .config_text(
            dir,
            "instances:\n\
             - { InstanceId: i-a, PrivateIpAddress: 127.0.0.61 }\n\
             - { InstanceId: i-b, PrivateIpAddress: 127.0.0.62 }\n",
        );
    args.nofile = Some(nofile);
    args.env.push(("RUST_LOG".into(), "warn".into()));
    args.keep_stderr = true;
    let mut server = start(args).await;
    let log = Log::collect(server.child.stderr.take().unwrap());
    (server, log)
}

/// The server's stderr, kept for counting warnings.
#[derive(Clone, Default)]
struct Log(Arc<std::sync::Mutex<Vec<String>>>);

impl Log {
    fn collect(stderr: tokio::process::ChildStderr) -> Self {
        let log = Self::default();
        let lines = Arc::clone(&log.0);
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                lines.lock().unwrap().push(line);
            }
        });
        log
    }

    fn count(&self, needle: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

/// A client that tries each call once, unthrottled.
fn client(server: &LocalServe) -> HttpClient {
    let mut cfg = server.client_config();
    cfg.governor.retry.max_attempts = 1;
    cfg.governor.default_rate = RateLimit::UNLIMITED;
    HttpClient::new(cfg).unwrap()
}

/// A TCP listener on port 80 over i-a and i-b with a TCP health check every second.
async fn configure(api: &HttpClient, node_port: u16) -> SocketAddr {
    let (lb, group) = lb_with_group(
        api,
        &internet_lb(),
        "k8s/30080/storm/default/local",
        &[("i-a", 100), ("i-b", 100)],
        node_port,
    )
    .await;
    api.create_tcp_listener(&CreateTcpListenerRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        listener_port: 80,
        vserver_group_id: Some(group),
        bandwidth: -1,
        health_check_switch: Some(OnOff::On),
        health_check_type: Some(HealthCheckType::Tcp),
        health_check_interval: Some(1),
        health_check_connect_timeout: Some(1),
        healthy_threshold: Some(2),
        unhealthy_threshold: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    api.start_listener(&StartListenerRequest {
        load_balancer_id: lb.load_balancer_id,
        listener_port: 80,
        ..Default::default()
    })
    .await
    .unwrap();
    SocketAddr::new(lb.address.parse().unwrap(), 80)
}

async fn wait_until_listening(vip: SocketAddr) {
    for _ in 0..100 {
        if echoes(vip).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing answers on {vip}");
}

/// One byte through the VIP and back.
async fn echoes(vip: SocketAddr) -> bool {
    let Ok(mut c) = TcpStream::connect(vip).await else {
        return false;
    };
    let mut b = [0u8; 1];
    c.write_all(b"x").await.is_ok() && matches!(c.read(&mut b).await, Ok(1))
}

/// How one storm connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Echoed.
    Served,
    /// Connected, but no echo before the deadline.
    Stalled,
    /// Refused, reset or closed before the echo.
    Failed,
}

async fn one_connection(vip: SocketAddr, n: usize, hold: Duration) -> Outcome {
    let line = format!("storm {n:08}\n");
    let attempt = async {
        let mut c = TcpStream::connect(vip).await.ok()?;
        c.write_all(line.as_bytes()).await.ok()?;
        let mut back = vec![0u8; line.len()];
        c.read_exact(&mut back).await.ok()?;
        tokio::time::sleep(hold).await;
        (back == line.as_bytes()).then_some(())
    };
    match tokio::time::timeout(DEADLINE, attempt).await {
        Ok(Some(())) => Outcome::Served,
        Ok(None) => Outcome::Failed,
        Err(_) => Outcome::Stalled,
    }
}

/// Descriptors and memory of a process, sampled until `stop`.
struct Sampler {
    fd_peak: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    task: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let fd_peak = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak, done) = (Arc::clone(&fd_peak), Arc::clone(&stop));
        let task = std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
                    peak.fetch_max(dir.count(), Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            fd_peak,
            stop,
            task,
        }
    }

    fn finish(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.task.join().unwrap();
        self.fd_peak.load(Ordering::Relaxed)
    }
}

/// `VmRSS` and `VmHWM` (peak) of a process, in MiB.
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
}

/// Signed `DescribeLoadBalancers` calls every 50 ms until `stop`; their latencies, sorted.
async fn probe_api(api: HttpClient, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let answered = api
            .describe_load_balancers(&DescribeLoadBalancersRequest::default())
            .await;
        assert!(answered.is_ok(), "API call during the storm: {answered:?}");
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    latencies.sort();
    latencies
}

/// Sum of the series starting with `prefix` whose line contains `needle`.
fn series(text: &str, prefix: &str, needle: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix) && l.contains(needle))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |sum, v| sum + v)
}

/// What one storm measured.
struct Figures {
    outcomes: Vec<Outcome>,
    took: Duration,
    latencies: Vec<Duration>,
    fd_peak: usize,
    rss: (f64, f64),
    metrics: String,
}

impl Figures {
    fn count(&self, o: Outcome) -> usize {
        self.outcomes.iter().filter(|x| **x == o).count()
    }

    fn metric(&self, prefix: &str, needle: &str) -> f64 {
        series(&self.metrics, prefix, needle)
    }

    fn latency(&self, q: f64) -> Duration {
        self.latencies[((self.latencies.len() - 1) as f64 * q) as usize]
    }
}

/// `connections` clients at once against `vip`, while sampling `pid` and timing the API.
async fn storm(
    vip: SocketAddr,
    api: HttpClient,
    pid: u32,
    connections: usize,
    hold: Duration,
) -> Figures {
    let sampler = Sampler::start(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = tokio::spawn(probe_api(api, Arc::clone(&stop)));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|n| tokio::spawn(one_connection(vip, n, hold)))
        .collect();
    let mut outcomes = Vec::with_capacity(connections);
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    Figures {
        outcomes,
        took,
        latencies: prober.await.unwrap(),
        fd_peak: sampler.finish(),
        rss: rss_mib(pid),
        metrics: String::new(),
    }
}

fn report(f: &Figures, nofile: u64, accept_failed: usize) {
    let budget = f.metric("slb_dataplane_fd_budget ", "");
    println!(
        "storm: {} connections at RLIMIT_NOFILE {nofile} (proxy budget {budget} fds = {} \
         connections) in {:.2?}\n  served {}, stalled {}, failed {}; accept paused {} times; \
         'accept failed' logged {accept_failed} times; unhealthy transitions {}\n  descriptors \
         peak {}; RSS {:.1} MiB (peak {:.1} MiB)\n  API during the storm: {} calls, p50 {:.1?}, \
         p99 {:.1?}, max {:.1?}",
        f.outcomes.len(),
        budget as u64 / 6,
        f.took,
        f.count(Outcome::Served),
        f.count(Outcome::Stalled),
        f.count(Outcome::Failed),
        f.metric("slb_dataplane_fd_budget_waits_total", ""),
        f.metric("slb_dataplane_health_transitions_total", "unhealthy"),
        f.fd_peak,
        f.rss.0,
        f.rss.1,
        f.latencies.len(),
        f.latency(0.5),
        f.latency(0.99),
        f.latency(1.0),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_past_the_descriptor_limit_is_served_with_backpressure_not_stalls() {
    let connections = setting("SLB_STORM_CONNECTIONS", 300) as usize;
    let nofile = setting("SLB_STORM_NOFILE", 1536);
    // Long enough for health probes (every second, two failures eject) to run in the storm.
    let hold = Duration::from_millis(setting("SLB_STORM_HOLD_MS", 2_000));
    let dir = tempfile::tempdir().unwrap();
    let node_port = backends().await;
    let metrics = free_addr();
    let (server, log) = spawn_server(dir.path(), nofile, metrics).await;
    let pid = server.child.id().unwrap();
    let vip = configure(&client(&server), node_port).await;
    wait_until_listening(vip).await;

    let mut f = storm(vip, client(&server), pid, connections, hold).await;
    f.metrics = scrape(metrics).await;
    let accept_failed = log.count("accept failed");
    report(&f, nofile, accept_failed);
    let outcome = (
        f.count(Outcome::Served),
        f.count(Outcome::Stalled),
        f.count(Outcome::Failed),
    );
    assert_eq!(outcome, (connections, 0, 0), "every connection is served");
    assert_eq!(
        accept_failed, 0,
        "the proxy never accepts past its descriptors"
    );
    let unhealthy = f.metric("slb_dataplane_health_transitions_total", "unhealthy");
    assert_eq!(
        unhealthy, 0.0,
        "no backend is marked unhealthy for our own shortage"
    );
    assert!(f.fd_peak as u64 <= nofile);
    if connections as f64 > f.metric("slb_dataplane_fd_budget ", "") / 6.0 {
        let waits = f.metric("slb_dataplane_fd_budget_waits_total", "");
        assert!(waits > 0.0, "a storm past the budget engages backpressure");
    }
}
