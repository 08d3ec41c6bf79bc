//! `Cloud::sync` end to end against the local CLB engine in process (the same rules and error
//! codes as the HTTP server): a Service's first sync creates its CLB with the FAQ's 1:2:3
//! Local-policy weights, a second sync changes nothing and only describes, an endpoint change
//! costs one backend call, and deletion removes the CLB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use slb_controller::cloud::Cloud;
use slb_model::{Action, PlanOptions, desired};
use slb_testkit::fixtures::load_balancer_service;
use support::{LOCAL_INVENTORY, local_engine};
use support::{local_context as context, local_nodes as nodes, local_slice as slice};

fn cloud() -> Cloud {
    let engine = local_engine(LOCAL_INVENTORY);
    Cloud::new(engine.clone(), engine, "cn-hangzhou")
}

fn service() -> Service {
    let mut svc = load_balancer_service("default", "web", &[(80, 8080)]);
    svc.metadata.uid = Some("6f1c2d3e-0000-4000-8000-00000000abcd".into());
    let spec = svc.spec.as_mut().unwrap();
    spec.external_traffic_policy = Some("Local".into());
    spec.ports.as_mut().unwrap()[0].node_port = Some(30080);
    svc.metadata.annotations = Some(
        [(
            "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec".to_owned(),
            "slb.s1.small".to_owned(),
        )]
        .into(),
    );
    svc
}

/// One real (not dry-run) sync with the default plan options.
async fn sync(
    cloud: &Cloud,
    want: slb_model::DesiredLb,
    known_id: Option<&str>,
) -> slb_controller::cloud::SyncOutcome {
    cloud
        .sync(want, known_id, &PlanOptions::default(), false)
        .await
        .unwrap()
}

fn weights(lb: &slb_model::ObservedLb) -> Vec<(String, u32)> {
    let mut w: Vec<(String, u32)> = lb.vserver_groups[0]
        .backend_servers
        .iter()
        .map(|b| (b.server_id.clone(), b.weight))
        .collect();
    w.sort();
    w
}

#[tokio::test]
async fn first_sync_creates_the_clb_and_a_second_changes_nothing() {
    let engine = local_engine(LOCAL_INVENTORY);
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let want = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();
    let first = sync(&cloud, want.clone(), None).await;
    let id = first.load_balancer_id.clone().expect("a CLB was created");
    assert!(
        first.address.as_deref().unwrap().starts_with("127.0.1."),
        "{:?}",
        first.address
    );
    let names: Vec<&str> = first.plan.actions.iter().map(Action::api_name).collect();
    assert_eq!(
        names[..2],
        ["CreateLoadBalancer", "CreateVServerGroup"],
        "create the CLB, then its group: {names:?}"
    );
    assert!(names.contains(&"StartLoadBalancerListener"));

    let lb = cloud.observe(&id).await.unwrap().unwrap();
    assert_eq!(
        weights(&lb),
        [
            ("i-local-node-a".into(), 1),
            ("i-local-node-b".into(), 2),
            ("i-local-node-c".into(), 3)
        ]
    );
    let listener = &lb.listeners[0];
    assert_eq!(
        (listener.listener_port, listener.status.as_str()),
        (80, "running")
    );
    assert_eq!(
        listener.attributes.scheduler.as_deref(),
        Some("wrr"),
        "Local policy defaults to wrr"
    );
    assert_eq!(lb.tags["kubernetes.do.not.delete"], want.default_name);

    // Found again by its tag; the create left its result in the cache: nothing to do.
    let second = sync(&cloud, want.clone(), None).await;
    assert!(second.plan.is_empty(), "{:?}", second.plan.actions);
    assert_eq!(second.load_balancer_id.as_deref(), Some(id.as_str()));
    assert_eq!(second.calls, 1, "only the find by tag");

    // A controller without that cache (say, after a restart) observes the real CLB and
    // agrees: nothing to do. Find + attribute (with the tags) + listeners + groups + one group.
    let fresh = Cloud::new(engine.clone(), engine, "cn-hangzhou");
    let third = sync(&fresh, want, None).await;
    assert!(third.plan.is_empty(), "{:?}", third.plan.actions);
    assert_eq!(third.calls, 5);
}

