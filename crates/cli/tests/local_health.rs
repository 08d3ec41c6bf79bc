//! `slb-ccm local serve` answers `DescribeHealthStatus` with what its data plane's health
//! probes see, through the signed OpenAPI: on a TCP listener a node that stops listening
//! turns `abnormal` after the unhealthy threshold (and gets no more traffic) while the other
//! stays `normal`, and turns `normal` again once it listens again; on an HTTP listener a node
//! whose health URI answers 500 is `abnormal` until it answers 200.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod local_serve_support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use local_serve_support::{LocalServe, ServeArgs, internet_lb, lb_with_group, start};
use slb_openapi::clb::{
    CreateHttpListenerRequest, CreateTcpListenerRequest, DescribeHealthStatusRequest,
    StartListenerRequest,
};
use slb_openapi::types::OnOff;
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const ID: &str = "health-id";
const SECRET: &str = "health-secret";
/// How long a status may take to show: thresholds of 2 at a 1 s interval need about 3 s.
const SETTLE: Duration = Duration::from_secs(20);

/// A TCP "node" on `addr` that answers every connection with its name.
fn tcp_node(listener: TcpListener, name: &'static str) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = conn.write_all(name.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    })
}

/// An HTTP "node" answering every request 500 while `failing` is set, 200 otherwise.
fn http_node(listener: TcpListener, failing: Arc<AtomicBool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let failing = Arc::clone(&failing);
            tokio::spawn(async move {
                let mut reader = BufReader::new(conn);
                let mut line = String::new();
                while reader.read_line(&mut line).await.unwrap_or(0) > 0 && line != "\r\n" {
                    line.clear();
                }
                let status = if failing.load(Ordering::SeqCst) {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let resp = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                let _ = reader.get_mut().write_all(resp.as_bytes()).await;
            });
        }
    })
}

/// `slb-ccm local serve` with `i-a`/`i-b` at `ips` and internet VIPs from `vip_pool`.
async fn serve(dir: &Path, ips: [&str; 2], vip_pool: &str) -> (LocalServe, HttpClient) {
    let config = format!(
        "instances:\n\
         - {{ InstanceId: i-a, PrivateIpAddress: {} }}\n\
         - {{ InstanceId: i-b, PrivateIpAddress: {} }}\n",
        ips[0], ips[1]
    );
    let server = start(
        ServeArgs::new(ID, SECRET)
            .flag("--vip-pool", vip_pool)
            .config_text(dir, &config),
    )
    .await;
    let api = server.client();
    (server, api)
}

/// An internet CLB with a vServer group over i-a and i-b on `node_port`: (VIP, LB, group).
async fn lb_and_group(api: &HttpClient, node_port: u16) -> (SocketAddr, String, String) {
    let (lb, group) = lb_with_group(
        api,
        &internet_lb(),
        "k8s/80/web/default/local",
        &[("i-a", 100), ("i-b", 100)],
        node_port,
    )
    .await;
    let vip = SocketAddr::new(lb.address.parse().unwrap(), 80);
    (vip, lb.load_balancer_id, group)
}

async fn start_listener(api: &HttpClient, lb: &str) {
    api.start_listener(&StartListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: 80,
        ..Default::default()
    })
    .await
    .unwrap();
}

async fn statuses(api: &HttpClient, lb: &str) -> Vec<(String, String)> {
    let resp = api
        .describe_health_status(&DescribeHealthStatusRequest {
            load_balancer_id: lb.into(),
            listener_port: Some(80),
            ..Default::default()
        })
        .await
        .unwrap();
    resp.backend_servers
        .into_iter()
        .map(|b| (b.server_id, b.server_health_status))
        .collect()
}

/// Polls `DescribeHealthStatus` until i-a and i-b report `want`; panics with the last
/// answer after [`SETTLE`].
async fn wait_for(api: &HttpClient, lb: &str, want: [&str; 2]) {
    let want: Vec<(String, String)> = ["i-a", "i-b"]
        .iter()
        .zip(want)
        .map(|(id, s)| ((*id).to_owned(), s.to_owned()))
        .collect();
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let got = statuses(api, lb).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "DescribeHealthStatus still says {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Opens `n` connections to the VIP and returns who answered each.
async fn answers(vip: SocketAddr, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..n {
        let mut conn = TcpStream::connect(vip).await.unwrap();
        let mut name = String::new();
        conn.read_to_string(&mut name).await.unwrap();
        seen.push(name);
    }
    seen
}

#[tokio::test]
async fn a_tcp_node_that_stops_listening_turns_abnormal_and_back_to_normal() {
    let node_a = TcpListener::bind("127.0.0.71:0").await.unwrap();
    let node_port = node_a.local_addr().unwrap().port();
    let node_b_addr = SocketAddr::new([127, 0, 0, 72].into(), node_port);
    let _a = tcp_node(node_a, "node-a");
    let b = tcp_node(TcpListener::bind(node_b_addr).await.unwrap(), "node-b");
    let dir = tempfile::tempdir().unwrap();
    let (_server, api) = serve(dir.path(), ["127.0.0.71", "127.0.0.72"], "127.3.8.0/24").await;
    let (vip, lb, group) = lb_and_group(&api, node_port).await;
    api.create_tcp_listener(&CreateTcpListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        vserver_group_id: Some(group),
        bandwidth: -1,
        health_check_connect_timeout: Some(1),
        health_check_interval: Some(1),
        healthy_threshold: Some(2),
        unhealthy_threshold: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    start_listener(&api, &lb).await;
    wait_for(&api, &lb, ["normal", "normal"]).await;

    b.abort();
    let _ = b.await;
    wait_for(&api, &lb, ["normal", "abnormal"]).await;
    let seen = answers(vip, 10).await;
    assert!(
        seen.iter().all(|n| n == "node-a"),
        "the abnormal node gets no traffic: {seen:?}"
    );

    let _b = tcp_node(TcpListener::bind(node_b_addr).await.unwrap(), "node-b");
    wait_for(&api, &lb, ["normal", "normal"]).await;
}

#[tokio::test]
async fn an_http_node_answering_500_to_its_health_check_is_abnormal_until_it_answers_200() {
    let node_a = TcpListener::bind("127.0.0.73:0").await.unwrap();
    let node_port = node_a.local_addr().unwrap().port();
    let node_b = TcpListener::bind(("127.0.0.74", node_port)).await.unwrap();
    let failing = Arc::new(AtomicBool::new(true));
    let _a = http_node(node_a, Arc::new(AtomicBool::new(false)));
    let _b = http_node(node_b, Arc::clone(&failing));
    let dir = tempfile::tempdir().unwrap();
    let (_server, api) = serve(dir.path(), ["127.0.0.73", "127.0.0.74"], "127.3.9.0/24").await;
    let (_vip, lb, group) = lb_and_group(&api, node_port).await;
    api.create_http_listener(&CreateHttpListenerRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        bandwidth: Some(-1),
        vserver_group_id: Some(group),
        health_check: OnOff::On,
        health_check_uri: Some("/healthz".into()),
        health_check_http_code: Some("http_2xx".into()),
        health_check_timeout: Some(1),
        health_check_interval: Some(1),
        healthy_threshold: Some(2),
        unhealthy_threshold: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    start_listener(&api, &lb).await;
    wait_for(&api, &lb, ["normal", "abnormal"]).await;

    failing.store(false, Ordering::SeqCst);
    wait_for(&api, &lb, ["normal", "normal"]).await;
}
