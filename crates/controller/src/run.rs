//! Wiring: the `slb-ccm controller` command's flags ([`ControllerArgs`]), the cloud client
//! they describe, and one replica's life ([`run_controller`]): admin server, informer caches
//! from the start ([`Caches`], so a standby is Ready), leader election, and, once leading,
//! the kube-runtime controller that reconciles.
//!
//! Fan-out (done by the caches): an EndpointSlice change reconciles only its own Service; a
//! Node change reconciles only the Services whose backend set it changes
//! ([`crate::fanout::NodeFanout`]); requests for one Service are merged and debounced into one
//! reconcile. Every reconcile reads Nodes and EndpointSlices from the caches, never from the
//! API server.

use crate::admin::{self, Readiness};
use crate::backoff::Backoff;
use crate::caches::{CacheOptions, Caches};
use crate::cloud::Cloud;
use crate::controllers::Enabled;
use crate::inventory::{Inventory, InventorySync};
use crate::leader::{Elector, LeaderConfig};
use crate::node::writes::NodeWriter;
use crate::node::{NodeController, NodeSettings};
use crate::reconcile::{Context, error_policy, reconcile};
use crate::route::plan::Cidr;
use crate::route::{RouteController, RouteSettings};
use crate::service_writes::IngressIpMode;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Service;
use kube::runtime::controller::{Config, Controller};
use kube::runtime::events::Reporter;
use kube::runtime::watcher;
use kube::{Api, Client};
use prometheus_client::registry::Registry;
use slb_model::{ClusterContext, PlanOptions};
use slb_openapi::HttpClient;
use slb_openapi::config::{ClientConfig, CloudConfig, Credentials, EndpointOverrides};
use slb_openapi::metrics::ApiMetrics;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How long a stopping controller waits for running reconciles.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Which cloud the controller talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CloudKind {
    /// Alibaba Cloud's CLB and ECS OpenAPI.
    Alibaba,
    /// A running `slb-ccm local serve` (same signed OpenAPI over HTTP).
    Local,
}

/// How to reach the cloud: flags shared by `controller` and `doctor --cloud`.
#[derive(Debug, Clone, clap::Args)]
pub struct CloudArgs {
    /// Region id, e.g. cn-hangzhou.
    #[arg(long, env = "SLB_REGION", default_value = "cn-hangzhou")]
    pub region: String,
    /// The cluster's VPC (intranet CLBs are created in it; reused ones must be in it).
    #[arg(long, env = "SLB_VPC_ID", default_value = "")]
    pub vpc_id: String,
    /// Go-CCM-compatible cloud-config file (JSON, base64 AccessKeyID/AccessKeySecret).
    #[arg(long, env = "SLB_CLOUD_CONFIG")]
    pub cloud_config: Option<PathBuf>,
    /// AccessKey id (else cloud-config, else ACCESS_KEY_ID).
    #[arg(long, env = "SLB_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,
    /// AccessKey secret.
    #[arg(long, env = "SLB_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub access_key_secret: Option<String>,
    /// With `--cloud local`: the local CLB's address (host:port).
    #[arg(long, env = "SLB_LOCAL_ENDPOINT", default_value = "127.0.0.1:9700")]
    pub local_endpoint: String,
    /// Ceilings on the rate of cloud calls (none by default: the rate adapts to throttling).
    #[command(flatten)]
    pub api_limits: crate::api_limits::ApiLimitArgs,
    /// OpenAPI signature: v2 (HMAC-SHA1, what the reference CCM's Go SDK sends) or v3
    /// (ACS3-HMAC-SHA256, the Tea SDKs' default).
    #[arg(long, env = "SLB_SIGNATURE_VERSION", default_value = "v2")]
    pub signature_version: slb_openapi::config::SignatureVersion,
    /// Backends per vServer group call (CreateVServerGroup, Add/Remove/Set…BackendServers),
    /// 1–40; the reference CCM's flag and default.
    #[arg(
        long,
        env = "SLB_SG_BATCH_SIZE",
        default_value_t = slb_model::DEFAULT_BATCH_SIZE,
        value_parser = parse_batch_size
    )]
    pub sg_batch_size: usize,
}

fn parse_batch_size(text: &str) -> Result<usize, String> {
    let max = slb_model::MAX_BATCH_SIZE;
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?}: give a number of backends from 1 to {max}"
        )),
    }
}

