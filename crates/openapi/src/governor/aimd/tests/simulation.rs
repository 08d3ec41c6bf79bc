//! The adaptive rate driven against a simulated cloud: a token bucket per action like
//! Alibaba's flow control (burst 90, refilling 1.5 calls/s: the documented 90 writes per
//! 60 s), with a client that always has calls waiting. Pure and on explicit time: every
//! instant is `start + n × STEP`, nothing sleeps and no clock is read after the start.

use super::*;

/// The simulation's time step.
const STEP: Duration = Duration::from_millis(10);
/// Calls an unlimited client gets out per step (a bounded number in flight: 500 calls/s).
const UNLIMITED_PER_STEP: u32 = 5;

/// A token bucket on explicit time; an infinite rate is no limit.
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    fn take(&mut self, now: Instant) -> bool {
        if !self.rate.is_finite() {
            return true;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Follows the governor's new limit the way `TokenBucket::set_limit` does.
    fn set(&mut self, limit: RateLimit, now: Instant) {
        let (rate, burst) = if limit.is_unlimited() {
            (f64::INFINITY, 0.0)
        } else {
            (limit.per_second, f64::from(limit.burst))
        };
        if rate == self.rate && burst == self.burst {
            return;
        }
        self.refill(now);
        self.tokens = if self.rate.is_finite() {
            self.tokens.min(burst)
        } else {
            1.0
        };
        self.rate = rate;
        self.burst = burst;
    }
}

/// What one simulated span did.
#[derive(Debug, Default)]
struct Tally {
    calls: u32,
    refused: u32,
    served: u32,
}

/// The client (governed by `state`) and the `cloud`, one action.
struct Sim {
    state: AimdState,
    client: Bucket,
    cloud: Bucket,
    now: Instant,
}

impl Sim {
    fn new(cloud_rate: f64, cloud_burst: f64) -> Self {
        let now = Instant::now();
        Self {
            state: AimdState::new(RateLimit::UNLIMITED, now),
            client: Bucket::full(f64::INFINITY, 0.0, now),
            cloud: Bucket::full(cloud_rate, cloud_burst, now),
            now,
        }
    }

    /// Runs `span` of simulated time with calls always waiting.
    fn run(&mut self, span: Duration) -> Tally {
        let mut tally = Tally::default();
        let end = self.now + span;
        while self.now < end {
            let mut sent = 0;
            while sent < UNLIMITED_PER_STEP && self.client.take(self.now) {
                sent += 1;
                self.call(&mut tally);
            }
            self.now += STEP;
        }
        tally
    }

    /// Lets `span` pass without a call.
    fn idle(&mut self, span: Duration) {
        self.now += span;
    }

    fn call(&mut self, tally: &mut Tally) {
        let config = config();
        self.state = on_admit(self.state, self.now);
        tally.calls += 1;
        self.state = if self.cloud.take(self.now) {
            tally.served += 1;
            on_success(self.state, &config, self.now)
        } else {
            tally.refused += 1;
            on_throttle(self.state, &config, self.now)
        };
        self.client.set(bucket_limit(&self.state, 0), self.now);
    }
}

fn share(part: u32, whole: u32) -> f64 {
    f64::from(part) / f64::from(whole)
}

#[tokio::test(start_paused = true)]
async fn against_the_documented_write_quota_it_gets_the_quota_and_few_refusals() {
    let mut sim = Sim::new(1.5, 90.0);
    let run = sim.run(Duration::from_secs(20 * 60));
    let quota = 90.0 + 1.5 * 20.0 * 60.0;
    eprintln!("{run:?}, rate at the end {:.3}/s", sim.state.rate);
    assert!(
        f64::from(run.served) >= 0.95 * quota,
        "{} served of the quota's {quota}",
        run.served
    );
    assert!(
        share(run.refused, run.calls) <= 0.05,
        "{} of {} calls refused",
        run.refused,
        run.calls
    );
}

#[tokio::test(start_paused = true)]
async fn once_settled_an_overrun_is_rare() {
    let mut sim = Sim::new(1.5, 90.0);
    sim.run(Duration::from_secs(120));
    let settled = sim.run(Duration::from_secs(10 * 60));
    eprintln!("{settled:?}");
    assert!(
        f64::from(settled.served) >= 0.95 * 1.5 * 600.0,
        "{settled:?}"
    );
    assert!(share(settled.refused, settled.calls) <= 0.02, "{settled:?}");
}

#[tokio::test(start_paused = true)]
async fn a_quota_raised_tenfold_is_found_again_within_two_minutes() {
    let mut sim = Sim::new(1.5, 90.0);
    sim.run(Duration::from_secs(10 * 60));
    assert!(
        sim.state.rate < 1.9,
        "settled near 1.5/s: {}",
        sim.state.rate
    );
    sim.cloud.rate = 15.0;
    let mut waited = Duration::ZERO;
    while sim.state.rate < 0.9 * 15.0 && waited < Duration::from_secs(600) {
        sim.run(Duration::from_secs(1));
        waited += Duration::from_secs(1);
    }
    eprintln!("rate {:.2}/s after {waited:?}", sim.state.rate);
    assert!(waited <= Duration::from_secs(120), "took {waited:?}");
    let after = sim.run(Duration::from_secs(10 * 60));
    eprintln!("{after:?}");
    assert!(f64::from(after.served) >= 0.95 * 15.0 * 600.0, "{after:?}");
    assert!(share(after.refused, after.calls) <= 0.05, "{after:?}");
}

#[tokio::test(start_paused = true)]
async fn a_job_of_200_calls_ends_within_2_percent_of_the_quotas_bound() {
    // Like the bench's 200 Services: 90 calls from the burst, 110 at 1.5/s.
    let bound = (200.0 - 90.0) / 1.5;
    let mut sim = Sim::new(1.5, 90.0);
    let mut job = Tally::default();
    let mut took = Duration::ZERO;
    while job.served < 200 {
        let step = sim.run(STEP);
        job.calls += step.calls;
        job.refused += step.refused;
        job.served += step.served;
        took += STEP;
    }
    eprintln!("{job:?} in {took:?} (bound {bound:.1} s)");
    assert!(took.as_secs_f64() <= 1.02 * bound, "took {took:?}");
}

#[tokio::test(start_paused = true)]
async fn after_an_idle_spell_the_learnt_burst_goes_at_once_without_refusals() {
    let mut sim = Sim::new(1.5, 90.0);
    sim.run(Duration::from_secs(10 * 60));
    assert_eq!(sim.state.burst, 81, "90 % of the 90 served at the start");
    sim.idle(Duration::from_secs(120));
    let first = sim.run(Duration::from_secs(1));
    eprintln!("{first:?}");
    assert!(first.served >= 81, "{first:?}");
    assert_eq!(first.refused, 0, "{first:?}");
    let then = sim.run(Duration::from_secs(5 * 60));
    eprintln!("then {then:?}");
    assert!(share(then.refused, then.calls) <= 0.05, "{then:?}");
}
