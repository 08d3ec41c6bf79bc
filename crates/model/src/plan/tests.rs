use super::test_cloud::apply_to;
use super::*;
use crate::desired::{self, ClusterContext};
use crate::fixtures::*;
use crate::naming::{APPLIED_TAGS_ANNOTATION, TAG_CLUSTER, TAG_DO_NOT_DELETE, TAG_REUSED};
use crate::observed::{ObservedListener, ObservedVServerGroup};
use crate::types::{BackendServer, BackendType, ListenerAttributes};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

fn nodes(n: usize) -> Vec<Node> {
    (0..n).map(|i| node(&format!("n{i:03}"))).collect()
}

fn want(svc: &Service, nodes: &[Node]) -> DesiredLb {
    want_in(svc, nodes, &ctx())
}

fn want_in(svc: &Service, nodes: &[Node], c: &ClusterContext) -> DesiredLb {
    desired::desired(svc, nodes, &[], c).unwrap()
}

fn names(plan: &Plan) -> Vec<&'static str> {
    plan.actions.iter().map(Action::api_name).collect()
}

fn opts() -> PlanOptions {
    PlanOptions::default()
}

/// The CLB as it is after the Service was first synced.
fn synced(svc: &Service, nodes: &[Node]) -> ObservedLb {
    let d = want(svc, nodes);
    let p = plan(&d, None, &opts()).unwrap();
    apply_to(&p, None).unwrap().unwrap()
}

fn replan_is_empty(d: &DesiredLb, o: Option<&ObservedLb>) {
    let p = plan(d, o, &opts()).unwrap();
    let after = apply_to(&p, o).unwrap();
    let again = plan(d, after.as_ref(), &opts()).unwrap();
    assert!(again.is_empty(), "not converged: {:?}", names(&again));
}

fn member(server: &str, description: &str) -> BackendServer {
    BackendServer {
        server_id: server.into(),
        r#type: BackendType::Ecs,
        server_ip: None,
        port: 30080,
        weight: 100,
        description: description.into(),
    }
}

fn user_listener(port: u16, protocol: Protocol, group: &str) -> ObservedListener {
    ObservedListener {
        listener_port: port,
        listener_protocol: protocol,
        status: "running".into(),
        description: "console-made".into(),
        vserver_group_id: group.into(),
        bandwidth: Some(-1),
        attributes: ListenerAttributes::default(),
        domain_extensions: Vec::new(),
    }
}

fn reused_lb() -> ObservedLb {
    ObservedLb {
        load_balancer_id: "lb-user".into(),
        load_balancer_name: "user-clb".into(),
        address: "10.0.0.100".into(),
        address_type: "intranet".into(),
        vpc_id: "vpc-cluster".into(),
        instance_charge_type: "PayByCLCU".into(),
        modification_protection_status: "NonProtection".into(),
        ..Default::default()
    }
}

fn reusing(svc: &mut Service) {
    annotate(svc, "id", "lb-user");
}

#[test]
fn a_new_service_creates_the_clb_then_its_group_with_members_then_a_started_listener() {
    let d = want(&service(&[(80, 30080)]), &nodes(2));
    let p = plan(&d, None, &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec![
            "CreateLoadBalancer",
            "CreateVServerGroup",
            "CreateLoadBalancerTCPListener",
            "StartLoadBalancerListener",
        ]
    );
    let Action::CreateVServerGroup {
        backend_servers, ..
    } = &p.actions[1]
    else {
        panic!()
    };
    assert_eq!(backend_servers.len(), 2, "members ride on the create");
    let Action::CreateLoadBalancer(c) = &p.actions[0] else {
        panic!()
    };
    assert!(
        c.tags
            .contains(&(TAG_DO_NOT_DELETE.into(), d.default_name.clone()))
    );
    assert!(c.tags.contains(&(TAG_CLUSTER.into(), "c1".into())));
    assert!(c.delete_protection);
    assert_eq!(
        c.modification_protection_reason.as_deref(),
        Some("managed.by.ack")
    );
    assert_eq!(c.client_token, d.default_name);
    let name = "k8s/30080/web/ns/c1".to_owned();
    let Some((_, listener)) = p.actions[2].listener_params() else {
        panic!()
    };
    assert_eq!(listener.vserver_group, Some(GroupRef::Pending(name)));
    assert_eq!(listener.bandwidth, Some(-1));
}

