//! One typed view of a listener's configurable settings across the four protocols, and the
//! conversions between it and the eight `Create…Listener` / `Set…ListenerAttribute` requests
//! and the described listener (`DescribeLoadBalancerListeners` item).
//!
//! The listener requests differ per protocol in which settings they take and in a few wire
//! rules (the health-check switch is `HealthCheckSwitch` on layer 4 and `HealthCheck` on layer
//! 7; layer-7 creates require `HealthCheck` and `StickySession`; every create but HTTP's
//! requires `Bandwidth`). Those rules live here, once, so a caller fills one
//! [`ListenerSpec`] and asks for the request of its protocol. A setting the protocol's request
//! does not take is not sent (callers that must refuse such settings check before).
//!
//! Not here: which settings a caller manages or how it diffs them (slb-model's business).

use crate::clb::listener::ListenerItem;
use crate::clb::listener_l4::*;
use crate::clb::listener_l7::*;
use crate::types::{
    AclType, HealthCheckType, ListenerProtocol, OnOff, Scheduler, StickySessionType,
};

/// The configurable settings of a listener; `None` is "not sent" in a request and "not
/// reported" in a described listener.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)] // each field is the wire parameter of the same name
pub struct ListenerSettings {
    pub scheduler: Option<Scheduler>,
    pub persistence_timeout: Option<u32>,
    pub established_timeout: Option<u32>,
    pub idle_timeout: Option<u32>,
    pub request_timeout: Option<u32>,
    pub connection_drain: Option<OnOff>,
    pub connection_drain_timeout: Option<u32>,
    pub proxy_protocol_v2_enabled: Option<bool>,
    pub acl_status: Option<OnOff>,
    pub acl_id: Option<String>,
    pub acl_type: Option<AclType>,
    pub sticky_session: Option<OnOff>,
    pub sticky_session_type: Option<StickySessionType>,
    pub cookie_timeout: Option<u32>,
    pub cookie: Option<String>,
    pub x_forwarded_for_proto: Option<OnOff>,
    pub x_forwarded_for_slbport: Option<OnOff>,
    pub x_forwarded_for_client_src_port: Option<OnOff>,
    /// `HealthCheckSwitch` (TCP/UDP) or `HealthCheck` (HTTP/HTTPS).
    pub health_check: Option<OnOff>,
    pub health_check_type: Option<HealthCheckType>,
    pub health_check_uri: Option<String>,
    pub health_check_domain: Option<String>,
    pub health_check_http_code: Option<String>,
    pub health_check_connect_port: Option<u16>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
    pub health_check_interval: Option<u32>,
    pub health_check_connect_timeout: Option<u32>,
    pub health_check_timeout: Option<u32>,
    pub health_check_method: Option<String>,
    pub server_certificate_id: Option<String>,
    pub tls_cipher_policy: Option<String>,
    pub enable_http2: Option<OnOff>,
    pub listener_forward: Option<OnOff>,
    pub forward_port: Option<u16>,
}

/// Everything a listener create or set sends: the listener's identity, its backend group,
/// name and bandwidth, and its [`ListenerSettings`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerSpec {
    /// `RegionId`.
    pub region_id: Option<String>,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    pub listener_port: u16,
    /// `VServerGroupId` (on a set, also sends `VServerGroup=on`).
    pub vserver_group_id: Option<String>,
    /// `Description` (the listener name).
    pub description: Option<String>,
    /// `Bandwidth`; a create that requires it and has none sends -1 (unlimited).
    pub bandwidth: Option<i32>,
    /// The protocol settings.
    pub settings: ListenerSettings,
}

/// Copies the named settings from `$s` into `$req` (identically named, identically typed).
macro_rules! copy_settings {
    ($req:ident, $s:expr; $($field:ident),* $(,)?) => {
        $( $req.$field = $s.$field.clone(); )*
    };
}

