//! The controller as a process that can die at any moment, against a real kube-apiserver
//! (testkit) and a real `slb-ccm local serve`:
//!
//! - a controller SIGKILLed after it created a CLB but before it finished the listeners and
//!   wrote the Service back leaves a half-made CLB; a fresh controller adopts that CLB instead
//!   of buying a second one, finishes it and writes the IP and the id label;
//! - with `--leader-elect`, of two replicas only the Lease holder reports itself leader and
//!   calls the cloud; when the holder is SIGKILLed the standby takes the Lease (with a higher
//!   `leaseTransitions`) and serves the next Service;
//! - a leader stopped with SIGTERM releases the Lease, so the standby takes over well before
//!   the lease would have expired.
//!
//! What it does not cover: traffic through the VIPs (see `controller_e2e.rs`) and the
//! election rule itself (unit-tested in the controller crate).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::PostParams;
use kube::{Api, Client, ResourceExt};
use slb_openapi::clb::{
    DescribeListenersRequest, DescribeLoadBalancersRequest, ListenerItem, LoadBalancerSummary,
};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::{Clb, HttpClient};
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service, node};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

const KEY_ID: &str = "proc";
const KEY_SECRET: &str = "proc-secret";
const REGION: &str = "cn-hangzhou";
const LB_ID_LABEL: &str = "service.k8s.alibaba/loadbalancer-id";
const SPEC_ANNOTATION: &str = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec";
const PORT: i32 = 8080;
/// Generous: the machine is small and shared with other test binaries.
const PATIENCE: Duration = Duration::from_secs(60);

/// One test's world: a namespace, two Nodes backed by local ECS instances, and `local serve`.
struct Lab {
    client: Client,
    kubeconfig: PathBuf,
    ns: String,
    nodes: Vec<String>,
    endpoint: String,
    clb: HttpClient,
    _local: Child,
    _dir: tempfile::TempDir,
}

impl Lab {
    /// `net` picks this test's addresses (nodes 127.6.<net>.1x, VIPs 127.6.1<net>.0/24), so
    /// tests running side by side never bind the same VIP.
    async fn start(prefix: &str, net: u8, latency_ms: u64) -> Lab {
        let cp = ControlPlane::shared().await.unwrap();
        let client = cp.client().await.unwrap();
        let ns = cp.namespace(prefix).await.unwrap();
        let nodes: Vec<(String, String)> = (1..=2)
            .map(|i| (format!("{ns}-n{i}"), format!("127.6.{net}.1{i}")))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = String::from("instances:\n");
        for (name, ip) in &nodes {
            yaml.push_str(&format!(
                "  - {{ InstanceId: i-local-{name}, PrivateIpAddress: {ip} }}\n"
            ));
        }
        yaml.push_str(&format!("faults:\n  latency_ms: {latency_ms}\n"));
        std::fs::write(dir.path().join("local.yaml"), yaml).unwrap();
        let log = std::fs::File::create(dir.path().join("00-local-serve.log")).unwrap();
        let (local, endpoint) = local_serve(&dir.path().join("local.yaml"), net, log).await;
        for (name, ip) in &nodes {
            Api::<Node>::all(client.clone())
                .create(&PostParams::default(), &node(name, ip, None))
                .await
                .unwrap();
        }
        Lab {
            clb: clb_client(&endpoint),
            client,
            kubeconfig: cp.kubeconfig_path().to_owned(),
            ns,
            nodes: nodes.into_iter().map(|(name, _)| name).collect(),
            endpoint,
            _local: local,
            _dir: dir,
        }
    }

    /// A fresh log file in the lab's directory; [`Lab::logs`] shows them when a wait fails.
    fn log_file(&self, what: &str) -> std::fs::File {
        let n = std::fs::read_dir(self._dir.path()).unwrap().count();
        std::fs::File::create(self._dir.path().join(format!("{n:02}-{what}.log"))).unwrap()
    }

