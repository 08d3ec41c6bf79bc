//! The typed listener attributes and the engine's wire-name `settings` map, both ways. The
//! map holds canonical values (`on`/`off`, `true`/`false` for `ProxyProtocolV2Enabled`,
//! decimal numbers), as the engine's validation stores them; `Scheduler` is a field of the
//! record, not part of the map. Settings the attributes do not cover are left alone.

use std::collections::BTreeMap;
use std::str::FromStr;

use slb_clb_state::{ListenerAttributes, Protocol};

/// How one attribute is written in the map.
trait Wire: Sized {
    fn read(text: &str) -> Option<Self>;
    fn write(&self) -> String;
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn read(text: &str) -> Option<Self> {
                <$t>::from_str(text).ok()
            }
            fn write(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

numbers!(u16, u32, i32);

impl Wire for String {
    fn read(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
    fn write(&self) -> String {
        self.clone()
    }
}

/// `on`/`off`.
impl Wire for bool {
    fn read(text: &str) -> Option<Self> {
        match text {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        }
    }
    fn write(&self) -> String {
        if *self { "on" } else { "off" }.to_owned()
    }
}

macro_rules! table {
    ($($field:ident => $name:literal),* $(,)?) => {
        fn read_table(map: &BTreeMap<String, String>, a: &mut ListenerAttributes) {
            $( a.$field = map.get($name).and_then(|v| Wire::read(v)); )*
        }

        fn write_table(a: &ListenerAttributes, map: &mut BTreeMap<String, String>) {
            $( if let Some(v) = &a.$field { map.insert($name.to_owned(), v.write()); } )*
        }
    };
}

table! {
    persistence_timeout => "PersistenceTimeout",
    established_timeout => "EstablishedTimeout",
    idle_timeout => "IdleTimeout",
    request_timeout => "RequestTimeout",
    connection_drain => "ConnectionDrain",
    connection_drain_timeout => "ConnectionDrainTimeout",
    acl_status => "AclStatus",
    acl_id => "AclId",
    acl_type => "AclType",
    sticky_session => "StickySession",
    sticky_session_type => "StickySessionType",
    cookie_timeout => "CookieTimeout",
    cookie => "Cookie",
    x_forwarded_for_proto => "XForwardedFor_proto",
    x_forwarded_for_slbport => "XForwardedFor_SLBPORT",
    x_forwarded_for_client_src_port => "XForwardedFor_ClientSrcPort",
    health_check_type => "HealthCheckType",
    health_check_uri => "HealthCheckURI",
    health_check_domain => "HealthCheckDomain",
    health_check_http_code => "HealthCheckHttpCode",
    health_check_connect_port => "HealthCheckConnectPort",
    healthy_threshold => "HealthyThreshold",
    unhealthy_threshold => "UnhealthyThreshold",
    health_check_interval => "HealthCheckInterval",
    health_check_connect_timeout => "HealthCheckConnectTimeout",
    health_check_timeout => "HealthCheckTimeout",
    health_check_method => "HealthCheckMethod",
    server_certificate_id => "ServerCertificateId",
    tls_cipher_policy => "TLSCipherPolicy",
    enable_http2 => "EnableHttp2",
    listener_forward => "ListenerForward",
    forward_port => "ForwardPort",
}

/// The health-check switch's name: `HealthCheckSwitch` on layer 4, `HealthCheck` on layer 7.
fn switch(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp | Protocol::Udp => "HealthCheckSwitch",
        Protocol::Http | Protocol::Https => "HealthCheck",
    }
}

/// `ProxyProtocolV2Enabled` is `true`/`false`, not `on`/`off`.
const PROXY_PROTOCOL: &str = "ProxyProtocolV2Enabled";

/// The attributes `map` holds for a listener of `protocol` (the scheduler excepted).
pub(super) fn attributes(protocol: Protocol, map: &BTreeMap<String, String>) -> ListenerAttributes {
    let mut a = ListenerAttributes::default();
    read_table(map, &mut a);
    a.health_check = map.get(switch(protocol)).and_then(|v| bool::read(v));
    a.proxy_protocol_v2_enabled = map.get(PROXY_PROTOCOL).and_then(|v| v.parse().ok());
    a
}

/// Writes every attribute that is set into `map` (the scheduler excepted).
pub(super) fn write(
    protocol: Protocol,
    a: &ListenerAttributes,
    map: &mut BTreeMap<String, String>,
) {
    write_table(a, map);
    if let Some(on) = a.health_check {
        map.insert(switch(protocol).to_owned(), on.write());
    }
    if let Some(on) = a.proxy_protocol_v2_enabled {
        map.insert(PROXY_PROTOCOL.to_owned(), on.to_string());
    }
}
