//! The HTTP face of the local CLB: GET or POST on `/`, parameters form-decoded from the query
//! and (for form bodies) the body, signature checked (V2, or V3 from the `Authorization`
//! header), routed on `Action` (with its `Version`; V3: `x-acs-action`, `x-acs-version`), answered as JSON with `RequestId`; errors carry Code, Message, RequestId,
//! HostId and Recommend with Alibaba's HTTP status.
//!
//! # Guarantees
//! No input makes the handler panic: malformed encodings, bodies and parameters all end in
//! a 4xx error body. 5xx is reserved for store failures, whose detail is logged, not echoed.
//! Every request is bounded before it is authenticated ([`limits`]: body, query, parameter
//! count, token lengths, body read time); connections are bounded by [`listen`] (count,
//! header read and idle timeouts). Injected latency never delays the `Local*` admin actions,
//! so a fault can always be lifted.
//!
//! Not here: the rules (see `engine`) and process wiring (see `serve`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;
use slb_openapi::error::{ApiError, ErrorBody, codes};

use crate::engine::{ActionInfo, Engine, lookup_action, new_request_id};

pub mod auth;
pub mod limits;
pub mod listen;
pub mod metrics;

pub use auth::Credential;
pub use limits::RequestLimits;
pub use listen::{ConnectionLimits, serve_connections};
pub use metrics::RequestMetrics;

/// What the server needs besides the engine.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Accepted AccessKey pairs.
    pub credentials: Vec<Credential>,
    /// Where answered requests are counted.
    pub metrics: RequestMetrics,
}

struct AppState {
    engine: Arc<Engine>,
    config: ServerConfig,
    limits: RequestLimits,
    nonces: Mutex<auth::NonceCache>,
}

/// The axum application serving the OpenAPI on `/`, with the default [`RequestLimits`].
pub fn app(engine: Arc<Engine>, config: ServerConfig) -> Router {
    app_with_limits(engine, config, RequestLimits::default())
}

/// [`app`] with explicit per-request limits.
pub fn app_with_limits(engine: Arc<Engine>, config: ServerConfig, limits: RequestLimits) -> Router {
    let state = Arc::new(AppState {
        engine,
        config,
        limits,
        nonces: Mutex::new(auth::NonceCache::default()),
    });
    Router::new().route("/", any(handle)).with_state(state)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// The body, read within the size and time limits.
async fn read_body(body: Body, limits: &RequestLimits) -> Result<Bytes, ApiError> {
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(ApiError::service(
            "InvalidParameter",
            400,
            format!(
                "The request body could not be read within {} bytes ({e}). Send fewer items \
                 per call.",
                limits.max_body_bytes
            ),
        )),
        Err(_) => Err(ApiError::service(
            "RequestTimeout",
            408,
            format!(
                "The request body did not arrive within {} ms; send it at once.",
                limits.body_timeout.as_millis()
            ),
        )),
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn handle(
    State(app): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = new_request_id();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let started = tokio::time::Instant::now();
    let mut action = None;
    let result = serve_one(&app, &method, &uri, &headers, body, &mut action).await;
    app.config.metrics.record(
        action,
        result.as_ref().err().map(|e| e.code.as_str()),
        started.elapsed().as_secs_f64(),
    );
    match result {
        Ok(mut body) => {
            if let Value::Object(m) = &mut body {
                m.insert("RequestId".into(), Value::String(request_id));
            }
            json_response(StatusCode::OK, &body)
        }
        Err(err) => error_response(&err, &request_id, &host),
    }
}

async fn serve_one(
    app: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    known_action: &mut Option<&'static str>,
) -> Result<Value, ApiError> {
    check_method(method)?;
    let body = read_body(body, &app.limits).await?;
    let query = uri.query().unwrap_or("");
    let mut params = limits::decode(query, is_form(headers), &body, &app.limits)?;
    let now = unix_now();
    let nonce = authenticate(app, method, query, headers, &body, &mut params, now)?;
    let fresh = app
        .nonces
        .lock()
        .map(|mut n| n.insert(&nonce, now))
        .unwrap_or(false);
    if !fresh {
        return Err(codes::SIGNATURE_NONCE_USED.error());
    }
    let (action, info) = action_of(&params)?;
    *known_action = Some(info.name);
    check_version(info, &params)?;
    check_format(&params)?;
    let latency = app.engine.injected_latency(info.name);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let engine = Arc::clone(&app.engine);
    // The engine commits to SQLite with fsync: keep that off the async workers.
    tokio::task::spawn_blocking(move || engine.handle(&action, &params))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "engine task failed");
            Err(codes::INTERNAL_ERROR.error())
        })
}

