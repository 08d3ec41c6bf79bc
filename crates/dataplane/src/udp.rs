//! The UDP shell: one listening socket, one connected upstream socket per client flow, and
//! the sans-io [`flow::FlowTable`] deciding when flows open and expire.
//!
//! The main loop receives client datagrams and forwards them; each flow has a task that
//! relays replies back through the listening socket and reports activity. Hairpin refusal
//! and backend choice come from the pool; a new flow takes its upstream descriptor from the
//! budget or its datagram is dropped (`connect_errors{kind="fd_budget"}`). Datagrams are never reassembled or inspected.

pub mod flow;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::fds::{FdBudget, FdPermit};
use crate::pool::{ActiveGuard, Pool};
use crate::ppv2;
use flow::{DEFAULT_MAX_FLOWS, FlowTable, Inbound};

/// Largest UDP payload.
const MAX_DATAGRAM: usize = 64 * 1024;

/// What flow tasks tell the main loop.
#[derive(Debug)]
enum FlowEvent {
    Reply(SocketAddr, Instant),
    Closed(SocketAddr, &'static str),
}

struct FlowHandle {
    upstream: Arc<UdpSocket>,
    /// PROXY v2 header prepended to each datagram, when enabled.
    header: Option<Vec<u8>>,
    cancel: CancellationToken,
}

/// Serves one UDP listener until `stop` fires.
pub(crate) async fn serve(
    socket: UdpSocket,
    pool: Arc<Pool>,
    budget: FdBudget,
    stop: CancellationToken,
) {
    let socket = Arc::new(socket);
    let local = socket.local_addr().ok();
    let mut table = FlowTable::new(pool.settings().udp_idle_timeout, DEFAULT_MAX_FLOWS);
    let mut flows: HashMap<SocketAddr, FlowHandle> = HashMap::new();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut out = Vec::with_capacity(MAX_DATAGRAM + ppv2::MAX_LEN);
    let mut sweep = tokio::time::interval(table.sweep_interval());
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = sweep.tick() => {
                table.set_idle_timeout(pool.settings().udp_idle_timeout);
                for (client, _) in table.evict_idle(Instant::now()) {
                    end_flow(&mut flows, client, "idle", &pool);
                }
            }
            Some(ev) = events.recv() => match ev {
                FlowEvent::Reply(client, at) => table.on_reply(at, client),
                FlowEvent::Closed(client, reason) => {
                    if table.close(client, reason).is_some() {
                        end_flow(&mut flows, client, reason, &pool);
                    }
                }
            },
            r = socket.recv_from(&mut buf) => {
                let (n, client) = match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!(listener = %pool.id, error = %e, "udp recv failed");
                        continue;
                    }
                };
                let now = Instant::now();
                match table.on_client_datagram(now, client) {
                    Inbound::Forward => {}
                    Inbound::DropFull => {
                        pool.metrics.connect_error("flow_table_full");
                        continue;
                    }
                    Inbound::NewFlow => {
                        let Some(h) = open_flow(&socket, local, client, &pool, &budget, &events_tx) else { continue };
                        table.open(now, client, h.upstream.peer_addr().unwrap_or(client));
                        flows.insert(client, h);
                    }
                }
                if let Some(h) = flows.get(&client) {
                    let payload = match &h.header {
                        None => &buf[..n],
                        Some(hdr) => {
                            out.clear();
                            out.extend_from_slice(hdr);
                            out.extend_from_slice(&buf[..n]);
                            &out[..]
                        }
                    };
                    match h.upstream.send(payload).await {
                        Ok(_) => {
                            pool.metrics.bytes_in.inc_by(n as u64);
                        }
                        Err(e) => tracing::debug!(listener = %pool.id, %client, error = %e, "udp send upstream failed"),
                    }
                }
            }
        }
    }
    for client in flows.keys().copied().collect::<Vec<_>>() {
        end_flow(&mut flows, client, "listener_closed", &pool);
    }
}

fn end_flow(
    flows: &mut HashMap<SocketAddr, FlowHandle>,
    client: SocketAddr,
    reason: &'static str,
    pool: &Pool,
) {
    if let Some(h) = flows.remove(&client) {
        h.cancel.cancel();
        pool.metrics.flow_evicted(reason);
        tracing::debug!(listener = %pool.id, %client, reason, "udp flow closed");
    }
}

