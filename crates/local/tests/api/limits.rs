//! Bounds on what a client can make the server hold: parameter and body sizes, signing
//! tokens, per-call item caps, fault bounds, and slow or idle connections (real sockets,
//! short timeouts). Every refusal is an Alibaba-style error naming the limit.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use slb_local::Engine;
use slb_local::NoopDataPlane;
use slb_local::server::{
    ConnectionLimits, Credential, RequestLimits, ServerConfig, app_with_limits, serve_connections,
};
use slb_local::store::MemoryStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// Posts `params` as a form body; returns status and JSON body.
async fn post_form(addr: std::net::SocketAddr, form: String) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn a_megabyte_nonce_is_refused_naming_the_parameter_and_is_not_remembered() {
    let h = start().await;
    let nonce = "n".repeat(1_000_000);
    for _ in 0..2 {
        let params = sign("POST", "DescribeLoadBalancers", &[], &nonce);
        let (status, body) = post_form(h.addr, slb_openapi::sign::encode_query(&params)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["Code"], "InvalidParameter",
            "not SignatureNonceUsed: {body}"
        );
        let message = body["Message"].as_str().unwrap();
        assert!(
            message.contains("\"SignatureNonce\"")
                && message.contains("at most 64 characters are accepted (got 1000000)"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_an_alibaba_error_body() {
    let h = start().await;
    let (status, body) = post_form(h.addr, format!("Pad={}", "x".repeat(2_000_000))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Code"], "InvalidParameter");
    let message = body["Message"].as_str().unwrap();
    assert!(message.contains("1048576 bytes"), "{message}");
}

#[tokio::test]
async fn more_parameters_than_the_limit_are_refused() {
    let h = start().await;
    let form = (0..2_000)
        .map(|n| format!("P{n}=1"))
        .collect::<Vec<_>>()
        .join("&");
    let (status, body) = post_form(h.addr, form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .starts_with("The request has 2000 parameters; at most 1024 are accepted"),
        "{body}"
    );
}

#[tokio::test]
async fn local_put_instances_takes_at_most_a_thousand_per_call() {
    let h = start().await;
    let list = |n: usize| {
        let items: Vec<Value> = (0..n)
            .map(|i| serde_json::json!({"InstanceId": format!("i-{i}"), "PrivateIpAddress": "10.0.0.1"}))
            .collect();
        Value::Array(items).to_string()
    };
    let put = |n: usize| {
        let params = sign(
            "POST",
            "LocalPutInstances",
            &[("Instances", &list(n))],
            &uuid_nonce(),
        );
        post_form(h.addr, slb_openapi::sign::encode_query(&params))
    };
    let (status, body) = put(1_000).await;
    assert_eq!(
        (status, &body["Count"]),
        (StatusCode::OK, &Value::from(1_000)),
        "{body}"
    );
    let (status, body) = put(1_001).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.contains("\"Instances\"")
            && message.contains("1001 items in one call; at most 1000"),
        "{message}"
    );
}

#[tokio::test]
async fn a_latency_fault_above_the_documented_maximum_is_refused() {
    let h = start().await;
    let (status, body) = raw(
        h.addr,
        "POST",
        "LocalSetFaults",
        &[("Faults", r#"{"latency_ms":86400000}"#)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.contains("latency_ms: 86400000 is more than the 60000 ms allowed"),
        "{message}"
    );
}

#[tokio::test]
async fn admin_actions_are_not_delayed_so_a_latency_fault_can_always_be_lifted() {
    let h = start().await;
    let slow = [("Faults", r#"{"latency_ms":60000}"#)];
    assert_eq!(
        raw(h.addr, "POST", "LocalSetFaults", &slow).await.0,
        StatusCode::OK
    );
    // 60 s of latency would blow this 10 s guard if admin actions were delayed.
    let lift = raw(h.addr, "POST", "LocalSetFaults", &[("Faults", "{}")]);
    let lifted = tokio::time::timeout(Duration::from_secs(10), lift).await;
    assert_eq!(
        lifted.expect("LocalSetFaults answered at once").0,
        StatusCode::OK
    );
    assert_eq!(
        h.engine.injected_latency("DescribeLoadBalancers"),
        Duration::ZERO
    );
}

/// Reads until the server closes the connection; `None` if it is still open after `within`.
async fn closed_within(
    stream: &mut tokio::net::tcp::OwnedReadHalf,
    within: Duration,
) -> Option<()> {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

fn limits(header_ms: u64, idle_ms: u64, max: usize) -> ConnectionLimits {
    ConnectionLimits {
        max_connections: max,
        header_read_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
    }
}

#[tokio::test]
async fn a_client_trickling_header_bytes_is_cut_off_at_the_header_timeout() {
    let h = start_limited(
        config(),
        Box::new(MemoryStore::default()),
        limits(500, 30_000, 16),
    )
    .await;
    let (mut read, mut write) = TcpStream::connect(h.addr).await.unwrap().into_split();
    let trickle = tokio::spawn(async move {
        let head = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: {}", "a".repeat(1_000));
        for byte in head.as_bytes() {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    assert!(
        closed_within(&mut read, Duration::from_secs(5))
            .await
            .is_some(),
        "a connection sending one header byte per 100 ms is still open after 5 s"
    );
    trickle.abort();
}

#[tokio::test]
async fn a_silent_connection_is_closed_at_the_idle_timeout() {
    let h = start_limited(
        config(),
        Box::new(MemoryStore::default()),
        limits(30_000, 500, 16),
    )
    .await;
    let (mut read, _write) = TcpStream::connect(h.addr).await.unwrap().into_split();
    assert!(
        closed_within(&mut read, Duration::from_secs(5))
            .await
            .is_some(),
        "a connection that sends nothing is still open after 5 s"
    );
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_wait_until_one_closes() {
    let h = start_limited(
        config(),
        Box::new(MemoryStore::default()),
        limits(30_000, 30_000, 2),
    )
    .await;
    let first = TcpStream::connect(h.addr).await.unwrap();
    let _second = TcpStream::connect(h.addr).await.unwrap();
    let (mut read, mut write) = TcpStream::connect(h.addr).await.unwrap().into_split();
    write
        .write_all(b"GET /?Action=DescribeRegions HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), read.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection is served while two hold the cap"
    );
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(5), read.read(&mut buf))
        .await
        .expect("answered once a slot is free")
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_request_timeout() {
    let engine = Arc::new(
        Engine::open(
            config(),
            Box::new(MemoryStore::default()),
            Arc::new(NoopDataPlane),
        )
        .unwrap(),
    );
    let server = ServerConfig {
        credentials: vec![Credential {
            access_key_id: AK_ID.into(),
            access_key_secret: AK_SECRET.into(),
        }],
        metrics: Default::default(),
    };
    let request = RequestLimits {
        body_timeout: Duration::from_millis(300),
        ..RequestLimits::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app_with_limits(engine, server, request);
    let task = tokio::spawn(serve_connections(
        listener,
        app,
        limits(30_000, 30_000, 4),
        std::future::pending(),
    ));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=")
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"Code\":\"RequestTimeout\""), "{text}");
    task.abort();
}
