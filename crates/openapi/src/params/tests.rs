use super::*;
use crate::action::Action;
use crate::clb::*;
use crate::ecs::*;
use crate::types::*;

fn map(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn vector_d_backend() -> BackendServer {
    BackendServer {
        server_id: "eni-bp1abc".into(),
        port: Some(30080),
        weight: Some(100),
        server_type: Some(BackendType::Eni),
        server_ip: "192.168.0.10".into(),
        description: "k8s/80/svc/ns/clusterid".into(),
        ..Default::default()
    }
}

#[test]
fn backend_servers_parameter_is_the_json_string_of_vector_d() {
    let req = AddVServerGroupBackendServersRequest {
        region_id: Some("cn-hangzhou".into()),
        vserver_group_id: "rsp-bp1xyz".into(),
        backend_servers: vec![vector_d_backend()],
    };
    let params = req.to_params();
    assert_eq!(
        params,
        map(&[
            (
                "BackendServers",
                r#"[{"ServerId":"eni-bp1abc","Weight":"100","Type":"eni","ServerIp":"192.168.0.10","Port":"30080","Description":"k8s/80/svc/ns/clusterid"}]"#
            ),
            ("RegionId", "cn-hangzhou"),
            ("VServerGroupId", "rsp-bp1xyz"),
        ])
    );
    assert_eq!(
        AddVServerGroupBackendServersRequest::from_params(&params).unwrap(),
        req
    );
}

#[test]
fn create_load_balancer_flattens_tags_one_based_and_omits_unset_fields() {
    let req = CreateLoadBalancerRequest {
        region_id: Some("cn-hangzhou".into()),
        address_type: Some(AddressType::Intranet),
        internet_charge_type: Some(InternetChargeType::PayByTraffic),
        delete_protection: Some(OnOff::On),
        client_token: Some("tok-1".into()),
        tags: vec![
            Tag::new("kubernetes.do.not.delete", "a123"),
            Tag::new("env", ""),
        ],
        ..Default::default()
    };
    let params = req.to_params();
    assert_eq!(
        params,
        map(&[
            ("AddressType", "intranet"),
            ("ClientToken", "tok-1"),
            ("DeleteProtection", "on"),
            ("InternetChargeType", "paybytraffic"),
            ("RegionId", "cn-hangzhou"),
            ("Tag.1.Key", "kubernetes.do.not.delete"),
            ("Tag.1.Value", "a123"),
            ("Tag.2.Key", "env"),
        ])
    );
    assert_eq!(
        CreateLoadBalancerRequest::from_params(&params).unwrap(),
        req
    );
}

#[test]
fn tcp_listener_create_uses_lowercase_interval_and_set_uses_capitalised() {
    let create = CreateTcpListenerRequest {
        load_balancer_id: "lb-1".into(),
        listener_port: 80,
        bandwidth: -1,
        health_check_interval: Some(5),
        ..Default::default()
    };
    let params = create.to_params();
    assert_eq!(
        params.get("healthCheckInterval").map(String::as_str),
        Some("5")
    );
    assert!(!params.contains_key("HealthCheckInterval"));
    assert_eq!(params.get("Bandwidth").map(String::as_str), Some("-1"));

    let set = SetTcpListenerAttributeRequest {
        load_balancer_id: "lb-1".into(),
        listener_port: 80,
        health_check_interval: Some(5),
        ..Default::default()
    };
    assert_eq!(
        set.to_params()
            .get("HealthCheckInterval")
            .map(String::as_str),
        Some("5")
    );
}

#[test]
fn server_side_parsing_accepts_both_interval_spellings() {
    for key in ["healthCheckInterval", "HealthCheckInterval"] {
        let params = map(&[
            ("LoadBalancerId", "lb-1"),
            ("ListenerPort", "443"),
            ("Bandwidth", "-1"),
            (key, "7"),
        ]);
        let parsed = CreateUdpListenerRequest::from_params(&params).unwrap();
        assert_eq!(parsed.health_check_interval, Some(7), "spelling {key}");
    }
}

#[test]
fn missing_required_parameter_answers_missing_parameter_naming_it() {
    let err =
        DeleteLoadBalancerRequest::from_params(&map(&[("RegionId", "cn-hangzhou")])).unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    assert_eq!(err.http_status, 400);
    assert!(
        err.message.contains("\"LoadBalancerId\""),
        "{}",
        err.message
    );
}

#[test]
fn empty_required_parameter_counts_as_missing() {
    let err = DeleteLoadBalancerRequest::from_params(&map(&[("LoadBalancerId", "")])).unwrap_err();
    assert_eq!(err.code, "MissingParameter");
}

#[test]
fn invalid_values_answer_invalid_parameter_naming_the_parameter_and_the_expectation() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (
            &[("LoadBalancerId", "lb-1"), ("ListenerPort", "http")],
            "ListenerPort",
            "integer",
        ),
        (
            &[("LoadBalancerId", "lb-1"), ("ListenerPort", "70000")],
            "ListenerPort",
            "integer",
        ),
        (
            &[
                ("LoadBalancerId", "lb-1"),
                ("ListenerPort", "80"),
                ("ListenerProtocol", "sctp"),
            ],
            "ListenerProtocol",
            "tcp, udp, http, https",
        ),
    ];
    for (pairs, name, expectation) in cases {
        let err = StartListenerRequest::from_params(&map(pairs)).unwrap_err();
        assert_eq!(err.code, "InvalidParameter", "{pairs:?}");
        assert!(err.message.contains(name), "{}", err.message);
        assert!(err.message.contains(expectation), "{}", err.message);
    }
}

