//! Leader election against a real kube-apiserver: one leader at a time, a clean hand-over on
//! shutdown, a take-over after a crashed leader's lease expires, and respect for a lease held by
//! someone else (the Go CCM during a migration).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use slb_controller::leader::{Elector, LeaderConfig};
use slb_testkit::ControlPlane;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

fn fast(ns: &str, identity: &str) -> LeaderConfig {
    LeaderConfig {
        lease_duration: Duration::from_secs(2),
        renew_deadline: Duration::from_millis(1500),
        retry_period: Duration::from_millis(200),
        ..LeaderConfig::new(ns, "slb-ccm", identity)
    }
}

async fn wait_for(rx: &mut watch::Receiver<bool>, want: bool, within: Duration) {
    tokio::time::timeout(within, rx.wait_for(|v| *v == want))
        .await
        .unwrap_or_else(|_| panic!("leadership did not become {want} within {within:?}"))
        .unwrap();
}

struct Replica {
    rx: watch::Receiver<bool>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

async fn replica(ns: &str, identity: &str) -> Replica {
    let client = ControlPlane::shared()
        .await
        .unwrap()
        .client()
        .await
        .unwrap();
    let (tx, rx) = watch::channel(false);
    let stop = CancellationToken::new();
    let task = tokio::spawn(Elector::new(client, fast(ns, identity)).run(tx, stop.clone()));
    Replica { rx, stop, task }
}

#[tokio::test]
async fn one_replica_leads_and_a_standby_takes_over_when_it_shuts_down() {
    let ns = ControlPlane::shared()
        .await
        .unwrap()
        .namespace("leader")
        .await
        .unwrap();
    let mut a = replica(&ns, "replica-a").await;
    wait_for(&mut a.rx, true, Duration::from_secs(5)).await;
    let mut b = replica(&ns, "replica-b").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !*b.rx.borrow(),
        "a standby must not lead while the lease is held"
    );

    a.stop.cancel();
    a.task.await.unwrap();
    assert!(!*a.rx.borrow());
    // The lease was released, so b takes over on its next round, well before expiry.
    wait_for(&mut b.rx, true, Duration::from_secs(1)).await;
    b.stop.cancel();
    b.task.await.unwrap();
}

#[tokio::test]
async fn a_crashed_leader_is_replaced_once_its_lease_expires() {
    let ns = ControlPlane::shared()
        .await
        .unwrap()
        .namespace("leader")
        .await
        .unwrap();
    let mut a = replica(&ns, "crashing").await;
    wait_for(&mut a.rx, true, Duration::from_secs(5)).await;
    a.task.abort(); // no release: the lease must time out
    let mut b = replica(&ns, "survivor").await;
    wait_for(&mut b.rx, true, Duration::from_secs(6)).await;

    let client = ControlPlane::shared()
        .await
        .unwrap()
        .client()
        .await
        .unwrap();
    let lease = Api::<Lease>::namespaced(client, &ns)
        .get("slb-ccm")
        .await
        .unwrap();
    let spec = lease.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("survivor"));
    assert_eq!(spec.lease_transitions, Some(1), "one hand-over recorded");
    b.stop.cancel();
}

#[tokio::test]
async fn a_lease_renewed_by_the_go_ccm_is_respected() {
    let cp = ControlPlane::shared().await.unwrap();
    let ns = cp.namespace("leader").await.unwrap();
    let leases = Api::<Lease>::namespaced(cp.client().await.unwrap(), &ns);
    let go_lease = |rv: Option<String>| Lease {
        metadata: ObjectMeta {
            name: Some("slb-ccm".into()),
            resource_version: rv,
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("go-ccm-7d9f_1234".into()),
            lease_duration_seconds: Some(2),
            renew_time: Some(MicroTime(Timestamp::now())),
            ..Default::default()
        }),
    };
    leases
        .create(&PostParams::default(), &go_lease(None))
        .await
        .unwrap();
    let mut ours = replica(&ns, "slb-ccm-0").await;
    // Keep renewing as the Go CCM would, for three lease periods.
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!*ours.rx.borrow(), "took a lease the Go CCM was renewing");
        let rv = leases
            .get("slb-ccm")
            .await
            .unwrap()
            .metadata
            .resource_version;
        leases
            .replace("slb-ccm", &PostParams::default(), &go_lease(rv))
            .await
            .unwrap();
    }
    // The Go CCM stops; its lease expires and we take over.
    wait_for(&mut ours.rx, true, Duration::from_secs(5)).await;
    ours.stop.cancel();
}
