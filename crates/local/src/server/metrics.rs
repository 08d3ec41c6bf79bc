//! Request metrics of the local CLB's API: requests by action and answer code (`ok` or the
//! error code) and their latency, exported by `local serve --metrics-addr` as
//! `slb_local_api_requests_total{action,code}` and `slb_local_api_request_duration_seconds`.
//!
//! Labels stay low-cardinality: unknown actions are counted as `unknown`, never echoed.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels `{action, code}`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The action, or `unknown`.
    pub action: String,
    /// `ok` or the error code answered.
    pub code: String,
}

/// Labels `{action}`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    /// The action, or `unknown`.
    pub action: String,
}

type Durations = Family<ActionLabel, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 50 µs … ~0.8 s: in-memory answers up to fsync'd commits and injected latency.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 15))
}

/// The API's request metrics; clones share the series.
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Durations,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
        }
    }
}

impl RequestMetrics {
    /// Registers the series under `slb_local_api_*`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("slb_local_api");
        r.register(
            "requests",
            "API requests by action and answer code (ok or the error code)",
            self.requests.clone(),
        );
        r.register(
            "request_duration_seconds",
            "API request latency by action, injected latency included",
            self.duration.clone(),
        );
    }

    /// Records one answered request.
    pub fn record(&self, action: Option<&str>, code: Option<&str>, seconds: f64) {
        let action = action.unwrap_or("unknown").to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                action: action.clone(),
                code: code.unwrap_or("ok").to_owned(),
            })
            .inc();
        self.duration
            .get_or_create(&ActionLabel { action })
            .observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_action_and_code_and_unknown_actions_are_not_echoed() {
        let metrics = RequestMetrics::default();
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        metrics.record(Some("DescribeLoadBalancers"), None, 0.001);
        metrics.record(
            Some("DescribeLoadBalancers"),
            Some("Throttling.User"),
            0.001,
        );
        metrics.record(None, Some("InvalidAction.NotFound"), 0.0001);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for line in [
            r#"slb_local_api_requests_total{action="DescribeLoadBalancers",code="ok"} 1"#,
            r#"slb_local_api_requests_total{action="DescribeLoadBalancers",code="Throttling.User"} 1"#,
            r#"slb_local_api_requests_total{action="unknown",code="InvalidAction.NotFound"} 1"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
