//! The TCP shell: accept on a listener, refuse hairpin clients and those the ACL refuses,
//! pick a backend, dial it through [`Connect`], send the PROXY v2 header if asked, then move
//! bytes both ways with half-close propagation until either side ends or the backend's kill
//! switch fires.
//!
//! On Linux each direction copies small messages through user space and splices bulk
//! streams through a pipe, switching by the sizes of its reads ([`mode`], [`splice`]); a
//! fixed-buffer copy elsewhere. One task per connection, never a thread. Backend choice and
//! draining are decided in `pool`; this module only obeys them.
//!
//! Each connection's descriptors come from the [`FdBudget`], taken *before* `accept`: when
//! the budget is spent the loop waits, and new connections queue in the kernel's backlog
//! until one ends (each waiting loop holds one connection's share for its next accept).

#[cfg(target_os = "linux")]
mod copy;
#[cfg(target_os = "linux")]
pub mod mode;
#[cfg(target_os = "linux")]
pub mod splice;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::fds::{FdBudget, FdPermit};
use crate::metrics::ListenerMetrics;
use crate::pool::{ActiveGuard, ConnSettings, Pool};
use crate::ppv2;

/// Per-direction copy buffer for the non-splice path.
#[cfg(not(target_os = "linux"))]
const COPY_BUF: usize = 64 * 1024;

/// A future returned by [`Connect::connect`].
pub type ConnectFuture = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>;

/// Dials upstream connections; tests inject refusals and delays.
pub trait Connect: Send + Sync + 'static {
    /// Opens a TCP connection to `addr`. The caller applies the connect timeout.
    fn connect(&self, addr: SocketAddr) -> ConnectFuture;
}

/// The real dialer: `TcpStream::connect` with `TCP_NODELAY`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnect;

impl Connect for TcpConnect {
    fn connect(&self, addr: SocketAddr) -> ConnectFuture {
        Box::pin(async move {
            let s = TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            Ok(s)
        })
    }
}

/// Why a connection ended badly, with the side at fault (for logs and metrics).
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// Dialing the backend failed.
    #[error("upstream connect: {0}")]
    Connect(#[source] io::Error),
    /// Dialing the backend took longer than the connect timeout.
    #[error("upstream connect timed out")]
    ConnectTimeout,
    /// Writing the PROXY v2 header failed.
    #[error("upstream proxy header: {0}")]
    ProxyHeader(#[source] io::Error),
    /// Moving bytes failed (either side reset).
    #[error("relay: {0}")]
    Relay(#[source] io::Error),
}

impl ConnError {
    /// Stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Connect(_) => "refused",
            Self::ConnectTimeout => "timeout",
            Self::ProxyHeader(_) | Self::Relay(_) => "io",
        }
    }
}