/// The settings every protocol's create and set take.
macro_rules! copy_common {
    ($req:ident, $s:expr) => {
        copy_settings!($req, $s; scheduler, acl_status, acl_id, acl_type,
            health_check_connect_port, healthy_threshold, unhealthy_threshold,
            health_check_interval);
    };
}

/// The settings HTTP and HTTPS creates and sets take besides the common ones.
macro_rules! copy_l7 {
    ($req:ident, $s:expr) => {
        copy_settings!($req, $s; health_check_timeout, health_check_domain, health_check_uri,
            health_check_http_code, health_check_method, sticky_session_type, cookie_timeout,
            cookie, x_forwarded_for_proto, x_forwarded_for_slbport,
            x_forwarded_for_client_src_port, idle_timeout, request_timeout);
    };
}

/// The settings TCP and UDP creates and sets take besides the common ones.
macro_rules! copy_l4 {
    ($req:ident, $s:expr) => {
        copy_settings!($req, $s; persistence_timeout, connection_drain,
            connection_drain_timeout, proxy_protocol_v2_enabled, health_check_connect_timeout);
        $req.health_check_switch = $s.health_check;
    };
}

/// The TCP-only settings.
macro_rules! copy_tcp {
    ($req:ident, $s:expr) => {
        copy_settings!($req, $s; established_timeout, health_check_type, health_check_domain,
            health_check_uri, health_check_http_code, health_check_method);
    };
}

/// The HTTPS-only settings.
macro_rules! copy_https {
    ($req:ident, $s:expr) => {
        copy_settings!($req, $s; server_certificate_id, tls_cipher_policy, enable_http2);
    };
}

/// Fills a request's identity fields from the spec.
macro_rules! request {
    ($ty:ident, $spec:expr) => {
        $ty {
            region_id: $spec.region_id.clone(),
            load_balancer_id: $spec.load_balancer_id.clone(),
            listener_port: $spec.listener_port,
            vserver_group_id: $spec.vserver_group_id.clone(),
            description: $spec.description.clone(),
            ..Default::default()
        }
    };
}

impl ListenerSpec {
    /// `VServerGroup=on` when a set names a group.
    fn group_switch(&self) -> Option<OnOff> {
        self.vserver_group_id.as_ref().map(|_| OnOff::On)
    }

    /// The bandwidth a create sends where it is required: the given one, else -1.
    fn required_bandwidth(&self) -> i32 {
        self.bandwidth.unwrap_or(-1)
    }

    /// `CreateLoadBalancerTCPListener`.
    pub fn create_tcp(&self) -> CreateTcpListenerRequest {
        let mut r = request!(CreateTcpListenerRequest, self);
        r.bandwidth = self.required_bandwidth();
        copy_common!(r, self.settings);
        copy_l4!(r, self.settings);
        copy_tcp!(r, self.settings);
        r
    }

    /// `SetLoadBalancerTCPListenerAttribute`.
    pub fn set_tcp(&self) -> SetTcpListenerAttributeRequest {
        let mut r = request!(SetTcpListenerAttributeRequest, self);
        r.vserver_group = self.group_switch();
        r.bandwidth = self.bandwidth;
        copy_common!(r, self.settings);
        copy_l4!(r, self.settings);
        copy_tcp!(r, self.settings);
        r
    }

    /// `CreateLoadBalancerUDPListener`.
    pub fn create_udp(&self) -> CreateUdpListenerRequest {
        let mut r = request!(CreateUdpListenerRequest, self);
        r.bandwidth = self.required_bandwidth();
        copy_common!(r, self.settings);
        copy_l4!(r, self.settings);
        r
    }

    /// `SetLoadBalancerUDPListenerAttribute`.
    pub fn set_udp(&self) -> SetUdpListenerAttributeRequest {
        let mut r = request!(SetUdpListenerAttributeRequest, self);
        r.vserver_group = self.group_switch();
        r.bandwidth = self.bandwidth;
        copy_common!(r, self.settings);
        copy_l4!(r, self.settings);
        r
    }

