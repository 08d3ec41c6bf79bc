//! Loopback test servers and helpers shared by the proxy tests.
#![allow(clippy::unwrap_used, dead_code)]

pub mod tls;
pub mod web;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use prometheus_client::registry::Registry;
use slb_dataplane::{
    ApplyStatus, BackendConfig, DataPlane, DataPlaneConfig, DataPlaneHandle, ListenerConfig,
    ListenerStatus, Protocol,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// Generous upper bound for anything that should happen "soon".
pub const SOON: Duration = Duration::from_secs(5);

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A data plane plus its registry (to read metrics).
pub struct Harness {
    pub dp: DataPlaneHandle,
    pub registry: Registry,
}

impl Harness {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let dp = DataPlane::spawn(&mut registry);
        Self { dp, registry }
    }

    /// A data plane on one I/O thread whose descriptor budget holds `fds` descriptors
    /// (above a reserve of 100 for everything else).
    pub fn with_fd_budget(fds: u32) -> Self {
        const RESERVE: u64 = 100;
        let mut registry = Registry::default();
        let dp = DataPlane::spawn_with_options(
            &mut registry,
            slb_dataplane::plane::Options {
                io_threads: 1,
                fd_reserve: RESERVE,
                fd_limit: Some(RESERVE + u64::from(fds)),
                ..slb_dataplane::plane::Options::default()
            },
        );
        Self { dp, registry }
    }

    /// Applies `listeners` and returns the bound address of each, in order.
    pub async fn apply(&self, listeners: &[ListenerConfig]) -> Vec<SocketAddr> {
        let status = self
            .dp
            .apply(DataPlaneConfig {
                listeners: listeners.to_vec(),
            })
            .await
            .unwrap();
        listeners.iter().map(|l| bound(&status, &l.id)).collect()
    }

    /// The metrics text exposition.
    pub fn metrics(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).unwrap();
        out
    }

    /// The value of the first series whose line starts with `prefix`, or 0.
    pub fn metric(&self, prefix: &str) -> f64 {
        self.metrics()
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .map_or(0.0, |v| v.parse().unwrap())
    }

    /// Polls `metric(prefix)` until it reaches `want` or SOON passes.
    pub async fn wait_metric(&self, prefix: &str, want: f64) {
        let deadline = tokio::time::Instant::now() + SOON;
        while self.metric(prefix) < want {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{prefix} never reached {want}:\n{}",
                self.metrics()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

pub fn bound(status: &ApplyStatus, id: &str) -> SocketAddr {
    match status.listeners.get(id) {
        Some(ListenerStatus::Bound(a)) => *a,
        other => panic!("listener {id} not bound: {other:?} ({status:?})"),
    }
}

pub fn listener(
    id: &str,
    protocol: Protocol,
    vip: &str,
    backends: &[(SocketAddr, u8)],
) -> ListenerConfig {
    let mut l = ListenerConfig::new(id, protocol, SocketAddr::new(ip(vip), 0));
    l.backends = backends
        .iter()
        .map(|&(addr, weight)| BackendConfig { addr, weight })
        .collect();
    l.connect_timeout = Duration::from_secs(2);
    l
}

/// A TCP server that writes its one-byte id on every connection and closes it.
pub async fn id_server(at: SocketAddr, id: u8) -> (SocketAddr, JoinHandle<()>) {
    let l = TcpListener::bind(at).await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = s.write_all(&[id]).await;
            });
        }
    });
    (addr, task)
}

/// A TCP echo server: echoes until EOF, then closes its write side.
pub async fn echo_server(at: &str) -> (SocketAddr, JoinHandle<()>) {
    let l = TcpListener::bind(SocketAddr::new(ip(at), 0)).await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                let _ = w.shutdown().await;
            });
        }
    });
    (addr, task)
}

/// A UDP echo server.
pub async fn udp_echo(at: &str) -> SocketAddr {
    let s = UdpSocket::bind(SocketAddr::new(ip(at), 0)).await.unwrap();
    let addr = s.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        loop {
            let Ok((n, from)) = s.recv_from(&mut buf).await else {
                return;
            };
            let _ = s.send_to(&buf[..n], from).await;
        }
    });
    addr
}

/// Connects from `from_ip` (port 0) to `to`.
pub async fn connect_from(from_ip: &str, to: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(ip(from_ip), 0)).unwrap();
    sock.connect(to).await.unwrap()
}

/// Reads everything until EOF (or a reset, which counts as the end).
pub async fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(SOON, s.read(&mut buf))
            .await
            .expect("read timed out")
        {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Opens a connection through the proxy and returns the id byte the backend sent, or None
/// when the proxy closed it without data.
pub async fn which_backend(proxy: SocketAddr) -> Option<u8> {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    read_to_end(&mut s).await.first().copied()
}

/// Writes `msg` and reads the same number of bytes back.
pub async fn echo_once(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    s.write_all(msg).await?;
    let mut back = vec![0u8; msg.len()];
    tokio::time::timeout(SOON, s.read_exact(&mut back))
        .await
        .expect("echo timed out")?;
    Ok(back)
}
