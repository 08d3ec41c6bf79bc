//! The HTTP shell: accept on an HTTP or HTTPS listener, refuse hairpin clients and those the
//! ACL refuses, terminate TLS on HTTPS listeners (see `tls`), and serve each client
//! connection with hyper's HTTP/1.1 server, or HTTP/2 when ALPN chose it (`conn`), every
//! request going through `proxy` (backends always get HTTP/1.1).
//!
//! Bad input is answered as an HTTP proxy should: a malformed request line gets `400`,
//! request headers over [`MAX_HEADER_BYTES`] get `431`, and a client that does not finish its
//! TLS handshake or its headers within the listener's header timeout (a slowloris) is
//! disconnected. Connections take their descriptors from the budget like TCP ones.
//! HTTP/1.1 `Upgrade` requests (WebSocket) are passed through by `upgrade`.

mod conn;
pub mod gzip;
pub mod headers;
pub mod proxy;
pub mod sticky;
pub mod upgrade;
pub mod upstream;
mod watchdog;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::fds::{FdBudget, FdPermit};
use crate::pool::Pool;
use crate::tcp::Connect;
use crate::tls::TlsSlot;
use headers::{Forwarding, Origin};
use proxy::ConnContext;
use upstream::Upstreams;

/// Largest request head (request line and headers) accepted; larger ones get `431`.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What one accept loop of an HTTP(S) listener works with.
pub(crate) struct Shell {
    pub(crate) pool: Arc<Pool>,
    pub(crate) connector: Arc<dyn Connect>,
    pub(crate) budget: FdBudget,
    pub(crate) stop: CancellationToken,
    /// HTTPS listeners: the live TLS configuration.
    pub(crate) tls: Option<Arc<TlsSlot>>,
}

/// Accepts until `stop` fires, within the descriptor budget; every connection gets its own
/// task. Backend connections are kept alive in one cache per loop.
pub(crate) async fn serve(listener: TcpListener, mut shell: Shell) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    // This loop's connections wait on their own child token: registering a waiter locks the
    // token's node, which other threads' loops would contend for.
    shell.stop = shell.stop.child_token();
    let accepting = Accepting {
        shell,
        upstreams: Arc::new(Upstreams::default()),
        local,
    };
    let shell = &accepting.shell;
    // One waiter for the whole loop, checked first: a fresh one per select registered and
    // removed itself (a lock each) on every accepted connection.
    let stopped = shell.stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let fds = tokio::select! {
            biased;
            () = &mut stopped => return,
            p = shell.budget.acquire_tcp() => p,
        };
        let accepted = tokio::select! {
            biased;
            () = &mut stopped => return,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((client, peer)) => accepting.start(client, peer, fds),
            Err(e) => {
                tracing::warn!(listener = %shell.pool.id, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// What one accept loop hands to its connections.
struct Accepting {
    shell: Shell,
    upstreams: Arc<Upstreams>,
    /// The address the listener is bound to.
    local: SocketAddr,
}

impl Accepting {
    /// Admits an accepted client (hairpin and ACL) and starts its task.
    fn start(&self, client: TcpStream, peer: SocketAddr, fds: FdPermit) {
        let shell = &self.shell;
        let Ok((http, connect_timeout)) = shell.pool.admit_http(peer.ip()) else {
            return;
        };
        shell.pool.metrics.connections.inc();
        let origin = Origin {
            client: peer,
            local: self.local,
            tls: shell.tls.is_some(),
        };
        let ctx = Arc::new(ConnContext {
            pool: Arc::clone(&shell.pool),
            upstreams: Arc::clone(&self.upstreams),
            connector: Arc::clone(&shell.connector),
            forwarding: Forwarding::new(origin, &http),
            http,
            connect_timeout,
            origin,
            fds,
        });
        let _ = client.set_nodelay(true);
        let stop = shell.stop.clone();
        // Plain and TLS connections are separate tasks: a task's future is allocated and
        // copied whole at spawn, and the TLS one is several times larger.
        match &shell.tls {
            None => tokio::spawn(conn::serve(client, false, ctx, stop)),
            Some(slot) => tokio::spawn(handshake_then_serve(client, ctx, stop, slot.get())),
        };
    }
}

/// Terminates TLS (within the header timeout), then serves.
async fn handshake_then_serve(
    client: TcpStream,
    ctx: Arc<ConnContext>,
    stop: CancellationToken,
    config: Arc<rustls::ServerConfig>,
) {
    let accept = tokio_rustls::TlsAcceptor::from(config).accept(client);
    match tokio::time::timeout(ctx.http.header_timeout, accept).await {
        Ok(Ok(stream)) => {
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            Box::pin(conn::serve(stream, h2, ctx, stop)).await;
        }
        Ok(Err(e)) => {
            ctx.pool.metrics.connect_error("tls_handshake");
            tracing::debug!(listener = %ctx.pool.id, error = %e, "TLS handshake failed");
        }
        Err(_) => {
            ctx.pool.metrics.connect_error("tls_handshake");
            tracing::debug!(listener = %ctx.pool.id, "TLS handshake timed out");
        }
    }
}
