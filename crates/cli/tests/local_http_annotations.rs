//! The HTTP listener annotations, each observed on real traffic: a Service carrying them is
//! applied by `slb-ccm apply` (the controller's sync) to `slb-ccm local serve` through its
//! signed API, and the test talks HTTP to the VIP and checks what the nodes received and what
//! the client got. One annotation (or one group of annotations that only act together) per
//! test: `protocol-port` http, `xforwardedfor-*`, `sticky-session*`/`cookie*`,
//! `request-timeout`, `idle-timeout`, `scheduler` (`wrr` with pod-count weights, `rr`,
//! `wlc`, `sch`, `tch`), and gzip (on by default on CLB, no annotation). Health-check annotations
//! are in `local_http_health_annotations.rs`.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod l7_support;
mod local_serve_support;

use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use l7_support::{Nodes, Service, apply, get_text, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// Applies `annotations` on a Cluster Service with port `port` over nodes at `ips`; the
/// nodes, the server (kept alive by the caller) and the VIP:port.
async fn http_service(
    pool: &str,
    ips: &[&str],
    port: u16,
    annotations: &[(&str, &str)],
) -> (Nodes, local_serve_support::LocalServe, SocketAddr) {
    let nodes = Nodes::start(ips, 1).await;
    let server = serve(pool).await;
    let ports = [port];
    let vip = apply(&server, &nodes, &Service::new(&ports, annotations)).await;
    (nodes, server, SocketAddr::new(vip, port))
}

#[tokio::test]
async fn protocol_port_http_proxies_at_layer_7_and_adds_x_forwarded_for() {
    let (_nodes, _server, vip) = http_service(
        "127.9.1.0/24",
        &["127.10.1.1"],
        80,
        &[("protocol-port", "http:80")],
    )
    .await;
    let (status, body) = get_text(&format!("http://{vip}/hello?x=1")).await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with("node-a\nget /hello?x=1 http/1.1\r\n"),
        "{body}"
    );
    assert!(body.contains("x-forwarded-for: 127.0.0.1\r\n"), "{body}");
    assert!(
        !body.contains("x-forwarded-proto:"),
        "not asked for: {body}"
    );
}

#[tokio::test]
async fn xforwardedfor_proto_on_sends_x_forwarded_proto_http() {
    let (_nodes, _server, vip) = http_service(
        "127.9.2.0/24",
        &["127.10.2.1"],
        80,
        &[("protocol-port", "http:80"), ("xforwardedfor-proto", "on")],
    )
    .await;
    let (_, body) = get_text(&format!("http://{vip}/")).await;
    assert!(body.contains("x-forwarded-proto: http\r\n"), "{body}");
}

#[tokio::test]
async fn xforwardedfor_slbport_on_sends_the_listener_port() {
    let (_nodes, _server, vip) = http_service(
        "127.9.3.0/24",
        &["127.10.3.1"],
        8080,
        &[
            ("protocol-port", "http:8080"),
            ("xforwardedfor-slbport", "on"),
        ],
    )
    .await;
    let (_, body) = get_text(&format!("http://{vip}/")).await;
    assert!(body.contains("x-forwarded-port: 8080\r\n"), "{body}");
}