#[test]
fn a_synced_service_has_an_empty_plan() {
    let svc = service(&[(80, 30080), (443, 30443)]);
    let o = synced(&svc, &nodes(3));
    assert!(
        plan(&want(&svc, &nodes(3)), Some(&o), &opts())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn members_are_batched_by_40_by_default_as_the_reference_does_and_by_fewer_on_request() {
    let d = want(&service(&[(80, 30080)]), &nodes(45));
    let sizes = |p: &Plan| -> Vec<usize> {
        p.actions
            .iter()
            .filter_map(|a| match a {
                Action::CreateVServerGroup {
                    backend_servers, ..
                }
                | Action::AddVServerGroupBackendServers {
                    backend_servers, ..
                } => Some(backend_servers.len()),
                _ => None,
            })
            .collect()
    };
    // The first batch rides on CreateVServerGroup, the rest are added.
    assert_eq!(sizes(&plan(&d, None, &opts()).unwrap()), vec![40, 5]);
    let twenty = PlanOptions {
        batch_size: 20,
        ..opts()
    };
    assert_eq!(sizes(&plan(&d, None, &twenty).unwrap()), vec![20, 20, 5]);
    for bad in [0, 41] {
        let o = PlanOptions {
            batch_size: bad,
            ..opts()
        };
        assert_eq!(
            plan(&d, None, &o),
            Err(PlanError::InvalidOptions { batch_size: bad })
        );
    }
}

#[test]
fn more_backends_than_the_quota_are_refused_before_any_call() {
    let d = want(&service(&[(80, 30080)]), &nodes(201));
    let err = plan(&d, None, &opts()).unwrap_err();
    assert_eq!(
        err,
        PlanError::BackendQuota {
            count: 201,
            quota: 200
        }
    );
    assert!(err.remedy().contains("backend-label"));
    assert!(err.remedy().contains("Local"));
    let bigger = PlanOptions {
        backend_quota: 300,
        ..opts()
    };
    assert!(plan(&d, None, &bigger).is_ok());
}

#[test]
fn the_quota_counts_members_of_other_services_on_the_clb() {
    let svc = service(&[(80, 30080)]);
    let mut o = synced(&svc, &nodes(100));
    o.vserver_groups.push(ObservedVServerGroup {
        vserver_group_id: "rsp-other".into(),
        vserver_group_name: "k8s/31000/other/ns/c1".into(),
        backend_servers: (0..100)
            .map(|i| member(&format!("i-x{i}"), "k8s/31000/other/ns/c1"))
            .collect(),
    });
    let err = plan(&want(&svc, &nodes(101)), Some(&o), &opts()).unwrap_err();
    assert_eq!(
        err,
        PlanError::BackendQuota {
            count: 201,
            quota: 200
        }
    );
}

#[test]
fn removals_go_first_when_adding_first_would_overshoot_the_quota() {
    let svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(200));
    let replaced: Vec<Node> = (0..200).map(|i| node(&format!("m{i:03}"))).collect();
    let p = plan(&want(&svc, &replaced), Some(&o), &opts()).unwrap();
    assert_eq!(p.actions[0].api_name(), "RemoveVServerGroupBackendServers");
    let o2 = synced(&svc, &nodes(10));
    let p2 = plan(&want(&svc, &nodes(11)), Some(&o2), &opts()).unwrap();
    assert_eq!(names(&p2), vec!["AddVServerGroupBackendServers"]);
}

#[test]
fn member_changes_touch_only_what_changed() {
    let svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(3));
    // Node n002 is gone.
    let p = plan(&want(&svc, &nodes(2)), Some(&o), &opts()).unwrap();
    let Action::RemoveVServerGroupBackendServers {
        backend_servers, ..
    } = &p.actions[0]
    else {
        panic!("{:?}", names(&p))
    };
    assert_eq!(
        backend_servers
            .iter()
            .map(|b| b.server_id.as_str())
            .collect::<Vec<_>>(),
        ["i-n002"]
    );
    assert_eq!(p.actions.len(), 1);
    // A weight change.
    let mut heavier = svc.clone();
    annotate(&mut heavier, "default-weight", "50");
    let p = plan(&want(&heavier, &nodes(3)), Some(&o), &opts()).unwrap();
    assert_eq!(names(&p), vec!["SetVServerGroupAttribute"]);
    // …which ignore-weight-update suppresses.
    annotate(&mut heavier, "ignore-weight-update", "on");
    assert!(
        plan(&want(&heavier, &nodes(3)), Some(&o), &opts())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn members_added_by_users_to_owned_groups_are_never_touched() {
    let svc = service(&[(80, 30080)]);
    let mut o = synced(&svc, &nodes(1));
    o.vserver_groups[0]
        .backend_servers
        .push(member("i-manual", "added in console"));
    o.vserver_groups[0]
        .backend_servers
        .push(member("i-n000-dup", ""));
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert!(p.is_empty(), "{:?}", names(&p));
}

#[test]
fn stopped_listeners_are_started_and_drifted_attributes_reset() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "health-check-interval", "5");
    annotate(&mut svc, "scheduler", "wrr");
    let mut o = synced(&svc, &nodes(1));
    o.listeners[0].status = "stopped".into();
    o.listeners[0].attributes.health_check_interval = Some(2);
    o.listeners[0].attributes.scheduler = Some("rr".into());
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec![
            "SetLoadBalancerTCPListenerAttribute",
            "StartLoadBalancerListener"
        ]
    );
    let Some((_, params)) = p.actions[0].listener_params() else {
        panic!()
    };
    assert_eq!(
        params.attributes.set_fields(),
        vec!["scheduler", "health_check_interval"]
    );
    assert_eq!(
        (params.vserver_group.clone(), params.description.clone()),
        (None, None)
    );
}

