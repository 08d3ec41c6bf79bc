//! slb-ccm installed from `deploy/` into a real one-node cluster (kubelet, containerd,
//! kube-proxy, scheduler, controller-manager: `slb_testkit::RealCluster`), as a user installs
//! it: its image built by `scripts/build-image.sh`, the manifests applied with `kubectl apply
//! -k` through an overlay, the local CLB running in the cloud's network namespace.
//!
//! One scenario, in order, because each phase stands on the previous one (and a cluster takes
//! seconds to start): the Deployment becomes Available with 2/2 Ready and one leader; a Cluster
//! and a Local Service in front of real pods get IPs whose VIPs carry traffic through the
//! NodePort and kube-proxy; the Local backend's weight follows the ready pods as the Deployment
//! scales; `kubectl rollout restart` of slb-ccm moves the Lease and changes nothing; a rollout
//! of the pods behind a draining Service loses no request; a pod reaches both LB IPs from
//! inside the cluster. The figures go to stdout and to
//! `$CARGO_TARGET_TMPDIR/real-cluster-report-services.txt` (scripts/test.sh prints it).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod real_cluster_support;

use real_cluster_support::*;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slb_ccm_installed_from_deploy_serves_a_real_cluster() {
    let mut report = Report::new("services");
    let t = Instant::now();
    let env = Env::start().await;
    report.line(format!(
        "cluster, image and local CLB ready in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // 1. Install as a user would; the Deployment becomes Available with both replicas Ready.
    let t = Instant::now();
    env.install_slb_ccm();
    env.wait_rollout("slb-ccm", "deployment/slb-ccm", Duration::from_secs(180));
    let ready = env.ready_replicas("slb-ccm", "slb-ccm").await;
    assert_eq!(ready, 2, "both replicas Ready");
    report.line(format!(
        "slb-ccm Available 2/2 Ready {:.1} s after kubectl apply -k",
        t.elapsed().as_secs_f64()
    ));
    let leader = env.lease_holder().await.expect("one replica leads");
    let pods = env.pod_names("slb-ccm", "app=slb-ccm").await;
    assert!(
        pods.iter().any(|p| leader.starts_with(&format!("{p}_"))),
        "leader {leader} is one of {pods:?}"
    );
    report.line(format!("leader: {leader}"));

    // 2. Workload behind a Cluster and a Local Service: IPs, and VIPs that carry traffic.
    let t = Instant::now();
    env.apply_workload(2).await;
    let cluster_ip = env.ingress_ip(CLUSTER_SVC).await;
    let first_ip = t.elapsed();
    let local_ip = env.ingress_ip(LOCAL_SVC).await;
    report.line(format!(
        "first LB IP {:.1} s after the Services were created ({CLUSTER_SVC} {cluster_ip}, {LOCAL_SVC} {local_ip} at {:.1} s)",
        first_ip.as_secs_f64(),
        t.elapsed().as_secs_f64()
    ));
    // An IP can come before the second echo pod is Ready, and kube-proxy programs a newly
    // Ready pod within its sync period: wait for the rollout, then retry a split that has
    // not reached both pods yet (30 s at most).
    env.wait_rollout(APP_NS, "deployment/echo", Duration::from_secs(120));
    for (svc, ip) in [(CLUSTER_SVC, &cluster_ip), (LOCAL_SVC, &local_ip)] {
        let mut split = env.split_through_vip(ip, 60).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while split.len() < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            split = env.split_through_vip(ip, 60).await;
        }
        report.line(format!(
            "{svc}: 60 requests from the cloud through {ip}:80 → {split:?}"
        ));
        assert_eq!(split.values().sum::<usize>(), 60, "every request answered");
        assert_eq!(
            split.len(),
            2,
            "both pods answer through kube-proxy: {split:?}"
        );
    }

    // 3. The Local backend's weight is the node's ready pods, and follows scaling.
    // Weight = the 2 ready pods on the node, once the controller has seen the second one
    // become Ready (the rollout above may have finished just now).
    assert_eq!(env.wait_local_weight(2).await, vec![2]);
    for replicas in [3, 1] {
        env.kubectl(&[
            "-n",
            APP_NS,
            "scale",
            "deployment/echo",
            &format!("--replicas={replicas}"),
        ]);
        let t = Instant::now();
        let weights = env.wait_local_weight(replicas).await;
        report.line(format!(
            "scaled echo to {replicas}: Local backend weight {weights:?} after {:.1} s",
            t.elapsed().as_secs_f64()
        ));
    }
    env.kubectl(&["-n", APP_NS, "scale", "deployment/echo", "--replicas=2"]);
    env.wait_local_weight(2).await;
    env.wait_rollout(APP_NS, "deployment/echo", Duration::from_secs(60));

    // 4. Rolling slb-ccm moves the Lease and changes nothing, while traffic keeps flowing.
    let before = env.services_snapshot().await;
    let writes_before = env.clb_write_calls().await;
    let load = env.load(&local_ip);
    let t = Instant::now();
    env.kubectl(&["-n", "slb-ccm", "rollout", "restart", "deployment/slb-ccm"]);
    env.wait_rollout("slb-ccm", "deployment/slb-ccm", Duration::from_secs(240));
    let new_leader = env.wait_new_leader(&leader).await;
    let rollout = t.elapsed();
    env.wait_old_pods_gone("slb-ccm", "app=slb-ccm", 2).await;
    let old_gone = t.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let traffic = load.finish().await;
    report.line(format!(
        "rollout restart of slb-ccm: complete in {:.1} s, old pods gone at {:.1} s; lease {leader} → {new_leader}; {traffic}",
        rollout.as_secs_f64(),
        old_gone.as_secs_f64()
    ));
    assert_eq!(env.services_snapshot().await, before, "no Service changed");
    assert_eq!(
        env.clb_write_calls().await,
        writes_before,
        "no write call reached the CLB"
    );
    assert_eq!(
        traffic.failed, 0,
        "no request failed while slb-ccm rolled: {traffic}"
    );

    // 5. Rolling the pods behind the draining Local Service loses no request.
    let load = env.load(&local_ip);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let t = Instant::now();
    env.kubectl(&["-n", APP_NS, "rollout", "restart", "deployment/echo"]);
    env.wait_rollout(APP_NS, "deployment/echo", Duration::from_secs(120));
    let rollout = t.elapsed();
    env.wait_old_pods_gone(APP_NS, "app=echo", 2).await;
    let old_gone = t.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let traffic = load.finish().await;
    report.line(format!(
        "rollout restart of the echo pods (connection-drain on): complete in {:.1} s, old pods gone at {:.1} s; {traffic}",
        rollout.as_secs_f64(),
        old_gone.as_secs_f64()
    ));
    assert_eq!(
        traffic.failed, 0,
        "no request failed while the pods rolled: {traffic}"
    );
    assert!(
        traffic.pods.len() >= 3,
        "old and new pods answered: {traffic}"
    );

    // 6. From inside the cluster, a pod reaches both LB IPs (kube-proxy's short-circuit).
    for (svc, ip) in [(CLUSTER_SVC, &cluster_ip), (LOCAL_SVC, &local_ip)] {
        let out = env.in_cluster_get(svc, ip, 20).await;
        report.line(format!("in-cluster pod → {svc} {ip}:80: {out}"));
    }
    report.finish();
}
