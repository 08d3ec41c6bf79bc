//! The engine used in process through the `Clb`/`Ecs` traits and its inherent methods for
//! the region and `Local…` admin actions (no HTTP): same answers and the same errors as over
//! the wire.

use std::sync::Arc;

use slb_local::store::MemoryStore;
use slb_local::{Engine, NoopDataPlane};
use slb_openapi::clb::*;
use slb_openapi::ecs::DescribeInstancesRequest;
use slb_openapi::local_admin::*;
use slb_openapi::types::LoadBalancerStatus;
use slb_openapi::{Clb, Ecs};

use crate::support::*;

#[tokio::test]
async fn engine_serves_the_traits_in_process_with_the_same_rules() {
    let engine = Arc::new(
        Engine::open(
            config(),
            Box::new(MemoryStore::default()),
            Arc::new(NoopDataPlane),
        )
        .unwrap(),
    );
    let clb: Arc<dyn Clb> = engine.clone();
    let ecs: Arc<dyn Ecs> = engine.clone();
    let lb = clb
        .create_load_balancer(&intranet("in-process"))
        .await
        .unwrap();
    assert_eq!(lb.address, "127.0.2.1");
    let group = clb
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: lb.load_balancer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .vserver_group_id;
    clb.create_tcp_listener(&tcp_listener(&lb.load_balancer_id, 80, &group))
        .await
        .unwrap();
    let del = DeleteVServerGroupRequest {
        vserver_group_id: group,
        ..Default::default()
    };
    let err = clb.delete_vserver_group(&del).await.unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.http_status),
        ("RspoolVipExist", 400)
    );
    let instances = ecs
        .describe_instances(&DescribeInstancesRequest {
            instance_ids: Some(vec!["i-node2".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        instances.instances[0].vpc_attributes.private_ip_address,
        vec!["127.0.0.12".to_owned()]
    );
}

#[tokio::test]
async fn an_empty_required_parameter_is_missing_in_process_as_over_the_wire() {
    let engine = Engine::open(
        config(),
        Box::new(MemoryStore::default()),
        Arc::new(NoopDataPlane),
    )
    .unwrap();
    let lb = engine
        .create_load_balancer(&intranet("named"))
        .await
        .unwrap();
    let rename = SetLoadBalancerNameRequest {
        load_balancer_id: lb.load_balancer_id.clone(),
        load_balancer_name: String::new(),
        ..Default::default()
    };
    let err = engine.set_load_balancer_name(&rename).await.unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.http_status),
        ("MissingParameter", 400)
    );
    assert!(err.message.contains("LoadBalancerName"), "{}", err.message);
    assert_eq!(
        engine.state().load_balancers[&lb.load_balancer_id].name,
        "named",
        "nothing changed"
    );
}

fn engine() -> Engine {
    Engine::open(
        config(),
        Box::new(MemoryStore::default()),
        Arc::new(NoopDataPlane),
    )
    .unwrap()
}

#[tokio::test]
async fn faults_set_in_process_are_described_back() {
    let engine = engine();
    let faults = LocalFaults {
        throttle: [("DescribeLoadBalancers".to_owned(), 1.0)].into(),
        ..Default::default()
    };
    engine
        .local_set_faults(&LocalSetFaultsRequest {
            faults: faults.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let described = engine
        .local_describe_faults(&LocalDescribeFaultsRequest::default())
        .await
        .unwrap();
    assert_eq!(described.faults, faults);
}

#[tokio::test]
async fn deleting_instances_in_process_removes_the_known_ones() {
    let engine = engine();
    let removed = engine
        .local_delete_instances(&LocalDeleteInstancesRequest {
            instance_ids: vec!["i-node2".into(), "i-unknown".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(removed.count, 1, "unknown ids are ignored");
    assert!(!engine.state().instances.contains_key("i-node2"));
}

#[tokio::test]
async fn a_locked_status_set_in_process_refuses_writes() {
    let engine = engine();
    let lb = engine
        .create_load_balancer(&intranet("locked"))
        .await
        .unwrap()
        .load_balancer_id;
    engine
        .local_set_load_balancer_status(&LocalSetLoadBalancerStatusRequest {
            load_balancer_id: lb.clone(),
            load_balancer_status: LoadBalancerStatus::Locked,
            ..Default::default()
        })
        .await
        .unwrap();
    let rename = SetLoadBalancerNameRequest {
        load_balancer_id: lb,
        load_balancer_name: "renamed".into(),
        ..Default::default()
    };
    let err = engine.set_load_balancer_name(&rename).await.unwrap_err();
    assert_eq!(err.code, "ActionNotAllowed");
}

#[tokio::test]
async fn the_region_actions_answer_typed_in_process() {
    let engine = engine();
    let zones = engine
        .describe_zones(&DescribeZonesRequest {
            region_id: Some("cn-hangzhou".into()),
        })
        .await
        .unwrap();
    let ids: Vec<&str> = zones.zones.iter().map(|z| z.zone_id.as_str()).collect();
    assert_eq!(ids, ["cn-hangzhou-a", "cn-hangzhou-b"]);
    let err = engine
        .describe_zones(&DescribeZonesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.contains("RegionId")),
        ("MissingParameter", true)
    );
}
