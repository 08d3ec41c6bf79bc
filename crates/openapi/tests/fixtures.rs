//! Response fixtures per action family, shaped as spec §2–§5 documents them (wrapped lists,
//! the bare arrays of DescribeLoadBalancerListeners, numbers as strings, the "3"/"4"
//! InternetChargeType codes), decoded into the typed responses and rendered back.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::types::{BackendType, InternetChargeType, TagKv};

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

#[test]
fn describe_load_balancers_decodes_wrapped_items_and_charge_type_codes() {
    let resp: DescribeLoadBalancersResponse = decode(json!({
        "RequestId": "365F4154-92F6-4AE4-92F8-7FF34B540710",
        "PageNumber": 1, "PageSize": "10", "TotalCount": 1,
        "LoadBalancers": {"LoadBalancer": [{
            "LoadBalancerId": "lb-bp1b6c719dfa08ex*****",
            "LoadBalancerName": "a1b2c3",
            "LoadBalancerStatus": "active",
            "Address": "192.168.0.5",
            "AddressType": "intranet",
            "AddressIPVersion": "ipv4",
            "NetworkType": "vpc",
            "VpcId": "vpc-1", "VSwitchId": "vsw-1",
            "RegionId": "cn-hangzhou", "RegionIdAlias": "cn-hangzhou",
            "MasterZoneId": "cn-hangzhou-b", "SlaveZoneId": "cn-hangzhou-d",
            "LoadBalancerSpec": "slb.s1.small",
            "Bandwidth": 5120,
            "InternetChargeType": "4",
            "InternetChargeTypeAlias": "paybytraffic",
            "InstanceChargeType": "PayByCLCU",
            "PayType": "PayOnDemand",
            "CreateTime": "2024-01-02T03:04Z",
            "CreateTimeStamp": 1704164640000_i64,
            "DeleteProtection": "on",
            "ModificationProtectionStatus": "ConsoleProtection",
            "ModificationProtectionReason": "managed.by.ack",
            "ResourceGroupId": "rg-1",
            "Tags": {"Tag": [{"TagKey": "kubernetes.do.not.delete", "TagValue": "a1b2c3"}]}
        }]}
    }));
    assert_eq!(resp.page_size, 10);
    assert_eq!(resp.total_count, 1);
    let lb = &resp.load_balancers[0];
    assert_eq!(lb.vswitch_id, "vsw-1");
    assert_eq!(lb.address_ip_version, "ipv4");
    assert_eq!(lb.create_time_stamp, 1_704_164_640_000);
    assert_eq!(
        lb.internet_charge_type(),
        Some(InternetChargeType::PayByTraffic)
    );
    assert_eq!(
        lb.tags,
        vec![TagKv::new("kubernetes.do.not.delete", "a1b2c3")]
    );
}

#[test]
fn describe_load_balancer_attribute_decodes_ports_backends_and_the_misspelt_twin() {
    let resp: DescribeLoadBalancerAttributeResponse = decode(json!({
        "RequestId": "R",
        "LoadBalancerId": "lb-1",
        "InternetChargeType": "paybytraffic",
        "ListenerPorts": {"ListenerPort": [80, 443]},
        "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": [
            {"ListenerPort": 80, "ListenerProtocol": "tcp", "Description": "k8s/80/svc/ns/c1"},
            {"ListenerPort": 443, "ListenerProtocol": "https", "ListenerForward": "off", "ForwardPort": 0}
        ]},
        "ListenerPortsAndProtocal": {"ListenerPortAndProtocal": [{"ListenerPort": 80, "ListenerProtocal": "tcp"}]},
        "BackendServers": {"BackendServer": [{"ServerId": "i-1", "Weight": 100, "Type": "ecs", "ServerIp": "10.0.0.1"}]},
        "EndTimeStamp": "32493801600000"
    }));
    assert_eq!(resp.summary.load_balancer_id, "lb-1");
    assert_eq!(
        resp.summary.internet_charge_type(),
        Some(InternetChargeType::PayByTraffic)
    );
    assert_eq!(resp.listener_ports, [80, 443]);
    assert_eq!(
        resp.listener_ports_and_protocol[0].description,
        "k8s/80/svc/ns/c1"
    );
    assert_eq!(resp.listener_ports_and_protocal[0].listener_protocal, "tcp");
    assert_eq!(resp.backend_servers[0].weight, Some(100));
    assert_eq!(resp.end_time_stamp, 32_493_801_600_000);
}

