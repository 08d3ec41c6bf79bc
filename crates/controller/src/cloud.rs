//! The cloud as the controller (and the CLI's plan/apply/demo) sees it: find a Service's CLB,
//! observe it as slb-model's [`ObservedLb`], and sync it — plan with slb-model, execute the
//! plan through the `Clb` trait. Works the same against Alibaba Cloud (the HTTP client) and the
//! local CLB (HTTP or in process).
//!
//! Observations are cached per CLB: a sync plans against the cached state, so a reconcile
//! with nothing to change makes no cloud call at all, and a backend-only change costs exactly
//! its backend calls. After a successful plan the cache is advanced through the CLB's own
//! state transitions (slb-clb-state, the ones the local CLB applies, via slb-model's
//! `apply_to`) with the ids the cloud answered for every create, so the reconcile after a
//! create describes nothing; any failure drops the entry so the next sync observes afresh;
//! and an entry older than the drift interval is refreshed, which is how console changes get
//! repaired.
//!
//! What this deliberately does not do: talk to Kubernetes or retry (the OpenAPI client's
//! governor does).

mod cache;
mod eip;
mod eni;
mod execute;
mod observe;
mod wire;

pub use eip::EVENT_NO_EIP;
pub use execute::{Executed, execute};

use cache::ObservationCache;
use parking_lot::Mutex;
use slb_model::plan::CreatedIds;
use slb_model::{DesiredLb, ObservedLb, Plan, PlanError, PlanOptions};
use slb_openapi::metered::Metered;
use slb_openapi::metrics::ApiMetrics;
use slb_openapi::{ApiError, Clb, Ecs, Vpc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

/// How long a cached observation is trusted before a sync observes afresh.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);

/// A failed find, observe or sync.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// A cloud call failed.
    #[error("{action}: {source}")]
    Api {
        /// The OpenAPI action.
        action: &'static str,
        /// The service's (or client's) error.
        #[source]
        source: ApiError,
    },
    /// The model refused to plan (nothing was called).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The plan named something that no earlier action produced (a bug in plan order).
    #[error("the plan refers to {what} before it exists")]
    Unresolved {
        /// What was missing.
        what: String,
    },
}

impl CloudError {
    /// A stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CloudError::Api { .. } => "cloud_api",
            CloudError::Plan(p) => p.kind(),
            CloudError::Unresolved { .. } => "plan_order",
        }
    }

    /// The FAQ's remedy, when one is known.
    pub fn remedy(&self) -> Option<&'static str> {
        match self {
            CloudError::Api { source, .. } => {
                slb_model::lookup_cloud_error(&source.code, &source.message).map(|e| e.remedy)
            }
            CloudError::Plan(p) => Some(p.remedy()).filter(|r| !r.is_empty()),
            CloudError::Unresolved { .. } => None,
        }
    }

    /// The event reason for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            CloudError::Api { source, .. } => {
                slb_model::lookup_cloud_error(&source.code, &source.message)
                    .map_or(slb_model::catalog::EVENT_SYNC_FAILED, |e| e.reason)
            }
            _ => slb_model::catalog::EVENT_SYNC_FAILED,
        }
    }

    /// True when a cloud call answered that something does not exist (`*.NotFound`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, CloudError::Api { source, .. } if source.is_not_found())
    }

    /// True for throttling and other errors worth retrying soon.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CloudError::Api { source, .. } if source.is_retryable())
    }
}

fn api(action: &'static str) -> impl FnOnce(ApiError) -> CloudError {
    move |source| CloudError::Api { action, source }
}

/// The ids the cloud answered in a run, for advancing the cache; `None` when one is empty
/// (a malformed response: the entry is dropped and the next sync observes).
fn answered_ids(executed: &Executed) -> Option<CreatedIds> {
    let ids = CreatedIds {
        load_balancer: executed.created.clone(),
        groups: executed.groups.clone(),
        domain_extensions: executed.domain_extensions.clone(),
    };
    let empty = ids
        .load_balancer
        .as_ref()
        .is_some_and(|(id, _)| id.is_empty())
        || ids.groups.values().any(String::is_empty)
        || ids.domain_extensions.values().any(String::is_empty);
    (!empty).then_some(ids)
}

/// How a sync finds the Service's CLB.
#[derive(Debug, Clone, Copy)]
enum Lookup<'a> {
    /// By the reuse id, else the known id (label), else by tag.
    Known(Option<&'a str>),
    /// The Service never had the finalizer: by the reuse id only.
    New,
}

