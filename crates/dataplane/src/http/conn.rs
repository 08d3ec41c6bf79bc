//! One client connection of the HTTP shell, over plain TCP or TLS: hyper's HTTP/1.1 server
//! with the header timeout (slowloris guard) and a bounded read buffer, or its HTTP/2 server
//! when ALPN chose `h2` (header lists bounded the same way), plus the listener's
//! idle timeout — a connection with no request in flight and no bytes moving for that long
//! is closed after its current exchange. Bytes are counted for the listener's metrics.
//! Requests themselves are `proxy`'s.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

use super::MAX_HEADER_BYTES;
use super::proxy::{self, ConnContext};
use crate::metrics::ListenerMetrics;
use crate::tcp::Activity;

/// Serves one client connection until it closes, idles out, or the listener stops: HTTP/2
/// when `h2` (negotiated by ALPN), else HTTP/1.1.
pub(super) async fn serve<S>(client: S, h2: bool, ctx: Arc<ConnContext>, stop: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let inflight = Arc::new(AtomicUsize::new(0));
    let io = TokioIo::new(Tracked {
        inner: client,
        activity: Arc::clone(&activity),
        metrics: ctx.pool.metrics.clone(),
    });
    let idle = ctx.http.idle_timeout;
    // hyper's header timer also runs while a kept-alive connection waits for its next
    // request, so it may not undercut the idle timeout.
    let header_timeout = ctx.http.header_timeout.max(idle);
    let counter = Arc::clone(&inflight);
    let svc = service_fn(move |req| {
        let ctx = Arc::clone(&ctx);
        let busy = InFlight::enter(&counter);
        async move {
            let r = proxy::handle(ctx, req).await;
            drop(busy);
            r
        }
    });
    let idle = idle_watch(&activity, &inflight, idle);
    if h2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX));
        let conn = builder.serve_connection(io, svc);
        tokio::pin!(conn);
        drive(conn, |c| c.graceful_shutdown(), idle, &stop).await;
    } else {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_buf_size(MAX_HEADER_BYTES);
        // Upgrades (WebSocket) hand the connection to `upgrade`'s tunnel.
        let conn = builder.serve_connection(io, svc).with_upgrades();
        tokio::pin!(conn);
        drive(conn, |c| c.graceful_shutdown(), idle, &stop).await;
    }
}

/// Runs a connection to its end; when `idle` fires it is shut down gracefully (the current
/// exchange finishes), when `stop` fires it is dropped.
async fn drive<C>(
    mut conn: Pin<&mut C>,
    shutdown: impl Fn(Pin<&mut C>),
    idle: impl Future<Output = ()>,
    stop: &CancellationToken,
) where
    C: Future<Output = hyper::Result<()>>,
{
    tokio::pin!(idle);
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "client connection ended with error");
                }
                return;
            }
            () = idle.as_mut(), if !closing => {
                tracing::debug!("closing: idle timeout");
                shutdown(conn.as_mut());
                closing = true;
            }
            () = stop.cancelled() => return,
        }
    }
}

/// Counts a request in flight on a connection while alive.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Completes once no request is in flight and no byte has moved for `idle`.
async fn idle_watch(activity: &Activity, inflight: &AtomicUsize, idle: Duration) {
    loop {
        let quiet = activity.idle_for();
        if quiet >= idle && inflight.load(Ordering::Relaxed) == 0 {
            return;
        }
        let wait = idle.saturating_sub(quiet).max(Duration::from_millis(100));
        tokio::time::sleep(wait).await;
    }
}

/// The client stream, recording activity and counting bytes for the listener's metrics.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
    metrics: ListenerMetrics,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.activity.touch();
            self.metrics.bytes_in.inc_by(n as u64);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            self.activity.touch();
            self.metrics.bytes_out.inc_by(n as u64);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
