//! The local CLB as a process: it prints its address, stops cleanly on SIGTERM, and after a
//! SIGKILL in the middle of a write load every change it acknowledged is still there when
//! it restarts on the same state file.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use slb_openapi::Clb;
use slb_openapi::HttpClient;
use slb_openapi::clb::{CreateLoadBalancerRequest, DescribeLoadBalancersRequest};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::governor::RateLimit;
use slb_openapi::types::{AddressType, Tag};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

const ID: &str = "crash-id";
const SECRET: &str = "crash-secret";

/// Starts `slb-ccm local serve` on a free port; returns the child and its address.
async fn spawn_server(state: &Path, config: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args([
            "local",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--region",
            "cn-hangzhou",
        ])
        .arg("--state")
        .arg(state)
        .arg("--config")
        .arg(config)
        .args([
            "--access-key-id",
            ID,
            "--access-key-secret",
            SECRET,
            "--vip-pool",
            "127.1.0.0/16",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next_line()
        .await
        .unwrap()
        .expect("the server prints its address");
    let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
    assert!(
        line.starts_with("slb-local listening on http://127.0.0.1:"),
        "{line}"
    );
    (child, addr)
}

fn client(addr: &str) -> HttpClient {
    let mut cfg = ClientConfig::new("cn-hangzhou", Credentials::new(ID, SECRET));
    cfg.overrides = EndpointOverrides::local(addr);
    cfg.governor.retry.max_attempts = 1;
    cfg.governor.default_rate = RateLimit::new(0.0, 0);
    cfg.governor.max_concurrency = 64;
    HttpClient::new(cfg).unwrap()
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("local.yaml");
    std::fs::write(&path, "quotas:\n  load_balancers_per_account: 100000\n").unwrap();
    path
}

/// Every LB (id → (name, tag value)) by paging DescribeLoadBalancers.
async fn all_lbs(c: &HttpClient) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for page in 1.. {
        let req = DescribeLoadBalancersRequest {
            page_number: Some(page),
            page_size: Some(100),
            ..Default::default()
        };
        let resp = c.describe_load_balancers(&req).await.unwrap();
        let n = resp.load_balancers.len();
        for lb in resp.load_balancers {
            let tag = lb
                .tags
                .iter()
                .find(|t| t.tag_key == "seq")
                .map(|t| t.tag_value.clone())
                .unwrap_or_default();
            out.insert(lb.load_balancer_id, (lb.load_balancer_name, tag));
        }
        if n < 100 {
            break;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_write_load_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let config = write_config(dir.path());
    let (mut server, addr) = spawn_server(&state, &config).await;
    let c = client(&addr);
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (c, acked, count) = (c.clone(), acked.clone(), count.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let name = format!("w{w}-n{i}");
                let req = CreateLoadBalancerRequest {
                    address_type: Some(AddressType::Internet),
                    load_balancer_name: Some(name.clone()),
                    load_balancer_spec: Some("slb.s1.small".into()),
                    tags: vec![Tag::new("seq", &name)],
                    ..Default::default()
                };
                match c.create_load_balancer(&req).await {
                    Ok(resp) => {
                        acked.lock().await.insert(resp.load_balancer_id, name);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
        }));
    }
    while count.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.start_kill().unwrap(); // SIGKILL, with the workers' requests still in flight
    server.wait().await.unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert!(acked.len() >= 60);

    let (_server, addr) = spawn_server(&state, &config).await;
    let found = all_lbs(&client(&addr)).await;
    for (id, name) in &acked {
        let got = found
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged {id} ({name}) is lost"));
        assert_eq!(
            got,
            &(name.clone(), name.clone()),
            "{id} kept its name and tag"
        );
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let (mut server, addr) = spawn_server(&dir.path().join("s.db"), &config).await;
    client(&addr)
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    let pid = server.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.wait().await.unwrap();
    assert!(exit.success(), "exit status {exit}");
}

#[test]
fn no_command_prints_help() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Usage") && text.contains("local"), "{text}");
}
