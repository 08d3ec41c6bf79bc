use super::*;

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
async fn a_throttling_answer_halves_the_rate() {
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
    tokio::time::advance(Duration::from_secs(1)).await;
    let later = on_throttle(state, &config(), Instant::now());
    assert_eq!(
        later.rate, 4.0,
        "after the cooldown the next answer cuts again"
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
        state = on_success(state, &config());
    }
    assert!((5.9..6.0).contains(&state.rate), "{}", state.rate);
    for _ in 0..1000 {
        state = on_success(state, &config());
    }
    assert_eq!(state.rate, 10.0, "never above the ceiling");
}

#[tokio::test(start_paused = true)]
async fn successes_leave_an_unlimited_action_unlimited() {
    let state = AimdState::new(RateLimit::UNLIMITED, Instant::now());
    assert!(on_success(state, &config()).rate.is_infinite());
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
