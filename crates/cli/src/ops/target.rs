//! Where `plan` and `apply` send their calls: an in-memory local CLB (the default of `plan`),
//! a local CLB state file (SQLite), or a signed OpenAPI endpoint (a running
//! `slb-ccm local serve`, or Alibaba Cloud). Also the cluster settings the model needs and the
//! one place that calls `Cloud::sync`.
//!
//! This module does not decide anything about a CLB (slb-model does) and does not render
//! output (see `render`).

use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Node;
use slb_controller::cloud::{Cloud, CloudError, SyncOutcome};
use slb_controller::inventory::NodeInventory;
use slb_controller::local_inventory::LocalInventory;
use slb_local::store::{MemoryStore, SqliteStore, Store};
use slb_local::{DataPlane, Engine, LocalConfig, NoopDataPlane};
use slb_model::{ClusterContext, DesiredLb, ObservedLb, PlanOptions};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides, Network, Scheme};
use slb_openapi::{Clb, Ecs, HttpClient};

/// The cluster the manifests come from.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Cluster id, used in CLB tags, vServer group names and listener descriptions.
    #[arg(long, env = "SLB_CCM_CLUSTER_ID", default_value = "local")]
    pub cluster_id: String,
    /// Region of the CLBs.
    #[arg(long, env = "SLB_CCM_REGION", default_value = "cn-hangzhou")]
    pub region: String,
    /// The cluster's VPC (intranet CLBs are created in it).
    #[arg(long, env = "SLB_CCM_VPC_ID", default_value = slb_local::config::DEFAULT_VPC_ID)]
    pub vpc_id: String,
}

/// Which cloud to plan or apply against.
#[derive(Debug, Clone, clap::Args)]
pub struct CloudArgs {
    /// Local CLB state file (SQLite, as `slb-ccm local serve --state` uses).
    #[arg(long, env = "SLB_CCM_STATE", conflicts_with = "access_key_id")]
    pub state: Option<PathBuf>,
    /// Internet VIP pool of a new local CLB state (with --state, or the in-memory default).
    #[arg(long, env = "SLB_CCM_VIP_POOL", default_value = slb_local::config::DEFAULT_VIP_POOL)]
    pub vip_pool: String,
    /// AccessKeyId for a signed OpenAPI endpoint (a running `slb-ccm local serve`, or
    /// Alibaba Cloud).
    #[arg(
        long,
        env = "ALIBABA_CLOUD_ACCESS_KEY_ID",
        requires = "access_key_secret"
    )]
    pub access_key_id: Option<String>,
    /// AccessKeySecret for the endpoint.
    #[arg(long, env = "ALIBABA_CLOUD_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub access_key_secret: Option<String>,
    /// CLB (and ECS) endpoint URL, e.g. http://127.0.0.1:9700 for `slb-ccm local serve`.
    /// Without it, the access key goes to Alibaba Cloud's public endpoints of --region.
    #[arg(long, env = "SLB_ENDPOINT", requires = "access_key_id")]
    pub endpoint: Option<String>,
    /// ECS endpoint URL when it differs from --endpoint.
    #[arg(long, env = "ECS_ENDPOINT", requires = "endpoint")]
    pub ecs_endpoint: Option<String>,
    /// apply only: first put the Nodes into the endpoint's ECS inventory with the local CLB's
    /// admin action `LocalPutInstances` (a running `slb-ccm local serve` only; Alibaba Cloud
    /// has no such action).
    #[arg(long, requires = "endpoint")]
    pub register_nodes: bool,
    /// OpenAPI signature for the access key: v2 (HMAC-SHA1) or v3 (ACS3-HMAC-SHA256).
    #[arg(long, env = "SLB_SIGNATURE_VERSION", default_value = "v2")]
    pub signature_version: slb_openapi::config::SignatureVersion,
}

