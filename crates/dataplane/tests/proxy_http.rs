//! The HTTP proxy over real loopback sockets: forwarding headers, scheduling and kept-alive
//! backend connections, session cookies, redirects, errors and bad input.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use slb_dataplane::{ForwardedHeaders, ListenerConfig, Protocol, StickySession};
use support::web::{Backend, Client, get, raw};
use support::*;

fn http_listener(id: &str, backends: &[&Backend]) -> ListenerConfig {
    let list: Vec<_> = backends.iter().map(|b| (b.addr, 10)).collect();
    let mut l = listener(id, Protocol::Http, "127.0.0.1", &list);
    l.http.load_balancer_id = "lb-test".into();
    l
}

#[tokio::test]
async fn the_backend_sees_the_client_ip_in_x_forwarded_for_and_the_client_gets_the_answer() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let proxy = h.apply(&[http_listener("xff", &[&a])]).await[0];
    let got = get(proxy, "/hello?x=1", &[("x-forwarded-for", "192.0.2.9")]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.backend(), "a");
    assert!(got.body.contains("GET /hello?x=1\n"), "{}", got.body);
    assert_eq!(got.seen("x-forwarded-for"), Some("192.0.2.9, 127.0.0.1"));
    assert_eq!(got.seen("host"), Some("example.test"));
    assert_eq!(
        got.seen("slb-id"),
        None,
        "optional headers are off by default"
    );
}

#[tokio::test]
async fn the_optional_clb_headers_reach_the_backend_when_switched_on() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = http_listener("opt", &[&a]);
    l.http.headers = ForwardedHeaders {
        slb_ip: true,
        slb_id: true,
        proto: true,
        port: true,
        client_src_port: true,
    };
    let proxy = h.apply(&[l]).await[0];
    let got = get(proxy, "/", &[]).await;
    assert_eq!(got.seen("slb-ip"), Some("127.0.0.1"));
    assert_eq!(got.seen("slb-id"), Some("lb-test"));
    assert_eq!(got.seen("x-forwarded-proto"), Some("http"));
    let port = proxy.port().to_string();
    assert_eq!(got.seen("x-forwarded-port"), Some(port.as_str()));
    let src: u16 = got
        .seen("x-forwarded-client-srcport")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(src, 0);
}

#[tokio::test]
async fn requests_are_spread_by_weight_over_kept_alive_backend_connections() {
    let h = Harness::new();
    let (a, b) = (
        Backend::start("127.0.0.1", "a").await,
        Backend::start("127.0.0.1", "b").await,
    );
    let mut l = http_listener("wrr", &[&a, &b]);
    l.scheduler = slb_dataplane::Scheduler::Wrr;
    l.backends[0].weight = 10;
    l.backends[1].weight = 30;
    let proxy = h.apply(&[l]).await[0];
    let mut client = Client::connect(proxy).await;
    let mut hits = std::collections::BTreeMap::new();
    for _ in 0..40 {
        let got = client.get("/", &[]).await;
        *hits.entry(got.backend().to_owned()).or_insert(0) += 1;
    }
    assert_eq!(hits.get("a"), Some(&10));
    assert_eq!(hits.get("b"), Some(&30));
    assert_eq!(
        (a.connections(), b.connections()),
        (1, 1),
        "sequential requests reuse one connection per backend"
    );
    h.wait_metric(
        "slb_dataplane_http_requests_total{listener=\"wrr\",kind=\"2xx\"}",
        40.0,
    )
    .await;
}