/// Refuses hairpins and sources the ACL refuses, picks a backend, opens a connected upstream socket and starts the
/// reply task. `None` means the datagram is dropped (and counted).
fn open_flow(
    down: &Arc<UdpSocket>,
    local: Option<SocketAddr>,
    client: SocketAddr,
    pool: &Arc<Pool>,
    budget: &FdBudget,
    events: &mpsc::UnboundedSender<FlowEvent>,
) -> Option<FlowHandle> {
    if pool.is_hairpin(client.ip()) {
        pool.metrics.hairpin.inc();
        tracing::debug!(listener = %pool.id, %client, "hairpin flow refused");
        return None;
    }
    if !pool.admits(client.ip()) {
        tracing::debug!(listener = %pool.id, %client, "datagram refused by the ACL");
        return None;
    }
    let Some(fds) = budget.try_acquire_udp() else {
        pool.metrics.connect_error("fd_budget");
        return None;
    };
    let Some(guard) = pool.pick(client, local.unwrap_or(client)) else {
        pool.metrics.connect_error("no_backend");
        return None;
    };
    let backend = guard.backend().addr;
    let upstream = match connect_upstream(backend) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            pool.metrics.connect_error("io");
            tracing::debug!(listener = %pool.id, %client, %backend, error = %e, "udp upstream socket failed");
            return None;
        }
    };
    pool.metrics.flows_created.inc();
    let header = (pool.settings().proxy_protocol_v2).then(|| {
        let mut h = Vec::with_capacity(ppv2::MAX_LEN);
        ppv2::encode(
            &mut h,
            ppv2::Transport::Datagram,
            client,
            local.unwrap_or(client),
        );
        h
    });
    let cancel = CancellationToken::new();
    let task = FlowTask {
        _fds: fds,
        up: Arc::clone(&upstream),
        down: Arc::clone(down),
        client,
        guard,
        pool: Arc::clone(pool),
        events: events.clone(),
        cancel: cancel.clone(),
        touch_every: pool.settings().udp_idle_timeout / 4,
    };
    tokio::spawn(task.run());
    Some(FlowHandle {
        upstream,
        header,
        cancel,
    })
}

fn connect_upstream(backend: SocketAddr) -> std::io::Result<UdpSocket> {
    let any = match backend.ip() {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    let std_sock = std::net::UdpSocket::bind(any)?;
    std_sock.connect(backend)?;
    std_sock.set_nonblocking(true)?;
    UdpSocket::from_std(std_sock)
}

/// The reply side of one flow.
struct FlowTask {
    /// The flow's upstream descriptor, returned to the budget when the task ends.
    _fds: FdPermit,
    up: Arc<UdpSocket>,
    down: Arc<UdpSocket>,
    client: SocketAddr,
    guard: ActiveGuard,
    pool: Arc<Pool>,
    events: mpsc::UnboundedSender<FlowEvent>,
    cancel: CancellationToken,
    /// Activity is reported at most this often, to keep channel traffic low.
    touch_every: Duration,
}

impl FlowTask {
    /// Relays replies to the client until cancelled, the backend is killed, or the upstream
    /// socket fails.
    async fn run(self) {
        let Self {
            _fds,
            up,
            down,
            client,
            guard,
            pool,
            events,
            cancel,
            touch_every,
        } = self;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut last_touch: Option<Instant> = None;
        let backend = Arc::clone(guard.backend());
        let reason = loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = backend.kill.cancelled() => break "backend_removed",
                r = up.recv(&mut buf) => match r {
                    Ok(n) => {
                        if down.send_to(&buf[..n], client).await.is_ok() {
                            pool.metrics.bytes_out.inc_by(n as u64);
                        }
                        let now = Instant::now();
                        if last_touch.is_none_or(|t| now.duration_since(t) >= touch_every) {
                            last_touch = Some(now);
                            let _ = events.send(FlowEvent::Reply(client, now));
                        }
                    }
                    Err(e) => {
                        tracing::debug!(listener = %pool.id, %client, error = %e, "udp upstream recv failed");
                        break "upstream_error";
                    }
                },
            }
        };
        let _ = events.send(FlowEvent::Closed(client, reason));
        drop(guard);
    }
}
