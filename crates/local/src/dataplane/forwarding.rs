//! The forwarding listeners kept per load balancer, so a snapshot after a few writes rebuilds
//! only the load balancers they touched.
//!
//! The engine notes every committed change here ([`Forwarding::note`], O(size of the
//! change)) with its lock held; the publisher later [`Forwarding::refresh`]es, also under
//! that lock, which rebuilds the noted load balancers only and hands back every load
//! balancer's list as a shared slice, so the full snapshot is assembled after the lock is
//! released ([`Parts::snapshot`]). A change to something many listeners read (ECS
//! instances, ACLs, certificates) marks every load balancer. The result always equals
//! [`super::snapshot`] of the same state. This module does not decide when to publish (see
//! `publisher`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{DataPlaneListener, LocalDataPlaneSnapshot, lb_listeners};
use crate::engine::State;
use crate::store::Change;

/// Per-LB forwarding listeners and what changed since they were built.
#[derive(Debug, Default)]
pub(crate) struct Forwarding {
    /// LB id → its forwarding listeners (LBs that forward nothing are absent).
    by_lb: BTreeMap<String, Arc<[DataPlaneListener]>>,
    /// LBs changed since the last refresh.
    dirty: BTreeSet<String>,
    /// Rebuild every LB at the next refresh.
    all_dirty: bool,
    /// Changes noted so far that may change forwarding.
    version: u64,
}

/// The lists of one refresh and the version they reflect.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts {
    /// Every change noted up to this version is reflected.
    pub version: u64,
    lists: Vec<Arc<[DataPlaneListener]>>,
}

impl Parts {
    /// The full snapshot: the lists concatenated in LB id order (O(listeners + backends)).
    pub fn snapshot(&self) -> LocalDataPlaneSnapshot {
        LocalDataPlaneSnapshot {
            listeners: self.lists.iter().flat_map(|l| l.iter().cloned()).collect(),
        }
    }
}

impl Forwarding {
    /// The lists of every LB of `state`, at version 0.
    pub fn new(state: &State) -> Self {
        let mut f = Self {
            all_dirty: true,
            ..Self::default()
        };
        f.rebuild(state);
        f
    }

    /// The version reached by the changes noted so far.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Notes a committed change; the new version when it may change forwarding, `None` when
    /// it cannot (ENIs, route tables, EIPs, or nothing).
    pub fn note(&mut self, change: &Change) -> Option<u64> {
        let lbs = change
            .put_load_balancers
            .iter()
            .map(|lb| &lb.id)
            .chain(&change.delete_load_balancers);
        let mut touched = false;
        for id in lbs {
            touched = true;
            if !self.all_dirty {
                self.dirty.insert(id.clone());
            }
        }
        let shared = !(change.put_instances.is_empty()
            && change.delete_instances.is_empty()
            && change.put_acls.is_empty()
            && change.delete_acls.is_empty()
            && change.put_server_certificates.is_empty()
            && change.delete_server_certificates.is_empty()
            && change.put_ca_certificates.is_empty()
            && change.delete_ca_certificates.is_empty());
        if shared {
            self.all_dirty = true;
            self.dirty.clear();
        }
        (touched || shared).then(|| {
            self.version += 1;
            self.version
        })
    }

    /// Rebuilds what changed since the last refresh from `state` (which must include every
    /// noted change) and hands back every list.
    pub fn refresh(&mut self, state: &State) -> Parts {
        self.rebuild(state);
        Parts {
            version: self.version,
            lists: self.by_lb.values().cloned().collect(),
        }
    }

