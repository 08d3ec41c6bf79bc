//! Call accounting for OpenAPI traffic: prometheus-client metrics (registered into a
//! caller-supplied `Registry`) and a cheap in-process [`CallStats`] that tests and benchmarks
//! read directly ("how many `DescribeVServerGroupAttribute` calls did that reconcile cost?").
//!
//! Definitions: a *call* is one trait method invocation; a *request* is one HTTP attempt
//! (a call with two retries is one call and three requests). This module only counts; it
//! makes no decisions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::time::Duration;

use crate::error::ApiError;
use crate::governor::GovernorObserver;

/// Labels `{action}`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// The action name.
    pub action: String,
}

/// Labels `{action, outcome}` (`ok` or the error kind).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// The action name.
    pub action: String,
    /// `ok` or [`ApiError::kind`].
    pub outcome: String,
}

/// Labels `{action, code}`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    /// The action name.
    pub action: String,
    /// The error code.
    pub code: String,
}

type HistogramFamily = Family<ActionLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 ms … ~41 s: loopback calls to the local CLB up to slow cloud calls with retries.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Counts per action, as read by tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionCounts {
    /// Trait calls.
    pub calls: u64,
    /// HTTP attempts.
    pub requests: u64,
    /// Calls that ended in an error.
    pub errors: u64,
    /// Attempts answered with a throttling code.
    pub throttles: u64,
    /// Retries performed.
    pub retries: u64,
}

/// A cheap, clonable, in-process view of the call counts.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    counts: Arc<Mutex<BTreeMap<String, ActionCounts>>>,
}

impl CallStats {
    fn update(&self, action: &str, f: impl FnOnce(&mut ActionCounts)) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        f(counts.entry(action.to_owned()).or_default());
    }

    /// Counts for every action seen so far.
    pub fn snapshot(&self) -> BTreeMap<String, ActionCounts> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Counts for one action (zero when never called).
    pub fn get(&self, action: &str) -> ActionCounts {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(action)
            .copied()
            .unwrap_or_default()
    }

    /// Trait calls of `action`.
    pub fn calls(&self, action: &str) -> u64 {
        self.get(action).calls
    }

    /// Total trait calls across actions.
    pub fn total_calls(&self) -> u64 {
        self.snapshot().values().map(|c| c.calls).sum()
    }

    /// Total HTTP attempts across actions.
    pub fn total_requests(&self) -> u64 {
        self.snapshot().values().map(|c| c.requests).sum()
    }

    /// Forgets all counts (between benchmark phases).
    pub fn reset(&self) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// The client's metrics: prometheus families plus [`CallStats`].
#[derive(Debug, Clone)]
pub struct ApiMetrics {
    calls: Family<OutcomeLabels, Counter>,
    requests: Family<OutcomeLabels, Counter>,
    errors: Family<CodeLabels, Counter>,
    throttles: Family<ActionLabels, Counter>,
    retries: Family<ActionLabels, Counter>,
    latency: HistogramFamily,
    stats: CallStats,
}

impl Default for ApiMetrics {
    fn default() -> Self {
        Self {
            calls: Family::default(),
            requests: Family::default(),
            errors: Family::default(),
            throttles: Family::default(),
            retries: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            stats: CallStats::default(),
        }
    }
}

impl ApiMetrics {
    /// Fresh, unregistered metrics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the families under `registry` (use `registry.sub_registry_with_prefix` to
    /// namespace them); names are `openapi_calls`, `openapi_requests`, `openapi_errors`,
    /// `openapi_throttles`, `openapi_retries`, `openapi_call_duration_seconds`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "openapi_calls",
            "OpenAPI calls by action and outcome",
            self.calls.clone(),
        );
        registry.register(
            "openapi_requests",
            "OpenAPI HTTP attempts by action and outcome",
            self.requests.clone(),
        );
        registry.register(
            "openapi_errors",
            "OpenAPI call errors by action and code",
            self.errors.clone(),
        );
        registry.register(
            "openapi_throttles",
            "OpenAPI attempts answered with a Throttling code",
            self.throttles.clone(),
        );
        registry.register(
            "openapi_retries",
            "OpenAPI retries by action",
            self.retries.clone(),
        );
        registry.register(
            "openapi_call_duration_seconds",
            "OpenAPI call latency including retries",
            self.latency.clone(),
        );
    }

    /// The in-process counts.
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    fn outcome(action: &str, result: Result<(), &ApiError>) -> OutcomeLabels {
        OutcomeLabels {
            action: action.to_owned(),
            outcome: result.map_or_else(|e| e.kind().to_owned(), |()| "ok".to_owned()),
        }
    }

    /// Records one finished HTTP attempt.
    pub fn record_request(&self, action: &str, result: Result<(), &ApiError>) {
        self.requests
            .get_or_create(&Self::outcome(action, result))
            .inc();
        let throttled = result.is_err_and(ApiError::is_throttling);
        if throttled {
            self.throttles
                .get_or_create(&ActionLabels {
                    action: action.to_owned(),
                })
                .inc();
        }
        self.stats.update(action, |c| {
            c.requests += 1;
            c.throttles += u64::from(throttled);
        });
    }

    /// Records one finished call (after retries) and its latency.
    pub fn record_call(&self, action: &str, result: Result<(), &ApiError>, elapsed: Duration) {
        self.calls
            .get_or_create(&Self::outcome(action, result))
            .inc();
        self.latency
            .get_or_create(&ActionLabels {
                action: action.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
        if let Err(err) = result {
            self.errors
                .get_or_create(&CodeLabels {
                    action: action.to_owned(),
                    code: err.code.clone(),
                })
                .inc();
        }
        self.stats.update(action, |c| {
            c.calls += 1;
            c.errors += u64::from(result.is_err());
        });
    }
}

impl GovernorObserver for ApiMetrics {
    fn on_retry(&self, action: &str, _err: &ApiError, _delay: Duration) {
        self.retries
            .get_or_create(&ActionLabels {
                action: action.to_owned(),
            })
            .inc();
        self.stats.update(action, |c| c.retries += 1);
    }
}