#[test]
fn enum_values_parse_case_insensitively_and_render_canonically() {
    let params = map(&[("LoadBalancerId", "lb-1"), ("DeleteProtection", "ON")]);
    let req = SetLoadBalancerDeleteProtectionRequest::from_params(&params).unwrap();
    assert_eq!(req.delete_protection, OnOff::On);
    assert_eq!(
        req.to_params().get("DeleteProtection").map(String::as_str),
        Some("on")
    );
}

#[test]
fn repeat_lists_are_read_in_index_order_not_key_order() {
    let params = map(&[
        ("ResourceType", "instance"),
        ("ResourceId.10", "lb-10"),
        ("ResourceId.2", "lb-2"),
        ("ResourceId.1", "lb-1"),
        ("TagKey.1", "a"),
    ]);
    let req = UntagResourcesRequest::from_params(&params).unwrap();
    assert_eq!(req.resource_ids, ["lb-1", "lb-2", "lb-10"]);
    assert_eq!(req.tag_keys, ["a"]);
}

#[test]
fn zero_or_non_numeric_repeat_index_is_invalid() {
    for key in ["ResourceId.0", "ResourceId.x"] {
        let params = map(&[("ResourceType", "instance"), (key, "lb-1")]);
        let err = TagResourcesRequest::from_params(&params).unwrap_err();
        assert_eq!(err.code, "InvalidParameter", "{key}");
        assert!(err.message.contains(key));
    }
}

#[test]
fn a_tag_value_without_its_key_is_a_missing_parameter() {
    let params = map(&[
        ("ResourceType", "instance"),
        ("ResourceId.1", "lb-1"),
        ("Tag.1.Value", "v"),
    ]);
    let err = TagResourcesRequest::from_params(&params).unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    assert!(err.message.contains("Tag.1.Key"));
}

#[test]
fn describe_listeners_sends_load_balancer_ids_as_a_repeat_list() {
    let req = DescribeListenersRequest {
        load_balancer_ids: vec!["lb-a".into(), "lb-b".into()],
        max_results: Some(50),
        ..Default::default()
    };
    assert_eq!(
        req.to_params(),
        map(&[
            ("LoadBalancerId.1", "lb-a"),
            ("LoadBalancerId.2", "lb-b"),
            ("MaxResults", "50")
        ])
    );
}

