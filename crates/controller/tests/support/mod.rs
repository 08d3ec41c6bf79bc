//! Shared harness of the controller's integration tests: a namespace on the shared real
//! kube-apiserver (testkit), three Ready nodes known to a fresh in-process local CLB, and a
//! controller for that namespace with its admin server on a free loopback port, so tests read
//! cloud call counts from `/metrics` (and readiness from `/readyz`) as an operator would. With
//! a leader identity, replicas share a Lease in the test's namespace
//! ([`Harness::start_replica`] starts another one).
//!
//! Nodes are cluster-scoped and every test of a binary shares one API server, so each node is
//! labelled `slb-test=<namespace>`: Cluster-policy Services select their test's nodes with
//! the `backend-label` annotation ([`Harness::own_nodes`]).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use k8s_openapi::api::core::v1::{Event, Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use slb_controller::cloud::Cloud;
use slb_controller::leader::LeaderConfig;
use slb_controller::run::{Settings, run_controller};
use slb_local::store::MemoryStore;
use slb_local::{Engine, LocalConfig, NoopDataPlane};
use slb_model::{ClusterContext, PlanOptions};
use slb_openapi::local_admin::{LocalInstance, LocalPutInstancesRequest};
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service, node};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Annotation prefix of every CLB annotation.
pub const PREFIX: &str = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-";
/// Label every harness node carries, valued with the test's namespace.
pub const NODE_LABEL: &str = "slb-test";

/// A running controller and what it talks to; stops the controller on drop.
pub struct Harness {
    /// Admin client.
    pub client: Client,
    /// The test's namespace.
    pub ns: String,
    /// A cloud over the same local CLB for the test's own looks (its own cache and call
    /// counts, so looking does not change what the controller's `/metrics` report).
    pub cloud: Cloud,
    /// The local CLB engine, for console-style changes behind the controller's back.
    pub engine: Arc<Engine>,
    /// Node names `<ns>-a/b/c`.
    pub nodes: Vec<String>,
    /// The controller's admin server.
    pub admin: SocketAddr,
    /// What the controller was started with, for more replicas.
    settings: Settings,
    /// The client the controller acts as.
    acting: Client,
    stop: CancellationToken,
}

/// Another controller replica ([`Harness::start_replica`]); stops on drop.
pub struct Replica {
    /// Its admin server.
    pub admin: SocketAddr,
    stop: CancellationToken,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// How to build a [`Harness`].
pub struct Options {
    /// Act as this client instead of the admin.
    pub controller_client: Option<Client>,
    /// Drift-repair interval.
    pub drift: Duration,
    /// Extra top-level YAML for the local CLB's config (e.g. a `faults:` section).
    pub local_yaml: String,
    /// Concurrent reconciles.
    pub concurrency: u16,
    /// Reach the local CLB through its signed HTTP API with the real OpenAPI client (governor,
    /// retries with short test delays) instead of in process.
    pub over_http: bool,
    /// Plan only.
    pub dry_run: bool,
    /// Start the local CLB without the nodes' instances and let the controller register
    /// them (`--register-nodes`) through [`EngineInventory`].
    pub register_nodes: bool,
    /// Run a leader election as this identity ([`LEASE`] in the test's namespace).
    pub leader_identity: Option<String>,
    /// The `ipMode` written with the CLB's IP.
    pub ingress_ip_mode: slb_controller::service_writes::IngressIpMode,
    /// In process: the controller's CLB calls go through this wrapper of the engine.
    pub wrap_clb: Option<WrapClb>,
}

/// Wraps the engine's CLB side for the controller (a fake that alters some answers).
pub type WrapClb = fn(Arc<Engine>) -> Arc<dyn slb_openapi::Clb>;

/// Name of the Lease replicas of a harness share.
pub const LEASE: &str = "slb-ccm";

/// Election timings short enough for tests (client-go's order: lease > renew > retry).
pub fn fast_election(ns: &str, identity: &str) -> LeaderConfig {
    LeaderConfig {
        lease_duration: Duration::from_secs(4),
        renew_deadline: Duration::from_secs(3),
        retry_period: Duration::from_millis(500),
        ..LeaderConfig::new(ns, LEASE, identity)
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            controller_client: None,
            drift: Duration::from_secs(600),
            local_yaml: String::new(),
            concurrency: 2,
            over_http: false,
            dry_run: false,
            register_nodes: false,
            leader_identity: None,
            ingress_ip_mode: Default::default(),
            wrap_clb: None,
        }
    }
}

