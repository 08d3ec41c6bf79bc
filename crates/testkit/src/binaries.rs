//! Where kube-apiserver and etcd come from: `$SLB_TESTKIT_BIN_DIR` when set (scripts/test.sh
//! sets it), otherwise the output of `tools/k8s-testbin/build.sh`, which builds them once and
//! caches them under `$HOME/.cache/k8s-testbin/<version>`. There is no silent skip: if neither
//! works, the error says what failed and how to build them.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable naming a folder that holds `kube-apiserver` and `etcd`.
pub const BIN_DIR_ENV: &str = "SLB_TESTKIT_BIN_DIR";

/// The Kubernetes version the tests run against; k8s-openapi's `v1_37` feature matches it.
pub const K8S_VERSION: &str = "1.37.2";

/// The folder holding `kube-apiserver` and `etcd`, building them if needed.
///
/// # Errors
/// When the folder named by [`BIN_DIR_ENV`] lacks a binary, or the build script fails.
pub fn binary_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV) {
        let dir = PathBuf::from(dir);
        check(&dir).with_context(|| format!("{BIN_DIR_ENV}={}", dir.display()))?;
        return Ok(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/k8s-testbin/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("K8S_VERSION", K8S_VERSION)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}); build the control plane with it and see its log:\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    check(&dir)?;
    Ok(dir)
}

fn check(dir: &Path) -> Result<()> {
    for name in ["kube-apiserver", "etcd"] {
        let path = dir.join(name);
        if !path.is_file() {
            bail!(
                "{} is missing; run tools/k8s-testbin/build.sh",
                path.display()
            );
        }
    }
    Ok(())
}
