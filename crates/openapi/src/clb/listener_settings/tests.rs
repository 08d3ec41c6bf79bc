use super::*;
use crate::action::Action;
use crate::clb::listener::ListenerItem;

fn spec(settings: ListenerSettings) -> ListenerSpec {
    ListenerSpec {
        load_balancer_id: "lb-1".into(),
        listener_port: 80,
        settings,
        ..ListenerSpec::default()
    }
}

#[test]
fn layer4_sends_the_health_switch_as_health_check_switch_and_unlimited_bandwidth_on_create() {
    let s = spec(ListenerSettings {
        health_check: Some(OnOff::On),
        connection_drain: Some(OnOff::On),
        idle_timeout: Some(10),
        ..ListenerSettings::default()
    });
    let p = s.create_tcp().to_params();
    assert_eq!(p["HealthCheckSwitch"], "on");
    assert_eq!(p["ConnectionDrain"], "on");
    assert_eq!(p["Bandwidth"], "-1");
    assert!(
        !p.contains_key("IdleTimeout"),
        "IdleTimeout is layer 7 only"
    );
}

#[test]
fn layer7_creates_default_the_required_switches_to_off_and_http_needs_no_bandwidth() {
    let s = spec(ListenerSettings {
        idle_timeout: Some(10),
        connection_drain: Some(OnOff::On),
        ..ListenerSettings::default()
    });
    let p = s.create_http().to_params();
    assert_eq!(
        (p["HealthCheck"].as_str(), p["StickySession"].as_str()),
        ("off", "off")
    );
    assert_eq!(p["IdleTimeout"], "10");
    assert!(!p.contains_key("Bandwidth"));
    assert!(!p.contains_key("ConnectionDrain"), "layer 4 only");
    assert_eq!(s.create_https().to_params()["Bandwidth"], "-1");
}

#[test]
fn a_set_naming_a_group_switches_the_group_on_and_sends_no_redirect_settings() {
    let mut s = spec(ListenerSettings {
        listener_forward: Some(OnOff::On),
        forward_port: Some(443),
        ..ListenerSettings::default()
    });
    s.vserver_group_id = Some("rsp-1".into());
    let p = s.set_http().to_params();
    assert_eq!(
        (p["VServerGroup"].as_str(), p["VServerGroupId"].as_str()),
        ("on", "rsp-1")
    );
    assert!(!p.contains_key("ListenerForward") && !p.contains_key("ForwardPort"));
    assert_eq!(s.create_http().to_params()["ForwardPort"], "443");
}

#[test]
fn a_described_listener_reads_back_its_item_and_config_fields() {
    let item: ListenerItem = serde_json::from_value(serde_json::json!({
        "ListenerPort": 80, "ListenerProtocol": "tcp", "Scheduler": "wrr", "AclStatus": "off",
        "TCPListenerConfig": {
            "HealthCheck": "on", "ConnectionDrain": "on", "ConnectionDrainTimeout": 30,
            "ProxyProtocolV2Enabled": false, "HealthCheckType": "tcp", "HealthCheckDomain": ""
        }
    }))
    .unwrap();
    let (protocol, s) = ListenerSettings::described(&item).unwrap();
    assert_eq!(protocol, ListenerProtocol::Tcp);
    assert_eq!(s.scheduler, Some(Scheduler::Wrr));
    assert_eq!(s.health_check, Some(OnOff::On));
    assert_eq!(s.connection_drain_timeout, Some(30));
    assert_eq!(s.proxy_protocol_v2_enabled, Some(false));
    assert_eq!(s.acl_status, Some(OnOff::Off));
    assert_eq!(s.health_check_domain, None, "empty text is not reported");
    let round = spec(s).set_tcp().to_params();
    assert_eq!(round["ConnectionDrainTimeout"], "30");
}