    fn rebuild(&mut self, state: &State) {
        let ids: Vec<String> = if self.all_dirty {
            self.by_lb.clear();
            state.load_balancers.keys().cloned().collect()
        } else {
            std::mem::take(&mut self.dirty).into_iter().collect()
        };
        for id in ids {
            let lists = state
                .load_balancers
                .get(&id)
                .map(|lb| lb_listeners(state, lb))
                .unwrap_or_default();
            if lists.is_empty() {
                self.by_lb.remove(&id);
            } else {
                self.by_lb.insert(id, lists.into());
            }
        }
        self.all_dirty = false;
        self.dirty.clear();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{RecordingDataPlane, snapshot};
    use crate::Engine;
    use crate::config::LocalConfig;
    use crate::model::Instance;
    use crate::store::MemoryStore;
    use serde_json::Value;
    use std::sync::Arc;
    use std::time::Duration;

    /// An engine over two ECS nodes feeding `plane`.
    pub(crate) fn engine(plane: Arc<dyn super::super::DataPlane>) -> Engine {
        let config = LocalConfig {
            instances: vec![
                Instance::running("i-a", "127.0.0.11"),
                Instance::running("i-b", "127.0.0.12"),
            ],
            ..LocalConfig::default()
        };
        Engine::open(config, Box::new(MemoryStore::default()), plane).unwrap()
    }

    /// Answers `action` with `pairs`, panicking on an error (test set-up).
    pub(crate) fn call(e: &Engine, action: &str, pairs: &[(&str, &str)]) -> Value {
        let params = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        e.handle(action, &params).unwrap()
    }

    /// A CLB with a running TCP listener on port 80 over i-a and i-b: (LB id, group id).
    pub(crate) fn forwarding_lb(e: &Engine) -> (String, String) {
        let text = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
        let lb = text(
            &call(
                e,
                "CreateLoadBalancer",
                &[("LoadBalancerSpec", "slb.s1.small")],
            ),
            "LoadBalancerId",
        );
        let group = text(
            &call(e, "CreateVServerGroup", &[("LoadBalancerId", &lb)]),
            "VServerGroupId",
        );
        let members = r#"[{"ServerId":"i-a","Port":"30080","Weight":"100"},{"ServerId":"i-b","Port":"30080","Weight":"100"}]"#;
        call(
            e,
            "AddVServerGroupBackendServers",
            &[("VServerGroupId", &group), ("BackendServers", members)],
        );
        let listener = [("LoadBalancerId", lb.as_str()), ("ListenerPort", "80")];
        let mut create = listener.to_vec();
        create.extend([("Bandwidth", "-1"), ("VServerGroupId", group.as_str())]);
        call(e, "CreateLoadBalancerTCPListener", &create);
        call(e, "StartLoadBalancerListener", &listener);
        (lb, group)
    }

    /// The applied snapshot equals a full build of the engine's state.
    fn assert_in_step(e: &Engine, plane: &RecordingDataPlane, after: &str) {
        assert!(e.wait_for_dataplane(Duration::from_secs(5)), "{after}");
        assert_eq!(plane.latest(), snapshot(&e.state()), "after {after}");
    }

    #[test]
    fn the_lists_kept_per_lb_always_equal_a_full_build() {
        let plane = Arc::new(RecordingDataPlane::default());
        let e = engine(plane.clone());
        let (first, group) = forwarding_lb(&e);
        let (second, _) = forwarding_lb(&e);
        assert_in_step(&e, &plane, "two CLBs");
        assert_eq!(plane.latest().listeners.len(), 2);
        let member = r#"[{"ServerId":"i-a","Port":"30080","Weight":"7"}]"#;
        let weights = [
            ("VServerGroupId", group.as_str()),
            ("BackendServers", member),
        ];
        call(&e, "SetVServerGroupAttribute", &weights);
        assert_in_step(&e, &plane, "a weight change");
        let moved = r#"[{"InstanceId":"i-a","PrivateIpAddress":"127.0.0.99","Status":"Running"}]"#;
        call(&e, "LocalPutInstances", &[("Instances", moved)]);
        assert_in_step(&e, &plane, "an instance moving (every CLB rebuilt)");
        let inactive = [
            ("LoadBalancerId", first.as_str()),
            ("LoadBalancerStatus", "inactive"),
        ];
        call(&e, "SetLoadBalancerStatus", &inactive);
        assert_in_step(&e, &plane, "a CLB turned inactive");
        call(&e, "DeleteLoadBalancer", &[("LoadBalancerId", &second)]);
        assert_in_step(&e, &plane, "a CLB deleted");
        assert!(plane.latest().listeners.is_empty());
    }
}
