//! A Service with each annotation of slb-model's table (issue 14: "a Service with each
//! annotation the reference accepts gets a CLB"), against a real kube-apiserver, the
//! controller and the local CLB reached through its signed OpenAPI, as in production.
//!
//! Certificates, an ACL, user CLBs to reuse and their vServer groups are made first through
//! the signed API (`setup.rs`); one Service per case (`*_cases.rs`) is created at once, plus
//! three without annotations whose listeners and CLB are the defaults a case's value must
//! differ from; when the controller has synced them all, each CLB is read back through the
//! signed API and checked against what the README promises for the annotation, after the
//! outcome's own steps (`steps.rs`: binding an EIP, a console weight edit, deleting the
//! Service). An entry of the table without a case fails the test, and every failure is
//! collected, naming the annotation and value, before the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "every_annotation/cases.rs"]
mod cases;
#[path = "every_annotation/instance_cases.rs"]
mod instance_cases;
#[path = "every_annotation/listener_cases.rs"]
mod listener_cases;
#[path = "every_annotation/setup.rs"]
mod setup;
#[path = "every_annotation/steps.rs"]
mod steps;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use cases::{Case, Outcome, Seen};
use k8s_openapi::api::core::v1::{Event, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use setup::{cordoned_edge_node, fixtures, signed_client};
use slb_controller::cloud::Cloud;
use slb_controller::service_writes::LB_ID_LABEL;
use slb_model::{ListenerAttributes, ObservedLb, Protocol};
use slb_openapi::HttpClient;
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service};
use steps::{bind_eip, console_weight, is_synced};
use support::{Harness, Options, harness_with};

/// IPv6 VIPs for two IPv6 CLBs (`ip-version`, and `backend-ip-version` which needs it), a
/// second vSwitch (for `vswitch-id`) and the ENIs of the ENI-mode cases' pods (the IPv6 pod's
/// address is an ENI IPv6 address, found by `DescribeNetworkInterfaces` with `Ipv6Address.N`).
const LOCAL_YAML: &str = "ipv6_vip_pool: \"fd00:5::/124\"
vswitches:
  - { id: vsw-local, vpc_id: vpc-local, zone_id: cn-hangzhou-a, cidr: 127.0.2.0/24 }
  - { id: vsw-second, vpc_id: vpc-local, zone_id: cn-hangzhou-b, cidr: 127.0.3.0/24 }
