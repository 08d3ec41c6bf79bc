//! Lease-based leader election, compatible with client-go's `leaderelection` Lease lock, so that
//! slb-ccm can share (and take over) the Go CCM's lease during a migration: one active replica,
//! the others hot standbys.
//!
//! [`decide`] is the pure rule (who may hold the lease now); [`Elector`] is the loop that reads
//! and writes the `coordination.k8s.io/v1` Lease with optimistic concurrency (a write based on
//! a stale `resourceVersion` fails with 409 and simply counts as "not leader this round").
//! Leadership is published on a `tokio::sync::watch` channel; what to do on losing it (the
//! binary exits, like client-go's `OnStoppedLeading`) is the caller's business.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Lease name of the reference Go CCM; use it to hand over from (or back to) that controller.
pub const GO_CCM_LEASE_NAME: &str = "ccm";

/// Where the lease lives and how it is timed (client-go's defaults: 15 s / 10 s / 2 s).
#[derive(Clone, Debug)]
pub struct LeaderConfig {
    /// Namespace of the Lease, normally `kube-system`.
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (pod name plus a random suffix, as client-go does).
    pub identity: String,
    /// How long a lease stays valid without renewal.
    pub lease_duration: Duration,
    /// A leader that could not renew for this long steps down.
    pub renew_deadline: Duration,
    /// How often to try to acquire or renew.
    pub retry_period: Duration,
}

impl LeaderConfig {
    /// The Go CCM's timings for a lease `namespace/name` held as `identity`.
    pub fn new(namespace: &str, name: &str, identity: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// What to do with the lease as it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// We hold it: renew.
    Renew,
    /// Nobody holds it, or the holder let it expire: take it (with this transition count).
    Take {
        /// `leaseTransitions` to write.
        transitions: i32,
    },
    /// Someone else holds a valid lease.
    Follow {
        /// The current holder.
        holder: String,
    },
}

/// Decides from the lease's spec, our identity and the current time.
pub fn decide(spec: &LeaseSpec, me: &str, now: Timestamp) -> Decision {
    let transitions = spec.lease_transitions.unwrap_or(0);
    let holder = spec.holder_identity.as_deref().unwrap_or("");
    if holder == me {
        return Decision::Renew;
    }
    if holder.is_empty() {
        return Decision::Take {
            transitions: transitions.saturating_add(1),
        };
    }
    let last = spec
        .renew_time
        .as_ref()
        .or(spec.acquire_time.as_ref())
        .map(|t| t.0);
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(0)));
    let expired = match last {
        Some(last) => last
            .checked_add(duration)
            .map_or(true, |until| until <= now),
        None => true,
    };
    if expired {
        Decision::Take {
            transitions: transitions.saturating_add(1),
        }
    } else {
        Decision::Follow {
            holder: holder.to_owned(),
        }
    }
}

/// The election loop for one replica.
pub struct Elector {
    api: Api<Lease>,
    config: LeaderConfig,
}

impl Elector {
    /// An elector for `config`'s lease.
    pub fn new(client: Client, config: LeaderConfig) -> Self {
        Self {
            api: Api::namespaced(client, &config.namespace),
            config,
        }
    }

    /// Tries to acquire or renew every `retry_period` until `shutdown` is cancelled, publishing
    /// leadership on `leader`. A leader that cannot renew within `renew_deadline` publishes
    /// `false`. On shutdown a leader releases the lease so a standby takes over at once.
    pub async fn run(self, leader: watch::Sender<bool>, shutdown: CancellationToken) {
        let mut last_renewal: Option<tokio::time::Instant> = None;
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    last_renewal = Some(tokio::time::Instant::now());
                    if !*leader.borrow() {
                        tracing::info!(lease = %self.config.name, identity = %self.config.identity, "became leader");
                    }
                    leader.send_replace(true);
                }
                Ok(false) => {
                    last_renewal = None;
                    leader.send_replace(false);
                }
                Err(err) => {
                    tracing::warn!(lease = %self.config.name, error = %err, "lease update failed");
                    let stale =
                        last_renewal.is_none_or(|at| at.elapsed() > self.config.renew_deadline);
                    if stale && *leader.borrow() {
                        tracing::warn!(lease = %self.config.name, "renew deadline passed; stepping down");
                        leader.send_replace(false);
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.config.retry_period) => {}
            }
        }
        let was_leader = *leader.borrow();
        if was_leader && let Err(err) = self.release().await {
            tracing::warn!(lease = %self.config.name, error = %err, "releasing the lease failed");
        }
        leader.send_replace(false);
    }

    /// One round: `Ok(true)` if we hold the lease afterwards.
    ///
    /// # Errors
    /// API errors other than a lost race (409), which counts as `Ok(false)`.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let now = Timestamp::now();
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(self.held_spec(now, 0)),
            };
            return lost_race_is_false(self.api.create(&PostParams::default(), &lease).await);
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let spec = match decide(&spec, &self.config.identity, now) {
            Decision::Follow { .. } => return Ok(false),
            Decision::Renew => LeaseSpec {
                renew_time: Some(MicroTime(now)),
                lease_duration_seconds: Some(secs(self.config.lease_duration)),
                ..spec
            },
            Decision::Take { transitions } => self.held_spec(now, transitions),
        };
        lease.spec = Some(spec);
        let result = self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await;
        lost_race_is_false(result)
    }

    async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        let now = MicroTime(Timestamp::now());
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(now.clone());
        spec.acquire_time = Some(now);
        self.api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await?;
        tracing::info!(lease = %self.config.name, "released the lease");
        Ok(())
    }

    fn held_spec(&self, now: Timestamp, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(secs(self.config.lease_duration)),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..Default::default()
        }
    }
}

fn secs(d: Duration) -> i32 {
    i32::try_from(d.as_secs().max(1)).unwrap_or(i32::MAX)
}

fn lost_race_is_false(result: Result<Lease, kube::Error>) -> Result<bool, kube::Error> {
    match result {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(holder: Option<&str>, renewed_secs_ago: i64, duration: i32) -> LeaseSpec {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        LeaseSpec {
            holder_identity: holder.map(Into::into),
            renew_time: Some(MicroTime(now - SignedDuration::from_secs(renewed_secs_ago))),
            lease_duration_seconds: Some(duration),
            lease_transitions: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn who_may_hold_the_lease() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let cases = [
            (spec(Some("me"), 1, 15), Decision::Renew),
            (spec(Some("me"), 100, 15), Decision::Renew),
            (
                spec(Some("go-ccm"), 5, 15),
                Decision::Follow {
                    holder: "go-ccm".into(),
                },
            ),
            (
                spec(Some("go-ccm"), 15, 15),
                Decision::Take { transitions: 4 },
            ),
            (
                spec(Some("go-ccm"), 60, 15),
                Decision::Take { transitions: 4 },
            ),
            (spec(None, 1, 15), Decision::Take { transitions: 4 }),
            (spec(Some(""), 1, 15), Decision::Take { transitions: 4 }),
        ];
        for (spec, want) in cases {
            assert_eq!(decide(&spec, "me", now), want, "{spec:?}");
        }
    }

    #[test]
    fn a_lease_without_times_counts_as_expired() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let spec = LeaseSpec {
            holder_identity: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(decide(&spec, "me", now), Decision::Take { transitions: 1 });
    }
}
