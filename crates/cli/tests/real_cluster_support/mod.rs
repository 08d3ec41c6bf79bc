//! The environment of `real_cluster.rs`: a real cluster, slb-ccm's image, the local CLB in the
//! cloud's network namespace, and the steps a user (or an operator's script) takes against
//! them, each a method that waits for its effect and fails with what it saw.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

mod traffic;

pub use traffic::Load;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};
use slb_openapi::api::Clb;
use slb_openapi::clb::vserver_group::{
    DescribeVServerGroupAttributeRequest, DescribeVServerGroupsRequest,
};
use slb_openapi::client::HttpClient;
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_testkit::netns::Forward;
use slb_testkit::{ClusterOptions, RealCluster};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// The namespace of the test workload.
pub const APP_NS: &str = "e2e";
/// The Cluster-policy Service.
pub const CLUSTER_SVC: &str = "echo-cluster";
/// The Local-policy Service, with connection draining on.
pub const LOCAL_SVC: &str = "echo-local";
const KEY_ID: &str = "e2e-key";
const KEY_SECRET: &str = "e2e-secret";
const REGION: &str = "cn-hangzhou";
const IMAGE: &str = "localhost/slb-ccm:e2e";
const LB_ID_LABEL: &str = "service.k8s.alibaba/loadbalancer-id";

/// The figures of the run: printed as they come and written at the end to
/// `$CARGO_TARGET_TMPDIR/real-cluster-report-<name>.txt` (scripts/test.sh prints them).
pub struct Report {
    name: &'static str,
    lines: Vec<String>,
}

impl Report {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            lines: Vec::new(),
        }
    }

    pub fn line(&mut self, line: String) {
        println!("real-cluster {}: {line}", self.name);
        self.lines.push(line);
    }

    pub fn finish(&self) {
        let file = format!("real-cluster-report-{}.txt", self.name);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(file);
        let mut file = std::fs::File::create(&path).unwrap();
        for line in &self.lines {
            writeln!(file, "{line}").unwrap();
        }
    }
}

pub struct Env {
    pub cluster: RealCluster,
    local_clb: Child,
    api: Forward,
    metrics: Forward,
    clb: HttpClient,
    pub client: kube::Client,
    work: tempfile::TempDir,
}

impl Env {
    /// Builds slb-ccm's image, starts the cluster with it and the local CLB in the cloud.
    pub async fn start() -> Env {
        Self::start_with(ClusterOptions::default()).await
    }

    /// [`Env::start`] with `options` (the images are added to them).
    pub async fn start_with(options: ClusterOptions) -> Env {
        Self::start_with_local_config(options, None).await
    }

    /// [`Env::start_with`], the local CLB started with `local_config` (YAML, the format of
    /// crates/local/README.md) as its `--config` file when given, else with its defaults.
    pub async fn start_with_local_config(
        options: ClusterOptions,
        local_config: Option<&str>,
    ) -> Env {
        let work = tempfile::Builder::new()
            .prefix("slb-e2e")
            .tempdir()
            .unwrap();
        let image = work.path().join("slb-ccm.oci.tar");
        let built = std::process::Command::new("bash")
            .arg(slb_testkit::repo_root().join("scripts/build-image.sh"))
            .args([
                "--binary",
                env!("CARGO_BIN_EXE_slb-ccm"),
                "--name",
                IMAGE,
                "--out",
            ])
            .arg(&image)
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "build-image.sh: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        let mut options = options;
        options.images.push(image);
        let cluster = tokio::task::spawn_blocking(move || RealCluster::start(&options))
            .await
            .unwrap()
            .unwrap_or_else(|err| panic!("{err:#}"));
        let config = local_config.map(|yaml| {
            let path = work.path().join("local.yaml");
            std::fs::write(&path, yaml).unwrap();
            path
        });
        let (local_clb, api, metrics) =
            start_local_clb(&cluster, work.path(), config.as_deref()).await;
        let clb = clb_client(api.addr());
        let client = cluster.client().await.unwrap();
        Env {
            cluster,
            local_clb,
            api,
            metrics,
            clb,
            client,
            work,
        }
    }

