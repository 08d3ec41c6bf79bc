//! The read path back from the data plane: a [`HealthSource`] tells the engine what the
//! data plane's health probes concluded about one backend of one listener, so
//! `DescribeHealthStatus` reports the health checker's view, as Alibaba's does.
//!
//! A [`super::DataPlane`] offers its source through [`super::DataPlane::health_source`]; the
//! engine asks it while answering, with its lock held. Data planes that run no probes (the
//! no-op and recording ones of tests, an engine used in process without the proxy) offer
//! none, and the engine then derives health from the stored state alone. This module does
//! not decide the API's status strings (see `engine::health`).

use std::net::SocketAddr;

/// One backend under one listener, as the engine knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTarget<'a> {
    /// The load balancer.
    pub load_balancer_id: &'a str,
    /// The listener's protocol: `tcp`, `udp`, `http` or `https`.
    pub protocol: &'a str,
    /// The listener's port.
    pub port: u16,
    /// The member's `ServerId`.
    pub server_id: &'a str,
    /// Where the data plane connects: the resolved IP and the member's port (the address
    /// [`super::DataPlaneBackend::addr`] carries).
    pub addr: SocketAddr,
}

/// What the data plane's health checker says about one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbedHealth {
    /// Probed and taking connections.
    Healthy,
    /// Ejected by its health checks.
    Unhealthy,
    /// No verdict: the listener does not run in the data plane (not applied yet, or its
    /// address could not be bound), the backend is not in it yet, or no probe has
    /// completed since the backend was added.
    Undecided,
}

/// Reads the data plane's health-check results.
///
/// # Caveats
/// Called with the engine's lock held, once per (listener, backend) of a
/// `DescribeHealthStatus` answer: implementations must be quick, must not block on I/O and
/// must not call back into the engine. Read-only.
pub trait HealthSource: Send + Sync {
    /// The health of `target` as the data plane's probes see it now.
    fn probed_health(&self, target: &ProbeTarget<'_>) -> ProbedHealth;
}