/// Flags of `slb-ccm controller`.
#[derive(Debug, Clone, clap::Args)]
pub struct ControllerArgs {
    /// Kubeconfig file; without it the in-cluster configuration (or $KUBECONFIG) is used.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// The cloud to drive.
    #[arg(long, env = "SLB_CLOUD", value_enum, default_value = "local")]
    pub cloud: CloudKind,
    /// Cluster id: in CLB names, vServer group names and the `ack.aliyun.com` tag.
    #[arg(long, env = "SLB_CLUSTER_ID")]
    pub cluster_id: String,
    /// Region, VPC, credentials and endpoints.
    #[command(flatten)]
    pub connection: CloudArgs,
    /// Run a Lease-based leader election before acting.
    #[arg(long, env = "SLB_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Lease name; `ccm` shares the Go CCM's lease for a hand-over.
    #[arg(long, env = "SLB_LEADER_ELECT_NAME", default_value = "ccm")]
    pub leader_elect_name: String,
    /// Lease namespace.
    #[arg(
        long,
        env = "SLB_LEADER_ELECT_NAMESPACE",
        default_value = "kube-system"
    )]
    pub leader_elect_namespace: String,
    /// Seconds a lease stays valid without renewal (client-go's `--leader-elect-lease-duration`).
    #[arg(
        long,
        env = "SLB_LEADER_ELECT_LEASE_DURATION_SECS",
        default_value_t = 15
    )]
    pub leader_elect_lease_duration_secs: u64,
    /// Seconds a leader keeps trying to renew before it steps down.
    #[arg(
        long,
        env = "SLB_LEADER_ELECT_RENEW_DEADLINE_SECS",
        default_value_t = 10
    )]
    pub leader_elect_renew_deadline_secs: u64,
    /// Seconds between attempts to acquire or renew.
    #[arg(long, env = "SLB_LEADER_ELECT_RETRY_PERIOD_SECS", default_value_t = 2)]
    pub leader_elect_retry_period_secs: u64,
    /// Plan only: emit the plan as events and logs, change nothing.
    #[arg(long, env = "SLB_DRY_RUN")]
    pub dry_run: bool,
    /// `ipMode` of the CLB's IP in the Service status: `none` (as the reference CCM: kube-proxy
    /// routes in-cluster traffic for the IP straight to the endpoints), `proxy` (in-cluster
    /// traffic goes out through the CLB, which refuses hairpin traffic on intranet layer-4
    /// listeners and bills internet traffic) or `vip` (as `none`, written explicitly).
    #[arg(
        long,
        env = "SLB_INGRESS_IP_MODE",
        value_enum,
        default_value_t = IngressIpMode::None
    )]
    pub ingress_ip_mode: IngressIpMode,
    /// Address of /metrics, /livez and /readyz.
    #[arg(long, env = "SLB_METRICS_ADDR", default_value = "127.0.0.1:10258")]
    pub metrics_addr: SocketAddr,
    /// Re-check every Service this often (drift repair), ±10 %.
    #[arg(long, env = "SLB_DRIFT_INTERVAL_SECS", default_value_t = 600)]
    pub drift_interval_secs: u64,
    /// Services reconciled at once.
    #[arg(long, env = "SLB_CONCURRENCY", default_value_t = 4)]
    pub concurrency: u16,
    /// Watch only this namespace's Services (default: all namespaces).
    #[arg(long, env = "SLB_NAMESPACE")]
    pub namespace: Option<String>,
    /// Coalesce bursts: changes to one Service (its slices, its nodes, its own writes)
    /// arriving within this many milliseconds of each other cause one reconcile.
    #[arg(long, env = "SLB_DEBOUNCE_MS", default_value_t = 500)]
    pub debounce_ms: u64,
    /// With `--cloud local` the controller registers every Node as an ECS instance of the
    /// local CLB (`LocalPutInstances`) so its config need not list them; this turns that off.
    #[arg(long, env = "SLB_NO_REGISTER_NODES")]
    pub no_register_nodes: bool,
    /// Controllers to run: `service`, `node`, `route` (and the reference's `nlb`, accepted
    /// and ignored), `*` for all, `-name` to leave one out.
    #[arg(
        long,
        env = "SLB_CONTROLLERS",
        value_delimiter = ',',
        default_value = crate::controllers::DEFAULT,
        value_parser = clap::builder::PossibleValuesParser::new([
            "service", "node", "route", "nlb", "*", "-service", "-node", "-route", "-nlb",
        ])
    )]
    pub controllers: Vec<String>,
    /// Maintain VPC routes for the Nodes' pod CIDRs (the `route` controller).
    #[arg(long, env = "SLB_CONFIGURE_CLOUD_ROUTES")]
    pub configure_cloud_routes: bool,
    /// The node controller's full sync (addresses, labels, lifecycle) runs this often.
    #[arg(long, env = "SLB_NODE_SYNC_PERIOD_SECS", default_value_t = 300)]
    pub node_sync_period_secs: u64,
    /// Nodes per `DescribeInstances` batch of the node controller (1–100).
    #[arg(long, env = "SLB_NODE_RECONCILE_BATCH_SIZE", default_value_t = 100)]
    pub node_reconcile_batch_size: usize,
    /// The pod network (e.g. 172.20.0.0/16): required by the route controller, which only
    /// ever deletes entries inside it.
    #[arg(long, env = "SLB_CLUSTER_CIDR", default_value = "")]
    pub cluster_cidr: String,
    /// Route tables to write (comma list); default: the VPC's only table, or its System one.
    #[arg(long, env = "SLB_ROUTE_TABLE_IDS", value_delimiter = ',')]
    pub route_table_ids: Vec<String>,
    /// The route controller's full resync period (values under 60 are raised to 60).
    #[arg(
        long,
        env = "SLB_ROUTE_RECONCILIATION_PERIOD_SECS",
        default_value_t = 300
    )]
    pub route_reconciliation_period_secs: u64,
    /// Entries per `CreateRouteEntries` call (1–50).
    #[arg(long, env = "SLB_ROUTE_RECONCILE_BATCH_SIZE", default_value_t = 50)]
    pub route_reconcile_batch_size: usize,
}