#[test]
fn a_port_claimed_by_another_service_is_a_conflict_naming_both() {
    let svc = service(&[(80, 30080)]);
    let mut o = synced(&service(&[(443, 30443)]), &nodes(1));
    o.listeners[0].listener_port = 80;
    o.listeners[0].description = "k8s/80/api/other/c1".into();
    let err = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind(), "PortConflict");
    assert!(
        text.contains("other/api") && text.contains("ns/web"),
        "{text}"
    );
}

#[test]
fn force_override_takes_over_only_a_user_listener_on_the_same_port_and_protocol() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    let mut o = reused_lb();
    o.listeners
        .push(user_listener(80, Protocol::Tcp, "rsp-user"));
    // Without the override nothing on listeners is touched.
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert!(p.actions.iter().all(|a| a.listener_params().is_none()));
    assert!(p.notes.contains(&PlanNote::ListenersNotManaged {
        lb_id: "lb-user".into()
    }));
    annotate(&mut svc, "force-override-listeners", "true");
    let d = want(&svc, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert!(matches!(
        p.notes[0],
        PlanNote::ListenerTakenOver { port: 80, .. }
    ));
    let set = p
        .actions
        .iter()
        .find_map(|a| a.listener_params())
        .unwrap()
        .1;
    assert_eq!(set.description.as_deref(), Some("k8s/80/web/ns/c1"));
    replan_is_empty(&d, Some(&o));
    // A different protocol on the same port is a conflict even with the override.
    o.listeners[0].listener_protocol = Protocol::Http;
    assert_eq!(
        plan(&d, Some(&o), &opts()).unwrap_err().kind(),
        "PortConflict"
    );
}

#[test]
fn a_user_listener_on_a_port_of_a_ccm_created_clb_is_a_conflict() {
    let svc = service(&[(80, 30080)]);
    let mut o = synced(&svc, &nodes(1));
    o.listeners[0].description = "hand made".into();
    let err = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap_err();
    assert!(
        err.to_string().contains("not created by Kubernetes"),
        "{err}"
    );
}

#[test]
fn reuse_is_refused_before_any_call_with_the_faq_text() {
    type Mutate = Box<dyn Fn(&mut ObservedLb, &mut Service)>;
    let cases: Vec<(&str, Mutate, &str)> = vec![
        (
            "created by a cluster",
            Box::new(|o, _| {
                o.tags.insert(TAG_DO_NOT_DELETE.into(), "aabc".into());
            }),
            "can not reuse loadbalancer created by kubernetes.",
        ),
        (
            "the API server's CLB",
            Box::new(|o, _| {
                o.tags.insert(TAG_CLUSTER.into(), "c9".into());
            }),
            "can not reuse loadbalancer created by kubernetes.",
        ),
        (
            "intranet in another VPC",
            Box::new(|o, _| o.vpc_id = "vpc-other".into()),
            "NetworkConflict",
        ),
        (
            "live Service on another IP",
            Box::new(|_, s| with_status_ip(s, "10.9.9.9")),
            "service has been associated with ip [10.9.9.9], cannot be bound to ip [10.0.0.100]",
        ),
    ];
    for (case, mutate, text) in cases {
        let mut svc = service(&[(80, 30080)]);
        reusing(&mut svc);
        let mut o = reused_lb();
        mutate(&mut o, &mut svc);
        let err = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap_err();
        assert_eq!(err.kind(), "ReuseRefused", "{case}");
        assert!(err.to_string().contains(text), "{case}: {err}");
        assert!(!err.remedy().is_empty(), "{case}");
    }
}

#[test]
fn reusing_a_missing_clb_is_an_error() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    let err = plan(&want(&svc, &[]), None, &opts()).unwrap_err();
    assert_eq!(
        err,
        PlanError::ReusedLbNotFound {
            lb_id: "lb-user".into()
        }
    );
}

#[test]
fn a_reused_clb_gets_the_reuse_tag_and_keeps_its_own_settings() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    let o = reused_lb();
    let d = want(&svc, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(names(&p), vec!["TagResources", "CreateVServerGroup"]);
    let Action::TagResources { tags, .. } = &p.actions[0] else {
        panic!()
    };
    assert_eq!(tags, &vec![(TAG_REUSED.to_owned(), "true".to_owned())]);
    replan_is_empty(&d, Some(&o));
}

#[test]
fn immutable_changes_are_refused_with_the_faq_text() {
    let cases = [
        (
            "address-type",
            "intranet",
            "alicloud: can not change LoadBalancer AddressType once created. delete and retry",
        ),
        (
            "resource-group-id",
            "rg-new",
            "can not change ResourceGroupId once created",
        ),
        ("master-zoneid", "cn-hangzhou-k", "MasterZoneId"),
        ("ip-version", "ipv6", "AddressIPVersion"),
    ];
    for (suffix, value, text) in cases {
        let svc = service(&[(80, 30080)]);
        let mut o = synced(&svc, &nodes(1));
        o.resource_group_id = "rg-old".into();
        o.master_zone_id = "cn-hangzhou-a".into();
        let mut changed = svc.clone();
        annotate(&mut changed, suffix, value);
        let err = plan(&want(&changed, &nodes(1)), Some(&o), &opts()).unwrap_err();
        assert_eq!(err.kind(), "ImmutableChange", "{suffix}");
        assert!(err.to_string().contains(text), "{err}");
    }
}

