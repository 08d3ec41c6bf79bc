//! One replica's life ([`run_controller`]): admin server, informer caches from the start (so a
//! standby is Ready), leader election, and, once leading, the node and route controllers and
//! the kube-runtime controller that reconciles Services, until shutdown or a lost lease, with
//! a bounded drain.
//!
//! Not here: what the flags mean ([`super::args`]) or what a reconcile does
//! ([`crate::reconcile`]).

use super::{RunError, SHUTDOWN_GRACE, Settings};
use crate::admin::{self, Readiness};
use crate::backoff::RetryDelays;
use crate::caches::{CacheOptions, Caches};
use crate::cloud::Cloud;
use crate::inventory::InventorySync;
use crate::leader::{Elector, LeaderConfig};
use crate::node::NodeController;
use crate::node::writes::NodeWriter;
use crate::reconcile::{Context, error_policy, reconcile};
use crate::route::RouteController;
use crate::service_state::ServiceStates;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Service;
use kube::runtime::controller::{Config, Controller};
use kube::runtime::events::Reporter;
use kube::runtime::watcher;
use kube::{Api, Client};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

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
    let states = ServiceStates::new(RetryDelays::default());
    let options = CacheOptions {
        namespace: settings.namespace.clone(),
        cluster: settings.cluster.clone(),
        readiness,
        inventory: inventory.clone(),
        states: Arc::new(states.counted_in(metrics.services_tracked.clone())),
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
    let leading = Leading {
        client,
        cloud,
        settings,
        caches,
        metrics,
        inventory,
    };
    leading.act(&shutdown, &lost).await;
    step_down(elector, &shutdown, &lost).await
}

/// What a replica that leads (or runs alone) acts with.
struct Leading {
    client: Client,
    cloud: Cloud,
    settings: Settings,
    caches: Arc<Caches>,
    metrics: crate::metrics::Metrics,
    inventory: Option<Arc<InventorySync>>,
}

impl Leading {
    /// Registers the cached nodes (local mode), starts the node and route controllers and
    /// reconciles Services, until `shutdown` or `lost`.
    async fn act(self, shutdown: &CancellationToken, lost: &CancellationToken) {
        let Leading {
            client,
            cloud,
            settings,
            caches,
            metrics,
            inventory,
        } = self;
        if let Some(inventory) = &inventory {
            let cached = caches.nodes.state().iter().map(|n| (**n).clone()).collect();
            inventory.activate(cached);
        }
        let nodes_stop = start_node_controller(&client, &cloud, &settings, &caches, lost, shutdown);
        let _stop_nodes = nodes_stop.drop_guard();
        let routes_stop =
            start_route_controller(&client, &cloud, &settings, &caches, lost, shutdown);
        let _stop_routes = routes_stop.drop_guard();
        if settings.services {
            let ctx = context(client, cloud, &settings, &caches, metrics, inventory);
            reconcile_until_stopped(ctx, &caches, &settings, shutdown, lost).await;
        } else {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = lost.cancelled() => {}
            }
        }
    }
}

/// After acting: an error when the lease was lost (not at shutdown); otherwise lets the
/// elector release the Lease (so a standby takes over at once) before the process exits and
/// drops the runtime with the task in it.
async fn step_down(
    elector: Option<RunningElection>,
    shutdown: &CancellationToken,
    lost: &CancellationToken,
) -> Result<(), RunError> {
    if lost.is_cancelled() && !shutdown.is_cancelled() {
        return Err(RunError::LostLeadership);
    }
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
        services: caches.services.clone(),
        nodes: caches.nodes.clone(),
        slices: caches.service_slices.clone(),
        listed: caches.listed.clone(),
        recorder: events,
        states: caches.states.clone(),
        dry_run: settings.dry_run,
        ingress_ip_mode: settings.ingress_ip_mode,
        drift_interval: settings.drift_interval,
        metrics,
        inventory,
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