#[tokio::test]
async fn xforwardedfor_clientsrcport_on_sends_the_clients_source_port() {
    let (_nodes, _server, vip) = http_service(
        "127.9.4.0/24",
        &["127.10.4.1"],
        80,
        &[
            ("protocol-port", "http:80"),
            ("xforwardedfor-clientsrcport", "on"),
        ],
    )
    .await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut conn = socket.connect(vip).await.unwrap();
    let src_port = conn.local_addr().unwrap().port();
    conn.write_all(b"GET / HTTP/1.1\r\nhost: web\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    let want = format!("x-forwarded-client-srcport: {src_port}\r\n");
    assert!(answer.contains(&want), "{want} in {answer}");
}

#[tokio::test]
async fn sticky_session_insert_sets_serverid_for_cookie_timeout_and_keeps_the_client_on_its_node() {
    let (_nodes, _server, vip) = http_service(
        "127.9.5.0/24",
        &["127.10.5.1", "127.10.5.2"],
        80,
        &[
            ("protocol-port", "http:80"),
            ("sticky-session", "on"),
            ("sticky-session-type", "insert"),
            ("cookie-timeout", "300"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let first = http.get(format!("http://{vip}/")).send().await.unwrap();
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("SERVERID=") && cookie.contains("Max-Age=300"),
        "{cookie}"
    );
    let node = first
        .text()
        .await
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let session = cookie.split(';').next().unwrap().to_owned();
    for _ in 0..6 {
        let body = http
            .get(format!("http://{vip}/"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body.lines().next().unwrap(), node, "the session sticks");
    }
}

#[tokio::test]
async fn sticky_session_server_follows_the_nodes_own_cookie_named_by_cookie() {
    let (nodes, _server, vip) = http_service(
        "127.9.6.0/24",
        &["127.10.6.1", "127.10.6.2"],
        80,
        &[
            ("protocol-port", "http:80"),
            ("sticky-session", "on"),
            ("sticky-session-type", "server"),
            ("cookie", "sid"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let first = http
        .get(format!("http://{vip}/set-cookie"))
        .send()
        .await
        .unwrap();
    let set = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    let node = first.text().await.unwrap().trim().to_owned();
    let value = set.split(';').next().unwrap().to_owned();
    assert!(
        value.starts_with("sid=") && value.ends_with("~abc"),
        "the node's cookie is prefixed with its id: {set}"
    );
    for _ in 0..6 {
        let body = http
            .get(format!("http://{vip}/"))
            .header("cookie", &value)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.starts_with(&format!("{node}\n")), "sticks: {body}");
        assert!(
            body.contains("cookie: sid=abc\r\n"),
            "the node gets its own value back: {body}"
        );
    }
    assert_eq!(nodes.get(&node).hits(), 7);
}

#[tokio::test]
async fn request_timeout_answers_504_when_the_node_is_slower() {
    let (_nodes, _server, vip) = http_service(
        "127.9.7.0/24",
        &["127.10.7.1"],
        80,
        &[("protocol-port", "http:80"), ("request-timeout", "1")],
    )
    .await;
    let (fast, _) = get_text(&format!("http://{vip}/")).await;
    assert_eq!(fast, 200);
    let (slow, _) = get_text(&format!("http://{vip}/slow")).await;
    assert_eq!(slow, 504, "the node takes 2 s, the request timeout is 1 s");
}

#[tokio::test]
async fn idle_timeout_closes_a_kept_alive_client_connection_that_stays_idle() {
    let (_nodes, _server, vip) = http_service(
        "127.9.8.0/24",
        &["127.10.8.1"],
        80,
        &[("protocol-port", "http:80"), ("idle-timeout", "1")],
    )
    .await;
    let mut conn = tokio::net::TcpStream::connect(vip).await.unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nhost: web\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = conn.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "an answer first");
    let answered = tokio::time::Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0))), "closed within 5 s: {closed:?}");
    let waited = answered.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "not before the idle timeout: {waited:?}"
    );
}

/// How many of `n` requests each node answered, a new connection each.
async fn spread(vip: SocketAddr, n: usize) -> (usize, usize) {
    let mut counts = (0, 0);
    for _ in 0..n {
        let (_, body) = get_text(&format!("http://{vip}/")).await;
        match body.lines().next().unwrap() {
            "node-a" => counts.0 += 1,
            _ => counts.1 += 1,
        }
    }
    counts
}