/// [`harness_with`] with default options.
pub async fn harness(prefix: &str) -> Harness {
    harness_with(prefix, Options::default()).await
}

/// A namespace, three Ready nodes (`<ns>-a/b/c` on 127.0.0.61–63) known to a fresh local CLB
/// (which also knows instance `i-local-<ns>-d` on 127.0.0.64 for a node that joins later),
/// and a controller for that namespace.
pub async fn harness_with(prefix: &str, options: Options) -> Harness {
    let cp = ControlPlane::shared().await.unwrap();
    let client = cp.client().await.unwrap();
    let ns = cp.namespace(prefix).await.unwrap();
    let nodes: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| format!("{ns}-{n}"))
        .collect();
    let mut yaml = String::from("instances:\n");
    for (i, name) in nodes.iter().enumerate() {
        let ip = format!("127.0.0.{}", 61 + i);
        if !options.register_nodes {
            yaml.push_str(&instance_yaml(name, &ip));
        }
        create_node(&client, &ns, name, &ip).await;
    }
    if !options.register_nodes {
        // A spare instance for a node that joins later.
        yaml.push_str(&instance_yaml(&format!("{ns}-d"), "127.0.0.64"));
    }
    yaml.push_str(&options.local_yaml);
    let engine = local_engine(&yaml);
    let controller_cloud = if options.over_http {
        over_http(engine.clone()).await
    } else {
        let clb: Arc<dyn slb_openapi::Clb> = match options.wrap_clb {
            Some(wrap) => wrap(engine.clone()),
            None => engine.clone(),
        };
        Cloud::new(clb, engine.clone(), "cn-hangzhou").with_vpc(engine.clone())
    };
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let mut cluster = ClusterContext::new("c-test", "cn-hangzhou", "vpc-local");
    cluster.local_mode = true;
    let admin = free_port();
    let settings = Settings {
        plan_options: PlanOptions::from_context(&cluster),
        cluster,
        dry_run: options.dry_run,
        ingress_ip_mode: options.ingress_ip_mode,
        drift_interval: options.drift,
        concurrency: options.concurrency,
        leader: options
            .leader_identity
            .as_deref()
            .map(|id| fast_election(&ns, id)),
        admin_addr: Some(admin),
        namespace: Some(ns.clone()),
        debounce: Duration::from_millis(100),
        inventory: options.register_nodes.then(|| {
            slb_controller::inventory::Inventory(Arc::new(EngineInventory(engine.clone())))
        }),
        services: true,
        nodes: None,
        routes: None,
    };
    let stop = CancellationToken::new();
    let acting = options.controller_client.unwrap_or_else(|| client.clone());
    tokio::spawn(run_controller(
        acting.clone(),
        controller_cloud,
        settings.clone(),
        stop.clone(),
    ));
    Harness {
        client,
        ns,
        cloud,
        engine,
        nodes,
        admin,
        settings,
        acting,
        stop,
    }
}