/// Why the controller stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The kubeconfig could not be loaded.
    #[error("loading the Kubernetes configuration: {0}")]
    KubeConfig(String),
    /// The cloud client could not be built.
    #[error("configuring the cloud client: {0}")]
    CloudClient(String),
    /// The admin server could not bind.
    #[error("binding the admin server on {addr}: {source}")]
    Admin {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Leadership was lost; the process should exit and restart as a standby.
    #[error("lost the leader lease")]
    LostLeadership,
}

/// Everything the controller needs besides the clients.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Cluster id, region, VPC, local mode.
    pub cluster: ClusterContext,
    /// Batch size and backend quota.
    pub plan_options: PlanOptions,
    /// Plan only.
    pub dry_run: bool,
    /// The `ipMode` written with a CLB's IP.
    pub ingress_ip_mode: IngressIpMode,
    /// Drift-repair interval.
    pub drift_interval: Duration,
    /// Concurrent reconciles.
    pub concurrency: u16,
    /// Leader election, if on.
    pub leader: Option<LeaderConfig>,
    /// Admin server address, if any.
    pub admin_addr: Option<SocketAddr>,
    /// Only Services and EndpointSlices of this namespace (all namespaces when `None`).
    pub namespace: Option<String>,
    /// Requests for one Service within this long of each other run as one reconcile.
    pub debounce: Duration,
    /// With the local CLB: keep its ECS inventory in step with the Nodes.
    pub inventory: Option<Inventory>,
    /// Run the Service controller.
    pub services: bool,
    /// Run the node controller, with these settings.
    pub nodes: Option<NodeSettings>,
    /// Run the route controller, with these settings.
    pub routes: Option<RouteSettings>,
}

impl CloudArgs {
    /// The cluster context for `cluster_id` in this region and VPC (local mode with the local
    /// CLB).
    pub fn cluster(&self, kind: CloudKind, cluster_id: &str) -> ClusterContext {
        let mut cluster = ClusterContext::new(cluster_id, &self.region, &self.vpc_id);
        cluster.local_mode = kind == CloudKind::Local;
        cluster.batch_size = self.sg_batch_size;
        cluster
    }

