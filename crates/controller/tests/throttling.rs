//! A throttling storm against the controller, through the real signed HTTP client and its
//! governor (the path `--cloud local` and Alibaba Cloud take): while every call is refused
//! with `Throttling.User`, each Service gets one event saying so and backs off (no hot loop,
//! no CLB half-made twice); when the storm eases to one call in two refused, the governor's
//! retries absorb it and every Service converges to exactly one CLB, after which the
//! controller goes quiet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::PostParams;
use slb_openapi::local_admin::{LocalFaults, LocalSetFaultsRequest};
use std::collections::BTreeMap;
use std::time::Duration;
use support::{Harness, Options, harness_with, service, sum_series};

const SERVICES: usize = 6;

async fn failures(h: &Harness) -> u64 {
    sum_series(
        &h.metrics().await,
        "slb_controller_reconcile_failures_total",
        "",
    )
}

#[tokio::test]
async fn services_converge_through_a_throttling_storm_without_an_error_loop() {
    let h = harness_with(
        "storm",
        Options {
            over_http: true,
            concurrency: 4,
            local_yaml: "faults:\n  throttle: { \"*\": 1.0 }\n".into(),
            ..Options::default()
        },
    )
    .await;
    let services = h.services();
    let slices: Api<EndpointSlice> = Api::namespaced(h.client.clone(), &h.ns);
    let names: Vec<String> = (0..SERVICES).map(|i| format!("web{i}")).collect();
    for name in &names {
        services
            .create(&PostParams::default(), &service(&h.ns, name, true, &[]))
            .await
            .unwrap();
        slices
            .create(&PostParams::default(), &h.slice(name, [1, 2, 3]))
            .await
            .unwrap();
    }

    // The storm: every call refused. Each Service says so once, with the remedy.
    for name in &names {
        support::eventually(&format!("a throttling event on {name}"), || async {
            h.events(name)
                .await
                .into_iter()
                .any(|(reason, message)| {
                    reason == "SyncLoadBalancerFailed" && message.contains("Throttling")
                })
                .then_some(())
        })
        .await;
    }
    assert!(
        h.engine.state().load_balancers.is_empty(),
        "nothing got through"
    );
    // Hold the storm for 6 s: per-Service backoff (5 s, then 10 s) allows at most two more
    // attempts each; a hot loop would make dozens.
    let storm_start = h.reconciles().await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let during_storm = h.reconciles().await - storm_start;
    assert!(
        during_storm <= 2 * SERVICES as u64,
        "{during_storm} reconciles of {SERVICES} Services in 6 s of storm"
    );
    let throttled = sum_series(
        &h.metrics().await,
        "slb_controller_openapi_throttles_total",
        "",
    );
    assert!(throttled > 0, "the governor saw the throttling");

    // The storm eases: one call in two is refused; the governor retries those.
    let eased = LocalSetFaultsRequest {
        faults: LocalFaults {
            throttle: BTreeMap::from([("*".to_owned(), 0.5)]),
            ..Default::default()
        },
        ..Default::default()
    };
    h.engine.local_set_faults(&eased).await.unwrap();
    for name in &names {
        h.ingress_ip(name).await;
    }
    let lbs = h.engine.state().load_balancers;
    assert_eq!(lbs.len(), SERVICES, "exactly one CLB per Service");
    for lb in lbs.values() {
        assert_eq!(lb.listeners.len(), 1, "{}: one listener", lb.id);
    }

    // The reconciles our own status writes trigger re-observe each new CLB once; after
    // that, converged means quiet: no calls and no reconciles for 3 s.
    support::settle(&h).await;
    let (calls, reconciles, failed) = (
        h.all_calls().await,
        h.reconciles().await,
        failures(&h).await,
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(h.all_calls().await, calls, "no calls once converged");
    assert_eq!(
        h.reconciles().await,
        reconciles,
        "no reconciles once converged"
    );
    assert_eq!(failures(&h).await, failed);
    eprintln!(
        "storm: {during_storm} reconciles in 6 s of full storm, {throttled} throttled \
         requests, {failed} failed reconciles in all, {calls} calls to converge"
    );
    assert!(
        failed <= 4 * SERVICES as u64,
        "{failed} failed reconciles for {SERVICES} Services: bounded by the backoff"
    );
}