/// Only GET and POST carry RPC calls.
fn check_method(method: &Method) -> Result<(), ApiError> {
    if method != Method::GET && method != Method::POST {
        return Err(ApiError::service(
            "UnsupportedHTTPMethod",
            405,
            format!("The HTTP method {method} is not supported; use GET or POST."),
        ));
    }
    Ok(())
}

/// The `Action` parameter and the action it names.
fn action_of(params: &BTreeMap<String, String>) -> Result<(String, &'static ActionInfo), ApiError> {
    let action = params
        .get("Action")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::missing_parameter("Action"))?
        .clone();
    let info = lookup_action(&action).ok_or_else(|| codes::INVALID_ACTION_NOT_FOUND.error())?;
    Ok((action, info))
}

/// `Version`: required, and one of the action's family.
fn check_version(info: &ActionInfo, params: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let version = params
        .get("Version")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing_parameter("Version"))?;
    if !info.family.versions().contains(&version.as_str()) {
        return Err(codes::INVALID_VERSION.error());
    }
    Ok(())
}

/// `Format`: answers are JSON only, so another explicit value (`XML`, the real service's
/// default when `Format` is absent) is refused by name instead of being answered in JSON.
fn check_format(params: &BTreeMap<String, String>) -> Result<(), ApiError> {
    match params.get("Format").map(String::as_str) {
        Some(format) if !format.is_empty() && !format.eq_ignore_ascii_case("JSON") => {
            Err(ApiError::invalid_parameter(
                "Format",
                &format!("the local CLB answers JSON only (got {format:?}); send Format=JSON"),
            ))
        }
        _ => Ok(()),
    }
}

/// Verifies the signature (V3 when `Authorization` names an `ACS3-` algorithm, else V2 over
/// query ∪ body) and returns the nonce to record. A V3 request's `x-acs-action` and
/// `x-acs-version` become `Action` and `Version`, winning over any in the query.
fn authenticate(
    app: &AppState,
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    params: &mut BTreeMap<String, String>,
    now: i64,
) -> Result<String, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !auth::v3::is_v3(authorization) {
        return auth::verify(method.as_str(), params, &app.config.credentials, now);
    }
    // Body parameters are covered by the payload hash only: the canonical query is the query.
    let query = limits::decode(query, false, &[], &app.limits)?;
    let headers = header_map(headers);
    let received = auth::v3::Received {
        method: method.as_str(),
        query: &query,
        headers: &headers,
        body,
    };
    let verified = auth::v3::verify(&received, &app.config.credentials, now)?;
    params.insert("Action".into(), verified.action);
    params.insert("Version".into(), verified.version);
    Ok(verified.nonce)
}

/// Headers by (lowercase) name; a repeated header's values sorted and joined by `,`, as the
/// SDKs canonicalize them. Values that are not visible ASCII are left out (never signable).
fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in headers.keys() {
        let mut values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        values.sort_unstable();
        out.insert(name.as_str().to_owned(), values.join(","));
    }
    out
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    resp
}

fn error_response(err: &ApiError, request_id: &str, host: &str) -> Response {
    let status = StatusCode::from_u16(err.http_status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let err = err
        .clone()
        .with_request_id(request_id)
        .with_host_id(host)
        .with_recommend(format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Slb&requestId={request_id}",
            err.code
        ));
    let body = serde_json::to_value(ErrorBody::from_error(&err)).unwrap_or_default();
    json_response(status, &body)
}
