//! Lease-based leader election, compatible with client-go's `leaderelection` Lease lock, so that
//! slb-ccm can share (and take over) the Go CCM's lease during a migration: one active replica,
//! the others hot standbys.
//!
//! Expiry is judged as client-go judges it: on this replica's own monotonic clock, from when it
//! last saw the lease record change ([`Observation`]), plus the record's
//! `leaseDurationSeconds`. The holder's `renewTime`/`acquireTime` are written (so the Lease
//! reads the same to client-go and `kubectl`) but never trusted, so wall clocks that disagree
//! between machines cannot make two leaders or leave a dead one in place.
//!
//! [`Observation::update`] and [`decide`] are the pure rules; [`Elector`] is the loop that reads
//! and writes the `coordination.k8s.io/v1` Lease with optimistic concurrency (a write based on
//! a stale `resourceVersion` fails with 409 and simply counts as "not leader this round").
//! Leadership is published on a `tokio::sync::watch` channel; what to do on losing it (the
//! binary exits, like client-go's `OnStoppedLeading`) is the caller's business.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
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

/// The lease record as this replica last read it, and when, on this replica's monotonic
/// clock, it first read it in that form: client-go's `observedRecord` and `observedTime`.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The record as read: holder, duration, acquire and renew times, transitions.
    pub record: LeaseSpec,
    /// When this replica first saw `record`.
    pub at: Instant,
}

impl Observation {
    /// The observation after reading `record` at `now`. Its time moves only when the record
    /// changed since `previous` (a renewal always changes `renewTime`), so a holder that keeps
    /// renewing keeps its claim and one that stopped loses it a lease duration after this
    /// replica last saw a change, whatever the holder's clock wrote.
    pub fn update(previous: Option<Observation>, record: LeaseSpec, now: Instant) -> Observation {
        match previous {
            Some(previous) if previous.record == record => previous,
            _ => Observation { record, at: now },
        }
    }

    /// Until when the holder's claim stands on this replica's clock: the observation time
    /// plus the record's `leaseDurationSeconds` (none or negative counts as 0). `None` when
    /// that is beyond what the clock can represent.
    pub fn valid_until(&self) -> Option<Instant> {
        let secs = self.record.lease_duration_seconds.unwrap_or(0).max(0);
        self.at
            .checked_add(Duration::from_secs(u64::from(secs.unsigned_abs())))
    }
}

/// What to do with the lease as it was observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// We hold it: renew.
    Renew,
    /// Nobody holds it (never held, or released), or the holder has not changed the record for
    /// a lease duration: take it (with this transition count).
    Take {
        /// `leaseTransitions` to write.
        transitions: i32,
    },
    /// Someone else holds a claim that still stands: wait.
    Follow {
        /// The current holder.
        holder: String,
    },
}

/// Decides from the observed lease, the current time on the same clock and our identity
/// (client-go's rule: a held lease is valid while `observedTime + leaseDurationSeconds` is
/// after now).
pub fn decide(observed: &Observation, now: Instant, me: &str) -> Decision {
    let record = &observed.record;
    let holder = record.holder_identity.as_deref().unwrap_or("");
    if holder == me {
        return Decision::Renew;
    }
    let stands = observed.valid_until().is_none_or(|until| until > now);
    if !holder.is_empty() && stands {
        return Decision::Follow {
            holder: holder.to_owned(),
        };
    }
    Decision::Take {
        transitions: record.lease_transitions.unwrap_or(0).saturating_add(1),
    }
}

/// The election loop for one replica.
pub struct Elector {
    api: Api<Lease>,
    config: LeaderConfig,
    /// The lease as last read or written, and when it last changed on our clock.
    observed: Option<Observation>,
}

impl Elector {
    /// An elector for `config`'s lease.
    pub fn new(client: Client, config: LeaderConfig) -> Self {
        Self {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
        }
    }

