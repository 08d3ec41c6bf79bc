//! One truth for the CLB's state: the same writes go to the local CLB (whose engine applies
//! them through slb-clb-state's transitions to its records) and into the controller's cache
//! (advanced through the same transitions with the ids the engine answered), and after every
//! sync the cache equals what a fresh observation of the engine reports — every value the
//! writes set, ids included. Values the writes leave to the cloud (a default health-check
//! interval, the resource group) are the engine's to choose and are taken from the
//! observation.
//!
//! The Service goes through a create (TCP and UDP listeners, tags, protections, a spec),
//! attribute and member changes, HTTPS with domain extensions and a redirect, a port removed,
//! a billing change, and its deletion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use slb_controller::cloud::Cloud;
use slb_local::Engine;
use slb_model::{ObservedLb, PlanOptions, desired};
use slb_openapi::Clb;
use slb_openapi::clb::UploadServerCertificateRequest;
use slb_testkit::fixtures::load_balancer_service;
use std::sync::Arc;
use support::{LOCAL_INVENTORY, local_engine};
use support::{local_context as context, local_nodes as nodes, local_slice as slice};

/// The Service on `ports` (TCP, but 53 is UDP), Local traffic policy, with `annotations`.
fn service(ports: &[i32], annotations: &[(&str, &str)]) -> Service {
    let pairs: Vec<(i32, i32)> = ports.iter().map(|p| (*p, 8080)).collect();
    let mut svc = load_balancer_service("default", "web", &pairs);
    svc.metadata.uid = Some("6f1c2d3e-0000-4000-8000-0000000a9ee0".into());
    let spec = svc.spec.as_mut().unwrap();
    spec.external_traffic_policy = Some("Local".into());
    for p in spec.ports.as_mut().unwrap() {
        p.node_port = Some(30000 + p.port);
        if p.port == 53 {
            p.protocol = Some("UDP".into());
        }
    }
    svc.metadata.annotations = Some(
        annotations
            .iter()
            .map(|(k, v)| {
                let key = format!("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-{k}");
                (key, (*v).to_owned())
            })
            .collect(),
    );
    svc
}

async fn upload(engine: &Engine, domain: &str) -> String {
    let c = rcgen::generate_simple_self_signed(vec![domain.to_owned()]).unwrap();
    engine
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: c.cert.pem(),
            private_key: c.signing_key.serialize_pem(),
            server_certificate_name: domain.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificate_id
}

/// `cached` with every value it leaves unset (the writes did not say) taken from
/// `observed`, listeners and groups in `observed`'s order where both have them.
fn filled(cached: &ObservedLb, observed: &ObservedLb) -> ObservedLb {
    let mut out = cached.clone();
    let take = |mine: &mut String, theirs: &String| {
        if mine.is_empty() {
            mine.clone_from(theirs);
        }
    };
    take(&mut out.vswitch_id, &observed.vswitch_id);
    take(&mut out.master_zone_id, &observed.master_zone_id);
    take(&mut out.slave_zone_id, &observed.slave_zone_id);
    take(&mut out.load_balancer_spec, &observed.load_balancer_spec);
    take(&mut out.resource_group_id, &observed.resource_group_id);
    take(
        &mut out.modification_protection_reason,
        &observed.modification_protection_reason,
    );
    out.bandwidth = out.bandwidth.or(observed.bandwidth);
    for l in &mut out.listeners {
        let Some(seen) = observed.listener(l.listener_port, l.listener_protocol) else {
            continue;
        };
        let mut attributes = seen.attributes.clone();
        attributes.overlay(&l.attributes);
        l.attributes = attributes;
        l.bandwidth = l.bandwidth.or(seen.bandwidth);
    }
    let key = |l: &slb_model::ObservedListener| (l.listener_port, l.listener_protocol);
    out.listeners.sort_by_key(key);
    out.vserver_groups
        .sort_by(|a, b| a.vserver_group_id.cmp(&b.vserver_group_id));
    out
}

fn sorted(mut lb: ObservedLb) -> ObservedLb {
    lb.listeners
        .sort_by_key(|l| (l.listener_port, l.listener_protocol));
    lb.vserver_groups
        .sort_by(|a, b| a.vserver_group_id.cmp(&b.vserver_group_id));
    lb
}

/// Syncs `svc` with `cloud` (which keeps its cache) and checks the cache against a fresh
/// observation of the engine; returns the CLB id (`None` once deleted) and the cached CLB.
async fn sync_and_compare(
    engine: &Arc<Engine>,
    cloud: &Cloud,
    svc: &Service,
    pods: [usize; 3],
    known: Option<&str>,
    step: &str,
) -> (Option<String>, Option<ObservedLb>) {
    let want = desired(svc, &nodes(), &slice(pods), &context()).unwrap();
    let outcome = cloud
        .sync(want, known, &PlanOptions::default(), false)
        .await
        .unwrap_or_else(|e| panic!("{step}: {e}"));
    assert!(!outcome.plan.is_empty(), "{step}: nothing was written");
    let fresh = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let id = known
        .map(str::to_owned)
        .or(outcome.load_balancer_id.clone());
    let observed = fresh.observe(id.as_deref().unwrap()).await.unwrap();
    let cached = cloud.cached_observation(id.as_deref().unwrap());
    match (&cached, &observed) {
        (Some(c), Some(o)) => {
            assert_eq!(
                filled(c, o),
                sorted(o.clone()),
                "{step}: the cache disagrees"
            )
        }
        (None, None) => {}
        _ => panic!("{step}: cached {cached:?}, observed {observed:?}"),
    }
    (outcome.load_balancer_id, cached)
}

