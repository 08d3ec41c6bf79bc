//! What a restart costs, counted from the new controller's own `/metrics`: with an empty
//! cache and nothing to change, each Service's CLB is observed once by the id on its label —
//! its attribute (which carries the tags), its listeners, its vServer groups and each group's
//! members — and nothing else: no lookup, no tag call, no write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kube::api::PostParams;
use std::collections::BTreeMap;
use std::time::Duration;
use support::{calls_by_action_at, harness, service};

/// Waits (up to 60 s) until the calls at `admin` stop moving for 1.5 s and returns them.
async fn settled_calls(admin: std::net::SocketAddr) -> BTreeMap<String, u64> {
    support::eventually("the admin server", || support::admin_get(admin, "/metrics")).await;
    let mut last = calls_by_action_at(admin).await;
    let mut quiet = 0;
    for _ in 0..240 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = calls_by_action_at(admin).await;
        quiet = if now == last && !now.is_empty() {
            quiet + 1
        } else {
            0
        };
        last = now;
        if quiet >= 6 {
            return last;
        }
    }
    panic!("the restarted controller never went quiet: {last:?}");
}

#[tokio::test]
async fn a_restart_observes_each_clb_with_four_describes_and_no_tag_call() {
    let h = harness("restart").await;
    let (key, value) = h.own_nodes();
    for name in ["web", "api"] {
        let svc = service(&h.ns, name, false, &[(&key, &value)]);
        h.services()
            .create(&PostParams::default(), &svc)
            .await
            .unwrap();
    }
    h.ingress_ip("web").await;
    h.ingress_ip("api").await;
    support::settle(&h).await;

    h.stop_controller();
    let restarted = h.start_replica("restarted");
    let calls = settled_calls(restarted.admin).await;
    let want: BTreeMap<String, u64> = [
        "DescribeLoadBalancerAttribute",
        "DescribeLoadBalancerListeners",
        "DescribeVServerGroups",
        "DescribeVServerGroupAttribute",
    ]
    .into_iter()
    .map(|a| (a.to_owned(), 2))
    .collect();
    assert_eq!(calls, want, "two Services, each observed once");
}
