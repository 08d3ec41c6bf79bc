//! `slb-ccm plan -f` on hostile manifests, run as the built binary: overlong values, a
//! Service with more ports than a CLB has listeners, and deeply nested YAML each end in a
//! clear error (or a plan) and exit code 1 or 0, never a panic (exit code 101).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn plan(manifest: &str, json: bool) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.yaml");
    std::fs::write(&path, manifest).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slb-ccm"));
    cmd.arg("plan");
    if json {
        cmd.args(["-o", "json"]);
    }
    cmd.arg("-f").arg(Path::new(&path)).output().unwrap()
}

/// A LoadBalancer Service `default/<name>` with these annotations and `ports` TCP ports
/// (80, 81, …).
fn service(name: &str, annotations: &[(&str, &str)], ports: usize) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\n  \
         uid: 5a5a5a5a-0000-4000-8000-000000000002\n  annotations:\n"
    );
    for (k, v) in annotations {
        text.push_str(&format!(
            "    service.beta.kubernetes.io/alibaba-cloud-loadbalancer-{k}: \"{v}\"\n"
        ));
    }
    text.push_str("spec:\n  type: LoadBalancer\n  ports:\n");
    for i in 0..ports {
        let port = 80 + i;
        text.push_str(&format!(
            "  - {{ protocol: TCP, port: {port}, targetPort: 8080, nodePort: {} }}\n",
            30_000 + i % 2_000
        ));
    }
    text
}

/// [`service`] plus one Ready node.
fn service_and_node(name: &str, annotations: &[(&str, &str)], ports: usize) -> String {
    let mut text = service(name, annotations, ports);
    text.push_str(
        "---\napiVersion: v1\nkind: Node\nmetadata: { name: node-a }\nstatus:\n  addresses: \
         [{ type: InternalIP, address: 127.4.0.41 }]\n  conditions: [{ type: Ready, status: \
         \"True\" }]\n",
    );
    text
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_tag_value_of_70000_characters_is_refused_with_the_limit_not_a_panic() {
    let tags = format!("team=a,owner={}", "o".repeat(70_000));
    let out = plan(
        &service_and_node("web", &[("additional-resource-tags", &tags)], 1),
        false,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        &text(&out)[..2_000.min(text(&out).len())]
    );
    let all = text(&out);
    assert!(
        all.contains("additional-resource-tags: invalid value \"team=a,owner=ooo"),
        "names the annotation"
    );
    assert!(
        all.contains("tag keys and values of at most 128 characters (a tag value has 70000)"),
        "names the limit"
    );
    assert!(
        all.len() < 5_000,
        "the value is not echoed in full: {} bytes",
        all.len()
    );
}

#[test]
fn a_service_name_of_70000_characters_plans_without_a_panic() {
    let name = "w".repeat(70_000);
    let out = plan(&service_and_node(&name, &[], 1), false);
    assert_eq!(out.status.code(), Some(0), "{}", &text(&out)[..2_000]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CreateVServerGroup"),
        "the plan table is printed"
    );
}

#[test]
fn a_service_with_20000_ports_is_refused_with_the_listener_quota() {
    // No nodes, so no backend quota is reached first: only the listener quota stops it.
    let out = plan(&service("many", &[], 20_000), true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let service = &doc["services"][0];
    assert_eq!(
        service["actions"].as_array().map_or(0, Vec::len),
        0,
        "nothing is planned"
    );
    let errors = service["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], "ListenerQuota");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("Service has 20000 ports but a CLB holds at most 50 listeners"),
        "{message}"
    );
    assert!(
        message.contains("the reference CCM fails on this Service too"),
        "{message}"
    );
}

#[test]
fn yaml_nested_100000_deep_is_refused_before_parsing() {
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: deep }}\ndata: {}x{}\n",
        "{a: ".repeat(100_000),
        "}".repeat(100_000)
    );
    let out = plan(&deep, false);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        &text(&out)[..2_000.min(text(&out).len())]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "hostile.yaml: document 1: line 4: `[ ]`/`{ }` collections nested more than 100 \
             levels deep"
        ),
        "{stderr}"
    );
}

/// [`service_and_node`] written by hand: no `metadata.uid`.
fn without_uid(name: &str, annotations: &[(&str, &str)]) -> String {
    service_and_node(name, annotations, 1)
        .replace("  uid: 5a5a5a5a-0000-4000-8000-000000000002\n", "")
}

#[test]
fn a_service_without_a_uid_is_planned_with_a_stable_placeholder_uid_it_names() {
    let first = plan(&without_uid("web", &[]), true);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let doc: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let uid = doc["services"][0]["placeholder_uid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(uid.len(), 36, "a uid's shape: {uid}");
    let again: serde_json::Value =
        serde_json::from_slice(&plan(&without_uid("web", &[]), true).stdout).unwrap();
    assert_eq!(
        again["services"][0]["placeholder_uid"],
        uid.as_str(),
        "stable"
    );
    let table = text(&plan(&without_uid("web", &[]), false));
    assert!(table.contains(&format!("placeholder uid {uid}")), "{table}");
    assert!(table.contains("CreateLoadBalancer"), "{table}");
}

#[test]
fn a_service_without_a_uid_gets_every_other_problem_reported() {
    let out = plan(&without_uid("web", &[("address-type", "somewhere")]), true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = doc["services"][0]["errors"].as_array().unwrap();
    let messages: Vec<String> = errors.iter().map(|e| e["message"].to_string()).collect();
    assert!(
        messages.iter().any(|m| m.contains("address-type")),
        "the annotation problem is reported: {messages:?}"
    );
    assert!(
        messages.iter().all(|m| !m.contains("metadata.uid")),
        "plan does not stop at the missing uid: {messages:?}"
    );
}
