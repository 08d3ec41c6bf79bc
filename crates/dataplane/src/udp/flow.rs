//! The sans-io UDP flow table: which client flows exist, when each was last active, and
//! which ones the idle timeout evicts.
//!
//! Inputs go in as method calls with `now` passed in; decisions come out as return values.
//! No sockets, no clocks, no tasks: the shell in `udp` owns those and obeys the table. The
//! table does not pick backends (the pool does) and does not know about hairpins.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

/// Default cap on concurrent flows per listener, so a source-spoofing flood cannot exhaust
/// file descriptors (each flow owns one upstream socket).
pub const DEFAULT_MAX_FLOWS: usize = 16 * 1024;

/// What to do with a datagram from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// A flow exists: forward on its upstream socket.
    Forward,
    /// No flow yet: pick a backend and call [`FlowTable::open`].
    NewFlow,
    /// No flow and the table is full: drop the datagram.
    DropFull,
}

/// Why a flow left the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// No datagram either way for the idle timeout.
    Idle,
    /// The shell closed it (backend removed, upstream error, listener closed).
    Closed(&'static str),
}

impl Eviction {
    /// Stable label for metrics.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Closed(reason) => reason,
        }
    }
}

/// One client flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// The backend this flow is pinned to.
    pub backend: SocketAddr,
    /// Last datagram in either direction.
    pub last_seen: Instant,
}

/// The flow table of one UDP listener.
#[derive(Debug)]
pub struct FlowTable {
    flows: HashMap<SocketAddr, Flow>,
    idle_timeout: Duration,
    max_flows: usize,
}

impl FlowTable {
    /// An empty table.
    pub fn new(idle_timeout: Duration, max_flows: usize) -> Self {
        Self {
            flows: HashMap::new(),
            idle_timeout,
            max_flows,
        }
    }

    /// Changes the idle timeout for every flow (live reconfiguration).
    pub fn set_idle_timeout(&mut self, idle_timeout: Duration) {
        self.idle_timeout = idle_timeout;
    }

    /// Number of open flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no flow is open.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flow of `client`, if any.
    pub fn get(&self, client: SocketAddr) -> Option<&Flow> {
        self.flows.get(&client)
    }

    /// A datagram arrived from `client`: touches its flow or says a new one is needed.
    pub fn on_client_datagram(&mut self, now: Instant, client: SocketAddr) -> Inbound {
        if let Some(f) = self.flows.get_mut(&client) {
            f.last_seen = now;
            return Inbound::Forward;
        }
        if self.flows.len() >= self.max_flows {
            Inbound::DropFull
        } else {
            Inbound::NewFlow
        }
    }

    /// Records a new flow after the shell picked `backend` and opened its socket.
    pub fn open(&mut self, now: Instant, client: SocketAddr, backend: SocketAddr) {
        self.flows.insert(
            client,
            Flow {
                backend,
                last_seen: now,
            },
        );
    }

    /// A reply reached `client`: keeps its flow alive.
    pub fn on_reply(&mut self, now: Instant, client: SocketAddr) {
        if let Some(f) = self.flows.get_mut(&client) {
            f.last_seen = f.last_seen.max(now);
        }
    }

    /// The shell ended a flow; returns it with the eviction to count, if it was open.
    pub fn close(&mut self, client: SocketAddr, reason: &'static str) -> Option<(Flow, Eviction)> {
        self.flows
            .remove(&client)
            .map(|f| (f, Eviction::Closed(reason)))
    }

    /// Removes and returns every flow idle for at least the idle timeout at `now`.
    pub fn evict_idle(&mut self, now: Instant) -> Vec<(SocketAddr, Flow)> {
        let idle = self.idle_timeout;
        let expired: Vec<SocketAddr> = self
            .flows
            .iter()
            .filter(|(_, f)| now.saturating_duration_since(f.last_seen) >= idle)
            .map(|(c, _)| *c)
            .collect();
        expired
            .into_iter()
            .filter_map(|c| self.flows.remove(&c).map(|f| (c, f)))
            .collect()
    }

    /// How often the shell should call [`FlowTable::evict_idle`]: a quarter of the idle
    /// timeout, clamped to 10 ms – 1 s, so a flow lives at most 25 % (or 1 s) too long.
    pub fn sweep_interval(&self) -> Duration {
        (self.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
    }
}

#[cfg(test)]
mod tests;