    /// The cloud client these flags describe (credentials: flags, then cloud-config, then
    /// `ACCESS_KEY_ID`/`ACCESS_KEY_SECRET`; endpoints: `SLB_ENDPOINT`, `ECS_ENDPOINT`,
    /// `ALICLOUD_CLIENT_SCHEME` as the Go CCM reads them).
    ///
    /// # Errors
    /// Unreadable cloud-config, missing credentials, bad endpoints.
    pub fn cloud(&self, kind: CloudKind) -> Result<Cloud, RunError> {
        let (client, metrics) = self.http_client(kind)?;
        Ok(Cloud::recorded(client.clone(), client.clone(), &self.region, metrics).with_vpc(client))
    }

    /// The signed OpenAPI client these flags describe (see [`CloudArgs::cloud`]) and the
    /// metrics it records into.
    ///
    /// # Errors
    /// Unreadable cloud-config, missing credentials, bad endpoints.
    pub fn http_client(&self, kind: CloudKind) -> Result<(Arc<HttpClient>, ApiMetrics), RunError> {
        let bad = |e: &dyn std::fmt::Display| RunError::CloudClient(e.to_string());
        let cloud_config = match &self.cloud_config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| bad(&format!("{}: {e}", path.display())))?;
                Some(CloudConfig::parse(&text).map_err(|e| bad(&e))?)
            }
            None => None,
        };
        let explicit = match (&self.access_key_id, &self.access_key_secret) {
            (Some(id), Some(secret)) => Some(Credentials::new(id.clone(), secret.clone())),
            _ => None,
        };
        let (credentials, _) =
            Credentials::resolve(explicit, cloud_config.as_ref(), |k| std::env::var(k).ok())
                .map_err(|e| bad(&e))?;
        let mut config = ClientConfig::new(self.region.clone(), credentials);
        config.signature_version = self.signature_version;
        self.api_limits.apply(&mut config.governor);
        config.overrides =
            EndpointOverrides::from_lookup(|k| std::env::var(k).ok()).map_err(|e| bad(&e))?;
        if kind == CloudKind::Local {
            config.overrides = EndpointOverrides::local(self.local_endpoint.clone());
        }
        let metrics = ApiMetrics::new();
        let client =
            Arc::new(HttpClient::with_metrics(config, metrics.clone()).map_err(|e| bad(&e))?);
        Ok((client, metrics))
    }
}

impl ControllerArgs {
    /// The settings these flags describe.
    pub fn settings(&self) -> Settings {
        let enabled = self.enabled();
        if enabled.nlb {
            tracing::warn!(
                "--controllers: nlb is accepted for the reference's command line and ignored: slb-ccm serves CLB only"
            );
        }
        let cluster = self.connection.cluster(self.cloud, &self.cluster_id);
        let identity = format!(
            "{}_{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "slb-ccm".into()),
            std::process::id()
        );
        Settings {
            plan_options: PlanOptions::from_context(&cluster),
            cluster,
            dry_run: self.dry_run,
            ingress_ip_mode: self.ingress_ip_mode,
            drift_interval: Duration::from_secs(self.drift_interval_secs.max(10)),
            concurrency: self.concurrency.max(1),
            leader: self.leader_elect.then(|| {
                let mut leader = LeaderConfig::new(
                    &self.leader_elect_namespace,
                    &self.leader_elect_name,
                    &identity,
                );
                // client-go requires lease > renew deadline > retry period; keep that order.
                let retry = Duration::from_secs(self.leader_elect_retry_period_secs.max(1));
                let renew =
                    Duration::from_secs(self.leader_elect_renew_deadline_secs).max(retry * 2);
                leader.retry_period = retry;
                leader.renew_deadline = renew;
                leader.lease_duration =
                    Duration::from_secs(self.leader_elect_lease_duration_secs).max(renew + retry);
                leader
            }),
            admin_addr: Some(self.metrics_addr),
            namespace: self.namespace.clone(),
            debounce: Duration::from_millis(self.debounce_ms),
            inventory: None,
            services: enabled.service,
            nodes: enabled.node.then(|| self.node_settings()),
            routes: (enabled.route && self.configure_cloud_routes)
                .then(|| self.route_settings())
                .flatten(),
        }
    }

