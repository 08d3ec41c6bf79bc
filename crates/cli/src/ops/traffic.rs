//! The demo's two ends of the traffic: small TCP servers standing for nodes (each answers a
//! connection with its node name and closes, as a NodePort would reach a pod there), and a
//! client that opens many connections through a VIP and counts who answered, showing live
//! counts on a terminal.
//!
//! Not a benchmark: connections are short and few; the point is the split, not the rate.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// What counts a connection that got no name back.
pub const NO_ANSWER: &str = "(no answer)";
/// Connections in flight at once.
const CONCURRENCY: usize = 16;
/// How long one connection may take before it counts as no answer.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(3);

/// Running node servers; they stop when this is dropped.
#[derive(Debug, Default)]
pub struct NodeServers {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for NodeServers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl NodeServers {
    /// Starts a server for node `name` on `addr` that answers every connection with `name`.
    ///
    /// # Errors
    /// When `addr` cannot be bound, with the likely cause.
    pub async fn start(&mut self, name: &str, addr: SocketAddr) -> anyhow::Result<()> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!(
                "node {name}: cannot listen on {addr}: {e}. Is another demo running? (On macOS \
                 only 127.0.0.1 exists by default: add the address with `sudo ifconfig lo0 \
                 alias {}`, or pass other addresses with --node-ips.)",
                addr.ip()
            )
        })?;
        let answer: Arc<[u8]> = name.as_bytes().into();
        self.tasks.push(tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let _ = conn.write_all(&answer).await;
                    let _ = conn.shutdown().await;
                });
            }
        }));
        Ok(())
    }
}

/// Waits until something accepts connections on `addr` (the data plane applies listeners
/// asynchronously); false after `timeout`.
pub async fn wait_listening(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

async fn ask(addr: SocketAddr) -> String {
    let answer = tokio::time::timeout(CONNECTION_TIMEOUT, async {
        let mut conn = TcpStream::connect(addr).await.ok()?;
        let mut name = String::new();
        conn.read_to_string(&mut name).await.ok()?;
        Some(name)
    })
    .await;
    match answer {
        Ok(Some(name)) if !name.is_empty() => name,
        _ => NO_ANSWER.to_owned(),
    }
}

/// Opens `n` connections to `addr` and counts the answers by node name. On a terminal it
/// shows `label` with a live count on stderr.
pub async fn split(addr: SocketAddr, n: usize, label: &str) -> BTreeMap<String, usize> {
    let done = Arc::new(AtomicUsize::new(0));
    let live = std::io::stderr().is_terminal();
    let progress = live.then(|| {
        let done = done.clone();
        let label = label.to_owned();
        tokio::spawn(async move {
            loop {
                eprint!(
                    "\r  {label}: {}/{n} connections",
                    done.load(Ordering::Relaxed)
                );
                let _ = std::io::stderr().flush();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    });
    let mut seen = BTreeMap::new();
    let mut set = JoinSet::new();
    let mut started = 0;
    while started < n || !set.is_empty() {
        while started < n && set.len() < CONCURRENCY {
            set.spawn(ask(addr));
            started += 1;
        }
        if let Some(result) = set.join_next().await {
            let name = result.unwrap_or_else(|_| NO_ANSWER.to_owned());
            *seen.entry(name).or_insert(0) += 1;
            done.fetch_add(1, Ordering::Relaxed);
        }
    }
    if let Some(p) = progress {
        p.abort();
        eprintln!("\r  {label}: {n}/{n} connections");
    }
    seen
}
