//! vServer groups and backends: types, VPC checks, quotas, member semantics.

use slb_local::store::MemoryStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;

use crate::support::*;

async fn lb_and_group(h: &Harness) -> (String, String) {
    let lb = create_lb(h, "g").await.load_balancer_id;
    let group = create_group(h, &lb).await;
    (lb, group)
}

async fn members(h: &Harness, group: &str) -> Vec<(String, String, u16, u32)> {
    let req = DescribeVServerGroupAttributeRequest {
        vserver_group_id: group.into(),
        ..Default::default()
    };
    let resp = h
        .client
        .describe_vserver_group_attribute(&req)
        .await
        .unwrap();
    resp.backend_servers
        .into_iter()
        .map(|b| {
            (
                b.server_id,
                b.server_ip,
                b.port.unwrap_or(0),
                b.weight.unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn ecs_and_eni_backends_are_added_and_remove_ignores_non_members() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    let resp = add(
        &h,
        &group,
        vec![
            ecs("i-node1", 30080, 50),
            eni("eni-pod", "127.0.0.22", 8080),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        resp.backend_servers.len(),
        2,
        "Add answers the full member list"
    );
    let remove = RemoveVServerGroupBackendServersRequest {
        vserver_group_id: group.clone(),
        backend_servers: vec![ecs("i-node1", 30080, 0), ecs("i-node2", 1, 0)],
        ..Default::default()
    };
    h.client
        .remove_vserver_group_backend_servers(&remove)
        .await
        .unwrap();
    assert_eq!(
        members(&h, &group).await,
        vec![("eni-pod".into(), "127.0.0.22".into(), 8080, 100)]
    );
}

#[tokio::test]
async fn deleting_a_group_a_listener_uses_is_rspool_vip_exist() {
    let h = start().await;
    let (lb, group) = lb_and_group(&h).await;
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    let del = DeleteVServerGroupRequest {
        vserver_group_id: group.clone(),
        ..Default::default()
    };
    let err = assert_code(
        h.client.delete_vserver_group(&del).await,
        "RspoolVipExist",
        400,
    );
    assert_eq!(
        err.message,
        "there are vips associating with this vServer group."
    );
    let del_listener = DeleteListenerRequest {
        load_balancer_id: lb,
        listener_port: 80,
        ..Default::default()
    };
    h.client.delete_listener(&del_listener).await.unwrap();
    h.client.delete_vserver_group(&del).await.unwrap();
    let err = assert_code(
        h.client.delete_vserver_group(&del).await,
        "InvalidParameter",
        404,
    );
    assert_eq!(err.message, "The specified VServerGroupId does not exist.");
}

#[tokio::test]
async fn backend_in_another_vpc_is_a_network_conflict() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    assert_code(
        add(&h, &group, vec![ecs("i-far", 30080, 100)]).await,
        "NetworkConflict",
        400,
    );
}

#[tokio::test]
async fn unknown_servers_are_refused_with_the_type_specific_code() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    assert_code(
        add(&h, &group, vec![ecs("i-ghost", 80, 100)]).await,
        "InvalidServerId.NotExist",
        400,
    );
    let err = assert_code(
        add(&h, &group, vec![eni("eni-ghost", "127.0.0.9", 80)]).await,
        "ResourceNotFound.vServers",
        404,
    );
    assert!(err.message.contains("eni-ghost"));
    assert_code(
        add(&h, &group, vec![eni("eni-pod", "127.0.0.99", 80)]).await,
        "InvalidBackendServers.ServerIpConflict",
        400,
    );
}

#[tokio::test]
async fn backend_quota_counts_all_groups_of_the_lb() {
    let mut config = config();
    config.quotas.backends_per_load_balancer = 3;
    let h = start_with(config, Box::new(MemoryStore::default())).await;
    let (lb, g1) = lb_and_group(&h).await;
    let g2 = create_group(&h, &lb).await;
    add(
        &h,
        &g1,
        vec![ecs("i-node1", 1, 100), ecs("i-node2", 1, 100)],
    )
    .await
    .unwrap();
    add(&h, &g2, vec![ecs("i-node1", 2, 100)]).await.unwrap();
    let err = assert_code(
        add(&h, &g2, vec![ecs("i-node2", 2, 100)]).await,
        "InstanceBackendServerNumberOverLimit",
        400,
    );
    assert_eq!(
        err.message,
        "The backend server number has reached to the quota limit of this load balancers"
    );
    assert_eq!(
        members(&h, &g2).await.len(),
        1,
        "a refused add changes nothing"
    );
}

#[tokio::test]
async fn default_quota_is_two_hundred_backends_per_lb() {
    let h = start().await;
    let (lb, _) = lb_and_group(&h).await;
    let mut groups = Vec::new();
    for _ in 0..5 {
        groups.push(create_group(&h, &lb).await);
    }
    for (g, group) in groups.iter().enumerate() {
        let base = u16::try_from(g * 40).unwrap();
        let batch = (1..=40).map(|p| ecs("i-node1", base + p, 100)).collect();
        add(&h, group, batch).await.unwrap();
    }
    assert_code(
        add(&h, &groups[0], vec![ecs("i-node2", 1, 100)]).await,
        "InstanceBackendServerNumberOverLimit",
        400,
    );
}

#[tokio::test]
async fn more_than_forty_servers_in_one_call_is_too_many() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    let batch = (1..=41).map(|p| ecs("i-node1", p, 100)).collect();
    assert_code(add(&h, &group, batch).await, "TooManyBackendServers", 400);
}

#[tokio::test]
async fn port_outside_range_uses_the_faq_message() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    let err = assert_code(
        add(&h, &group, vec![ecs("i-node1", 0, 100)]).await,
        "InvalidParameter",
        400,
    );
    assert_eq!(
        err.message,
        "The specified Port must be between 1 and 65535."
    );
}

