//! The local CLB engine: the real service's rules over the records of `model`, answering the
//! RPC actions in their wire form (a flat parameter map in, Alibaba's JSON body out).
//!
//! Every action is a pure function of (state, context, parameters) returning the response
//! body and the [`Change`] it makes; [`Engine::handle`] commits that change to the durable
//! store *before* applying it in memory and answering. The data plane (if it takes
//! snapshots) hears of it off the request path: the commit notes which load balancers
//! changed and wakes the publisher thread (`dataplane::publisher`), which builds one
//! snapshot for every write since its last, rebuilding only what changed;
//! [`Engine::wait_for_dataplane`] waits for it. Calls are serialized by one mutex (held only
//! for synchronous work, never across `.await`), which is also what makes `ClientToken`
//! replays exact.
//!
//! Not here: signatures, HTTP and latency injection (see `server`), and the typed `Clb`/`Ecs`
//! trait adapter (see `traits`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::params::Params;

use crate::config::LocalConfig;
use crate::dataplane::DataPlane;
use crate::dataplane::forwarding::Forwarding;
use crate::dataplane::publisher::{Build, Publisher};
use crate::faults::Faults;
use crate::model::{
    Instance, LoadBalancer, NetworkInterface, RouteTable, SecurityRecords, VServerGroup,
};
use crate::store::{Change, Store, StoreError};

mod acl;
mod admin;
mod cert;
mod dispatch;
mod domain_ext;
mod ecs;
mod eip;
mod health;
mod lb;
mod listener;
mod refusal;
mod regions;
mod render;
mod security;
mod served;
mod tags;
mod vgroup;
mod vpc;

pub use admin::MAX_ITEMS_PER_CALL;
pub use dispatch::{ActionInfo, Family, action_names, lookup_action};
pub use security::{AclView, CertificatePem, ListenerSecurity};
pub(crate) use served::Served;

/// The listener's protocol settings with defaults filled in (health check, draining, …).
pub fn effective_settings(listener: &crate::model::Listener) -> BTreeMap<String, String> {
    listener::effective(listener)
}

/// The prefix of local-only admin actions; no Alibaba action starts with it.
pub const ADMIN_PREFIX: &str = "Local";

/// Everything the engine knows: the load balancers and the ECS inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Load balancers by id.
    pub load_balancers: BTreeMap<String, LoadBalancer>,
    /// ECS instances by id.
    pub instances: BTreeMap<String, Instance>,
    /// ENIs by id.
    pub network_interfaces: BTreeMap<String, NetworkInterface>,
    /// VPC route tables by id.
    pub route_tables: BTreeMap<String, RouteTable>,
    /// ACLs and certificates.
    pub security: SecurityRecords,
    /// Elastic IPs by allocation id.
    pub eips: BTreeMap<String, crate::model::Eip>,
}

impl State {
    /// Applies a committed change.
    pub fn apply(&mut self, change: &Change) {
        for lb in &change.put_load_balancers {
            self.load_balancers.insert(lb.id.clone(), lb.clone());
        }
        for id in &change.delete_load_balancers {
            self.load_balancers.remove(id);
        }
        for i in &change.put_instances {
            self.instances.insert(i.instance_id.clone(), i.clone());
        }
        for id in &change.delete_instances {
            self.instances.remove(id);
        }
        for e in &change.put_network_interfaces {
            self.network_interfaces
                .insert(e.network_interface_id.clone(), e.clone());
        }
        for id in &change.delete_network_interfaces {
            self.network_interfaces.remove(id);
        }
        for t in &change.put_route_tables {
            self.route_tables
                .insert(t.route_table_id.clone(), t.clone());
        }
        self.security.apply(change);
        crate::store::apply_eips(&mut self.eips, change);
    }

    /// The load balancer and group of a vServer group id.
    pub fn group(&self, id: &str) -> Option<(&LoadBalancer, &VServerGroup)> {
        self.load_balancers.values().find_map(|lb| {
            lb.vserver_groups
                .iter()
                .find(|g| g.id == id)
                .map(|g| (lb, g))
        })
    }
}

/// What one action produced: the response fields (without `RequestId`) and its change.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub body: Map<String, Value>,
    pub change: Change,
    /// New fault settings (local admin actions only; kept in memory, not stored).
    pub faults: Option<crate::config::FaultConfig>,
}

impl Outcome {
    fn read(body: Map<String, Value>) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }

    fn put_lb(lb: LoadBalancer) -> Self {
        Self {
            change: Change {
                put_load_balancers: vec![lb],
                ..Change::default()
            },
            ..Self::default()
        }
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.body.insert(key.to_owned(), value.into());
        self
    }
}

/// The context an action runs in: configuration, faults, the clock, and the data plane's
/// health checks when it runs any.
pub(crate) struct Ctx<'a> {
    pub config: &'a LocalConfig,
    pub faults: &'a Faults,
    pub now_ms: i64,
    pub health: Option<&'a dyn crate::dataplane::HealthSource>,
}