/// A Local Service with 1 pod on node-a and 3 on node-b (weights 1:3) and `scheduler`.
async fn weighted(pool: &str, ips: [&str; 2], scheduler: &str) -> (usize, usize) {
    let nodes = Nodes::start(&ips, 1).await;
    let server = serve(pool).await;
    let annotations = [("protocol-port", "http:80"), ("scheduler", scheduler)];
    let pods = [("node-a", 1), ("node-b", 3)];
    let svc = Service {
        local_pods: Some(&pods),
        ..Service::new(&[80], &annotations)
    };
    let vip = apply(&server, &nodes, &svc).await;
    spread(SocketAddr::new(vip, 80), 40).await
}

#[tokio::test]
async fn scheduler_wrr_splits_requests_by_the_pod_count_weights() {
    let (a, b) = weighted("127.9.9.0/24", ["127.10.9.1", "127.10.9.2"], "wrr").await;
    assert!((8..=12).contains(&a) && (28..=32).contains(&b), "{a}:{b}");
}

#[tokio::test]
async fn scheduler_rr_takes_turns_whatever_the_weights() {
    let (a, b) = weighted("127.9.10.0/24", ["127.10.10.1", "127.10.10.2"], "rr").await;
    assert_eq!((a, b), (20, 20));
}

#[tokio::test]
async fn scheduler_wlc_sends_new_requests_to_the_node_with_fewer_in_flight() {
    let (_nodes, _server, vip) = http_service(
        "127.9.12.0/24",
        &["127.10.12.1", "127.10.12.2"],
        80,
        &[("protocol-port", "http:80"), ("scheduler", "wlc")],
    )
    .await;
    let url = format!("http://{vip}/slow");
    let slow = tokio::spawn(async move { get_text(&url).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let quick = spread(vip, 4).await;
    let (_, body) = slow.await.unwrap();
    let busy = body.lines().next().unwrap();
    let expected = if busy == "node-a" { (0, 4) } else { (4, 0) };
    assert_eq!(
        quick, expected,
        "all to the node not busy with /slow ({busy})"
    );
}

#[tokio::test]
async fn scheduler_sch_keeps_a_client_ip_on_one_node() {
    let (_nodes, _server, vip) = http_service(
        "127.9.13.0/24",
        &["127.10.13.1", "127.10.13.2", "127.10.13.3"],
        80,
        &[("protocol-port", "http:80"), ("scheduler", "sch")],
    )
    .await;
    let first = get_text(&format!("http://{vip}/")).await.1;
    let node = first.lines().next().unwrap();
    for _ in 0..9 {
        let (_, body) = get_text(&format!("http://{vip}/")).await;
        assert_eq!(body.lines().next().unwrap(), node, "same source IP");
    }
}

#[tokio::test]
async fn scheduler_tch_keeps_the_requests_of_one_connection_on_one_node() {
    let (_nodes, _server, vip) = http_service(
        "127.9.14.0/24",
        &["127.10.14.1", "127.10.14.2", "127.10.14.3"],
        80,
        &[("protocol-port", "http:80"), ("scheduler", "tch")],
    )
    .await;
    // One kept-alive connection: one four-tuple (each request is scheduled on its own).
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let mut nodes = std::collections::BTreeSet::new();
    for _ in 0..8 {
        let body = http
            .get(format!("http://{vip}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        nodes.insert(body.lines().next().unwrap().to_owned());
    }
    assert_eq!(nodes.len(), 1, "{nodes:?}");
}

#[tokio::test]
async fn text_answers_are_gzipped_for_clients_that_accept_it_as_clb_does_by_default() {
    let (_nodes, _server, vip) = http_service(
        "127.9.11.0/24",
        &["127.10.11.1"],
        80,
        &[("protocol-port", "http:80")],
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("http://{vip}/page.html");
    let zipped = http
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let bytes = zipped.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "<p>the same words again and again</p>\n".repeat(100));
    assert!(bytes.len() < text.len() / 4, "{} bytes", bytes.len());
    let plain = http.get(&url).send().await.unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
}
