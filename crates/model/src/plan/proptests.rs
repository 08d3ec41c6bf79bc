//! Property tests of the planner: convergence and ownership.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use proptest::prelude::*;

use super::test_cloud::apply_to;
use super::*;
use crate::desired::{self, DesiredLb, Intent};
use crate::fixtures::{self, Ep, annotate, ctx, node, slice};
use crate::naming::{TAG_CLUSTER, TAG_DO_NOT_DELETE};
use crate::observed::{ObservedListener, ObservedVServerGroup};
use crate::types::{BackendServer, BackendType, ListenerAttributes};

#[derive(Debug, Clone)]
struct Version {
    ports: Vec<(u16, u16, bool)>,
    local: bool,
    annotations: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone)]
struct Case {
    reuse: bool,
    force_override: bool,
    previous: Option<Version>,
    current: Version,
    nodes: Vec<(bool, bool)>,
    endpoints: Vec<(usize, u8)>,
    drift: Vec<(u8, u16, u8)>,
    deleting: bool,
    preserve: bool,
}

fn version() -> impl Strategy<Value = Version> {
    let port = (
        prop::sample::select(vec![80u16, 443, 53, 8080]),
        30000u16..30004,
        any::<bool>(),
    );
    let annotation = prop_oneof![
        prop::sample::select(vec!["rr", "wrr"]).prop_map(|v| ("scheduler", v.to_owned())),
        (1u32..50).prop_map(|v| ("health-check-interval", v.to_string())),
        (0u32..=100).prop_map(|v| ("default-weight", v.to_string())),
        Just(("ignore-weight-update", "on".to_owned())),
        Just(("connection-drain", "on".to_owned())),
        prop::sample::select(vec!["team=a", "team=b,env=x"])
            .prop_map(|v| ("additional-resource-tags", v.to_owned())),
        prop::sample::select(vec!["n1", "n2"]).prop_map(|v| ("name", v.to_owned())),
        Just(("protocol-port", "http:80".to_owned())),
        Just(("delete-protection", "off".to_owned())),
    ];
    (
        prop::collection::vec(port, 1..4),
        any::<bool>(),
        prop::collection::vec(annotation, 0..4),
    )
        .prop_map(|(ports, local, annotations)| Version {
            ports,
            local,
            annotations,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::of(version()),
            version(),
        ),
        prop::collection::vec((any::<bool>(), any::<bool>()), 0..6),
        prop::collection::vec((0usize..6, 0u8..3), 0..8),
        prop::collection::vec((0u8..10, 0u16..4, 0u8..4), 0..5),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (reuse, force_override, previous, current),
                nodes,
                endpoints,
                drift,
                (deleting, preserve),
            )| {
                Case {
                    reuse,
                    force_override,
                    previous,
                    current,
                    nodes,
                    endpoints,
                    drift,
                    deleting,
                    preserve,
                }
            },
        )
}

fn build_service(case: &Case, v: &Version, deleting: bool) -> Service {
    let mut unique = BTreeMap::new();
    for (port, node_port, udp) in &v.ports {
        unique.entry((*port, *udp)).or_insert(*node_port);
    }
    let pairs: Vec<(i32, i32)> = unique
        .iter()
        .map(|((p, _), n)| (i32::from(*p), i32::from(*n)))
        .collect();
    let mut svc = fixtures::service(&pairs);
    for (sp, ((_, udp), _)) in svc
        .spec
        .as_mut()
        .unwrap()
        .ports
        .as_mut()
        .unwrap()
        .iter_mut()
        .zip(&unique)
    {
        if *udp {
            sp.protocol = Some("UDP".into());
            sp.name = Some(format!("u{}", sp.port));
        }
    }
    if v.local {
        fixtures::local(&mut svc);
    }
    for (k, val) in &v.annotations {
        annotate(&mut svc, k, val);
    }
    if case.reuse {
        annotate(&mut svc, "id", "lb-user");
        if case.force_override {
            annotate(&mut svc, "force-override-listeners", "true");
        }
    }
    if deleting {
        svc.metadata.deletion_timestamp = Some(Time(Default::default()));
        if case.preserve {
            annotate(&mut svc, "preserve-lb-on-delete", "true");
        }
    }
    svc
}

