use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;
use crate::fixtures::*;

fn weights_by_server(lb: &DesiredLb) -> Vec<(String, u32)> {
    lb.groups[0]
        .backends
        .iter()
        .map(|b| (b.server_id.clone(), b.weight))
        .collect()
}

#[test]
fn cluster_mode_uses_every_eligible_node_on_the_node_port_at_default_weight() {
    let svc = service(&[(80, 30080)]);
    let lb = desired(&svc, &[node("a"), node("b")], &[], &ctx()).unwrap();
    assert_eq!(lb.intent, Intent::Ensure);
    assert_eq!(lb.listeners.len(), 1);
    let l = &lb.listeners[0];
    assert_eq!((l.listener_port, l.protocol), (80, Protocol::Tcp));
    assert_eq!(l.description, "k8s/80/web/ns/c1");
    assert_eq!(l.group, GroupTarget::Owned("k8s/30080/web/ns/c1".into()));
    assert_eq!(l.attributes.scheduler.as_deref(), Some("wrr"));
    let g = &lb.groups[0];
    assert!(
        g.backends
            .iter()
            .all(|b| b.port == 30080 && b.description == "k8s/30080/web/ns/c1")
    );
    assert_eq!(
        weights_by_server(&lb),
        vec![("i-a".into(), 100), ("i-b".into(), 100)]
    );
}

#[test]
fn default_weight_annotation_sets_cluster_mode_weights() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "default-weight", "30");
    let lb = desired(&svc, &[node("a")], &[], &ctx()).unwrap();
    assert_eq!(weights_by_server(&lb), vec![("i-a".into(), 30)]);
}

#[test]
fn local_mode_weights_nodes_by_ready_pod_count_as_in_the_faq() {
    let mut svc = service(&[(80, 30080)]);
    local(&mut svc);
    let eps = slice(
        &[
            ("10.0.0.1", "a", Ep::Ready),
            ("10.0.0.2", "b", Ep::Ready),
            ("10.0.0.3", "b", Ep::Ready),
            ("10.0.0.4", "c", Ep::Ready),
            ("10.0.0.5", "c", Ep::Ready),
            ("10.0.0.6", "c", Ep::Ready),
            ("10.0.0.7", "d", Ep::NotReady),
        ],
        &[("p80", 80)],
    );
    let nodes = [node("a"), node("b"), node("c"), node("d")];
    let lb = desired(&svc, &nodes, &[eps], &ctx()).unwrap();
    assert_eq!(
        weights_by_server(&lb),
        vec![("i-a".into(), 1), ("i-b".into(), 2), ("i-c".into(), 3)]
    );
}

#[test]
fn local_mode_drains_nodes_with_only_terminating_pods_when_draining_is_on() {
    let mut svc = service(&[(80, 30080)]);
    local(&mut svc);
    let eps = slice(
        &[
            ("10.0.0.1", "a", Ep::Ready),
            ("10.0.0.2", "b", Ep::Terminating),
        ],
        &[],
    );
    let nodes = [node("a"), node("b")];
    let without = desired(&svc, &nodes, std::slice::from_ref(&eps), &ctx()).unwrap();
    assert_eq!(weights_by_server(&without), vec![("i-a".into(), 1)]);
    annotate(&mut svc, "connection-drain", "on");
    annotate(&mut svc, "connection-drain-timeout", "30");
    let with = desired(&svc, &nodes, &[eps], &ctx()).unwrap();
    assert_eq!(
        weights_by_server(&with),
        vec![("i-a".into(), 1), ("i-b".into(), 0)]
    );
}

#[test]
fn eni_mode_uses_pod_ips_on_the_target_port() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "service.beta.kubernetes.io/backend-type", "eni");
    svc.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].target_port =
        Some(IntOrString::Int(8080));
    let eps = slice(
        &[
            ("10.0.0.1", "a", Ep::Ready),
            ("10.0.0.2", "a", Ep::Terminating),
        ],
        &[("p80", 8080)],
    );
    let mut lb = desired(&svc, NO_NODES, &[eps], &ctx()).unwrap();
    let g = &lb.groups[0];
    assert_eq!(g.target, GroupTarget::Owned("k8s/8080/web/ns/c1".into()));
    assert_eq!(g.backends.len(), 1);
    let b = &g.backends[0];
    assert_eq!(
        (b.r#type, b.port, b.server_ip.as_deref()),
        (BackendType::Eni, 8080, Some("10.0.0.1"))
    );
    assert_eq!(lb.eni_ips(), ["10.0.0.1".to_owned()].into());
    let missing = lb.resolve_enis(&[("10.0.0.1".to_owned(), "eni-1".to_owned())].into());
    assert!(missing.is_empty());
    assert_eq!(lb.groups[0].backends[0].server_id, "eni-1");
}