#[test]
fn create_load_balancer_decodes_the_new_instance() {
    let resp: CreateLoadBalancerResponse = decode(json!({
        "RequestId": "R", "LoadBalancerId": "lb-new", "Address": "39.1.2.3",
        "LoadBalancerName": "a1", "VpcId": "vpc-1", "VSwitchId": "vsw-1",
        "NetworkType": "vpc", "AddressIPVersion": "ipv4", "ResourceGroupId": "rg-1",
        "OrderId": 201_560_000_000_000_i64
    }));
    assert_eq!(resp.load_balancer_id, "lb-new");
    assert_eq!(resp.vswitch_id, "vsw-1");
    assert_eq!(resp.order_id, 201_560_000_000_000);
}

fn listeners_fixture() -> Value {
    json!({
        "RequestId": "R", "NextToken": "", "MaxResults": 50, "TotalCount": 2,
        "Listeners": [
            {
                "LoadBalancerId": "lb-1", "ListenerPort": 80, "ListenerProtocol": "tcp",
                "Status": "running", "BackendServerPort": 0, "VServerGroupId": "rsp-1",
                "Scheduler": "rr", "Bandwidth": -1, "Description": "k8s/80/svc/ns/c1",
                "AclStatus": "off", "AclIds": ["acl-1"], "Tags": [{"TagKey": "k", "TagValue": "v"}],
                "TCPListenerConfig": {
                    "HealthCheck": "on", "HealthCheckType": "tcp", "HealthCheckConnectPort": 0,
                    "HealthCheckInterval": 2, "HealthyThreshold": 3, "UnhealthyThreshold": 3,
                    "PersistenceTimeout": 0, "EstablishedTimeout": 900,
                    "ConnectionDrain": "off", "ProxyProtocolV2Enabled": "false"
                }
            },
            {
                "LoadBalancerId": "lb-1", "ListenerPort": 443, "ListenerProtocol": "https",
                "Status": "stopped", "VServerGroupId": "rsp-2", "Scheduler": "wrr",
                "HTTPSListenerConfig": {"HealthCheck": "on", "HealthCheckTimeout": 5,
                    "StickySession": "off", "ServerCertificateId": "cert-1", "EnableHttp2": "on",
                    "XForwardedFor_SLBIP": "on", "IdleTimeout": 15, "RequestTimeout": 60}
            }
        ]
    })
}

#[test]
fn describe_load_balancer_listeners_decodes_bare_arrays_and_one_config_per_listener() {
    let resp: DescribeListenersResponse = decode(listeners_fixture());
    assert_eq!(resp.listeners.len(), 2);
    let tcp = &resp.listeners[0];
    assert_eq!(tcp.acl_ids, ["acl-1"]);
    assert_eq!(tcp.tags, vec![TagKv::new("k", "v")]);
    assert_eq!(tcp.bandwidth, -1);
    let cfg = tcp.tcp_listener_config.as_ref().unwrap();
    assert!(
        !cfg.proxy_protocol_v2_enabled,
        "the string \"false\" decodes"
    );
    assert_eq!(cfg.established_timeout, 900);
    assert!(tcp.https_listener_config.is_none());
    let https = resp.listeners[1].https_listener_config.as_ref().unwrap();
    assert_eq!(https.server_certificate_id, "cert-1");
    assert_eq!(https.x_forwarded_for_slbip, "on");
    assert_eq!(https.health_check_timeout, 5);
}

