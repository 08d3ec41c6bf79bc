//! `/readyz` against a real kube-apiserver: a replica is Ready once its Service, Node and
//! EndpointSlice caches have listed ("able to act", DESIGN.md), whether it reconciles alone
//! or stands by behind a leader, so a two-replica Deployment with a readiness probe becomes
//! Available. Only the Lease holder calls the cloud.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::PostParams;
use std::net::SocketAddr;
use std::time::Duration;
use support::{LEASE, Options, admin_get, eventually, harness_with, sum_series};
use tokio::time::Instant;

/// Generous for a small shared machine; a replica that never becomes ready fails anyway.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// Waits until `/readyz` on `admin` answers 200; returns how long that took.
async fn ready(admin: SocketAddr) -> Duration {
    let started = Instant::now();
    while started.elapsed() < READY_WITHIN {
        if let Some((200, body)) = admin_get(admin, "/readyz").await {
            assert!(body.ends_with("ok"), "{body}");
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = admin_get(admin, "/readyz").await;
    panic!("/readyz on {admin} not 200 within {READY_WITHIN:?}: {last:?}");
}

async fn gauge(admin: SocketAddr, name: &str) -> u64 {
    let (_, text) = admin_get(admin, "/metrics").await.unwrap();
    sum_series(&text, name, "")
}

async fn cloud_calls(admin: SocketAddr) -> u64 {
    gauge(admin, "slb_controller_openapi_calls_total").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_replica_without_election_is_ready_within_seconds_while_it_reconciles() {
    let h = harness_with("ready-single", Options::default()).await;
    // A Service already there, so reconciles run while the caches finish listing.
    let (key, value) = h.own_nodes();
    let svc = support::service(&h.ns, "web", false, &[(&key, &value)]);
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();

    let took = ready(h.admin).await;
    println!("ready after {took:?}");
    h.ingress_ip("web").await;
    assert!(h.reconciles().await > 0, "the replica reconciled");
    assert_eq!(
        admin_get(h.admin, "/readyz").await.unwrap().0,
        200,
        "and stays ready"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_leader_election_both_replicas_are_ready_and_only_the_holder_calls_the_cloud() {
    let h = harness_with(
        "ready-elect",
        Options {
            leader_identity: Some("replica-a".into()),
            ..Options::default()
        },
    )
    .await;
    let b = h.start_replica("replica-b");
    let admins = [("replica-a", h.admin), ("replica-b", b.admin)];

    for (_, admin) in admins {
        ready(admin).await;
    }
    let leases: Api<Lease> = Api::namespaced(h.client.clone(), &h.ns);
    let holder = eventually("a Lease holder", || async {
        leases.get_opt(LEASE).await.unwrap()?.spec?.holder_identity
    })
    .await;
    let (leader, standby) = if holder == admins[0].0 {
        (admins[0].1, admins[1].1)
    } else {
        (admins[1].1, admins[0].1)
    };
    eventually("the leader gauge on the holder", || async {
        (gauge(leader, "slb_controller_leader").await == 1).then_some(())
    })
    .await;

    let (key, value) = h.own_nodes();
    let svc = support::service(&h.ns, "web", false, &[(&key, &value)]);
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    h.ingress_ip("web").await;

    assert!(cloud_calls(leader).await > 0, "the holder built the CLB");
    assert_eq!(cloud_calls(standby).await, 0, "the standby called nothing");
    assert_eq!(gauge(standby, "slb_controller_leader").await, 0);
    assert_eq!(
        gauge(standby, "slb_controller_reconciles_total").await,
        0,
        "the standby reconciled nothing"
    );
    for (name, admin) in admins {
        let code = admin_get(admin, "/readyz").await.unwrap().0;
        assert_eq!(code, 200, "{name} is still ready");
    }
    assert_eq!(
        leases
            .get(LEASE)
            .await
            .unwrap()
            .spec
            .unwrap()
            .holder_identity,
        Some(holder),
        "one holder throughout"
    );
}
