//! Container images for the real cluster, built here as OCI archives (no registry is
//! reachable and no daemon runs): `localhost/pause:local` (the sandbox, 20 lines of C built
//! static) and `localhost/echo:test` (the `slb-testkit-echo` server). Both go through
//! `tools/image/mkimage.py`, the writer that `scripts/build-image.sh` uses for slb-ccm.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The sandbox image the cluster's containerd is configured with.
pub const PAUSE_IMAGE: &str = "localhost/pause:local";
/// The test server's image; its entrypoint is `slb-testkit-echo`.
pub const ECHO_IMAGE: &str = "localhost/echo:test";

/// Writes `pause.tar` and `echo.tar` into `dir`.
///
/// # Errors
/// When gcc, python3 or the echo binary is missing, or a build fails.
pub fn build_base_images(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let root = crate::cluster::repo_root();
    let pause = dir.join("pause.bin");
    run(Command::new("gcc")
        .args(["-Os", "-static", "-s", "-o"])
        .arg(&pause)
        .arg(root.join("tools/k8s-node/images/pause.c")))?;
    mkimage(PAUSE_IMAGE, &pause, "/pause", "0:0", &dir.join("pause.tar"))?;
    std::fs::remove_file(&pause).ok();
    let echo = echo_binary()?;
    mkimage(
        ECHO_IMAGE,
        &echo,
        "/usr/local/bin/slb-testkit-echo",
        "65532:65532",
        &dir.join("echo.tar"),
    )
}

/// Packs one executable (and the shared libraries it links) as an image.
///
/// # Errors
/// When the image writer fails.
pub fn mkimage(name: &str, binary: &Path, dest: &str, user: &str, out: &Path) -> Result<()> {
    let script = crate::cluster::repo_root().join("tools/image/mkimage.py");
    run(Command::new("python3")
        .arg(script)
        .args(["--name", name, "--out"])
        .arg(out)
        .arg("--binary")
        .arg(format!("{}:{dest}", binary.display()))
        .args(["--entrypoint", dest, "--user", user]))
}

/// `slb-testkit-echo`, built by cargo beside the running test binary (`target/<profile>/`).
fn echo_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the test binary")?;
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("slb-testkit-echo"))
        .collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .with_context(|| {
            format!(
                "slb-testkit-echo is not built (looked at {candidates:?}); \
             `cargo build -p slb-testkit --bins` builds it, and `cargo test --workspace` does too"
            )
        })
}

fn run(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
