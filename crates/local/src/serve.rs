//! `slb-ccm local serve`: the command-line arguments and the `run` that wires config, store,
//! engine, data plane and HTTP server together, prints the bound address and serves until
//! the shutdown future resolves.
//!
//! Signal handling is the binary's job: it passes a shutdown future (Ctrl-C / SIGTERM).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{ConfigError, LocalConfig};
use crate::dataplane::{DataPlane, NoopDataPlane};
use crate::engine::{Engine, EngineError};
use crate::server::{Credential, RequestMetrics, ServerConfig, app, serve_connections};
use crate::store::{MemoryStore, SqliteStore, Store, StoreError};
use axum::response::IntoResponse as _;
use prometheus_client::registry::Registry;

/// The `--state` value that keeps state in memory only (nothing survives a restart).
pub const MEMORY_STATE: &str = ":memory:";

/// Arguments of `slb-ccm local serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "SLB_LOCAL_LISTEN", default_value = "127.0.0.1:9700")]
    pub listen: SocketAddr,
    /// SQLite state file (created if missing), or `:memory:` for throw-away state.
    #[arg(long, env = "SLB_LOCAL_STATE")]
    pub state: PathBuf,
    /// Region this server answers for.
    #[arg(long, env = "SLB_LOCAL_REGION", default_value = "cn-hangzhou")]
    pub region: String,
    /// AccessKeyId clients must sign with.
    #[arg(long, env = "SLB_LOCAL_ACCESS_KEY_ID")]
    pub access_key_id: String,
    /// AccessKeySecret clients must sign with.
    #[arg(long, env = "SLB_LOCAL_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub access_key_secret: String,
    /// CIDR of internet VIPs (overrides the config file; default 127.0.1.0/24).
    #[arg(long, env = "SLB_LOCAL_VIP_POOL")]
    pub vip_pool: Option<String>,
    /// YAML or JSON config file: vSwitches, ECS inventory, quotas, faults.
    #[arg(long, env = "SLB_LOCAL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Serve Prometheus metrics (API requests by action and code, data plane traffic) on
    /// `http://ADDR/metrics`.
    #[arg(long, env = "SLB_LOCAL_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

/// Why `run` failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state file could not be opened.
    #[error(transparent)]
    OpenStore(StoreError),
    /// The engine could not load its state.
    #[error(transparent)]
    StartEngine(#[from] EngineError),
    /// The listen address could not be bound.
    #[error("binding {addr}: {source} (is another server on that port? pick another --listen)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving HTTP: {0}")]
    Serve(#[source] std::io::Error),
}

impl ServeError {
    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Config(_) => "config",
            Self::OpenStore(_) => "open_store",
            Self::StartEngine(_) => "start_engine",
            Self::Bind { .. } => "bind",
            Self::Serve(_) => "serve",
        }
    }
}

impl ServeArgs {
    /// The effective configuration: the file (or defaults) with the flags applied.
    ///
    /// # Errors
    /// [`ConfigError`] for an unreadable or invalid file or `--vip-pool`.
    pub fn load_config(&self) -> Result<LocalConfig, ConfigError> {
        let mut config = match &self.config {
            Some(path) => LocalConfig::load(path)?,
            None => LocalConfig::default(),
        };
        config.region.clone_from(&self.region);
        if let Some(pool) = &self.vip_pool {
            config.vip_pool.clone_from(pool);
        }
        config.validate()?;
        Ok(config)
    }

    fn open_store(&self) -> Result<Box<dyn Store>, ServeError> {
        if self.state.as_os_str() == MEMORY_STATE {
            return Ok(Box::new(MemoryStore::default()));
        }
        Ok(Box::new(
            SqliteStore::open(&self.state).map_err(ServeError::OpenStore)?,
        ))
    }
}

/// Runs the local CLB with no data plane until `shutdown` resolves.
///
/// # Errors
/// [`ServeError`] naming the step that failed.
pub async fn run(
    args: ServeArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    run_with(args, Arc::new(NoopDataPlane), shutdown).await
}

