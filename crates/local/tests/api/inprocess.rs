//! The engine used in process through the `Clb`/`Ecs` traits (no HTTP): same answers and
//! the same errors as over the wire.

use std::sync::Arc;

use slb_local::store::MemoryStore;
use slb_local::{Engine, NoopDataPlane};
use slb_openapi::clb::*;
use slb_openapi::ecs::DescribeInstancesRequest;
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
