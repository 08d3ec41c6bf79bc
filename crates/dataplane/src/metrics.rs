//! Prometheus metrics of the data plane, registered into a caller-supplied registry.
//!
//! Series are labelled by listener id only (bounded by configuration), plus a small fixed
//! label (`kind`, `reason`, `state`) where one is needed. [`ListenerMetrics`] caches one
//! listener's handles so the hot path never hashes labels. No per-backend or per-client
//! series: they would be unbounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ListenerLabel {
    listener: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    listener: String,
    kind: &'static str,
}

/// All data-plane metric families.
#[derive(Debug, Clone)]
pub struct Metrics {
    connections: Family<ListenerLabel, Counter>,
    active: Family<ListenerLabel, Gauge>,
    bytes_in: Family<ListenerLabel, Counter>,
    bytes_out: Family<ListenerLabel, Counter>,
    spliced: Family<ListenerLabel, Counter>,
    connect_errors: Family<KindLabel, Counter>,
    flows_created: Family<ListenerLabel, Counter>,
    flows_evicted: Family<KindLabel, Counter>,
    hairpin: Family<ListenerLabel, Counter>,
    acl_refused: Family<ListenerLabel, Counter>,
    health: Family<KindLabel, Counter>,
    http_requests: Family<KindLabel, Counter>,
    http_latency: Family<ListenerLabel, Histogram, fn() -> Histogram>,
    /// Descriptors proxied connections and flows may hold (see `fds`).
    pub fd_budget: Gauge,
    /// Descriptors they hold now.
    pub fds_in_use: Gauge,
    /// Times an accept loop waited for descriptors.
    pub fd_budget_waits: Counter,
}

/// One listener's metric handles, cheap to clone.
#[derive(Debug, Clone)]
pub struct ListenerMetrics {
    listener: String,
    all: Metrics,
    /// Connections (TCP) accepted and forwarded to a backend.
    pub connections: Counter,
    /// Connections (TCP) or flows (UDP) open now.
    pub active: Gauge,
    /// Bytes from clients to backends.
    pub bytes_in: Counter,
    /// Bytes from backends to clients.
    pub bytes_out: Counter,
    /// Of the TCP bytes both ways, those moved by `splice(2)` rather than copied (Linux).
    pub spliced: Counter,
    /// UDP flows opened.
    pub flows_created: Counter,
    /// TCP connections or UDP datagrams refused because the source is one of the listener's
    /// backends.
    pub hairpin: Counter,
    /// Connections or new UDP flows refused by the listener's ACL.
    pub acl_refused: Counter,
    /// HTTP requests answered, by status class 1xx–5xx (index 0–4).
    http_classes: [Counter; 5],
    /// HTTP request latency.
    http_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            connections: Family::default(),
            active: Family::default(),
            bytes_in: Family::default(),
            bytes_out: Family::default(),
            spliced: Family::default(),
            connect_errors: Family::default(),
            flows_created: Family::default(),
            flows_evicted: Family::default(),
            hairpin: Family::default(),
            acl_refused: Family::default(),
            health: Family::default(),
            http_requests: Family::default(),
            http_latency: Family::new_with_constructor(latency_histogram),
            fd_budget: Gauge::default(),
            fds_in_use: Gauge::default(),
            fd_budget_waits: Counter::default(),
        }
    }
}

/// The `kind` labels of HTTP requests by status class.
const HTTP_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Buckets from 0.5 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 16,
    ))
}