/// Serves `engine` on a loopback port and returns a cloud reaching it through the signed
/// HTTP client, whose retries are shortened (20 ms doubling to 200 ms, 6 attempts when
/// throttled) so a test sees many of them quickly.
async fn over_http(engine: Arc<Engine>) -> Cloud {
    use slb_local::server::{Credential, ServerConfig, app};
    use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
    use slb_openapi::governor::RetryPolicy;
    use slb_openapi::metrics::ApiMetrics;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = ServerConfig {
        credentials: vec![Credential {
            access_key_id: "test".into(),
            access_key_secret: "test-secret".into(),
        }],
        metrics: Default::default(),
    };
    tokio::spawn(async move { axum::serve(listener, app(engine, server)).await });
    let mut config = ClientConfig::new("cn-hangzhou", Credentials::new("test", "test-secret"));
    config.overrides = EndpointOverrides::local(addr);
    config.governor.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_throttling_attempts: 6,
    };
    let metrics = ApiMetrics::new();
    let http = Arc::new(slb_openapi::HttpClient::with_metrics(config, metrics.clone()).unwrap());
    // VPC access as the binary wires it (`external-ip-type: eip` looks the EIP up).
    Cloud::recorded(http.clone(), http.clone(), "cn-hangzhou", metrics).with_vpc(http)
}

/// The binary's `--register-nodes` against an in-process engine: `LocalPutInstances` with
/// each node's derived instance id and InternalIP.
pub struct EngineInventory(pub Arc<Engine>);

#[async_trait::async_trait]
impl slb_controller::inventory::NodeInventory for EngineInventory {
    async fn put(&self, nodes: &[Node]) -> Result<usize, String> {
        let instances = nodes
            .iter()
            .map(|n| LocalInstance {
                instance_id: slb_model::desired::local_instance_id(&n.name_any()),
                private_ip_address: n.status.as_ref().unwrap().addresses.as_ref().unwrap()[0]
                    .address
                    .clone(),
                ..Default::default()
            })
            .collect();
        let request = LocalPutInstancesRequest {
            instances,
            ..Default::default()
        };
        self.0
            .local_put_instances(&request)
            .await
            .map_err(|e| e.to_string())?;
        Ok(nodes.len())
    }
}

/// One `instances:` entry of the local CLB's config for node `name`.
pub fn instance_yaml(name: &str, ip: &str) -> String {
    format!("  - {{ InstanceId: i-local-{name}, PrivateIpAddress: {ip} }}\n")
}

/// Creates a Ready node labelled with the test's namespace.
pub async fn create_node(client: &Client, ns: &str, name: &str, ip: &str) {
    let mut n = node(name, ip, None);
    n.metadata.labels = Some([(NODE_LABEL.to_owned(), ns.to_owned())].into());
    Api::<Node>::all(client.clone())
        .create(&PostParams::default(), &n)
        .await
        .unwrap();
}

/// `GET path` on an admin server: the HTTP status code and the whole response, or `None`
/// while nothing listens there yet.
pub async fn admin_get(admin: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut conn = tokio::net::TcpStream::connect(admin).await.ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: test\r\n\r\n");
    conn.write_all(request.as_bytes()).await.ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).await.ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, text))
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

impl Harness {
    /// Starts another replica of the controller: same namespace, local CLB (in process, its
    /// own call counts) and settings, its own admin server, and the election as `identity`.
    pub fn start_replica(&self, identity: &str) -> Replica {
        let admin = free_port();
        let settings = Settings {
            admin_addr: Some(admin),
            leader: Some(fast_election(&self.ns, identity)),
            ..self.settings.clone()
        };
        let cloud = Cloud::new(self.engine.clone(), self.engine.clone(), "cn-hangzhou");
        let stop = CancellationToken::new();
        tokio::spawn(run_controller(
            self.acting.clone(),
            cloud,
            settings,
            stop.clone(),
        ));
        Replica { admin, stop }
    }

    /// Services API of the test's namespace.
    pub fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// The `backend-label` annotation selecting only this test's nodes.
    pub fn own_nodes(&self) -> (String, String) {
        (
            format!("{PREFIX}backend-label"),
            format!("{NODE_LABEL}={}", self.ns),
        )
    }