#[test]
fn describe_load_balancers_tags_filter_is_json_and_accepts_lowercase_keys() {
    let req = DescribeLoadBalancersRequest {
        tags_json: Some(vec![TagKv::new("kubernetes.do.not.delete", "a1")]),
        ..Default::default()
    };
    assert_eq!(
        req.to_params().get("Tags").map(String::as_str),
        Some(r#"[{"TagKey":"kubernetes.do.not.delete","TagValue":"a1"}]"#)
    );
    let parsed = DescribeLoadBalancersRequest::from_params(&map(&[(
        "Tags",
        r#"[{"tagKey":"k","tagValue":"v"}]"#,
    )]))
    .unwrap();
    assert_eq!(parsed.tags_json, Some(vec![TagKv::new("k", "v")]));
}

#[test]
fn malformed_json_parameter_is_invalid_with_the_expected_shape() {
    let err = AddVServerGroupBackendServersRequest::from_params(&map(&[
        ("VServerGroupId", "rsp-1"),
        ("BackendServers", "{not json"),
    ]))
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameter");
    assert!(err.message.contains("BackendServers"));
    assert!(err.message.contains("ServerId"));
}

#[test]
fn ecs_instance_ids_travel_as_a_json_array_string() {
    let req = DescribeInstancesRequest {
        region_id: Some("cn-hangzhou".into()),
        instance_ids: Some(vec!["i-a".into(), "i-b".into()]),
        additional_attributes: vec!["NETWORK_PRIMARY_ENI_IP".into()],
        max_results: Some(100),
        ..Default::default()
    };
    let params = req.to_params();
    assert_eq!(
        params.get("InstanceIds").map(String::as_str),
        Some(r#"["i-a","i-b"]"#)
    );
    assert_eq!(
        params.get("AdditionalAttributes.1").map(String::as_str),
        Some("NETWORK_PRIMARY_ENI_IP")
    );
    assert_eq!(DescribeInstancesRequest::from_params(&params).unwrap(), req);
}

#[test]
fn booleans_are_written_true_false_and_parsed_case_insensitively() {
    let req = UntagResourcesRequest {
        resource_type: ResourceType::Instance,
        resource_ids: vec!["lb-1".into()],
        all: Some(true),
        ..Default::default()
    };
    assert_eq!(req.to_params().get("All").map(String::as_str), Some("true"));
    let parsed = UntagResourcesRequest::from_params(&map(&[
        ("ResourceType", "instance"),
        ("ResourceId.1", "lb-1"),
        ("All", "TRUE"),
    ]))
    .unwrap();
    assert_eq!(parsed.all, Some(true));
}

#[test]
fn describe_network_interfaces_sends_ipv4_and_ipv6_addresses_as_numbered_lists() {
    let req = DescribeNetworkInterfacesRequest {
        vpc_id: Some("vpc-1".into()),
        private_ip_addresses: vec!["10.0.0.5".into()],
        ipv6_addresses: vec!["2001:db8::5".into(), "2001:db8::6".into()],
        ..Default::default()
    };
    let params = req.to_params();
    assert_eq!(
        params,
        map(&[
            ("Ipv6Address.1", "2001:db8::5"),
            ("Ipv6Address.2", "2001:db8::6"),
            ("PrivateIpAddress.1", "10.0.0.5"),
            ("VpcId", "vpc-1"),
        ])
    );
    assert_eq!(
        DescribeNetworkInterfacesRequest::from_params(&params).unwrap(),
        req
    );
}

#[test]
fn from_params_refuses_a_parameter_the_action_does_not_take_naming_both() {
    let err = DeleteLoadBalancerRequest::from_params(&map(&[
        ("LoadBalancerId", "lb-1"),
        ("LoadBalancerID", "lb-1"),
    ]))
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameter");
    assert!(
        err.message.contains("\"LoadBalancerID\"") && err.message.contains("DeleteLoadBalancer"),
        "{}",
        err.message
    );
}

#[test]
fn from_params_accepts_the_common_and_signing_parameters_the_sdks_send() {
    let mut params = map(&[("LoadBalancerId", "lb-1")]);
    for name in [
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "SecurityToken",
        "OwnerId",
        "ResourceOwnerAccount",
        "RegionId",
    ] {
        params.insert(name.into(), "x".into());
    }
    let req = DeleteLoadBalancerRequest::from_params(&params).unwrap();
    assert_eq!(req.load_balancer_id, "lb-1");
}

#[test]
fn from_params_accepts_list_tag_and_item_elements_only_in_their_shapes() {
    let ok = map(&[
        ("ResourceType", "instance"),
        ("ResourceId.1", "lb-1"),
        ("Tag.1.Key", "k"),
        ("Tag.1.Value", "v"),
    ]);
    assert!(TagResourcesRequest::from_params(&ok).is_ok());
    let bad = map(&[
        ("ResourceType", "instance"),
        ("ResourceId.1", "lb-1"),
        ("Tag.1.Key", "k"),
        ("Tag.1.Colour", "v"),
    ]);
    let err = TagResourcesRequest::from_params(&bad).unwrap_err();
    assert!(err.message.contains("\"Tag.1.Colour\""), "{}", err.message);
    let item = map(&[
        ("RouteEntries.1.RouteTableId", "vtb-1"),
        ("RouteEntries.1.DstCidrBlock", "10.0.0.0/24"),
        ("RouteEntries.1.Colour", "red"),
    ]);
    let err = crate::vpc::DeleteRouteEntriesRequest::from_params(&item).unwrap_err();
    assert!(
        err.message.contains("\"RouteEntries.1.Colour\""),
        "{}",
        err.message
    );
}

#[test]
fn param_reads_one_field_as_its_wire_text_under_any_spelling() {
    let req = CreateTcpListenerRequest {
        load_balancer_id: "lb-1".into(),
        listener_port: 80,
        bandwidth: -1,
        health_check_interval: Some(5),
        connection_drain: Some(OnOff::On),
        ..Default::default()
    };
    assert_eq!(req.param("healthCheckInterval").as_deref(), Some("5"));
    assert_eq!(req.param("HealthCheckInterval").as_deref(), Some("5"));
    assert_eq!(req.param("ConnectionDrain").as_deref(), Some("on"));
    assert_eq!(req.param("Bandwidth").as_deref(), Some("-1"));
    assert_eq!(req.param("Scheduler"), None, "unset");
    assert_eq!(req.param("Tag"), None, "repeat lists have no single text");
}

#[test]
fn first_missing_names_a_required_parameter_the_wire_would_omit() {
    let req = SetLoadBalancerNameRequest {
        load_balancer_id: "lb-1".into(),
        load_balancer_name: String::new(),
        ..Default::default()
    };
    assert_eq!(req.first_missing(), Some("LoadBalancerName"));
    let named = SetLoadBalancerNameRequest {
        load_balancer_name: "web".into(),
        ..req
    };
    assert_eq!(named.first_missing(), None);
}