/// A cloud to plan or apply against, with the settings the model needs.
pub struct Target {
    cloud: Cloud,
    /// The HTTP client when the target is an endpoint.
    client: Option<Arc<HttpClient>>,
    /// Cluster settings for `slb_model::desired`.
    pub context: ClusterContext,
    /// Where the calls go, for messages.
    pub description: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// The ECS instance each Node stands for in a local CLB, as the controller registers it
/// ([`slb_controller::local_inventory::node_instances`]), in the local CLB's own type (the
/// same JSON, so the in-process engine and `LocalPutInstances` see the same instances).
pub fn node_instances(nodes: &[Node], vpc_id: &str) -> Vec<slb_local::model::Instance> {
    slb_controller::local_inventory::node_instances(nodes, vpc_id)
        .into_iter()
        .filter_map(|i| serde_json::from_value(serde_json::to_value(i).ok()?).ok())
        .collect()
}

/// Every product at `endpoint` (`--endpoint`), ECS at `ecs_endpoint` when given.
fn endpoint_overrides(
    endpoint: &str,
    ecs_endpoint: Option<&str>,
) -> anyhow::Result<EndpointOverrides> {
    let (scheme, host) = split_url(endpoint)?;
    let ecs = match ecs_endpoint {
        Some(url) => split_url(url)?.1,
        None => host.clone(),
    };
    Ok(EndpointOverrides {
        vpc: Some(host.clone()),
        slb: Some(host),
        ecs: Some(ecs),
        scheme: Some(scheme),
    })
}

/// A Node's `InternalIP` address.
pub fn internal_ip(node: &Node) -> Option<String> {
    slb_model::desired::internal_ip(node).map(str::to_owned)
}

impl Target {
    /// A local CLB engine in this process over `store`, with the Nodes in its ECS inventory,
    /// feeding `dataplane`.
    ///
    /// # Errors
    /// When the VIP pool is invalid or the store cannot be read.
    pub fn local(
        cluster: &ClusterArgs,
        vip_pool: &str,
        nodes: &[Node],
        store: Box<dyn Store>,
        dataplane: Arc<dyn DataPlane>,
        description: String,
    ) -> anyhow::Result<(Self, Arc<Engine>)> {
        let config = LocalConfig {
            region: cluster.region.clone(),
            vip_pool: vip_pool.to_owned(),
            instances: node_instances(nodes, &cluster.vpc_id),
            ..LocalConfig::default()
        };
        config.validate()?;
        let engine = Arc::new(Engine::open(config, store, dataplane)?);
        let clb: Arc<dyn Clb> = engine.clone();
        let ecs: Arc<dyn Ecs> = engine.clone();
        let target = Self {
            cloud: Cloud::new(clb, ecs, &cluster.region),
            client: None,
            context: context(cluster, true),
            description,
        };
        Ok((target, engine))
    }

    /// The cloud `args` name; `None` when they name none. `read_only` (plan) refuses a
    /// missing state file and leaves the Nodes out of the state's inventory.
    ///
    /// # Errors
    /// When the state file cannot be opened or the endpoint is unusable.
    pub fn open(
        cluster: &ClusterArgs,
        args: &CloudArgs,
        nodes: &[Node],
        read_only: bool,
    ) -> anyhow::Result<Option<Self>> {
        if let Some(path) = &args.state {
            return Self::state_file(cluster, args, path, nodes, read_only).map(Some);
        }
        let (Some(id), Some(secret)) = (&args.access_key_id, &args.access_key_secret) else {
            return Ok(None);
        };
        let mut config = ClientConfig::new(&cluster.region, Credentials::new(id, secret));
        config.network = Network::Public;
        config.signature_version = args.signature_version;
        if let Some(endpoint) = &args.endpoint {
            config.overrides = endpoint_overrides(endpoint, args.ecs_endpoint.as_deref())?;
        }
        let description = args
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("Alibaba Cloud {}", cluster.region));
        let client = Arc::new(HttpClient::new(config)?);
        let clb: Arc<dyn Clb> = client.clone();
        let ecs: Arc<dyn Ecs> = client.clone();
        Ok(Some(Self {
            cloud: Cloud::new(clb, ecs, &cluster.region),
            client: Some(client),
            context: context(cluster, args.endpoint.is_some()),
            description,
        }))
    }