impl Ctx<'_> {
    /// A fresh id such as `lb-7f3a…` (20 hex digits, like Alibaba's length).
    fn new_id(prefix: &str) -> String {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        format!("{prefix}-{}", &hex[..20])
    }

    /// Billing gate of create/modify calls: arrears, then balance.
    fn check_billing(&self) -> Result<(), ApiError> {
        if self.faults.config().arrears {
            return Err(codes::ORDER_ARREARAGE.error());
        }
        if self.faults.config().insufficient_balance {
            return Err(codes::PAY_INSUFFICIENT_BALANCE.error());
        }
        Ok(())
    }
}

/// The LB `id` (a typed request's `LoadBalancerId`), or `InvalidLoadBalancerId.NotFound`.
pub(crate) fn lb_by_id<'s>(state: &'s State, id: &str) -> Result<&'s LoadBalancer, ApiError> {
    state
        .load_balancers
        .get(id)
        .ok_or_else(|| codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND.error())
}

/// Like [`lb_by_id`], for a call that modifies the LB: a `locked` LB refuses it.
pub(crate) fn lb_by_id_for_write<'s>(
    state: &'s State,
    id: &str,
) -> Result<&'s LoadBalancer, ApiError> {
    let lb = lb_by_id(state, id)?;
    ensure_unlocked(lb)?;
    Ok(lb)
}