#[test]
fn listeners_render_back_as_bare_arrays() {
    let resp: DescribeListenersResponse = decode(listeners_fixture());
    let v = serde_json::to_value(&resp).unwrap();
    assert!(v["Listeners"].is_array());
    assert!(v["Listeners"][0]["AclIds"].is_array());
    assert!(v["Listeners"][0]["Tags"].is_array());
    assert!(v["Listeners"][0].get("HTTPSListenerConfig").is_none());
}

#[test]
fn describe_tcp_listener_attribute_decodes_wrapped_acl_ids_and_bool_proxy_protocol() {
    let resp: DescribeTcpListenerAttributeResponse = decode(json!({
        "RequestId": "R", "LoadBalancerId": "lb-1", "ListenerPort": 80, "Status": "stopped",
        "Bandwidth": -1, "Scheduler": "wrr", "VServerGroupId": "rsp-1",
        "ProxyProtocolV2Enabled": true, "ConnectionDrain": "on", "ConnectionDrainTimeout": 300,
        "HealthCheck": "on", "HealthCheckType": "http", "HealthCheckURI": "/healthz",
        "HealthCheckHttpCode": "http_2xx,http_3xx", "HealthCheckConnectTimeout": "5",
        "AclIds": {"AclId": ["acl-1", "acl-2"]}, "Tags": {"Tag": []}
    }));
    assert_eq!(resp.common.vserver_group_id, "rsp-1");
    assert_eq!(resp.common.acl_ids, ["acl-1", "acl-2"]);
    assert!(resp.config.proxy_protocol_v2_enabled);
    assert_eq!(resp.config.health_check_uri, "/healthz");
    assert_eq!(resp.config.health_check_connect_timeout, 5);
    assert_eq!(resp.config.connection_drain_timeout, 300);
}

#[test]
fn describe_udp_and_http_listener_attributes_decode_their_specific_fields() {
    let udp: DescribeUdpListenerAttributeResponse = decode(json!({
        "ListenerPort": 53, "HealthCheckReq": "ping", "HealthCheckExp": "pong",
        "HealthCheckSwitch": "on", "QuicVersion": "q46"
    }));
    assert_eq!(udp.common.listener_port, 53);
    assert_eq!(
        (
            udp.config.health_check_req.as_str(),
            udp.config.health_check_exp.as_str()
        ),
        ("ping", "pong")
    );
    let http: DescribeHttpListenerAttributeResponse = decode(json!({
        "ListenerPort": 80, "ListenerForward": "on", "ForwardPort": 443, "ForwardCode": 301,
        "StickySession": "on", "StickySessionType": "insert", "CookieTimeout": 86400,
        "XForwardedFor": "on", "Gzip": "on", "Rules": {"Rule": []}
    }));
    assert_eq!(http.config.forward_port, 443);
    assert_eq!(http.config.forward_code, "301");
    assert_eq!(http.config.cookie_timeout, 86_400);
}

#[test]
fn vserver_group_responses_decode_members_and_associations() {
    let groups: DescribeVServerGroupsResponse = decode(json!({
        "RequestId": "R",
        "VServerGroups": {"VServerGroup": [{
            "VServerGroupId": "rsp-1", "VServerGroupName": "k8s/80/svc/ns/c1", "ServerCount": 2,
            "AssociatedObjects": {"Listeners": {"Listener": [{"Port": 80, "Protocol": "tcp"}]}, "Rules": {"Rule": []}},
            "Tags": {"Tag": []}
        }]}
    }));
    let g = &groups.vserver_groups[0];
    assert_eq!(g.vserver_group_name, "k8s/80/svc/ns/c1");
    assert_eq!(g.server_count, 2);
    assert_eq!(g.associated_objects.listeners[0].port, 80);

    let attr: DescribeVServerGroupAttributeResponse = decode(json!({
        "RequestId": "R", "VServerGroupId": "rsp-1", "LoadBalancerId": "lb-1",
        "BackendServers": {"BackendServer": [
            {"ServerId": "eni-1", "Port": 8080, "Weight": 100, "Type": "eni", "ServerIp": "172.16.0.9", "Description": "k8s/80/svc/ns/c1"},
            {"ServerId": "i-1", "Port": "30080", "Weight": "0", "Type": "ecs"}
        ]}
    }));
    assert_eq!(attr.backend_servers.len(), 2);
    assert_eq!(attr.backend_servers[0].effective_type(), BackendType::Eni);
    assert_eq!(attr.backend_servers[1].weight, Some(0));

    let added: VServerGroupBackendsResponse = decode(json!({
        "RequestId": "R", "VServerGroupId": "rsp-1",
        "BackendServers": {"BackendServer": [{"ServerId": "i-1", "Port": 80, "Weight": 100}]}
    }));
    assert_eq!(added.backend_servers[0].port, Some(80));
}