    /// `CreateLoadBalancerHTTPListener`: `HealthCheck` and `StickySession` are required and
    /// default to `off`; `Bandwidth` is optional here.
    pub fn create_http(&self) -> CreateHttpListenerRequest {
        let mut r = request!(CreateHttpListenerRequest, self);
        r.bandwidth = self.bandwidth;
        r.health_check = self.settings.health_check.unwrap_or(OnOff::Off);
        r.sticky_session = self.settings.sticky_session.unwrap_or(OnOff::Off);
        copy_common!(r, self.settings);
        copy_l7!(r, self.settings);
        copy_settings!(r, self.settings; listener_forward, forward_port);
        r
    }

    /// `SetLoadBalancerHTTPListenerAttribute` (the redirect settings are creation-only and
    /// are not sent).
    pub fn set_http(&self) -> SetHttpListenerAttributeRequest {
        let mut r = request!(SetHttpListenerAttributeRequest, self);
        r.vserver_group = self.group_switch();
        r.bandwidth = self.bandwidth;
        r.health_check = self.settings.health_check;
        r.sticky_session = self.settings.sticky_session;
        copy_common!(r, self.settings);
        copy_l7!(r, self.settings);
        r
    }

    /// `CreateLoadBalancerHTTPSListener`: `HealthCheck` and `StickySession` default to `off`.
    pub fn create_https(&self) -> CreateHttpsListenerRequest {
        let mut r = request!(CreateHttpsListenerRequest, self);
        r.bandwidth = self.required_bandwidth();
        r.health_check = self.settings.health_check.unwrap_or(OnOff::Off);
        r.sticky_session = self.settings.sticky_session.unwrap_or(OnOff::Off);
        copy_common!(r, self.settings);
        copy_l7!(r, self.settings);
        copy_https!(r, self.settings);
        r
    }

    /// `SetLoadBalancerHTTPSListenerAttribute`.
    pub fn set_https(&self) -> SetHttpsListenerAttributeRequest {
        let mut r = request!(SetHttpsListenerAttributeRequest, self);
        r.vserver_group = self.group_switch();
        r.bandwidth = self.bandwidth;
        r.health_check = self.settings.health_check;
        r.sticky_session = self.settings.sticky_session;
        copy_common!(r, self.settings);
        copy_l7!(r, self.settings);
        copy_https!(r, self.settings);
        r
    }
}

/// A described on/off value: `on`/`true` or `off`/`false`; anything else is not reported.
fn switch(s: &str) -> Option<OnOff> {
    match s {
        "on" | "true" => Some(OnOff::On),
        "off" | "false" => Some(OnOff::Off),
        _ => None,
    }
}

/// A described text value; empty is not reported.
fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

impl ListenerSettings {
    /// The settings a `DescribeLoadBalancerListeners` item reports: its own fields and those
    /// of its `<PROTOCOL>ListenerConfig`. Numbers in a config are always reported (0
    /// included); empty texts and unknown enum values are not. `None` for an unknown protocol.
    pub fn described(item: &ListenerItem) -> Option<(ListenerProtocol, Self)> {
        let protocol = item.protocol()?;
        let mut s = Self {
            scheduler: Scheduler::parse(&item.scheduler),
            acl_status: switch(&item.acl_status),
            acl_id: text(&item.acl_id),
            acl_type: AclType::parse(&item.acl_type),
            ..Self::default()
        };
        if let Some(c) = &item.tcp_listener_config {
            s.read_tcp(c);
        }
        if let Some(c) = &item.udp_listener_config {
            s.read_udp(c);
        }
        if let Some(c) = &item.http_listener_config {
            s.read_http(c);
        }
        if let Some(c) = &item.https_listener_config {
            s.read_https(c);
        }
        Some((protocol, s))
    }