/// `ActionNotAllowed` for a locked LB.
pub(crate) fn ensure_unlocked(lb: &LoadBalancer) -> Result<(), ApiError> {
    if lb.status == "locked" {
        Err(codes::ACTION_NOT_ALLOWED.error())
    } else {
        Ok(())
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Loading the stored state failed.
    #[error("loading stored state: {0}")]
    LoadState(#[source] StoreError),
    /// Writing the seed inventory of the config file failed.
    #[error("storing the config file's inventory: {0}")]
    SeedInventory(#[source] StoreError),
    /// The thread publishing data-plane snapshots could not be started.
    #[error("starting the data plane publisher: {0}")]
    StartPublisher(#[source] std::io::Error),
}

impl EngineError {
    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::LoadState(_) => "load_state",
            Self::SeedInventory(_) => "seed_inventory",
            Self::StartPublisher(_) => "start_publisher",
        }
    }
}

struct Inner {
    state: State,
    store: Box<dyn Store>,
    faults: Faults,
    rate_limiter: crate::ratelimit::RateLimiter,
    /// The data plane's lists per LB; `None` for a data plane that declines snapshots.
    forwarding: Option<Forwarding>,
}

/// Locks the engine's state (shared with the publisher thread).
fn lock_inner(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // A panic while holding the lock cannot leave a half-applied change (state is only
    // touched after a successful commit), so a poisoned lock is safe to reuse.
    inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The publisher's build step: refresh the per-LB lists under the lock; the snapshot is
/// assembled after it is released.
fn build_from(inner: Arc<Mutex<Inner>>) -> Build {
    Box::new(move || {
        let mut guard = lock_inner(&inner);
        let Inner {
            state, forwarding, ..
        } = &mut *guard;
        forwarding
            .as_mut()
            .map(|f| f.refresh(state))
            .unwrap_or_default()
    })
}

/// The local CLB engine. Cheap to share behind an `Arc`.
pub struct Engine {
    inner: Arc<Mutex<Inner>>,
    config: LocalConfig,
    dataplane: Arc<dyn DataPlane>,
    /// Publishes snapshots off the request path; `None` when the data plane declines them.
    publisher: Option<Publisher>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("region", &self.config.region)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Loads the stored state, merges the config file's inventory into it (config entries
    /// win for the ids they name), hands the data plane its first snapshot (before
    /// returning) and starts the publisher thread for the later ones.
    ///
    /// # Errors
    /// [`EngineError`] when the store cannot be read or written, or the publisher thread
    /// cannot be started.
    pub fn open(
        config: LocalConfig,
        mut store: Box<dyn Store>,
        dataplane: Arc<dyn DataPlane>,
    ) -> Result<Self, EngineError> {
        let stored = store.load().map_err(EngineError::LoadState)?;
        let mut state = State {
            load_balancers: stored.load_balancers,
            instances: stored.instances,
            network_interfaces: stored.network_interfaces,
            route_tables: stored.route_tables,
            security: stored.security,
            eips: stored.eips,
        };
        let seed = Change {
            put_instances: config.instances.clone(),
            put_network_interfaces: config.network_interfaces.clone(),
            put_route_tables: vpc::seed_route_tables(&config, &state.route_tables),
            ..Change::default()
        };
        store.commit(&seed).map_err(EngineError::SeedInventory)?;
        state.apply(&seed);
        let forwarding = dataplane.wants_snapshots().then(|| {
            let mut f = Forwarding::new(&state);
            dataplane.apply(f.refresh(&state).snapshot());
            f
        });
        let wants = forwarding.is_some();
        let faults = Faults::new(config.faults.clone());
        let inner = Arc::new(Mutex::new(Inner {
            state,
            store,
            faults,
            rate_limiter: crate::ratelimit::RateLimiter::new(config.rate_limits.clone()),
            forwarding,
        }));
        let publisher = if wants {
            let build = build_from(inner.clone());
            let started = Publisher::start(dataplane.clone(), build, 0);
            Some(started.map_err(EngineError::StartPublisher)?)
        } else {
            None
        };
        Ok(Self {
            inner,
            config,
            dataplane,
            publisher,
        })
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &LocalConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock_inner(&self.inner)
    }

    /// Waits until the data plane has been handed a snapshot reflecting every write answered
    /// so far (at once for a data plane that declines snapshots); `false` after `timeout`.
    /// Writes reach it by themselves within a few milliseconds (see
    /// `dataplane::publisher`); this is for callers that need certainty, such as tests.
    pub fn wait_for_dataplane(&self, timeout: Duration) -> bool {
        let Some(publisher) = &self.publisher else {
            return true;
        };
        let version = self
            .lock()
            .forwarding
            .as_ref()
            .map_or(0, Forwarding::version);
        publisher.wait(version, timeout)
    }

    /// Registers the publisher's series (`slb_local_dataplane_*`: committed and published
    /// versions, snapshots, build time); nothing for a data plane that declines snapshots.
    pub fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        if let Some(publisher) = &self.publisher {
            publisher.metrics().register(registry);
        }
    }

    /// Answers one action in wire form (the HTTP server's entry): the parameter map is parsed
    /// once, strictly, into the action's typed request and served; the response body has a
    /// fresh `RequestId`.
    ///
    /// # Errors
    /// The [`ApiError`] Alibaba would answer (code, status, message); `InternalError` when
    /// the store cannot commit (the change is then not applied).
    pub fn handle(&self, action: &str, params: &Params) -> Result<Value, ApiError> {
        let info = lookup_action(action).ok_or_else(|| codes::INVALID_ACTION_NOT_FOUND.error())?;
        dispatch::refuse_by_name(action, params)?;
        let account = params.get("AccessKeyId").map_or("", String::as_str);
        (info.route)(self, params, account)
    }

    /// Answers a typed request (in process, or after the server's parse) for `account`
    /// (rate limits; empty in process).
    ///
    /// # Errors
    /// As [`Engine::handle`].
    pub(crate) fn serve<A: Served>(&self, req: &A, account: &str) -> Result<Value, ApiError> {
        self.run(A::NAME, req.region_id(), account, |state, cx| {
            req.answer(state, cx)
        })
    }

    /// The steps every action shares: region, faults, rate limit, the handler, then the
    /// commit (store first, then memory, then a note for the data plane's publisher) and the
    /// `RequestId`.
    fn run(
        &self,
        action: &str,
        region: Option<&str>,
        account: &str,
        handler: impl FnOnce(&State, &Ctx<'_>) -> Result<Outcome, ApiError>,
    ) -> Result<Value, ApiError> {
        if let Some(region) = region.filter(|r| !r.is_empty())
            && region != self.config.region
        {
            return Err(ApiError::service(
                "InvalidRegionId.NotFound",
                404,
                format!(
                    "The specified RegionId {region} does not exist; this local CLB serves {}.",
                    self.config.region
                ),
            ));
        }
        let now_ms = now_ms();
        let mut inner = self.lock();
        inner.faults.admit(action)?;
        inner
            .rate_limiter
            .admit(account, action, tokio::time::Instant::now())?;
        let cx = Ctx {
            config: &self.config,
            faults: &inner.faults,
            now_ms,
            health: self.dataplane.health_source(),
        };
        let outcome = handler(&inner.state, &cx)?;
        self.commit(&mut inner, action, outcome)
    }

    /// Commits an outcome's change and faults, and renders its body with a `RequestId`.
    fn commit(&self, inner: &mut Inner, action: &str, outcome: Outcome) -> Result<Value, ApiError> {
        if let Some(faults) = outcome.faults {
            inner.faults.set(faults);
        }
        if !outcome.change.is_empty() {
            if let Err(err) = inner.store.commit(&outcome.change) {
                tracing::error!(error = %err, action, "store commit failed; change not applied");
                return Err(codes::INTERNAL_ERROR.error());
            }
            inner.state.apply(&outcome.change);
            let noted = inner.forwarding.as_mut().map(|f| f.note(&outcome.change));
            if let (Some(Some(version)), Some(publisher)) = (noted, &self.publisher) {
                publisher.notify(version);
            }
        }
        let mut body = outcome.body;
        body.insert("RequestId".to_owned(), Value::String(new_request_id()));
        Ok(Value::Object(body))
    }

    /// The latency currently injected before a call of `action`: none for the `Local*`
    /// admin actions, so the fault that set it can always be lifted.
    pub fn injected_latency(&self, action: &str) -> std::time::Duration {
        if action.starts_with(ADMIN_PREFIX) {
            return std::time::Duration::ZERO;
        }
        std::time::Duration::from_millis(self.lock().faults.config().latency_ms)
    }

    /// A copy of the whole state (tests and tools).
    pub fn state(&self) -> State {
        self.lock().state.clone()
    }
}

/// An uppercase UUID, like Alibaba's request ids.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase()
}

fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}
