//! `slb-ccm local serve` speaks HTTP on an `http` listener configured through the signed
//! OpenAPI: the backend receives `X-Forwarded-For` with the client's IP and the
//! `XForwardedFor_*` headers the listener switched on, the client gets the backend's answer
//! and a `SERVERID` cookie that keeps it on one backend, a malformed request gets `400`
//! without reaching a backend, and the data plane counts requests by status class.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use slb_openapi::clb::{
    AddVServerGroupBackendServersRequest, CreateHttpListenerRequest, CreateLoadBalancerRequest,
    CreateVServerGroupRequest, StartListenerRequest,
};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::types::{
    AddressType, BackendServer, BackendType, OnOff, Scheduler, StickySessionType,
};
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

const ID: &str = "http-id";
const SECRET: &str = "http-secret";

/// Two "nodes" on 127.0.0.41–42 sharing one port. Each answers every request on a kept-alive
/// connection with its name and the request head it received; `hits` counts requests.
async fn backends(hits: Arc<AtomicUsize>) -> u16 {
    let first = TcpListener::bind("127.0.0.41:0").await.unwrap();
    let port = first.local_addr().unwrap().port();
    let second = TcpListener::bind(("127.0.0.42", port)).await.unwrap();
    for (name, listener) in [("node-a", first), ("node-b", second)] {
        let hits = Arc::clone(&hits);
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(answer_all(conn, name, Arc::clone(&hits)));
            }
        });
    }
    port
}

async fn answer_all(conn: TcpStream, name: &'static str, hits: Arc<AtomicUsize>) {
    let mut reader = BufReader::new(conn);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line.to_ascii_lowercase());
        }
        hits.fetch_add(1, Ordering::SeqCst);
        let body = format!("{name}\n{head}");
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if reader.get_mut().write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn spawn_server(state: &Path, config: &Path, metrics: SocketAddr) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args(["local", "serve", "--listen", "127.0.0.1:0"])
        .args(["--region", "cn-hangzhou", "--access-key-id", ID])
        .args(["--access-key-secret", SECRET, "--vip-pool", "127.3.1.0/24"])
        .arg("--state")
        .arg(state)
        .arg("--config")
        .arg(config)
        .arg("--metrics-addr")
        .arg(metrics.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .next_line()
        .await
        .unwrap()
        .expect("the server prints its address");
    let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
    (child, addr)
}

fn api(addr: &str) -> HttpClient {
    let mut cfg = ClientConfig::new("cn-hangzhou", Credentials::new(ID, SECRET));
    cfg.overrides = EndpointOverrides::local(addr);
    HttpClient::new(cfg).unwrap()
}

/// An internet CLB with a started HTTP listener on port 80 over i-a and i-b (rr), inserting
/// `SERVERID` for 300 s and sending `SLB-ID` and `X-Forwarded-Proto`. Returns (VIP, LB id).
async fn configure(api: &HttpClient, node_port: u16) -> (SocketAddr, String) {
    let lb = api
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_type: Some(AddressType::Internet),
            load_balancer_spec: Some("slb.s1.small".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let id = lb.load_balancer_id.clone();
    let group = api
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: id.clone(),
            vserver_group_name: Some("k8s/30080/web/default/local".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let member = |server: &str| BackendServer {
        server_id: server.into(),
        port: Some(node_port),
        weight: Some(100),
        server_type: Some(BackendType::Ecs),
        ..Default::default()
    };
    api.add_vserver_group_backend_servers(&AddVServerGroupBackendServersRequest {
        vserver_group_id: group.vserver_group_id.clone(),
        backend_servers: vec![member("i-a"), member("i-b")],
        ..Default::default()
    })
    .await
    .unwrap();
    api.create_http_listener(&CreateHttpListenerRequest {
        load_balancer_id: id.clone(),
        listener_port: 80,
        bandwidth: Some(-1),
        health_check: OnOff::Off,
        sticky_session: OnOff::On,
        sticky_session_type: Some(StickySessionType::Insert),
        cookie_timeout: Some(300),
        vserver_group_id: Some(group.vserver_group_id),
        scheduler: Some(Scheduler::Rr),
        x_forwarded_for_slbid: Some(OnOff::On),
        x_forwarded_for_proto: Some(OnOff::On),
        ..Default::default()
    })
    .await
    .unwrap();
    api.start_listener(&StartListenerRequest {
        load_balancer_id: id.clone(),
        listener_port: 80,
        ..Default::default()
    })
    .await
    .unwrap();
    (SocketAddr::new(lb.address.parse().unwrap(), 80), id)
}

async fn wait_until_listening(vip: SocketAddr) {
    for _ in 0..100 {
        if TcpStream::connect(vip).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {vip}");
}

#[tokio::test]
async fn an_http_listener_forwards_requests_with_clb_headers_and_insert_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (state, config) = (dir.path().join("state.db"), dir.path().join("local.yaml"));
    std::fs::write(
        &config,
        "instances:\n\
         - { InstanceId: i-a, PrivateIpAddress: 127.0.0.41 }\n\
         - { InstanceId: i-b, PrivateIpAddress: 127.0.0.42 }\n",
    )
    .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let node_port = backends(Arc::clone(&hits)).await;
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (_server, addr) = spawn_server(&state, &config, metrics).await;
    let (vip, lb_id) = configure(&api(&addr), node_port).await;
    wait_until_listening(vip).await;

    let http = reqwest::Client::new();
    let first = http
        .get(format!("http://{vip}/web?q=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("SERVERID=") && cookie.contains("Max-Age=300"),
        "{cookie}"
    );
    let body = first.text().await.unwrap();
    let backend = body.lines().next().unwrap().to_owned();
    assert!(body.contains("get /web?q=1 http/1.1"), "{body}");
    assert!(body.contains("x-forwarded-for: 127.0.0.1\r\n"), "{body}");
    assert!(
        body.contains(&format!("slb-id: {}\r\n", lb_id.to_ascii_lowercase())),
        "{body}"
    );
    assert!(body.contains("x-forwarded-proto: http\r\n"), "{body}");
    assert!(
        !body.contains("slb-ip:"),
        "SLB-IP was not switched on: {body}"
    );

    let session = cookie.split(';').next().unwrap().to_owned();
    for _ in 0..6 {
        let again = http
            .get(format!("http://{vip}/"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        let body = again.text().await.unwrap();
        assert_eq!(body.lines().next().unwrap(), backend, "the session sticks");
    }

    let before = hits.load(Ordering::SeqCst);
    let mut raw = TcpStream::connect(vip).await.unwrap();
    raw.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), raw.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert_eq!(hits.load(Ordering::SeqCst), before, "no backend saw it");

    let text = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line =
        format!("slb_dataplane_http_requests_total{{listener=\"{lb_id}/http/80\",kind=\"2xx\"}} 7");
    assert!(text.contains(&line), "{line} in\n{text}");
}