/// The result of one sync.
#[derive(Debug)]
pub struct SyncOutcome {
    /// The Service's CLB after the sync; `None` after a deletion (or a dry-run create).
    pub load_balancer_id: Option<String>,
    /// The CLB's address (VIP).
    pub address: Option<String>,
    /// What was executed (in dry-run: what would be).
    pub plan: Plan,
    /// Pod IPs in ENI mode that no ENI could be found for (left out of the groups).
    pub skipped_backends: Vec<String>,
    /// Cloud calls made, describes included.
    pub calls: usize,
}

/// CLB and ECS access for one region, with the observation cache. Clones share the cache.
#[derive(Clone)]
pub struct Cloud {
    clb: Arc<dyn Clb>,
    ecs: Arc<dyn Ecs>,
    vpc: Option<Arc<dyn Vpc>>,
    region: String,
    cache: Arc<ObservationCache>,
    max_age: Duration,
    metrics: ApiMetrics,
    locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Cloud {
    /// A cloud in `region` reached through `clb` and `ecs`; every call they answer is
    /// recorded in [`Cloud::api_metrics`].
    pub fn new(clb: Arc<dyn Clb>, ecs: Arc<dyn Ecs>, region: &str) -> Self {
        let metrics = ApiMetrics::new();
        Self::recorded(
            Arc::new(Metered::new(clb, metrics.clone())),
            Arc::new(Metered::new(ecs, metrics.clone())),
            region,
            metrics,
        )
    }

    /// A cloud whose `clb` and `ecs` already record their calls into `metrics` (the HTTP
    /// client built with `HttpClient::with_metrics`, which also counts retries and throttles).
    pub fn recorded(
        clb: Arc<dyn Clb>,
        ecs: Arc<dyn Ecs>,
        region: &str,
        metrics: ApiMetrics,
    ) -> Self {
        Self {
            clb,
            ecs,
            vpc: None,
            region: region.to_owned(),
            cache: Arc::default(),
            max_age: DEFAULT_MAX_AGE,
            metrics,
            locks: Arc::default(),
        }
    }

    /// The ECS client (counted in [`Cloud::api_metrics`]), for the node controller.
    pub fn ecs(&self) -> Arc<dyn Ecs> {
        Arc::clone(&self.ecs)
    }

    /// This cloud with VPC access for the route controller; `vpc` must record into the same
    /// metrics as the rest (the HTTP client does; see [`Cloud::with_metered_vpc`]).
    pub fn with_vpc(mut self, vpc: Arc<dyn Vpc>) -> Self {
        self.vpc = Some(vpc);
        self
    }

    /// This cloud with `vpc` wrapped so its calls count in [`Cloud::api_metrics`].
    pub fn with_metered_vpc(self, vpc: Arc<dyn Vpc>) -> Self {
        let metered = Arc::new(Metered::new(vpc, self.metrics.clone()));
        self.with_vpc(metered)
    }

    /// The VPC client, when this cloud has one (the route controller needs it).
    pub fn vpc(&self) -> Option<Arc<dyn Vpc>> {
        self.vpc.clone()
    }

    /// The cloud calls made so far, by action and outcome (export them with
    /// `ApiMetrics::register`; read them in process with `ApiMetrics::stats`).
    pub fn api_metrics(&self) -> &ApiMetrics {
        &self.metrics
    }

    /// Trust cached observations for at most `max_age` (the drift-repair interval).
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    fn cached(&self, id: &str) -> Option<ObservedLb> {
        self.cache.get(id, self.max_age)
    }

    /// CLB `id` as the next sync would plan against it without describing: the cached
    /// observation, advanced through the shared transitions after each run; `None` when not
    /// cached or older than the max age.
    pub fn cached_observation(&self, id: &str) -> Option<ObservedLb> {
        self.cached(id)
    }

    /// The mutex serializing syncs of CLB `id` (or of the CLB a Service is about to create,
    /// by its default name). Entries nobody holds are pruned as new ones are made.
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock();
        if locks.len() > 1024 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(id.to_owned()).or_default().clone()
    }

    /// Whether CLB `id`'s observation is cached and younger than the max age (a sync would
    /// plan against it without describing).
    pub fn is_fresh(&self, id: &str) -> bool {
        self.cache.is_fresh(id, self.max_age)
    }

    fn remember(&self, observed: ObservedLb, at: Instant) {
        self.cache.insert(observed, at);
    }

    /// Drops CLB `id`'s cached observation: the next sync observes it from the cloud (the
    /// reconcile calls this when the Service's own spec or annotations changed).
    pub fn invalidate(&self, id: &str) {
        self.forget(id);
    }

    fn forget(&self, id: &str) {
        self.cache.remove(id);
    }

