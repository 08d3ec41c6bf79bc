use super::*;
use proptest::prelude::*;

const ALL: [Scheduler; 5] = [
    Scheduler::Rr,
    Scheduler::Wrr,
    Scheduler::Wlc,
    Scheduler::Sch,
    Scheduler::Tch,
];

fn cands(weights: &[u8]) -> Vec<Candidate> {
    weights
        .iter()
        .enumerate()
        .map(|(i, &weight)| Candidate {
            id: i as u64,
            weight,
            eligible: true,
            active: 0,
        })
        .collect()
}

fn counts(sel: &mut Selector, c: &[Candidate], picks: usize) -> Vec<usize> {
    let mut out = vec![0; c.len()];
    for _ in 0..picks {
        out[sel.pick(c, 0).unwrap()] += 1;
    }
    out
}

#[test]
fn wrr_spreads_one_two_three_smoothly() {
    let mut sel = Selector::new(Scheduler::Wrr);
    let c = cands(&[1, 2, 3]);
    let seq: Vec<usize> = (0..6).map(|_| sel.pick(&c, 0).unwrap()).collect();
    // Smooth: the heaviest backend never takes three in a row within a cycle.
    assert_eq!(seq, vec![2, 1, 0, 2, 1, 2]);
}

#[test]
fn rr_ignores_weights_but_skips_weight_zero() {
    let mut sel = Selector::new(Scheduler::Rr);
    let c = cands(&[1, 0, 90, 5]);
    assert_eq!(counts(&mut sel, &c, 300), vec![100, 0, 100, 100]);
}

#[test]
fn every_scheduler_skips_ineligible_backends() {
    for s in ALL {
        let mut sel = Selector::new(s);
        let mut c = cands(&[10, 10, 10]);
        c[1].eligible = false;
        let got = counts(&mut sel, &c, 30);
        assert_eq!(got[1], 0, "{s:?} picked an unhealthy backend");
        assert_eq!(got[0] + got[2], 30, "{s:?}");
    }
}

#[test]
fn no_usable_backend_yields_none() {
    let table: [(&str, Vec<Candidate>); 3] = [
        ("empty", vec![]),
        ("all weight zero", cands(&[0, 0])),
        (
            "all unhealthy",
            vec![Candidate {
                id: 0,
                weight: 5,
                eligible: false,
                active: 0,
            }],
        ),
    ];
    for (name, c) in table {
        for s in ALL {
            assert_eq!(Selector::new(s).pick(&c, 0), None, "{name} / {s:?}");
        }
    }
}

#[test]
fn wlc_prefers_lowest_connections_per_weight() {
    let mut sel = Selector::new(Scheduler::Wlc);
    let c = vec![
        Candidate {
            id: 1,
            weight: 10,
            eligible: true,
            active: 5,
        }, // 0.5
        Candidate {
            id: 2,
            weight: 20,
            eligible: true,
            active: 6,
        }, // 0.3
        Candidate {
            id: 3,
            weight: 10,
            eligible: true,
            active: 4,
        }, // 0.4
    ];
    assert_eq!(sel.pick(&c, 0), Some(1));
}

#[test]
fn wlc_with_equal_load_rotates_instead_of_pinning_the_first() {
    let mut sel = Selector::new(Scheduler::Wlc);
    let c = cands(&[10, 10, 10]);
    let seq: Vec<usize> = (0..3).map(|_| sel.pick(&c, 0).unwrap()).collect();
    assert_eq!(seq, vec![0, 1, 2]);
}

