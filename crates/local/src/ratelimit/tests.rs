use std::time::Duration;

use super::*;

fn limiter(action: &str, quota: Quota) -> RateLimiter {
    RateLimiter::new(BTreeMap::from([(action.to_owned(), quota)]).into())
}

fn documented() -> RateLimiter {
    RateLimiter::new(RateLimits::from_preset(Preset::Documented))
}

fn parse(yaml: &str) -> Result<crate::LocalConfig, serde_yaml::Error> {
    serde_yaml::from_str(yaml)
}

fn quota(calls: u32, seconds: f64) -> Quota {
    Quota {
        calls,
        seconds,
        burst: None,
    }
}

fn admitted(l: &mut RateLimiter, account: &str, action: &str, now: Instant, n: usize) -> usize {
    (0..n)
        .filter(|_| l.admit(account, action, now).is_ok())
        .count()
}

#[test]
fn the_bucket_admits_its_burst_then_answers_throttling_user() {
    let mut l = limiter("CreateVServerGroup", quota(90, 60.0));
    let now = Instant::now();
    assert_eq!(admitted(&mut l, "ak", "CreateVServerGroup", now, 100), 90);
    let err = l.admit("ak", "CreateVServerGroup", now).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.http_status, err.message.as_str()),
        (
            "Throttling.User",
            400,
            "Request was denied due to user flow control."
        )
    );
}

#[test]
fn tokens_come_back_at_calls_per_period() {
    let mut l = limiter("CreateVServerGroup", quota(90, 60.0));
    let start = Instant::now();
    admitted(&mut l, "ak", "CreateVServerGroup", start, 90);
    // 90 per 60 s is 1.5 per second: 3 tokens after 2 s.
    let later = start + Duration::from_secs(2);
    assert_eq!(admitted(&mut l, "ak", "CreateVServerGroup", later, 10), 3);
}

#[test]
fn accounts_and_actions_have_their_own_buckets() {
    let mut l = limiter(ALL_ACTIONS, quota(2, 1.0));
    let now = Instant::now();
    assert_eq!(admitted(&mut l, "ak-1", "CreateLoadBalancer", now, 5), 2);
    assert_eq!(admitted(&mut l, "ak-2", "CreateLoadBalancer", now, 5), 2);
    assert_eq!(admitted(&mut l, "ak-1", "DescribeLoadBalancers", now, 5), 2);
}

#[test]
fn an_action_entry_wins_over_the_wildcard() {
    let mut l = RateLimiter::new(
        BTreeMap::from([
            (ALL_ACTIONS.to_owned(), quota(1, 1.0)),
            ("DescribeLoadBalancers".to_owned(), quota(5, 1.0)),
        ])
        .into(),
    );
    let now = Instant::now();
    assert_eq!(admitted(&mut l, "ak", "DescribeLoadBalancers", now, 10), 5);
    assert_eq!(admitted(&mut l, "ak", "CreateLoadBalancer", now, 10), 1);
}

#[test]
fn a_burst_smaller_than_the_period_quota_is_honoured() {
    let mut l = limiter(
        "AddVServerGroupBackendServers",
        Quota {
            calls: 90,
            seconds: 60.0,
            burst: Some(3),
        },
    );
    let now = Instant::now();
    assert_eq!(
        admitted(&mut l, "ak", "AddVServerGroupBackendServers", now, 10),
        3
    );
}

#[test]
fn nothing_is_limited_unless_configured_and_admin_actions_never() {
    let mut none = RateLimiter::new(RateLimits::new());
    let now = Instant::now();
    assert_eq!(
        admitted(&mut none, "ak", "CreateLoadBalancer", now, 1000),
        1000
    );
    let mut all = limiter(ALL_ACTIONS, quota(1, 60.0));
    assert_eq!(admitted(&mut all, "ak", "LocalSetFaults", now, 10), 10);
}

#[test]
fn quotas_without_calls_or_period_are_refused() {
    let one = |action: &str, q| RateLimits::from(BTreeMap::from([(action.to_owned(), q)]));
    assert!(validate(&one("*", quota(90, 60.0))).is_ok());
    let err = validate(&one("CreateLoadBalancer", quota(0, 1.0))).unwrap_err();
    assert!(err.starts_with("CreateLoadBalancer:"), "{err}");
    assert!(validate(&one("*", quota(1, 0.0))).is_err());
}

#[test]
fn the_config_file_section_parses_documented_quotas() {
    let config: crate::LocalConfig = serde_yaml::from_str(
        "rate_limits:\n  \"*\": { calls: 90, seconds: 60 }\n  DescribeLoadBalancers: { calls: 10, burst: 20 }\n",
    )
    .unwrap();
    config.validate().unwrap();
    assert_eq!(config.rate_limits.actions["*"], Quota::DOCUMENTED);
    assert_eq!(
        config.rate_limits.actions["DescribeLoadBalancers"],
        Quota {
            calls: 10,
            seconds: 1.0,
            burst: Some(20)
        }
    );
    assert!(crate::LocalConfig::default().rate_limits.is_empty());
}

#[test]
fn the_engine_throttles_per_account_beyond_the_quota() {
    use slb_openapi::params::Params;
    let config = crate::LocalConfig {
        rate_limits: BTreeMap::from([("DescribeLoadBalancers".to_owned(), quota(2, 60.0))]).into(),
        ..crate::LocalConfig::default()
    };
    let engine = crate::Engine::open(
        config,
        Box::<crate::store::MemoryStore>::default(),
        std::sync::Arc::new(crate::NoopDataPlane),
    )
    .unwrap();
    let call = |account: &str| {
        let params = Params::from([("AccessKeyId".to_owned(), account.to_owned())]);
        engine.handle("DescribeLoadBalancers", &params)
    };
    assert!(call("ak-1").is_ok() && call("ak-1").is_ok());
    assert_eq!(call("ak-1").unwrap_err().code, "Throttling.User");
    assert!(call("ak-2").is_ok(), "another account has its own quota");
}