#[test]
fn tag_responses_decode() {
    let list: ListTagResourcesResponse = decode(json!({
        "RequestId": "R", "NextToken": "next",
        "TagResources": {"TagResource": [
            {"ResourceId": "lb-1", "ResourceType": "instance", "TagKey": "k", "TagValue": "v"}
        ]}
    }));
    assert_eq!(list.next_token, "next");
    assert_eq!(list.tag_resources[0].resource_id, "lb-1");
    let legacy: DescribeTagsResponse = decode(json!({
        "PageNumber": 1, "PageSize": 50, "TotalCount": 1,
        "TagSets": {"TagSet": [{"TagKey": "k", "TagValue": "v", "InstanceCount": 3}]}
    }));
    assert_eq!(legacy.tag_sets[0].instance_count, 3);
}

#[test]
fn describe_instances_decodes_addresses_enis_and_paging() {
    let resp: DescribeInstancesResponse = decode(json!({
        "RequestId": "R", "NextToken": "", "PageSize": 100, "PageNumber": 1, "TotalCount": 1,
        "Instances": {"Instance": [{
            "InstanceId": "i-v98dklsmnxkkgiiil7", "RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h",
            "InstanceType": "ecs.g6.large", "Status": "Running", "InstanceNetworkType": "vpc",
            "InstanceChargeType": "PostPaid",
            "VpcAttributes": {"VpcId": "vpc-1", "VSwitchId": "vsw-1", "NatIpAddress": "",
                "PrivateIpAddress": {"IpAddress": ["192.168.1.10"]}},
            "InnerIpAddress": {"IpAddress": []},
            "PublicIpAddress": {"IpAddress": ["47.1.2.3"]},
            "EipAddress": {"IpAddress": "", "AllocationId": "", "Bandwidth": 0, "InternetChargeType": ""},
            "NetworkInterfaces": {"NetworkInterface": [{
                "Type": "Primary", "NetworkInterfaceId": "eni-1", "PrimaryIpAddress": "192.168.1.10",
                "MacAddress": "00:16:3e:00:00:01",
                "PrivateIpSets": {"PrivateIpSet": [{"PrivateIpAddress": "192.168.1.10", "Primary": true}]},
                "Ipv6Sets": {"Ipv6Set": [{"Ipv6Address": "2408::1"}]}
            }]},
            "Tags": {"Tag": [{"TagKey": "ack.aliyun.com", "TagValue": "c1"}]}
        }]}
    }));
    let i = &resp.instances[0];
    assert_eq!(i.vpc_attributes.private_ip_address, ["192.168.1.10"]);
    assert_eq!(i.public_ip_address, ["47.1.2.3"]);
    assert!(i.inner_ip_address.is_empty());
    let eni = &i.network_interfaces[0];
    assert_eq!(eni.interface_type, "Primary");
    assert!(eni.private_ip_sets[0].primary);
    assert_eq!(eni.ipv6_sets[0].ipv6_address, "2408::1");
}

