//! Wiring: the `slb-ccm controller` command as a library call ([`run`]: its flags build the
//! clients, the settings and, in local mode, the node registration, then one replica runs)
//! and the pieces it is made of: the flags ([`args`]) and one replica's life
//! ([`run_controller`]: admin server, informer caches from the start ([`crate::caches`], so a
//! standby is Ready), leader election, and, once leading, the kube-runtime controller that
//! reconciles).
//!
//! Fan-out (done by the caches): an EndpointSlice change reconciles only its own Service; a
//! Node change reconciles only the Services whose backend set it changes
//! ([`crate::fanout::NodeFanout`]); requests for one Service are merged and debounced into one
//! reconcile. Every reconcile reads Nodes and EndpointSlices from the caches, never from the
//! API server.

use crate::inventory::Inventory;
use crate::leader::LeaderConfig;
use crate::node::NodeSettings;
use crate::route::RouteSettings;
use crate::service_writes::IngressIpMode;
use kube::{Api, Client};
use slb_model::{ClusterContext, PlanOptions};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub mod args;
mod replica;

pub use args::{CloudArgs, CloudKind, ControllerArgs, cloud_over, kube_client};
pub use replica::run_controller;

/// How long a stopping controller waits for running reconciles.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

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
        /// The address it was asked to bind (`--metrics-addr`).
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
    /// Plan only: the plan becomes `DryRun` events and logs; no cloud or Service write.
    pub dry_run: bool,
    /// The `ipMode` written with a CLB's IP.
    pub ingress_ip_mode: IngressIpMode,
    /// How often each Service is reconciled without a change (drift repair), ±10 %.
    pub drift_interval: Duration,
    /// Reconciles running at once (never two of one Service).
    pub concurrency: u16,
    /// Leader election, if on: only the Lease holder reconciles and calls the cloud.
    pub leader: Option<LeaderConfig>,
    /// Admin server address, if any.
    pub admin_addr: Option<SocketAddr>,
    /// Only Services and EndpointSlices of this namespace (all namespaces when `None`).
    pub namespace: Option<String>,
    /// Requests for one Service within this long of each other run as one reconcile.
    pub debounce: Duration,
    /// With the local CLB: keep its ECS inventory in step with the Nodes. [`run`] sets it
    /// from the flags ([`ControllerArgs::inventory`]); tests may pass their own.
    pub inventory: Option<Inventory>,
    /// Run the Service controller.
    pub services: bool,
    /// Run the node controller, with these settings.
    pub nodes: Option<NodeSettings>,
    /// Run the route controller, with these settings.
    pub routes: Option<RouteSettings>,
}

/// `slb-ccm controller`: builds what `args` ask for (Kubernetes client, cloud client, settings,
/// node registration with a local CLB) and runs the controller until `shutdown` is cancelled
/// (or leadership is lost).
///
/// # Errors
/// See [`RunError`].
pub async fn run(args: &ControllerArgs, shutdown: CancellationToken) -> Result<(), RunError> {
    let client = args.kube_client().await?;
    let (http, metrics) = args.connection.http_client(args.cloud)?;
    let cloud = cloud_over(&http, &args.connection.region, metrics);
    let mut settings = args.settings();
    settings.inventory = args.inventory(&http);
    run_controller(client, cloud, settings, shutdown).await
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
