//! A real cluster leaves nothing behind when the process holding it is killed with SIGKILL
//! (no destructor runs): its processes, network namespaces (and with them every iptables rule
//! and interface), pod sandboxes, the kubelet's cgroups and its folder are all gone.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

fn leftovers(dir: &Path, netns: &[String], pids: &[u32]) -> Vec<String> {
    let mut found = Vec::new();
    if dir.exists() {
        found.push(format!("folder {}", dir.display()));
    }
    for ns in netns {
        if Path::new("/run/netns").join(ns).exists() {
            found.push(format!("network namespace {ns}"));
        }
    }
    for pid in pids {
        if Path::new("/proc").join(pid.to_string()).exists() {
            found.push(format!("process {pid}"));
        }
    }
    for cg in ["memory", "cpu", "pids", "cpu,cpuacct"] {
        let path = Path::new("/sys/fs/cgroup").join(cg).join("kubepods");
        if path.exists() {
            found.push(format!("cgroup {}", path.display()));
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let prefix = dir.display().to_string();
    found.extend(
        mounts
            .lines()
            .filter(|l| l.contains(&prefix))
            .map(|l| format!("mount {l}")),
    );
    found
}

#[test]
fn a_cluster_is_cleaned_up_when_its_holder_is_killed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-testkit-cluster"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut fields = std::collections::BTreeMap::new();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.take(4) {
        let line = line.unwrap();
        let (k, v) = line.split_once('=').unwrap();
        fields.insert(k.to_owned(), v.to_owned());
    }
    assert_eq!(fields.len(), 4, "the holder started a cluster: {fields:?}");
    let dir = PathBuf::from(&fields["dir"]);
    let netns = vec![fields["netns"].clone(), fields["cloud_netns"].clone()];
    let env = std::fs::read_to_string(dir.join("env")).unwrap();
    let pids: Vec<u32> = env
        .lines()
        .filter(|l| l.contains("_PID="))
        .filter_map(|l| l.split_once('=')?.1.parse().ok())
        .collect();
    assert!(pids.len() >= 8, "every component recorded its pid: {env}");
    assert!(
        leftovers(&dir, &netns, &[]).len() >= 3,
        "the cluster is there to be cleaned up"
    );

    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = leftovers(&dir, &netns, &pids);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "left behind after 60 s: {left:#?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}