#[test]
fn a_pay_by_spec_clb_without_a_spec_is_created_as_slb_s1_small() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "instance-charge-type", "PayBySpec");
    let p = plan(&want(&svc, &nodes(1)), None, &opts()).unwrap();
    let Action::CreateLoadBalancer(c) = &p.actions[0] else {
        panic!("{:?}", p.actions[0])
    };
    assert_eq!(
        (
            c.instance_charge_type.as_str(),
            c.load_balancer_spec.as_deref()
        ),
        ("PayBySpec", Some("slb.s1.small"))
    );
    let Action::CreateLoadBalancer(clcu) =
        &plan(&want(&service(&[(80, 30080)]), &nodes(1)), None, &opts())
            .unwrap()
            .actions[0]
    else {
        panic!()
    };
    assert_eq!(clcu.load_balancer_spec, None, "PayByCLCU takes no spec");
}

#[test]
fn pay_by_clcu_cannot_go_back_to_pay_by_spec() {
    let svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(1));
    let mut spec = svc.clone();
    annotate(&mut spec, "instance-charge-type", "PayBySpec");
    let err = plan(&want(&spec, &nodes(1)), Some(&o), &opts()).unwrap_err();
    assert!(err.to_string().starts_with(
        "The operation is not allowed because the instanceChargeType of loadbalancer is PayByCLCU."
    ));
}

#[test]
fn a_missing_clb_is_not_recreated_while_the_status_has_an_address() {
    let mut svc = service(&[(80, 30080)]);
    with_status_ip(&mut svc, "47.1.1.1");
    let err = plan(&want(&svc, &[]), None, &opts()).unwrap_err();
    assert!(
        err.to_string()
            .contains("can not find loadbalancer, but it's defined in service")
    );
}

#[test]
fn a_clb_tagged_for_another_service_is_refused() {
    let svc = service(&[(80, 30080)]);
    let mut o = synced(&svc, &nodes(1));
    o.tags.insert(TAG_DO_NOT_DELETE.into(), "aother".into());
    assert_eq!(
        plan(&want(&svc, &[]), Some(&o), &opts())
            .unwrap_err()
            .kind(),
        "OwnedByOtherService"
    );
}

#[test]
fn attribute_annotations_become_the_matching_calls() {
    let svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(1));
    let cases = [
        ("name", "renamed", "SetLoadBalancerName"),
        (
            "delete-protection",
            "off",
            "SetLoadBalancerDeleteProtection",
        ),
        (
            "modification-protection",
            "NonProtection",
            "SetLoadBalancerModificationProtection",
        ),
        (
            "charge-type",
            "paybybandwidth",
            "ModifyLoadBalancerInternetSpec",
        ),
        ("additional-resource-tags", "team=web", "TagResources"),
    ];
    for (suffix, value, call) in cases {
        let mut changed = svc.clone();
        annotate(&mut changed, suffix, value);
        let d = want(&changed, &nodes(1));
        let p = plan(&d, Some(&o), &opts()).unwrap();
        assert_eq!(names(&p), vec![call], "{suffix}");
        replan_is_empty(&d, Some(&o));
    }
}

#[test]
fn user_and_system_tags_are_never_removed_on_sync() {
    let svc = service(&[(80, 30080)]);
    let mut o = synced(&svc, &nodes(1));
    o.tags.insert("acs:rm:rgId".into(), "rg-1".into());
    o.tags.insert("owner".into(), "alice".into());
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert!(p.is_empty());
}

/// The Service after a sync that applied `tags`: the annotation and slb-ccm's record of it.
fn tagged(tags: &str) -> Service {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "additional-resource-tags", tags);
    let record = crate::applied_tags_record(&svc).unwrap();
    annotate(&mut svc, APPLIED_TAGS_ANNOTATION, &record);
    svc
}