#[tokio::test]
async fn insert_sessions_keep_a_client_on_the_backend_named_by_the_serverid_cookie() {
    let h = Harness::new();
    let (a, b) = (
        Backend::start("127.0.0.1", "a").await,
        Backend::start("127.0.0.1", "b").await,
    );
    let mut l = http_listener("insert", &[&a, &b]);
    l.http.sticky = StickySession::Insert {
        timeout: Duration::from_secs(600),
    };
    let proxy = h.apply(&[l]).await[0];
    let first = get(proxy, "/", &[]).await;
    let set = first.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("SERVERID=") && set.contains("Max-Age=600"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    for _ in 0..6 {
        let again = get(proxy, "/", &[("cookie", &cookie)]).await;
        assert_eq!(again.backend(), first.backend());
        assert!(!again.headers.contains_key("set-cookie"));
    }
}

#[tokio::test]
async fn server_sessions_follow_the_backends_own_cookie_which_it_gets_back_unchanged() {
    let h = Harness::new();
    let (a, b) = (
        Backend::start("127.0.0.1", "a").await,
        Backend::start("127.0.0.1", "b").await,
    );
    let mut l = http_listener("server", &[&a, &b]);
    l.http.sticky = StickySession::Server { name: "sid".into() };
    let proxy = h.apply(&[l]).await[0];
    // The test backend sets no cookie, so the client plays the one the backend would have
    // set, prefixed the way the proxy prefixes it.
    let b_id = slb_dataplane::select::backend_id(b.addr);
    let cookie = format!("sid={b_id:016x}~abc");
    for _ in 0..4 {
        let got = get(proxy, "/", &[("cookie", &cookie)]).await;
        assert_eq!(got.backend(), "b");
        assert_eq!(got.seen("cookie"), Some("sid=abc"));
    }
}

#[tokio::test]
async fn a_redirect_listener_answers_301_or_its_code_to_the_https_port_without_a_backend() {
    let h = Harness::new();
    let mut l = http_listener("redirect", &[]);
    l.http.redirect_https_port = Some(8443);
    let mut temporary = http_listener("redirect-307", &[]);
    temporary.vip = ip("127.0.0.2");
    temporary.http.redirect_https_port = Some(443);
    temporary.http.redirect_code = 307;
    let addrs = h.apply(&[l, temporary]).await;
    let got = get(addrs[0], "/a/b?c=d", &[]).await;
    assert_eq!(got.status, 301);
    assert_eq!(got.headers["location"], "https://example.test:8443/a/b?c=d");
    let got = get(addrs[1], "/x", &[]).await;
    assert_eq!(got.status, 307);
    assert_eq!(got.headers["location"], "https://example.test/x");
}

#[tokio::test]
async fn no_healthy_backend_is_503_and_an_unreachable_one_is_502() {
    let h = Harness::new();
    let empty = http_listener("empty", &[]);
    let mut dead = http_listener("dead", &[]);
    dead.vip = ip("127.0.0.2");
    dead.backends.push(slb_dataplane::BackendConfig {
        addr: "127.0.0.1:1".parse().unwrap(),
        weight: 10,
    });
    let addrs = h.apply(&[empty, dead]).await;
    assert_eq!(get(addrs[0], "/", &[]).await.status, 503);
    assert_eq!(get(addrs[1], "/", &[]).await.status, 502);
}

#[tokio::test]
async fn a_backend_slower_than_the_request_timeout_gives_504() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = http_listener("slow", &[&a]);
    l.http.request_timeout = Duration::from_millis(300);
    let proxy = h.apply(&[l]).await[0];
    assert_eq!(get(proxy, "/slow", &[]).await.status, 504);
}

#[tokio::test]
async fn a_malformed_request_line_gets_400() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let proxy = h.apply(&[http_listener("bad", &[&a])]).await[0];
    let out = raw(proxy, b"GET / HTTP/9.9 nonsense\r\n\r\n").await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out:?}");
    assert_eq!(a.connections(), 0, "nothing reached the backend");
}

#[tokio::test]
async fn request_headers_over_the_limit_get_431() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let proxy = h.apply(&[http_listener("big", &[&a])]).await[0];
    let filler = "x".repeat(slb_dataplane::http::MAX_HEADER_BYTES + 1);
    let req = format!("GET / HTTP/1.1\r\nhost: a\r\nx-big: {filler}\r\n\r\n");
    let out = raw(proxy, req.as_bytes()).await;
    assert!(
        out.starts_with("HTTP/1.1 431"),
        "{:?}",
        &out[..out.len().min(80)]
    );
}

#[tokio::test]
async fn a_slowloris_client_is_disconnected_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = http_listener("slowloris", &[&a]);
    l.http.header_timeout = Duration::from_millis(400);
    l.http.idle_timeout = Duration::from_millis(200);
    let proxy = h.apply(&[l]).await[0];
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nhost: a\r\nx-drip: ")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    // One byte every 50 ms: never idle, never a complete head.
    let closed = loop {
        let mut buf = [0u8; 64];
        tokio::select! {
            r = s.read(&mut buf) => break r.map_or(true, |n| n == 0 || !buf[..n].starts_with(b"HTTP/1.1 200")),
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                if s.write_all(b"x").await.is_err() {
                    break true;
                }
            }
        }
        assert!(started.elapsed() < Duration::from_secs(3), "still open");
    };
    assert!(closed);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300),
        "closed by the header timeout, not the idle one: {took:?}"
    );
    assert_eq!(a.connections(), 0);
}

#[tokio::test]
async fn an_idle_client_connection_is_closed_after_the_idle_timeout() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = http_listener("idle", &[&a]);
    l.http.idle_timeout = Duration::from_millis(300);
    let proxy = h.apply(&[l]).await[0];
    let out = raw(proxy, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out:?}");
    assert!(
        out.contains("\na\n"),
        "the answer came before the close: {out:?}"
    );
}