    /// The region every call names.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Brings the Service's CLB to `desired`: resolves ENI ids, finds and observes the CLB,
    /// plans, and executes the plan unless `dry_run`. A second sync with the same desired
    /// state plans nothing and makes only describe calls.
    ///
    /// # Errors
    /// A refused plan (nothing called) or the first failing call.
    #[tracing::instrument(level = "debug", skip_all, fields(lb = %desired.default_name, ?known_id, dry_run), err)]
    pub async fn sync(
        &self,
        desired: DesiredLb,
        known_id: Option<&str>,
        options: &PlanOptions,
        dry_run: bool,
    ) -> Result<SyncOutcome, CloudError> {
        self.sync_with(desired, Lookup::Known(known_id), options, dry_run)
            .await
    }

    /// [`Cloud::sync`] for a Service that has never carried the finalizer: the controller
    /// adds it before any cloud change, so no CLB can have been created for this Service and
    /// the lookup by tag is skipped (a new Service costs its creates only). The caller calls
    /// this once per Service: a later reconcile that still reads the Service without the
    /// finalizer (its cache has not seen the write yet) must [`Cloud::sync`], which looks,
    /// since this one may have created the CLB meanwhile (the controller keeps that in its
    /// per-Service state).
    ///
    /// # Errors
    /// As [`Cloud::sync`].
    #[tracing::instrument(level = "debug", skip_all, fields(lb = %desired.default_name, dry_run), err)]
    pub async fn sync_new(
        &self,
        desired: DesiredLb,
        options: &PlanOptions,
        dry_run: bool,
    ) -> Result<SyncOutcome, CloudError> {
        self.sync_with(desired, Lookup::New, options, dry_run).await
    }

    /// One sync, and a second one when the first failed with a cloud `NotFound` (the CLB, a
    /// listener or a group was deleted outside the cluster): the failure has dropped the
    /// cached observation, so the second one plans against the cloud as it is now, and its
    /// error (or success) is what the user sees instead of the stale cache's.
    async fn sync_with(
        &self,
        desired: DesiredLb,
        lookup: Lookup<'_>,
        options: &PlanOptions,
        dry_run: bool,
    ) -> Result<SyncOutcome, CloudError> {
        match self
            .sync_once(desired.clone(), lookup, options, dry_run)
            .await
        {
            Err(err) if err.is_not_found() => {
                tracing::info!(error = %err, "a cloud NotFound: observing afresh and retrying once");
                self.sync_once(desired, lookup, options, dry_run).await
            }
            other => other,
        }
    }

    /// Resolves ENIs, finds and observes the CLB (holding its lock from then on), plans, and
    /// runs the plan unless `dry_run` or empty.
    async fn sync_once(
        &self,
        mut desired: DesiredLb,
        lookup: Lookup<'_>,
        options: &PlanOptions,
        dry_run: bool,
    ) -> Result<SyncOutcome, CloudError> {
        let mut calls = 0;
        let skipped_backends = self.resolve_enis(&mut desired, &mut calls).await?;
        let found = self.locate(&desired, lookup, &mut calls).await?;
        let plan = slb_model::plan(&desired, found.observed.as_ref(), options)?;
        let outcome = SyncOutcome {
            load_balancer_id: found.observed.as_ref().map(|o| o.load_balancer_id.clone()),
            address: found.observed.as_ref().map(|o| o.address.clone()),
            plan,
            skipped_backends,
            calls,
        };
        if dry_run || outcome.plan.is_empty() {
            return Ok(outcome);
        }
        self.run(&found, outcome).await
    }

    /// Finds the Service's CLB and observes it (from the cache when fresh), under the lock
    /// of that CLB (or of its default name when there is none yet).
    async fn locate(
        &self,
        desired: &DesiredLb,
        lookup: Lookup<'_>,
        calls: &mut usize,
    ) -> Result<Located, CloudError> {
        let known_id = match lookup {
            Lookup::Known(id) => id,
            Lookup::New => None,
        };
        // The Service's label names its CLB: observing it is the existence check (no
        // separate lookup, which saves a call per Service when a restarted controller
        // observes everything afresh). A new Service has none to find. Otherwise: the reuse
        // id, or the lookup by tag.
        let id = match (&desired.reuse_id, known_id, lookup) {
            (None, Some(known), _) => Some(known.to_owned()),
            (None, None, Lookup::New) => None,
            _ => self.find_adding(desired, known_id, calls).await?,
        };
        let found = self.observe_locked(id, desired, calls).await?;
        if found.observed.is_some() || desired.reuse_id.is_some() || known_id.is_none() {
            return Ok(found);
        }
        // The labelled CLB is gone (deleted in the console): look it up by tag, as a
        // Service without a label would be.
        drop(found);
        let id = self.find_adding(desired, None, calls).await?;
        self.observe_locked(id, desired, calls).await
    }

