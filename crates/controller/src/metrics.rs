//! The controller's own metrics: reconciles, failures by error kind, reconcile duration,
//! Services with per-Service state, and leadership. Cloud calls by action and outcome are the OpenAPI client's `ApiMetrics`,
//! registered next to these as `slb_controller_openapi_*`. Labels are low-cardinality by
//! construction: no object names.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label of a failure.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// `Error::kind()`.
    pub kind: String,
}

/// Controller metrics; cheap to clone (handles to shared series).
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Reconciles run.
    pub reconciles: Counter,
    /// Reconciles that failed, by kind.
    pub failures: Family<KindLabel, Counter>,
    /// Reconcile duration in seconds.
    pub duration: Histogram,
    /// 1 while this replica leads (or runs without election).
    pub leader: Gauge,
    /// Reconciles that found nothing changed since the last successful sync.
    pub fast_path: Counter,
    /// Services the controller keeps state for (backoff, fast path, node changes).
    pub services_tracked: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            reconciles: Counter::default(),
            failures: Family::default(),
            duration: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            leader: Gauge::default(),
            fast_path: Counter::default(),
            services_tracked: Gauge::default(),
        }
    }
}

impl Metrics {
    /// Registers every series under `slb_controller_*`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let sub = registry.sub_registry_with_prefix("controller");
        sub.register("reconciles", "Service reconciles run", m.reconciles.clone());
        sub.register(
            "reconcile_failures",
            "Service reconciles that failed, by kind",
            m.failures.clone(),
        );
        sub.register(
            "reconcile_duration_seconds",
            "Duration of one Service reconcile",
            m.duration.clone(),
        );
        sub.register(
            "fast_path",
            "Reconciles that found the Service, its EndpointSlices and the Nodes unchanged since \
             the last successful sync and the cached CLB fresh, and did nothing",
            m.fast_path.clone(),
        );
        sub.register(
            "services_tracked",
            "Services the controller keeps per-Service state for (retry backoff, last sync, \
             Node changes); a Service leaves when it is deleted or stops being ours",
            m.services_tracked.clone(),
        );
        sub.register(
            "leader",
            "1 while this replica is the active one",
            m.leader.clone(),
        );
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_exported_under_the_controller_prefix() {
        let mut registry = Registry::with_prefix("slb");
        let m = Metrics::register(&mut registry);
        m.reconciles.inc();
        m.failures
            .get_or_create(&KindLabel {
                kind: "cloud_api".into(),
            })
            .inc();
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("slb_controller_reconciles_total 1"), "{text}");
        assert!(
            text.contains("slb_controller_reconcile_failures_total{kind=\"cloud_api\"} 1"),
            "{text}"
        );
    }
}
