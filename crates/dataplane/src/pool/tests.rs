use std::time::Duration;

use super::*;
use crate::config::{Protocol, Scheduler};
use crate::metrics::Metrics;

fn listener(backends: &[(&str, u8)], drain: Option<Duration>) -> ListenerConfig {
    let mut l = ListenerConfig::new("l", Protocol::Tcp, "127.0.0.1:0".parse().unwrap());
    l.scheduler = Scheduler::Wrr;
    l.backends = backends
        .iter()
        .map(|(a, w)| BackendConfig {
            addr: a.parse().unwrap(),
            weight: *w,
        })
        .collect();
    if let Some(timeout) = drain {
        l.drain = DrainConfig {
            enabled: true,
            timeout,
        };
    }
    l
}

fn pool(cfg: &ListenerConfig) -> Pool {
    Pool::new(cfg, Metrics::default().listener("l"))
}

const A: &str = "127.0.0.1:1001";
const CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)), 5000);
const LOCAL: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 80);
const B: &str = "127.0.0.1:1002";

#[tokio::test]
async fn staying_backend_keeps_its_identity_across_updates() {
    let p = pool(&listener(&[(A, 10)], None));
    let conn = p.pick(CLIENT, LOCAL).unwrap();
    p.update(&listener(&[(A, 50), (B, 10)], None));
    assert!(Arc::ptr_eq(conn.backend(), &p.backends()[0]));
    assert!(!conn.backend().kill.is_cancelled());
}

#[tokio::test]
async fn removed_backend_without_drain_is_killed_at_once() {
    let p = pool(&listener(&[(A, 10), (B, 10)], None));
    let a = p.backends()[0].clone();
    p.update(&listener(&[(B, 10)], None));
    assert!(a.kill.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn removed_backend_with_drain_is_killed_only_after_the_timeout() {
    let p = pool(&listener(&[(A, 10)], Some(Duration::from_secs(10))));
    let a = p.backends()[0].clone();
    p.update(&listener(&[], Some(Duration::from_secs(10))));
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert!(!a.kill.is_cancelled());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(a.kill.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn weight_zero_drains_and_restoring_weight_cancels_the_drain() {
    let drain = Some(Duration::from_secs(10));
    let p = pool(&listener(&[(A, 10), (B, 10)], drain));
    let a = p.backends()[0].clone();
    p.update(&listener(&[(A, 0), (B, 10)], drain));
    for _ in 0..5 {
        assert_eq!(
            p.pick(CLIENT, LOCAL).unwrap().backend().addr,
            B.parse().unwrap()
        );
    }
    p.update(&listener(&[(A, 10), (B, 10)], drain));
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert!(!a.kill.is_cancelled());
}

#[tokio::test]
async fn killed_backend_that_returns_gets_a_fresh_kill_switch() {
    let p = pool(&listener(&[(A, 10)], None));
    p.update(&listener(&[(A, 0)], None));
    assert!(p.backends()[0].kill.is_cancelled());
    assert!(p.pick(CLIENT, LOCAL).is_none());
    p.update(&listener(&[(A, 10)], None));
    assert!(!p.backends()[0].kill.is_cancelled());
    assert!(p.pick(CLIENT, LOCAL).is_some());
}

#[tokio::test]
async fn killed_backend_that_returns_keeps_its_health_verdict() {
    let p = pool(&listener(&[(A, 10)], None));
    let before = &p.backends()[0];
    before.set_healthy(false);
    before.set_checked(true);
    p.update(&listener(&[(A, 0)], None));
    p.update(&listener(&[(A, 10)], None));
    assert_eq!(
        p.backend_health(A.parse().unwrap()),
        Some(BackendHealth::Unhealthy)
    );
}

#[tokio::test]
async fn active_count_follows_connection_guards() {
    let p = pool(&listener(&[(A, 10)], None));
    let g1 = p.pick(CLIENT, LOCAL).unwrap();
    let g2 = p.pick(CLIENT, LOCAL).unwrap();
    assert_eq!(p.backends()[0].active(), 2);
    drop(g1);
    drop(g2);
    assert_eq!(p.backends()[0].active(), 0);
}

#[test]
fn hairpin_matches_backend_ips_only_when_enabled() {
    let mut cfg = listener(&[(A, 10)], None);
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(!pool(&cfg).is_hairpin(ip));
    cfg.refuse_hairpin = true;
    let p = pool(&cfg);
    assert!(p.is_hairpin(ip));
    assert!(!p.is_hairpin("127.0.0.2".parse().unwrap()));
}

#[tokio::test]
async fn a_sticky_pick_returns_the_named_backend_while_it_is_eligible() {
    let p = pool(&listener(&[(A, 10), (B, 10)], None));
    let b_id = backend_id(B.parse().unwrap());
    for _ in 0..4 {
        let g = p.pick_sticky(Some(b_id), CLIENT, LOCAL).unwrap();
        assert_eq!(g.backend().addr, B.parse().unwrap());
    }
}

#[tokio::test]
async fn a_sticky_pick_of_an_unhealthy_or_unknown_backend_falls_back_to_the_scheduler() {
    let p = pool(&listener(&[(A, 10), (B, 10)], None));
    p.backends()[1].set_healthy(false);
    let b_id = backend_id(B.parse().unwrap());
    let g = p.pick_sticky(Some(b_id), CLIENT, LOCAL).unwrap();
    assert_eq!(g.backend().addr, A.parse().unwrap());
    let g = p.pick_sticky(Some(42), CLIENT, LOCAL).unwrap();
    assert_eq!(g.backend().addr, A.parse().unwrap());
}
