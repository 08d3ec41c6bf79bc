//! One HTTP request through the proxy: redirect listeners answer `301` (or their
//! `ForwardCode`) to their HTTPS port;
//! otherwise the pool picks a backend (a session cookie first, then the scheduler), the
//! request gets CLB's forwarding headers and goes out on a kept-alive backend connection,
//! and the response comes back with hop-by-hop headers removed, the session cookie set and,
//! with `Gzip` on, text compressed for clients that accept it.
//!
//! Failures are answered as CLB answers them: `503` with no healthy backend, `502` when the
//! backend cannot be reached or breaks the exchange (or leaves the pool mid-request), `504`
//! when it does not answer within the request timeout. The backend stays counted active
//! (for `wlc` and draining) until the response body has been sent. Connection handling is in
//! the parent module; header and cookie rules are in `headers` and `sticky`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, HeaderValue, LOCATION};
use http::uri::{PathAndQuery, Uri};
use http::{StatusCode, Version};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::time::Instant;

use super::headers::{self, Forwarding, Origin};
use super::upstream::Upstreams;
use super::{MAX_HEADER_BYTES, gzip, sticky, upgrade};
use crate::config::HttpConfig;
use crate::fds::FdPermit;
use crate::pool::{ActiveGuard, Pool};
use crate::tcp::Connect;

/// The body of every response the proxy sends.
pub type ProxyBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// What every request of one client connection shares.
pub struct ConnContext {
    /// The listener's pool.
    pub pool: Arc<Pool>,
    /// Kept-alive backend connections of this accept loop.
    pub upstreams: Arc<Upstreams>,
    /// Upstream dialer.
    pub connector: Arc<dyn Connect>,
    /// The listener's HTTP settings when the connection started.
    pub http: Arc<HttpConfig>,
    /// Upstream connect timeout.
    pub connect_timeout: Duration,
    /// The client and the VIP:port it reached.
    pub origin: Origin,
    /// The forwarding headers' values for this connection's requests.
    pub forwarding: Forwarding,
    /// The connection's share of the descriptor budget. It lives as long as this context:
    /// until the connection ends or, after a protocol upgrade, until its tunnel closes.
    pub fds: FdPermit,
}

/// Answers one request; never fails (errors become 5xx responses).
pub async fn handle(
    ctx: Arc<ConnContext>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let start = Instant::now();
    let resp = if head_size(&req) > MAX_HEADER_BYTES {
        error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "the request headers are too large",
        )
    } else if let Some(port) = ctx.http.redirect_https_port {
        redirect(&req, port, ctx.http.redirect_code, ctx.origin.local)
    } else {
        forward(&ctx, req).await
    };
    ctx.pool
        .metrics
        .http_request(resp.status().as_u16(), start.elapsed());
    Ok(resp)
}

async fn forward(ctx: &Arc<ConnContext>, req: Request<Incoming>) -> Response<ProxyBody> {
    let (mut parts, body) = req.into_parts();
    let gzip = ctx.http.gzip && gzip::accepts_gzip(&parts.headers);
    let requested = sticky::request_target(&mut parts.headers, &ctx.http.sticky);
    let Some(guard) = ctx
        .pool
        .pick_sticky(requested, ctx.origin.client, ctx.origin.local)
    else {
        ctx.pool.metrics.connect_error("no_backend");
        return error(StatusCode::SERVICE_UNAVAILABLE, "no healthy backend server");
    };
    let upgrade = upgrade::requested(&parts.headers);
    let backend = Arc::clone(guard.backend());
    to_backend(&mut parts, ctx);
    if let Some(protocol) = upgrade {
        // Boxed: inline, the tunnel's state would make every request's future larger.
        return Box::pin(upgrade::forward(ctx, parts, body, guard, protocol)).await;
    }
    let req = Request::from_parts(parts, body);
    // No per-request watch of the kill switch: every backend connection's task ends when it
    // fires, which fails the exchange here (502).
    let exchange = ctx
        .upstreams
        .send(&backend, ctx.connector.as_ref(), ctx.connect_timeout, req);
    let resp = match tokio::time::timeout(ctx.http.request_timeout, exchange).await {
        Err(_) => {
            return error(
                StatusCode::GATEWAY_TIMEOUT,
                "the backend server did not answer in time",
            );
        }
        Ok(Err(e)) => {
            ctx.pool.metrics.connect_error(e.kind());
            tracing::debug!(listener = %ctx.pool.id, backend = %backend.addr, error = %e, "upstream failed");
            return error(
                StatusCode::BAD_GATEWAY,
                "the backend server could not be reached",
            );
        }
        Ok(Ok(resp)) => resp,
    };
    let (mut parts, body) = resp.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers);
    sticky::mark_response(
        &mut parts.headers,
        &ctx.http.sticky,
        backend.id(),
        requested,
    );
    let mut body = hold_until_done(body, guard);
    if gzip && gzip::should_compress(parts.status, &parts.headers) {
        body = gzip::compress(&mut parts.headers, body);
    }
    Response::from_parts(parts, body)
}

