//! The `slb-ccm` binary: parses the command line and dispatches. Each command lives in a
//! library crate; this file only sets up the process.
//!
//! Commands arrive with the issues that build them (controller, local, plan, apply, get,
//! doctor, demo); so far the binary only reports its version and the versions it targets.

use clap::Parser;

/// Cloud controller for Kubernetes LoadBalancer Services on Alibaba Cloud CLB or the local CLB.
#[derive(Debug, Parser)]
#[command(name = "slb-ccm", version, about)]
struct Args {}

fn main() {
    let _args = Args::parse();
    println!(
        "slb-ccm {}: no command is built yet; see README.md for what exists",
        env!("CARGO_PKG_VERSION")
    );
}
