//! Accepting API connections within bounds (HTTP/1.1, which every Alibaba SDK speaks):
//!
//! - at most `max_connections` at once: beyond that the server stops accepting, and new
//!   connections wait in the kernel's listen backlog until one closes (backpressure, never
//!   an accept-then-drop);
//! - a request head must arrive within `header_read_timeout`, counted from when the server
//!   starts waiting for it (hyper's timer), so a client trickling header bytes is cut off,
//!   and so is a keep-alive connection idle that long between requests;
//! - a connection on which no byte moves either way for `idle_timeout` is closed (a client
//!   that stops reading its answer, or sends nothing at all).
//!
//! Per-request bounds (body size and time, parameters) are the application's, see
//! [`super::limits`]. On shutdown the server stops accepting, lets requests in progress
//! finish for up to [`SHUTDOWN_GRACE`], then returns.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How long requests in progress may finish after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Bounds on the API's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Longest wait for a complete request head (also the keep-alive idle limit).
    pub header_read_timeout: Duration,
    /// Longest time with no byte moving either way.
    pub idle_timeout: Duration,
}

/// Default connection cap.
pub const MAX_CONNECTIONS: usize = 256;
/// Default header read timeout.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default idle timeout: above the largest injected latency, so a delayed answer is not cut.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves.
///
/// # Errors
/// Only if the connection cap cannot be waited on (it is never closed); accept errors such
/// as `EMFILE` are logged and retried after a short pause.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // Take a slot before accepting: at the cap, connections wait in the backlog.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            s = Arc::clone(&slots).acquire_owned() => s.map_err(io::Error::other)?,
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "API accept failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        spawn_connection(stream, app.clone(), &limits, slot, &graceful);
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("API connections still open after the shutdown grace; closing them");
    }
    Ok(())
}

/// Serves one connection on its own task; the slot is freed when it ends.
fn spawn_connection(
    stream: TcpStream,
    app: Router,
    limits: &ConnectionLimits,
    slot: OwnedSemaphorePermit,
    graceful: &GracefulShutdown,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, TowerToHyperService::new(app));
    let served = graceful.watch(conn);
    let idle = limits.idle_timeout;
    tokio::spawn(async move {
        tokio::select! {
            r = served => if let Err(e) = r {
                tracing::debug!(error = %e, "API connection ended with an error");
            },
            () = idle_watch(&activity, idle) => tracing::debug!("API connection closed: idle"),
        }
        drop(slot);
    });
}

/// When bytes last moved on a connection.
#[derive(Debug)]
struct Activity {
    base: Instant,
    /// Milliseconds after `base`.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        Instant::now().saturating_duration_since(last)
    }
}

/// Completes once no byte has moved for `idle`.
async fn idle_watch(activity: &Activity, idle: Duration) {
    loop {
        let quiet = activity.idle_for();
        if quiet >= idle {
            return;
        }
        tokio::time::sleep(idle - quiet).await;
    }
}

/// A stream that records when bytes move through it.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
