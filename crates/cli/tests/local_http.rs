//! `slb-ccm local serve` speaks HTTP on an `http` listener configured through the signed
//! OpenAPI: the backend receives `X-Forwarded-For` with the client's IP and the
//! `XForwardedFor_*` headers the listener switched on, the client gets the backend's answer
//! and a `SERVERID` cookie that keeps it on one backend, a malformed request gets `400`
//! without reaching a backend, and the data plane counts requests by status class. A second
//! listener shows `server` sessions (the backend's cookie, its prefix stripped), `SLB-IP`,
//! `X-Forwarded-Port` and `-Client-srcport`, `RequestTimeout` (504), a black-list ACL, and
//! HTTP health probes with the listener's method, URI and domain.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use slb_openapi::clb::{CreateHttpListenerRequest, StartListenerRequest};
use slb_openapi::types::{AclType, OnOff, Scheduler, StickySessionType};
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

mod local_serve_support;
use local_serve_support::{
    LocalServe, ServeArgs, acl_with_entry, free_addr, internet_lb, lb_with_group, read_head,
    scrape, start, wait_until_listening,
};

const ID: &str = "http-id";
const SECRET: &str = "http-secret";

/// What the nodes saw: requests answered, and every request head (lower case).
#[derive(Default)]
struct Seen {
    hits: AtomicUsize,
    heads: std::sync::Mutex<Vec<String>>,
}

/// Two "nodes" on 127.0.0.41–42 sharing one port. Each answers every request on a kept-alive
/// connection with its name and the request head it received; `/slow` waits 2 s first.
async fn backends(seen: Arc<Seen>) -> u16 {
    let first = TcpListener::bind("127.0.0.41:0").await.unwrap();
    let port = first.local_addr().unwrap().port();
    let second = TcpListener::bind(("127.0.0.42", port)).await.unwrap();
    for (name, listener) in [("node-a", first), ("node-b", second)] {
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(answer_all(conn, name, Arc::clone(&seen)));
            }
        });
    }
    port
}

