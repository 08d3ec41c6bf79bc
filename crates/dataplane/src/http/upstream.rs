//! Kept-alive HTTP/1.1 connections to backends: a small cache of idle connections per
//! backend address, one cache per accept loop (so per I/O thread, never shared across
//! threads on the hot path).
//!
//! A connection is parked in the cache as soon as its response starts and is taken again only
//! once it is ready (its response read to the end); ones the backend closed are pruned. Every connection's task ends when its backend's kill
//! switch fires (removal without draining, the drain timeout, or the listener closing), so
//! draining applies to kept-alive connections too. This module does not pick backends and
//! does not touch headers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::pool::Backend;
use crate::tcp::Connect;

/// Connections kept per backend (busy or idle); more are closed once their response is done.
const MAX_IDLE_PER_BACKEND: usize = 256;

/// Why a request did not get a response from its backend.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Dialing the backend failed.
    #[error("upstream connect: {0}")]
    Connect(#[source] std::io::Error),
    /// Dialing took longer than the listener's connect timeout.
    #[error("upstream connect timed out")]
    ConnectTimeout,
    /// The HTTP exchange failed (the backend closed or sent something that is not HTTP).
    #[error("upstream exchange: {0}")]
    Http(#[source] hyper::Error),
}

impl UpstreamError {
    /// Stable label for the `connect_errors` metric.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Connect(_) => "refused",
            Self::ConnectTimeout => "timeout",
            Self::Http(_) => "io",
        }
    }
}

/// Idle backend connections of one accept loop.
#[derive(Default)]
pub struct Upstreams {
    idle: Mutex<HashMap<SocketAddr, Vec<SendRequest<Incoming>>>>,
}

impl Upstreams {
    /// Sends `req` to `backend` on an idle connection, or on a new one when none is idle or
    /// the idle one turned out closed before the request left.
    ///
    /// # Errors
    /// [`UpstreamError`] when dialing or the exchange fails.
    pub async fn send(
        self: &Arc<Self>,
        backend: &Backend,
        connector: &dyn Connect,
        connect_timeout: Duration,
        mut req: Request<Incoming>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        while let Some(mut sender) = self.take(backend.addr) {
            match sender.try_send_request(req).await {
                Ok(resp) => {
                    self.recycle(backend.addr, sender);
                    return Ok(resp);
                }
                Err(mut e) => match e.take_message() {
                    // Not sent (the connection closed meanwhile): try the next one.
                    Some(back) => req = back,
                    None => return Err(UpstreamError::Http(e.into_error())),
                },
            }
        }
        // Boxed: dialing is rare once connections are kept alive, and its handshake's state
        // inline would make every request's future larger.
        let mut sender = Box::pin(dial(backend, connector, connect_timeout)).await?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(UpstreamError::Http)?;
        self.recycle(backend.addr, sender);
        Ok(resp)
    }

    fn take(&self, addr: SocketAddr) -> Option<SendRequest<Incoming>> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let list = idle.get_mut(&addr)?;
        list.retain(|s| !s.is_closed());
        let ready = list.iter().rposition(SendRequest::is_ready)?;
        Some(list.swap_remove(ready))
    }

    /// Parks the connection in the cache right away: it becomes ready for the next request
    /// once its response has been read to the end (no task waits for that), and closed ones
    /// are pruned whenever the list is touched.
    fn recycle(&self, addr: SocketAddr, sender: SendRequest<Incoming>) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let list = idle.entry(addr).or_default();
        list.retain(|s| !s.is_closed());
        if list.len() < MAX_IDLE_PER_BACKEND {
            list.push(sender);
        }
    }
}

/// Opens a new HTTP/1.1 connection; its task lives until the backend's kill switch fires or
/// either side closes.
async fn dial(
    backend: &Backend,
    connector: &dyn Connect,
    connect_timeout: Duration,
) -> Result<SendRequest<Incoming>, UpstreamError> {
    let stream = tokio::time::timeout(connect_timeout, connector.connect(backend.addr))
        .await
        .map_err(|_| UpstreamError::ConnectTimeout)?
        .map_err(UpstreamError::Connect)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(UpstreamError::Http)?;
    // A child token: the connection's task polls it on every wake-up, and the backend's own
    // token is shared by every I/O thread (a lock each poll takes).
    let kill = backend.kill.child_token();
    let addr = backend.addr;
    tokio::spawn(async move {
        tokio::select! {
            r = conn => if let Err(e) = r {
                tracing::debug!(backend = %addr, error = %e, "upstream connection ended");
            },
            () = kill.cancelled() => {}
        }
    });
    Ok(sender)
}
