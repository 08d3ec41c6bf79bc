//! Runs one test control plane in the foreground, for poking at by hand
//! (`KUBECONFIG=<printed path> kubectl get ns`) and for the teardown tests.
//!
//! Prints `server=<url>`, `dir=<folder>` and `kubeconfig=<path>`, then reads stdin: a line
//! `panic` panics (to prove the servers still stop), EOF or Ctrl-C exits.

use anyhow::Result;
use slb_testkit::ControlPlane;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> Result<()> {
    let cp = ControlPlane::shared().await?;
    println!("server={}", cp.server());
    println!("dir={}", cp.dir().display());
    println!("kubeconfig={}", cp.kubeconfig_path().display());
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    tokio::select! {
        line = lines.next_line() => {
            if line?.as_deref() == Some("panic") {
                panic!("asked to panic while holding a control plane");
            }
        }
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