#[test]
fn eni_mode_resolves_a_named_target_port_from_the_slice() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "service.beta.kubernetes.io/backend-type", "eni");
    svc.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].target_port =
        Some(IntOrString::String("http".into()));
    let eps = slice(&[("10.0.0.1", "a", Ep::Ready)], &[("p80", 8081)]);
    let lb = desired(&svc, NO_NODES, &[eps], &ctx()).unwrap();
    assert_eq!(lb.groups[0].backends[0].port, 8081);
    assert_eq!(
        lb.groups[0].target,
        GroupTarget::Owned("k8s/http/web/ns/c1".into())
    );
}

#[test]
fn eni_mode_with_an_unresolvable_named_target_port_gives_the_faq_error() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "service.beta.kubernetes.io/backend-type", "eni");
    svc.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].target_port =
        Some(IntOrString::String("http".into()));
    let errors = desired(&svc, NO_NODES, &[], &ctx()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with("The specified Port must be between 1 and 65535.")
    );
}

#[test]
fn node_eligibility_rules_each_skip_with_a_reason() {
    let mut cordoned = node("cordoned");
    cordoned.spec.as_mut().unwrap().unschedulable = Some(true);
    let mut not_ready = node("notready");
    not_ready
        .status
        .as_mut()
        .unwrap()
        .conditions
        .as_mut()
        .unwrap()[0]
        .status = "False".into();
    let mut no_provider = node("bare");
    no_provider.spec.as_mut().unwrap().provider_id = None;
    let mut hybrid = node("hybrid");
    hybrid.spec.as_mut().unwrap().provider_id = Some("ack-hybrid://x".into());
    let nodes = [
        node("ok"),
        label(node("m"), "node-role.kubernetes.io/master", ""),
        label(node("cp"), "node-role.kubernetes.io/control-plane", ""),
        label(
            node("ex"),
            "node.kubernetes.io/exclude-from-external-load-balancers",
            "true",
        ),
        taint(node("scaling"), "ToBeDeletedByClusterAutoscaler"),
        not_ready,
        cordoned,
        no_provider,
        hybrid,
    ];
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "remove-unscheduled-backend", "on");
    let lb = desired(&svc, &nodes, &[], &ctx()).unwrap();
    assert_eq!(weights_by_server(&lb), vec![("i-ok".into(), 100)]);
    let reasons: Vec<(String, NodeSkipReason)> = lb
        .skipped_nodes
        .iter()
        .map(|s| (s.node.clone(), s.reason.clone()))
        .collect();
    let label = |l: &str| NodeSkipReason::ExcludedByLabel(l.into());
    assert_eq!(
        reasons,
        vec![
            ("m".into(), label("node-role.kubernetes.io/master")),
            ("cp".into(), label("node-role.kubernetes.io/control-plane")),
            (
                "ex".into(),
                label("node.kubernetes.io/exclude-from-external-load-balancers")
            ),
            ("scaling".into(), NodeSkipReason::ToBeDeleted),
            ("notready".into(), NodeSkipReason::NotReady),
            ("cordoned".into(), NodeSkipReason::Unschedulable),
            (
                "bare".into(),
                NodeSkipReason::NoInstanceId {
                    provider_id: String::new()
                }
            ),
            ("hybrid".into(), NodeSkipReason::Hybrid),
        ]
    );
}

#[test]
fn cordoned_nodes_stay_unless_remove_unscheduled_backend_is_on() {
    let mut cordoned = node("a");
    cordoned.spec.as_mut().unwrap().unschedulable = Some(true);
    let lb = desired(&service(&[(80, 30080)]), &[cordoned], &[], &ctx()).unwrap();
    assert_eq!(lb.backend_count(), 1);
}