    /// The route controller's settings; `None` (logged) without a usable `--cluster-cidr`.
    fn route_settings(&self) -> Option<RouteSettings> {
        let Some(cidr) = Cidr::parse(&self.cluster_cidr) else {
            tracing::error!(
                cluster_cidr = %self.cluster_cidr,
                "--configure-cloud-routes needs --cluster-cidr (an IPv4 CIDR such as \
                 172.20.0.0/16); the route controller does not run"
            );
            return None;
        };
        let mut routes = RouteSettings::new(&self.connection.vpc_id, cidr, &self.cluster_id);
        routes.route_table_ids = self
            .route_table_ids
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        routes.period = Duration::from_secs(self.route_reconciliation_period_secs.max(60));
        routes.batch_size = self.route_reconcile_batch_size.clamp(1, 50);
        Some(routes)
    }

    /// The controllers `--controllers` selects (clap has checked the names).
    pub fn enabled(&self) -> Enabled {
        Enabled::parse(&self.controllers).unwrap_or(Enabled {
            service: true,
            node: true,
            route: false,
            nlb: false,
        })
    }

    fn node_settings(&self) -> NodeSettings {
        let mut nodes = NodeSettings::new(&self.connection.region, &self.connection.vpc_id);
        nodes.sync_period = Duration::from_secs(self.node_sync_period_secs.max(5));
        nodes.batch_size = self.node_reconcile_batch_size.clamp(1, 100);
        nodes
    }

    /// The cloud client these flags describe (see [`CloudArgs::cloud`]).
    ///
    /// # Errors
    /// Unreadable cloud-config, missing credentials, bad endpoints.
    pub fn cloud(&self) -> Result<Cloud, RunError> {
        self.connection.cloud(self.cloud)
    }

    /// The Kubernetes client these flags describe.
    ///
    /// # Errors
    /// An unreadable kubeconfig or no in-cluster configuration.
    pub async fn kube_client(&self) -> Result<Client, RunError> {
        kube_client(self.kubeconfig.as_deref()).await
    }
}

/// A Kubernetes client from a kubeconfig file, or else the in-cluster configuration (or
/// `$KUBECONFIG`, `~/.kube/config`).
///
/// # Errors
/// An unreadable kubeconfig or no configuration at all.
pub async fn kube_client(kubeconfig: Option<&std::path::Path>) -> Result<Client, RunError> {
    let err = |e: &dyn std::fmt::Display| RunError::KubeConfig(e.to_string());
    let config = match kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path).map_err(|e| err(&e))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                .await
                .map_err(|e| err(&e))?
        }
        None => kube::Config::infer().await.map_err(|e| err(&e))?,
    };
    Client::try_from(config).map_err(|e| err(&e))
}

/// Runs the Service controller until `shutdown` is cancelled (or leadership is lost).
///
/// Every replica serves the admin endpoints and keeps the informer caches from the start, so
/// it is Ready once they have listed; with leader election only the Lease holder reconciles
/// and calls the cloud.
///
/// # Errors
/// See [`RunError`].
pub async fn run_controller(
    client: Client,
    cloud: Cloud,
    settings: Settings,
    shutdown: CancellationToken,
) -> Result<(), RunError> {
    let readiness = Readiness::default();
    let metrics = serve_admin(&cloud, &settings, &readiness, &shutdown).await?;
    // The caches run until this function returns, whatever the reason.
    let caches_stop = shutdown.child_token();
    let _stop_caches = caches_stop.clone().drop_guard();
    let inventory = settings
        .inventory
        .clone()
        .map(|i| Arc::new(InventorySync::new(i)));
    let options = CacheOptions {
        namespace: settings.namespace.clone(),
        cluster: settings.cluster.clone(),
        readiness,
        inventory: inventory.clone(),
    };
    let caches = Caches::start(&client, &options, &caches_stop);

    let lost = CancellationToken::new();
    let elector = match settings.leader.clone() {
        Some(leader) => match lead(&client, leader, &shutdown, &lost, &metrics).await? {
            Some(elector) => Some(elector),
            None => return Ok(()),
        },
        None => None,
    };
    if let Some(inventory) = &inventory {
        let cached = caches.nodes.state().iter().map(|n| (**n).clone()).collect();
        inventory.activate(cached);
    }
    let nodes_stop = start_node_controller(&client, &cloud, &settings, &caches, &lost, &shutdown);
    let _stop_nodes = nodes_stop.drop_guard();
    let routes_stop = start_route_controller(&client, &cloud, &settings, &caches, &lost, &shutdown);
    let _stop_routes = routes_stop.drop_guard();
    if settings.services {
        let ctx = context(client, cloud, &settings, &caches, metrics, inventory);
        reconcile_until_stopped(ctx, &caches, &settings, &shutdown, &lost).await;
    } else {
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = lost.cancelled() => {}
        }
    }
    if lost.is_cancelled() && !shutdown.is_cancelled() {
        return Err(RunError::LostLeadership);
    }
    // Let the elector release the Lease (so a standby takes over at once) before the
    // process exits and drops the runtime with the task in it.
    if let Some((task, grace)) = elector
        && tokio::time::timeout(grace, task).await.is_err()
    {
        tracing::warn!("the leader election did not stop within its renew deadline");
    }
    Ok(())
}

