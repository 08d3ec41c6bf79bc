//! A Service with each annotation of slb-model's table (issue 14: "a Service with each
//! annotation the reference accepts gets a CLB"), against a real kube-apiserver, the
//! controller and the local CLB reached through its signed OpenAPI, as in production.
//!
//! Certificates, an ACL, user CLBs to reuse, their vServer groups and an EIP are made first
//! through the signed API; one Service per case (`every_annotation/*_cases.rs`) is created at
//! once; when the controller has synced them all, each CLB is read back through the signed API
//! and checked against what the README promises for the annotation. An entry of the table
//! without a case fails the test, and every failure is collected before the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "every_annotation/cases.rs"]
mod cases;
#[path = "every_annotation/instance_cases.rs"]
mod instance_cases;
#[path = "every_annotation/listener_cases.rs"]
mod listener_cases;
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cases::{Case, Fixtures, Outcome, Seen};
use k8s_openapi::api::core::v1::{Event, Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use slb_controller::cloud::Cloud;
use slb_controller::service_writes::{HASH_LABEL, LB_ID_LABEL};
use slb_model::{ListenerAttributes, ObservedLb, Protocol};
use slb_openapi::clb::*;
use slb_openapi::vpc::{AllocateEipAddressRequest, AssociateEipAddressRequest, SLB_INSTANCE};
use slb_openapi::{Clb, HttpClient, Vpc};
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service, node};
use support::{Harness, NODE_LABEL, Options, harness_with};

/// IPv6 VIPs for two IPv6 CLBs (`ip-version`, and `backend-ip-version` which needs it), a
/// second vSwitch (for `vswitch-id`) and the ENIs of the ENI-mode cases' pods. The local CLB
/// has no ENI IPv6 addresses (`Ipv6Sets` is always empty), so the IPv6 pod's ENI lists it as a
/// private IP, which is what slb-ccm looks ENIs up by; Alibaba Cloud would need `Ipv6Address`.
const LOCAL_YAML: &str = "ipv6_vip_pool: \"fd00:5::/124\"
vswitches:
  - { id: vsw-local, vpc_id: vpc-local, zone_id: cn-hangzhou-a, cidr: 127.0.2.0/24 }
  - { id: vsw-second, vpc_id: vpc-local, zone_id: cn-hangzhou-b, cidr: 127.0.3.0/24 }
