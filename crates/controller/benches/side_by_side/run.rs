//! One run of the side-by-side bench: a fresh API server and local CLB, one controller
//! process, the phases, and the figures read from the local CLB's `/metrics` and /proc.

use crate::workload;
use slb_testkit::{ControlPlane, ControlPlaneOptions};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const REGION: &str = "cn-hangzhou";

/// Sizes and phase lengths.
pub struct Workload {
    pub services: usize,
    pub nodes: usize,
    pub steady_secs: u64,
    pub timeout_secs: u64,
}

/// A controller under test.
pub enum Contender {
    SlbCcm(PathBuf),
    Reference { bin: PathBuf, kube_qps: u64 },
}

/// The local CLB's flow control for a run: none, or `realistic`, the `documented` preset
/// (per account and action: writes 90 per 60 s, reads 3,000 per 60 s, rows as published).
#[derive(Clone, Copy)]
pub enum Profile {
    None,
    Realistic,
}

/// What one run measured.
#[derive(Default)]
pub struct Figures {
    pub seconds: Option<f64>,
    pub converge: BTreeMap<String, u64>,
    pub throttled: u64,
    pub steady: u64,
    pub join: u64,
    pub restart: u64,
    pub rss_mib: f64,
    pub cpu_secs: f64,
    /// Reconciles until convergence and their p50/p99 durations (bucket upper bounds, from
    /// the controller's own histogram).
    pub reconciles: Option<Quantiles>,
}

/// Count and quantiles of a Prometheus histogram.
#[derive(Clone, Copy)]
pub struct Quantiles {
    pub count: u64,
    pub p50: f64,
    pub p99: f64,
}

impl Profile {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "realistic" => Self::Realistic,
            _ => Self::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::None => "no throttling",
            Self::Realistic => "documented quotas: writes 90/60 s, reads 3000/60 s",
        }
    }

    fn yaml(self) -> &'static str {
        match self {
            Self::None => "",
            // Alibaba's published CLB quota table (`slb_local::ratelimit::preset`).
            Self::Realistic => "rate_limits: documented\n",
        }
    }
}

impl Contender {
    pub fn name(&self) -> String {
        match self {
            Self::SlbCcm(_) => "slb-ccm".into(),
            Self::Reference { kube_qps, .. } => format!("reference (kube QPS {kube_qps})"),
        }
    }

    /// The series of the reconcile-duration histogram in this controller's `/metrics`, and
    /// a filter on its labels (controller-runtime labels it by controller).
    fn reconcile_histogram(&self) -> (&'static str, &'static str) {
        match self {
            Self::SlbCcm(_) => ("slb_controller_reconcile_duration_seconds_bucket", ""),
            Self::Reference { .. } => (
                "controller_runtime_reconcile_time_seconds_bucket",
                "service",
            ),
        }
    }

