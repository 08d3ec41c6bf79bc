//! Test harness: an in-process local CLB server on an ephemeral loopback port, the real
//! slb-openapi HTTP client pointed at it (no retries, no rate limit, so every error is seen
//! as the server answered it), and a raw signed-request helper for wire-level checks.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use slb_local::config::{LocalConfig, VSwitchConfig};
use slb_local::model::{Instance, NetworkInterface};
use slb_local::server::{ConnectionLimits, Credential, ServerConfig, app, serve_connections};
use slb_local::store::{MemoryStore, Store};
use slb_local::{Engine, RecordingDataPlane};
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::client::{CommonParams, HttpClient, signed_params, utc_timestamp};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::governor::RateLimit;
use slb_openapi::types::{AddressType, BackendServer, BackendType};
use slb_openapi::{ApiError, Params, Product};

pub const AK_ID: &str = "local-test-id";
pub const AK_SECRET: &str = "local-test-secret";

/// A running server with its engine, client and data plane recorder.
pub struct Harness {
    pub addr: SocketAddr,
    pub engine: Arc<Engine>,
    pub client: HttpClient,
    pub dataplane: Arc<RecordingDataPlane>,
    task: tokio::task::JoinHandle<()>,
}

impl Harness {
    /// The data plane's latest snapshot once every write answered so far is in it (the
    /// engine publishes off the request path, a few milliseconds after the answer).
    pub fn applied_snapshot(&self) -> slb_local::LocalDataPlaneSnapshot {
        assert!(
            self.engine
                .wait_for_dataplane(std::time::Duration::from_secs(5)),
            "the data plane was handed every answered write within 5 s"
        );
        self.dataplane.latest()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn instance(id: &str, ip: &str, vpc: &str) -> Instance {
    Instance {
        instance_id: id.into(),
        private_ip_address: ip.into(),
        vpc_id: vpc.into(),
        vswitch_id: "vsw-local".into(),
        zone_id: "cn-hangzhou-a".into(),
        instance_name: String::new(),
        status: "Running".into(),
        details: Default::default(),
    }
}

/// Default config plus two nodes in vpc-local, one in vpc-other, one ENI (two IPv4 addresses
/// and `fd00::21`) and a small vSwitch.
pub fn config() -> LocalConfig {
    let mut c = LocalConfig {
        instances: vec![
            instance("i-node1", "127.0.0.11", "vpc-local"),
            instance("i-node2", "127.0.0.12", "vpc-local"),
            instance("i-far", "10.9.0.1", "vpc-other"),
        ],
        network_interfaces: vec![NetworkInterface {
            network_interface_id: "eni-pod".into(),
            private_ip_addresses: vec!["127.0.0.21".into(), "127.0.0.22".into()],
            ipv6_addresses: vec!["fd00::21".into()],
            vpc_id: "vpc-local".into(),
            vswitch_id: "vsw-local".into(),
            zone_id: "cn-hangzhou-a".into(),
            instance_id: "i-node1".into(),
            eni_type: "Secondary".into(),
            status: "InUse".into(),
        }],
        ..LocalConfig::default()
    };
    c.vswitches.push(VSwitchConfig {
        id: "vsw-tiny".into(),
        vpc_id: "vpc-local".into(),
        zone_id: "cn-hangzhou-b".into(),
        cidr: "127.0.3.0/30".into(),
    });
    c
}

pub async fn start() -> Harness {
    start_with(config(), Box::new(MemoryStore::default())).await
}

pub async fn start_with(config: LocalConfig, store: Box<dyn Store>) -> Harness {
    start_limited(config, store, ConnectionLimits::default()).await
}

/// [`start_with`] with explicit connection limits (short timeouts for the slow-client tests).
pub async fn start_limited(
    config: LocalConfig,
    store: Box<dyn Store>,
    limits: ConnectionLimits,
) -> Harness {
    let dataplane = Arc::new(RecordingDataPlane::default());
    let engine = Arc::new(Engine::open(config, store, dataplane.clone()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(
        engine.clone(),
        ServerConfig {
            credentials: vec![Credential {
                access_key_id: AK_ID.into(),
                access_key_secret: AK_SECRET.into(),
            }],
            metrics: Default::default(),
        },
    );
    let task = tokio::spawn(async move {
        serve_connections(listener, router, limits, std::future::pending())
            .await
            .unwrap();
    });
    Harness {
        addr,
        engine,
        client: client_for(addr),
        dataplane,
        task,
    }
}

/// The real client, pointed at `addr` over plain HTTP, without retries or rate limits.
pub fn client_for(addr: SocketAddr) -> HttpClient {
    let mut cfg = ClientConfig::new("cn-hangzhou", Credentials::new(AK_ID, AK_SECRET));
    cfg.overrides = EndpointOverrides::local(addr.to_string());
    cfg.governor.retry.max_attempts = 1;
    cfg.governor.retry.max_throttling_attempts = 1;
    cfg.governor.default_rate = RateLimit::new(0.0, 0);
    HttpClient::new(cfg).unwrap()
}

/// Asserts an error's code and HTTP status.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(
    result: Result<T, ApiError>,
    code: &str,
    status: u16,
) -> ApiError {
    let err = result.expect_err("expected an error");
    assert_eq!(
        (err.code.as_str(), err.http_status),
        (code, status),
        "{err}"
    );
    assert!(!err.request_id.is_empty(), "error carries a RequestId");
    err
}

pub fn intranet(name: &str) -> CreateLoadBalancerRequest {
    CreateLoadBalancerRequest {
        address_type: Some(AddressType::Intranet),
        vswitch_id: Some("vsw-local".into()),
        load_balancer_name: Some(name.into()),
        load_balancer_spec: Some("slb.s1.small".into()),
        ..Default::default()
    }
}

pub async fn create_lb(h: &Harness, name: &str) -> CreateLoadBalancerResponse {
    h.client
        .create_load_balancer(&intranet(name))
        .await
        .unwrap()
}

pub async fn create_group(h: &Harness, lb: &str) -> String {
    let req = CreateVServerGroupRequest {
        load_balancer_id: lb.into(),
        vserver_group_name: Some("k8s/80/svc/ns/c1".into()),
        ..Default::default()
    };
    h.client
        .create_vserver_group(&req)
        .await
        .unwrap()
        .vserver_group_id
}

pub fn ecs(id: &str, port: u16, weight: u32) -> BackendServer {
    BackendServer {
        server_id: id.into(),
        port: Some(port),
        weight: Some(weight),
        server_type: Some(BackendType::Ecs),
        ..Default::default()
    }
}

pub fn eni(id: &str, ip: &str, port: u16) -> BackendServer {
    BackendServer {
        server_id: id.into(),
        server_ip: ip.into(),
        port: Some(port),
        weight: Some(100),
        server_type: Some(BackendType::Eni),
        ..Default::default()
    }
}

pub async fn add(
    h: &Harness,
    group: &str,
    servers: Vec<BackendServer>,
) -> Result<VServerGroupBackendsResponse, ApiError> {
    let req = AddVServerGroupBackendServersRequest {
        vserver_group_id: group.into(),
        backend_servers: servers,
        ..Default::default()
    };
    h.client.add_vserver_group_backend_servers(&req).await
}

pub fn tcp_listener(lb: &str, port: u16, group: &str) -> CreateTcpListenerRequest {
    CreateTcpListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        vserver_group_id: Some(group.into()),
        bandwidth: -1,
        ..Default::default()
    }
}

/// Sends `params` (plus the signing parameters) with `method`; returns status and JSON body.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    action: &str,
    params: &[(&str, &str)],
) -> (StatusCode, Value) {
    let signed = sign(method, action, params, &uuid_nonce());
    send(addr, method, &signed).await
}

pub fn uuid_nonce() -> String {
    format!("nonce-{}", rand_suffix())
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The full signed parameter map for `method`.
pub fn sign(method: &str, action: &str, params: &[(&str, &str)], nonce: &str) -> Params {
    let creds = Credentials::new(AK_ID, AK_SECRET);
    let product = if action.starts_with("Describe")
        && (action == "DescribeInstances" || action == "DescribeNetworkInterfaces")
    {
        Product::Ecs
    } else {
        Product::Slb
    };
    let ts = utc_timestamp();
    let common = CommonParams {
        action,
        product,
        region_id: "cn-hangzhou",
        credentials: &creds,
        nonce,
        timestamp: &ts,
    };
    let base: Params = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut p = signed_params(base, &common);
    if method != "POST" {
        let sig = slb_openapi::sign::sign_v2(method, &p, AK_SECRET);
        p.insert("Signature".into(), sig);
    }
    p
}

pub async fn send(addr: SocketAddr, method: &str, params: &Params) -> (StatusCode, Value) {
    let query = slb_openapi::sign::encode_query(params);
    let url = format!("http://{addr}/?{query}");
    let http = reqwest::Client::new();
    let req = match method {
        "GET" => http.get(url),
        _ => http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded"),
    };
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}