    /// `kubectl` as the admin; panics with its stderr on failure.
    pub fn kubectl(&self, args: &[&str]) -> String {
        self.cluster
            .kubectl(args)
            .unwrap_or_else(|err| panic!("{err:#}"))
    }

    /// `kubectl apply -k` of an overlay on `deploy/`: the user's image, `SLB_CLOUD=local` at
    /// the local CLB, credentials in the Secret (README, "Install in a cluster").
    pub fn install_slb_ccm(&self) {
        self.install_slb_ccm_with(&[]);
    }

    /// [`Env::install_slb_ccm`] with more settings in the ConfigMap (`SLB_…` variables).
    pub fn install_slb_ccm_with(&self, settings: &[(&str, &str)]) {
        let extra: String = settings
            .iter()
            .map(|(k, v)| format!("      - {{op: add, path: /data/{k}, value: \"{v}\"}}\n"))
            .collect();
        let overlay = self.work.path().join("overlay");
        std::fs::create_dir_all(&overlay).unwrap();
        let deploy = slb_testkit::repo_root()
            .join("deploy")
            .canonicalize()
            .unwrap();
        // kustomize takes bases by relative path only
        let deploy = relative(&overlay.canonicalize().unwrap(), &deploy);
        let cloud_ip = self.cluster.var("CLOUD_IP").unwrap();
        let kustomization = format!(
            r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {deploy}
images:
  - name: slb-ccm
    newName: localhost/slb-ccm
    newTag: e2e
patches:
  - target: {{kind: ConfigMap, name: slb-ccm}}
    patch: |
      - {{op: replace, path: /data/SLB_CLOUD, value: local}}
      - {{op: add, path: /data/SLB_LOCAL_ENDPOINT, value: "{cloud_ip}:9700"}}
      - {{op: replace, path: /data/SLB_CLUSTER_ID, value: c-e2e}}
      - {{op: replace, path: /data/SLB_VPC_ID, value: vpc-local}}
{extra}  - target: {{kind: Secret, name: slb-ccm-credentials}}
    patch: |
      - {{op: replace, path: /stringData/SLB_ACCESS_KEY_ID, value: {KEY_ID}}}
      - {{op: replace, path: /stringData/SLB_ACCESS_KEY_SECRET, value: {KEY_SECRET}}}
"#,
            deploy = deploy.display()
        );
        std::fs::write(overlay.join("kustomization.yaml"), kustomization).unwrap();
        self.kubectl(&["apply", "-k", overlay.to_str().unwrap()]);
    }

    /// `kubectl rollout status` until complete.
    pub fn wait_rollout(&self, ns: &str, what: &str, timeout: Duration) {
        let timeout = format!("--timeout={}s", timeout.as_secs());
        if let Err(err) = self
            .cluster
            .kubectl(&["-n", ns, "rollout", "status", what, &timeout])
        {
            let pods = self
                .cluster
                .kubectl(&["get", "pods", "-A", "-o", "wide"])
                .unwrap_or_default();
            let events = self
                .cluster
                .kubectl(&["get", "events", "-A"])
                .unwrap_or_default();
            panic!("{err:#}\n{pods}\n{events}\n{}", self.cluster.logs_tail(15));
        }
    }

    pub async fn ready_replicas(&self, ns: &str, name: &str) -> i32 {
        let d = Api::<Deployment>::namespaced(self.client.clone(), ns)
            .get(name)
            .await
            .unwrap();
        d.status.and_then(|s| s.ready_replicas).unwrap_or(0)
    }