    /// Creates Cluster-policy Service `name` (port 80 → 8080) on this test's nodes.
    pub async fn create_own_service(&self, name: &str) {
        let (key, value) = self.own_nodes();
        let svc = service(&self.ns, name, false, &[(&key, &value)]);
        self.services()
            .create(&PostParams::default(), &svc)
            .await
            .unwrap();
    }

    /// The controller's `/metrics` text.
    pub async fn metrics(&self) -> String {
        admin_get(self.admin, "/metrics").await.unwrap().1
    }

    /// Cloud calls of `action` made by the controller so far, read from `/metrics`
    /// (`slb_controller_openapi_calls_total{action, outcome}`, every outcome).
    pub async fn calls(&self, action: &str) -> u64 {
        let text = self.metrics().await;
        sum_series(
            &text,
            "slb_controller_openapi_calls_total{",
            &format!("action=\"{action}\""),
        )
    }

    /// Every cloud call made so far, from `/metrics`.
    pub async fn all_calls(&self) -> u64 {
        self.calls_by_action().await.values().sum()
    }

    /// Cloud calls made so far by action (every outcome), from `/metrics`.
    pub async fn calls_by_action(&self) -> std::collections::BTreeMap<String, u64> {
        calls_by_action_at(self.admin).await
    }

    /// Stops the harness's controller (its admin server goes with it), as a crash would.
    pub fn stop_controller(&self) {
        self.stop.cancel();
    }
}

/// Cloud calls made so far by action (every outcome), from the `/metrics` of the controller
/// whose admin server is at `admin`.
pub async fn calls_by_action_at(admin: SocketAddr) -> std::collections::BTreeMap<String, u64> {
    let text = admin_get(admin, "/metrics").await.unwrap().1;
    let mut calls = std::collections::BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("slb_controller_openapi_calls_total{"))
    {
        let action = line
            .split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        *calls.entry(action.to_owned()).or_default() += value as u64;
    }
    calls
}

impl Harness {
    /// Reconciles run so far, from `/metrics`.
    pub async fn reconciles(&self) -> u64 {
        sum_series(&self.metrics().await, "slb_controller_reconciles_total", "")
    }

    /// The reason and message of every event in the namespace about Service `name`.
    pub async fn events(&self, name: &str) -> Vec<(String, String)> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.ns);
        events
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.involved_object.name.as_deref() == Some(name))
            .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
            .collect()
    }

    /// An EndpointSlice for Service `svc` with `pods[i]` ready pods on node `i`.
    pub fn slice(&self, svc: &str, pods: [usize; 3]) -> EndpointSlice {
        let mut endpoints = Vec::new();
        for (i, count) in pods.into_iter().enumerate() {
            for p in 0..count {
                endpoints.push(PodEndpoint::ready(
                    &format!("10.244.{i}.{p}"),
                    &self.nodes[i],
                ));
            }
        }
        endpoint_slice(
            &self.ns,
            svc,
            &format!("{svc}-1"),
            ("p80", 8080),
            &endpoints,
        )
    }

    /// Waits for Service `name` to carry a CLB id label, and returns it.
    pub async fn clb_id(&self, name: &str) -> String {
        let services = self.services();
        eventually(&format!("a CLB id on {name}"), || async {
            services
                .get(name)
                .await
                .unwrap()
                .labels()
                .get(slb_controller::service_writes::LB_ID_LABEL)
                .cloned()
        })
        .await
    }

    /// Deletes Service `name` and waits until it is gone (the controller released it).
    pub async fn delete_and_wait(&self, name: &str) {
        let services = self.services();
        services
            .delete(name, &kube::api::DeleteParams::default())
            .await
            .unwrap();
        eventually(&format!("{name} to go"), || async {
            services
                .get_opt(name)
                .await
                .unwrap()
                .is_none()
                .then_some(())
        })
        .await;
    }

    /// Waits for Service `name` to get an ingress IP, and returns it.
    pub async fn ingress_ip(&self, name: &str) -> String {
        let services = self.services();
        eventually(&format!("an ingress IP on {name}"), || async {
            let svc = services.get(name).await.unwrap();
            svc.status?.load_balancer?.ingress?.first()?.ip.clone()
        })
        .await
    }
}