    /// [`Cloud::find_counted`], adding its calls to `calls`.
    async fn find_adding(
        &self,
        desired: &DesiredLb,
        known_id: Option<&str>,
        calls: &mut usize,
    ) -> Result<Option<String>, CloudError> {
        let (id, n) = self.find_counted(desired, known_id).await?;
        *calls += n;
        Ok(id)
    }

    /// Takes the lock of CLB `id` (of the default name when `None`), then observes it: one
    /// sync at a time per CLB (Services sharing a reused CLB), since one plan's cache update
    /// must not overwrite another's, and the CLB API refuses concurrent writes anyway.
    async fn observe_locked(
        &self,
        id: Option<String>,
        desired: &DesiredLb,
        calls: &mut usize,
    ) -> Result<Located, CloudError> {
        let lock = self.lock_for(id.as_deref().unwrap_or(&desired.default_name));
        let serialized = lock.lock_owned().await;
        let observed = self.observe_cached(id.as_deref(), calls).await?;
        Ok(Located {
            id,
            observed,
            _serialized: serialized,
        })
    }

    /// Executes `outcome`'s plan against the located CLB and advances the cache; a failed
    /// call drops the CLB's cached observation instead.
    async fn run(
        &self,
        found: &Located,
        mut outcome: SyncOutcome,
    ) -> Result<SyncOutcome, CloudError> {
        let executed = match execute(&*self.clb, &self.region, &outcome.plan).await {
            Ok(executed) => executed,
            Err(err) => {
                if let Some(id) = &found.id {
                    self.forget(id);
                }
                return Err(err);
            }
        };
        outcome.calls += executed.calls;
        self.advance_cache(
            found.id.as_deref(),
            found.observed.as_ref(),
            &outcome.plan,
            &executed,
        );
        if let Some((id, address)) = executed.created {
            outcome.load_balancer_id = Some(id);
            outcome.address = Some(address);
        }
        let deleted = outcome
            .plan
            .actions
            .iter()
            .any(|a| matches!(a, slb_model::Action::DeleteLoadBalancer { .. }));
        if deleted {
            outcome.load_balancer_id = None;
            outcome.address = None;
        }
        Ok(outcome)
    }

    /// CLB `id` from the cache, else observed (and cached); `None` when there is no id or no
    /// such CLB.
    async fn observe_cached(
        &self,
        id: Option<&str>,
        calls: &mut usize,
    ) -> Result<Option<ObservedLb>, CloudError> {
        let Some(id) = id else { return Ok(None) };
        if let Some(cached) = self.cached(id) {
            return Ok(Some(cached));
        }
        let at = Instant::now();
        let (observed, n) = self.observe_counted(id).await?;
        *calls += n;
        if let Some(o) = &observed {
            self.remember(o.clone(), at);
        }
        Ok(observed)
    }

    /// After a successful run: advance the cached observation through the plan's transitions
    /// with the ids the cloud answered, so the reconcile that follows (our own status write
    /// triggers one) plans against it without describing again. A new CLB's entry ages from
    /// now; an existing one keeps its age, so the drift check still re-observes on schedule.
    /// A transition that refuses (the cloud accepted what the cached state says it would
    /// not: the cache was stale) drops the entry, as does a malformed id.
    fn advance_cache(
        &self,
        id: Option<&str>,
        observed: Option<&ObservedLb>,
        plan: &Plan,
        executed: &Executed,
    ) {
        let next = answered_ids(executed).and_then(|ids| {
            slb_model::apply_to(plan, observed, &ids)
                .inspect_err(|err| tracing::debug!(error = %err, "cache not advanced"))
                .ok()
                .flatten()
        });
        let at = id.and_then(|id| self.cache.observed_at(id));
        if let Some(id) = id {
            self.forget(id);
        }
        match (next, at, id) {
            (Some(next), Some(at), Some(_)) => self.remember(next, at),
            (Some(next), _, None) => self.remember(next, Instant::now()),
            _ => {}
        }
    }
}

/// The CLB a sync works on, found and observed under its lock (held while this lives).
struct Located {
    /// Its id; `None` when it is to be created.
    id: Option<String>,
    /// What the plan is made against; `None` when it does not exist.
    observed: Option<ObservedLb>,
    _serialized: OwnedMutexGuard<()>,
}
