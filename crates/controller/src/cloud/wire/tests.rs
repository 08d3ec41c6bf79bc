use super::*;
use slb_openapi::Action;
use slb_openapi::clb::ListenerSpec;

fn attributes() -> ListenerAttributes {
    ListenerAttributes {
        scheduler: Some("wrr".into()),
        health_check: Some(true),
        connection_drain: Some(true),
        idle_timeout: Some(10),
        proxy_protocol_v2_enabled: Some(true),
        ..Default::default()
    }
}

#[test]
fn a_protocol_gets_only_the_attributes_it_takes() {
    let tcp = listener_settings(Protocol::Tcp, &attributes()).unwrap();
    assert_eq!(tcp.idle_timeout, None, "IdleTimeout is layer 7 only");
    assert_eq!(tcp.connection_drain, Some(OnOff::On));
    let http = listener_settings(Protocol::Http, &attributes()).unwrap();
    assert_eq!((http.idle_timeout, http.connection_drain), (Some(10), None));
}

#[test]
fn a_value_the_api_does_not_take_fails_naming_the_parameter_before_any_call() {
    let a = ListenerAttributes {
        scheduler: Some("fastest".into()),
        ..Default::default()
    };
    let err = listener_settings(Protocol::Tcp, &a).unwrap_err();
    assert_eq!(err.code, "InvalidParameter");
    assert!(err.message.contains("\"Scheduler\""), "{}", err.message);
}

#[test]
fn attributes_survive_the_trip_through_the_wire_settings() {
    for protocol in [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Http,
        Protocol::Https,
    ] {
        let mut want = attributes();
        want.retain_for(protocol);
        let settings = listener_settings(protocol, &attributes()).unwrap();
        assert_eq!(
            listener_attributes(protocol, settings),
            want,
            "{protocol:?}"
        );
    }
}

#[test]
fn settings_reach_the_request_under_the_protocols_wire_names() {
    let spec = ListenerSpec {
        load_balancer_id: "lb-1".into(),
        listener_port: 80,
        settings: listener_settings(Protocol::Tcp, &attributes()).unwrap(),
        ..ListenerSpec::default()
    };
    let p = spec.create_tcp().to_params();
    assert_eq!(p["HealthCheckSwitch"], "on");
    assert_eq!(p["ProxyProtocolV2Enabled"], "true");
}

#[test]
fn members_keep_type_ip_port_weight_and_description_both_ways() {
    let b = BackendServer {
        server_id: "eni-1".into(),
        r#type: BackendType::Eni,
        server_ip: Some("10.0.0.5".into()),
        port: 8080,
        weight: 100,
        description: "k8s/8080/web/ns/c1".into(),
    };
    let wire = backend_servers(std::slice::from_ref(&b));
    assert_eq!(wire[0].server_type, Some(wire::BackendType::Eni));
    assert_eq!(wire[0].server_ip, "10.0.0.5");
    assert_eq!(member(&wire[0]), b);
}
