//! A real one-node Kubernetes cluster for end-to-end tests: kubelet, containerd, kube-proxy,
//! kube-scheduler and kube-controller-manager beside etcd and kube-apiserver, in a network
//! namespace of its own, with a second namespace standing for the cloud.
//!
//! [`RealCluster::start`] builds what is missing (the Kubernetes binaries from Go modules,
//! cached like the control plane's; the pause and echo images), runs
//! `tools/k8s-node/start.sh` and hands out clients, `kubectl`, the namespaces' names and
//! addresses. What it does not do: install slb-ccm or a local CLB — tests do that as a user
//! would. Requirements that are checked, never skipped: root, the Debian packages that
//! `scripts/test.sh` installs, and no other kubelet on the machine.
//!
//! Teardown mirrors the control plane's: a watchdog whose stdin is a pipe held by this process
//! runs the cluster's `stop.sh` when the pipe closes — on drop, panic or SIGKILL alike. A
//! machine-wide lock lets one cluster run at a time (other holders wait), and a cluster whose
//! holder died without its watchdog running is stopped by the next start.

use crate::images;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// Where holders register their clusters, and the machine-wide lock.
const RUN_DIR: &str = "/run/slb-testkit";

const WATCHDOG: &str = r#"
trap '' INT HUP
cat >/dev/null
"$1/stop.sh" >/run/slb-testkit/last-stop.log 2>&1
rm -f "$2"
"#;

/// What to start the cluster with.
#[derive(Debug, Default, Clone)]
pub struct ClusterOptions {
    /// OCI archives imported into containerd besides the pause and echo images.
    pub images: Vec<PathBuf>,
    /// `--cloud-provider=external` on the kubelet and kube-controller-manager.
    pub cloud_provider_external: bool,
}

/// A running real cluster. Dropping it stops everything and removes what it made.
pub struct RealCluster {
    dir: PathBuf,
    env: BTreeMap<String, String>,
    api_port: u16,
    watchdog: Option<(Child, ChildStdin)>,
    _lock: File,
}

impl RealCluster {
    /// Builds what is missing and starts the cluster; returns once the Node is Ready.
    ///
    /// Blocking (tens of seconds): call it from `spawn_blocking` in async tests.
    ///
    /// # Errors
    /// With the reason when a prerequisite is missing or a component does not start (the
    /// start script's output and the cluster's logs are in the message).
    pub fn start(options: &ClusterOptions) -> Result<RealCluster> {
        preflight()?;
        std::fs::create_dir_all(RUN_DIR).context("creating /run/slb-testkit")?;
        let lock = File::create(Path::new(RUN_DIR).join("cluster.lock"))?;
        lock.lock()
            .context("waiting for the machine-wide cluster lock")?;
        reap_abandoned()?;
        let k8s_bins = crate::binaries::binary_dir()?;
        let node_bins = node_binary_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("slb-testkit-node.")
            .tempdir_in(scratch_parent())
            .context("creating the cluster folder")?
            .keep();
        let images_dir = dir.join("images");
        images::build_base_images(&images_dir)?;
        for (i, image) in options.images.iter().enumerate() {
            std::fs::copy(image, images_dir.join(format!("extra-{i}.tar")))
                .with_context(|| format!("copying {}", image.display()))?;
        }
        let watchdog = spawn_watchdog(&dir)?;
        let api_port = crate::control_plane::free_port()?;
        let mut cluster = RealCluster {
            dir: dir.clone(),
            env: BTreeMap::new(),
            api_port,
            watchdog: Some(watchdog),
            _lock: lock,
        };
        let started = Instant::now();
        let output = Command::new("bash")
            .arg(repo_root().join("tools/k8s-node/start.sh"))
            .env("NODE_DIR", &dir)
            .env("HOST_API_PORT", api_port.to_string())
            .env("K8S_BIN_DIR", &k8s_bins)
            .env("NODE_BIN_DIR", &node_bins)
            .env("IMAGES_DIR", &images_dir)
            .env(
                "CLOUD_PROVIDER",
                if options.cloud_provider_external {
                    "external"
                } else {
                    ""
                },
            )
            .output()
            .context("running tools/k8s-node/start.sh")?;
        cluster.env = read_env(&dir.join("env")).unwrap_or_default();
        if !output.status.success()
            || cluster.env.get("STATUS").map(String::as_str) != Some("ready")
        {
            bail!(
                "the real cluster did not start ({}):\n{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr),
                cluster.logs_tail(20)
            );
        }
        tracing::info!(elapsed = ?started.elapsed(), dir = %dir.display(), "real cluster ready");
        Ok(cluster)
    }