    /// The holder of slb-ccm's Lease (`kube-system/ccm`), `<pod>_<pid>`.
    pub async fn lease_holder(&self) -> Option<String> {
        let api = Api::<Lease>::namespaced(self.client.clone(), "kube-system");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let holder = api
                .get_opt("ccm")
                .await
                .unwrap()
                .and_then(|l| l.spec?.holder_identity);
            if holder.as_deref().is_some_and(|h| !h.is_empty()) {
                return holder;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        None
    }

    /// Waits until the Lease is held by a running slb-ccm pod other than `old`'s.
    pub async fn wait_new_leader(&self, old: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Some(holder) = self.lease_holder().await {
                let pods = self.pod_names("slb-ccm", "app=slb-ccm").await;
                if holder != old && pods.iter().any(|p| holder.starts_with(&format!("{p}_"))) {
                    return holder;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the Lease stayed with {old:?} or went to no running pod");
    }

    /// Waits until exactly `want` pods match `selector` and none is terminating: a rollout is
    /// over for the traffic only when the old pods have exited.
    pub async fn wait_old_pods_gone(&self, ns: &str, selector: &str, want: usize) {
        let api = Api::<Pod>::namespaced(self.client.clone(), ns);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let pods = api
                .list(&ListParams::default().labels(selector))
                .await
                .unwrap()
                .items;
            let terminating = pods
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_some())
                .count();
            if pods.len() == want && terminating == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} pods, {terminating} terminating",
                pods.len()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Running, not terminating pods matching `selector`.
    pub async fn pod_names(&self, ns: &str, selector: &str) -> Vec<String> {
        let pods = Api::<Pod>::namespaced(self.client.clone(), ns)
            .list(&ListParams::default().labels(selector))
            .await
            .unwrap();
        pods.items
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter_map(|p| p.metadata.name)
            .collect()
    }

    /// The echo Deployment (`replicas`) and its two LoadBalancer Services.
    pub async fn apply_workload(&self, replicas: u32) {
        let path = self.work.path().join("workload.yaml");
        std::fs::write(&path, workload_yaml(replicas)).unwrap();
        self.kubectl(&["apply", "-f", path.to_str().unwrap()]);
    }

    /// Polls until the Service has an ingress IP (2 minutes at most).
    pub async fn ingress_ip(&self, svc: &str) -> String {
        let api = Api::<Service>::namespaced(self.client.clone(), APP_NS);
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let s = api.get(svc).await.unwrap();
            let ingress = s
                .status
                .and_then(|st| st.load_balancer?.ingress?.into_iter().next());
            if let Some(ingress) = ingress {
                // slb-ccm writes no ipMode, as the reference; the API server defaults it to VIP
                // (kube-proxy then short-circuits in-cluster traffic to the LB IP).
                assert_ne!(
                    ingress.ip_mode.as_deref(),
                    Some("Proxy"),
                    "ipMode is not Proxy"
                );
                return ingress.ip.expect("an IP");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let events = self.kubectl(&["-n", APP_NS, "get", "events"]);
        let logs = self.kubectl(&[
            "-n",
            "slb-ccm",
            "logs",
            "-l",
            "app=slb-ccm",
            "--tail=30",
            "--prefix",
        ]);
        panic!("{svc} got no IP\n{events}\n{logs}");
    }

    /// `n` requests from the cloud's namespace through `ip:80`, by answering pod.
    pub async fn split_through_vip(&self, ip: &str, n: usize) -> BTreeMap<String, usize> {
        let vip: SocketAddr = format!("{ip}:80").parse().unwrap();
        let netns = self.cluster.cloud_netns().to_owned();
        let handle = slb_testkit::netns::in_netns(&netns, move || traffic::split(vip, n));
        tokio::task::spawn_blocking(move || slb_testkit::netns::join(handle))
            .await
            .unwrap()
            .unwrap()
            .unwrap_or_else(|err| panic!("{err:#}"))
    }

    /// A client sending requests through `ip:80` from the cloud until [`Load::finish`].
    pub fn load(&self, ip: &str) -> Load {
        let vip: SocketAddr = format!("{ip}:80").parse().unwrap();
        Load::start(self.cluster.cloud_netns(), vip)
    }

    /// The weights of the Local Service's vServer group members, as the local CLB has them.
    pub async fn local_weights(&self) -> Vec<u32> {
        let svc = Api::<Service>::namespaced(self.client.clone(), APP_NS)
            .get(LOCAL_SVC)
            .await
            .unwrap();
        let lb = svc
            .metadata
            .labels
            .unwrap_or_default()
            .get(LB_ID_LABEL)
            .cloned()
            .expect("CLB id label");
        let groups = self
            .clb
            .describe_vserver_groups(&DescribeVServerGroupsRequest {
                region_id: None,
                load_balancer_id: lb,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut weights = Vec::new();
        for group in groups.vserver_groups {
            let attr = self
                .clb
                .describe_vserver_group_attribute(&DescribeVServerGroupAttributeRequest {
                    region_id: None,
                    vserver_group_id: group.vserver_group_id,
                })
                .await
                .unwrap();
            weights.extend(attr.backend_servers.iter().map(|b| b.weight.unwrap_or(0)));
        }
        weights
    }

    /// Polls until the Local Service's single backend has weight `want`.
    pub async fn wait_local_weight(&self, want: u32) -> Vec<u32> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let weights = self.local_weights().await;
            if weights == vec![want] {
                return weights;
            }
            assert!(
                Instant::now() < deadline,
                "weights {weights:?}, want [{want}]"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Everything of the two Services that a sync could change.
    pub async fn services_snapshot(&self) -> Vec<String> {
        let api = Api::<Service>::namespaced(self.client.clone(), APP_NS);
        let mut out = Vec::new();
        for name in [CLUSTER_SVC, LOCAL_SVC] {
            let s = api.get(name).await.unwrap();
            out.push(format!(
                "{name} rv={:?} labels={:?} annotations={:?} finalizers={:?} status={:?}",
                s.metadata.resource_version,
                s.metadata.labels,
                s.metadata.annotations,
                s.metadata.finalizers,
                s.status
            ));
        }
        out
    }

    /// Calls that change the CLB, as counted by the local CLB (`/metrics`): every action but
    /// `Describe*`/`List*` and the local-only admin actions (node registration).
    pub async fn clb_write_calls(&self) -> BTreeMap<String, u64> {
        let mut calls = self.api_calls().await;
        calls.retain(|action, _| {
            !(action.starts_with("Describe")
                || action.starts_with("List")
                || action.starts_with("Local"))
        });
        calls
    }

    /// Every call the local CLB answered so far, by action (its `/metrics`).
    pub async fn api_calls(&self) -> BTreeMap<String, u64> {
        let text = reqwest::get(format!("http://{}/metrics", self.metrics.addr()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut calls = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| l.starts_with("slb_local_api_requests_total{"))
        {
            let action = line
                .split("action=\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            let count: f64 = line
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            *calls.entry(action.unwrap_or("").to_owned()).or_default() += count as u64;
        }
        calls
    }

    /// Inserts or replaces instances of the local CLB.
    pub async fn put_instances(&self, instances: Vec<slb_openapi::local_admin::LocalInstance>) {
        let request = slb_openapi::local_admin::LocalPutInstancesRequest {
            instances,
            ..Default::default()
        };
        self.clb.call(&request).await.unwrap();
    }

    /// The local CLB's ECS client, for describes.
    pub fn ecs(&self) -> &HttpClient {
        &self.clb
    }

    /// The local CLB's VPC client, for route table and entry describes.
    pub fn vpc(&self) -> &HttpClient {
        &self.clb
    }

    /// A pod that sends `n` requests to `ip:80` from inside the cluster; its output.
    pub async fn in_cluster_get(&self, svc: &str, ip: &str, n: usize) -> String {
        let name = format!("client-{svc}");
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": APP_NS},
            "spec": {
                "restartPolicy": "Never", "automountServiceAccountToken": false,
                "enableServiceLinks": false, "dnsPolicy": "Default",
                "containers": [{"name": "get", "image": slb_testkit::images::ECHO_IMAGE,
                                "imagePullPolicy": "Never", "args": ["get", format!("{ip}:80"), n.to_string()]}]
            }
        });
        let api = Api::<Pod>::namespaced(self.client.clone(), APP_NS);
        api.create(&Default::default(), &serde_json::from_value(pod).unwrap())
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        let phase = loop {
            let phase = api
                .get(&name)
                .await
                .unwrap()
                .status
                .and_then(|s| s.phase)
                .unwrap_or_default();
            if phase == "Succeeded" || phase == "Failed" || Instant::now() > deadline {
                break phase;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let logs = self.kubectl(&["-n", APP_NS, "logs", &name]);
        assert_eq!(
            phase, "Succeeded",
            "the client pod reaching {ip} from inside: {logs}"
        );
        logs.trim().to_owned()
    }
}

/// The path of `to` relative to the folder `from` (both absolute).
fn relative(from: &std::path::Path, to: &std::path::Path) -> PathBuf {
    let (from, to): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path: PathBuf = std::iter::repeat_n("..", from.len() - common).collect();
    path.extend(&to[common..]);
    path
}

/// `slb-ccm local serve` in the cloud's namespace, its API and metrics forwarded to loopback.
/// With `config`, that file is its `--config`.
async fn start_local_clb(
    cluster: &RealCluster,
    work: &std::path::Path,
    config: Option<&std::path::Path>,
) -> (Child, Forward, Forward) {
    let cloud_ip = cluster.var("CLOUD_IP").unwrap().to_owned();
    let mut command = Command::new("nsenter");
    command
        .arg(format!("--net=/run/netns/{}", cluster.cloud_netns()))
        .arg(env!("CARGO_BIN_EXE_slb-ccm"))
        .args([
            "local",
            "serve",
            "--region",
            REGION,
            "--listen",
            &format!("{cloud_ip}:9700"),
        ])
        .arg("--state")
        .arg(work.join("clb.db"))
        .args(["--vip-pool", cluster.var("VIP_CIDR").unwrap()])
        .args(["--access-key-id", KEY_ID, "--access-key-secret", KEY_SECRET])
        .args(["--metrics-addr", &format!("{cloud_ip}:9701")]);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(work.join("local-serve.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("local serve starts")
        .unwrap()
        .expect("its address line");
    assert!(line.contains(&cloud_ip), "{line}");
    let api = Forward::start(
        cluster.cloud_netns(),
        format!("{cloud_ip}:9700").parse().unwrap(),
    )
    .unwrap();
    let metrics = Forward::start(
        cluster.cloud_netns(),
        format!("{cloud_ip}:9701").parse().unwrap(),
    )
    .unwrap();
    (child, api, metrics)
}

fn clb_client(addr: SocketAddr) -> HttpClient {
    let mut cfg = ClientConfig::new(REGION, Credentials::new(KEY_ID, KEY_SECRET));
    cfg.overrides = EndpointOverrides::local(addr.to_string());
    HttpClient::new(cfg).unwrap()
}

/// The test workload: echo pods (a `preStop` sleep so endpoints and the CLB stop sending
/// before SIGTERM, as a real workload needs) behind a Cluster and a draining Local Service.
fn workload_yaml(replicas: u32) -> String {
    let image = slb_testkit::images::ECHO_IMAGE;
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata: {{name: {APP_NS}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: echo, namespace: {APP_NS}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: echo}}}}
  strategy: {{rollingUpdate: {{maxUnavailable: 0, maxSurge: 1}}}}
  template:
    metadata: {{labels: {{app: echo}}}}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      dnsPolicy: Default
      terminationGracePeriodSeconds: 30
      containers:
        - name: echo
          image: {image}
          imagePullPolicy: Never
          env: [{{name: POD_NAME, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}]
          ports: [{{containerPort: 8080}}]
          readinessProbe: {{tcpSocket: {{port: 8080}}, periodSeconds: 1}}
          lifecycle: {{preStop: {{sleep: {{seconds: 5}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {CLUSTER_SVC}, namespace: {APP_NS}}}
spec:
  type: LoadBalancer
  selector: {{app: echo}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata:
  name: {LOCAL_SVC}
  namespace: {APP_NS}
  annotations:
    service.beta.kubernetes.io/alibaba-cloud-loadbalancer-connection-drain: "on"
    service.beta.kubernetes.io/alibaba-cloud-loadbalancer-connection-drain-timeout: "10"
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {{app: echo}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
"#
    )
}