fn build_nodes(case: &Case) -> Vec<Node> {
    case.nodes
        .iter()
        .enumerate()
        .map(|(i, (ready, _))| {
            let mut n = node(&format!("n{i}"));
            if !ready {
                n.status.as_mut().unwrap().conditions.as_mut().unwrap()[0].status = "False".into();
            }
            n
        })
        .collect()
}

fn build_slices(case: &Case) -> Vec<EndpointSlice> {
    let eps: Vec<(String, String, Ep)> = case
        .endpoints
        .iter()
        .enumerate()
        .map(|(i, (n, s))| {
            let state = [Ep::Ready, Ep::NotReady, Ep::Terminating][usize::from(*s)];
            (format!("10.0.0.{i}"), format!("n{n}"), state)
        })
        .collect();
    let refs: Vec<(&str, &str, Ep)> = eps
        .iter()
        .map(|(a, b, s)| (a.as_str(), b.as_str(), *s))
        .collect();
    vec![slice(&refs, &[])]
}

fn user_clb() -> ObservedLb {
    ObservedLb {
        load_balancer_id: "lb-user".into(),
        load_balancer_name: "user".into(),
        address: "10.1.0.1".into(),
        address_type: "intranet".into(),
        vpc_id: "vpc-cluster".into(),
        instance_charge_type: "PayByCLCU".into(),
        modification_protection_status: "NonProtection".into(),
        ..Default::default()
    }
}

fn user_member(description: &str) -> BackendServer {
    BackendServer {
        server_id: "i-n0".into(),
        r#type: BackendType::Ecs,
        server_ip: None,
        port: 30000,
        weight: 7,
        description: description.into(),
    }
}

/// Random out-of-band changes: foreign listeners and groups, user members, stopped
/// listeners, drifted attributes, lost members and listeners, system tags.
fn drift(o: &mut ObservedLb, ops: &[(u8, u16, u8)]) {
    let ports = [80u16, 443, 53, 8080];
    for (op, p, x) in ops {
        let port = ports[usize::from(*p) % 4];
        let protocol = Protocol::ALL[usize::from(*x) % 4];
        let group = o
            .vserver_groups
            .first()
            .map(|g| g.vserver_group_id.clone())
            .unwrap_or_default();
        // A CLB port holds one listener, except that TCP-family and UDP may share it.
        let port_free = !o
            .listeners
            .iter()
            .any(|l| l.listener_port == port && l.listener_protocol.clashes_with(protocol));
        match op {
            0 | 1 if !port_free => {}
            0 => o.listeners.push(ObservedListener {
                listener_port: port,
                listener_protocol: protocol,
                status: "running".into(),
                description: "user".into(),
                vserver_group_id: group,
                bandwidth: None,
                attributes: ListenerAttributes::default(),
                domain_extensions: Vec::new(),
            }),
            1 => o.listeners.push(ObservedListener {
                listener_port: port,
                listener_protocol: protocol,
                status: "running".into(),
                description: format!("k8s/{port}/other/ns/c1"),
                vserver_group_id: "rsp-other".into(),
                bandwidth: None,
                attributes: ListenerAttributes::default(),
                domain_extensions: Vec::new(),
            }),
            2 if o.group_by_id(&format!("rsp-u{p}{x}")).is_some() => {}
            2 => o.vserver_groups.push(ObservedVServerGroup {
                vserver_group_id: format!("rsp-u{p}{x}"),
                vserver_group_name: "user-group".into(),
                backend_servers: vec![
                    user_member("user"),
                    BackendServer {
                        server_id: "i-n1".into(),
                        ..user_member("k8s/30000/web/ns/c1")
                    },
                ],
            }),
            3 => {
                if let Some(g) = o.vserver_groups.first_mut() {
                    g.backend_servers.push(BackendServer {
                        server_id: "i-manual".into(),
                        ..user_member("console")
                    });
                }
            }
            4 => {
                if let Some(l) = o.listeners.first_mut() {
                    l.status = "stopped".into();
                }
            }
            5 => {
                if let Some(l) = o.listeners.first_mut() {
                    l.attributes.scheduler = Some("wlc".into());
                }
            }
            6 => {
                if let Some(g) = o.vserver_groups.first_mut() {
                    g.backend_servers.pop();
                }
            }
            7 => {
                o.listeners.pop();
            }
            8 => {
                o.tags.insert("acs:rm:rgId".into(), "rg-x".into());
            }
            _ => {
                if let Some(g) = o.vserver_groups.first_mut() {
                    for b in &mut g.backend_servers {
                        b.weight = 3;
                    }
                }
            }
        }
    }
}

