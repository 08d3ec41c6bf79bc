//! The async health prober: one task per (listener, backend) that probes on an interval and
//! feeds [`HealthState`].
//!
//! Probes are TCP connects, HTTP `HEAD`s or `GET`s (HTTP/1.0 or 1.1) with a `Host` header, or
//! UDP datagrams, behind the small [`Probe`] trait so tests can script results. The prober only flips the backend's shared
//! `healthy` flag; selection reads it. It does not retry within one interval.
//!
//! A probe that could not even open its socket because this process (or the system) is out
//! of file descriptors says nothing about the backend: its result is unknown ([`verdict`])
//! and does not count towards either threshold.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::net::{TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

use super::{HealthState, Transition, parse_status_line};
use crate::config::{HealthCheckConfig, HealthCheckKind, HttpCodes, ProbeMethod};
use crate::metrics::ListenerMetrics;
use crate::pool::Backend;

/// Largest HTTP response head (or UDP reply) read.
const MAX_STATUS_HEAD: usize = 512;

/// Why a probe failed (for debug logs).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The connect failed.
    #[error("connect: {0}")]
    Connect(#[source] std::io::Error),
    /// Sending the request or reading the response failed.
    #[error("exchange: {0}")]
    Exchange(#[source] std::io::Error),
    /// The response was not an HTTP/1.x status line (or a UDP reply lacked the expected
    /// bytes).
    #[error("unexpected response")]
    BadResponse,
    /// The status code is not in an accepted class.
    #[error("status {0} is not accepted")]
    Status(u16),
    /// The probe took longer than the timeout.
    #[error("timed out")]
    Timeout,
}

impl ProbeError {
    /// The probe failed for lack of file descriptors here (`EMFILE`, `ENFILE`), not because
    /// of the backend.
    pub fn is_local_shortage(&self) -> bool {
        match self {
            Self::Connect(e) | Self::Exchange(e) => is_fd_shortage(e),
            _ => false,
        }
    }
}

#[cfg(target_os = "linux")]
fn is_fd_shortage(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    let code = e.raw_os_error();
    code == Some(Errno::MFILE.raw_os_error()) || code == Some(Errno::NFILE.raw_os_error())
}

#[cfg(not(target_os = "linux"))]
fn is_fd_shortage(e: &std::io::Error) -> bool {
    // EMFILE and ENFILE have these values on every BSD-derived system as on Linux.
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// What a probe result says about the backend: `Some(true)` healthy, `Some(false)`
/// unhealthy, `None` unknown (the probe failed for a reason of our own).
pub fn verdict(result: &Result<(), ProbeError>) -> Option<bool> {
    match result {
        Ok(()) => Some(true),
        Err(e) if e.is_local_shortage() => None,
        Err(_) => Some(false),
    }
}

/// A future returned by [`Probe::probe`].
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ProbeError>> + Send + 'a>>;

/// One health probe of one target.
pub trait Probe: Send + Sync {
    /// Probes `target` once. Read-only towards the data plane; the timeout is applied by the
    /// caller.
    fn probe(&self, target: SocketAddr) -> ProbeFuture<'_>;
}

/// A TCP connect probe.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpProbe;

/// An HTTP probe: one request, `Connection: close`, judged by its status line.
#[derive(Debug, Clone)]
pub struct HttpProbe {
    /// Request path.
    pub uri: String,
    /// Host header; the target IP when `None`.
    pub domain: Option<String>,
    /// Accepted status classes.
    pub codes: HttpCodes,
    /// `GET` or `HEAD`.
    pub method: ProbeMethod,
    /// HTTP/1.1 instead of HTTP/1.0.
    pub http11: bool,
}

impl Probe for TcpProbe {
    fn probe(&self, target: SocketAddr) -> ProbeFuture<'_> {
        Box::pin(async move {
            TcpStream::connect(target)
                .await
                .map(drop)
                .map_err(ProbeError::Connect)
        })
    }
}

impl Probe for HttpProbe {
    fn probe(&self, target: SocketAddr) -> ProbeFuture<'_> {
        Box::pin(async move {
            let mut s = TcpStream::connect(target)
                .await
                .map_err(ProbeError::Connect)?;
            let host = self
                .domain
                .clone()
                .unwrap_or_else(|| target.ip().to_string());
            let uri = if self.uri.is_empty() {
                "/"
            } else {
                self.uri.as_str()
            };
            let method = match self.method {
                ProbeMethod::Get => "GET",
                ProbeMethod::Head => "HEAD",
            };
            let version = if self.http11 { "1.1" } else { "1.0" };
            let req = format!(
                "{method} {uri} HTTP/{version}\r\nHost: {host}\r\nUser-Agent: slb-dataplane-health\r\n\
                 Connection: close\r\n\r\n"
            );
            s.write_all(req.as_bytes())
                .await
                .map_err(ProbeError::Exchange)?;
            let mut head = [0u8; MAX_STATUS_HEAD];
            let mut len = 0;
            while len < head.len() && !head[..len].contains(&b'\n') {
                let n = s
                    .read(&mut head[len..])
                    .await
                    .map_err(ProbeError::Exchange)?;
                if n == 0 {
                    break;
                }
                len += n;
            }
            let status = parse_status_line(&head[..len]).ok_or(ProbeError::BadResponse)?;
            if self.codes.accepts(status) {
                Ok(())
            } else {
                Err(ProbeError::Status(status))
            }
        })
    }
}