    /// A local CLB engine in this process over the state file at `path` (with `nodes` in its
    /// inventory unless `read_only`, which also refuses a missing file).
    fn state_file(
        cluster: &ClusterArgs,
        args: &CloudArgs,
        path: &std::path::Path,
        nodes: &[Node],
        read_only: bool,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !read_only || path.exists(),
            "state file {} does not exist; plan never creates one (apply does), and without \
             --state plan previews against an empty local CLB",
            path.display()
        );
        let nodes = if read_only { &[] } else { nodes };
        let store = SqliteStore::open(path)
            .map_err(|e| anyhow::anyhow!("opening state file {}: {e}", path.display()))?;
        let description = format!("local CLB state {}", path.display());
        let (target, _) = Self::local(
            cluster,
            &args.vip_pool,
            nodes,
            Box::new(store),
            Arc::new(NoopDataPlane),
            description,
        )?;
        Ok(target)
    }

    /// An empty in-memory local CLB: what `plan` previews against when no cloud is named.
    ///
    /// # Errors
    /// When the VIP pool is invalid.
    pub fn empty(cluster: &ClusterArgs, args: &CloudArgs, nodes: &[Node]) -> anyhow::Result<Self> {
        let (target, _) = Self::local(
            cluster,
            &args.vip_pool,
            nodes,
            Box::new(MemoryStore::default()),
            Arc::new(NoopDataPlane),
            "an empty in-memory local CLB".to_owned(),
        )?;
        Ok(target)
    }

    /// Puts `nodes` into the endpoint's ECS inventory (`--register-nodes`); returns how many.
    ///
    /// # Errors
    /// When the target is not an endpoint or the endpoint refuses the admin action.
    pub async fn register_nodes(&self, nodes: &[Node]) -> anyhow::Result<usize> {
        let Some(client) = &self.client else {
            anyhow::bail!("--register-nodes needs --endpoint (a running `slb-ccm local serve`)");
        };
        let inventory =
            LocalInventory::new(client.clone(), &self.context.vpc_id, &self.description);
        let count = inventory
            .put(nodes)
            .await
            .map_err(|e| anyhow::anyhow!("registering the nodes: {e}"))?;
        Ok(count)
    }

    /// Plans (and unless `dry_run`, executes) the desired CLB. The only place the operator
    /// commands change a cloud.
    ///
    /// # Errors
    /// The [`CloudError`] of the failed step.
    pub async fn sync(&self, desired: DesiredLb, dry_run: bool) -> Result<SyncOutcome, CloudError> {
        let options = PlanOptions::from_context(&self.context);
        self.cloud.sync(desired, None, &options, dry_run).await
    }

    /// Everything on one CLB.
    ///
    /// # Errors
    /// The [`CloudError`] of the describe calls.
    pub async fn observe(&self, load_balancer_id: &str) -> Result<Option<ObservedLb>, CloudError> {
        self.cloud.observe(load_balancer_id).await
    }
}

fn context(cluster: &ClusterArgs, local_mode: bool) -> ClusterContext {
    let mut ctx = ClusterContext::new(&cluster.cluster_id, &cluster.region, &cluster.vpc_id);
    ctx.local_mode = local_mode;
    ctx
}

/// `http://host:port/` → (scheme, `host:port`).
fn split_url(url: &str) -> anyhow::Result<(Scheme, String)> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("http", rest)) => (Scheme::Http, rest),
        Some(("https", rest)) => (Scheme::Https, rest),
        Some((other, _)) => anyhow::bail!(
            "endpoint {url:?}: scheme {other:?} is not supported; use http:// or https://"
        ),
        None => (Scheme::Https, url),
    };
    let host = rest.split('/').next().unwrap_or_default();
    anyhow::ensure!(
        !host.is_empty(),
        "endpoint {url:?} has no host; use e.g. http://127.0.0.1:9700"
    );
    Ok((scheme, host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_give_scheme_and_host() {
        for (url, scheme, host) in [
            ("http://127.0.0.1:9700", Scheme::Http, "127.0.0.1:9700"),
            (
                "https://slb.aliyuncs.com/",
                Scheme::Https,
                "slb.aliyuncs.com",
            ),
            ("slb.aliyuncs.com", Scheme::Https, "slb.aliyuncs.com"),
        ] {
            let (s, h) = split_url(url).unwrap();
            assert_eq!((s, h.as_str()), (scheme, host), "{url}");
        }
        assert!(split_url("ftp://x").is_err());
        assert!(split_url("http://").is_err());
    }
}