#[tokio::test]
async fn an_endpoint_change_costs_one_backend_call() {
    let cloud = cloud();
    let first = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();
    // Straight after the create: the cache holds the real group id the create answered.
    let id = sync(&cloud, first, None).await.load_balancer_id;

    let scaled = desired(&service(), &nodes(), &slice([1, 2, 1]), &context()).unwrap();
    let outcome = sync(&cloud, scaled, id.as_deref()).await;
    let names: Vec<&str> = outcome.plan.actions.iter().map(Action::api_name).collect();
    assert_eq!(names, ["SetVServerGroupAttribute"]);
    assert_eq!(
        outcome.calls, 1,
        "planned against the cached observation: no describe"
    );
    let lb = cloud
        .observe(id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(weights(&lb)[2], ("i-local-node-c".into(), 1));
}

#[tokio::test]
async fn with_a_known_id_a_sync_with_nothing_to_do_makes_no_call() {
    let cloud = cloud();
    let want = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();
    let id = sync(&cloud, want.clone(), None).await.load_balancer_id;
    // The create left its result in the cache: no describe after it either.
    for _ in 0..3 {
        let idle = sync(&cloud, want.clone(), id.as_deref()).await;
        assert!(idle.plan.is_empty());
        assert_eq!(idle.calls, 0, "steady state costs no cloud call");
    }
}

#[tokio::test]
async fn a_stale_cache_is_refreshed_after_its_max_age() {
    let cloud = cloud().with_max_age(std::time::Duration::ZERO);
    let want = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();
    let id = sync(&cloud, want.clone(), None).await.load_balancer_id;
    let again = sync(&cloud, want, id.as_deref()).await;
    assert_eq!(
        again.calls, 4,
        "observed afresh by its known id: attribute (with the tags) + listeners + groups + one group"
    );
}

/// The CLB the Service's label names was deleted in the console: the sync notices while
/// observing it, looks for the Service's CLB by tag, finds none and creates a new one.
#[tokio::test]
async fn a_clb_deleted_behind_the_controllers_back_is_recreated() {
    use slb_openapi::Clb;
    use slb_openapi::clb::{DeleteLoadBalancerRequest, SetLoadBalancerDeleteProtectionRequest};
    use slb_openapi::types::OnOff;

    let engine = local_engine(LOCAL_INVENTORY);
    let want = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();
    let first = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let gone = sync(&first, want.clone(), None)
        .await
        .load_balancer_id
        .unwrap();
    engine
        .set_load_balancer_delete_protection(&SetLoadBalancerDeleteProtectionRequest {
            load_balancer_id: gone.clone(),
            delete_protection: OnOff::Off,
            ..Default::default()
        })
        .await
        .unwrap();
    engine
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: gone.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    let restarted = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let outcome = sync(&restarted, want, Some(&gone)).await;
    let new = outcome.load_balancer_id.unwrap();
    assert_ne!(new, gone);
    let names: Vec<&str> = outcome.plan.actions.iter().map(Action::api_name).collect();
    assert_eq!(names[0], "CreateLoadBalancer", "{names:?}");
    assert!(restarted.observe(&new).await.unwrap().is_some());
}

#[tokio::test]
async fn deleting_the_service_deletes_the_clb_it_created() {
    let cloud = cloud();
    let want = desired(&service(), &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let id = sync(&cloud, want, None).await.load_balancer_id.unwrap();

    let mut gone = service();
    gone.metadata.deletion_timestamp = Some(Time(Default::default()));
    let want = desired(&gone, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let outcome = sync(&cloud, want, Some(&id)).await;
    let names: Vec<&str> = outcome.plan.actions.iter().map(Action::api_name).collect();
    assert_eq!(
        names,
        ["SetLoadBalancerDeleteProtection", "DeleteLoadBalancer"]
    );
    assert_eq!(outcome.load_balancer_id, None);
    assert!(cloud.observe(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn dry_run_plans_without_calling_anything_but_describes() {
    let cloud = cloud();
    let want = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();
    let outcome = cloud
        .sync(want.clone(), None, &PlanOptions::default(), true)
        .await
        .unwrap();
    assert!(!outcome.plan.is_empty());
    assert_eq!(outcome.load_balancer_id, None);
    assert_eq!(
        cloud.find(&want, None).await.unwrap(),
        None,
        "nothing was created"
    );
}

#[tokio::test]
async fn a_sync_interrupted_after_the_create_never_makes_a_second_clb() {
    use slb_controller::cloud::execute;
    use slb_model::Plan;
    use slb_openapi::Clb;
    use slb_openapi::clb::DescribeLoadBalancersRequest;

    let engine = local_engine(LOCAL_INVENTORY);
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let want = desired(&service(), &nodes(), &slice([1, 2, 3]), &context()).unwrap();

    // The controller dies right after CreateLoadBalancer returned: nothing recorded the id.
    let plan = cloud
        .sync(want.clone(), None, &PlanOptions::default(), true)
        .await
        .unwrap()
        .plan;
    let only_create = Plan {
        actions: plan.actions[..1].to_vec(),
        notes: Vec::new(),
    };
    execute(&*engine, "cn-hangzhou", &only_create)
        .await
        .unwrap();
    // …and a retried create with the same ClientToken returns that CLB, not a second one.
    execute(&*engine, "cn-hangzhou", &only_create)
        .await
        .unwrap();

    // After the restart the next sync finds it by its tag and finishes the job.
    let outcome = sync(&cloud, want, None).await;
    assert!(
        !outcome
            .plan
            .actions
            .iter()
            .any(|a| a.api_name() == "CreateLoadBalancer")
    );
    let all = engine
        .describe_load_balancers(&DescribeLoadBalancersRequest::default())
        .await
        .unwrap();
    assert_eq!(all.load_balancers.len(), 1, "exactly one CLB");
    let lb = cloud
        .observe(&all.load_balancers[0].load_balancer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lb.listeners.len(), 1);
}

#[tokio::test]
async fn eni_mode_resolves_pod_ips_to_enis_and_skips_ips_without_one() {
    let inventory = "network_interfaces:
  - { NetworkInterfaceId: eni-a, PrivateIpAddresses: [10.244.0.0], VpcId: vpc-local }
  - { NetworkInterfaceId: eni-b, PrivateIpAddresses: [10.244.1.0, 10.244.1.1], VpcId: vpc-local }
";
    let engine = local_engine(inventory);
    let cloud = Cloud::new(engine.clone(), engine, "cn-hangzhou");
    let mut svc = service();
    svc.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            "service.beta.kubernetes.io/backend-type".into(),
            "eni".into(),
        );
    // Pods 10.244.0.0, 10.244.1.0, 10.244.1.1 have ENIs; 10.244.2.0 has none.
    let want = desired(&svc, &nodes(), &slice([1, 2, 1]), &context()).unwrap();
    let outcome = sync(&cloud, want, None).await;
    assert_eq!(outcome.skipped_backends, ["10.244.2.0"]);
    let lb = cloud
        .observe(outcome.load_balancer_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut members: Vec<(String, String, u16)> = lb.vserver_groups[0]
        .backend_servers
        .iter()
        .map(|b| {
            (
                b.server_id.clone(),
                b.server_ip.clone().unwrap_or_default(),
                b.port,
            )
        })
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            ("eni-a".into(), "10.244.0.0".into(), 8080),
            ("eni-b".into(), "10.244.1.0".into(), 8080),
            ("eni-b".into(), "10.244.1.1".into(), 8080),
        ],
        "pod IPs on the targetPort"
    );
}

/// A Service named `name` (own UID) reusing CLB `id` with force-override-listeners.
fn reusing(name: &str, uid: &str, id: &str) -> k8s_openapi::api::core::v1::Service {
    let mut svc = service();
    svc.metadata.name = Some(name.into());
    svc.metadata.uid = Some(uid.into());
    let a = svc
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    a.insert(
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id".into(),
        id.into(),
    );
    a.insert(
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-force-override-listeners".into(),
        "true".into(),
    );
    svc
}

#[tokio::test]
async fn a_reused_clb_gets_listeners_is_kept_on_delete_and_refuses_a_second_claim_on_a_port() {
    use slb_openapi::Clb;
    use slb_openapi::clb::CreateLoadBalancerRequest;
    use slb_openapi::types::AddressType;

    let engine = local_engine(LOCAL_INVENTORY);
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    // A CLB the user made in the console: no Kubernetes tags.
    let user_lb = engine
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_type: Some(AddressType::Internet),
            load_balancer_spec: Some("slb.s1.small".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .load_balancer_id;

    let a = reusing("web", "11111111-0000-4000-8000-000000000001", &user_lb);
    let want = desired(&a, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let outcome = sync(&cloud, want, None).await;
    assert_eq!(outcome.load_balancer_id.as_deref(), Some(user_lb.as_str()));
    let lb = cloud.observe(&user_lb).await.unwrap().unwrap();
    assert_eq!(
        lb.listeners.len(),
        1,
        "force-override-listeners lets the Service add its listener"
    );
    assert_eq!(
        lb.tags.get("kubernetes.reused.by.user").map(String::as_str),
        Some("true")
    );

    // A second Service wants the same port on the same CLB: refused before any call, naming both.
    let b = reusing("shop", "22222222-0000-4000-8000-000000000002", &user_lb);
    let want_b = desired(&b, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let err = cloud
        .sync(want_b, None, &PlanOptions::default(), false)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind(), "PortConflict", "{text}");
    assert!(
        text.contains("default/web") && text.contains("default/shop"),
        "{text}"
    );

    // Deleting the reusing Service removes what it created and keeps the user's CLB.
    let mut gone = a.clone();
    gone.metadata.deletion_timestamp = Some(Time(Default::default()));
    let want = desired(&gone, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    sync(&cloud, want, Some(&user_lb)).await;
    let lb = cloud
        .observe(&user_lb)
        .await
        .unwrap()
        .expect("a reused CLB is never deleted");
    assert!(lb.listeners.is_empty(), "{:?}", lb.listeners);
    assert!(lb.vserver_groups.is_empty(), "{:?}", lb.vserver_groups);
}

#[tokio::test]
async fn reusing_a_clb_created_for_another_service_is_refused_with_the_faqs_message() {
    let cloud = cloud();
    let owner = desired(&service(), &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let created = sync(&cloud, owner, None).await.load_balancer_id.unwrap();

    let thief = reusing("thief", "33333333-0000-4000-8000-000000000003", &created);
    let want = desired(&thief, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let err = cloud
        .sync(want, None, &PlanOptions::default(), false)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("can not be reused"),
        "the FAQ's 'can not reuse loadbalancer created by kubernetes': {err}"
    );
    assert!(
        err.remedy().is_some_and(|r| !r.is_empty()),
        "with the FAQ's remedy"
    );
}

/// `service()` with extra annotations (keys without the common prefix).
fn annotated(extra: &[(&str, &str)]) -> Service {
    let mut svc = service();
    let a = svc
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    for (k, v) in extra {
        a.insert(
            format!("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-{k}"),
            (*v).to_owned(),
        );
    }
    svc
}

/// The cache a create leaves is built through slb-clb-state's transitions with the ids the
/// cloud answered. For every change a user might make next, planning against that cache must do
/// everything planning against a fresh observation of the real CLB does (never skip a needed
/// call), and the result must be right: afterwards a fresh observation plans nothing. The
/// cache may plan an extra call where the create left an attribute to the cloud's default
/// and the user then asks for that default (the transitions do not know cloud defaults).
#[tokio::test]
async fn the_state_cached_after_a_create_plans_every_next_change_like_a_fresh_observation() {
    let created_with: &[&[(&str, &str)]] = &[
        &[],
        &[
            ("scheduler", "rr"),
            ("bandwidth", "50"),
            ("charge-type", "paybybandwidth"),
        ],
        &[
            ("health-check-type", "tcp"),
            ("health-check-connect-timeout", "8"),
            ("healthy-threshold", "4"),
            ("unhealthy-threshold", "4"),
            ("health-check-interval", "3"),
        ],
        &[
            ("protocol-port", "http:80"),
            ("health-check-flag", "on"),
            ("health-check-uri", "/healthz"),
            ("health-check-type", "http"),
        ],
        &[
            ("connection-drain", "on"),
            ("connection-drain-timeout", "30"),
        ],
        &[("address-type", "intranet")],
        &[
            ("persistence-timeout", "600"),
            ("delete-protection", "off"),
            ("modification-protection", "NonProtection"),
        ],
    ];
    let changes: &[&[(&str, &str)]] = &[
        &[("scheduler", "wlc")],
        &[("spec", "slb.s2.small")],
        &[("bandwidth", "80"), ("charge-type", "paybybandwidth")],
        &[("health-check-interval", "5")],
        &[("connection-drain", "off")],
        &[("delete-protection", "on")],
    ];
    let mut extra_calls = 0;
    for (i, first) in created_with.iter().enumerate() {
        for change in changes {
            let engine = local_engine(LOCAL_INVENTORY);
            let creator = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
            let svc = annotated(first);
            let want = desired(&svc, &nodes(), &slice([1, 2, 3]), &context()).unwrap();
            let id = sync(&creator, want, None)
                .await
                .load_balancer_id
                .expect("created");

            let mut extra: Vec<(&str, &str)> = first.to_vec();
            extra.retain(|(k, _)| !change.iter().any(|(c, _)| c == k));
            extra.extend_from_slice(change);
            let next_svc = annotated(&extra);
            for pods in [[1, 2, 3], [0, 2, 5]] {
                let next = desired(&next_svc, &nodes(), &slice(pods), &context()).unwrap();
                let plan_of = |cloud: Cloud, next: slb_model::DesiredLb| {
                    let id = id.clone();
                    async move {
                        cloud
                            .sync(next, Some(&id), &PlanOptions::default(), true)
                            .await
                            .unwrap()
                            .plan
                            .actions
                    }
                };
                let cached = plan_of(creator.clone(), next.clone()).await;
                let fresh = plan_of(
                    Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou"),
                    next.clone(),
                )
                .await;
                let case = format!("created with {first:?} (case {i}), then {extra:?} {pods:?}");
                for action in &fresh {
                    assert!(
                        cached.contains(action),
                        "{case}: cached plan lacks {action:?}"
                    );
                }
                extra_calls += cached.len() - fresh.len();
                sync(&creator, next.clone(), Some(&id)).await;
                let after = plan_of(
                    Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou"),
                    next,
                )
                .await;
                assert!(after.is_empty(), "{case}: still to do {after:?}");
            }
        }
    }
    // Known extras: asking for connection-drain off (the cloud's default) after a create
    // that left it unset.
    eprintln!("{extra_calls} extra calls over every case");
    assert!(extra_calls <= 8, "{extra_calls} extra calls");
}

/// Two Services sharing one reused CLB sync at the same moment (each call takes 5 ms, so
/// they would interleave): syncs of one CLB are serialized, both listeners are made, and the
/// shared cache ends up holding both, so neither Service plans its listener again.
#[tokio::test]
async fn concurrent_syncs_of_services_sharing_a_clb_do_not_lose_each_others_changes() {
    use slb_openapi::Clb;
    use slb_openapi::clb::CreateLoadBalancerRequest;
    use slb_openapi::types::AddressType;

    let engine = local_engine(&format!("{LOCAL_INVENTORY}faults: {{ latency_ms: 5 }}\n"));
    let cloud = Cloud::new(engine.clone(), engine.clone(), "cn-hangzhou");
    let user_lb = engine
        .create_load_balancer(&CreateLoadBalancerRequest {
            address_type: Some(AddressType::Internet),
            load_balancer_spec: Some("slb.s1.small".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .load_balancer_id;
    let a = reusing("web", "11111111-0000-4000-8000-000000000001", &user_lb);
    let mut b = reusing("shop", "22222222-0000-4000-8000-000000000002", &user_lb);
    b.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].port = 443;
    let want_a = desired(&a, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let want_b = desired(&b, &nodes(), &slice([1, 1, 1]), &context()).unwrap();
    let options = PlanOptions::default();
    let (ra, rb) = tokio::join!(
        cloud.sync(want_a.clone(), None, &options, false),
        cloud.sync(want_b.clone(), None, &options, false),
    );
    ra.unwrap();
    rb.unwrap();
    for want in [want_a, want_b] {
        let again = sync(&cloud, want, None).await;
        assert!(
            again.plan.is_empty(),
            "the cache lost a change: {:?}",
            again.plan.actions
        );
    }
    let lb = cloud.observe(&user_lb).await.unwrap().unwrap();
    let mut ports: Vec<u16> = lb.listeners.iter().map(|l| l.listener_port).collect();
    ports.sort();
    assert_eq!(ports, [80, 443]);
}
