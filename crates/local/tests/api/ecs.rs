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

fn eni_lookup(private: &[&str], v6: &[&str]) -> DescribeNetworkInterfacesRequest {
    DescribeNetworkInterfacesRequest {
        vpc_id: Some("vpc-local".into()),
        private_ip_addresses: private.iter().map(|s| (*s).to_owned()).collect(),
        ipv6_addresses: v6.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn describe_network_interfaces_matches_an_ipv6_address_however_it_is_written() {
    let h = start().await;
    let req = eni_lookup(&[], &["FD00:0::21"]);
    let resp = h.client.describe_network_interfaces(&req).await.unwrap();
    assert_eq!(resp.network_interface_sets.len(), 1);
    let e = &resp.network_interface_sets[0];
    assert_eq!(e.network_interface_id, "eni-pod");
    let v6: Vec<&str> = e
        .ipv6_sets
        .iter()
        .map(|s| s.ipv6_address.as_str())
        .collect();
    assert_eq!(v6, ["fd00::21"]);
}

#[tokio::test]
async fn an_ipv6_address_no_eni_holds_matches_nothing() {
    let h = start().await;
    let req = eni_lookup(&[], &["fd00::99"]);
    let resp = h.client.describe_network_interfaces(&req).await.unwrap();
    assert!(resp.network_interface_sets.is_empty());
}

#[tokio::test]
async fn an_ipv6_value_in_private_ip_address_is_refused_naming_the_parameter() {
    let h = start().await;
    let result = h
        .client
        .describe_network_interfaces(&eni_lookup(&["fd00::21"], &[]))
        .await;
    let err = assert_code(result, "InvalidParameter", 400);
    assert!(err.to_string().contains("PrivateIpAddress.N"), "{err}");
    assert!(err.to_string().contains("Ipv6Address.N"), "{err}");
}

#[tokio::test]
async fn an_ipv4_value_in_ipv6_address_is_refused_naming_the_parameter() {
    let h = start().await;
    let result = h
        .client
        .describe_network_interfaces(&eni_lookup(&[], &["127.0.0.21"]))
        .await;
    let err = assert_code(result, "InvalidParameter", 400);
    assert!(err.to_string().contains("Ipv6Address.N"), "{err}");
}

#[tokio::test]
async fn an_eni_put_with_ipv6_addresses_takes_an_ipv6_eni_backend() {
    let h = start().await;
    let enis = r#"[{"NetworkInterfaceId":"eni-6","PrivateIpAddresses":["127.0.0.61"],"Ipv6Addresses":["fd00::61"],"VpcId":"vpc-local"}]"#;
    let (status, _) = raw(
        h.addr,
        "POST",
        "LocalPutNetworkInterfaces",
        &[("NetworkInterfaces", enis)],
    )
    .await;
    assert_eq!(status, 200);
    let resp = h
        .client
        .describe_network_interfaces(&eni_lookup(&[], &["fd00::61"]))
        .await
        .unwrap();
    assert_eq!(resp.network_interface_sets[0].network_interface_id, "eni-6");
    let group = create_group(&h, &create_lb(&h, "v6").await.load_balancer_id).await;
    add(&h, &group, vec![eni("eni-6", "fd00::61", 80)])
        .await
        .unwrap();
}

#[tokio::test]
async fn an_eni_put_with_an_ipv6_private_ip_is_refused_with_the_fix() {
    let h = start().await;
    let enis = r#"[{"NetworkInterfaceId":"eni-bad","PrivateIpAddresses":["fd00::7"]}]"#;
    let (status, body) = raw(
        h.addr,
        "POST",
        "LocalPutNetworkInterfaces",
        &[("NetworkInterfaces", enis)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["Code"], "InvalidParameter");
    assert!(
        body["Message"].as_str().unwrap().contains("Ipv6Addresses"),
        "{body}"
    );
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
