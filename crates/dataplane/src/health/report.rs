//! The health checker's conclusions, readable from outside the data plane: each backend's
//! [`BackendHealth`] and the [`HealthIndex`] of the running listeners' pools that
//! [`crate::DataPlaneHandle::backend_health`] reads (the local CLB's `DescribeHealthStatus`
//! answers from it).
//!
//! It reports the very flags selection reads, so the answer is what the proxy does. It does
//! not probe (see `probe`) and does not apply thresholds (see [`super::HealthState`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use crate::pool::Pool;

/// What the health checker says about one backend of one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendHealth {
    /// No probe has given a verdict since health checking started for this backend, or
    /// health checking is off. The proxy forwards to it meanwhile (backends start healthy).
    Unchecked,
    /// Probed, and taking new connections.
    Healthy,
    /// Ejected: failed `unhealthy_threshold` probes in a row and has not recovered.
    Unhealthy,
}

/// The pools of the running listeners by listener id, replaced after every applied snapshot.
#[derive(Debug, Default)]
pub(crate) struct HealthIndex {
    pools: RwLock<HashMap<String, Arc<Pool>>>,
}

impl HealthIndex {
    /// Replaces the indexed pools with `pools` (listener id, pool).
    pub(crate) fn replace(&self, pools: impl IntoIterator<Item = (String, Arc<Pool>)>) {
        let fresh: HashMap<String, Arc<Pool>> = pools.into_iter().collect();
        // A poisoned lock only means a reader panicked; the map itself is whole.
        let mut guard = self
            .pools
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = fresh;
    }

    /// The health of `backend` under listener `listener_id`; `None` when no such listener
    /// runs or it has no such backend.
    pub(crate) fn backend_health(
        &self,
        listener_id: &str,
        backend: SocketAddr,
    ) -> Option<BackendHealth> {
        let pool = {
            let guard = self
                .pools
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(guard.get(listener_id)?)
        };
        pool.backend_health(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BackendConfig, ListenerConfig, Protocol};
    use crate::metrics::Metrics;

    const A: &str = "127.0.0.1:1001";

    fn indexed_pool() -> (HealthIndex, Arc<Pool>) {
        let mut cfg = ListenerConfig::new(
            "lb-1/tcp/80",
            Protocol::Tcp,
            "127.0.0.1:80".parse().unwrap(),
        );
        cfg.backends.push(BackendConfig {
            addr: A.parse().unwrap(),
            weight: 100,
        });
        let pool = Arc::new(Pool::new(&cfg, Metrics::default().listener("l")));
        let index = HealthIndex::default();
        index.replace([("lb-1/tcp/80".to_owned(), Arc::clone(&pool))]);
        (index, pool)
    }

    #[test]
    fn a_backend_is_unchecked_until_a_probe_gives_a_verdict() {
        let (index, _pool) = indexed_pool();
        let got = index.backend_health("lb-1/tcp/80", A.parse().unwrap());
        assert_eq!(got, Some(BackendHealth::Unchecked));
    }

    #[test]
    fn after_a_verdict_the_backend_reports_the_flag_selection_reads() {
        let (index, pool) = indexed_pool();
        let backend = &pool.backends()[0];
        backend.set_healthy(false);
        backend.set_checked(true);
        let got = index.backend_health("lb-1/tcp/80", A.parse().unwrap());
        assert_eq!(got, Some(BackendHealth::Unhealthy));
    }

    #[test]
    fn unknown_listeners_and_backends_are_none() {
        let (index, _pool) = indexed_pool();
        assert_eq!(
            index.backend_health("lb-1/tcp/81", A.parse().unwrap()),
            None
        );
        let other = "127.0.0.1:1002".parse().unwrap();
        assert_eq!(index.backend_health("lb-1/tcp/80", other), None);
    }

    #[test]
    fn a_replaced_index_forgets_closed_listeners() {
        let (index, _pool) = indexed_pool();
        index.replace([]);
        assert_eq!(
            index.backend_health("lb-1/tcp/80", A.parse().unwrap()),
            None
        );
    }
}