    /// Tries to acquire or renew every `retry_period` until `shutdown` is cancelled, publishing
    /// leadership on `leader`. A leader that cannot renew within `renew_deadline` publishes
    /// `false`. On shutdown a leader releases the lease so a standby takes over at once.
    pub async fn run(mut self, leader: watch::Sender<bool>, shutdown: CancellationToken) {
        let mut last_renewal: Option<Instant> = None;
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    last_renewal = Some(Instant::now());
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
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        // Written for client-go and humans to read; never used to decide.
        let wall = Timestamp::now();
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(self.held_spec(wall, 0)),
            };
            let result = self.api.create(&PostParams::default(), &lease).await;
            return self.written(result);
        };
        let observed = Observation::update(
            self.observed.take(),
            lease.spec.clone().unwrap_or_default(),
            Instant::now(),
        );
        let decision = decide(&observed, Instant::now(), &self.config.identity);
        let spec = match decision {
            Decision::Follow { .. } => {
                self.observed = Some(observed);
                return Ok(false);
            }
            Decision::Renew => LeaseSpec {
                renew_time: Some(MicroTime(wall)),
                lease_duration_seconds: Some(secs(self.config.lease_duration)),
                ..observed.record.clone()
            },
            Decision::Take { transitions } => self.held_spec(wall, transitions),
        };
        self.observed = Some(observed);
        lease.spec = Some(spec);
        let result = self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await;
        self.written(result)
    }

    /// The outcome of a write: on success the record as the API server stored it becomes
    /// the observation (as client-go does after its update); a lost race is `Ok(false)`.
    fn written(&mut self, result: Result<Lease, kube::Error>) -> Result<bool, kube::Error> {
        match result {
            Ok(lease) => {
                self.observed = Some(Observation {
                    record: lease.spec.unwrap_or_default(),
                    at: Instant::now(),
                });
                Ok(true)
            }
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(err) => Err(err),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::SignedDuration;

    const LEASE: i32 = 15;

    /// A record held by `holder`, renewed at `renewed` by the holder's own clock.
    fn record(holder: Option<&str>, renewed: Timestamp) -> LeaseSpec {
        LeaseSpec {
            holder_identity: holder.map(Into::into),
            acquire_time: Some(MicroTime(renewed)),
            renew_time: Some(MicroTime(renewed)),
            lease_duration_seconds: Some(LEASE),
            lease_transitions: Some(3),
            ..Default::default()
        }
    }

    fn wall(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn who_may_hold_the_lease_judged_from_when_it_was_observed() {
        let at = Instant::now();
        let other = |holder| Observation {
            record: record(holder, wall(0)),
            at,
        };
        let follow = Decision::Follow {
            holder: "go-ccm".into(),
        };
        let take = Decision::Take { transitions: 4 };
        let cases = [
            (other(Some("me")), 1, Decision::Renew),
            (other(Some("me")), 100, Decision::Renew),
            (other(Some("go-ccm")), 0, follow.clone()),
            (other(Some("go-ccm")), 14, follow),
            (other(Some("go-ccm")), 15, take.clone()),
            (other(Some("go-ccm")), 60, take.clone()),
            (other(None), 0, take.clone()),
            (other(Some("")), 0, take),
        ];
        for (observed, after, want) in cases {
            let now = at + secs(after);
            assert_eq!(
                decide(&observed, now, "me"),
                want,
                "{after} s after {observed:?}"
            );
        }
    }

    #[test]
    fn the_observation_time_moves_only_when_the_record_changes() {
        let t0 = Instant::now();
        let first = Observation::update(None, record(Some("a"), wall(0)), t0);
        assert_eq!(first.at, t0);
        let same = Observation::update(
            Some(first.clone()),
            record(Some("a"), wall(0)),
            t0 + secs(5),
        );
        assert_eq!(
            same.at, t0,
            "an unchanged record keeps its observation time"
        );
        let renewed = Observation::update(Some(same), record(Some("a"), wall(2)), t0 + secs(7));
        assert_eq!(
            renewed.at,
            t0 + secs(7),
            "a renewal is a change, seen when read"
        );
    }

    #[test]
    fn a_fresh_replica_waits_a_full_lease_duration_however_old_the_renew_time_looks() {
        // The holder's renewTime says an hour ago; only our own observation counts.
        let t0 = Instant::now();
        let observed = Observation::update(None, record(Some("a"), wall(-3600)), t0);
        assert_eq!(
            decide(&observed, t0 + secs(14), "me"),
            Decision::Follow { holder: "a".into() }
        );
        assert_eq!(
            decide(&observed, t0 + secs(15), "me"),
            Decision::Take { transitions: 4 }
        );
    }

    #[test]
    fn a_released_lease_is_taken_at_once() {
        let t0 = Instant::now();
        let released = LeaseSpec {
            lease_duration_seconds: Some(1),
            ..record(None, wall(0))
        };
        let observed = Observation::update(None, released, t0);
        assert_eq!(
            decide(&observed, t0, "me"),
            Decision::Take { transitions: 4 }
        );
    }

    #[test]
    fn a_lease_without_a_duration_is_no_claim() {
        let t0 = Instant::now();
        let spec = LeaseSpec {
            holder_identity: Some("other".into()),
            ..Default::default()
        };
        let observed = Observation::update(None, spec, t0);
        assert_eq!(
            decide(&observed, t0, "me"),
            Decision::Take { transitions: 1 }
        );
    }

    /// Replica A holds the lease and renews every 2 s for a minute, writing renewTime from
    /// its own wall clock, `skew` away from B's; B reads 1 s after each renewal. Returns the
    /// second (after A's first renewal, on B's clock) at which B decides to take the lease.
    fn standby_takes_over_at(skew: SignedDuration) -> u64 {
        let start = Instant::now();
        let a_clock = |second: u64| wall(i64::try_from(second).unwrap()) + skew;
        let mut observed: Option<Observation> = None;
        let mut lease = record(Some("a"), a_clock(0));
        for second in 0..200 {
            if second <= 60 && second % 2 == 0 {
                lease.renew_time = Some(MicroTime(a_clock(second)));
            }
            if second % 2 == 1 {
                let now = start + secs(second);
                let seen = Observation::update(observed.take(), lease.clone(), now);
                match decide(&seen, now, "b") {
                    Decision::Follow { .. } => observed = Some(seen),
                    Decision::Take { .. } => return second,
                    Decision::Renew => unreachable!("b never held the lease"),
                }
            }
        }
        panic!("b never took the lease with a skew of {skew}");
    }

    #[test]
    fn wall_clocks_a_minute_apart_neither_steal_a_renewed_lease_nor_wait_for_a_dead_one() {
        for skew in [
            SignedDuration::from_secs(60),
            SignedDuration::from_secs(-60),
            SignedDuration::ZERO,
        ] {
            // A's last renewal is at 60; B sees it at 61 and takes one lease duration later,
            // on its first read at or after 76: never while A renewed, never much later.
            assert_eq!(standby_takes_over_at(skew), 77, "skew {skew}");
        }
    }
}