#[test]
fn describe_network_interfaces_decodes_private_ip_sets() {
    let resp: DescribeNetworkInterfacesResponse = decode(json!({
        "RequestId": "R", "NextToken": "t2", "TotalCount": 3,
        "NetworkInterfaceSets": {"NetworkInterfaceSet": [{
            "NetworkInterfaceId": "eni-2", "Status": "InUse", "Type": "Secondary",
            "VpcId": "vpc-1", "VSwitchId": "vsw-1", "InstanceId": "i-1",
            "PrivateIpAddress": "172.16.0.8", "SourceDestCheck": "true",
            "PrivateIpSets": {"PrivateIpSet": [
                {"PrivateIpAddress": "172.16.0.8", "Primary": true},
                {"PrivateIpAddress": "172.16.0.9", "Primary": false}
            ]},
            "SecurityGroupIds": {"SecurityGroupId": ["sg-1"]}
        }]}
    }));
    let eni = &resp.network_interface_sets[0];
    assert_eq!(eni.private_ip_sets.len(), 2);
    assert_eq!(eni.security_group_ids, ["sg-1"]);
    assert!(eni.source_dest_check);
    assert_eq!(resp.next_token, "t2");
}

#[test]
fn missing_null_and_empty_wrappers_decode_to_empty_lists() {
    for wrapper in [
        json!(null),
        json!({}),
        json!(""),
        json!({"LoadBalancer": null}),
        json!([]),
    ] {
        let resp: DescribeLoadBalancersResponse =
            decode(json!({"RequestId": "R", "LoadBalancers": wrapper.clone()}));
        assert!(resp.load_balancers.is_empty(), "{wrapper}");
    }
    let resp: DescribeLoadBalancersResponse = decode(json!({"RequestId": "R"}));
    assert!(resp.load_balancers.is_empty());
    let resp: DescribeListenersResponse = decode(json!({"Listeners": null}));
    assert!(resp.listeners.is_empty());
}

#[test]
fn a_single_object_inside_a_wrapper_decodes_as_one_item() {
    let resp: ListTagResourcesResponse = decode(json!({
        "TagResources": {"TagResource": {"ResourceId": "lb-1", "TagKey": "k"}}
    }));
    assert_eq!(resp.tag_resources.len(), 1);
}

#[test]
fn responses_render_the_documented_wrapped_shape() {
    let resp = DescribeVServerGroupAttributeResponse {
        request_id: "R".into(),
        vserver_group_id: "rsp-1".into(),
        backend_servers: vec![slb_openapi::types::BackendServer {
            server_id: "i-1".into(),
            port: Some(80),
            weight: Some(100),
            ..Default::default()
        }],
        ..Default::default()
    };
    let v = serde_json::to_value(&resp).unwrap();
    assert_eq!(v["VServerGroupId"], "rsp-1");
    assert_eq!(v["BackendServers"]["BackendServer"][0]["Port"], 80);
    assert_eq!(v["Tags"], json!({"Tag": []}));
    let back: DescribeVServerGroupAttributeResponse = serde_json::from_value(v).unwrap();
    assert_eq!(back, resp);
}

#[test]
fn a_number_where_a_number_is_impossible_is_a_decode_error_naming_the_value() {
    let err =
        serde_json::from_value::<DescribeLoadBalancersResponse>(json!({"TotalCount": "many"}))
            .unwrap_err();
    assert!(err.to_string().contains("many"), "{err}");
}

#[test]
fn provider_ids_parse_with_or_without_the_alicloud_prefix() {
    let cases = [
        (
            "cn-hangzhou.i-v98dklsmnxkkgiiil7",
            Some(("cn-hangzhou", "i-v98dklsmnxkkgiiil7")),
        ),
        (
            "alicloud://cn-hangzhou.i-abc",
            Some(("cn-hangzhou", "i-abc")),
        ),
        ("i-abc", None),
        (".i-abc", None),
        ("cn-hangzhou.", None),
        ("kind://docker/kind/node", None),
    ];
    for (input, want) in cases {
        let got = ProviderId::parse(input);
        assert_eq!(
            got.as_ref()
                .map(|p| (p.region_id.as_str(), p.instance_id.as_str())),
            want,
            "{input}"
        );
        if let Some(p) = got {
            assert_eq!(ProviderId::parse(&p.to_string()), Some(p));
        }
    }
}
