//! Running code inside a network namespace of the real test cluster.
//!
//! The cluster's node and its "cloud" live in network namespaces of their own (see
//! `tools/k8s-node/start.sh`). A test reaches them in one of two ways: [`in_netns`] runs a
//! closure on a fresh thread moved into the namespace (every socket that thread creates belongs
//! there, so plain `std::net` code sends real traffic to pod, node and VIP addresses), and
//! [`Forward`] exposes one address of a namespace on the host's loopback through socat, for
//! clients such as `reqwest` whose sockets are opened on other threads.

use crate::process::Supervised;
use anyhow::{Context, Result, anyhow};
use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::Path;
use std::thread::JoinHandle;

/// Runs `work` on a new thread inside the network namespace `/run/netns/<netns>`.
///
/// The thread's sockets (and only that thread's) live in the namespace. Join the handle for
/// the closure's result; moving into the namespace failing is an error there, never a panic.
pub fn in_netns<R, F>(netns: &str, work: F) -> JoinHandle<Result<R>>
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    let path = Path::new("/run/netns").join(netns);
    std::thread::spawn(move || {
        let file =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        move_into_link_name_space(file.as_fd(), Some(LinkNameSpaceType::Network))
            .with_context(|| format!("setns into {} (needs root)", path.display()))?;
        Ok(work())
    })
}

/// Joins a thread started by [`in_netns`], turning a panic into an error.
///
/// # Errors
/// When the thread could not enter the namespace or panicked.
pub fn join<R>(handle: JoinHandle<Result<R>>) -> Result<R> {
    handle
        .join()
        .map_err(|_| anyhow!("the thread inside the network namespace panicked"))?
}

/// `target` (an address inside a network namespace) served on the host's `127.0.0.1:<port>`.
///
/// Two socat processes joined by a unix socket, which crosses namespaces: one inside the
/// namespace connects to `target`, one on the host listens on loopback. Both stop when this is
/// dropped or the test process exits.
pub struct Forward {
    addr: SocketAddr,
    _inside: Supervised,
    _outside: Supervised,
    _dir: tempfile::TempDir,
}

impl Forward {
    /// Starts the forward and waits (up to 5 s) until the host side accepts connections.
    ///
    /// # Errors
    /// When socat is missing or the loopback port does not open.
    pub fn start(netns: &str, target: SocketAddr) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("slb-testkit-forward")
            .tempdir()
            .context("creating the forward's folder")?;
        let sock = dir.path().join("s.sock");
        let port = crate::control_plane::free_port()?;
        let inside_args = [
            format!("--net=/run/netns/{netns}"),
            "socat".to_owned(),
            format!("UNIX-LISTEN:{},fork,unlink-early", sock.display()),
            format!("TCP:{target}"),
        ];
        let root = dir.path().join("root");
        let inside = Supervised::spawn(
            "socat (namespace side)",
            Path::new("nsenter"),
            &inside_args,
            (&root, &root),
            &dir.path().join("inside.log"),
        )?;
        let outside_args = [
            format!("TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr"),
            format!("UNIX-CONNECT:{}", sock.display()),
        ];
        let outside = Supervised::spawn(
            "socat (host side)",
            Path::new("socat"),
            &outside_args,
            (&root, &root),
            &dir.path().join("outside.log"),
        )?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..100 {
            if sock.exists() && std::net::TcpStream::connect(addr).is_ok() {
                return Ok(Self {
                    addr,
                    _inside: inside,
                    _outside: outside,
                    _dir: dir,
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(anyhow!(
            "the forward of {target} in {netns} did not open {addr}"
        ))
    }

    /// The host address that reaches the target.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