#[test]
fn wrr_resets_state_when_the_backend_count_changes() {
    let mut sel = Selector::new(Scheduler::Wrr);
    sel.pick(&cands(&[1, 2, 3]), 0);
    assert_eq!(counts(&mut sel, &cands(&[1, 1]), 4), vec![2, 2]);
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn sch_keeps_a_client_ip_on_one_backend_whatever_its_port() {
    let c = cands(&[10, 10, 10, 10]);
    let mut sel = Selector::new(Scheduler::Sch);
    let local = sa("127.0.0.1:80");
    let first = sel.pick(&c, flow_hash(Scheduler::Sch, sa("10.0.0.7:1000"), local));
    for port in 1001..1100 {
        let flow = flow_hash(
            Scheduler::Sch,
            SocketAddr::new(sa("10.0.0.7:0").ip(), port),
            local,
        );
        assert_eq!(sel.pick(&c, flow), first);
    }
}

#[test]
fn tch_spreads_one_client_ips_ports_over_backends() {
    let c = cands(&[10, 10, 10]);
    let mut sel = Selector::new(Scheduler::Tch);
    let local = sa("127.0.0.1:80");
    let mut seen = [0usize; 3];
    for port in 1000..1300 {
        let flow = flow_hash(
            Scheduler::Tch,
            SocketAddr::new(sa("10.0.0.7:0").ip(), port),
            local,
        );
        seen[sel.pick(&c, flow).unwrap()] += 1;
    }
    assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
}

#[test]
fn hashed_shares_follow_weights() {
    let c = cands(&[10, 20, 30]);
    let mut sel = Selector::new(Scheduler::Sch);
    let mut seen = [0f64; 3];
    let n = 30_000;
    for i in 0..n {
        seen[sel.pick(&c, mix(i)).unwrap()] += 1.0;
    }
    for (i, want) in [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0].into_iter().enumerate() {
        let got = seen[i] / n as f64;
        assert!(
            (got - want).abs() < want * 0.05,
            "backend {i}: {got} vs {want}"
        );
    }
}

proptest! {
    /// Consistency: removing a backend moves only the flows that were on it.
    #[test]
    fn hashed_flows_move_only_when_their_backend_leaves(
        weights in prop::collection::vec(1u8..=100, 2..8),
        gone in any::<prop::sample::Index>(),
        flows in prop::collection::vec(any::<u64>(), 1..50),
    ) {
        let all = cands(&weights);
        let gone = gone.index(all.len());
        let mut rest = all.clone();
        rest[gone].eligible = false;
        let mut sel = Selector::new(Scheduler::Sch);
        for f in flows {
            let before = sel.pick(&all, f).unwrap();
            let after = sel.pick(&rest, f).unwrap();
            if before != gone {
                prop_assert_eq!(before, after);
            }
        }
    }

    #[test]
    fn wrr_matches_weights_exactly_per_cycle(
        weights in prop::collection::vec(0u8..=100, 1..8),
        cycles in 1usize..4,
    ) {
        let total: usize = weights.iter().map(|&w| usize::from(w)).sum();
        prop_assume!(total > 0);
        let mut sel = Selector::new(Scheduler::Wrr);
        let got = counts(&mut sel, &cands(&weights), total * cycles);
        let want: Vec<usize> = weights.iter().map(|&w| usize::from(w) * cycles).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn rr_gives_every_usable_backend_an_equal_share(
        weights in prop::collection::vec(0u8..=100, 1..8),
    ) {
        let usable = weights.iter().filter(|&&w| w > 0).count();
        prop_assume!(usable > 0);
        let mut sel = Selector::new(Scheduler::Rr);
        let got = counts(&mut sel, &cands(&weights), usable * 3);
        for (w, n) in weights.iter().zip(got) {
            prop_assert_eq!(n, if *w > 0 { 3 } else { 0 });
        }
    }

    #[test]
    fn wlc_never_picks_a_backend_with_higher_load_ratio(
        raw in prop::collection::vec((1u8..=100, 0u32..50, any::<bool>()), 1..8),
    ) {
        let c: Vec<Candidate> = raw.iter()
            .map(|&(weight, active, eligible)| Candidate { id: u64::from(weight), weight, eligible, active })
            .collect();
        let mut sel = Selector::new(Scheduler::Wlc);
        match sel.pick(&c, 0) {
            None => prop_assert!(c.iter().all(|x| !x.eligible)),
            Some(i) => {
                let p = c[i];
                prop_assert!(p.eligible);
                for o in c.iter().filter(|o| o.eligible) {
                    prop_assert!(u64::from(p.active) * u64::from(o.weight)
                        <= u64::from(o.active) * u64::from(p.weight));
                }
            }
        }
    }
}
