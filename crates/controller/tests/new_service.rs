//! What a new Service costs, counted from the controller's own `/metrics`: a Service that
//! never carried the finalizer gets its CLB with exactly the four creating calls (no lookup
//! by tag first: finalizer-first ordering means no CLB can exist for it), while one that
//! already carries the finalizer (a crash after adding it, or a migration from the reference
//! CCM) is looked up by tag before anything is created.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kube::api::PostParams;
use slb_controller::service_writes::FINALIZER;
use std::collections::BTreeMap;
use support::{Harness, harness, service};

async fn create_and_settle(h: &Harness, finalizers: Option<Vec<String>>) -> BTreeMap<String, u64> {
    let (key, value) = h.own_nodes();
    let mut svc = service(&h.ns, "web", false, &[(&key, &value)]);
    svc.metadata.finalizers = finalizers;
    support::eventually("the admin server", || {
        support::admin_get(h.admin, "/metrics")
    })
    .await;
    let before = h.calls_by_action().await;
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    h.ingress_ip("web").await;
    support::settle(h).await;
    h.calls_by_action()
        .await
        .into_iter()
        .map(|(a, n)| (a.clone(), n - before.get(&a).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[tokio::test]
async fn a_new_service_costs_exactly_the_four_creating_calls() {
    let h = harness("newsvc").await;
    let calls = create_and_settle(&h, None).await;
    let want: BTreeMap<String, u64> = [
        "CreateLoadBalancer",
        "CreateVServerGroup",
        "CreateLoadBalancerTCPListener",
        "StartLoadBalancerListener",
    ]
    .into_iter()
    .map(|a| (a.to_owned(), 1))
    .collect();
    assert_eq!(calls, want);
}

#[tokio::test]
async fn a_service_that_already_has_the_finalizer_is_looked_up_before_a_create() {
    let h = harness("finalized").await;
    let calls = create_and_settle(&h, Some(vec![FINALIZER.to_owned()])).await;
    assert_eq!(calls.get("DescribeLoadBalancers"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("CreateLoadBalancer"), Some(&1), "{calls:?}");
    assert_eq!(calls.values().sum::<u64>(), 5, "{calls:?}");
}
