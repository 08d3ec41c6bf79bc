//! Durability: a restart on the same SQLite file restores every CLB exactly.

use slb_local::store::SqliteStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{ResourceType, Tag};

use crate::support::*;

#[tokio::test]
async fn restart_on_the_same_state_file_restores_every_lb_and_the_data_plane() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let (lb, group, before) = {
        let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
        let lb = create_lb(&h, "durable").await.load_balancer_id;
        let group = create_group(&h, &lb).await;
        add(&h, &group, vec![ecs("i-node1", 30080, 70)])
            .await
            .unwrap();
        h.client
            .create_tcp_listener(&tcp_listener(&lb, 80, &group))
            .await
            .unwrap();
        h.client
            .start_listener(&StartListenerRequest {
                load_balancer_id: lb.clone(),
                listener_port: 80,
                ..Default::default()
            })
            .await
            .unwrap();
        let tag = TagResourcesRequest {
            resource_type: ResourceType::Instance,
            resource_ids: vec![lb.clone()],
            tags: vec![Tag::new("k", "v")],
            ..Default::default()
        };
        h.client.tag_resources(&tag).await.unwrap();
        raw(
            h.addr,
            "POST",
            "LocalPutInstances",
            &[(
                "Instances",
                r#"[{"InstanceId":"i-extra","PrivateIpAddress":"127.0.0.77"}]"#,
            )],
        )
        .await;
        create_lb(&h, "deleted-later").await;
        let doomed = h
            .engine
            .state()
            .load_balancers
            .values()
            .find(|l| l.name == "deleted-later")
            .unwrap()
            .id
            .clone();
        h.client
            .delete_load_balancer(&DeleteLoadBalancerRequest {
                load_balancer_id: doomed,
                ..Default::default()
            })
            .await
            .unwrap();
        (lb, group, h.engine.state())
    };
    let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
    assert_eq!(
        h.engine.state(),
        before,
        "every record survives the restart unchanged"
    );
    let attr = h
        .client
        .describe_vserver_group_attribute(&DescribeVServerGroupAttributeRequest {
            vserver_group_id: group,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attr.backend_servers[0].weight, Some(70));
    let snap = h.applied_snapshot();
    assert_eq!(
        snap.listeners.len(),
        1,
        "the running listener is pushed at start-up"
    );
    assert_eq!(snap.listeners[0].load_balancer_id, lb);
}