/// One sync of the walk: the Service's ports, annotations and pods per node.
struct Step {
    name: &'static str,
    ports: &'static [i32],
    annotations: Vec<(&'static str, String)>,
    pods: [usize; 3],
    deleting: bool,
}

type Annotations = Vec<(&'static str, String)>;

fn own(pairs: &[(&'static str, &str)]) -> Annotations {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

fn step(name: &'static str, ports: &'static [i32], annotations: Annotations) -> Step {
    Step {
        name,
        ports,
        annotations,
        pods: [0, 2, 5],
        deleting: false,
    }
}

/// The annotations the CLB is created with.
const CREATED: &[(&str, &str)] = &[
    ("spec", "slb.s1.small"),
    ("instance-charge-type", "PayBySpec"),
    ("scheduler", "wlc"),
    ("health-check-interval", "3"),
    ("additional-resource-tags", "team=web,env=dev"),
    ("delete-protection", "on"),
    ("modification-protection", "ConsoleProtection"),
];

/// Every instance and listener attribute of [`CREATED`] changed.
const CHANGED: &[(&str, &str)] = &[
    ("spec", "slb.s2.small"),
    ("instance-charge-type", "PayBySpec"),
    ("scheduler", "rr"),
    ("health-check-interval", "5"),
    ("charge-type", "paybybandwidth"),
    ("bandwidth", "50"),
    ("additional-resource-tags", "team=api,env=dev"),
    ("delete-protection", "off"),
    ("modification-protection", "NonProtection"),
];

/// Create, change attributes and members, go HTTPS with a domain extension (certificate
/// `other`) and a redirect, move the extension, drop a port, change billing, delete.
fn walk(cert: &str, other: &str) -> Vec<Step> {
    let api = format!("api.example.com:{other}");
    let shop = format!("shop.example.com:{other}");
    let https = |ports: &str, extension: &str, redirect: bool| {
        let mut a = own(CHANGED);
        a.extend(own(&[
            ("protocol-port", ports),
            ("cert-id", cert),
            ("domain-extensions", extension),
        ]));
        if redirect {
            a.push(("forward-port", "80:443".to_owned()));
        }
        a
    };
    let all = "http:80,https:443,udp:53";
    let mut clcu = https("http:80,https:443", &shop, false);
    clcu.retain(|(k, _)| !matches!(*k, "instance-charge-type" | "charge-type" | "bandwidth"));
    clcu.push(("instance-charge-type", "PayByCLCU".to_owned()));
    let mut created = step("create", &[80, 53], own(CREATED));
    created.pods = [1, 2, 3];
    let mut deleted = step("delete", &[80, 443], clcu.clone());
    deleted.deleting = true;
    vec![
        created,
        step("attributes and members", &[80, 53], own(CHANGED)),
        step("https", &[80, 443, 53], https(all, &api, true)),
        step("extension moved", &[80, 443, 53], https(all, &shop, false)),
        step(
            "a port removed",
            &[80, 443],
            https("http:80,https:443", &shop, false),
        ),
        step("billing", &[80, 443], clcu),
        deleted,
    ]
}

#[tokio::test]
async fn after_every_write_the_cache_equals_what_the_engine_reports() {
    let engine = local_engine(LOCAL_INVENTORY);
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let cert = upload(&engine, "www.example.com").await;
    let other = upload(&engine, "api.example.com").await;
    let mut id: Option<String> = None;
    let mut cached_after = Vec::new();
    for s in walk(&cert, &other) {
        let pairs: Vec<(&str, &str)> = s
            .annotations
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let mut svc = service(s.ports, &pairs);
        if s.deleting {
            svc.metadata.deletion_timestamp = Some(Time(Default::default()));
        }
        let (now, cached) =
            sync_and_compare(&engine, &cloud, &svc, s.pods, id.as_deref(), s.name).await;
        id = id.or(now);
        cached_after.push(cached);
    }
    let https = cached_after[2].as_ref().expect("cached after a run");
    let l443 = https.listener(443, slb_model::Protocol::Https).unwrap();
    assert!(
        l443.domain_extensions[0]
            .domain_extension_id
            .starts_with("de-")
    );
    let l80 = https.listener(80, slb_model::Protocol::Http).unwrap();
    assert_eq!(l80.attributes.listener_forward, Some(true));
    assert_eq!(cached_after.last(), Some(&None), "deleted: nothing cached");
}