#[test]
fn an_additional_tag_dropped_from_the_annotation_is_removed_and_a_changed_one_updated() {
    // The reference's e2e: Key1=Value1,Key2=Value2 → Key1=Value3 leaves Key1=Value3 alone.
    let before = tagged("Key1=Value1,Key2=Value2");
    let mut o = synced(&before, &nodes(1));
    o.tags.insert("owner".into(), "alice".into());
    let mut after = before.clone();
    annotate(&mut after, "additional-resource-tags", "Key1=Value3");
    let d = want(&after, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(names(&p), vec!["TagResources", "UntagResources"]);
    let Action::UntagResources { tag_keys, .. } = &p.actions[1] else {
        panic!("{p:?}")
    };
    assert_eq!(tag_keys, &vec!["Key2".to_owned()]);
    let o = apply_to(&p, Some(&o)).unwrap().unwrap();
    assert_eq!(o.tags.get("Key1").map(String::as_str), Some("Value3"));
    assert!(!o.tags.contains_key("Key2"));
    assert_eq!(o.tags.get("owner").map(String::as_str), Some("alice"));
    replan_is_empty(&d, Some(&o));
}

#[test]
fn only_recorded_tags_are_removed_never_console_or_ownership_tags() {
    // (recorded keys, annotation now, CLB tags besides ours, keys expected to be removed)
    type Case<'a> = (&'a str, Option<&'a str>, &'a [&'a str], &'a [&'a str]);
    let cases: [Case<'_>; 4] = [
        // No record (a Service taken over from the reference): nothing is removed.
        ("", Some("Key1=a"), &["Key2", "owner"], &[]),
        // The whole annotation removed: every recorded key goes.
        (
            "Key1,Key2",
            None,
            &["Key1", "Key2", "owner"],
            &["Key1", "Key2"],
        ),
        // A recorded key already gone from the CLB is not untagged again.
        ("Key1,Key2", Some("Key1=a"), &["Key1"], &[]),
        // Ownership and system keys are never removed, even when recorded.
        (
            "kubernetes.do.not.delete,ack.aliyun.com,acs:x",
            Some("Key1=a"),
            &["acs:x"],
            &[],
        ),
    ];
    for (recorded, now, on_clb, removed) in cases {
        let mut svc = service(&[(80, 30080)]);
        let mut o = synced(&svc, &nodes(1));
        for k in on_clb {
            o.tags.insert((*k).into(), "v".into());
        }
        if let Some(now) = now {
            annotate(&mut svc, "additional-resource-tags", now);
            o.tags.insert("Key1".into(), "a".into());
        }
        if !recorded.is_empty() {
            annotate(&mut svc, APPLIED_TAGS_ANNOTATION, recorded);
        }
        let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
        let untagged: Vec<&str> = p
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::UntagResources { tag_keys, .. } => Some(tag_keys),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .collect();
        assert_eq!(untagged, removed, "recorded {recorded:?}, now {now:?}");
    }
}

#[test]
fn the_record_is_the_sorted_keys_of_the_annotation_and_does_not_change_the_spec_hash() {
    let svc = tagged("team=web,env=,app=a");
    let record = svc.metadata.annotations.as_ref().unwrap()[APPLIED_TAGS_ANNOTATION].clone();
    assert_eq!(record, "app,env,team");
    let mut unrecorded = svc.clone();
    unrecorded
        .metadata
        .annotations
        .as_mut()
        .unwrap()
        .remove(APPLIED_TAGS_ANNOTATION);
    assert_eq!(crate::spec_hash(&svc), crate::spec_hash(&unrecorded));
    assert_eq!(crate::applied_tags_record(&service(&[(80, 30080)])), None);
}

#[test]
fn a_protocol_change_deletes_and_recreates_the_listener() {
    let svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(1));
    let mut http = svc.clone();
    annotate(&mut http, "protocol-port", "http:80");
    let d = want(&http, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec![
            "DeleteLoadBalancerListener",
            "CreateLoadBalancerHTTPListener",
            "StartLoadBalancerListener"
        ]
    );
    replan_is_empty(&d, Some(&o));
}

#[test]
fn a_node_port_change_moves_the_listener_to_a_new_group_then_deletes_the_old_one() {
    let o = synced(&service(&[(80, 30080)]), &nodes(1));
    let d = want(&service(&[(80, 30081)]), &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec![
            "CreateVServerGroup",
            "SetLoadBalancerTCPListenerAttribute",
            "DeleteVServerGroup",
        ]
    );
    replan_is_empty(&d, Some(&o));
}

#[test]
fn an_owned_group_still_used_by_a_user_listener_is_kept_with_a_note() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    let mut o = reused_lb();
    o.vserver_groups.push(ObservedVServerGroup {
        vserver_group_id: "rsp-old".into(),
        vserver_group_name: "k8s/30079/web/ns/c1".into(),
        backend_servers: vec![],
    });
    o.listeners
        .push(user_listener(8080, Protocol::Tcp, "rsp-old"));
    let d = want(&svc, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert!(!names(&p).contains(&"DeleteVServerGroup"));
    assert!(p.notes.contains(&PlanNote::GroupKeptInUse {
        group_id: "rsp-old".into(),
        listener_port: 8080
    }));
    replan_is_empty(&d, Some(&o));
}

#[test]
fn vgroup_port_adds_members_to_the_user_group_and_checks_it() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    annotate(&mut svc, "vgroup-port", "rsp-user:80");
    let mut o = reused_lb();
    let err = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap_err();
    assert_eq!(err.kind(), "ReusedGroupNotFound");
    o.vserver_groups.push(ObservedVServerGroup {
        vserver_group_id: "rsp-user".into(),
        vserver_group_name: "k8s/1/x/y/z".into(),
        backend_servers: vec![member("i-user", "mine")],
    });
    let err = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap_err();
    assert_eq!(err.kind(), "ReusedGroupOwnedByKubernetes");
    o.vserver_groups[0].vserver_group_name = "user-group".into();
    let d = want(&svc, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec!["TagResources", "AddVServerGroupBackendServers"]
    );
    replan_is_empty(&d, Some(&o));
}

fn deleting(svc: &mut Service) {
    svc.metadata.deletion_timestamp = Some(Time(Default::default()));
}

#[test]
fn deleting_a_ccm_created_clb_turns_off_protection_then_deletes_it() {
    let mut svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(1));
    deleting(&mut svc);
    let d = want(&svc, &[]);
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec!["SetLoadBalancerDeleteProtection", "DeleteLoadBalancer"]
    );
    assert_eq!(apply_to(&p, Some(&o)).unwrap(), None);
    let gone = plan(&d, None, &opts()).unwrap();
    assert!(gone.is_empty());
    assert_eq!(gone.notes, vec![PlanNote::AlreadyGone]);
}

