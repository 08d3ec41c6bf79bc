use super::*;

mod simulation;

fn config() -> AimdConfig {
    AimdConfig::default()
}

fn limited(rate: f64) -> AimdState {
    AimdState::new(RateLimit::new(rate, 0), Instant::now())
}

#[tokio::test(start_paused = true)]
async fn an_action_starts_at_its_ceiling_or_unlimited() {
    assert_eq!(limited(20.0).rate, 20.0);
    let free = AimdState::new(RateLimit::UNLIMITED, Instant::now());
    assert!(free.rate.is_infinite());
    assert_eq!(bucket_limit(&free, 0), RateLimit::UNLIMITED);
}

#[tokio::test(start_paused = true)]
async fn a_first_throttling_answer_with_nothing_measured_halves_the_rate() {
    let cut = on_throttle(limited(8.0), &config(), Instant::now());
    assert_eq!(cut.rate, 4.0);
}

#[tokio::test(start_paused = true)]
async fn cuts_never_go_below_the_floor() {
    let mut state = limited(0.6);
    for _ in 0..5 {
        state = on_throttle(state, &config(), Instant::now());
        tokio::time::advance(Duration::from_secs(2)).await;
    }
    assert_eq!(state.rate, config().floor);
}

#[tokio::test(start_paused = true)]
async fn answers_to_one_overrun_cut_once_within_the_cooldown() {
    let now = Instant::now();
    let mut state = limited(16.0);
    for _ in 0..10 {
        state = on_throttle(state, &config(), now);
    }
    assert_eq!(state.rate, 8.0, "ten answers to calls in flight, one cut");
    // Five calls served over the next second (measured as 5 + 1, since the cloud's bucket may
    // have held most of a token at either end; the known limit, as the first measurement):
    // the next answer cuts to 90 % of it.
    for _ in 0..5 {
        state = on_success(state, &config(), Instant::now());
    }
    tokio::time::advance(Duration::from_secs(1)).await;
    let later = on_throttle(state, &config(), Instant::now());
    assert_eq!(later.known, 6.0);
    assert!(
        (later.rate - 5.4).abs() < 1e-9,
        "after the cooldown the next answer cuts again: {}",
        later.rate
    );
}

#[tokio::test(start_paused = true)]
async fn an_unlimited_action_is_cut_from_its_measured_rate() {
    let mut state = AimdState::new(RateLimit::UNLIMITED, Instant::now());
    for _ in 0..40 {
        state = on_admit(state, Instant::now());
        tokio::time::advance(Duration::from_millis(50)).await;
    }
    // 40 calls over 2 s: 20 calls/s measured, so the first cut lands at 10.
    let cut = on_throttle(state, &config(), Instant::now());
    assert_eq!(cut.rate, 10.0);
}

#[tokio::test(start_paused = true)]
async fn one_second_of_successes_adds_the_increase_up_to_the_ceiling() {
    let mut state = on_throttle(limited(10.0), &config(), Instant::now());
    assert_eq!(state.rate, 5.0);
    // Five successes at 5 calls/s: about +1 call/s (each adds 1/rate at the rate of the
    // moment).
    for _ in 0..5 {
        state = on_success(state, &config(), Instant::now());
    }
    assert!((5.9..6.0).contains(&state.rate), "{}", state.rate);
    for _ in 0..1000 {
        state = on_success(state, &config(), Instant::now());
    }
    assert_eq!(state.rate, 10.0, "never above the ceiling");
}

#[tokio::test(start_paused = true)]
async fn successes_leave_an_unlimited_action_unlimited() {
    let state = AimdState::new(RateLimit::UNLIMITED, Instant::now());
    assert!(
        on_success(state, &config(), Instant::now())
            .rate
            .is_infinite()
    );
}

#[tokio::test(start_paused = true)]
async fn the_bucket_keeps_the_configured_burst_only_at_the_ceiling() {
    let at_ceiling = AimdState::new(RateLimit::new(20.0, 40), Instant::now());
    assert_eq!(bucket_limit(&at_ceiling, 40), RateLimit::new(20.0, 40));
    let cut = on_throttle(at_ceiling, &config(), Instant::now());
    assert_eq!(bucket_limit(&cut, 40), RateLimit::new(10.0, 10));
    let slow = AimdState {
        rate: 0.5,
        ..at_ceiling
    };
    assert_eq!(bucket_limit(&slow, 40), RateLimit::new(0.5, 1));
}

/// A state at `rate` (under a ceiling of 100) that has learnt `known` as the cloud's limit.
fn knowing(rate: f64, known: f64) -> AimdState {
    AimdState {
        rate,
        known,
        ..limited(100.0)
    }
}