/// Runs the local CLB feeding `dataplane` until `shutdown` resolves. Prints
/// `slb-local listening on http://ADDR` (the bound address) once it accepts requests.
///
/// # Errors
/// [`ServeError`] naming the step that failed.
pub async fn run_with(
    args: ServeArgs,
    dataplane: Arc<dyn DataPlane>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    run_with_registry(args, dataplane, Registry::default(), shutdown).await
}

/// [`run_with`], also exporting the series already in `registry` (the data plane's) with the
/// API's on `--metrics-addr`.
///
/// # Errors
/// [`ServeError`] naming the step that failed.
pub async fn run_with_registry(
    args: ServeArgs,
    dataplane: Arc<dyn DataPlane>,
    mut registry: Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let config = args.load_config()?;
    if let Some(warning) = ipv6_pool_warning(&config.ipv6_vip_pool) {
        tracing::warn!("{warning}");
        eprintln!("slb-local: warning: {warning}");
    }
    let limits = config.api.limits();
    let store = args.open_store()?;
    let engine = Arc::new(Engine::open(config, store, dataplane)?);
    let metrics = RequestMetrics::default();
    metrics.register(&mut registry);
    engine.register_metrics(&mut registry);
    let metrics_server = match args.metrics_addr {
        Some(addr) => Some(serve_metrics(addr, registry).await?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: args.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Serve)?;
    let server = ServerConfig {
        credentials: vec![Credential {
            access_key_id: args.access_key_id.clone(),
            access_key_secret: args.access_key_secret.clone(),
        }],
        metrics,
    };
    println!("slb-local listening on http://{addr}");
    tracing::info!(%addr, state = %args.state.display(), "local CLB serving");
    serve_connections(listener, app(engine, server), limits, shutdown)
        .await
        .map_err(ServeError::Serve)?;
    if let Some(task) = metrics_server {
        task.abort();
    }
    tracing::info!("local CLB stopped");
    Ok(())
}

/// The start-up check of the IPv6 VIP pool: the data plane listens on VIPs that are
/// addresses of this host, so a pool whose first address is not one gives IPv6 CLBs VIPs
/// that carry no traffic. They are still allocated (the API behaves as the cloud's); this
/// says so once at start-up, and the data plane logs `listener bind failed` for each such
/// listener. `None` when the first address binds (the default `::1/128` does).
pub fn ipv6_pool_warning(pool: &str) -> Option<String> {
    let first = crate::address::Cidr6::parse(pool).ok()?.hosts().next()?;
    let err = std::net::TcpListener::bind((first, 0)).err()?;
    Some(format!(
        "ipv6_vip_pool {pool}: {first} is not an address of this host ({err}); IPv6 CLBs get \
         VIPs from the pool but their listeners cannot bind, so they carry no traffic. Assign \
         the addresses on this host (ip -6 addr add {first}/128 dev lo) or use ::1/128."
    ))
}

/// Serves `registry` as Prometheus text on `http://addr/metrics` until aborted.
async fn serve_metrics(
    addr: SocketAddr,
    registry: Registry,
) -> Result<tokio::task::JoinHandle<()>, ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener.local_addr().map_err(ServeError::Serve)?;
    tracing::info!(addr = %bound, "metrics on /metrics");
    let registry = Arc::new(registry);
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let registry = registry.clone();
            async move {
                let mut text = String::new();
                match prometheus_client::encoding::text::encode(&mut text, &registry) {
                    Ok(()) => (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        text,
                    )
                        .into_response(),
                    Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }
        }),
    );
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::warn!(error = %err, "metrics server stopped");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::ipv6_pool_warning;

    #[test]
    fn the_loopback_ipv6_pool_carries_traffic_and_needs_no_warning() {
        assert_eq!(ipv6_pool_warning("::1/128"), None);
    }

    #[test]
    fn an_ipv6_pool_of_foreign_addresses_is_named_with_the_fix() {
        let w = ipv6_pool_warning("fd00:5b1c:e3::/120").expect("fd00:5b1c:e3::1 is not local");
        assert!(
            w.contains("fd00:5b1c:e3::1 is not an address of this host"),
            "{w}"
        );
        assert!(w.contains("ip -6 addr add"), "{w}");
    }
}