/// Accepts until `stop` fires, within the descriptor budget; every connection gets its own
/// task.
pub(crate) async fn serve(
    listener: TcpListener,
    pool: Arc<Pool>,
    connector: Arc<dyn Connect>,
    budget: FdBudget,
    stop: CancellationToken,
) {
    // The listener is bound to one VIP:port, so this is every connection's destination.
    let Ok(local) = listener.local_addr() else {
        return;
    };
    loop {
        let fds = tokio::select! {
            () = stop.cancelled() => return,
            p = budget.acquire_tcp() => p,
        };
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            r = listener.accept() => r,
        };
        let (client, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Only when something outside the budget took the descriptors (or the
                // system table is full): back off briefly instead of spinning.
                tracing::warn!(listener = %pool.id, error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        if pool.is_hairpin(peer.ip()) {
            pool.metrics.hairpin.inc();
            tracing::debug!(listener = %pool.id, client = %peer, "hairpin connection refused");
            continue;
        }
        if !pool.admits(peer.ip()) {
            tracing::debug!(listener = %pool.id, client = %peer, "connection refused by the ACL");
            continue;
        }
        let Some((guard, settings)) = pool.pick_with_settings(peer, local) else {
            pool.metrics.connect_error("no_backend");
            tracing::debug!(listener = %pool.id, client = %peer, "no healthy backend; closing");
            continue;
        };
        pool.metrics.connections.inc();
        let pool = Arc::clone(&pool);
        let connector = Arc::clone(&connector);
        let stop = stop.clone();
        let backend = guard.backend().addr;
        let span = tracing::debug_span!("conn", listener = %pool.id, client = %peer, %backend);
        let task = async move {
            let _fds: FdPermit = fds;
            if let Err(e) = handle(
                client,
                peer,
                &pool,
                connector.as_ref(),
                guard,
                settings,
                stop,
            )
            .await
            {
                if matches!(e, ConnError::Connect(_) | ConnError::ConnectTimeout) {
                    pool.metrics.connect_error(e.kind());
                }
                tracing::debug!(error = %e, "connection ended with error");
            }
        };
        tokio::spawn(task.instrument(span));
    }
}

async fn handle(
    client: TcpStream,
    peer: SocketAddr,
    pool: &Pool,
    connector: &dyn Connect,
    guard: ActiveGuard,
    settings: ConnSettings,
    stop: CancellationToken,
) -> Result<(), ConnError> {
    let backend = Arc::clone(guard.backend());
    let dial = tokio::time::timeout(settings.connect_timeout, connector.connect(backend.addr));
    let mut upstream = tokio::select! {
        r = dial => r.map_err(|_| ConnError::ConnectTimeout)?.map_err(ConnError::Connect)?,
        () = backend.kill.cancelled() => return Ok(()),
        () = stop.cancelled() => return Ok(()),
    };
    // Nagle off both ways: the proxy must not add latency to small writes.
    let _ = client.set_nodelay(true);
    if settings.proxy_protocol_v2 {
        let local = client.local_addr().map_err(ConnError::ProxyHeader)?;
        let mut hdr = Vec::with_capacity(ppv2::MAX_LEN);
        ppv2::encode(&mut hdr, ppv2::Transport::Stream, peer, local);
        upstream
            .write_all(&hdr)
            .await
            .map_err(ConnError::ProxyHeader)?;
    }
    let activity = Activity::new();
    let relay = relay(client, upstream, &pool.metrics, &activity);
    tokio::select! {
        r = relay => r.map_err(ConnError::Relay),
        () = idle_watch(&activity, settings.idle_timeout) => {
            tracing::debug!("closed: idle timeout");
            Ok(())
        }
        () = backend.kill.cancelled() => {
            tracing::debug!("closed: backend left the pool");
            Ok(())
        }
        () = stop.cancelled() => Ok(()),
    }
}

/// When bytes last moved on a connection, shared by both directions and the idle watch.
#[derive(Debug)]
pub struct Activity {
    base: Instant,
    /// Milliseconds after `base`.
    last_ms: AtomicU64,
}

impl Activity {
    /// Activity starting now.
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    /// Records that bytes moved now.
    pub fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Time since bytes last moved.
    pub fn idle_for(&self) -> Duration {
        let last = self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        Instant::now().saturating_duration_since(last)
    }
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

/// Completes once the connection has been idle for `idle`; never without a timeout.
pub(crate) async fn idle_watch(activity: &Activity, idle: Option<Duration>) {
    let Some(idle) = idle else {
        return std::future::pending().await;
    };
    loop {
        let quiet = activity.idle_for();
        if quiet >= idle {
            return;
        }
        tokio::time::sleep(idle - quiet).await;
    }
}

/// Moves bytes both ways until both directions reached EOF.
async fn relay(
    client: TcpStream,
    upstream: TcpStream,
    m: &ListenerMetrics,
    activity: &Activity,
) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let (mut client, mut upstream) = (client, upstream);
        splice::relay(&mut client, &mut upstream, m, activity).await
    }
    #[cfg(not(target_os = "linux"))]
    {
        // Without per-chunk hooks the copy cannot report activity: the idle timeout then
        // counts from the connection's start. Only non-Linux builds take this path.
        let _ = activity;
        let (mut c, mut u) = (client, upstream);
        let (up, down) =
            tokio::io::copy_bidirectional_with_sizes(&mut c, &mut u, COPY_BUF, COPY_BUF).await?;
        m.bytes_in.inc_by(up);
        m.bytes_out.inc_by(down);
        Ok(())
    }
}
