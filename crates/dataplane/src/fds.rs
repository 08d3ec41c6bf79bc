//! The proxy's file-descriptor budget, so it never runs out of descriptors.
//!
//! At start the soft `RLIMIT_NOFILE` is raised to the hard limit ([`raise_nofile_limit`]). A
//! reserve is kept for everything else the process opens (API connections, the store,
//! listening sockets, health probes, pooled pipes); the rest is the budget ([`plan`]). A
//! proxied TCP connection holds up to [`TCP_CONNECTION_FDS`] descriptors (client socket,
//! upstream socket, one splice pipe of two descriptors per direction), a UDP flow
//! [`UDP_FLOW_FDS`]. A TCP accept loop takes a connection's share *before* accepting, so at
//! the budget the proxy stops accepting and new connections wait in the kernel's backlog
//! until one ends (backpressure), instead of being accepted and then stalled on `EMFILE`. A
//! new UDP flow beyond the budget drops its datagram, as a full flow table does.
//!
//! [`plan`] is pure; the rest is a semaphore and one system call.

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Descriptors one proxied TCP connection may hold.
pub const TCP_CONNECTION_FDS: u32 = 6;
/// Descriptors one UDP flow holds (its connected upstream socket).
pub const UDP_FLOW_FDS: u32 = 1;
/// Default reserve for everything but proxied connections.
pub const DEFAULT_RESERVE: u64 = 512;
/// Most empty splice pipes kept for reuse (each is two descriptors).
pub const MAX_POOLED_PIPES: u64 = 256;

/// The process's descriptor limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileLimit {
    /// Soft limit in effect (after raising it).
    pub soft: u64,
    /// Hard limit.
    pub hard: u64,
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the limits in effect.
/// Where that is not possible (not Linux, or refused), returns what is in effect.
pub fn raise_nofile_limit() -> NofileLimit {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let before = getrlimit(Resource::Nofile);
        // `None` is "unlimited"; a descriptor table has a finite size anyway.
        let hard = before.maximum.unwrap_or(1 << 20);
        let soft = before.current.unwrap_or(hard);
        if soft < hard {
            let raised = Rlimit {
                current: Some(hard),
                maximum: before.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(error = %e, soft, hard, "cannot raise the descriptor limit");
                return NofileLimit { soft, hard };
            }
        }
        NofileLimit { soft: hard, hard }
    }
    #[cfg(not(target_os = "linux"))]
    {
        NofileLimit {
            soft: 1024,
            hard: 1024,
        }
    }
}

/// How a descriptor limit is shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdPlan {
    /// Descriptors proxied connections and flows may hold together.
    pub budget: u32,
    /// Empty splice pipes kept for reuse (inside the reserve).
    pub pooled_pipes: usize,
}

/// Shares out `limit` descriptors keeping `reserve` for the rest of the process. The budget
/// always admits at least one TCP connection, so the proxy never stops entirely; pooled
/// pipes take at most a quarter of the reserve.
pub fn plan(limit: u64, reserve: u64) -> FdPlan {
    let budget = limit
        .saturating_sub(reserve)
        .max(u64::from(TCP_CONNECTION_FDS));
    FdPlan {
        budget: u32::try_from(budget).unwrap_or(u32::MAX >> 3),
        pooled_pipes: usize::try_from((reserve / 8).min(MAX_POOLED_PIPES)).unwrap_or(0),
    }
}

/// The shared budget: taken per connection or flow, returned when its [`FdPermit`] drops.
#[derive(Debug, Clone)]
pub struct FdBudget {
    permits: Arc<Semaphore>,
    in_use: Gauge,
    /// Times an accept loop waited for descriptors (backpressure engaged).
    pub waits: Counter,
}

/// Descriptors held by one connection or flow.
#[derive(Debug)]
pub struct FdPermit {
    _permit: OwnedSemaphorePermit,
    in_use: Gauge,
    count: u32,
}

impl Drop for FdPermit {
    fn drop(&mut self) {
        self.in_use.dec_by(i64::from(self.count));
    }
}

impl FdBudget {
    /// A budget of `fds` descriptors, reporting use on `in_use`.
    pub fn new(fds: u32, in_use: Gauge, waits: Counter) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(fds as usize)),
            in_use,
            waits,
        }
    }

    /// Waits until a TCP connection's descriptors are free and takes them.
    pub async fn acquire_tcp(&self) -> FdPermit {
        let permit = match Arc::clone(&self.permits).try_acquire_many_owned(TCP_CONNECTION_FDS) {
            Ok(p) => p,
            Err(_) => {
                self.waits.inc();
                // The semaphore is never closed, so this only waits.
                match Arc::clone(&self.permits)
                    .acquire_many_owned(TCP_CONNECTION_FDS)
                    .await
                {
                    Ok(p) => p,
                    Err(_) => return std::future::pending().await,
                }
            }
        };
        self.wrap(permit, TCP_CONNECTION_FDS)
    }

    /// Takes a UDP flow's descriptor if one is free.
    pub fn try_acquire_udp(&self) -> Option<FdPermit> {
        let permit = Arc::clone(&self.permits)
            .try_acquire_many_owned(UDP_FLOW_FDS)
            .ok()?;
        Some(self.wrap(permit, UDP_FLOW_FDS))
    }

    /// Descriptors free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    fn wrap(&self, permit: OwnedSemaphorePermit, count: u32) -> FdPermit {
        self.in_use.inc_by(i64::from(count));
        FdPermit {
            _permit: permit,
            in_use: self.in_use.clone(),
            count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_kept_and_pooled_pipes_fit_inside_it() {
        assert_eq!(
            plan(20_000, 512),
            FdPlan {
                budget: 19_488,
                pooled_pipes: 64
            }
        );
        assert_eq!(plan(1 << 20, 4096).pooled_pipes, 256);
    }

    #[test]
    fn a_limit_below_the_reserve_still_admits_one_connection() {
        assert_eq!(plan(100, 512).budget, TCP_CONNECTION_FDS);
    }

    #[tokio::test]
    async fn connections_beyond_the_budget_wait_until_one_ends() {
        let budget = FdBudget::new(12, Gauge::default(), Counter::default());
        let a = budget.acquire_tcp().await;
        let _b = budget.acquire_tcp().await;
        assert_eq!(budget.available(), 0);
        assert!(
            budget.try_acquire_udp().is_none(),
            "no descriptor left for a flow"
        );
        let third = tokio::spawn({
            let budget = budget.clone();
            async move { budget.acquire_tcp().await }
        });
        tokio::task::yield_now().await;
        assert!(!third.is_finished(), "the third connection waits");
        drop(a);
        let _c = third.await.unwrap();
        assert_eq!(budget.waits.get(), 1);
        assert_eq!(budget.in_use.get(), 12);
    }
}
