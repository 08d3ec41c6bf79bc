//! `slb-ccm demo` as a user runs it: it exits 0, and the split it prints for the Local
//! Service follows the FAQ's 1:2:3 pod-count weights within 5 percentage points. The test
//! gives the demo its own loopback addresses so it runs beside the other traffic tests.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

/// `node → observed %` from the chart lines of the Service section starting with `header`.
fn observed(stdout: &str, header: &str) -> BTreeMap<String, f64> {
    let section = stdout
        .split("\nService ")
        .find(|s| s.starts_with(header))
        .unwrap_or_else(|| panic!("no section {header}:\n{stdout}"));
    section
        .lines()
        .filter(|l| l.contains(" observed "))
        .map(|l| {
            let node = l.split_whitespace().next().unwrap().to_owned();
            let share = l
                .split("observed")
                .nth(1)
                .unwrap()
                .trim()
                .split('%')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            (node, share)
        })
        .collect()
}

#[test]
fn the_demo_exits_zero_and_splits_local_traffic_one_two_three() {
    let out = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args([
            "demo",
            "--node-ips",
            "127.4.0.41,127.4.0.42,127.4.0.43",
            "--vip-pool",
            "127.4.9.0/24",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = observed(&stdout, "default/web-local");
    for (node, want) in [
        ("node-a", 100.0 / 6.0),
        ("node-b", 200.0 / 6.0),
        ("node-c", 50.0),
    ] {
        let got = local[node];
        assert!(
            (got - want).abs() <= 5.0,
            "{node}: {got}% vs {want:.1}%\n{stdout}"
        );
    }
    let cluster = observed(&stdout, "default/web-cluster");
    assert_eq!(
        cluster.len(),
        3,
        "Cluster: every node is a backend\n{stdout}"
    );
    for (node, got) in cluster {
        assert!((got - 100.0 / 3.0).abs() <= 5.0, "{node}: {got}%\n{stdout}");
    }
    assert!(stdout.contains("weights 1:2:3"), "{stdout}");
    assert!(
        stdout.contains("CLB lb-"),
        "the CLB table follows the chart\n{stdout}"
    );
}
