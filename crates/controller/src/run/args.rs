//! The flags of `slb-ccm controller` ([`ControllerArgs`], with the cloud connection
//! [`CloudArgs`] it shares with `doctor --cloud`) and what they build: the signed cloud
//! client, the Kubernetes client, the [`Settings`] of one replica, and, in local mode, the
//! node registration ([`ControllerArgs::inventory`]).
//!
//! Pure translation of flags; nothing here runs anything (see [`super::run_controller`]).

use super::{RunError, Settings};
use crate::cloud::Cloud;
use crate::controllers::Enabled;
use crate::inventory::Inventory;
use crate::leader::LeaderConfig;
use crate::local_inventory::LocalInventory;
use crate::node::NodeSettings;
use crate::route::RouteSettings;
use crate::route::plan::Cidr;
use crate::service_writes::IngressIpMode;
use kube::Client;
use slb_model::{ClusterContext, PlanOptions};
use slb_openapi::HttpClient;
use slb_openapi::config::{ClientConfig, CloudConfig, Credentials, EndpointOverrides};
use slb_openapi::metrics::ApiMetrics;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
        Ok(cloud_over(&client, &self.region, metrics))
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
    /// The settings these flags describe (no node registration: see
    /// [`ControllerArgs::inventory`]).
    pub fn settings(&self) -> Settings {
        let enabled = self.enabled();
        if enabled.nlb {
            tracing::warn!(
                "--controllers: nlb is accepted for the reference's command line and ignored: slb-ccm serves CLB only"
            );
        }
        let cluster = self.connection.cluster(self.cloud, &self.cluster_id);
        Settings {
            plan_options: PlanOptions::from_context(&cluster),
            cluster,
            dry_run: self.dry_run,
            ingress_ip_mode: self.ingress_ip_mode,
            drift_interval: Duration::from_secs(self.drift_interval_secs.max(10)),
            concurrency: self.concurrency.max(1),
            leader: self.leader_elect.then(|| self.leader_config()),
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

    /// The Lease election as `$HOSTNAME_pid`, with client-go's order of timings kept
    /// (lease > renew deadline > retry period).
    fn leader_config(&self) -> LeaderConfig {
        let identity = format!(
            "{}_{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "slb-ccm".into()),
            std::process::id()
        );
        let mut leader = LeaderConfig::new(
            &self.leader_elect_namespace,
            &self.leader_elect_name,
            &identity,
        );
        let retry = Duration::from_secs(self.leader_elect_retry_period_secs.max(1));
        let renew = Duration::from_secs(self.leader_elect_renew_deadline_secs).max(retry * 2);
        leader.retry_period = retry;
        leader.renew_deadline = renew;
        leader.lease_duration =
            Duration::from_secs(self.leader_elect_lease_duration_secs).max(renew + retry);
        leader
    }

    /// Node registration, as DESIGN.md "Nodes and instances in local mode" says: with
    /// `--cloud local` the controller keeps the local CLB's ECS inventory in step with the
    /// Nodes through `client` (`LocalPutInstances`), unless `--no-register-nodes`; never
    /// against Alibaba Cloud, and never in a dry run (which changes nothing).
    pub fn inventory(&self, client: &Arc<HttpClient>) -> Option<Inventory> {
        if self.cloud != CloudKind::Local || self.no_register_nodes || self.dry_run {
            return None;
        }
        let local = LocalInventory::new(
            client.clone(),
            &self.connection.vpc_id,
            &self.connection.local_endpoint,
        );
        Some(Inventory(Arc::new(local)))
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

/// The cloud reached through `client`: CLB, ECS and VPC, its calls recorded in `metrics`.
pub fn cloud_over(client: &Arc<HttpClient>, region: &str, metrics: ApiMetrics) -> Cloud {
    Cloud::recorded(client.clone(), client.clone(), region, metrics).with_vpc(client.clone())
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