    /// The last lines of every process log, for failure messages.
    fn logs(&self) -> String {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self._dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        files.sort();
        let mut out = String::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push_str(&format!("--- {}\n", file.display()));
            for line in &lines[lines.len().saturating_sub(30)..] {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// [`poll`]s `probe`; on timeout panics naming `what`, with the process logs.
    async fn eventually<T>(&self, what: &str, probe: impl AsyncFnMut() -> Option<T>) -> T {
        match poll(probe).await {
            Some(found) => found,
            None => panic!("timed out waiting for {what}\n{}", self.logs()),
        }
    }

    fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// A controller watching this namespace, with `extra` flags.
    fn controller(&self, metrics: SocketAddr, extra: &[String]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
            .arg("controller")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--cloud", "local", "--cluster-id", "c-proc"])
            .args(["--local-endpoint", &self.endpoint])
            .args(["--access-key-id", KEY_ID, "--access-key-secret", KEY_SECRET])
            .args(["--namespace", &self.ns])
            .arg("--metrics-addr")
            .arg(metrics.to_string())
            .args(extra)
            .env("RUST_LOG", log_level())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(self.log_file("controller"))
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    /// A Local-policy LoadBalancer Service `name` with one ready pod on each Node.
    async fn create_service(&self, name: &str) {
        let mut svc = load_balancer_service(&self.ns, name, &[(PORT, PORT)]);
        svc.spec.as_mut().unwrap().external_traffic_policy = Some("Local".into());
        svc.metadata.annotations = Some(BTreeMap::from([(
            SPEC_ANNOTATION.to_owned(),
            "slb.s1.small".to_owned(),
        )]));
        self.services()
            .create(&PostParams::default(), &svc)
            .await
            .unwrap();
        let pods: Vec<PodEndpoint> = (self.nodes.iter().enumerate())
            .map(|(i, node)| PodEndpoint::ready(&format!("10.246.{i}.1"), node))
            .collect();
        let port = (format!("p{PORT}"), PORT);
        Api::<EndpointSlice>::namespaced(self.client.clone(), &self.ns)
            .create(
                &PostParams::default(),
                &endpoint_slice(
                    &self.ns,
                    name,
                    &format!("{name}-1"),
                    (&port.0, port.1),
                    &pods,
                ),
            )
            .await
            .unwrap();
    }

    /// The Service's first ingress IP, if written.
    async fn ingress_ip(&self, name: &str) -> Option<String> {
        self.services()
            .get(name)
            .await
            .unwrap()
            .status
            .and_then(|s| s.load_balancer)
            .and_then(|lb| lb.ingress)
            .and_then(|i| i.into_iter().next())
            .and_then(|i| i.ip)
    }

    async fn lb_label(&self, name: &str) -> Option<String> {
        self.services()
            .get(name)
            .await
            .unwrap()
            .labels()
            .get(LB_ID_LABEL)
            .cloned()
    }

    async fn wait_for_ip(&self, name: &str) -> String {
        self.eventually(&format!("an ingress IP on Service {name}"), async || {
            self.ingress_ip(name).await
        })
        .await
    }

    /// Every CLB in the region.
    async fn load_balancers(&self) -> Vec<LoadBalancerSummary> {
        let req = DescribeLoadBalancersRequest {
            page_size: Some(100),
            ..Default::default()
        };
        let resp = self.clb.describe_load_balancers(&req).await.unwrap();
        assert!(resp.total_count < 100, "one page holds every CLB");
        resp.load_balancers
    }

    async fn listeners(&self, lb: &str) -> Vec<ListenerItem> {
        let req = DescribeListenersRequest {
            load_balancer_ids: vec![lb.to_owned()],
            ..Default::default()
        };
        self.clb.describe_listeners(&req).await.unwrap().listeners
    }

    async fn lease(&self, name: &str) -> Option<LeaseSpec> {
        Api::<Lease>::namespaced(self.client.clone(), &self.ns)
            .get_opt(name)
            .await
            .unwrap()
            .and_then(|l| l.spec)
    }

    /// Flags for a replica of the election on Lease `name` in this namespace.
    fn election(&self, name: &str, lease: u64, renew: u64, retry: u64) -> Vec<String> {
        [
            "--leader-elect",
            "--leader-elect-name",
            name,
            "--leader-elect-namespace",
            self.ns.as_str(),
            "--leader-elect-lease-duration-secs",
            lease.to_string().as_str(),
            "--leader-elect-renew-deadline-secs",
            renew.to_string().as_str(),
            "--leader-elect-retry-period-secs",
            retry.to_string().as_str(),
        ]
        .map(str::to_owned)
        .to_vec()
    }
}

async fn local_serve(config: &Path, net: u8, log: std::fs::File) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args(["local", "serve", "--listen", "127.0.0.1:0"])
        .args(["--state", ":memory:", "--region", REGION])
        .args(["--access-key-id", KEY_ID, "--access-key-secret", KEY_SECRET])
        .args(["--vip-pool", &format!("127.6.1{net}.0/24")])
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", log_level())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("address line");
    let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
    (child, addr)
}

fn clb_client(addr: &str) -> HttpClient {
    let mut cfg = ClientConfig::new(REGION, Credentials::new(KEY_ID, KEY_SECRET));
    cfg.overrides = EndpointOverrides::local(addr);
    HttpClient::new(cfg).unwrap()
}

/// The children's log filter: `info`, or `SLB_TEST_LOG` when set (e.g. `debug`).
fn log_level() -> String {
    std::env::var("SLB_TEST_LOG").unwrap_or_else(|_| "info".into())
}

/// Polls `probe` every 100 ms until it answers `Some`; `None` after [`PATIENCE`].
async fn poll<T>(mut probe: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = probe().await {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A loopback address that was free a moment ago.
fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// The process id at the end of a Lease holder identity (`<host>_<pid>`).
fn holder_pid(spec: &LeaseSpec) -> Option<u32> {
    spec.holder_identity
        .as_deref()?
        .rsplit('_')
        .next()?
        .parse()
        .ok()
}

/// The replica's `/metrics` text, once its admin server answers.
async fn metrics(addr: SocketAddr) -> Option<String> {
    let resp = reqwest::get(format!("http://{addr}/metrics")).await.ok()?;
    resp.error_for_status().ok()?.text().await.ok()
}

/// The value of an unlabelled sample, or the sum of a labelled family's samples.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.starts_with(name) && matches!(l.as_bytes().get(name.len()), Some(b' ' | b'{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until the Lease has a holder that is one of `replicas`; returns that replica's
/// index and the Lease.
async fn lease_holder(lab: &Lab, lease: &str, replicas: &[&Child]) -> (usize, LeaseSpec) {
    let pids: Vec<u32> = replicas.iter().map(|c| c.id().unwrap()).collect();
    lab.eventually("a replica to hold the Lease", async || {
        let spec = lab.lease(lease).await?;
        let holder = pids.iter().position(|&p| Some(p) == holder_pid(&spec))?;
        Some((holder, spec))
    })
    .await
}

/// Waits until `metrics` reports `slb_controller_leader` as `want`.
async fn wait_for_leader_gauge(lab: &Lab, addr: SocketAddr, want: f64) {
    lab.eventually(
        &format!("slb_controller_leader {want} on {addr}"),
        async || {
            let text = metrics(addr).await?;
            (sample(&text, "slb_controller_leader") == want).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_controller_mid_create_then_restarting_leaves_exactly_one_clb() {
    // 400 ms per cloud call: the create takes several seconds, so there is time to kill it.
    let lab = Lab::start("proc-kill", 1, 400).await;
    let mut first = lab.controller(free_addr(), &[]);
    lab.create_service("web").await;

    let half_made = lab
        .eventually("the first controller to create a CLB", async || {
            let lbs = lab.load_balancers().await;
            (lbs.len() == 1).then(|| lbs[0].clone())
        })
        .await;
    assert_eq!(
        lab.ingress_ip("web").await,
        None,
        "the Service is written back only after the whole CLB is built"
    );
    first.start_kill().unwrap();
    first.wait().await.unwrap();

    // The half-made state the crash left behind.
    assert_eq!(lab.ingress_ip("web").await, None, "no IP after the crash");
    assert_eq!(
        lab.lb_label("web").await,
        None,
        "no id label after the crash"
    );
    let listeners = lab.listeners(&half_made.load_balancer_id).await;
    assert!(
        !listeners
            .iter()
            .any(|l| i32::from(l.listener_port) == PORT && l.status == "running"),
        "the crash came before the listener was running: {listeners:?}"
    );

    let _second = lab.controller(free_addr(), &[]);
    let ip = lab.wait_for_ip("web").await;

    let lbs = lab.load_balancers().await;
    let ids: Vec<&str> = lbs.iter().map(|l| l.load_balancer_id.as_str()).collect();
    assert_eq!(
        ids,
        [half_made.load_balancer_id.as_str()],
        "exactly one CLB, the half-made one"
    );
    assert_eq!(lbs[0].address, ip, "the Service's IP is the CLB's address");
    assert_eq!(
        lab.lb_label("web").await.as_deref(),
        Some(ids[0]),
        "the Service is labelled with the adopted CLB's id"
    );
    let listener = lab
        .eventually("the listener for the Service port", async || {
            let listeners = lab.listeners(ids[0]).await;
            listeners
                .into_iter()
                .find(|l| i32::from(l.listener_port) == PORT)
        })
        .await;
    assert_eq!(listener.listener_protocol, "tcp");
    assert_eq!(listener.status, "running", "{listener:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_leader_election_only_the_lease_holder_acts_and_a_standby_takes_over_after_a_crash() {
    let lab = Lab::start("proc-elect", 2, 0).await;
    let lease = format!("ccm-{}", lab.ns);
    let flags = lab.election(&lease, 4, 3, 1);
    let addrs = [free_addr(), free_addr()];
    let mut replicas = [
        lab.controller(addrs[0], &flags),
        lab.controller(addrs[1], &flags),
    ];

    let (leader, before) = lease_holder(&lab, &lease, &[&replicas[0], &replicas[1]]).await;
    let standby = 1 - leader;
    wait_for_leader_gauge(&lab, addrs[leader], 1.0).await;
    let standby_metrics = lab
        .eventually("the standby's /metrics", async || {
            metrics(addrs[standby]).await
        })
        .await;
    assert_eq!(sample(&standby_metrics, "slb_controller_leader"), 0.0);

    lab.create_service("first").await;
    lab.wait_for_ip("first").await;
    let leader_metrics = metrics(addrs[leader]).await.unwrap();
    assert!(
        sample(&leader_metrics, "slb_controller_openapi_calls_total") > 0.0,
        "the leader built the CLB:\n{leader_metrics}"
    );
    let standby_metrics = metrics(addrs[standby]).await.unwrap();
    assert_eq!(
        sample(&standby_metrics, "slb_controller_openapi_calls_total"),
        0.0,
        "the standby made no cloud call:\n{standby_metrics}"
    );
    assert_eq!(sample(&standby_metrics, "slb_controller_leader"), 0.0);

    replicas[leader].start_kill().unwrap();
    replicas[leader].wait().await.unwrap();
    let standby_pid = replicas[standby].id().unwrap();
    let after = lab
        .eventually("the standby to take the Lease", async || {
            let spec = lab.lease(&lease).await?;
            (holder_pid(&spec) == Some(standby_pid)).then_some(spec)
        })
        .await;
    assert!(
        after.lease_transitions.unwrap_or(0) > before.lease_transitions.unwrap_or(0),
        "a take-over counts as a transition: {before:?} → {after:?}"
    );
    wait_for_leader_gauge(&lab, addrs[standby], 1.0).await;

    lab.create_service("second").await;
    lab.wait_for_ip("second").await;
    let mut ids: Vec<String> = (lab.load_balancers().await)
        .into_iter()
        .map(|l| l.load_balancer_id)
        .collect();
    ids.sort();
    let mut labels = vec![
        lab.lb_label("first").await.unwrap(),
        lab.lb_label("second").await.unwrap(),
    ];
    labels.sort();
    assert_eq!(ids, labels, "one CLB per Service, no more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_stopped_with_sigterm_releases_the_lease_so_the_standby_takes_over_at_once() {
    const LEASE_SECS: u64 = 10;
    let lab = Lab::start("proc-term", 3, 0).await;
    let lease = format!("ccm-{}", lab.ns);
    let flags = lab.election(&lease, LEASE_SECS, 6, 1);
    let addrs = [free_addr(), free_addr()];
    let mut replicas = [
        lab.controller(addrs[0], &flags),
        lab.controller(addrs[1], &flags),
    ];
    let (leader, _) = lease_holder(&lab, &lease, &[&replicas[0], &replicas[1]]).await;
    let standby = 1 - leader;
    wait_for_leader_gauge(&lab, addrs[leader], 1.0).await;
    wait_for_leader_gauge(&lab, addrs[standby], 0.0).await;

    let leader_pid = replicas[leader].id().unwrap();
    let standby_pid = replicas[standby].id().unwrap();
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &leader_pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success(), "kill -TERM {leader_pid}");
    let (exit, took) = tokio::join!(
        tokio::time::timeout(PATIENCE, replicas[leader].wait()),
        async {
            lab.eventually("the standby to take the Lease", async || {
                let spec = lab.lease(&lease).await?;
                (holder_pid(&spec) == Some(standby_pid)).then_some(())
            })
            .await;
            sent.elapsed()
        }
    );
    let Ok(status) = exit else {
        panic!(
            "the old leader (pid {leader_pid}) still runs {PATIENCE:?} after SIGTERM\n{}",
            lab.logs()
        );
    };
    let status = status.unwrap();
    assert!(status.success(), "a SIGTERM stop is a clean exit: {status}");
    assert!(
        took < Duration::from_secs(LEASE_SECS),
        "the standby took over {took:?} after the SIGTERM, not before the {LEASE_SECS} s lease \
         ran out: the old leader did not release the Lease\n{}",
        lab.logs()
    );
    wait_for_leader_gauge(&lab, addrs[standby], 1.0).await;
}
