//! Services whose status or listeners go beyond one IPv4 VIP, against a real apiserver and
//! the local CLB: `ip-version: ipv6` gets the CLB's IPv6 VIP in its status,
//! `external-ip-type: eip` reports the EIP bound to its CLB (and says so when none is), and
//! `forward-port: 80:443` gets its redirect listener on the first try, after which the drift
//! check's full compare writes nothing, and a changed or removed `forward-port` is applied by
//! deleting and recreating the HTTP listeners concerned (redirect settings are creation-only
//! on the CLB) with no failed sync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use kube::api::PostParams;
use slb_openapi::vpc::{AllocateEipAddressRequest, AssociateEipAddressRequest, SLB_INSTANCE};
use slb_openapi::{Clb, Vpc};
use slb_testkit::fixtures::load_balancer_service;
use support::{Harness, Options, PREFIX, eventually, harness, harness_with, service};

async fn create(h: &Harness, svc: &k8s_openapi::api::core::v1::Service) {
    h.services()
        .create(&PostParams::default(), svc)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_ipv6_service_gets_the_ipv6_vip_in_its_status() {
    let h = harness("ipv6").await;
    let (key, value) = h.own_nodes();
    let version = format!("{PREFIX}ip-version");
    create(
        &h,
        &service(&h.ns, "v6", false, &[(&key, &value), (&version, "ipv6")]),
    )
    .await;
    assert_eq!(h.ingress_ip("v6").await, "::1");
    let id = h.clb_id("v6").await;
    let lb = h.cloud.observe(&id).await.unwrap().unwrap();
    assert_eq!(lb.address_ip_version, "ipv6");
}

#[tokio::test]
async fn an_eip_service_reports_the_eip_bound_to_its_clb() {
    let options = Options {
        drift: Duration::from_secs(2),
        ..Options::default()
    };
    let h = harness_with("eip", options).await;
    let (key, value) = h.own_nodes();
    let (eip_type, address_type) = (
        format!("{PREFIX}external-ip-type"),
        format!("{PREFIX}address-type"),
    );
    let annotations = [
        (key.as_str(), value.as_str()),
        (&eip_type, "eip"),
        (&address_type, "intranet"),
    ];
    create(&h, &service(&h.ns, "web", false, &annotations)).await;
    let id = h.clb_id("web").await;
    eventually("the no-EIP warning", || async {
        let events = h.events("web").await;
        events
            .iter()
            .any(|(reason, note)| reason == "EipNotBound" && note.contains(&id))
            .then_some(())
    })
    .await;
    let services = h.services();
    let status = services
        .get("web")
        .await
        .unwrap()
        .status
        .unwrap_or_default();
    let ingress = status
        .load_balancer
        .and_then(|l| l.ingress)
        .unwrap_or_default();
    assert!(
        ingress.is_empty(),
        "no VIP stands in for the missing EIP: {ingress:?}"
    );
    let eip = h
        .engine
        .allocate_eip_address(&AllocateEipAddressRequest::default())
        .await
        .unwrap();
    let bind = AssociateEipAddressRequest {
        allocation_id: eip.allocation_id,
        instance_id: id,
        instance_type: Some(SLB_INSTANCE.into()),
        ..Default::default()
    };
    h.engine.associate_eip_address(&bind).await.unwrap();
    assert_eq!(
        h.ingress_ip("web").await,
        eip.eip_address,
        "the drift check picks the EIP up"
    );
}

/// A certificate the local CLB accepts, uploaded; its id.
async fn certificate(h: &Harness) -> String {
    let c = rcgen::generate_simple_self_signed(vec!["www.example.com".to_owned()]).unwrap();
    let req = slb_openapi::clb::UploadServerCertificateRequest {
        server_certificate: c.cert.pem(),
        private_key: c.signing_key.serialize_pem(),
        server_certificate_name: "www".into(),
        ..Default::default()
    };
    h.engine
        .upload_server_certificate(&req)
        .await
        .unwrap()
        .server_certificate_id
}

fn writes(calls: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    calls
        .iter()
        .filter(|(a, _)| !a.starts_with("Describe") && !a.starts_with("List"))
        .map(|(a, n)| (a.clone(), *n))
        .collect()
}

#[tokio::test]
async fn a_forward_port_service_gets_its_redirect_first_try_and_a_full_compare_writes_nothing() {
    let options = Options {
        drift: Duration::from_secs(3),
        ..Options::default()
    };
    let h = harness_with("fwd", options).await;
    let cert = certificate(&h).await;
    let (key, value) = h.own_nodes();
    let mut svc = load_balancer_service(&h.ns, "web", &[(80, 8080), (443, 8443)]);
    let annotations = [
        (key, value),
        (
            format!("{PREFIX}protocol-port"),
            "http:80,https:443".to_owned(),
        ),
        (format!("{PREFIX}cert-id"), cert),
        (format!("{PREFIX}forward-port"), "80:443".to_owned()),
    ];
    svc.metadata.annotations = Some(annotations.into_iter().collect());
    create(&h, &svc).await;
    h.ingress_ip("web").await;
    support::settle(&h).await;
    let created = writes(&h.calls_by_action().await);
    assert_eq!(
        created.get("CreateLoadBalancerHTTPListener"),
        Some(&1),
        "{created:?}"
    );
    assert_eq!(
        created.get("CreateLoadBalancerHTTPSListener"),
        Some(&1),
        "{created:?}"
    );
    let failures: Vec<_> = h
        .events("web")
        .await
        .into_iter()
        .filter(|(r, _)| r.contains("Failed"))
        .collect();
    assert!(
        failures.is_empty(),
        "no failed sync on the way: {failures:?}"
    );
    let before = h.reconciles().await;
    eventually("two drift checks", || async {
        (h.reconciles().await >= before + 2).then_some(())
    })
    .await;
    let after = writes(&h.calls_by_action().await);
    assert_eq!(after, created, "a full compare plans no write");
    let id = h.clb_id("web").await;
    let lb = h.cloud.observe(&id).await.unwrap().unwrap();
    let http = lb.listeners.iter().find(|l| l.listener_port == 80).unwrap();
    assert_eq!(
        (
            http.attributes.listener_forward,
            http.attributes.forward_port
        ),
        (Some(true), Some(443))
    );
}

/// Service `web` with `ports` (port → target port), listeners `protocol_port` and the
/// uploaded certificate, redirecting as `forward` says.
fn web(
    h: &Harness,
    cert: &str,
    ports: &[(i32, i32)],
    protocol_port: &str,
    forward: Option<&str>,
) -> Service {
    let mut svc = load_balancer_service(&h.ns, "web", ports);
    let (key, value) = h.own_nodes();
    let mut annotations = BTreeMap::from([
        (key, value),
        (format!("{PREFIX}protocol-port"), protocol_port.to_owned()),
        (format!("{PREFIX}cert-id"), cert.to_owned()),
    ]);
    if let Some(f) = forward {
        annotations.insert(format!("{PREFIX}forward-port"), f.to_owned());
    }
    svc.metadata.annotations = Some(annotations);
    svc
}

/// Replaces the spec and annotations of the live `web` with those of `wanted`.
async fn edit(h: &Harness, wanted: Service) {
    let services = h.services();
    let mut live = services.get("web").await.unwrap();
    live.metadata.annotations = wanted.metadata.annotations;
    let spec = live.spec.as_mut().unwrap();
    spec.ports = wanted.spec.and_then(|s| s.ports);
    services
        .replace("web", &PostParams::default(), &live)
        .await
        .unwrap();
}

/// Waits until the HTTP listeners of CLB `id` redirect as `expected` says (port → the
/// `ForwardPort` it redirects to, `None` for a plain listener).
async fn wait_for_redirects(h: &Harness, id: &str, expected: &[(u16, Option<u16>)]) {
    eventually(&format!("HTTP listeners {expected:?}"), || async {
        let lb = h.cloud.observe(id).await.unwrap()?;
        let all = expected.iter().all(|(port, to)| {
            lb.listeners.iter().any(|l| {
                let on = l.attributes.listener_forward == Some(true);
                l.listener_port == *port
                    && l.is_running()
                    && (on.then_some(l.attributes.forward_port).flatten() == *to)
            })
        });
        all.then_some(())
    })
    .await;
}

/// Settles, then checks that two drift checks (full compares) write nothing more.
async fn assert_full_compare_writes_nothing(h: &Harness) {
    support::settle(h).await;
    let settled = writes(&h.calls_by_action().await);
    let before = h.reconciles().await;
    eventually("two drift checks", || async {
        (h.reconciles().await >= before + 2).then_some(())
    })
    .await;
    assert_eq!(
        writes(&h.calls_by_action().await),
        settled,
        "a full compare plans no write"
    );
}

#[tokio::test]
async fn a_changed_or_removed_forward_port_recreates_the_listeners_without_a_failed_sync() {
    let options = Options {
        drift: Duration::from_secs(3),
        ..Options::default()
    };
    let h = harness_with("fwd-change", options).await;
    let cert = certificate(&h).await;
    let two = [(80, 8080), (443, 8443)];
    create(
        &h,
        &web(&h, &cert, &two, "http:80,https:443", Some("80:443")),
    )
    .await;
    let id = h.clb_id("web").await;
    wait_for_redirects(&h, &id, &[(80, Some(443))]).await;
    assert_full_compare_writes_nothing(&h).await;
    let before = h.calls("DeleteLoadBalancerListener").await;

    let three = [(80, 8080), (8080, 8080), (443, 8443)];
    let listeners = "http:80,http:8080,https:443";
    edit(&h, web(&h, &cert, &three, listeners, Some("8080:443"))).await;
    wait_for_redirects(&h, &id, &[(80, None), (8080, Some(443))]).await;
    assert_full_compare_writes_nothing(&h).await;
    let moved = h.calls("DeleteLoadBalancerListener").await;
    assert_eq!(moved - before, 1, "port 80 recreated without its redirect");

    edit(&h, web(&h, &cert, &three, listeners, None)).await;
    wait_for_redirects(&h, &id, &[(80, None), (8080, None)]).await;
    assert_full_compare_writes_nothing(&h).await;
    let removed = h.calls("DeleteLoadBalancerListener").await;
    assert_eq!(
        removed - moved,
        1,
        "port 8080 recreated without its redirect"
    );

    let failures: Vec<_> = h
        .events("web")
        .await
        .into_iter()
        .filter(|(r, _)| r.contains("Failed"))
        .collect();
    assert!(failures.is_empty(), "no failed sync: {failures:?}");
}