network_interfaces:
  - { NetworkInterfaceId: eni-pod4, PrivateIpAddresses: [10.244.9.1], VpcId: vpc-local }
  - { NetworkInterfaceId: eni-pod6, PrivateIpAddresses: [\"fd00::9\"], VpcId: vpc-local }
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
            failures.push(format!(
                "{} = {:?}: {what}",
                cases::full(case.key),
                case.value
            ));
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

/// The signed OpenAPI client of a second server over the harness's local CLB (the
/// controller reaches the same engine through its own).
async fn signed_client(h: &Harness) -> Arc<HttpClient> {
    use slb_local::server::{Credential, ServerConfig, app};
    use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = ServerConfig {
        credentials: vec![Credential {
            access_key_id: "user".into(),
            access_key_secret: "user-secret".into(),
        }],
        metrics: Default::default(),
    };
    let engine = h.engine.clone();
    tokio::spawn(async move { axum::serve(listener, app(engine, server)).await });
    let mut config = ClientConfig::new("cn-hangzhou", Credentials::new("user", "user-secret"));
    config.overrides = EndpointOverrides::local(addr);
    Arc::new(HttpClient::new(config).unwrap())
}

/// Node `<ns>-d` (the harness's spare instance): cordoned and labelled `pool=edge,zone=a`,
/// for `backend-label` and `remove-unscheduled-backend`.
async fn cordoned_edge_node(h: &Harness) {
    let mut n = node(&format!("{}-d", h.ns), "127.0.0.64", None);
    n.metadata.labels = Some(
        [
            (NODE_LABEL.to_owned(), h.ns.clone()),
            ("pool".to_owned(), "edge".to_owned()),
            ("zone".to_owned(), "a".to_owned()),
        ]
        .into(),
    );
    n.spec.get_or_insert_with(Default::default).unschedulable = Some(true);
    Api::<Node>::all(h.client.clone())
        .create(&PostParams::default(), &n)
        .await
        .unwrap();
}

async fn fixtures(h: &Harness, api: &HttpClient) -> Fixtures {
    let acl = api
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: "office".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .acl_id;
    let entry = AddAccessControlListEntryRequest {
        acl_id: acl.clone(),
        acl_entrys: vec![AclEntryParam {
            entry: "192.168.0.0/16".into(),
            comment: "office".into(),
        }],
        ..Default::default()
    };
    api.add_access_control_list_entry(&entry).await.unwrap();
    let mut reuse = Vec::new();
    for n in 0..4 {
        reuse.push(user_clb(api, &format!("user-clb-{n}")).await);
    }
    let groups = [
        user_group(api, &reuse[2], "user-web").await,
        user_group(api, &reuse[3], "user-shared").await,
    ];
    Fixtures {
        ns: h.ns.clone(),
        cert: certificate(api, "www", "www.example.com").await,
        cert_a: certificate(api, "a", "a.example.com").await,
        acl,
        reuse: reuse.try_into().unwrap(),
        groups,
        vswitch: ("vsw-second", "127.0.3."),
        enis: [("eni-pod4", "10.244.9.1"), ("eni-pod6", "fd00::9")],
    }
}

async fn certificate(api: &HttpClient, name: &str, domain: &str) -> String {
    let c = rcgen::generate_simple_self_signed(vec![domain.to_owned()]).unwrap();
    let req = UploadServerCertificateRequest {
        server_certificate: c.cert.pem(),
        private_key: c.signing_key.serialize_pem(),
        server_certificate_name: name.into(),
        ..Default::default()
    };
    api.upload_server_certificate(&req)
        .await
        .unwrap()
        .server_certificate_id
}

async fn user_clb(api: &HttpClient, name: &str) -> String {
    let req = CreateLoadBalancerRequest {
        load_balancer_name: Some(name.into()),
        instance_charge_type: Some(slb_openapi::types::InstanceChargeType::PayByClcu),
        ..Default::default()
    };
    api.create_load_balancer(&req)
        .await
        .unwrap()
        .load_balancer_id
}

async fn user_group(api: &HttpClient, lb: &str, name: &str) -> String {
    let req = CreateVServerGroupRequest {
        load_balancer_id: lb.into(),
        vserver_group_name: Some(name.into()),
        ..Default::default()
    };
    api.create_vserver_group(&req)
        .await
        .unwrap()
        .vserver_group_id
}

/// The case's Service (and EndpointSlice of its ENI-mode pod).
async fn create(h: &Harness, name: &str, case: &Case) {
    let mut svc = load_balancer_service(&h.ns, name, &case.ports);
    let annotations = std::iter::once((case.key, case.value.clone()))
        .chain(case.extra.iter().cloned())
        .map(|(k, v)| (cases::full(k), v))
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

/// True once the controller has synced the Service as it is now.
fn is_synced(svc: &Service) -> bool {
    svc.labels().get(HASH_LABEL) == Some(&slb_model::spec_hash(svc))
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

/// Adds an annotation outside the prefix, so the controller syncs the Service again, and
/// waits for that sync.
async fn touch(h: &Harness, svc: &Service) -> Result<Service, String> {
    let patch = serde_json::json!({"metadata": {"annotations": {"example.com/touched": "1"}}});
    let name = svc.name_any();
    h.services()
        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < deadline {
        let now = h.services().get(&name).await.unwrap();
        if is_synced(&now) {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "not synced again after an edit; events: {:?}",
        h.events(&name).await
    ))
}

/// `external-ip-type: eip`: no address and an `EipNotBound` warning until the user binds an
/// EIP to the CLB through the API; after the next sync the status shows it.
async fn bind_eip(h: &Harness, api: &HttpClient, seen: &Seen, id: &str) -> Result<Service, String> {
    let (svc, events) = (&seen.svc, &seen.events);
    if cases::ingress_ip(svc).is_some() {
        return Err(format!(
            "an address before any EIP is bound: {:?}",
            svc.status
        ));
    }
    if !events
        .iter()
        .any(|(r, n)| r == "EipNotBound" && n.contains(id))
    {
        return Err(format!("no EipNotBound event naming {id}: {events:?}"));
    }
    let eip = api
        .allocate_eip_address(&AllocateEipAddressRequest::default())
        .await
        .map_err(|e| format!("AllocateEipAddress: {e}"))?;
    let bind = AssociateEipAddressRequest {
        allocation_id: eip.allocation_id,
        instance_id: id.into(),
        instance_type: Some(SLB_INSTANCE.into()),
        ..Default::default()
    };
    api.associate_eip_address(&bind)
        .await
        .map_err(|e| format!("AssociateEipAddress: {e}"))?;
    let svc = touch(h, svc).await?;
    cases::same(
        "the status IP",
        cases::ingress_ip(&svc),
        Some(eip.eip_address),
    )?;
    Ok(svc)
}

/// `ignore-weight-update`: a weight changed in the console survives the next sync.
async fn console_weight(
    h: &Harness,
    api: &HttpClient,
    look: &Cloud,
    seen: &Seen,
    id: &str,
) -> Result<Service, String> {
    let (svc, lb) = (&seen.svc, &seen.lb);
    let group = lb.vserver_groups.first().ok_or("no vServer group")?;
    let member = group.backend_servers.first().ok_or("no backend")?;
    let edit = SetVServerGroupAttributeRequest {
        vserver_group_id: group.vserver_group_id.clone(),
        backend_servers: Some(vec![slb_openapi::types::BackendServer {
            server_id: member.server_id.clone(),
            port: Some(member.port),
            weight: Some(7),
            ..Default::default()
        }]),
        ..Default::default()
    };
    api.set_vserver_group_attribute(&edit)
        .await
        .map_err(|e| format!("SetVServerGroupAttribute: {e}"))?;
    let svc = touch(h, svc).await?;
    let after = look
        .observe(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no CLB")?;
    let weight = after
        .group_by_id(&group.vserver_group_id)
        .and_then(|g| {
            g.backend_servers
                .iter()
                .find(|b| b.server_id == member.server_id)
        })
        .map(|b| b.weight);
    cases::same("the console weight after a sync", weight, Some(7))?;
    Ok(svc)
}
