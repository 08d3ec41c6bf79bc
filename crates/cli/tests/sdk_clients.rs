//! Alibaba's official SDKs as clients of `slb-ccm local serve` (as LocalStack is tested with
//! boto3): the classic Python SDK (signature V2), the Tea Python SDK (its default signature V3,
//! `ACS3-HMAC-SHA256`) and the Go SDK the reference CCM uses. Each client (tests/sdk/) runs the
//! full lifecycle of every action family the local CLB serves, its error answers and a
//! traffic check against its own server, and prints a JSON summary; a test fails with that
//! summary when a family fails, and also when the local CLB serves an action no family of the
//! client calls.
//!
//! The SDKs are installed by `scripts/install-sdk-clients.sh` (run by `scripts/test.sh`); when
//! they are missing or were made from other inputs than the repository's pins and sources, the
//! tests fail and say to run it. They never skip.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod local_serve_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use local_serve_support::{ServeArgs, start};
use serde_json::Value;
use tokio::process::Command;

const ID: &str = "sdk-id";
const SECRET: &str = "sdk-secret";
const CLIENT_TIMEOUT: Duration = Duration::from_secs(180);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where scripts/install-sdk-clients.sh installs (its `SLB_SDK_CLIENTS_DIR` rule).
fn cache() -> PathBuf {
    match std::env::var_os("SLB_SDK_CLIENTS_DIR") {
        Some(dir) if !dir.is_empty() => dir.into(),
        _ => Path::new(&std::env::var_os("HOME").expect("HOME is set")).join(".cache/slb-ccm"),
    }
}

/// `installed` (`what`) must exist, made from the repository's `inputs`: the install script
/// keeps a copy of each input under `copies`, which must be identical.
fn require_installed(what: &str, installed: &Path, inputs: &[PathBuf], copies: &Path) -> PathBuf {
    let advice = "run ./scripts/install-sdk-clients.sh (scripts/test.sh runs it)";
    assert!(
        installed.exists(),
        "{what} is not installed ({} is missing): {advice}",
        installed.display()
    );
    for input in inputs {
        let copy = copies.join(input.file_name().unwrap());
        assert!(
            std::fs::read(&copy).ok() == Some(std::fs::read(input).unwrap()),
            "{what} is out of date ({} differs from {}): {advice}",
            copy.display(),
            input.display()
        );
    }
    installed.to_path_buf()
}

/// The Go client's sources (go.mod, go.sum, *.go).
fn go_inputs() -> Vec<PathBuf> {
    let dir = repo().join("tests/sdk/go");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect()
}

/// The command that runs one client.
fn client_command(client: &str) -> Command {
    let python_dir = repo().join("tests/sdk/python");
    let python = |script: &str| {
        let venv = cache().join("sdk-venv");
        let pins = [python_dir.join("requirements.txt")];
        let python = require_installed(
            "the Python SDKs' venv",
            &venv.join("bin/python"),
            &pins,
            &venv,
        );
        let mut command = Command::new(python);
        command.arg(python_dir.join(script));
        command
    };
    let go = cache().join("sdk-go");
    match client {
        "classic" => python("classic_client.py"),
        "tea" => python("tea_client.py"),
        "go" => Command::new(require_installed(
            "the Go SDK client",
            &go.join("sdk-client"),
            &go_inputs(),
            &go.join("src"),
        )),
        other => panic!("no client {other}"),
    }
}

/// Two vSwitches in two zones (so DescribeAvailableResource has a zone pair) and an EIP pool,
/// all in 127.`net`.0.0/16.
fn server_config(net: u8) -> String {
    let vswitch = |id: &str, zone: &str, third: u8| {
        format!(
            "  - {{ id: {id}, vpc_id: vpc-local, zone_id: {zone}, cidr: 127.{net}.{third}.0/24 }}\n"
        )
    };
    format!(
        "eip_pool: 127.{net}.4.0/24\nvswitches:\n{}{}",
        vswitch("vsw-local", "cn-hangzhou-a", 1),
        vswitch("vsw-b", "cn-hangzhou-b", 3)
    )
}

/// One server per client, on its own vSwitch CIDR, VIP pool and IPv6 listener port (the IPv6
/// VIP is ::1 for every server) so clients run in parallel.
async fn run_client(client: &str, net: u8) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("local.yaml");
    std::fs::write(&config, server_config(net)).unwrap();
    let server = start(
        ServeArgs::new(ID, SECRET)
            .flag("--config", &config)
            .flag("--vip-pool", format!("127.{net}.0.0/24")),
    )
    .await;
    let mut command = client_command(client);
    command
        .env("SLB_SDK_ENDPOINT", &server.addr)
        .env("SLB_SDK_ACCESS_KEY_ID", ID)
        .env("SLB_SDK_ACCESS_KEY_SECRET", SECRET)
        .env("SLB_SDK_BACKEND_IP", format!("127.{net}.2.1"))
        .env("SLB_SDK_IPV6_PORT", (18_600 + u16::from(net)).to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(CLIENT_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("the {client} client ran longer than {CLIENT_TIMEOUT:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("the {client} client printed no summary ({e}):\n{stdout}\nstderr:\n{stderr}")
    });
    let failed: Vec<&Value> = summary["families"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ok"] != true)
        .collect();
    assert!(
        failed.is_empty() && output.status.success(),
        "the {client} client failed {failed:#?}\nstderr:\n{stderr}\nsummary:\n{stdout}"
    );
    println!(
        "{client}: {} families passed, {} calls, {} distinct actions",
        summary["families"].as_array().map_or(0, Vec::len),
        summary["calls"].as_array().map_or(0, Vec::len),
        summary["actions"].as_array().map_or(0, Vec::len)
    );
    summary
}

/// Every action the local CLB serves, each called by some family of this client.
fn assert_covers_every_action(client: &str, summary: &Value) {
    let called: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let missing: Vec<&str> = slb_local::engine::action_names()
        .filter(|a| !called.contains(a))
        .collect();
    assert!(
        missing.is_empty(),
        "the local CLB serves actions no family of the {client} client calls: {missing:?}; \
         add them to a family in tests/sdk/ (README: SDK test clients)"
    );
}

#[tokio::test]
async fn the_classic_python_sdk_runs_every_family_against_local_serve() {
    let summary = run_client("classic", 51).await;
    assert_covers_every_action("classic", &summary);
}

#[tokio::test]
async fn the_tea_python_sdk_with_signature_v3_runs_every_family_against_local_serve() {
    let summary = run_client("tea", 52).await;
    assert_covers_every_action("tea", &summary);
}

#[tokio::test]
async fn the_go_sdk_runs_every_family_against_local_serve() {
    let summary = run_client("go", 53).await;
    assert_covers_every_action("go", &summary);
}
