//! Fault injection through the admin action: throttling and latency.

use slb_openapi::Clb;
use slb_openapi::clb::DescribeLoadBalancersRequest;

use crate::support::*;

#[tokio::test]
async fn throttled_action_answers_throttling_user_while_others_pass() {
    let h = start().await;
    let faults = r#"{"throttle":{"DescribeLoadBalancers":1.0}}"#;
    assert_eq!(
        raw(h.addr, "POST", "LocalSetFaults", &[("Faults", faults)])
            .await
            .0,
        200
    );
    let err = assert_code(
        h.client
            .describe_load_balancers(&DescribeLoadBalancersRequest::default())
            .await,
        "Throttling.User",
        400,
    );
    assert!(err.is_throttling());
    assert!(h.client.create_load_balancer(&intranet("ok")).await.is_ok());
    let (status, body) = raw(h.addr, "POST", "LocalDescribeFaults", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["Faults"]["throttle"]["DescribeLoadBalancers"], 1.0);
    raw(h.addr, "POST", "LocalSetFaults", &[("Faults", "{}")]).await;
    assert!(
        h.client
            .describe_load_balancers(&DescribeLoadBalancersRequest::default())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn half_rate_throttles_every_second_call() {
    let h = start().await;
    raw(
        h.addr,
        "POST",
        "LocalSetFaults",
        &[("Faults", r#"{"throttle":{"*":0.5}}"#)],
    )
    .await;
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(
            h.client
                .describe_load_balancers(&DescribeLoadBalancersRequest::default())
                .await
                .is_ok(),
        );
    }
    assert_eq!(outcomes, [true, false, true, false]);
}

#[tokio::test]
async fn injected_latency_delays_answers_by_at_least_that_much() {
    let h = start().await;
    raw(
        h.addr,
        "POST",
        "LocalSetFaults",
        &[("Faults", r#"{"latency_ms":120}"#)],
    )
    .await;
    let started = tokio::time::Instant::now();
    h.client
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(120));
}
