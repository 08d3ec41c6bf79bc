//! `slb-ccm plan` and `slb-ccm apply` on manifest files, run as the built binary: the
//! examples plan to the expected calls, invalid annotations are all listed with their fixes
//! and fail the command, loader errors name file and document, and a second apply to the same
//! local CLB state file changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn slb_ccm(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args(args)
        .arg("-f")
        .arg(path)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc:#}"))
}

fn calls(service: &Value) -> Vec<String> {
    service["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["call"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_examples_plan_to_a_new_clb_per_service_with_pod_count_weights() {
    let out = slb_ccm(&["plan", "-o", "json"], &examples());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(doc["target"], "an empty in-memory local CLB");
    // The group is created with its members in the same call (at most a batch of 20).
    let expected = [
        "CreateLoadBalancer",
        "CreateVServerGroup",
        "CreateLoadBalancerTCPListener",
        "StartLoadBalancerListener",
    ];
    for name in ["default/web-local", "default/web-cluster"] {
        let s = service(&doc, name);
        assert_eq!(calls(s), expected, "{name}");
        assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{name}");
    }
    let members = |name: &str| service(&doc, name)["actions"][1]["details"].clone();
    assert_eq!(
        members("default/web-local"),
        "name k8s/30080/web-local/default/local, \
         i-local-node-a:30080 w1, i-local-node-b:30080 w2, i-local-node-c:30080 w3",
        "Local: only nodes with pods, weighted by their pod count (the FAQ's 1:2:3)"
    );
    assert_eq!(
        members("default/web-cluster"),
        "name k8s/30081/web-cluster/default/local, \
         i-local-node-a:30081 w100, i-local-node-b:30081 w100, i-local-node-c:30081 w100",
        "Cluster: every Ready node at the default weight"
    );
}

#[test]
fn the_table_output_names_each_service_and_its_calls() {
    let out = slb_ccm(&["plan"], &examples());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Planning against an empty in-memory local CLB."),
        "{text}"
    );
    assert!(
        text.contains(
            "Service default/web-local (externalTrafficPolicy: Local)\n  4 call(s) would be made:"
        ),
        "{text}"
    );
    assert!(text.contains("CreateLoadBalancerTCPListener"), "{text}");
}

#[test]
fn invalid_annotations_are_all_listed_with_fixes_and_fail_the_plan() {
    let out = slb_ccm(
        &["plan", "-o", "json"],
        &fixture("invalid-annotations.yaml"),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "validation errors fail the command"
    );
    let doc = json(&out);
    let errors = service(&doc, "shop/broken")["errors"]
        .as_array()
        .unwrap()
        .clone();
    let keys = ["-spec", "-scheduler", "-bandwidth"];
    assert_eq!(errors.len(), keys.len(), "{errors:#?}");
    for key in keys {
        let e = errors
            .iter()
            .find(|e| {
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("loadbalancer{key}:"))
            })
            .unwrap_or_else(|| panic!("no error for {key}: {errors:#?}"));
        assert_eq!(e["kind"], "InvalidAnnotationValue");
        assert!(!e["remedy"].as_str().unwrap().is_empty());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("document 3: skipping ConfigMap \"unrelated\""),
        "unknown kinds are skipped with a warning: {stderr}"
    );

    let table = slb_ccm(&["plan"], &fixture("invalid-annotations.yaml"));
    assert_eq!(table.status.code(), Some(1));
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("3 validation error(s); nothing is planned:"),
        "{text}"
    );
    assert_eq!(text.matches("fix: ").count(), 3, "{text}");
}

#[test]
fn loader_errors_name_the_file_and_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Node\nmetadata: { name: a }\n---\nkind: [oops\n",
    )
    .unwrap();
    let out = slb_ccm(&["plan"], &bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: document 2: not valid YAML or JSON",
            bad.display()
        )),
        "{stderr}"
    );
}

#[test]
fn plan_never_creates_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("missing.db");
    let out = slb_ccm(&["plan", "--state", state.to_str().unwrap()], &examples());
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist; plan never creates one")
    );
    assert!(!state.exists());
}

#[test]
fn apply_needs_a_cloud_and_says_which_flags_name_one() {
    let out = slb_ccm(&["apply"], &examples());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("apply needs a cloud: --state FILE"),
        "{stderr}"
    );
}

#[test]
fn a_second_apply_to_the_same_state_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("clb.db");
    let state = state.to_str().unwrap();
    let apply = || {
        let out = slb_ccm(
            &[
                "apply",
                "-o",
                "json",
                "--state",
                state,
                "--vip-pool",
                "127.4.10.0/24",
            ],
            &examples(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)
    };
    let first = apply();
    let second = apply();
    for name in ["default/web-local", "default/web-cluster"] {
        let (a, b) = (service(&first, name), service(&second, name));
        assert_eq!(calls(a).len(), 4, "{name}: the first apply creates the CLB");
        assert!(
            calls(b).is_empty(),
            "{name}: the second apply plans nothing: {b:#}"
        );
        assert_eq!(
            a["load_balancer_id"], b["load_balancer_id"],
            "{name}: same CLB"
        );
        let vip = b["address"].as_str().unwrap();
        assert!(
            vip.starts_with("127.4.10."),
            "{name}: VIP {vip} from the pool"
        );
    }

    // A plan against the applied state has nothing left to do.
    let planned = json(&slb_ccm(
        &["plan", "-o", "json", "--state", state],
        &examples(),
    ));
    assert!(calls(service(&planned, "default/web-local")).is_empty());

    // The table output of a repeated apply says so, and shows the CLB.
    let out = slb_ccm(&["apply", "--state", state], &examples());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("Up to date: no call needed.").count(),
        2,
        "{text}"
    );
    assert!(text.contains("tcp:8080  running"), "{text}");
}

/// A `slb-ccm local serve` on a free port with throw-away state; killed when dropped.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Server {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args([
            "local",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state",
            ":memory:",
        ])
        .args([
            "--access-key-id",
            "apply-id",
            "--access-key-secret",
            "apply-secret",
        ])
        .args(["--vip-pool", "127.4.12.0/24"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split("listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    Server { child, url }
}

#[test]
fn apply_through_a_signed_endpoint_registers_the_nodes_and_is_idempotent() {
    let server = serve();
    let apply = |extra: &[&str]| {
        let mut args = vec!["apply", "-o", "json", "--endpoint", &server.url];
        args.extend([
            "--access-key-id",
            "apply-id",
            "--access-key-secret",
            "apply-secret",
        ]);
        args.extend(extra);
        slb_ccm(&args, &examples())
    };

    let without = apply(&[]);
    assert!(
        !without.status.success(),
        "the server does not know the nodes yet"
    );
    let doc = json(&without);
    let error = &service(&doc, "default/web-local")["errors"][0];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("InvalidServerId"),
        "{error:#}"
    );

    let first = apply(&["--register-nodes"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = apply(&[]);
    assert!(second.status.success());
    let (first, second) = (json(&first), json(&second));
    let local = service(&first, "default/web-local");
    assert!(
        local["address"].as_str().unwrap().starts_with("127.4.12."),
        "{local:#}"
    );
    for name in ["default/web-local", "default/web-cluster"] {
        assert!(
            calls(service(&second, name)).is_empty(),
            "{name}: {second:#}"
        );
    }
}