#[test]
fn backend_label_keeps_only_matching_nodes() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "backend-label", "pool=edge");
    let nodes = [
        label(node("a"), "pool", "edge"),
        label(node("b"), "pool", "core"),
        node("c"),
    ];
    let lb = desired(&svc, &nodes, &[], &ctx()).unwrap();
    assert_eq!(weights_by_server(&lb), vec![("i-a".into(), 100)]);
}

#[test]
fn local_mode_derives_instance_ids_from_node_names() {
    let mut bare = node("Kind-Worker");
    bare.spec.as_mut().unwrap().provider_id = Some("kind://docker/kind/kind-worker".into());
    let mut c = ctx();
    c.local_mode = true;
    let lb = desired(&service(&[(80, 30080)]), &[bare, node("b")], &[], &c).unwrap();
    assert_eq!(
        weights_by_server(&lb),
        vec![("i-b".into(), 100), ("i-local-kind-worker".into(), 100)]
    );
}

#[test]
fn provider_ids_parse_with_and_without_the_alicloud_prefix() {
    let cases = [
        ("cn-hangzhou.i-abc", Some("i-abc")),
        ("alicloud://cn-hangzhou.i-abc", Some("i-abc")),
        ("i-abc", None),
        ("kind://docker/kind/node", None),
        ("", None),
        ("cn-hangzhou.", None),
    ];
    for (provider_id, want) in cases {
        assert_eq!(instance_id(provider_id), want, "{provider_id}");
    }
}

#[test]
fn protocol_port_sets_listener_protocols_and_https_needs_a_certificate() {
    let mut svc = service(&[(443, 30443), (80, 30080)]);
    annotate(&mut svc, "protocol-port", "https:443,http:80");
    let errors = desired(&svc, &[node("a")], &[], &ctx()).unwrap_err();
    assert_eq!(errors, vec![ModelError::MissingCertificate { port: 443 }]);
    annotate(&mut svc, "cert-id", "cert-1");
    annotate(&mut svc, "forward-port", "80:443");
    let lb = desired(&svc, &[node("a")], &[], &ctx()).unwrap();
    let https = &lb.listeners[0];
    assert_eq!(https.protocol, Protocol::Https);
    assert_eq!(
        https.attributes.server_certificate_id.as_deref(),
        Some("cert-1")
    );
    assert_eq!(https.attributes.health_check, Some(false));
    let http = &lb.listeners[1];
    assert_eq!((http.protocol, http.bandwidth), (Protocol::Http, None));
    assert_eq!(
        (
            http.attributes.listener_forward,
            http.attributes.forward_port
        ),
        (Some(true), Some(443))
    );
    assert_eq!(http.attributes.server_certificate_id, None);
}

#[test]
fn annotation_and_port_problems_are_all_reported_together() {
    let mut svc = service(&[(80, 30080), (81, 0)]);
    svc.spec.as_mut().unwrap().ports.as_mut().unwrap()[1].node_port = None;
    annotate(&mut svc, "scheduler", "fastest");
    let errors = desired(&svc, &[node("a")], &[], &ctx()).unwrap_err();
    let kinds: Vec<&str> = errors.iter().map(ModelError::kind).collect();
    assert_eq!(kinds, vec!["InvalidAnnotationValue", "MissingNodePort"]);
}

#[test]
fn fifty_ports_fit_a_clb_and_fifty_one_are_refused_with_the_listener_quota() {
    let ports = |n: i32| (1..=n).map(|p| (p, 30_000 + p)).collect::<Vec<_>>();
    let lb = desired(&service(&ports(50)), &[node("a")], &[], &ctx()).unwrap();
    assert_eq!(lb.listeners.len(), 50);
    let errors = desired(&service(&ports(20_000)), &[node("a")], &[], &ctx()).unwrap_err();
    assert_eq!(errors.len(), 1, "one error, not one per port: {errors:?}");
    assert_eq!(errors[0].kind(), "ListenerQuota");
    let text = errors[0].to_string();
    assert!(
        text.contains("20000 ports but a CLB holds at most 50 listeners"),
        "{text}"
    );
    assert!(text.contains("reference CCM fails"), "{text}");
    assert!(
        errors[0].remedy().contains("split the ports"),
        "{}",
        errors[0].remedy()
    );
}