/// Starts the node controller (when enabled) on the leader; it stops with `shutdown`, with
/// `lost`, or when the returned token is cancelled.
fn start_node_controller(
    client: &Client,
    cloud: &Cloud,
    settings: &Settings,
    caches: &Caches,
    lost: &CancellationToken,
    shutdown: &CancellationToken,
) -> CancellationToken {
    let stop = shutdown.child_token();
    let Some(node_settings) = settings.nodes.clone() else {
        return stop;
    };
    let writer = NodeWriter::new(client.clone(), recorder(client, "slb-ccm-node"));
    let controller = NodeController::new(
        cloud.ecs(),
        writer,
        (caches.nodes.clone(), caches.listed.clone()),
        node_settings,
    );
    tokio::spawn(controller.run(either(&stop, lost)));
    stop
}

/// Starts the route controller (when enabled) on the leader, like the node controller.
fn start_route_controller(
    client: &Client,
    cloud: &Cloud,
    settings: &Settings,
    caches: &Caches,
    lost: &CancellationToken,
    shutdown: &CancellationToken,
) -> CancellationToken {
    let stop = shutdown.child_token();
    let Some(route_settings) = settings.routes.clone() else {
        return stop;
    };
    let Some(vpc) = cloud.vpc() else {
        tracing::error!("the route controller needs a VPC client; this cloud has none");
        return stop;
    };
    let writer = NodeWriter::new(client.clone(), recorder(client, "slb-ccm-route"));
    let controller = RouteController::new(
        vpc,
        (writer, Api::all(client.clone())),
        (caches.nodes.clone(), caches.listed.clone()),
        route_settings,
    );
    tokio::spawn(controller.run(either(&stop, lost)));
    stop
}

/// An event publisher reporting as `controller` on this pod (`$HOSTNAME`).
fn recorder(client: &Client, controller: &str) -> crate::events::Publisher {
    crate::events::Publisher::new(client.clone(), reporter(controller))
}

/// Reporting as `controller` on this pod (`$HOSTNAME`).
fn reporter(controller: &str) -> Reporter {
    Reporter {
        controller: controller.into(),
        instance: std::env::var("HOSTNAME").ok(),
    }
}

/// A token cancelled as soon as `stop` or `lost` is (a controller stops on either).
fn either(stop: &CancellationToken, lost: &CancellationToken) -> CancellationToken {
    let both = stop.child_token();
    let (relay, lost) = (both.clone(), lost.clone());
    tokio::spawn(async move {
        tokio::select! {
            () = lost.cancelled() => relay.cancel(),
            () = relay.cancelled() => {}
        }
    });
    both
}

/// Registers the metrics and, when configured, serves `/metrics`, `/livez` and `/readyz`.
async fn serve_admin(
    cloud: &Cloud,
    settings: &Settings,
    readiness: &Readiness,
    shutdown: &CancellationToken,
) -> Result<crate::metrics::Metrics, RunError> {
    let mut registry = Registry::with_prefix("slb");
    let metrics = crate::metrics::Metrics::register(&mut registry);
    // Cloud calls by action and outcome: slb_controller_openapi_calls_total{action,outcome}.
    cloud
        .api_metrics()
        .register(registry.sub_registry_with_prefix("controller"));
    metrics.leader.set(i64::from(settings.leader.is_none()));
    if let Some(addr) = settings.admin_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| RunError::Admin { addr, source })?;
        tokio::spawn(admin::serve(
            listener,
            Arc::new(registry),
            readiness.clone(),
            shutdown.clone(),
        ));
    }
    Ok(metrics)
}