#[tokio::test]
async fn set_attribute_changes_weights_and_modify_replaces_members() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    add(&h, &group, vec![ecs("i-node1", 80, 100)])
        .await
        .unwrap();
    let set = SetVServerGroupAttributeRequest {
        vserver_group_id: group.clone(),
        backend_servers: Some(vec![ecs("i-node1", 80, 0)]),
        ..Default::default()
    };
    h.client.set_vserver_group_attribute(&set).await.unwrap();
    assert_eq!(members(&h, &group).await[0].3, 0);
    let modify = ModifyVServerGroupBackendServersRequest {
        vserver_group_id: group.clone(),
        old_backend_servers: Some(vec![ecs("i-node1", 80, 0)]),
        new_backend_servers: Some(vec![ecs("i-node2", 81, 60)]),
        ..Default::default()
    };
    h.client
        .modify_vserver_group_backend_servers(&modify)
        .await
        .unwrap();
    assert_eq!(
        members(&h, &group).await,
        vec![("i-node2".into(), String::new(), 81, 60)]
    );
}

#[tokio::test]
async fn backends_json_as_the_go_ccm_sends_it_is_accepted() {
    let h = start().await;
    let (_, group) = lb_and_group(&h).await;
    let json = r#"[{"IsUserManaged":false,"NodeName":"n1","description":"k8s/80/svc/ns/c","serverId":"i-node1","serverIp":"","weight":100,"port":30080,"type":"ecs","TargetRef":null,"Invalid":false}]"#;
    let (status, body) = raw(
        h.addr,
        "POST",
        "AddVServerGroupBackendServers",
        &[("VServerGroupId", &group), ("BackendServers", json)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        members(&h, &group).await,
        vec![("i-node1".into(), String::new(), 30080, 100)]
    );
}

#[tokio::test]
async fn describe_vserver_groups_lists_associated_listeners() {
    let h = start().await;
    let (lb, group) = lb_and_group(&h).await;
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    let req = DescribeVServerGroupsRequest {
        load_balancer_id: lb,
        include_listener: Some(true),
        ..Default::default()
    };
    let resp = h.client.describe_vserver_groups(&req).await.unwrap();
    assert_eq!(resp.vserver_groups.len(), 1);
    assert_eq!(resp.vserver_groups[0].vserver_group_id, group);
    let (status, body) = raw(
        h.addr,
        "POST",
        "DescribeVServerGroups",
        &[
            ("LoadBalancerId", &req_lb(&h).await),
            ("IncludeListener", "true"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["VServerGroups"]["VServerGroup"][0]["AssociatedObjects"]["Listeners"]["Listener"][0]["Port"],
        80
    );
}

async fn req_lb(h: &Harness) -> String {
    h.engine
        .state()
        .load_balancers
        .keys()
        .next()
        .unwrap()
        .clone()
}
