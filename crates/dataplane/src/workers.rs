//! I/O worker threads: a few single-threaded tokio runtimes that carry the traffic, in the
//! style of HAProxy's threads and pingora's per-core listeners.
//!
//! Every TCP listener gets one listening socket per worker (`SO_REUSEPORT`), so the kernel
//! spreads new connections over the workers and each connection lives on one thread: no
//! cross-thread wake-ups on the hot path. A UDP listener lives on one worker (its flow table
//! is per socket). The control loop, health probes and drain timers stay on the caller's
//! runtime. With zero workers everything runs on the caller's runtime instead. This module
//! does not decide anything; it only binds sockets and places tasks.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpSocket, UdpSocket};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::fds::FdBudget;
use crate::pool::Pool;
use crate::tcp::Connect;
use crate::tls::TlsSlot;
use crate::{http, tcp, udp};

/// Listen backlog per socket: enough for connection bursts on one VIP.
const BACKLOG: u32 = 4096;

/// What a TCP listener's accept loops run.
pub(crate) enum StreamShell {
    /// The byte relay (`tcp`).
    Tcp,
    /// The HTTP proxy (`http`); HTTPS with a TLS configuration.
    Http(Option<Arc<TlsSlot>>),
}

/// The runtimes traffic runs on; dropping this stops the worker threads.
pub(crate) struct IoWorkers {
    handles: Vec<Handle>,
    /// Whether the handles are our own threads (then TCP listeners use `SO_REUSEPORT`).
    own_threads: bool,
    _stop: Option<DropGuard>,
}

impl IoWorkers {
    /// Starts `n` worker threads; with `n == 0`, or if a thread cannot start, traffic runs
    /// on the current runtime.
    pub(crate) fn start(n: usize) -> Self {
        let stop = CancellationToken::new();
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            match spawn_thread(i, stop.clone()) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot start data plane I/O thread; using the caller's runtime");
                    stop.cancel();
                    handles.clear();
                    break;
                }
            }
        }
        if handles.is_empty() {
            return Self {
                handles: vec![Handle::current()],
                own_threads: false,
                _stop: None,
            };
        }
        Self {
            handles,
            own_threads: true,
            _stop: Some(stop.drop_guard()),
        }
    }

    /// Binds `addr` once per worker and starts an accept loop on each: the TCP relay, or the
    /// HTTP proxy (with TLS when the shell carries it).
    pub(crate) fn serve_tcp(
        &self,
        shell: &StreamShell,
        addr: SocketAddr,
        pool: &Arc<Pool>,
        connector: &Arc<dyn Connect>,
        budget: &FdBudget,
        stop: &CancellationToken,
    ) -> io::Result<(SocketAddr, Vec<JoinHandle<()>>)> {
        let mut bound = addr;
        let mut sockets = Vec::with_capacity(self.handles.len());
        for _ in &self.handles {
            let sock = if addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            sock.set_reuseaddr(true)?;
            if self.own_threads {
                sock.set_reuseport(true)?;
            }
            // The first bind may pick an ephemeral port; the others join that port.
            sock.bind(bound)?;
            bound = sock.local_addr()?;
            sockets.push(sock);
        }
        // Listen on every socket before spawning anything, so a failure leaves no loop behind.
        let mut listeners = Vec::with_capacity(sockets.len());
        for (sock, handle) in sockets.into_iter().zip(&self.handles) {
            // Register the socket with the worker's own I/O driver.
            let _enter = handle.enter();
            listeners.push((sock.listen(BACKLOG)?, handle));
        }
        let tasks = listeners
            .into_iter()
            .map(|(listener, handle)| {
                let (pool, connector) = (Arc::clone(pool), Arc::clone(connector));
                let (budget, stop) = (budget.clone(), stop.clone());
                match shell {
                    StreamShell::Http(tls) => {
                        let tls = tls.clone();
                        let shell = http::Shell {
                            pool,
                            connector,
                            budget,
                            stop,
                            tls,
                        };
                        handle.spawn(http::serve(listener, shell))
                    }
                    StreamShell::Tcp => {
                        handle.spawn(tcp::serve(listener, pool, connector, budget, stop))
                    }
                }
            })
            .collect();
        Ok((bound, tasks))
    }

    /// Binds a UDP listener on the first worker.
    pub(crate) fn serve_udp(
        &self,
        addr: SocketAddr,
        pool: &Arc<Pool>,
        budget: &FdBudget,
        stop: &CancellationToken,
    ) -> io::Result<(SocketAddr, Vec<JoinHandle<()>>)> {
        let std_sock = std::net::UdpSocket::bind(addr)?;
        std_sock.set_nonblocking(true)?;
        let bound = std_sock.local_addr()?;
        let Some(handle) = self.handles.first() else {
            return Err(io::Error::other("no I/O worker"));
        };
        let socket = {
            let _enter = handle.enter();
            UdpSocket::from_std(std_sock)?
        };
        Ok((
            bound,
            vec![handle.spawn(udp::serve(
                socket,
                Arc::clone(pool),
                budget.clone(),
                stop.clone(),
            ))],
        ))
    }
}

fn spawn_thread(index: usize, stop: CancellationToken) -> io::Result<Handle> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("slb-dataplane-{index}"))
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let _ = tx.send(Ok(rt.handle().clone()));
            rt.block_on(async {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = pacemaker() => {}
                }
            });
        })?;
    rx.recv()
        .map_err(|_| io::Error::other("I/O thread exited during start-up"))?
}

/// Keeps a timer due within the next second on a worker, forever. Tokio wakes its own
/// driver (an `eventfd` write and one more `epoll_wait`) whenever a new timer is due before
/// every pending one; with short-lived connections the wheel was often empty, so most
/// connections' first timer (the watchdog's) paid that. Now only timers due within a second do.
async fn pacemaker() {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