#[tokio::test(start_paused = true)]
async fn a_cut_lands_just_under_the_served_rate_not_at_half() {
    let mut state = limited(10.0);
    for _ in 0..40 {
        state = on_success(state, &config(), Instant::now());
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    let cut = on_throttle(state, &config(), Instant::now());
    assert!(
        (cut.known - 4.1).abs() < 1e-9,
        "40 calls served in 10 s, plus one for the bucket's fractions: {}",
        cut.known
    );
    assert!(
        (cut.rate - 0.9 * 4.1).abs() < 1e-9,
        "90 % of it: {}",
        cut.rate
    );
}

#[tokio::test(start_paused = true)]
async fn a_short_span_is_filled_up_to_the_window_with_the_known_limit() {
    let mut state = knowing(12.0, 10.0);
    for _ in 0..2 {
        state = on_success(state, &config(), Instant::now());
    }
    tokio::time::advance(Duration::from_secs(1)).await;
    let cut = on_throttle(state, &config(), Instant::now());
    // 2 (+1) calls in 1 s plus 4 s at the known 10/s, over the 5 s window.
    assert!((cut.known - 8.6).abs() < 1e-9, "{}", cut.known);
    assert!((cut.rate - 0.9 * 8.6).abs() < 1e-9, "{}", cut.rate);
}

#[tokio::test(start_paused = true)]
async fn a_cut_never_raises_the_rate() {
    let mut state = knowing(3.0, 10.0);
    for _ in 0..100 {
        state = on_success(state, &config(), Instant::now());
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    let cut = on_throttle(state, &config(), Instant::now());
    assert!(cut.rate < state.rate, "{} -> {}", state.rate, cut.rate);
}

#[tokio::test(start_paused = true)]
async fn far_below_the_known_limit_growth_is_fast_near_it_slow() {
    let far = (0..5).fold(knowing(5.0, 10.0), |s, _| {
        on_success(s, &config(), Instant::now())
    });
    assert!(
        far.rate > 5.9,
        "one second at 5/s adds about 1/s: {}",
        far.rate
    );
    let near = (0..10).fold(knowing(9.5, 10.0), |s, _| {
        on_success(s, &config(), Instant::now())
    });
    assert!(
        (near.rate - 9.54).abs() < 1e-9,
        "ten successes (a second at 9.5/s) add 0.004 each, 0.4 % of the rate: {}",
        near.rate
    );
}

#[tokio::test(start_paused = true)]
async fn well_above_the_known_limit_it_is_forgotten_and_growth_is_fast_again() {
    let state = on_success(knowing(13.0, 10.0), &config(), Instant::now());
    assert_eq!(state.known, 0.0);
    assert!((state.rate - (13.0 + 1.0 / 13.0)).abs() < 1e-9);
}

#[tokio::test(start_paused = true)]
async fn the_first_cut_from_unlimited_learns_the_clouds_burst_for_the_bucket() {
    let mut state = AimdState::new(RateLimit::UNLIMITED, Instant::now());
    for _ in 0..90 {
        state = on_admit(state, Instant::now());
        state = on_success(state, &config(), Instant::now());
    }
    tokio::time::advance(Duration::from_millis(200)).await;
    let cut = on_throttle(state, &config(), Instant::now());
    assert_eq!(cut.burst, 81, "90 % of the 90 calls served");
    assert_eq!(bucket_limit(&cut, 0).burst, 81);
    assert_eq!(
        bucket_limit(&cut, 40).burst,
        40,
        "with a configured burst (a ceiling's) the learnt one is not used"
    );
}

#[tokio::test(start_paused = true)]
async fn after_the_first_cut_from_unlimited_the_next_may_come_after_a_quarter_second() {
    let mut state = AimdState::new(RateLimit::UNLIMITED, Instant::now());
    for _ in 0..90 {
        state = on_admit(state, Instant::now());
        state = on_success(state, &config(), Instant::now());
    }
    state = on_throttle(state, &config(), Instant::now());
    assert_eq!(state.rate, 45.0, "halved from 90 calls in the last second");
    tokio::time::advance(Duration::from_millis(300)).await;
    state = on_success(state, &config(), Instant::now());
    let measured = on_throttle(state, &config(), Instant::now());
    // 1 (+1) call served in 0.3 s: the cloud's refill is nearer 6.7/s than 45.
    let served = 2.0 / 0.3;
    assert!((measured.known - served).abs() < 1e-9, "{}", measured.known);
    assert!(!measured.probing);
    tokio::time::advance(Duration::from_millis(300)).await;
    let again = on_throttle(measured, &config(), Instant::now());
    assert_eq!(
        again, measured,
        "a measured cut keeps the one-second cooldown"
    );
}
