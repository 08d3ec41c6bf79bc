//! Memory of `slb-ccm local serve` under two request patterns that used to inflate it: paging
//! through 30,000 stored instances ten at a time (every instance was rendered to answer one
//! page), and signed calls carrying a 1 MB `SignatureNonce` (each was kept for the 15-minute
//! nonce window). The test prints the server's RSS after each phase and asserts that neither
//! phase grows it by more than a few tens of MiB.
//!
//! ```text
//! cargo test -p slb-ccm --test local_memory -- --nocapture
//! SLB_MEMORY_BIN=/path/to/slb-ccm SLB_MEMORY_PAGES=50 cargo test -p slb-ccm --test local_memory -- --nocapture
//! ```
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use slb_openapi::client::{CommonParams, signed_params, utc_timestamp};
use slb_openapi::config::Credentials;
use slb_openapi::{Params, Product};

mod local_serve_support;
use local_serve_support::{LocalServe, ServeArgs, start};
use tokio::time::Instant;

const ID: &str = "memory-id";
const SECRET: &str = "memory-secret";
const INSTANCES: usize = 30_000;
/// Instances per `LocalPutInstances` (the server's per-call cap).
const PER_CALL: usize = 1_000;
const PAGING_CLIENTS: usize = 4;
const BIG_NONCE_CALLS: usize = 200;
/// Most a phase may grow the server's RSS by.
const MAX_GROWTH_MIB: f64 = 64.0;

/// The server (`SLB_MEMORY_BIN` when set), state in memory, VIPs from 127.7.0.0/24.
async fn spawn_server() -> LocalServe {
    let args = ServeArgs::new(ID, SECRET)
        .program_from_env("SLB_MEMORY_BIN")
        .flag("--vip-pool", "127.7.0.0/24");
    start(args).await
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap()
        / 1024.0
}

/// A signed form body for `action` with `params` and this nonce.
fn signed_form(action: &str, params: &[(&str, &str)], nonce: &str) -> String {
    let creds = Credentials::new(ID, SECRET);
    let ts = utc_timestamp();
    let product = if action == "DescribeInstances" {
        Product::Ecs
    } else {
        Product::Slb
    };
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
    slb_openapi::sign::encode_query(&signed_params(base, &common))
}

async fn post(http: &reqwest::Client, addr: &str, form: String) -> (u16, Value) {
    let resp = http
        .post(format!("http://{addr}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn nonce(tag: &str, n: usize) -> String {
    format!("{tag}-{}-{n}", std::process::id())
}

async fn put_instances(http: &reqwest::Client, addr: &str) {
    for call in 0..INSTANCES / PER_CALL {
        let items: Vec<Value> = (0..PER_CALL)
            .map(|i| {
                let n = call * PER_CALL + i;
                serde_json::json!({
                    "InstanceId": format!("i-{n:06}"),
                    "PrivateIpAddress": format!("10.{}.{}.{}", n / 65_536, n / 256 % 256, n % 256),
                })
            })
            .collect();
        let list = Value::Array(items).to_string();
        let form = signed_form(
            "LocalPutInstances",
            &[("Instances", &list)],
            &nonce("put", call),
        );
        let (status, body) = post(http, addr, form).await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Pages each client asks for (`SLB_MEMORY_PAGES`, default 50).
fn pages_per_client() -> usize {
    std::env::var("SLB_MEMORY_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

/// Four clients each asking for pages of ten; returns the slowest call.
async fn page_through(addr: &str) -> Duration {
    let clients: Vec<_> = (0..PAGING_CLIENTS)
        .map(|c| {
            let addr = addr.to_owned();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut slowest = Duration::ZERO;
                for p in 0..pages_per_client() {
                    let page = (p * 37 % 3_000 + 1).to_string();
                    let params = [("PageSize", "10"), ("PageNumber", page.as_str())];
                    let form =
                        signed_form("DescribeInstances", &params, &nonce("page", c * 1_000 + p));
                    let started = Instant::now();
                    let (status, body) = post(&http, &addr, form).await;
                    slowest = slowest.max(started.elapsed());
                    assert_eq!(status, 200, "{body}");
                    assert_eq!(body["TotalCount"], INSTANCES);
                    assert_eq!(body["Instances"]["Instance"].as_array().unwrap().len(), 10);
                }
                slowest
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for c in clients {
        slowest = slowest.max(c.await.unwrap());
    }
    slowest
}

/// Signed calls whose nonce is 1 MB; returns the answers' codes (`ok` for a success) and
/// how often each came.
async fn big_nonces(http: &reqwest::Client, addr: &str) -> BTreeMap<String, usize> {
    let mut codes = BTreeMap::new();
    for n in 0..BIG_NONCE_CALLS {
        let mut nonce = nonce("big", n);
        nonce.push_str(&"n".repeat(1_000_000 - nonce.len()));
        let form = signed_form("DescribeLoadBalancers", &[], &nonce);
        let (_, body) = post(http, addr, form).await;
        let code = body["Code"].as_str().unwrap_or("ok").to_owned();
        *codes.entry(code).or_insert(0) += 1;
    }
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_oversized_nonces_leave_the_servers_memory_flat() {
    let server = spawn_server().await;
    let (pid, addr) = (server.child.id().unwrap(), server.addr.clone());
    let http = reqwest::Client::new();
    let started = rss_mib(pid);
    put_instances(&http, &addr).await;
    let loaded = rss_mib(pid);
    let slowest = page_through(&addr).await;
    let paged = rss_mib(pid);
    let answers = big_nonces(&http, &addr).await;
    let nonced = rss_mib(pid);
    println!(
        "memory: RSS {started:.1} MiB at start, {loaded:.1} MiB with {INSTANCES} instances\n  \
         after {} DescribeInstances pages of 10 ({PAGING_CLIENTS} clients, slowest {slowest:.1?}): \
         {paged:.1} MiB\n  after {BIG_NONCE_CALLS} signed calls with a 1 MB SignatureNonce \
         (answers {answers:?}): {nonced:.1} MiB",
        PAGING_CLIENTS * pages_per_client(),
    );
    assert!(
        paged - loaded < MAX_GROWTH_MIB,
        "paging grew RSS {loaded:.1} → {paged:.1} MiB"
    );
    assert!(
        nonced - paged < MAX_GROWTH_MIB,
        "big nonces grew RSS {paged:.1} → {nonced:.1} MiB"
    );
    let refused = answers.get("InvalidParameter").copied().unwrap_or(0);
    assert_eq!(
        refused, BIG_NONCE_CALLS,
        "a 1 MB nonce is refused: {answers:?}"
    );
}
