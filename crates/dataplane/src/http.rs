//! The HTTP shell: accept on an HTTP listener, refuse hairpin clients, and serve each client
//! connection with hyper's HTTP/1.1 server, every request going through `proxy`.
//!
//! Bad input is hyper's to answer, as an HTTP proxy should: a malformed request line gets
//! `400`, request headers over [`MAX_HEADER_BYTES`] (or more than 100 of them) get `431`, and
//! a client that does not finish its headers within the listener's header timeout (a
//! slowloris) is disconnected. A connection with no request in flight and no bytes moving for
//! the listener's idle timeout is closed after its current exchange. Connections take their
//! descriptors from the budget like TCP ones. This module does not speak TLS or HTTP/2 and
//! does not upgrade connections (WebSocket).

pub mod headers;
pub mod proxy;
pub mod sticky;
pub mod upstream;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::fds::{FdBudget, FdPermit};
use crate::metrics::ListenerMetrics;
use crate::pool::Pool;
use crate::tcp::{Activity, Connect};
use headers::Origin;
use proxy::ConnContext;
use upstream::Upstreams;

/// Largest request head (request line and headers) accepted; larger ones get `431`.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Accepts until `stop` fires, within the descriptor budget; every connection gets its own
/// task. Backend connections are kept alive in one cache per loop.
pub(crate) async fn serve(
    listener: TcpListener,
    pool: Arc<Pool>,
    connector: Arc<dyn Connect>,
    budget: FdBudget,
    stop: CancellationToken,
) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    let upstreams = Arc::new(Upstreams::default());
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
                tracing::warn!(listener = %pool.id, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if pool.is_hairpin(peer.ip()) {
            pool.metrics.hairpin.inc();
            continue;
        }
        if !pool.admits(peer.ip()) {
            continue;
        }
        pool.metrics.connections.inc();
        let ctx = Arc::new(ConnContext {
            pool: Arc::clone(&pool),
            upstreams: Arc::clone(&upstreams),
            connector: Arc::clone(&connector),
            http: pool.http_settings(),
            connect_timeout: pool.settings().connect_timeout,
            origin: Origin {
                client: peer,
                local,
            },
        });
        tokio::spawn(serve_conn(client, ctx, fds, stop.clone()));
    }
}

/// Serves one client connection until it closes, idles out, or the listener stops.
async fn serve_conn(
    client: TcpStream,
    ctx: Arc<ConnContext>,
    fds: FdPermit,
    stop: CancellationToken,
) {
    let _fds = fds;
    let _ = client.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let inflight = Arc::new(AtomicUsize::new(0));
    let io = Tracked {
        inner: client,
        activity: Arc::clone(&activity),
        metrics: ctx.pool.metrics.clone(),
    };
    let (idle, header_timeout) = (ctx.http.idle_timeout, ctx.http.header_timeout);
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
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "client connection ended with error");
                }
                return;
            }
            () = idle_watch(&activity, &inflight, idle), if !closing => {
                tracing::debug!("closing: idle timeout");
                conn.as_mut().graceful_shutdown();
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
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
    metrics: ListenerMetrics,
}

impl AsyncRead for Tracked {
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

impl AsyncWrite for Tracked {
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