#[test]
fn the_documented_preset_refuses_the_91st_write_made_at_once() {
    let mut l = documented();
    let now = Instant::now();
    assert_eq!(admitted(&mut l, "ak", "CreateLoadBalancer", now, 90), 90);
    let err = l.admit("ak", "CreateLoadBalancer", now).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.http_status),
        ("Throttling.User", 400)
    );
}

#[test]
fn the_documented_preset_lets_3000_describes_pass_at_once() {
    let mut l = documented();
    let now = Instant::now();
    assert_eq!(
        admitted(&mut l, "ak", "DescribeLoadBalancers", now, 3001),
        3000
    );
}

#[test]
fn under_the_documented_preset_a_write_refills_at_1_5_per_second() {
    let mut l = documented();
    let start = Instant::now();
    admitted(&mut l, "ak", "AddVServerGroupBackendServers", start, 90);
    let later = start + Duration::from_secs(10);
    assert_eq!(
        admitted(&mut l, "ak", "AddVServerGroupBackendServers", later, 100),
        15
    );
}

#[test]
fn under_the_documented_preset_a_read_refills_at_50_per_second() {
    let mut l = documented();
    let start = Instant::now();
    admitted(&mut l, "ak", "DescribeVServerGroupAttribute", start, 3000);
    let later = start + Duration::from_secs(2);
    assert_eq!(
        admitted(&mut l, "ak", "DescribeVServerGroupAttribute", later, 1000),
        100
    );
}

#[test]
fn a_row_of_the_published_table_beats_the_class_rule() {
    // Not a read, so 90 per 60 s by class; the table says 400.
    assert_eq!(
        Preset::Documented.quota("SetDomainExtensionAttribute"),
        quota(400, 60.0)
    );
    let mut l = documented();
    let now = Instant::now();
    assert_eq!(
        admitted(&mut l, "ak", "SetDomainExtensionAttribute", now, 500),
        400
    );
}

#[test]
fn list_actions_and_ecs_describes_are_reads_under_the_documented_preset() {
    for action in [
        "ListTagResources",
        "DescribeInstances",
        "DescribeNetworkInterfaces",
    ] {
        assert_eq!(
            Preset::Documented.quota(action),
            Quota::DOCUMENTED_READ,
            "{action}"
        );
    }
    for action in ["AllocateEipAddress", "CreateRouteEntry", "TagResources"] {
        assert_eq!(
            Preset::Documented.quota(action),
            Quota::DOCUMENTED,
            "{action}"
        );
    }
}

#[test]
fn admin_actions_are_never_limited_by_the_documented_preset() {
    let mut l = documented();
    let now = Instant::now();
    assert_eq!(admitted(&mut l, "ak", "LocalSetFaults", now, 5000), 5000);
}

#[test]
fn an_explicit_entry_beats_the_preset_it_is_mixed_with() {
    let mut l = RateLimiter::new(RateLimits {
        preset: Some(Preset::Documented),
        actions: BTreeMap::from([("DescribeLoadBalancers".to_owned(), quota(5, 60.0))]),
    });
    let now = Instant::now();
    assert_eq!(admitted(&mut l, "ak", "DescribeLoadBalancers", now, 10), 5);
    assert_eq!(admitted(&mut l, "ak", "CreateLoadBalancer", now, 100), 90);
}

#[test]
fn the_config_file_accepts_a_preset_name_for_the_section() {
    let config = parse("rate_limits: documented\n").unwrap();
    config.validate().unwrap();
    assert_eq!(
        config.rate_limits,
        RateLimits::from_preset(Preset::Documented)
    );
}

#[test]
fn the_config_file_accepts_a_preset_next_to_action_quotas() {
    let config = parse(
        "rate_limits:\n  preset: documented\n  CreateLoadBalancer: { calls: 10, seconds: 60 }\n",
    )
    .unwrap();
    config.validate().unwrap();
    assert_eq!(config.rate_limits.preset, Some(Preset::Documented));
    assert_eq!(
        config.rate_limits.actions["CreateLoadBalancer"],
        quota(10, 60.0)
    );
}

#[test]
fn an_unknown_preset_name_is_refused_naming_the_accepted_ones() {
    for yaml in [
        "rate_limits: realistic\n",
        "rate_limits:\n  preset: realistic\n",
    ] {
        let err = parse(yaml).unwrap_err().to_string();
        assert!(
            err.contains("\"realistic\"") && err.contains("accepted: documented"),
            "{err}"
        );
    }
}

#[test]
fn a_wildcard_next_to_a_preset_is_refused() {
    let config =
        parse("rate_limits:\n  preset: documented\n  \"*\": { calls: 90, seconds: 60 }\n").unwrap();
    let err = config.validate().unwrap_err().to_string();
    assert!(
        err.contains("rate_limits.") && err.contains("documented"),
        "{err}"
    );
}

#[test]
fn the_section_written_back_reads_the_same() {
    for yaml in [
        "rate_limits: documented\n",
        "rate_limits:\n  preset: documented\n  CreateLoadBalancer: { calls: 10, seconds: 60 }\n",
    ] {
        let config = parse(yaml).unwrap();
        let again = parse(&serde_yaml::to_string(&config).unwrap()).unwrap();
        assert_eq!(again.rate_limits, config.rate_limits, "{yaml}");
    }
}