    /// The cluster's folder: logs of every component, kubeconfigs, PKI.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A value start.sh recorded (`NODE_IP`, `CLOUD_IP`, `VIP_CIDR`, `POD_CIDR`, `NODE_NAME`…).
    ///
    /// # Errors
    /// When the key is unknown.
    pub fn var(&self, key: &str) -> Result<&str> {
        self.env
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("start.sh recorded no {key}"))
    }

    /// The node's network namespace (pods' traffic, NodePorts, kube-proxy's rules).
    pub fn node_netns(&self) -> &str {
        self.env.get("NETNS").map_or("", String::as_str)
    }

    /// The cloud's network namespace: `CLOUD_IP` and every VIP of `VIP_CIDR` are local here.
    pub fn cloud_netns(&self) -> &str {
        self.env.get("CLOUD_NETNS").map_or("", String::as_str)
    }

    /// An admin kubeconfig that reaches the API server from the host (127.0.0.1).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.join("host.kubeconfig")
    }

    /// The API server's address on the host's loopback.
    pub fn api_port(&self) -> u16 {
        self.api_port
    }

    /// An admin client (build one per Tokio runtime).
    ///
    /// # Errors
    /// When the kubeconfig cannot be read.
    pub async fn client(&self) -> Result<kube::Client> {
        crate::control_plane::client_from_kubeconfig(&self.kubeconfig_path()).await
    }

    /// Runs the cluster's `kubectl` as the admin, from the host; its stdout.
    ///
    /// # Errors
    /// With kubectl's stderr when it fails.
    pub fn kubectl(&self, args: &[&str]) -> Result<String> {
        let output = Command::new(self.var("KUBECTL")?)
            .arg("--kubeconfig")
            .arg(self.kubeconfig_path())
            .args(args)
            .output()
            .context("running kubectl")?;
        if !output.status.success() {
            bail!(
                "kubectl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The last lines of every component's log, for failure messages.
    pub fn logs_tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for name in [
            "kube-apiserver",
            "kube-controller-manager",
            "kubelet",
            "kube-proxy",
            "containerd",
        ] {
            let text =
                std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default();
            let all: Vec<&str> = text.lines().collect();
            out.push_str(&format!("--- {name}.log (last {lines} lines)\n"));
            out.push_str(&all[all.len().saturating_sub(lines)..].join("\n"));
            out.push('\n');
        }
        out
    }

    /// Stops the cluster now and waits for its cleanup (what dropping it does).
    pub fn stop(&mut self) {
        if let Some((mut child, lifeline)) = self.watchdog.take() {
            drop(lifeline);
            let deadline = Instant::now() + Duration::from_secs(60);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

impl Drop for RealCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Root, and the host tools the start script needs.
fn preflight() -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        bail!("the real cluster needs root (network namespaces, mounts, cgroups)");
    }
    let missing: Vec<&str> = [
        "containerd",
        "ctr",
        "runc",
        "socat",
        "iptables",
        "conntrack",
        "nsenter",
        "ip",
        "openssl",
        "python3",
        "gcc",
    ]
    .into_iter()
    .filter(|tool| !on_path(tool))
    .collect();
    if !missing.is_empty() {
        bail!(
            "the real cluster needs {} on PATH: scripts/test.sh installs the Debian packages \
             (containerd runc containernetworking-plugins iptables conntrack socat iproute2)",
            missing.join(", ")
        );
    }
    Ok(())
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// The watchdog that runs stop.sh once our end of its stdin closes.
fn spawn_watchdog(dir: &Path) -> Result<(Child, ChildStdin)> {
    let entry = Path::new(RUN_DIR).join(format!("holder-{}-{}", std::process::id(), dir_id(dir)));
    std::fs::write(
        &entry,
        format!("{}\n{}\n", std::process::id(), dir.display()),
    )
    .context("registering the cluster")?;
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("slb-testkit-cluster-watchdog")
        .arg(dir)
        .arg(&entry)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the cluster's watchdog")?;
    let lifeline = child.stdin.take().context("the watchdog's stdin")?;
    Ok((child, lifeline))
}

fn dir_id(dir: &Path) -> String {
    dir.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().replace('.', "-"))
}

/// Stops clusters whose holder process is gone but whose watchdog never ran (e.g. both were
/// killed together). Runs under the machine-wide lock, so no live cluster is touched.
fn reap_abandoned() -> Result<()> {
    for entry in std::fs::read_dir(RUN_DIR)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("holder-") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let mut lines = text.lines();
        let (Some(pid), Some(dir)) = (lines.next(), lines.next()) else {
            continue;
        };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        let stop = Path::new(dir).join("stop.sh");
        if stop.exists() {
            tracing::warn!(dir, "stopping a cluster its holder left behind");
            let _ = Command::new("bash").arg(&stop).status();
        }
        let _ = std::fs::remove_file(entry.path());
    }
    Ok(())
}

fn read_env(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// kubelet, kube-proxy, kube-controller-manager, kube-scheduler and kubectl, built once by
/// `tools/k8s-node/build.sh` (`$SLB_TESTKIT_NODE_BIN_DIR` when set, as scripts/test.sh does).
///
/// # Errors
/// With the build's log when it fails.
pub fn node_binary_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("SLB_TESTKIT_NODE_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let script = repo_root().join("tools/k8s-node/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("K8S_VERSION", crate::K8S_VERSION)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
}

/// The repository root (tools/ and deploy/ live there).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Cluster folders go to /tmp, not tmpfs: containerd's overlay snapshots need a real
/// filesystem for overlayfs upper dirs, and images are tens of megabytes.
fn scratch_parent() -> PathBuf {
    std::env::temp_dir()
}