fn desired_of(case: &Case, v: &Version, deleting: bool) -> Option<DesiredLb> {
    let svc = build_service(case, v, deleting);
    desired::desired(&svc, &build_nodes(case), &build_slices(case), &ctx()).ok()
}

/// The observed CLB before the current sync: nothing, a user CLB, or what a previous
/// version of the Service left, then drifted.
fn observed(case: &Case) -> Option<ObservedLb> {
    let base = case.reuse.then(user_clb);
    let mut o = match &case.previous {
        Some(v) => {
            let d = desired_of(case, v, false)?;
            let p = plan(&d, base.as_ref(), &PlanOptions::default()).ok()?;
            apply_to(&p, base.as_ref()).ok()?
        }
        None => base,
    }?;
    drift(&mut o, &case.drift);
    Some(o)
}

/// Every action acts only on what the Service owns (or takes over and says so).
fn check_ownership(d: &DesiredLb, o: Option<&ObservedLb>, p: &Plan) -> Result<(), String> {
    let owns = |t: &str| crate::naming::NamedKey::is_owned_by(t, &d.service);
    let taken: BTreeSet<(u16, Protocol)> = p
        .notes
        .iter()
        .filter_map(|n| match n {
            PlanNote::ListenerTakenOver { port, protocol, .. } => Some((*port, *protocol)),
            _ => None,
        })
        .collect();
    let listener_ok = |port: u16, protocol: Protocol| {
        o.and_then(|o| o.listener(port, protocol))
            .is_none_or(|l| owns(&l.description) || taken.contains(&(port, protocol)))
    };
    for a in &p.actions {
        let ok = match a {
            Action::DeleteLoadBalancer { .. } => {
                d.reuse_id.is_none()
                    && o.is_some_and(|o| o.tags.get(TAG_DO_NOT_DELETE) == Some(&d.default_name))
            }
            Action::StartLoadBalancerListener {
                listener_port,
                listener_protocol,
                ..
            }
            | Action::StopLoadBalancerListener {
                listener_port,
                listener_protocol,
                ..
            }
            | Action::DeleteLoadBalancerListener {
                listener_port,
                listener_protocol,
                ..
            } => listener_ok(*listener_port, *listener_protocol),
            Action::RemoveVServerGroupBackendServers {
                vserver_group: GroupRef::Id(id),
                backend_servers,
            }
            | Action::SetVServerGroupAttribute {
                vserver_group: GroupRef::Id(id),
                backend_servers,
            } => {
                let g = o.and_then(|o| o.group_by_id(id));
                backend_servers.iter().all(|b| {
                    g.is_some_and(|g| {
                        g.backend_servers
                            .iter()
                            .filter(|m| m.key() == b.key())
                            .all(|m| owns(&m.description))
                    })
                })
            }
            Action::AddVServerGroupBackendServers {
                backend_servers, ..
            } => backend_servers.iter().all(|b| owns(&b.description)),
            Action::DeleteVServerGroup { vserver_group_id } => o
                .and_then(|o| o.group_by_id(vserver_group_id))
                .is_some_and(|g| owns(&g.vserver_group_name)),
            Action::UntagResources { tag_keys, .. } => tag_keys.iter().all(|k| {
                let ownership = (k == TAG_DO_NOT_DELETE || k == TAG_CLUSTER)
                    && o.is_some_and(|o| {
                        o.tags.get(k) == Some(&d.default_name)
                            || o.tags.get(k) == Some(&d.service.cluster_id)
                    });
                // An additional tag slb-ccm recorded applying and the user dropped since.
                let dropped = d.instance.applied_tag_keys.contains(k)
                    && !d.instance.additional_tags.iter().any(|(t, _)| t == k);
                ownership || dropped
            }),
            Action::TagResources { tags, .. } => tags.iter().all(|(k, _)| !k.starts_with("acs:")),
            other => match other.listener_params() {
                Some((protocol, params)) if !other.is_listener_create() => {
                    listener_ok(params.listener_port, protocol)
                }
                Some((protocol, params)) => o
                    .and_then(|o| o.listener(params.listener_port, protocol))
                    .is_none(),
                None => true,
            },
        };
        if !ok {
            return Err(format!(
                "{} acts on something the Service does not own: {a:?}",
                a.api_name()
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applying_a_plan_then_planning_again_gives_an_empty_plan(case in case()) {
        let Some(d) = desired_of(&case, &case.current, case.deleting) else { return Ok(()) };
        let o = observed(&case);
        let Ok(p) = plan(&d, o.as_ref(), &PlanOptions::default()) else { return Ok(()) };
        let after = apply_to(&p, o.as_ref()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = plan(&d, after.as_ref(), &PlanOptions::default())
            .map_err(|e| TestCaseError::fail(format!("replan failed: {e}")))?;
        let left: Vec<&str> = again.actions.iter().map(Action::api_name).collect();
        prop_assert!(again.is_empty(), "left after apply: {:?}", left);
        if d.intent == Intent::Delete && d.reuse_id.is_none() && !d.preserve_on_delete {
            prop_assert!(after.is_none() || o.as_ref().is_some_and(|o| o.tags.get(TAG_DO_NOT_DELETE) != Some(&d.default_name)));
        }
    }

    #[test]
    fn no_plan_acts_on_a_resource_the_service_does_not_own(case in case()) {
        let Some(d) = desired_of(&case, &case.current, case.deleting) else { return Ok(()) };
        let o = observed(&case);
        let Ok(p) = plan(&d, o.as_ref(), &PlanOptions::default()) else { return Ok(()) };
        check_ownership(&d, o.as_ref(), &p).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn every_batch_respects_the_batch_size(case in case(), size in 1usize..=40) {
        let Some(d) = desired_of(&case, &case.current, case.deleting) else { return Ok(()) };
        let o = observed(&case);
        let opts = PlanOptions { batch_size: size, ..PlanOptions::default() };
        let Ok(p) = plan(&d, o.as_ref(), &opts) else { return Ok(()) };
        for a in &p.actions {
            if let Action::AddVServerGroupBackendServers { backend_servers, .. }
            | Action::RemoveVServerGroupBackendServers { backend_servers, .. }
            | Action::SetVServerGroupAttribute { backend_servers, .. } = a {
                prop_assert!(!backend_servers.is_empty() && backend_servers.len() <= size);
            }
        }
    }
}

/// Guards the properties above against passing vacuously: most generated cases must
/// produce a plan, and many of those plans must do something.
#[test]
fn generated_cases_mostly_produce_non_trivial_plans() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut planned, mut non_empty, total) = (0, 0, 400);
    for _ in 0..total {
        let case = case().new_tree(&mut runner).unwrap().current();
        let Some(d) = desired_of(&case, &case.current, case.deleting) else {
            continue;
        };
        let o = observed(&case);
        if let Ok(p) = plan(&d, o.as_ref(), &PlanOptions::default()) {
            planned += 1;
            non_empty += usize::from(!p.is_empty());
        }
    }
    assert!(
        planned * 4 > total * 3,
        "only {planned}/{total} cases planned"
    );
    assert!(
        non_empty * 2 > total,
        "only {non_empty}/{total} plans did anything"
    );
}
