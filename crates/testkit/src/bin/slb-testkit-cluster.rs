//! Runs one real cluster in the foreground, for poking at by hand and for the teardown test.
//!
//! Prints `dir=<folder>`, `netns=<node namespace>`, `cloud_netns=<cloud namespace>` and
//! `kubeconfig=<path>` (reaches the API server from the host), then reads stdin: a line
//! `panic` panics (the cluster must still go away), EOF or Ctrl-C stops it. By hand:
//! `sudo cargo run -p slb-testkit --bin slb-testkit-cluster`, then
//! `kubectl --kubeconfig <path> get nodes`.

use anyhow::Result;
use slb_testkit::{ClusterOptions, RealCluster};
use std::io::BufRead;

fn main() -> Result<()> {
    let cluster = RealCluster::start(&ClusterOptions::default())?;
    println!("dir={}", cluster.dir().display());
    println!("netns={}", cluster.node_netns());
    println!("cloud_netns={}", cluster.cloud_netns());
    println!("kubeconfig={}", cluster.kubeconfig_path().display());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() == "panic" {
        panic!("asked to panic while holding a real cluster");
    }
    drop(cluster);
    Ok(())
}