#[test]
fn a_type_change_away_from_load_balancer_deletes_like_a_deletion() {
    let mut svc = service(&[(80, 30080)]);
    let o = synced(&svc, &nodes(1));
    svc.spec.as_mut().unwrap().type_ = Some("NodePort".into());
    let p = plan(&want(&svc, &[]), Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec!["SetLoadBalancerDeleteProtection", "DeleteLoadBalancer"]
    );
}

#[test]
fn preserve_on_delete_keeps_the_clb_and_releases_only_owned_parts() {
    let mut svc = service(&[(80, 30080)]);
    let mut o = synced(&svc, &nodes(1));
    o.tags.insert("owner".into(), "alice".into());
    annotate(&mut svc, "preserve-lb-on-delete", "true");
    deleting(&mut svc);
    let d = want(&svc, &[]);
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec![
            "SetLoadBalancerDeleteProtection",
            "SetLoadBalancerModificationProtection",
            "UntagResources",
            "DeleteLoadBalancerListener",
            "DeleteVServerGroup",
        ]
    );
    assert!(p.notes.contains(&PlanNote::PreservedOnDelete {
        lb_id: o.load_balancer_id.clone()
    }));
    let after = apply_to(&p, Some(&o)).unwrap().unwrap();
    assert_eq!(
        after.tags,
        [("owner".to_owned(), "alice".to_owned())].into()
    );
    assert!(after.listeners.is_empty() && after.vserver_groups.is_empty());
}

#[test]
fn deleting_a_service_on_a_reused_clb_removes_only_what_it_owns() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    annotate(&mut svc, "force-override-listeners", "true");
    annotate(&mut svc, "vgroup-port", "rsp-user:80");
    let mut o = reused_lb();
    o.vserver_groups.push(ObservedVServerGroup {
        vserver_group_id: "rsp-user".into(),
        vserver_group_name: "user-group".into(),
        backend_servers: vec![member("i-user", "mine")],
    });
    o.listeners
        .push(user_listener(8080, Protocol::Tcp, "rsp-user"));
    let o = apply_to(
        &plan(&want(&svc, &nodes(2)), Some(&o), &opts()).unwrap(),
        Some(&o),
    )
    .unwrap()
    .unwrap();
    deleting(&mut svc);
    let d = want(&svc, &[]);
    let p = plan(&d, Some(&o), &opts()).unwrap();
    assert_eq!(
        names(&p),
        vec![
            "DeleteLoadBalancerListener",
            "RemoveVServerGroupBackendServers"
        ]
    );
    let after = apply_to(&p, Some(&o)).unwrap().unwrap();
    assert_eq!(
        after.vserver_groups[0].backend_servers,
        vec![member("i-user", "mine")]
    );
    assert_eq!(
        after.listeners,
        vec![user_listener(8080, Protocol::Tcp, "rsp-user")]
    );
}

#[test]
fn deleting_refuses_while_a_user_listener_uses_an_owned_group() {
    let mut svc = service(&[(80, 30080)]);
    reusing(&mut svc);
    let mut o = reused_lb();
    o = apply_to(
        &plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap(),
        Some(&o),
    )
    .unwrap()
    .unwrap();
    let gid = o.vserver_groups[0].vserver_group_id.clone();
    o.listeners.push(user_listener(80, Protocol::Tcp, &gid));
    deleting(&mut svc);
    let err = plan(&want(&svc, &[]), Some(&o), &opts()).unwrap_err();
    assert_eq!(err.kind(), "GroupInUse");
    assert!(err.remedy().contains("delete the listener"));
}

#[test]
fn eni_members_must_be_resolved_before_planning() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "service.beta.kubernetes.io/backend-type", "eni");
    let eps = slice(&[("10.0.0.1", "a", Ep::Ready)], &[]);
    let mut d = desired::desired(&svc, NO_NODES, &[eps], &ctx()).unwrap();
    let err = plan(&d, None, &opts()).unwrap_err();
    assert_eq!(
        err,
        PlanError::UnresolvedEni {
            ips: vec!["10.0.0.1".into()]
        }
    );
    d.resolve_enis(&[("10.0.0.1".to_owned(), "eni-1".to_owned())].into());
    let p = plan(&d, None, &opts()).unwrap();
    let added = p.actions.iter().find_map(|a| match a {
        Action::CreateVServerGroup {
            backend_servers, ..
        } => Some(backend_servers),
        _ => None,
    });
    let b = &added.unwrap()[0];
    assert_eq!(
        (b.server_id.as_str(), b.server_ip.as_deref(), b.port),
        ("eni-1", Some("10.0.0.1"), 80)
    );
    replan_is_empty(&d, None);
}