/// A UDP probe: send a datagram, judge the reply (or the ICMP error, or the silence).
#[derive(Debug, Clone)]
pub struct UdpProbe {
    /// Payload sent.
    pub request: Vec<u8>,
    /// Bytes the reply must contain; empty: silence counts as healthy.
    pub expect: Vec<u8>,
    /// How long to wait for a reply; kept below the check timeout so silence can pass.
    pub wait: Duration,
}

impl Probe for UdpProbe {
    fn probe(&self, target: SocketAddr) -> ProbeFuture<'_> {
        Box::pin(async move {
            let any: SocketAddr = if target.is_ipv4() {
                SocketAddr::from(([0, 0, 0, 0], 0))
            } else {
                SocketAddr::from(([0u16; 8], 0))
            };
            let s = UdpSocket::bind(any).await.map_err(ProbeError::Connect)?;
            s.connect(target).await.map_err(ProbeError::Connect)?;
            s.send(&self.request).await.map_err(ProbeError::Exchange)?;
            let mut buf = [0u8; MAX_STATUS_HEAD];
            match tokio::time::timeout(self.wait, s.recv(&mut buf)).await {
                // ECONNREFUSED here is the ICMP port-unreachable: nothing listens.
                Ok(Err(e)) => Err(ProbeError::Exchange(e)),
                Ok(Ok(n)) if self.expect.is_empty() || contains(&buf[..n], &self.expect) => Ok(()),
                Ok(Ok(_)) => Err(ProbeError::BadResponse),
                Err(_) if self.expect.is_empty() => Ok(()),
                Err(_) => Err(ProbeError::Timeout),
            }
        })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Builds the probe a health check config asks for.
pub fn probe_for(cfg: &HealthCheckConfig) -> Arc<dyn Probe> {
    match &cfg.kind {
        HealthCheckKind::Udp { request, expect } => Arc::new(UdpProbe {
            request: request.clone(),
            expect: expect.clone(),
            wait: cfg.timeout / 2,
        }),
        HealthCheckKind::Tcp => Arc::new(TcpProbe),
        HealthCheckKind::Http {
            uri,
            domain,
            codes,
            method,
            http11,
        } => Arc::new(HttpProbe {
            uri: uri.clone(),
            domain: domain.clone(),
            codes: *codes,
            method: *method,
            http11: *http11,
        }),
    }
}

/// Spawns the probe loop for one backend; it stops when `stop` is cancelled.
pub(crate) fn spawn_prober(
    listener_id: Arc<str>,
    backend: Arc<Backend>,
    cfg: &HealthCheckConfig,
    metrics: ListenerMetrics,
    stop: CancellationToken,
) {
    let probe = probe_for(cfg);
    let (interval, timeout) = (cfg.interval, cfg.timeout);
    let (up, down) = (cfg.healthy_threshold, cfg.unhealthy_threshold);
    let target = SocketAddr::new(
        backend.addr.ip(),
        cfg.connect_port.unwrap_or(backend.addr.port()),
    );
    tokio::spawn(async move {
        let mut state = HealthState::new(backend.is_healthy());
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let result = match tokio::time::timeout(timeout, probe.probe(target)).await {
                Ok(r) => r,
                Err(_) => Err(ProbeError::Timeout),
            };
            if let Err(e) = &result {
                tracing::trace!(listener = %listener_id, backend = %backend.addr, error = %e, "health probe failed");
            }
            let Some(success) = verdict(&result) else {
                tracing::debug!(listener = %listener_id, backend = %backend.addr, "health probe skipped: out of file descriptors here");
                continue;
            };
            let change = state.observe(success, up, down);
            if let Some(t) = change {
                let healthy = t == Transition::BecameHealthy;
                backend.set_healthy(healthy);
                metrics.health_transition(healthy);
                tracing::info!(listener = %listener_id, backend = %backend.addr, healthy, "backend health changed");
            }
            backend.set_checked(true);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os_error(code: i32) -> std::io::Error {
        std::io::Error::from_raw_os_error(code)
    }

    #[test]
    fn our_own_descriptor_shortage_is_unknown_not_a_failure() {
        let emfile = os_error(24);
        let enfile = os_error(23);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(verdict(&Ok(())), Some(true));
        assert_eq!(verdict(&Err(ProbeError::Connect(emfile))), None);
        assert_eq!(verdict(&Err(ProbeError::Exchange(enfile))), None);
        assert_eq!(verdict(&Err(ProbeError::Connect(refused))), Some(false));
        assert_eq!(verdict(&Err(ProbeError::Timeout)), Some(false));
    }
}