network_interfaces:
  - { NetworkInterfaceId: eni-pod4, PrivateIpAddresses: [10.244.9.1], VpcId: vpc-local }
  - { NetworkInterfaceId: eni-pod6, PrivateIpAddresses: [10.244.9.6], Ipv6Addresses: [\"fd00::9\"], VpcId: vpc-local }
";

/// How long the controller gets to sync every Service.
const SYNC_DEADLINE: Duration = Duration::from_secs(90);

#[tokio::test]
async fn a_service_with_each_annotation_gets_what_the_readme_promises() {
    let options = Options {
        over_http: true,
        concurrency: 8,
        local_yaml: LOCAL_YAML.into(),
        ..Options::default()
    };
    let h = harness_with("every", options).await;
    let api = signed_client(&h).await;
    cordoned_edge_node(&h).await;
    let f = fixtures(&h, &api).await;
    let cases = cases::all(&f);
    let mut failures = uncovered(&cases);
    create_baselines(&h, &f.cert).await;
    for (i, case) in cases.iter().enumerate() {
        create(&h, &name(i, case), case).await;
    }
    let look = Cloud::new(api.clone(), api.clone(), "cn-hangzhou");
    let synced = wait_synced(&h, &cases).await;
    // Quiet for a while: the Services handed to other controllers have been seen too.
    support::settle(&h).await;
    let base = baselines(&h, &look).await;
    for (i, case) in cases.iter().enumerate() {
        let result = match (&synced[i], case.outcome) {
            (_, Outcome::NotOurs) => not_ours(&h, &name(i, case)).await,
            (Err(e), _) => Err(e.clone()),
            (Ok(svc), _) => verify(&h, &api, &look, &base, case, svc).await,
        };
        if let Err(what) = result {
            failures.push(format!("{} = {:?}: {what}", case.written_key(), case.value));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} annotation case(s) failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// Every table entry without a case, as failures.
fn uncovered(cases: &[Case]) -> Vec<String> {
    slb_model::annotations::ANNOTATIONS
        .iter()
        .filter(|a| !cases.iter().any(|c| c.key == a.key.short()))
        .map(|a| {
            format!(
                "{}: no case in every_annotation/*_cases.rs; add one with a realistic value",
                a.key.full()
            )
        })
        .collect()
}

/// `c<i>-<last part of the key>`, a valid Service name.
fn name(i: usize, case: &Case) -> String {
    let tail = case.key.rsplit('/').next().unwrap_or(case.key);
    let mut n = format!("c{i:02}-{tail}");
    n.truncate(40);
    n.trim_end_matches('-').to_owned()
}

/// The case's Service (and EndpointSlice of its ENI-mode pod).
async fn create(h: &Harness, name: &str, case: &Case) {
    let mut svc = load_balancer_service(&h.ns, name, &case.ports);
    let extra = (case.extra.iter()).map(|(k, v)| (cases::full(k), v.clone()));
    let annotations = std::iter::once((case.written_key(), case.value.clone()))
        .chain(extra)
        .collect();
    svc.metadata.annotations = Some(annotations);
    h.services()
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
    if let Some((ip, family)) = &case.pods {
        let (port_name, target) = (format!("p{}", case.ports[0].0), case.ports[0].1);
        let pod = PodEndpoint::ready(ip, &h.nodes[0]);
        let mut slice = endpoint_slice(
            &h.ns,
            name,
            &format!("{name}-1"),
            (&port_name, target),
            &[pod],
        );
        slice.address_type = (*family).to_owned();
        Api::<EndpointSlice>::namespaced(h.client.clone(), &h.ns)
            .create(&PostParams::default(), &slice)
            .await
            .unwrap();
    }
}

/// What Services without annotations (but the listener protocol and, for HTTPS, the
/// certificate) get: the listener attributes by protocol, and the TCP one's CLB.
#[derive(Default)]
struct Baselines {
    listeners: BTreeMap<Protocol, ListenerAttributes>,
    lb: Option<ObservedLb>,
}

/// The Services [`baselines`] reads: a TCP, an HTTP and an HTTPS listener.
const BASELINES: [(&str, &str, i32); 3] = [
    ("base-tcp", "tcp:80", 80),
    ("base-http", "http:80", 80),
    ("base-https", "https:443", 443),
];

async fn create_baselines(h: &Harness, cert: &str) {
    for (name, protocol_port, port) in BASELINES {
        let mut svc = load_balancer_service(&h.ns, name, &[(port, 8080)]);
        let mut annotations =
            BTreeMap::from([(cases::full("protocol-port"), protocol_port.to_owned())]);
        if port == 443 {
            annotations.insert(cases::full("cert-id"), cert.to_owned());
        }
        svc.metadata.annotations = Some(annotations);
        h.services()
            .create(&PostParams::default(), &svc)
            .await
            .unwrap();
    }
}

async fn baselines(h: &Harness, look: &Cloud) -> Baselines {
    let mut out = Baselines::default();
    for (name, _, _) in BASELINES {
        let svc = h.services().get(name).await.unwrap();
        assert!(
            is_synced(&svc),
            "{name} was not synced: {:?}",
            h.events(name).await
        );
        let id = &svc.labels()[LB_ID_LABEL];
        let lb = look.observe(id).await.unwrap().unwrap();
        for l in &lb.listeners {
            out.listeners
                .insert(l.listener_protocol, l.attributes.clone());
        }
        out.lb.get_or_insert(lb);
    }
    out
}

/// Each case's Service once synced, or why it never was (its events) by the deadline.
async fn wait_synced(h: &Harness, cases: &[Case]) -> Vec<Result<Service, String>> {
    let deadline = tokio::time::Instant::now() + SYNC_DEADLINE;
    loop {
        let mut all = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let svc = h.services().get(&name(i, case)).await.unwrap();
            let done = case.outcome == Outcome::NotOurs || is_synced(&svc);
            all.push(done.then_some(svc));
        }
        if all.iter().all(Option::is_some) || tokio::time::Instant::now() > deadline {
            let mut out = Vec::new();
            for (i, svc) in all.into_iter().enumerate() {
                out.push(match svc {
                    Some(svc) => Ok(svc),
                    None => Err(format!(
                        "not synced within {SYNC_DEADLINE:?}; events: {:?}",
                        h.events(&name(i, &cases[i])).await
                    )),
                });
            }
            return out;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A Service handed to another controller: no finalizer, no CLB label, no status, no event
/// (checked after every other Service was synced).
async fn not_ours(h: &Harness, name: &str) -> Result<(), String> {
    let svc = h.services().get(name).await.unwrap();
    let touched = !svc.finalizers().is_empty()
        || svc.labels().contains_key(LB_ID_LABEL)
        || cases::ingress_ip(&svc).is_some();
    let events = ours(h, name).await;
    if touched || !events.is_empty() {
        return Err(format!(
            "slb-ccm handled it: finalizers {:?}, labels {:?}, events {events:?}",
            svc.finalizers(),
            svc.labels()
        ));
    }
    Ok(())
}

/// `(reason, message)` of the events slb-ccm published about Service `name` (the
/// apiserver's own, e.g. its cluster IP repair, are left out).
async fn ours(h: &Harness, name: &str) -> Vec<(String, String)> {
    let events: Api<Event> = Api::namespaced(h.client.clone(), &h.ns);
    let by_us = |e: &Event| {
        let source = e.source.as_ref().and_then(|s| s.component.as_deref());
        [e.reporting_component.as_deref(), source]
            .iter()
            .any(|c| c.is_some_and(|c| c.starts_with("slb-ccm")))
    };
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name) && by_us(e))
        .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
        .collect()
}

/// The common checks on what the controller made, the outcome's own steps, then the case's
/// check.
async fn verify(
    h: &Harness,
    api: &HttpClient,
    look: &Cloud,
    base: &Baselines,
    case: &Case,
    svc: &Service,
) -> Result<(), String> {
    let id = svc
        .labels()
        .get(LB_ID_LABEL)
        .cloned()
        .ok_or("no CLB label")?;
    let before = see(h, look, svc.clone(), &id).await?;
    common(case, &before)?;
    let mut after = match case.outcome {
        Outcome::EipOnceBound => {
            let svc = bind_eip(h, api, &before, &id).await?;
            see(h, look, svc, &id).await?
        }
        Outcome::ConsoleWeightKept => {
            let svc = console_weight(h, api, look, &before, &id).await?;
            see(h, look, svc, &id).await?
        }
        Outcome::PreservedOnDelete => {
            h.delete_and_wait(&before.svc.name_any()).await;
            see(h, look, before.svc, &id).await?
        }
        _ => before,
    };
    after.baseline = (after.lb.listeners.first())
        .and_then(|l| base.listeners.get(&l.listener_protocol))
        .cloned();
    after.baseline_lb = base.lb.clone();
    (case.check)(&after)
}

/// The Service, its CLB read through the signed API, and its events.
async fn see(h: &Harness, look: &Cloud, svc: Service, id: &str) -> Result<Seen, String> {
    let lb = look
        .observe(id)
        .await
        .map_err(|e| format!("observing {id}: {e}"))?
        .ok_or_else(|| format!("the CLB {id} does not exist"))?;
    Ok(Seen {
        events: ours(h, &svc.name_any()).await,
        svc,
        lb,
        baseline: None,
        baseline_lb: None,
    })
}

/// What every case that gets a CLB shares: a running listener per Service port (none made on
/// a reused CLB without `force-override-listeners`), an address in the status (none yet for
/// `external-ip-type: eip`), no failed sync.
fn common(case: &Case, s: &Seen) -> Result<(), String> {
    if let Some((reason, note)) = s.events.iter().find(|(r, _)| r.contains("Failed")) {
        return Err(format!("a failed sync: {reason}: {note}"));
    }
    let managed = case.outcome != Outcome::ReusedListenersUnmanaged;
    for (port, _) in &case.ports {
        let port = u16::try_from(*port).unwrap();
        let found = s.lb.listeners.iter().find(|l| l.listener_port == port);
        match (found, managed) {
            (Some(l), true) if !l.is_running() => {
                return Err(format!("the listener on {port} is {}", l.status));
            }
            (None, true) => return Err(format!("no listener on port {port}")),
            (Some(_), false) => return Err(format!("a listener on {port} of a reused CLB")),
            _ => {}
        }
    }
    let has_address = s
        .svc
        .status
        .as_ref()
        .and_then(|st| st.load_balancer.as_ref()?.ingress.as_ref())
        .is_some_and(|i| !i.is_empty());
    if !has_address && case.outcome != Outcome::EipOnceBound {
        return Err("no address in the Service status".into());
    }
    Ok(())
}
