//! HTTP/1.1 `Upgrade` pass-through (WebSocket), as CLB's HTTP and HTTPS listeners do: a
//! request whose `Connection` header names `upgrade` goes to the backend the scheduler chose
//! on a connection of its own, with its `Upgrade` header kept; when the backend answers
//! `101 Switching Protocols` the client gets that answer and the two connections are joined
//! byte for byte until either side closes, no byte moves for the listener's idle timeout, or
//! the backend's kill switch fires (removal without draining, the drain timeout). A backend
//! that declines (any other status) is answered to the client as usual.
//!
//! The backend stays counted active (for `wlc` and draining) while the tunnel is open. This
//! module does not look inside the tunnel (no WebSocket framing), does not pool upgraded
//! connections, and does not do HTTP/2's extended CONNECT (RFC 8441): HTTP/2 clients cannot
//! ask for an upgrade, so their requests never come here.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HeaderMap, HeaderValue, UPGRADE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

use super::headers;
use super::proxy::{ConnContext, ProxyBody, error};
use super::upstream::UpstreamError;
use crate::pool::{ActiveGuard, Backend};
use crate::tcp::{Activity, idle_watch};

/// The protocol a request asks to switch to: its `Upgrade` value, when its `Connection`
/// header names `upgrade` (RFC 9110 7.8).
pub fn requested(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(UPGRADE).cloned()).flatten()
}

/// Forwards an upgrade request (already rewritten for the backend, hop-by-hop headers
/// dropped) to the backend `guard` holds, and opens the tunnel when it switches protocols.
pub async fn forward(
    ctx: &Arc<ConnContext>,
    mut parts: http::request::Parts,
    body: Incoming,
    guard: ActiveGuard,
    protocol: HeaderValue,
) -> Response<ProxyBody> {
    let Some(client_side) = parts.extensions.remove::<OnUpgrade>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "this connection cannot be upgraded",
        );
    };
    ask_upgrade(&mut parts.headers, protocol.clone());
    let backend = Arc::clone(guard.backend());
    let exchange = send(ctx, &backend, Request::from_parts(parts, body));
    let mut resp = match tokio::time::timeout(ctx.http.request_timeout, exchange).await {
        Err(_) => {
            return error(
                StatusCode::GATEWAY_TIMEOUT,
                "the backend server did not answer in time",
            );
        }
        Ok(Err(e)) => {
            ctx.pool.metrics.connect_error(e.kind());
            tracing::debug!(listener = %ctx.pool.id, backend = %backend.addr, error = %e, "upgrade failed");
            return error(
                StatusCode::BAD_GATEWAY,
                "the backend server could not be reached",
            );
        }
        Ok(Ok(resp)) => resp,
    };
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        let (mut parts, body) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        let body = body
            .map_frame(move |frame| {
                let _held = &guard;
                frame
            })
            .boxed_unsync();
        return Response::from_parts(parts, body);
    }
    let server_side = hyper::upgrade::on(&mut resp);
    let (mut parts, _) = resp.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers);
    ask_upgrade(&mut parts.headers, protocol);
    let idle = ctx.http.idle_timeout;
    let kill = backend.kill.clone();
    // The tunnel keeps the connection's context, and with it its descriptors' permit.
    let held = (Arc::clone(ctx), guard);
    tokio::spawn(tunnel(client_side, server_side, held, idle, kill));
    let empty = Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync();
    Response::from_parts(parts, empty)
}

/// Puts back the two headers an upgrade needs on the next hop.
fn ask_upgrade(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(UPGRADE, protocol);
}

/// Sends `req` on a new connection to `backend` that may be upgraded.
async fn send(
    ctx: &ConnContext,
    backend: &Backend,
    req: Request<Incoming>,
) -> Result<Response<Incoming>, UpstreamError> {
    let stream = tokio::time::timeout(ctx.connect_timeout, ctx.connector.connect(backend.addr))
        .await
        .map_err(|_| UpstreamError::ConnectTimeout)?
        .map_err(UpstreamError::Connect)?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(UpstreamError::Http)?;
    let addr = backend.addr;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(backend = %addr, error = %e, "upgrade connection ended");
        }
    });
    sender.send_request(req).await.map_err(UpstreamError::Http)
}

/// Joins the client's and the backend's upgraded connections until one closes, `idle`
/// passes without a byte, or `kill` fires; meanwhile the backend stays counted active and the
/// connection's descriptors stay counted in the budget (`held`).
async fn tunnel(
    client: OnUpgrade,
    server: OnUpgrade,
    held: (Arc<ConnContext>, ActiveGuard),
    idle: Duration,
    kill: CancellationToken,
) {
    let _held = held;
    let (client, server) = match tokio::try_join!(client, server) {
        Ok(both) => both,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade did not complete");
            return;
        }
    };
    let activity = Activity::new();
    let mut client = Touching {
        inner: TokioIo::new(client),
        activity: &activity,
    };
    let mut server = TokioIo::new(server);
    tokio::select! {
        r = tokio::io::copy_bidirectional(&mut client, &mut server) => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "tunnel ended with error");
            }
        }
        () = idle_watch(&activity, Some(idle)) => tracing::debug!("tunnel closed: idle timeout"),
        () = kill.cancelled() => tracing::debug!("tunnel closed: backend removed"),
    }
}

/// The client side of a tunnel, recording when bytes move in either direction.
struct Touching<'a, S> {
    inner: S,
    activity: &'a Activity,
}

impl<S: AsyncRead + Unpin> AsyncRead for Touching<'_, S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Touching<'_, S> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn an_upgrade_needs_connection_to_name_it_and_an_upgrade_header() {
        let ws = with(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(requested(&ws).unwrap(), "websocket");
        assert_eq!(requested(&with(&[("upgrade", "websocket")])), None);
        assert_eq!(requested(&with(&[("connection", "upgrade")])), None);
        assert_eq!(
            requested(&with(&[("connection", "close"), ("upgrade", "h2c")])),
            None
        );
    }
}