impl Metrics {
    /// Creates the families and registers them under `slb_dataplane_*`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("slb_dataplane");
        r.register(
            "connections",
            "TCP connections forwarded",
            m.connections.clone(),
        );
        r.register(
            "active_connections",
            "TCP connections and UDP flows open",
            m.active.clone(),
        );
        r.register(
            "received_bytes",
            "Bytes from clients to backends",
            m.bytes_in.clone(),
        );
        r.register(
            "sent_bytes",
            "Bytes from backends to clients",
            m.bytes_out.clone(),
        );
        r.register(
            "spliced_bytes",
            "Bytes of TCP listeners, both ways, moved by splice(2) (bulk streams) rather than copied (small messages); Linux only",
            m.spliced.clone(),
        );
        r.register(
            "connect_errors",
            "Connections or flows not forwarded, by kind (no_backend, refused, timeout, io, flow_table_full, fd_budget)",
            m.connect_errors.clone(),
        );
        r.register(
            "udp_flows_created",
            "UDP flows opened",
            m.flows_created.clone(),
        );
        r.register(
            "udp_flows_evicted",
            "UDP flows closed, by reason (idle, backend_removed, upstream_error, listener_closed)",
            m.flows_evicted.clone(),
        );
        r.register(
            "hairpin_refusals",
            "TCP connections (or UDP datagrams) refused because the client is one of the listener's backends",
            m.hairpin.clone(),
        );
        r.register(
            "acl_refusals",
            "TCP or HTTP connections (or new UDP flows) refused by the listener's ACL",
            m.acl_refused.clone(),
        );
        r.register(
            "health_transitions",
            "Backend health changes, by new state (kind = healthy or unhealthy)",
            m.health.clone(),
        );
        r.register(
            "http_requests",
            "HTTP requests answered, by status class (kind = 1xx ... 5xx)",
            m.http_requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "HTTP request latency from the request's headers to the response's headers",
            m.http_latency.clone(),
        );
        r.register(
            "fd_budget",
            "File descriptors proxied connections and UDP flows may hold together",
            m.fd_budget.clone(),
        );
        r.register(
            "fds_in_use",
            "File descriptors held by proxied connections and UDP flows",
            m.fds_in_use.clone(),
        );
        r.register(
            "fd_budget_waits",
            "Times accepting stopped because the descriptor budget was spent (backpressure)",
            m.fd_budget_waits.clone(),
        );
        m
    }

    /// The cached handles of one listener.
    pub fn listener(&self, id: &str) -> ListenerMetrics {
        let l = ListenerLabel {
            listener: id.to_owned(),
        };
        ListenerMetrics {
            listener: id.to_owned(),
            all: self.clone(),
            connections: self.connections.get_or_create(&l).clone(),
            active: self.active.get_or_create(&l).clone(),
            bytes_in: self.bytes_in.get_or_create(&l).clone(),
            bytes_out: self.bytes_out.get_or_create(&l).clone(),
            spliced: self.spliced.get_or_create(&l).clone(),
            flows_created: self.flows_created.get_or_create(&l).clone(),
            hairpin: self.hairpin.get_or_create(&l).clone(),
            acl_refused: self.acl_refused.get_or_create(&l).clone(),
            http_classes: HTTP_CLASSES.map(|class| {
                let k = KindLabel {
                    listener: id.to_owned(),
                    kind: class,
                };
                self.http_requests.get_or_create(&k).clone()
            }),
            http_latency: self.http_latency.get_or_create(&l).clone(),
        }
    }
}

impl ListenerMetrics {
    fn kind(&self, kind: &'static str) -> KindLabel {
        KindLabel {
            listener: self.listener.clone(),
            kind,
        }
    }

    /// Counts a connection that could not be forwarded.
    pub fn connect_error(&self, kind: &'static str) {
        self.all
            .connect_errors
            .get_or_create(&self.kind(kind))
            .inc();
    }

    /// Counts an evicted UDP flow.
    pub fn flow_evicted(&self, reason: &'static str) {
        self.all
            .flows_evicted
            .get_or_create(&self.kind(reason))
            .inc();
    }

    /// Counts an answered HTTP request by its status class and records its latency.
    pub fn http_request(&self, status: u16, latency: std::time::Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.http_classes[class].inc();
        self.http_latency.observe(latency.as_secs_f64());
    }

    /// Counts a backend health change.
    pub fn health_transition(&self, healthy: bool) {
        let state = if healthy { "healthy" } else { "unhealthy" };
        self.all.health.get_or_create(&self.kind(state)).inc();
    }
}