async fn answer_all(conn: TcpStream, name: &'static str, seen: Arc<Seen>) {
    let mut reader = BufReader::new(conn);
    while let Some(head) = read_head(&mut reader).await {
        seen.hits.fetch_add(1, Ordering::SeqCst);
        seen.heads.lock().unwrap().push(head.clone());
        if head.starts_with("get /slow ") {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
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

/// Nodes i-a/i-b on 127.0.0.41–42, their shared port, the server (state on disk, VIPs
/// from 127.3.1.0/24, metrics on their own port) and a signed client.
struct Setup {
    _dir: tempfile::TempDir,
    seen: Arc<Seen>,
    node_port: u16,
    metrics: SocketAddr,
    _server: LocalServe,
    api: HttpClient,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Seen::default());
    let node_port = backends(Arc::clone(&seen)).await;
    let metrics = free_addr();
    let server = start(
        ServeArgs::new(ID, SECRET)
            .state(dir.path().join("state.db"))
            .config_text(
                dir.path(),
                "instances:\n\
                 - { InstanceId: i-a, PrivateIpAddress: 127.0.0.41 }\n\
                 - { InstanceId: i-b, PrivateIpAddress: 127.0.0.42 }\n",
            )
            .flag("--vip-pool", "127.3.1.0/24")
            .flag("--metrics-addr", metrics.to_string()),
    )
    .await;
    let api = server.client();
    Setup {
        _dir: dir,
        seen,
        node_port,
        metrics,
        _server: server,
        api,
    }
}

/// An internet CLB with a vServer group over i-a and i-b: (VIP, LB id, group id).
async fn lb_and_group(api: &HttpClient, node_port: u16) -> (IpAddr, String, String) {
    let (lb, group) = lb_with_group(
        api,
        &internet_lb(),
        "k8s/30080/web/default/local",
        &[("i-a", 100), ("i-b", 100)],
        node_port,
    )
    .await;
    let id = lb.load_balancer_id.clone();
    (lb.address.parse().unwrap(), id, group)
}

/// Creates and starts `listener`; returns its VIP:port once it accepts.
async fn start_listener(
    api: &HttpClient,
    vip: IpAddr,
    listener: CreateHttpListenerRequest,
) -> SocketAddr {
    let port = listener.listener_port;
    api.create_http_listener(&listener).await.unwrap();
    api.start_listener(&StartListenerRequest {
        load_balancer_id: listener.load_balancer_id.clone(),
        listener_port: port,
        ..Default::default()
    })
    .await
    .unwrap();
    let at = SocketAddr::new(vip, port);
    wait_until_listening(at).await;
    at
}

/// An HTTP listener on port 80 over the group (rr), inserting `SERVERID` for 300 s and
/// sending `SLB-ID` and `X-Forwarded-Proto`.
fn insert_listener(lb: &str, group: &str) -> CreateHttpListenerRequest {
    CreateHttpListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: 80,
        bandwidth: Some(-1),
        health_check: OnOff::Off,
        sticky_session: OnOff::On,
        sticky_session_type: Some(StickySessionType::Insert),
        cookie_timeout: Some(300),
        vserver_group_id: Some(group.into()),
        scheduler: Some(Scheduler::Rr),
        x_forwarded_for_slbid: Some(OnOff::On),
        x_forwarded_for_proto: Some(OnOff::On),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_http_listener_forwards_requests_with_clb_headers_and_insert_sessions() {
    let Setup {
        _dir,
        seen,
        node_port,
        metrics,
        _server,
        api,
    } = setup().await;
    let (ip, lb_id, group) = lb_and_group(&api, node_port).await;
    let vip = start_listener(&api, ip, insert_listener(&lb_id, &group)).await;

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

    let before = seen.hits.load(Ordering::SeqCst);
    let mut raw = TcpStream::connect(vip).await.unwrap();
    raw.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), raw.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert_eq!(
        seen.hits.load(Ordering::SeqCst),
        before,
        "no backend saw it"
    );

    let text = scrape(metrics).await;
    let line =
        format!("slb_dataplane_http_requests_total{{listener=\"{lb_id}/http/80\",kind=\"2xx\"}} 7");
    assert!(text.contains(&line), "{line} in\n{text}");
}

#[tokio::test]
async fn server_sessions_timeouts_health_checks_and_a_black_list_through_the_api() {
    let Setup {
        _dir,
        seen,
        node_port,
        metrics: _,
        _server,
        api,
    } = setup().await;
    let (ip, lb_id, group) = lb_and_group(&api, node_port).await;
    let acl = acl_with_entry(&api, "blocked", "127.0.0.9/32").await;
    let listener = CreateHttpListenerRequest {
        listener_port: 8080,
        health_check: OnOff::On,
        health_check_method: Some("get".into()),
        health_check_uri: Some("/healthz".into()),
        health_check_domain: Some("hc.example".into()),
        health_check_http_code: Some("http_2xx".into()),
        health_check_interval: Some(1),
        sticky_session_type: Some(StickySessionType::Server),
        cookie: Some("sid".into()),
        cookie_timeout: None,
        x_forwarded_for_slbid: None,
        x_forwarded_for_proto: None,
        x_forwarded_for_slbip: Some(OnOff::On),
        x_forwarded_for_slbport: Some(OnOff::On),
        x_forwarded_for_client_src_port: Some(OnOff::On),
        request_timeout: Some(1),
        acl_status: Some(OnOff::On),
        acl_type: Some(AclType::Black),
        acl_id: Some(acl),
        ..insert_listener(&lb_id, &group)
    };
    let vip = start_listener(&api, ip, listener).await;

    let node_b = SocketAddr::new("127.0.0.42".parse().unwrap(), node_port);
    let cookie = format!("sid={:016x}~abc", slb_dataplane::select::backend_id(node_b));
    let http = reqwest::Client::new();
    for _ in 0..4 {
        let body = http
            .get(format!("http://{vip}/app"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.starts_with("node-b\n"),
            "the sid cookie names node-b: {body}"
        );
        assert!(
            body.contains("cookie: sid=abc\r\n"),
            "the prefix is stripped: {body}"
        );
        assert!(body.contains(&format!("slb-ip: {ip}\r\n")), "{body}");
        assert!(body.contains("x-forwarded-port: 8080\r\n"), "{body}");
        assert!(body.contains("x-forwarded-client-srcport: "), "{body}");
    }

    let slow = http.get(format!("http://{vip}/slow")).send().await.unwrap();
    assert_eq!(
        slow.status(),
        504,
        "RequestTimeout is 1 s, the node takes 2 s"
    );

    let outsider = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 9]))
        .build()
        .unwrap();
    assert!(
        outsider.get(format!("http://{vip}/")).send().await.is_err(),
        "the black list refuses 127.0.0.9"
    );

    let probes: Vec<String> = seen
        .heads
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.contains("/healthz"))
        .cloned()
        .collect();
    let probe = probes.first().expect("health probes reached the nodes");
    assert!(probe.starts_with("get /healthz http/1.0\r\n"), "{probe}");
    assert!(probe.contains("host: hc.example\r\n"), "{probe}");
}