#[test]
fn sctp_ports_are_refused() {
    let mut svc = service(&[(80, 30080)]);
    svc.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].protocol = Some("SCTP".into());
    let errors = desired(&svc, NO_NODES, &[], &ctx()).unwrap_err();
    assert_eq!(errors[0].kind(), "UnsupportedProtocol");
}

#[test]
fn vgroup_port_attaches_the_port_to_a_user_group_with_shared_weights() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "id", "lb-user");
    annotate(&mut svc, "vgroup-port", "rsp-user:80");
    annotate(&mut svc, "weight", "60");
    let lb = desired(&svc, &[node("a"), node("b"), node("c")], &[], &ctx()).unwrap();
    assert_eq!(
        lb.listeners[0].group,
        GroupTarget::Reused("rsp-user".into())
    );
    assert_eq!(lb.groups[0].member_description, "k8s/30080/web/ns/c1");
    assert!(lb.groups[0].backends.iter().all(|b| b.weight == 20));
}

#[test]
fn vgroup_port_without_id_is_ignored_with_a_warning_and_the_port_gets_its_own_group() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "vgroup-port", "rsp-user:80");
    let lb = desired(&svc, &[node("a")], &[], &ctx()).unwrap();
    assert_eq!(
        lb.listeners[0].group,
        GroupTarget::Owned("k8s/30080/web/ns/c1".into())
    );
    let kinds: Vec<&str> = lb.annotation_warnings.iter().map(|w| w.kind()).collect();
    assert_eq!(kinds, vec!["AnnotationMissingDependency"]);
}

#[test]
fn health_check_connect_port_zero_leaves_the_port_unmanaged_with_a_warning() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "health-check-connect-port", "0");
    let lb = desired(&svc, &[node("a")], &[], &ctx()).unwrap();
    assert_eq!(lb.listeners[0].attributes.health_check_connect_port, None);
    assert_eq!(lb.annotation_warnings[0].kind(), "IgnoredAnnotationValue");
}

#[test]
fn vgroup_port_for_a_port_the_service_lacks_is_an_error() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "id", "lb-user");
    annotate(&mut svc, "vgroup-port", "rsp-user:81");
    let errors = desired(&svc, NO_NODES, &[], &ctx()).unwrap_err();
    assert_eq!(errors[0].kind(), "UnknownVGroupPort");
}

#[test]
fn deleting_services_get_a_delete_intent_even_with_broken_annotations() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "scheduler", "fastest");
    annotate(&mut svc, "preserve-lb-on-delete", "true");
    svc.metadata.deletion_timestamp = Some(Time(Default::default()));
    let lb = desired(&svc, &[node("a")], &[], &ctx()).unwrap();
    assert_eq!(lb.intent, Intent::Delete);
    assert!(lb.preserve_on_delete);
    assert!(lb.listeners.is_empty());
}

#[test]
fn type_change_away_from_load_balancer_means_delete() {
    let mut svc = service(&[(80, 30080)]);
    svc.spec.as_mut().unwrap().type_ = Some("NodePort".into());
    assert_eq!(
        desired(&svc, NO_NODES, &[], &ctx()).unwrap().intent,
        Intent::Delete
    );
}

#[test]
fn wants_lb_only_for_load_balancers_of_our_class() {
    let lb = service(&[(80, 30080)]);
    assert!(wants_lb(&lb, None));
    let mut foreign = lb.clone();
    foreign.spec.as_mut().unwrap().load_balancer_class = Some("alibabacloud.com/nlb".into());
    assert!(!wants_lb(&foreign, None));
    assert!(wants_lb(&foreign, Some("alibabacloud.com/nlb")));
    let mut class_annotation = lb.clone();
    annotate(
        &mut class_annotation,
        "service.beta.kubernetes.io/class",
        "other",
    );
    assert!(!wants_lb(&class_annotation, None));
    let mut nlb = lb.clone();
    annotate(&mut nlb, "type", "nlb");
    assert!(!wants_lb(&nlb, None));
    let mut cluster_ip = lb;
    cluster_ip.spec.as_mut().unwrap().type_ = Some("ClusterIP".into());
    assert!(!wants_lb(&cluster_ip, None));
}