#[test]
fn every_plan_error_names_a_remedy() {
    let errors = [
        PlanError::ReusedLbNotFound {
            lb_id: "lb-1".into(),
        },
        PlanError::ObservedMismatch {
            wanted: "lb-1".into(),
            observed: "lb-2".into(),
        },
        PlanError::NotFoundButInStatus {
            ips: vec!["1.1.1.1".into()],
        },
        PlanError::OwnedByOtherService {
            lb_id: "lb-1".into(),
            tag: "ax".into(),
        },
        PlanError::ChargeTypeToSpec {
            lb_id: "lb-1".into(),
        },
        PlanError::ReusedGroupNotFound {
            group_id: "rsp-1".into(),
            lb_id: "lb-1".into(),
        },
        PlanError::ReusedGroupOwnedByKubernetes {
            group_id: "rsp-1".into(),
            name: "k8s/1/a/b/c".into(),
        },
        PlanError::UnresolvedEni {
            ips: vec!["10.0.0.1".into()],
        },
        PlanError::InvalidOptions { batch_size: 0 },
        PlanError::ImmutableChange {
            annotation: "resource-group-id",
            observed: "rg-a".into(),
            wanted: "rg-b".into(),
            message: "can not change ResourceGroupId once created",
        },
    ];
    for e in errors {
        assert!(e.remedy().ends_with('.'), "{}: {:?}", e.kind(), e.remedy());
    }
}

/// A Service whose HTTP port 80 redirects to its HTTPS port 443.
fn redirecting() -> Service {
    let mut svc = service(&[(80, 30080), (443, 30443)]);
    annotate(&mut svc, "protocol-port", "http:80,https:443");
    annotate(&mut svc, "cert-id", "cert-1");
    annotate(&mut svc, "forward-port", "80:443");
    svc
}

fn listener_calls(p: &Plan) -> Vec<(&'static str, u16)> {
    p.actions
        .iter()
        .filter_map(|a| match a {
            Action::DeleteLoadBalancerListener { listener_port, .. } => {
                Some((a.api_name(), *listener_port))
            }
            _ => a
                .listener_params()
                .map(|(_, l)| (a.api_name(), l.listener_port)),
        })
        .collect()
}

#[test]
fn a_redirect_listener_is_created_after_its_https_target() {
    let d = want(&redirecting(), &nodes(1));
    let p = plan(&d, None, &opts()).unwrap();
    assert_eq!(
        listener_calls(&p),
        vec![
            ("CreateLoadBalancerHTTPSListener", 443),
            ("CreateLoadBalancerHTTPListener", 80)
        ]
    );
    replan_is_empty(&d, None);
}

