//! One client connection of the HTTP shell, over plain TCP or TLS: hyper's HTTP/1.1 server
//! with a bounded read buffer, or its HTTP/2 server when ALPN chose `h2` (header lists
//! bounded the same way), with the listener's timeouts kept by the `watchdog`: idle (no
//! request in flight and no bytes moving: closed after the current exchange) and, on
//! HTTP/1.1, the header timeout (slowloris guard: dropped). Bytes are counted for the
//! listener's metrics. Requests themselves are `proxy`'s.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use prometheus_client::metrics::counter::Counter;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

use super::MAX_HEADER_BYTES;
use super::proxy::{self, ConnContext};
use super::watchdog::{self, ConnState, Expired, Held, Limits};

/// Serves one client connection until it closes, times out, or the listener stops: HTTP/2
/// when `h2` (negotiated by ALPN), else HTTP/1.1.
pub(super) async fn serve<S>(client: S, h2: bool, ctx: Arc<ConnContext>, stop: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = Arc::new(ConnState::default());
    let io = TokioIo::new(Tracked {
        inner: client,
        state: Arc::clone(&state),
        bytes_in: ctx.pool.metrics.bytes_in.clone(),
        bytes_out: ctx.pool.metrics.bytes_out.clone(),
    });
    let idle = ctx.http.idle_timeout;
    let limits = Limits {
        idle,
        // The header timer also runs while a kept-alive connection waits for its next
        // request, so it may not undercut the idle timeout.
        header: (!h2).then(|| ctx.http.header_timeout.max(idle)),
    };
    let counter = Arc::clone(&state);
    let svc = service_fn(move |req| {
        let ctx = Arc::clone(&ctx);
        let busy = counter.enter();
        async move {
            let resp = proxy::handle(ctx, req).await?;
            Ok::<_, std::convert::Infallible>(resp.map(|body| Held::new(body, busy)))
        }
    });
    let watch = watchdog::watch(&state, limits);
    if h2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX));
        let conn = builder.serve_connection(io, svc);
        tokio::pin!(conn);
        drive(conn, |c| c.graceful_shutdown(), watch, &stop).await;
    } else {
        // No hyper timer: it would arm one per request; the watchdog keeps the header
        // timeout instead.
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .header_read_timeout(None)
            .max_buf_size(MAX_HEADER_BYTES);
        // Upgrades (WebSocket) hand the connection to `upgrade`'s tunnel.
        let conn = builder.serve_connection(io, svc).with_upgrades();
        tokio::pin!(conn);
        drive(conn, |c| c.graceful_shutdown(), watch, &stop).await;
    }
}

/// Runs a connection to its end; on the idle timeout it is shut down gracefully (the current
/// exchange finishes), on the header timeout or when `stop` fires it is dropped.
async fn drive<C>(
    mut conn: Pin<&mut C>,
    shutdown: impl Fn(Pin<&mut C>),
    watch: impl Future<Output = Expired>,
    stop: &CancellationToken,
) where
    C: Future<Output = hyper::Result<()>>,
{
    tokio::pin!(watch);
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "client connection ended with error");
                }
                return;
            }
            expired = watch.as_mut(), if !closing => {
                if expired == Expired::Header {
                    tracing::debug!("closing: no complete request head within the header timeout");
                    return;
                }
                tracing::debug!("closing: idle timeout");
                shutdown(conn.as_mut());
                closing = true;
            }
            () = stop.cancelled() => return,
        }
    }
}

/// The client stream, recording activity and counting bytes for the listener's metrics.
struct Tracked<S> {
    inner: S,
    state: Arc<ConnState>,
    /// The listener's byte counters (only these handles: a clone of `ListenerMetrics` per
    /// connection costs an allocation and a dozen reference counts).
    bytes_in: Counter,
    bytes_out: Counter,
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
            self.state.touch();
            self.bytes_in.inc_by(n as u64);
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
            self.state.touch();
            self.bytes_out.inc_by(n as u64);
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