/// Waits (up to 60 s) until the controller's call and reconcile counts stop moving for
/// 1.5 s, and returns `(calls, reconciles)`.
pub async fn settle(h: &Harness) -> (u64, u64) {
    let mut last = (h.all_calls().await, h.reconciles().await);
    let mut quiet = 0;
    for _ in 0..240 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = (h.all_calls().await, h.reconciles().await);
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet >= 6 {
            return last;
        }
    }
    panic!("the controller never went quiet: {last:?}");
}

/// Sum of the values of the series starting with `prefix` whose line contains `needle`.
pub fn sum_series(text: &str, prefix: &str, needle: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(prefix) && l.contains(needle))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// A LoadBalancer Service `name` (port 80 → 8080) with `annotations`; Local policy when
/// `local`.
pub fn service(ns: &str, name: &str, local: bool, annotations: &[(&str, &str)]) -> Service {
    let mut svc = load_balancer_service(ns, name, &[(80, 8080)]);
    if local {
        svc.spec.as_mut().unwrap().external_traffic_policy = Some("Local".into());
    }
    svc.metadata.annotations = Some(
        annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    svc
}

/// Polls `probe` every 200 ms until it answers, for up to 60 s.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The sorted weights of the first vServer group of CLB `id`.
pub async fn weights(cloud: &Cloud, id: &str) -> Vec<u32> {
    let lb = cloud.observe(id).await.unwrap().unwrap();
    let mut members = lb.vserver_groups[0].backend_servers.clone();
    members.sort_by(|a, b| a.server_id.cmp(&b.server_id));
    members.iter().map(|m| m.weight).collect()
}

/// The in-process tests' inventory: instances for `node-a/b/c` on 127.0.0.51–53.
pub const LOCAL_INVENTORY: &str = "instances:
  - { InstanceId: i-local-node-a, PrivateIpAddress: 127.0.0.51 }
  - { InstanceId: i-local-node-b, PrivateIpAddress: 127.0.0.52 }
  - { InstanceId: i-local-node-c, PrivateIpAddress: 127.0.0.53 }
";

/// A local CLB engine in memory with the inventory in `yaml` (the local config format).
pub fn local_engine(yaml: &str) -> Arc<Engine> {
    let config: LocalConfig = serde_yaml::from_str(yaml).unwrap();
    Arc::new(
        Engine::open(
            config,
            Box::new(MemoryStore::default()),
            Arc::new(NoopDataPlane),
        )
        .unwrap(),
    )
}

/// The in-process tests' cluster: `c-demo` in cn-hangzhou, local mode.
pub fn local_context() -> ClusterContext {
    ClusterContext {
        local_mode: true,
        ..ClusterContext::new("c-demo", "cn-hangzhou", "vpc-local")
    }
}

/// Ready nodes `node-a/b/c` on 127.0.0.51–53 (the instances of [`LOCAL_INVENTORY`]).
pub fn local_nodes() -> Vec<Node> {
    vec![
        node("node-a", "127.0.0.51", None),
        node("node-b", "127.0.0.52", None),
        node("node-c", "127.0.0.53", None),
    ]
}

/// The EndpointSlice of Service `default/web` with `pods[i]` ready pods on [`local_nodes`]' node i.
pub fn local_slice(pods: [usize; 3]) -> Vec<EndpointSlice> {
    let mut endpoints = Vec::new();
    for (i, (n, count)) in ["node-a", "node-b", "node-c"].iter().zip(pods).enumerate() {
        for p in 0..count {
            endpoints.push(PodEndpoint::ready(&format!("10.244.{i}.{p}"), n));
        }
    }
    vec![endpoint_slice(
        "default",
        "web",
        "web-1",
        ("p80", 8080),
        &endpoints,
    )]
}
