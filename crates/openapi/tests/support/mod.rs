//! A scriptable Alibaba-style RPC server on 127.0.0.1:0 for the HTTP client tests: it
//! form-decodes query and body, verifies the V2 signature with the real verifier, records
//! every request, and answers either a scripted reply (per action, in order) or the
//! responder's default.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::error::ErrorBody;
use slb_openapi::governor::{GovernorConfig, RateLimit, RetryPolicy};
use slb_openapi::{ApiError, HttpClient, sign};
use tokio::time::Duration;

pub const SECRET: &str = "testsecret";

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this error (status from the error).
    Error(ApiError),
    /// Answer with this error and extra headers.
    ErrorWithHeaders(ApiError, Vec<(&'static str, &'static str)>),
    /// Answer with a raw status and body.
    Raw(u16, &'static str),
    /// Never answer (sleeps an hour; the client's timeout fires first).
    Hang,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub params: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub content_type: String,
}

impl Seen {
    pub fn action(&self) -> &str {
        self.params.get("Action").map_or("", String::as_str)
    }

    /// The parameters minus the ones that change per request.
    pub fn stable_params(&self) -> BTreeMap<String, String> {
        let mut p = self.params.clone();
        for k in ["Signature", "SignatureNonce", "Timestamp"] {
            p.remove(k);
        }
        p
    }
}

type Responder = dyn Fn(&str, &BTreeMap<String, String>) -> Value + Send + Sync;

pub struct ServerState {
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    seen: Mutex<Vec<Seen>>,
    responder: Box<Responder>,
}

#[derive(Clone)]
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    state: Arc<ServerState>,
}

impl TestServer {
    pub async fn start(
        responder: impl Fn(&str, &BTreeMap<String, String>) -> Value + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(ServerState {
            scripts: Mutex::new(HashMap::new()),
            seen: Mutex::new(Vec::new()),
            responder: Box::new(responder),
        });
        let app = Router::new()
            .route("/", axum::routing::any(handle))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    /// Queues replies for `action`, used before the default responder.
    pub fn script(&self, action: &str, replies: impl IntoIterator<Item = Reply>) {
        self.state
            .scripts
            .lock()
            .unwrap()
            .entry(action.to_owned())
            .or_default()
            .extend(replies);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn seen_of(&self, action: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.action() == action)
            .collect()
    }

    pub fn config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new("cn-hangzhou", Credentials::new("testid", SECRET));
        let host = self.addr.to_string();
        cfg.overrides = EndpointOverrides::local(host);
        cfg.timeout = Duration::from_secs(2);
        cfg.governor = GovernorConfig {
            max_concurrency: 4,
            default_rate: RateLimit::UNLIMITED,
            per_action: HashMap::new(),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(2),
                max_throttling_attempts: 5,
            },
            // The wire tests pin retry timings; adaptation has its own tests in the governor.
            adaptive: None,
            ..GovernorConfig::default()
        };
        cfg
    }

    pub fn client(&self) -> HttpClient {
        HttpClient::new(self.config()).unwrap()
    }
}

fn error_response(err: &ApiError, headers: &[(&'static str, &'static str)]) -> Response {
    let status = StatusCode::from_u16(err.http_status).unwrap();
    let body = ErrorBody::from_error(&err.clone().with_request_id("TEST-REQ"));
    let mut resp = (status, axum::Json(body)).into_response();
    for (k, v) in headers {
        resp.headers_mut().insert(*k, v.parse().unwrap());
    }
    resp
}

async fn handle(
    State(state): State<Arc<ServerState>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params: BTreeMap<String, String> = sign::form_decode(query.as_deref().unwrap_or(""))
        .into_iter()
        .collect();
    params.extend(sign::form_decode(&String::from_utf8_lossy(&body)));
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let action = params.get("Action").cloned().unwrap_or_default();
    state.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        params: params.clone(),
        body: body.to_vec(),
        content_type,
    });
    if let Err(e) = sign::verify_v2(method.as_str(), &params, SECRET) {
        return error_response(&e.to_api_error(), &[]);
    }
    let scripted = state
        .scripts
        .lock()
        .unwrap()
        .get_mut(&action)
        .and_then(VecDeque::pop_front);
    match scripted {
        Some(Reply::Error(err)) => error_response(&err, &[]),
        Some(Reply::ErrorWithHeaders(err, h)) => error_response(&err, &h),
        Some(Reply::Raw(status, body)) => {
            (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        Some(Reply::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        None => {
            let mut v = (state.responder)(&action, &params);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("RequestId".into(), json!("TEST-REQ"));
            }
            axum::Json(v).into_response()
        }
    }
}

/// `{}` for every action: enough for actions whose response is only the request id.
pub fn empty_responder(_: &str, _: &BTreeMap<String, String>) -> Value {
    json!({})
}
