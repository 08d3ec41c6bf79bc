use super::*;
use proptest::prelude::*;

fn sa(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

const BACKEND: u16 = 9000;

#[test]
fn first_datagram_asks_for_a_flow_and_later_ones_forward() {
    let t0 = Instant::now();
    let mut t = FlowTable::new(Duration::from_secs(10), 8);
    assert_eq!(t.on_client_datagram(t0, sa(1)), Inbound::NewFlow);
    t.open(t0, sa(1), sa(BACKEND));
    assert_eq!(t.on_client_datagram(t0, sa(1)), Inbound::Forward);
    assert_eq!(t.get(sa(1)).unwrap().backend, sa(BACKEND));
}

#[test]
fn idle_flow_is_evicted_after_the_timeout_and_not_before() {
    let t0 = Instant::now();
    let mut t = FlowTable::new(Duration::from_secs(10), 8);
    t.open(t0, sa(1), sa(BACKEND));
    assert!(t.evict_idle(t0 + Duration::from_secs(9)).is_empty());
    let gone = t.evict_idle(t0 + Duration::from_secs(10));
    assert_eq!(gone.len(), 1);
    assert!(t.is_empty());
}

#[test]
fn traffic_in_either_direction_keeps_a_flow_alive() {
    let t0 = Instant::now();
    let mut t = FlowTable::new(Duration::from_secs(10), 8);
    t.open(t0, sa(1), sa(BACKEND));
    t.open(t0, sa(2), sa(BACKEND));
    t.on_client_datagram(t0 + Duration::from_secs(8), sa(1));
    t.on_reply(t0 + Duration::from_secs(8), sa(2));
    assert!(t.evict_idle(t0 + Duration::from_secs(15)).is_empty());
    assert_eq!(t.evict_idle(t0 + Duration::from_secs(18)).len(), 2);
}

#[test]
fn a_full_table_drops_new_clients_but_serves_existing_ones() {
    let t0 = Instant::now();
    let mut t = FlowTable::new(Duration::from_secs(10), 1);
    t.open(t0, sa(1), sa(BACKEND));
    assert_eq!(t.on_client_datagram(t0, sa(2)), Inbound::DropFull);
    assert_eq!(t.on_client_datagram(t0, sa(1)), Inbound::Forward);
}

#[test]
fn closing_reports_the_reason_once() {
    let t0 = Instant::now();
    let mut t = FlowTable::new(Duration::from_secs(10), 8);
    t.open(t0, sa(1), sa(BACKEND));
    let (_, why) = t.close(sa(1), "backend_removed").unwrap();
    assert_eq!(why.kind(), "backend_removed");
    assert!(t.close(sa(1), "backend_removed").is_none());
}

#[test]
fn sweep_interval_is_a_quarter_of_the_timeout_within_bounds() {
    let table = [(1, 10), (400, 100), (90_000, 1000)];
    for (idle_ms, want_ms) in table {
        let t = FlowTable::new(Duration::from_millis(idle_ms), 1);
        assert_eq!(
            t.sweep_interval(),
            Duration::from_millis(want_ms),
            "idle {idle_ms}"
        );
    }
}

proptest! {
    /// Seeded simulation: after any sequence of events, a flow is present exactly when its
    /// last activity is younger than the idle timeout at the last sweep.
    #[test]
    fn flows_survive_exactly_while_active(
        events in prop::collection::vec((0u16..6, 0u64..400, any::<bool>()), 1..200),
    ) {
        let idle = Duration::from_millis(1000);
        let t0 = Instant::now();
        let mut t = FlowTable::new(idle, 64);
        let mut last: HashMap<SocketAddr, Instant> = HashMap::new();
        let mut now = t0;
        for (client, advance, reply) in events {
            now += Duration::from_millis(advance);
            for (c, _) in t.evict_idle(now) {
                let seen = last.remove(&c).unwrap();
                prop_assert!(now.duration_since(seen) >= idle);
            }
            let c = sa(client);
            if reply {
                t.on_reply(now, c);
                if let Some(s) = last.get_mut(&c) { *s = now; }
            } else if t.on_client_datagram(now, c) == Inbound::NewFlow {
                t.open(now, c, sa(BACKEND));
                last.insert(c, now);
            } else {
                last.insert(c, now);
            }
            prop_assert_eq!(t.len(), last.len());
        }
    }
}