#[test]
fn needs_cleanup_requires_our_finalizer_and_deletion_or_a_type_change() {
    let mut svc = service(&[(80, 30080)]);
    assert!(!needs_cleanup(&svc, None));
    svc.metadata.finalizers = Some(vec![crate::naming::FINALIZER.into()]);
    assert!(!needs_cleanup(&svc, None));
    let mut deleting = svc.clone();
    deleting.metadata.deletion_timestamp = Some(Time(Default::default()));
    assert!(needs_cleanup(&deleting, None));
    svc.spec.as_mut().unwrap().type_ = Some("NodePort".into());
    assert!(needs_cleanup(&svc, None));
}

#[test]
fn spec_hash_changes_with_what_matters_only() {
    let svc = service(&[(80, 30080)]);
    let base = spec_hash(&svc);
    assert_eq!(base, spec_hash(&svc.clone()));
    assert_eq!(base.len(), 16);
    let mut annotated = svc.clone();
    annotate(&mut annotated, "scheduler", "rr");
    assert_ne!(spec_hash(&annotated), base);
    let mut policy = svc.clone();
    local(&mut policy);
    assert_ne!(spec_hash(&policy), base);
    let mut status = svc.clone();
    with_status_ip(&mut status, "1.2.3.4");
    assert_eq!(spec_hash(&status), base);
    let mut labelled = svc;
    labelled.metadata.labels = Some([("a".to_owned(), "b".to_owned())].into());
    assert_eq!(spec_hash(&labelled), base);
}

#[test]
fn intranet_clbs_get_the_cluster_vpc_and_default_vswitch() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "address-type", "intranet");
    let mut c = ctx();
    c.vswitch_id = Some("vsw-default".into());
    let lb = desired(&svc, NO_NODES, &[], &c).unwrap();
    assert_eq!(lb.instance.vpc_id.as_deref(), Some("vpc-cluster"));
    assert_eq!(lb.instance.vswitch_id.as_deref(), Some("vsw-default"));
    assert_eq!(
        lb.instance.load_balancer_name,
        "a3f2c8a9e1b2d4c5e8f90a1b2c3d4e5f"
    );
}

#[test]
fn annotation_warnings_do_not_block_the_sync() {
    let mut svc = service(&[(80, 30080)]);
    annotate(&mut svc, "schedulr", "rr");
    let lb = desired(&svc, &[node("a")], &[], &ctx()).unwrap();
    assert_eq!(lb.annotation_warnings.len(), 1);
    assert_eq!(lb.annotation_warnings[0].kind(), "UnknownAnnotation");
    annotate(&mut svc, "scheduler", "fastest");
    let errors = desired(&svc, &[node("a")], &[], &ctx()).unwrap_err();
    let kinds: Vec<&str> = errors.iter().map(ModelError::kind).collect();
    assert_eq!(kinds, vec!["InvalidAnnotationValue", "UnknownAnnotation"]);
}

#[test]
fn a_spec_annotation_means_pay_by_spec_unless_billing_is_named() {
    let mut svc = service(&[(80, 30080)]);
    assert_eq!(
        desired(&svc, NO_NODES, &[], &ctx())
            .unwrap()
            .instance
            .instance_charge_type,
        "PayByCLCU"
    );
    annotate(&mut svc, "spec", "slb.s1.small");
    assert_eq!(
        desired(&svc, NO_NODES, &[], &ctx())
            .unwrap()
            .instance
            .instance_charge_type,
        "PayBySpec"
    );
    annotate(&mut svc, "instance-charge-type", "PayByCLCU");
    assert_eq!(
        desired(&svc, NO_NODES, &[], &ctx())
            .unwrap()
            .instance
            .instance_charge_type,
        "PayByCLCU"
    );
}

