//! ECS reads over the local inventory and the `Local…` admin actions that maintain it.

use slb_openapi::Ecs;
use slb_openapi::ecs::*;

use crate::support::*;

#[tokio::test]
async fn describe_instances_finds_known_ids_and_omits_unknown_ones() {
    let h = start().await;
    let req = DescribeInstancesRequest {
        instance_ids: Some(vec!["i-node1".into(), "i-ghost".into()]),
        ..Default::default()
    };
    let resp = h.client.describe_instances(&req).await.unwrap();
    assert_eq!(resp.instances.len(), 1);
    let i = &resp.instances[0];
    assert_eq!(i.instance_id, "i-node1");
    assert_eq!(
        i.vpc_attributes.private_ip_address,
        vec!["127.0.0.11".to_owned()]
    );
    assert_eq!(
        (i.vpc_attributes.vpc_id.as_str(), i.zone_id.as_str()),
        ("vpc-local", "cn-hangzhou-a")
    );
}

#[tokio::test]
async fn describe_instances_pages_with_next_token_and_effective_page_size() {
    let h = start().await;
    let many: Vec<String> = (0..12)
        .map(|n| format!(r#"{{"InstanceId":"i-p{n:02}","PrivateIpAddress":"127.0.5.{n}"}}"#))
        .collect();
    let (status, body) = raw(
        h.addr,
        "POST",
        "LocalPutInstances",
        &[("Instances", &format!("[{}]", many.join(",")))],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut req = DescribeInstancesRequest {
        max_results: Some(10),
        ..Default::default()
    };
    let first = h.client.describe_instances(&req).await.unwrap();
    assert_eq!(
        (first.instances.len(), first.page_size, first.total_count),
        (10, 10, 15)
    );
    req.next_token = Some(first.next_token.clone());
    let second = h.client.describe_instances(&req).await.unwrap();
    assert_eq!((second.instances.len(), second.page_size), (5, 5));
    assert!(
        second.next_token.is_empty(),
        "last page has an empty NextToken"
    );
}

#[tokio::test]
async fn describe_network_interfaces_matches_any_private_ip() {
    let h = start().await;
    let req = DescribeNetworkInterfacesRequest {
        vpc_id: Some("vpc-local".into()),
        status: Some("InUse".into()),
        private_ip_addresses: vec!["127.0.0.22".into()],
        ..Default::default()
    };
    let resp = h.client.describe_network_interfaces(&req).await.unwrap();
    assert_eq!(resp.network_interface_sets.len(), 1);
    let e = &resp.network_interface_sets[0];
    assert_eq!(e.network_interface_id, "eni-pod");
    let ips: Vec<&str> = e
        .private_ip_sets
        .iter()
        .map(|s| s.private_ip_address.as_str())
        .collect();
    assert_eq!(ips, ["127.0.0.21", "127.0.0.22"]);
}

#[tokio::test]
async fn admin_actions_put_and_delete_inventory_and_reject_bad_input() {
    let h = start().await;
    let (status, _) = raw(
        h.addr,
        "POST",
        "LocalPutInstances",
        &[(
            "Instances",
            r#"[{"InstanceId":"i-new","PrivateIpAddress":"127.0.0.50","VpcId":"vpc-local"}]"#,
        )],
    )
    .await;
    assert_eq!(status, 200);
    let group = create_group(&h, &create_lb(&h, "a").await.load_balancer_id).await;
    add(&h, &group, vec![ecs("i-new", 80, 100)]).await.unwrap();
    let (status, _) = raw(
        h.addr,
        "POST",
        "LocalDeleteInstances",
        &[("InstanceIds", r#"["i-new"]"#)],
    )
    .await;
    assert_eq!(status, 200);
    let req = DescribeInstancesRequest {
        instance_ids: Some(vec!["i-new".into()]),
        ..Default::default()
    };
    assert!(
        h.client
            .describe_instances(&req)
            .await
            .unwrap()
            .instances
            .is_empty()
    );
    let (status, body) = raw(
        h.addr,
        "POST",
        "LocalPutInstances",
        &[(
            "Instances",
            r#"[{"InstanceId":"i-x","PrivateIpAddress":"nope"}]"#,
        )],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["Code"], "InvalidParameter");
    let (status, _) = raw(h.addr, "POST", "LocalPutNetworkInterfaces", &[("NetworkInterfaces", r#"[{"NetworkInterfaceId":"eni-2","PrivateIpAddresses":["127.0.0.60"],"VpcId":"vpc-local"}]"#)]).await;
    assert_eq!(status, 200);
    add(&h, &group, vec![eni("eni-2", "127.0.0.60", 80)])
        .await
        .unwrap();
}
