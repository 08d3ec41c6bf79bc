//! Listener and domain-extension transitions, one rule per test.

use super::*;
use crate::transitions::{Object, Rule};

fn new(protocol: Protocol, port: u16) -> NewListener {
    NewListener {
        protocol,
        port,
        vserver_group_id: None,
        description: Some("k".into()),
        bandwidth: Some(-1),
        attributes: ListenerAttributes::default(),
    }
}

fn update(protocol: Protocol, port: u16, attributes: ListenerAttributes) -> ListenerUpdate {
    ListenerUpdate {
        protocol,
        port,
        vserver_group_id: None,
        description: None,
        bandwidth: None,
        attributes,
    }
}

fn redirect(to: u16) -> ListenerAttributes {
    ListenerAttributes {
        listener_forward: Some(true),
        forward_port: Some(to),
        ..ListenerAttributes::default()
    }
}

#[test]
fn a_created_listener_is_stopped_until_started() {
    let mut lb = LoadBalancer::default();
    lb.create_listener(new(Protocol::Tcp, 80)).unwrap();
    assert_eq!(lb.listeners[0].status, "stopped");
    lb.start_listener(80, Protocol::Tcp).unwrap();
    assert!(lb.listeners[0].is_running());
}

#[test]
fn tcp_and_http_share_a_port_space_and_udp_has_its_own() {
    let mut lb = LoadBalancer::default();
    lb.create_listener(new(Protocol::Tcp, 80)).unwrap();
    let clash = lb.create_listener(new(Protocol::Http, 80));
    let http_80 = Object::Listener(80, Protocol::Http);
    assert_eq!(clash, Err(Refusal::AlreadyExists(http_80)));
    lb.create_listener(new(Protocol::Udp, 80)).unwrap();
    assert_eq!(lb.listeners.len(), 2);
}

#[test]
fn a_listener_on_a_group_of_another_clb_is_refused() {
    let mut lb = LoadBalancer::default();
    let on_group = NewListener {
        vserver_group_id: Some("rsp-elsewhere".into()),
        ..new(Protocol::Tcp, 80)
    };
    assert_eq!(
        lb.create_listener(on_group),
        Err(Refusal::Missing(Object::Group("rsp-elsewhere".into())))
    );
    assert!(lb.listeners.is_empty());
}

#[test]
fn a_set_overlays_only_what_it_sends() {
    let mut lb = LoadBalancer::default();
    let mut first = new(Protocol::Tcp, 80);
    first.attributes.scheduler = Some("wrr".into());
    first.attributes.health_check_interval = Some(2);
    lb.create_listener(first).unwrap();
    let changed = ListenerAttributes {
        health_check_interval: Some(5),
        ..ListenerAttributes::default()
    };
    lb.set_listener(&update(Protocol::Tcp, 80, changed))
        .unwrap();
    let a = &lb.listeners[0].attributes;
    assert_eq!(
        (a.scheduler.as_deref(), a.health_check_interval),
        (Some("wrr"), Some(5))
    );
    assert_eq!(lb.listeners[0].description, "k");
}

#[test]
fn redirect_settings_are_creation_only() {
    let mut lb = LoadBalancer::default();
    lb.create_listener(new(Protocol::Https, 443)).unwrap();
    lb.create_listener(new(Protocol::Http, 80)).unwrap();
    let refused = lb.set_listener(&update(Protocol::Http, 80, redirect(443)));
    assert_eq!(
        refused,
        Err(Refusal::NotAllowed(Rule::RedirectIsCreationOnly))
    );
    assert_eq!(lb.listeners[1].attributes.listener_forward, None);
}

#[test]
fn a_forwarding_listener_takes_no_set_and_pins_its_target() {
    let mut lb = LoadBalancer::default();
    lb.create_listener(new(Protocol::Https, 443)).unwrap();
    let forwarding = NewListener {
        attributes: redirect(443),
        ..new(Protocol::Http, 80)
    };
    lb.create_listener(forwarding).unwrap();
    let idle = ListenerAttributes {
        idle_timeout: Some(30),
        ..ListenerAttributes::default()
    };
    let set = lb.set_listener(&update(Protocol::Http, 80, idle));
    assert_eq!(
        set,
        Err(Refusal::NotAllowed(Rule::ForwardingListenerTakesNoSet))
    );
    let delete = lb.delete_listener(443, Protocol::Https);
    assert_eq!(delete, Err(Refusal::NotAllowed(Rule::RedirectTargetInUse)));
    lb.delete_listener(80, Protocol::Http).unwrap();
    lb.delete_listener(443, Protocol::Https).unwrap();
    assert!(lb.listeners.is_empty());
}

#[test]
fn writes_to_a_missing_listener_are_refused() {
    let mut lb = LoadBalancer::default();
    assert_eq!(
        lb.stop_listener(80, Protocol::Udp),
        Err(Refusal::Missing(Object::Listener(80, Protocol::Udp)))
    );
}

#[test]
fn a_domain_is_on_a_listener_once_and_its_certificate_can_change() {
    let mut lb = LoadBalancer::default();
    lb.create_listener(new(Protocol::Https, 443)).unwrap();
    lb.create_domain_extension(443, "de-1", "A.example.com", "cert-a")
        .unwrap();
    let again = lb.create_domain_extension(443, "de-2", "a.example.com", "cert-b");
    let a = Object::Domain(443, "a.example.com".into());
    assert_eq!(again, Err(Refusal::AlreadyExists(a)));
    lb.set_domain_extension("de-1", "cert-new").unwrap();
    let d = &lb.listeners[0].domain_extensions;
    assert_eq!(
        (d[0].domain.as_str(), d[0].server_certificate_id.as_str()),
        ("a.example.com", "cert-new")
    );
    lb.delete_domain_extension("de-1").unwrap();
    assert_eq!(
        lb.delete_domain_extension("de-1"),
        Err(Refusal::Missing(Object::DomainExtension("de-1".into())))
    );
}

#[test]
fn domain_extensions_need_an_https_listener() {
    let mut lb = LoadBalancer::default();
    lb.create_listener(new(Protocol::Http, 443)).unwrap();
    let refused = lb.create_domain_extension(443, "de-1", "a.example.com", "cert-a");
    let https_443 = Object::Listener(443, Protocol::Https);
    assert_eq!(refused, Err(Refusal::Missing(https_443)));
}