    fn spawn(
        &self,
        kubeconfig: &Path,
        endpoint: &str,
        dir: &Path,
        n: usize,
    ) -> (Child, SocketAddr) {
        let log = std::fs::File::create(dir.join(format!("controller-{n}.log"))).unwrap();
        let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut cmd = match self {
            Self::SlbCcm(bin) => slb_ccm_command(bin, kubeconfig, endpoint, metrics),
            Self::Reference { bin, kube_qps } => {
                reference_command(bin, kubeconfig, endpoint, dir, *kube_qps, metrics)
            }
        };
        cmd.stdout(log.try_clone().unwrap()).stderr(log);
        (cmd.spawn().expect("starting the controller"), metrics)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn slb_ccm_command(bin: &Path, kubeconfig: &Path, endpoint: &str, metrics: SocketAddr) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(["controller", "--cloud", "local", "--cluster-id", "c-bench"])
        .args(["--region", REGION, "--vpc-id", "vpc-local"])
        .args(["--local-endpoint", endpoint])
        .args([
            "--access-key-id",
            "bench",
            "--access-key-secret",
            "bench-secret",
        ])
        .arg("--no-register-nodes")
        .arg("--metrics-addr")
        .arg(metrics.to_string())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env("RUST_LOG", "warn");
    cmd
}

fn reference_command(
    bin: &Path,
    kubeconfig: &Path,
    endpoint: &str,
    dir: &Path,
    kube_qps: u64,
    metrics: SocketAddr,
) -> Command {
    // The reference reads base64 AccessKeyID/AccessKeySecret ("bench", "bench-secret").
    let cloud_config = dir.join("cloud-config.json");
    std::fs::write(
        &cloud_config,
        format!(
            r#"{{"Global":{{"accessKeyID":"YmVuY2g=","accessKeySecret":"YmVuY2gtc2VjcmV0","clusterID":"c-bench","region":"{REGION}","vpcid":"vpc-local","zoneid":"cn-hangzhou-a","vswitchid":"cn-hangzhou-a:vsw-local"}}}}"#
        ),
    )
    .unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--kubeconfig={}", kubeconfig.display()))
        .arg(format!("--cloud-config={}", cloud_config.display()))
        .args(["--controllers=service", "--leader-elect=false"])
        .arg("--configure-cloud-routes=false")
        // Its pprof server would listen on :6060 of every interface by default, and a
        // second reference (another run at the same time) would fail to start on it.
        .arg("--pprof-bind-addr=0")
        .arg(format!("--metrics-bind-addr={metrics}"))
        .arg(format!(
            "--health-probe-bind-addr=127.0.0.1:{}",
            free_port()
        ))
        .arg(format!("--kube-api-qps={kube_qps}"))
        .arg(format!("--kube-api-burst={kube_qps}"))
        .env("SLB_ENDPOINT", endpoint)
        .env("ECS_ENDPOINT", endpoint)
        .env("ALICLOUD_CLIENT_SCHEME", "HTTP");
    cmd
}

fn node_ip(i: usize) -> String {
    format!("127.9.{}.{}", i / 250, i % 250 + 1)
}

fn instance_id(i: usize) -> String {
    format!("i-bench-node-{i}")
}

async fn start_local_clb(dir: &Path, w: &Workload, profile: Profile) -> (String, SocketAddr) {
    let mut yaml = format!(
        "quotas: {{ load_balancers_per_account: {}, backends_per_load_balancer: 1000 }}\n{}instances:\n",
        w.services + 10,
        profile.yaml()
    );
    for i in 0..=w.nodes {
        yaml.push_str(&format!(
            "  - {{ InstanceId: {}, PrivateIpAddress: {}, VpcId: vpc-local, ZoneId: cn-hangzhou-a }}\n",
            instance_id(i),
            node_ip(i)
        ));
    }
    let config = dir.join("local.yaml");
    std::fs::write(&config, yaml).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let args = slb_local::ServeArgs {
        listen: listen.parse().unwrap(),
        state: slb_local::serve::MEMORY_STATE.into(),
        region: REGION.into(),
        access_key_id: "bench".into(),
        access_key_secret: "bench-secret".into(),
        vip_pool: Some("127.8.0.0/16".into()),
        config: Some(config),
        metrics_addr: Some(metrics),
    };
    tokio::spawn(slb_local::run(args, std::future::pending()));
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&listen).await.is_ok() {
            return (listen, metrics);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the local CLB did not start on {listen}");
}

/// The text of `GET /metrics` at `addr` (empty when nothing answers). Asked as HTTP/1.0 so
/// the body comes whole: the reference's Go server answers HTTP/1.1 in chunks of a fixed
/// size, whose size lines cut metric lines in two (and its histogram then did not parse).
async fn scrape(addr: SocketAddr) -> String {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return String::new();
    };
    let req = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    text
}

/// p50 and p99 of the histogram `series` (its `_bucket` lines whose labels contain
/// `filter`, summed over label sets), as the upper bound of the bucket holding the quantile.
fn quantiles(text: &str, series: &str, filter: &str) -> Option<Quantiles> {
    let mut buckets: BTreeMap<u64, (f64, u64)> = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with(series)) {
        let (labels, value) = line.rsplit_once(' ')?;
        if !labels.contains(filter) {
            continue;
        }
        let le = labels.split("le=\"").nth(1)?.split('"').next()?;
        let bound: f64 = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().ok()?
        };
        let count = value.parse::<f64>().ok()? as u64;
        // Keyed by the bound's bits so buckets of several label sets add up.
        buckets.entry(bound.to_bits()).or_insert((bound, 0)).1 += count;
    }
    let mut sorted: Vec<(f64, u64)> = buckets.into_values().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let count = sorted.last()?.1;
    let at = |q: f64| {
        let rank = (q * count as f64).ceil() as u64;
        sorted
            .iter()
            .find(|(_, c)| *c >= rank)
            .map_or(f64::INFINITY, |(b, _)| *b)
    };
    (count > 0).then(|| Quantiles {
        count,
        p50: at(0.5),
        p99: at(0.99),
    })
}

/// Requests the local CLB answered, by action and answer code (`Local*` left out).
async fn answered(metrics: SocketAddr) -> BTreeMap<(String, String), u64> {
    let text = scrape(metrics).await;
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("slb_local_api_requests_total{"))
    {
        let label = |name: &str| {
            line.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_default()
                .to_owned()
        };
        let action = label("action");
        if action.starts_with("Local") {
            continue;
        }
        let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap_or(0.0);
        *out.entry((action, label("code"))).or_default() += value as u64;
    }
    out
}