/// The running election and how long to give it to release the Lease.
type RunningElection = (tokio::task::JoinHandle<()>, Duration);

/// Runs the election until this replica leads: then sets the leader gauge and arranges for
/// `lost` to be cancelled (and the gauge reset) when leadership goes. `Ok(None)` when
/// `shutdown` came first.
///
/// # Errors
/// [`RunError::LostLeadership`] when the election ended by itself: never act without the
/// lease.
async fn lead(
    client: &Client,
    leader: LeaderConfig,
    shutdown: &CancellationToken,
    lost: &CancellationToken,
    metrics: &crate::metrics::Metrics,
) -> Result<Option<RunningElection>, RunError> {
    let (tx, mut rx) = watch::channel(false);
    let grace = leader.renew_deadline;
    let task = tokio::spawn(Elector::new(client.clone(), leader).run(tx, shutdown.clone()));
    let became_leader = tokio::select! {
        r = rx.wait_for(|l| *l) => r.is_ok(),
        () = shutdown.cancelled() => false,
    };
    if !became_leader {
        let _ = tokio::time::timeout(grace, task).await;
        return if shutdown.is_cancelled() {
            Ok(None)
        } else {
            Err(RunError::LostLeadership)
        };
    }
    metrics.leader.set(1);
    let lost = lost.clone();
    let gauge = metrics.leader.clone();
    tokio::spawn(async move {
        let _ = rx.wait_for(|l| !*l).await;
        gauge.set(0);
        lost.cancel();
    });
    Ok(Some((task, grace)))
}

/// What every reconcile shares: the clients, the settings and the caches' stores.
fn context(
    client: Client,
    cloud: Cloud,
    settings: &Settings,
    caches: &Caches,
    metrics: crate::metrics::Metrics,
    inventory: Option<Arc<InventorySync>>,
) -> Arc<Context> {
    // Refresh cached observations before each drift check comes round (requeues are ±10 %).
    let cloud = cloud.with_max_age(settings.drift_interval.mul_f64(0.8));
    let events = recorder(&client, "slb-ccm");
    Arc::new(Context {
        client,
        cloud,
        cluster: settings.cluster.clone(),
        plan_options: settings.plan_options,
        nodes: caches.nodes.clone(),
        slices: caches.service_slices.clone(),
        listed: caches.listed.clone(),
        recorder: events,
        backoff: Backoff::default(),
        dry_run: settings.dry_run,
        ingress_ip_mode: settings.ingress_ip_mode,
        drift_interval: settings.drift_interval,
        metrics,
        inventory,
        synced: std::sync::Mutex::default(),
        node_epochs: caches.node_epochs.clone(),
    })
}

/// The reconciling part, run by the leader (or the only replica): the kube-runtime
/// controller over the caches' Service store, fed by their triggers, until `shutdown` or
/// `lost`, with a bounded drain.
async fn reconcile_until_stopped(
    ctx: Arc<Context>,
    caches: &Caches,
    settings: &Settings,
    shutdown: &CancellationToken,
    lost: &CancellationToken,
) {
    let (stop, lost_signal) = (shutdown.clone(), lost.clone());
    // Every request comes from the caches' triggers; the Service store is the caches' own.
    let no_own_watch = futures::stream::pending::<Result<Service, watcher::Error>>();
    let running = Controller::for_stream(no_own_watch, caches.services.clone())
        .with_config(
            Config::default()
                .concurrency(settings.concurrency)
                .debounce(settings.debounce),
        )
        .reconcile_on(caches.triggers())
        .graceful_shutdown_on(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = lost_signal.cancelled() => {}
            }
        })
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(err) = result {
                tracing::debug!(error = %err, "reconcile loop");
            }
        });
    // A graceful shutdown lets running reconciles finish, but not forever: Kubernetes kills
    // the pod after its termination grace period anyway.
    let drain_limit = async {
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = lost.cancelled() => {}
        }
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        () = running => {}
        () = drain_limit => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "reconciles still running at shutdown; stopping anyway");
        }
    }
}

/// An API for `K` in `namespace`, or across all namespaces when `None`.
pub fn scoped<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}
