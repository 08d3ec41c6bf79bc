//! The records and the shared state agree both ways, and a transition keeps what only the
//! engine knows.

use std::collections::BTreeMap;

use slb_clb_state::{NewListener, Protocol};

use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The record's one listener, with settings of each kind.
fn listener() -> Listener {
    Listener {
        protocol: "tcp".into(),
        port: 80,
        status: "running".into(),
        backend_server_port: 0,
        vserver_group_id: "rsp-1".into(),
        scheduler: "wrr".into(),
        bandwidth: -1,
        description: "k8s/80/web".into(),
        settings: map(&[
            ("HealthCheckSwitch", "on"),
            ("HealthCheckInterval", "5"),
            ("ProxyProtocolV2Enabled", "true"),
            ("ConnectionDrain", "off"),
            ("HealthCheckMethod", "get"),
        ]),
        tags: map(&[("lt", "1")]),
        domain_extensions: Vec::new(),
    }
}

/// The record's one group, with an ENI backend.
fn group() -> VServerGroup {
    VServerGroup {
        id: "rsp-1".into(),
        name: "g".into(),
        create_time_ms: 8,
        backends: vec![Backend {
            server_id: "eni-1".into(),
            server_type: "eni".into(),
            server_ip: "10.0.1.5".into(),
            port: 8080,
            weight: 100,
            description: "k".into(),
        }],
        tags: map(&[("gt", "2")]),
    }
}

fn record() -> LoadBalancer {
    LoadBalancer {
        id: "lb-1".into(),
        name: "web".into(),
        status: "active".into(),
        address: "10.0.0.9".into(),
        address_type: "intranet".into(),
        address_ip_version: "ipv4".into(),
        network_type: "vpc".into(),
        vpc_id: "vpc-1".into(),
        vswitch_id: "vsw-1".into(),
        master_zone_id: "z-a".into(),
        slave_zone_id: String::new(),
        spec: "slb.s1.small".into(),
        instance_charge_type: "PayBySpec".into(),
        internet_charge_type: "paybytraffic".into(),
        bandwidth: 5120,
        pay_type: "PayOnDemand".into(),
        resource_group_id: "rg-default".into(),
        delete_protection: true,
        modification_protection_status: "ConsoleProtection".into(),
        modification_protection_reason: "managed".into(),
        create_time_ms: 7,
        tags: map(&[("k", "v")]),
        listeners: vec![listener()],
        vserver_groups: vec![group()],
        client_token: "tok".into(),
    }
}

#[test]
fn a_record_absorbing_its_own_shared_state_is_unchanged() {
    let before = record();
    let mut after = before.clone();
    after.absorb(before.shared());
    assert_eq!(after, before);
}

#[test]
fn the_typed_attributes_come_from_the_wire_names() {
    let a = record().listeners[0].attributes();
    assert_eq!(a.health_check, Some(true));
    assert_eq!(a.health_check_interval, Some(5));
    assert_eq!(a.proxy_protocol_v2_enabled, Some(true));
    assert_eq!(a.connection_drain, Some(false));
    assert_eq!(a.scheduler.as_deref(), Some("wrr"));
    let members = &record().shared().vserver_groups[0].backend_servers;
    assert_eq!(members[0].server_ip.as_deref(), Some("10.0.1.5"));
}

#[test]
fn a_transition_keeps_the_engine_only_fields() {
    let mut lb = record();
    lb.transition(|s| s.stop_listener(80, Protocol::Tcp))
        .unwrap();
    lb.transition(|s| {
        s.set_name("renamed");
        Ok(())
    })
    .unwrap();
    assert_eq!(lb.name, "renamed");
    let l = &lb.listeners[0];
    assert_eq!(l.status, "stopped");
    assert_eq!(l.tags, map(&[("lt", "1")]));
    assert_eq!(l.setting("HealthCheckMethod"), Some("get"));
    assert_eq!((lb.create_time_ms, lb.client_token.as_str()), (7, "tok"));
    assert_eq!(lb.vserver_groups[0].tags, map(&[("gt", "2")]));
}

#[test]
fn a_refused_transition_changes_nothing() {
    let mut lb = record();
    let clash = NewListener {
        protocol: Protocol::Http,
        port: 80,
        vserver_group_id: None,
        description: None,
        bandwidth: None,
        attributes: Default::default(),
    };
    assert!(lb.transition(|s| s.create_listener(clash)).is_err());
    assert_eq!(lb, record());
}

#[test]
fn a_created_listener_gets_its_attributes_under_wire_names() {
    let mut lb = record();
    let mut new = NewListener {
        protocol: Protocol::Https,
        port: 443,
        vserver_group_id: Some("rsp-1".into()),
        description: Some("k8s/443/web".into()),
        bandwidth: Some(-1),
        attributes: Default::default(),
    };
    new.attributes.health_check = Some(false);
    new.attributes.server_certificate_id = Some("cert-1".into());
    lb.transition(|s| s.create_listener(new)).unwrap();
    let l = &lb.listeners[1];
    assert_eq!(
        (l.protocol.as_str(), l.status.as_str()),
        ("https", "stopped")
    );
    assert_eq!(l.setting("HealthCheck"), Some("off"));
    assert_eq!(l.setting("ServerCertificateId"), Some("cert-1"));
}