async fn total(metrics: SocketAddr) -> u64 {
    answered(metrics).await.values().sum()
}

/// Longest a phase waits for the controller to go quiet: at scale under flow control its
/// drift checks (4 describes per Service per interval) may never leave a quiet gap.
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// Waits for the first call after `since` (at most `first` long), then for `quiet` without
/// any (at most [`SETTLE_LIMIT`] in all); returns the total then.
async fn settle(metrics: SocketAddr, since: u64, first: Duration, quiet: Duration) -> u64 {
    let start = Instant::now();
    let mut last = total(metrics).await;
    while last == since && start.elapsed() < first {
        tokio::time::sleep(Duration::from_millis(250)).await;
        last = total(metrics).await;
    }
    let mut still = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = total(metrics).await;
        if now != last {
            last = now;
            still = Instant::now();
        } else if still.elapsed() >= quiet {
            return now;
        }
        if start.elapsed() >= SETTLE_LIMIT {
            eprintln!("  never quiet for {quiet:?} within {SETTLE_LIMIT:?}; counting until now");
            return now;
        }
    }
}

/// (peak RSS MiB, CPU seconds) of process `pid`.
fn usage(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after "pid (comm) ".
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    (rss, ticks / 100.0)
}

fn node_names(i: usize) -> (String, String, String) {
    (
        format!("bench-node-{i}"),
        node_ip(i),
        format!("{REGION}.{}", instance_id(i)),
    )
}

fn by_action(calls: &BTreeMap<(String, String), u64>) -> (BTreeMap<String, u64>, u64) {
    let mut actions = BTreeMap::new();
    let mut throttled = 0;
    for ((action, code), n) in calls {
        *actions.entry(action.clone()).or_default() += n;
        if code.starts_with("Throttling") {
            throttled += n;
        }
    }
    (actions, throttled)
}

/// One contender on one profile, from a fresh API server and local CLB.
pub async fn measure(contender: &Contender, profile: Profile, w: &Workload) -> Figures {
    let cp = ControlPlane::start_with(ControlPlaneOptions::default().node_port_range(20000, 32767))
        .await
        .expect("test control plane");
    let kube = cp.client().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (endpoint, metrics) = start_local_clb(dir.path(), w, profile).await;
    workload::create_nodes(&kube, 0..w.nodes, node_names).await;
    let (mut child, controller_metrics) =
        contender.spawn(cp.kubeconfig_path(), &endpoint, dir.path(), 1);
    let started = Instant::now();
    // The Services are created while the controller starts, and watched meanwhile; a
    // controller that exits ends the run at once instead of at the timeout.
    let run = async {
        tokio::join!(
            workload::create_services(&kube, w.services),
            workload::converge(&kube, w.services, started, w.timeout_secs),
        )
    };
    let seconds = tokio::select! {
        (_, seconds) = run => seconds,
        status = exited(&mut child) => panic!(
            "{} exited ({status}) before every Service had an IP; its log ends:\n{}",
            contender.name(),
            log_tail(dir.path(), 1)
        ),
    };
    let mut f = Figures {
        seconds,
        ..Figures::default()
    };
    let quiet = Duration::from_secs(5);
    let converged = settle(metrics, 0, Duration::ZERO, quiet).await;
    (f.converge, f.throttled) = by_action(&answered(metrics).await);
    let (series, filter) = contender.reconcile_histogram();
    f.reconciles = quantiles(&scrape(controller_metrics).await, series, filter);
    tokio::time::sleep(Duration::from_secs(w.steady_secs)).await;
    let steady = total(metrics).await;
    f.steady = steady - converged;
    workload::create_nodes(&kube, w.nodes..w.nodes + 1, node_names).await;
    let joined = settle(metrics, steady, Duration::from_secs(30), quiet).await;
    f.join = joined - steady;
    (f.rss_mib, f.cpu_secs) = usage(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, _) = contender.spawn(cp.kubeconfig_path(), &endpoint, dir.path(), 2);
    let restarted = settle(metrics, joined, Duration::from_secs(30), quiet).await;
    f.restart = restarted - joined;
    f.rss_mib = f.rss_mib.max(usage(child.id()).0);
    child.kill().unwrap();
    child.wait().unwrap();
    if f.seconds.is_none() {
        eprintln!(
            "did not converge; controller log tail:\n{}",
            log_tail(dir.path(), 1)
        );
    }
    f
}

/// Resolves when `child` has exited, with its status.
async fn exited(child: &mut Child) -> std::process::ExitStatus {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The last 20 lines of the `n`th controller process's log in `dir`, oldest first.
fn log_tail(dir: &Path, n: u32) -> String {
    let log = std::fs::read_to_string(dir.join(format!("controller-{n}.log"))).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