#[tokio::test]
async fn adding_a_backend_keeps_the_kept_alive_connection_of_the_one_that_stays() {
    let h = Harness::new();
    let (a, b) = (
        Backend::start("127.0.0.1", "a").await,
        Backend::start("127.0.0.1", "b").await,
    );
    let proxy = h.apply(&[http_listener("live", &[&a])]).await[0];
    let mut client = Client::connect(proxy).await;
    assert_eq!(client.get("/", &[]).await.backend(), "a");
    h.apply(&[http_listener("live", &[&a, &b])]).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        seen.insert(client.get("/", &[]).await.backend().to_owned());
    }
    assert_eq!(seen.len(), 2, "the new backend takes requests: {seen:?}");
    assert_eq!(a.connections(), 1, "a's connection survived the update");
}

#[tokio::test]
async fn a_removed_backend_finishes_its_request_while_draining() {
    let h = Harness::new();
    let (a, b) = (
        Backend::start("127.0.0.1", "a").await,
        Backend::start("127.0.0.1", "b").await,
    );
    let drain = slb_dataplane::DrainConfig {
        enabled: true,
        timeout: Duration::from_secs(10),
    };
    let mut first = http_listener("drain", &[&a]);
    first.drain = drain;
    let proxy = h.apply(&[first]).await[0];
    let slow = tokio::spawn(async move { get(proxy, "/slow", &[]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut second = http_listener("drain", &[&b]);
    second.drain = drain;
    h.apply(&[second]).await;
    assert_eq!(get(proxy, "/", &[]).await.backend(), "b");
    let got = slow.await.unwrap();
    assert_eq!((got.status, got.backend()), (200, "a"));
}

#[tokio::test]
async fn a_removed_backend_without_draining_fails_its_request_at_once() {
    let h = Harness::new();
    let (a, b) = (
        Backend::start("127.0.0.1", "a").await,
        Backend::start("127.0.0.1", "b").await,
    );
    let proxy = h.apply(&[http_listener("nodrain", &[&a])]).await[0];
    let slow = tokio::spawn(async move { get(proxy, "/slow", &[]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.apply(&[http_listener("nodrain", &[&b])]).await;
    let got = tokio::time::timeout(Duration::from_secs(1), slow)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.status, 502);
}

/// A health endpoint that answers 200 to anything and records each request line and Host.
async fn recording_health_endpoint() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = vec![0u8; 1024];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let host = head.lines().find(|l| l.starts_with("Host: ")).unwrap_or("");
            let first = head.lines().next().unwrap_or("");
            log.lock().unwrap().push(format!("{first} | {host}"));
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        }
    });
    (port, seen)
}

#[tokio::test]
async fn http_health_checks_use_the_method_version_uri_domain_and_accepted_classes() {
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let (port, seen) = recording_health_endpoint().await;
    let check = |codes: &str| slb_dataplane::HealthCheckConfig {
        kind: slb_dataplane::HealthCheckKind::Http {
            uri: "/healthz".into(),
            domain: Some("app.example".into()),
            codes: slb_dataplane::HttpCodes::parse(codes).unwrap(),
            method: slb_dataplane::ProbeMethod::Head,
            http11: true,
        },
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(200),
        healthy_threshold: 1,
        unhealthy_threshold: 1,
        connect_port: Some(port),
    };
    let mut l = http_listener("hc", &[&a]);
    l.health_check = Some(check("http_3xx"));
    let proxy = h.apply(std::slice::from_ref(&l)).await[0];
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"hc\",kind=\"unhealthy\"}",
        1.0,
    )
    .await;
    assert_eq!(
        get(proxy, "/", &[]).await.status,
        503,
        "200 is not http_3xx"
    );
    l.health_check = Some(check("http_2xx"));
    h.apply(&[l]).await;
    h.wait_metric(
        "slb_dataplane_health_transitions_total{listener=\"hc\",kind=\"healthy\"}",
        1.0,
    )
    .await;
    assert_eq!(get(proxy, "/", &[]).await.backend(), "a");
    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(first, "HEAD /healthz HTTP/1.1 | Host: app.example");
}

#[tokio::test]
async fn with_gzip_on_text_is_compressed_for_clients_that_accept_gzip_only() {
    use std::io::Read;
    let h = Harness::new();
    let a = Backend::start("127.0.0.1", "a").await;
    let mut l = http_listener("gzip", &[&a]);
    l.http.gzip = true;
    let proxy = h.apply(&[l]).await[0];
    let plain = get(proxy, "/text", &[]).await;
    assert!(!plain.headers.contains_key("content-encoding"));
    assert!(plain.body.starts_with("a\nGET /text\n"), "{}", plain.body);
    let mut client = Client::connect(proxy).await;
    let req = hyper::Request::get("/text")
        .header("host", "example.test")
        .header("accept-encoding", "gzip")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let (status, headers, raw) = client.send_raw(req).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-encoding"], "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.starts_with("a\nGET /text\n"), "{text}");
    assert!(
        text.contains("accept-encoding: gzip\n"),
        "the backend sees the client's header"
    );
    let binary = get(proxy, "/", &[("accept-encoding", "gzip")]).await;
    assert!(
        !binary.headers.contains_key("content-encoding"),
        "no content type, no gzip"
    );
}