    fn read_tcp(&mut self, c: &TcpListenerConfig) {
        self.persistence_timeout = Some(c.persistence_timeout);
        self.established_timeout = Some(c.established_timeout);
        self.connection_drain = switch(&c.connection_drain);
        self.connection_drain_timeout = Some(c.connection_drain_timeout);
        self.proxy_protocol_v2_enabled = Some(c.proxy_protocol_v2_enabled);
        self.health_check = switch(&c.health_check);
        self.health_check_type = HealthCheckType::parse(&c.health_check_type);
        self.health_check_connect_port = Some(c.health_check_connect_port);
        self.health_check_connect_timeout = Some(c.health_check_connect_timeout);
        self.health_check_interval = Some(c.health_check_interval);
        self.healthy_threshold = Some(c.healthy_threshold);
        self.unhealthy_threshold = Some(c.unhealthy_threshold);
        self.health_check_domain = text(&c.health_check_domain);
        self.health_check_uri = text(&c.health_check_uri);
        self.health_check_http_code = text(&c.health_check_http_code);
        self.health_check_method = text(&c.health_check_method);
    }

    fn read_udp(&mut self, c: &UdpListenerConfig) {
        self.persistence_timeout = Some(c.persistence_timeout);
        self.connection_drain = switch(&c.connection_drain);
        self.connection_drain_timeout = Some(c.connection_drain_timeout);
        self.proxy_protocol_v2_enabled = Some(c.proxy_protocol_v2_enabled);
        self.health_check = switch(&c.health_check).or_else(|| switch(&c.health_check_switch));
        self.health_check_connect_port = Some(c.health_check_connect_port);
        self.health_check_connect_timeout = Some(c.health_check_connect_timeout);
        self.health_check_interval = Some(c.health_check_interval);
        self.healthy_threshold = Some(c.healthy_threshold);
        self.unhealthy_threshold = Some(c.unhealthy_threshold);
    }
}

/// Reads the fields HTTP and HTTPS configs share (same names in both structs).
macro_rules! read_l7 {
    ($s:ident, $c:ident) => {
        $s.health_check = switch(&$c.health_check);
        $s.health_check_connect_port = Some($c.health_check_connect_port);
        $s.health_check_timeout = Some($c.health_check_timeout);
        $s.health_check_interval = Some($c.health_check_interval);
        $s.healthy_threshold = Some($c.healthy_threshold);
        $s.unhealthy_threshold = Some($c.unhealthy_threshold);
        $s.health_check_domain = text(&$c.health_check_domain);
        $s.health_check_uri = text(&$c.health_check_uri);
        $s.health_check_http_code = text(&$c.health_check_http_code);
        $s.health_check_method = text(&$c.health_check_method);
        $s.sticky_session = switch(&$c.sticky_session);
        $s.sticky_session_type = StickySessionType::parse(&$c.sticky_session_type);
        $s.cookie_timeout = Some($c.cookie_timeout);
        $s.cookie = text(&$c.cookie);
        $s.x_forwarded_for_proto = switch(&$c.x_forwarded_for_proto);
        $s.x_forwarded_for_slbport = switch(&$c.x_forwarded_for_slbport);
        $s.x_forwarded_for_client_src_port = switch(&$c.x_forwarded_for_client_src_port);
        $s.idle_timeout = Some($c.idle_timeout);
        $s.request_timeout = Some($c.request_timeout);
    };
}

impl ListenerSettings {
    fn read_http(&mut self, c: &HttpListenerConfig) {
        read_l7!(self, c);
        self.listener_forward = switch(&c.listener_forward);
        self.forward_port = Some(c.forward_port);
    }

    fn read_https(&mut self, c: &HttpsListenerConfig) {
        read_l7!(self, c);
        self.server_certificate_id = text(&c.server_certificate_id);
        self.tls_cipher_policy = text(&c.tls_cipher_policy);
        self.enable_http2 = switch(&c.enable_http2);
    }
}

#[cfg(test)]
mod tests;