/// Rewrites a client's request head for the backend: CLB's headers, `Host` from an HTTP/2
/// `:authority`, an origin-form target, HTTP/1.1.
fn to_backend(parts: &mut http::request::Parts, ctx: &ConnContext) {
    headers::strip_hop_by_hop(&mut parts.headers);
    headers::add_forwarded(&mut parts.headers, &ctx.forwarding);
    if !parts.headers.contains_key(HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(HOST, host);
    }
    parts.uri = origin_form(&parts.uri);
    parts.version = Version::HTTP_11;
}

/// The response body, keeping the backend counted active until the body is dropped (sent
/// to the end, or the client went away).
fn hold_until_done(body: Incoming, guard: ActiveGuard) -> ProxyBody {
    body.map_frame(move |frame| {
        let _held = &guard;
        frame
    })
    .boxed_unsync()
}

/// Bytes of the request line and headers as sent (hyper's own limit bounds its read buffer,
/// which a head arriving in one read can exceed).
fn head_size(req: &Request<Incoming>) -> usize {
    let line = req.method().as_str().len() + target_len(req.uri()) + 12;
    req.headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + line
}

/// Length of the request target as written (`uri.to_string().len()` without formatting it).
fn target_len(uri: &Uri) -> usize {
    let scheme = uri.scheme_str().map_or(0, |s| s.len() + "://".len());
    let authority = uri.authority().map_or(0, |a| a.as_str().len());
    let path = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    scheme + authority + path
}

/// The request target as a backend expects it: path and query only.
fn origin_form(uri: &Uri) -> Uri {
    let pq = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    Uri::from(pq)
}

/// A redirect (`code`, 301 unless CLB's `ForwardCode` says otherwise) to the same host and
/// path on the HTTPS port (CLB's `ListenerForward`).
fn redirect(
    req: &Request<Incoming>,
    port: u16,
    code: u16,
    local: SocketAddr,
) -> Response<ProxyBody> {
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_without_port)
        .unwrap_or_else(|| local.ip().to_string());
    let pq = req.uri().path_and_query().map_or("/", PathAndQuery::as_str);
    let location = if port == 443 {
        format!("https://{host}{pq}")
    } else {
        format!("https://{host}:{port}{pq}")
    };
    let status = StatusCode::from_u16(code)
        .ok()
        .filter(StatusCode::is_redirection)
        .unwrap_or(StatusCode::MOVED_PERMANENTLY);
    let mut resp = error(status, "moved to HTTPS");
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            resp.headers_mut().insert(LOCATION, v);
            resp
        }
        Err(_) => error(StatusCode::BAD_REQUEST, "the Host header is not valid"),
    }
}

fn host_without_port(host: &str) -> String {
    if host.starts_with('[') {
        // [v6]:port
        return host.split_once(']').map_or(host, |(h, _)| h).to_owned() + "]";
    }
    host.split_once(':').map_or(host, |(h, _)| h).to_owned()
}

/// A short plain-text answer generated by the proxy itself.
pub fn error(status: StatusCode, text: &str) -> Response<ProxyBody> {
    let body = Full::new(Bytes::from(format!("{status}: {text}\n")))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_form_targets_become_origin_form() {
        let uri: Uri = "http://example.com:8080/a/b?c=d".parse().unwrap();
        assert_eq!(origin_form(&uri), "/a/b?c=d");
        let bare: Uri = "http://example.com".parse().unwrap();
        assert_eq!(origin_form(&bare), "/");
    }

    #[test]
    fn the_target_length_is_that_of_the_target_as_written() {
        for target in [
            "/a/b?c=d",
            "http://example.com:8080/a?b",
            "example.com:443",
            "*",
        ] {
            let uri: Uri = target.parse().unwrap();
            assert_eq!(target_len(&uri), uri.to_string().len(), "{target}");
        }
    }

    #[test]
    fn the_host_keeps_no_port_in_a_redirect() {
        assert_eq!(host_without_port("example.com:80"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(host_without_port("[::1]:80"), "[::1]");
    }
}