#[test]
fn a_redirect_listener_is_deleted_before_its_https_target() {
    let o = synced(&redirecting(), &nodes(1));
    let d = want(&service(&[(8080, 30080)]), &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    let deletes: Vec<_> = listener_calls(&p)
        .into_iter()
        .filter(|(name, _)| *name == "DeleteLoadBalancerListener")
        .collect();
    assert_eq!(
        deletes,
        vec![
            ("DeleteLoadBalancerListener", 80),
            ("DeleteLoadBalancerListener", 443)
        ]
    );
}

/// The Service of [`redirecting`] without its `forward-port` annotation.
fn not_redirecting() -> Service {
    let mut svc = redirecting();
    if let Some(a) = svc.metadata.annotations.as_mut() {
        a.remove(&format!("{}forward-port", crate::annotations::PREFIX));
    }
    svc
}

/// The plan from `from` to `to`, checking that it converges with no Set on port 80.
fn plan_between(from: &Service, to: &Service) -> Plan {
    let o = synced(from, &nodes(1));
    let d = want(to, &nodes(1));
    let p = plan(&d, Some(&o), &opts()).unwrap();
    replan_is_empty(&d, Some(&o));
    p
}

fn http_80_calls(p: &Plan) -> Vec<&'static str> {
    listener_calls(p)
        .into_iter()
        .filter(|(_, port)| *port == 80)
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn turning_a_redirect_on_recreates_the_http_listener() {
    let p = plan_between(&not_redirecting(), &redirecting());
    assert_eq!(
        http_80_calls(&p),
        vec![
            "DeleteLoadBalancerListener",
            "CreateLoadBalancerHTTPListener"
        ]
    );
}

#[test]
fn turning_a_redirect_off_recreates_the_http_listener_without_it() {
    let p = plan_between(&redirecting(), &not_redirecting());
    assert_eq!(
        http_80_calls(&p),
        vec![
            "DeleteLoadBalancerListener",
            "CreateLoadBalancerHTTPListener"
        ]
    );
    let created = p.actions.iter().find_map(|a| a.listener_params()).unwrap();
    assert_eq!(created.1.attributes.listener_forward, None);
}

/// A Service whose HTTP port 80 redirects to `to`, with HTTPS listeners on 443 and 8443.
fn redirecting_to(to: u16) -> Service {
    let mut svc = service(&[(80, 30080), (443, 30443), (8443, 30844)]);
    annotate(&mut svc, "protocol-port", "http:80,https:443,https:8443");
    annotate(&mut svc, "cert-id", "cert-1");
    annotate(&mut svc, "forward-port", &format!("80:{to}"));
    svc
}

#[test]
fn another_forward_port_recreates_the_redirect_listener() {
    let p = plan_between(&redirecting_to(443), &redirecting_to(8443));
    assert_eq!(
        listener_calls(&p),
        vec![
            ("DeleteLoadBalancerListener", 80),
            ("CreateLoadBalancerHTTPListener", 80)
        ]
    );
    let created = p.actions.iter().find_map(|a| a.listener_params()).unwrap();
    assert_eq!(created.1.attributes.forward_port, Some(8443));
}

#[test]
fn a_recreated_redirect_goes_before_its_old_target_and_after_its_new_one() {
    let mut to = service(&[(80, 30080), (8443, 30844)]);
    annotate(&mut to, "protocol-port", "http:80,https:8443");
    annotate(&mut to, "cert-id", "cert-1");
    annotate(&mut to, "forward-port", "80:8443");
    let p = plan_between(&redirecting(), &to);
    assert_eq!(
        listener_calls(&p),
        vec![
            ("DeleteLoadBalancerListener", 80),
            ("DeleteLoadBalancerListener", 443),
            ("CreateLoadBalancerHTTPSListener", 8443),
            ("CreateLoadBalancerHTTPListener", 80)
        ]
    );
}

#[test]
fn a_forwarding_listener_is_not_repaired_for_attributes_a_redirect_does_not_use() {
    let mut svc = redirecting();
    annotate(&mut svc, "scheduler", "wlc");
    let mut o = synced(&svc, &nodes(1));
    let http = o
        .listeners
        .iter_mut()
        .find(|l| l.listener_port == 80)
        .unwrap();
    http.attributes.scheduler = Some("rr".into());
    http.vserver_group_id = String::new();
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert!(p.is_empty(), "{:?}", names(&p));
}

#[test]
fn a_forwarding_listener_whose_acl_differs_is_recreated() {
    let mut svc = redirecting();
    annotate(&mut svc, "acl-status", "on");
    annotate(&mut svc, "acl-id", "acl-1");
    annotate(&mut svc, "acl-type", "white");
    let mut o = synced(&svc, &nodes(1));
    let http = o
        .listeners
        .iter_mut()
        .find(|l| l.listener_port == 80)
        .unwrap();
    http.attributes.acl_id = Some("acl-2".into());
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert_eq!(
        listener_calls(&p),
        vec![
            ("DeleteLoadBalancerListener", 80),
            ("CreateLoadBalancerHTTPListener", 80)
        ]
    );
}

#[test]
fn the_simulator_refuses_a_set_on_a_forwarding_listener_as_the_clb_does() {
    let o = synced(&redirecting(), &nodes(1));
    let rename = Action::set_listener(
        Protocol::Http,
        ListenerParams {
            load_balancer: LbRef::Id(o.load_balancer_id.clone()),
            listener_port: 80,
            vserver_group: None,
            description: Some("renamed".into()),
            bandwidth: None,
            attributes: ListenerAttributes::default(),
        },
    );
    let p = Plan {
        actions: vec![rename],
        notes: Vec::new(),
    };
    assert!(matches!(
        apply_to(&p, Some(&o)),
        Err(ApplyError::Refused { step: 0, .. })
    ));
}

/// A listener as the reference CCM leaves it: in sync but for its `rr` scheduler.
fn with_rr_listener(svc: &Service) -> ObservedLb {
    let mut o = synced(svc, &nodes(1));
    o.listeners[0].attributes.scheduler = Some("rr".into());
    o
}

#[test]
fn a_cluster_policy_listener_keeps_its_scheduler_when_no_annotation_names_one() {
    let svc = service(&[(80, 30080)]);
    let o = with_rr_listener(&svc);
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert!(p.is_empty(), "{:?}", names(&p));
}

#[test]
fn a_new_cluster_policy_listener_is_still_created_with_wrr() {
    let svc = service(&[(80, 30080)]);
    let p = plan(&want(&svc, &nodes(1)), None, &opts()).unwrap();
    let created = p.actions.iter().find_map(|a| a.listener_params()).unwrap();
    assert_eq!(created.1.attributes.scheduler.as_deref(), Some("wrr"));
}

#[test]
fn a_local_policy_listener_is_switched_to_wrr_with_a_note_saying_why() {
    let mut svc = service(&[(80, 30080)]);
    local(&mut svc);
    let o = with_rr_listener(&svc);
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    assert_eq!(names(&p), vec!["SetLoadBalancerTCPListenerAttribute"]);
    // (No pods in this fixture, so the plan also notes that there are no backends.)
    assert_eq!(
        p.notes[0],
        PlanNote::SchedulerForWeights {
            port: 80,
            protocol: Protocol::Tcp,
            previous: "rr".into(),
        }
    );
    assert!(
        p.notes[0].to_string().contains("rr to wrr"),
        "{}",
        p.notes[0]
    );
}

#[test]
fn a_scheduler_annotation_is_enforced_under_cluster_policy() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "scheduler", "wlc");
    let o = with_rr_listener(&svc);
    let p = plan(&want(&svc, &nodes(1)), Some(&o), &opts()).unwrap();
    let Some((_, params)) = p.actions[0].listener_params() else {
        panic!("{:?}", names(&p))
    };
    assert_eq!(params.attributes.scheduler.as_deref(), Some("wlc"));
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}