#[test]
fn health_check_switch_applies_to_layer4_and_flag_to_layer7_listeners() {
    let mut svc = service(&[(80, 30080), (443, 30443)]);
    annotate(&mut svc, "protocol-port", "http:80,tcp:443");
    annotate(&mut svc, "health-check-switch", "off");
    annotate(&mut svc, "health-check-flag", "on");
    annotate(&mut svc, "health-check-connect-timeout", "5");
    let lb = desired(&svc, NO_NODES, &[], &ctx()).unwrap();
    let by_port = |p: u16| lb.listeners.iter().find(|l| l.listener_port == p).unwrap();
    assert_eq!(by_port(80).attributes.health_check, Some(true));
    assert_eq!(by_port(80).attributes.health_check_connect_timeout, None);
    assert_eq!(by_port(443).attributes.health_check, Some(false));
    assert_eq!(
        by_port(443).attributes.health_check_connect_timeout,
        Some(5)
    );
}

#[test]
fn spec_hash_covers_load_balancer_source_ranges() {
    let svc = service(&[(80, 30080)]);
    let mut ranged = svc.clone();
    ranged.spec.as_mut().unwrap().load_balancer_source_ranges = Some(vec!["10.0.0.0/8".into()]);
    assert_ne!(spec_hash(&svc), spec_hash(&ranged));
}

/// Node events the controller sees, and which Services each one must reconcile.
#[test]
fn a_node_change_matters_only_to_services_whose_backend_set_it_changes() {
    let cluster = service(&[(80, 30080)]);
    let mut pool_b = service(&[(80, 30080)]);
    annotate(&mut pool_b, "backend-label", "pool=b");
    let mut local_svc = service(&[(80, 30080)]);
    local(&mut local_svc);
    let mut eni = service(&[(80, 30080)]);
    eni.metadata.annotations.get_or_insert_default().insert(
        "service.beta.kubernetes.io/backend-type".into(),
        "eni".into(),
    );
    let mut cordon_aware = service(&[(80, 30080)]);
    annotate(&mut cordon_aware, "remove-unscheduled-backend", "on");

    let plain = node("n");
    let mut heartbeat = plain.clone();
    heartbeat.metadata.resource_version = Some("2".into());
    heartbeat.metadata.annotations =
        Some([("node.alpha.kubernetes.io/ttl".to_owned(), "0".to_owned())].into());
    let mut not_ready = plain.clone();
    not_ready
        .status
        .as_mut()
        .unwrap()
        .conditions
        .as_mut()
        .unwrap()[0]
        .status = "False".into();
    let mut cordoned = plain.clone();
    cordoned.spec.as_mut().unwrap().unschedulable = Some(true);
    let in_pool_b = label(plain.clone(), "pool", "b");

    let ctx = ctx();
    // (what happened, before, after, hosts endpoints, [cluster, pool_b, local, eni, cordon_aware])
    type Case<'a> = (&'a str, Option<&'a Node>, Option<&'a Node>, bool, [bool; 5]);
    let cases: [Case<'_>; 7] = [
        (
            "joins",
            None,
            Some(&plain),
            false,
            [true, false, false, false, true],
        ),
        (
            "joins, hosting pods",
            None,
            Some(&plain),
            true,
            [true, false, true, false, true],
        ),
        (
            "leaves",
            Some(&plain),
            None,
            false,
            [true, false, false, false, true],
        ),
        (
            "heartbeat",
            Some(&plain),
            Some(&heartbeat),
            true,
            [false; 5],
        ),
        (
            "goes NotReady",
            Some(&plain),
            Some(&not_ready),
            true,
            [true, false, true, false, true],
        ),
        (
            "is cordoned",
            Some(&plain),
            Some(&cordoned),
            true,
            [false, false, false, false, true],
        ),
        (
            "gets pool=b",
            Some(&plain),
            Some(&in_pool_b),
            false,
            [false, true, false, false, false],
        ),
    ];
    let services = [&cluster, &pool_b, &local_svc, &eni, &cordon_aware];
    for (what, before, after, hosts, expected) in cases {
        let got: Vec<bool> = services
            .iter()
            .map(|svc| node_change_matters(svc, before, after, hosts, &ctx))
            .collect();
        assert_eq!(got, expected, "node {what}");
    }
}

#[test]
fn a_node_change_never_matters_to_a_service_that_is_not_a_load_balancer() {
    let mut svc = service(&[(80, 30080)]);
    svc.spec.as_mut().unwrap().type_ = Some("ClusterIP".into());
    assert!(!node_change_matters(
        &svc,
        None,
        Some(&node("n")),
        true,
        &ctx()
    ));
}
