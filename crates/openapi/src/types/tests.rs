use super::*;

#[test]
fn backend_servers_from_the_reference_ccm_parse_despite_camel_case_numbers_and_junk() {
    let ccm = r#"[{"IsUserManaged":false,"NodeName":"node-1","description":"k8s/80/svc/ns/c1","serverId":"i-abc","serverIp":"10.0.0.5","weight":100,"port":30080,"type":"ecs","TargetRef":null,"Invalid":false}]"#;
    let parsed = Vec::<BackendServer>::from_json_param(ccm).unwrap();
    assert_eq!(
        parsed,
        vec![BackendServer {
            server_id: "i-abc".into(),
            port: Some(30080),
            weight: Some(100),
            server_type: Some(BackendType::Ecs),
            server_ip: "10.0.0.5".into(),
            description: "k8s/80/svc/ns/c1".into(),
            ..Default::default()
        }]
    );
}

#[test]
fn backend_servers_with_quoted_numbers_parse_like_the_docs_show() {
    let doc = r#"[{"ServerId":"i-1","Weight":"0","Port":"80"}]"#;
    let parsed = Vec::<BackendServer>::from_json_param(doc).unwrap();
    assert_eq!(parsed[0].weight, Some(0));
    assert_eq!(parsed[0].port, Some(80));
    assert_eq!(parsed[0].effective_type(), BackendType::Ecs);
}

#[test]
fn backend_server_problems_are_named() {
    let cases = [
        (r#"[{"Port":"80"}]"#, "item 1 has no ServerId"),
        (
            r#"[{"ServerId":"i-1","Port":"eighty"}]"#,
            "Port must be a number",
        ),
        (
            r#"[{"ServerId":"i-1","Type":"vm"}]"#,
            "not one of ecs, eni, eci",
        ),
        (r#"{"ServerId":"i-1"}"#, "expected a JSON array"),
    ];
    for (json, expected) in cases {
        let err = Vec::<BackendServer>::from_json_param(json).unwrap_err();
        assert!(err.contains(expected), "{json}: {err}");
    }
}

#[test]
fn backend_servers_serialize_as_numbers_in_responses() {
    let b = BackendServer {
        server_id: "i-1".into(),
        port: Some(80),
        weight: Some(50),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&b).unwrap(),
        r#"{"ServerId":"i-1","Port":80,"Weight":50}"#
    );
}

#[test]
fn internet_charge_type_codes_of_describe_load_balancers_decode() {
    assert_eq!(
        InternetChargeType::from_describe_code("3"),
        Some(InternetChargeType::PayByBandwidth)
    );
    assert_eq!(
        InternetChargeType::from_describe_code("4"),
        Some(InternetChargeType::PayByTraffic)
    );
    assert_eq!(
        InternetChargeType::from_describe_code("paybytraffic"),
        Some(InternetChargeType::PayByTraffic)
    );
    assert_eq!(InternetChargeType::from_describe_code("9"), None);
    for t in InternetChargeType::ALL {
        assert_eq!(
            InternetChargeType::from_describe_code(t.describe_code()),
            Some(*t)
        );
    }
}

#[test]
fn wire_enums_round_trip_through_their_wire_spelling() {
    for s in Scheduler::ALL {
        assert_eq!(Scheduler::parse(s.as_str()), Some(*s));
    }
    assert_eq!(InstanceChargeType::PayByClcu.as_str(), "PayByCLCU");
    assert_eq!(ResourceType::VServerGroup.to_string(), "vservergroup");
    assert_eq!(
        serde_json::from_str::<ListenerProtocol>("\"HTTPS\"").unwrap(),
        ListenerProtocol::Https
    );
}

#[test]
fn tag_json_keys_are_case_insensitive() {
    let parsed = Vec::<TagKv>::from_json_param(r#"[{"tagkey":"k","TAGVALUE":"v"}]"#).unwrap();
    assert_eq!(parsed, vec![TagKv::new("k", "v")]);
}
