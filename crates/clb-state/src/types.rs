//! Vocabulary of a CLB's state and of the writes that change it: protocols, backend types,
//! group members and the configurable listener attributes. slb-model re-exports it as
//! `slb_model::types` (its desired state and plan speak the same words).
//!
//! Field names follow the CLB OpenAPI (`HealthCheckInterval` → `health_check_interval`) so
//! the mapping to wire parameters is mechanical. On/off parameters are `bool` here; the wire
//! client writes them as `"on"`/`"off"`. Nothing here knows about Services.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A listener protocol (`ListenerProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Layer-4 TCP.
    Tcp,
    /// Layer-4 UDP.
    Udp,
    /// Layer-7 HTTP.
    Http,
    /// Layer-7 HTTPS.
    Https,
}

impl Protocol {
    /// Every protocol, in wire order.
    pub const ALL: [Protocol; 4] = [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Http,
        Protocol::Https,
    ];

    /// The lowercase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }

    /// Parses a wire or Kubernetes name, case-insensitively (`TCP`, `tcp`, …).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
    }

    /// True when two listeners of these protocols cannot share a port (all but UDP ride on
    /// TCP, so only a TCP-family/UDP pair may coexist on one port).
    pub fn clashes_with(self, other: Protocol) -> bool {
        (self == Protocol::Udp) == (other == Protocol::Udp)
    }

    fn bit(self) -> u8 {
        match self {
            Protocol::Tcp => TCP,
            Protocol::Udp => UDP,
            Protocol::Http => HTTP,
            Protocol::Https => HTTPS,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Backend server type (`Type` in `BackendServers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendType {
    /// An ECS instance (a node); `ServerId` is `i-…`.
    Ecs,
    /// An elastic network interface (a pod IP in ENI mode); `ServerId` is `eni-…`.
    Eni,
    /// An elastic container instance.
    Eci,
}

impl BackendType {
    /// The lowercase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendType::Ecs => "ecs",
            BackendType::Eni => "eni",
            BackendType::Eci => "eci",
        }
    }
}

/// One member of a vServer group, as sent in and read from `BackendServers`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BackendServer {
    /// `i-…` (ECS), `eni-…` (ENI) or `eci-…`. In ENI mode before ENI resolution the
    /// controller may put the pod IP here (slb-model's `DesiredLb::resolve_enis`).
    pub server_id: String,
    /// `ecs`, `eni` or `eci`.
    pub r#type: BackendType,
    /// The ENI/ECI IP (member key for eni/eci); `None` for ECS.
    pub server_ip: Option<String>,
    /// Backend port (NodePort in ECS modes, targetPort in ENI mode).
    pub port: u16,
    /// 0–100; 0 receives no new connections.
    pub weight: u32,
    /// The owning group's named key when added by a Service; anything else is user managed.
    pub description: String,
}

/// Identity of a group member: `(ServerId, Port)` for ECS, plus `ServerIp` for ENI/ECI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberKey {
    /// `ServerId`.
    pub server_id: String,
    /// `ServerIp` for eni/eci, `None` for ecs.
    pub server_ip: Option<String>,
    /// `Port`.
    pub port: u16,
}

/// A borrowed [`MemberKey`], for diffs that should not allocate.
pub type MemberKeyRef<'a> = (&'a str, Option<&'a str>, u16);

impl BackendServer {
    /// [`BackendServer::key`] without allocating.
    pub fn key_ref(&self) -> MemberKeyRef<'_> {
        let ip = match self.r#type {
            BackendType::Ecs => None,
            BackendType::Eni | BackendType::Eci => self.server_ip.as_deref(),
        };
        (&self.server_id, ip, self.port)
    }

    /// The member identity used to diff groups (same rule as the CLB API and reference CCM).
    pub fn key(&self) -> MemberKey {
        MemberKey {
            server_id: self.server_id.clone(),
            server_ip: match self.r#type {
                BackendType::Ecs => None,
                BackendType::Eni | BackendType::Eci => self.server_ip.clone(),
            },
            port: self.port,
        }
    }
}

const TCP: u8 = 1;
const UDP: u8 = 2;
const HTTP: u8 = 4;
const HTTPS: u8 = 8;
const L4: u8 = TCP | UDP;
const L7: u8 = HTTP | HTTPS;
const ALL: u8 = L4 | L7;

macro_rules! listener_attributes {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty => $mask:expr ),* $(,)?) => {
        /// The configurable attributes of a listener. `None` means "not managed" in the
        /// desired state and "not reported" in the observed state.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub struct ListenerAttributes {
            $( $(#[$doc])* pub $field: Option<$ty>, )*
        }

        impl ListenerAttributes {
            /// The fields set in `self` whose value differs from `observed`: exactly what a
            /// `Set…ListenerAttribute` call must send.
            pub fn changed_from(&self, observed: &ListenerAttributes) -> ListenerAttributes {
                ListenerAttributes {
                    $( $field: match (&self.$field, &observed.$field) {
                        (Some(want), Some(have)) if want == have => None,
                        (want, _) => want.clone(),
                    }, )*
                }
            }

            /// Copies every field set in `update` over `self` (what a successful
            /// `Set…ListenerAttribute` does to the listener).
            pub fn overlay(&mut self, update: &ListenerAttributes) {
                $( if let Some(v) = &update.$field { self.$field = Some(v.clone()); } )*
            }

            /// True when no field is set.
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_none() )*
            }

            /// Drops the fields the CLB API does not accept for `protocol`.
            pub fn retain_for(&mut self, protocol: Protocol) {
                $( if ($mask) & protocol.bit() == 0 { self.$field = None; } )*
            }

            /// Names of the fields that are set (for notes and error messages).
            pub fn set_fields(&self) -> Vec<&'static str> {
                let mut out = Vec::new();
                $( if self.$field.is_some() { out.push(stringify!($field)); } )*
                out
            }
        }
    };
}

listener_attributes! {
    /// `Scheduler`: `wrr`, `rr`, `wlc`, `sch`, `tch`.
    scheduler: String => ALL,
    /// `PersistenceTimeout` seconds (0 = off).
    persistence_timeout: u32 => L4,
    /// `EstablishedTimeout` seconds.
    established_timeout: u32 => TCP,
    /// `IdleTimeout` seconds.
    idle_timeout: u32 => L7,
    /// `RequestTimeout` seconds.
    request_timeout: u32 => L7,
    /// `ConnectionDrain`.
    connection_drain: bool => L4,
    /// `ConnectionDrainTimeout` seconds.
    connection_drain_timeout: u32 => L4,
    /// `ProxyProtocolV2Enabled`.
    proxy_protocol_v2_enabled: bool => L4,
    /// `AclStatus`.
    acl_status: bool => ALL,
    /// `AclId` (comma list, compared as written).
    acl_id: String => ALL,
    /// `AclType`: `white` or `black`.
    acl_type: String => ALL,
    /// `StickySession`.
    sticky_session: bool => L7,
    /// `StickySessionType`: `insert` or `server`.
    sticky_session_type: String => L7,
    /// `CookieTimeout` seconds.
    cookie_timeout: u32 => L7,
    /// `Cookie` name.
    cookie: String => L7,
    /// `XForwardedFor_proto`.
    x_forwarded_for_proto: bool => L7,
    /// `XForwardedFor_SLBPORT`.
    x_forwarded_for_slbport: bool => L7,
    /// `XForwardedFor_ClientSrcPort`.
    x_forwarded_for_client_src_port: bool => L7,
    /// `HealthCheckSwitch` (tcp/udp) or `HealthCheck` (http/https).
    health_check: bool => ALL,
    /// `HealthCheckType`: `tcp` or `http`.
    health_check_type: String => TCP,
    /// `HealthCheckURI`.
    health_check_uri: String => TCP | L7,
    /// `HealthCheckDomain`.
    health_check_domain: String => TCP | L7,
    /// `HealthCheckHttpCode`.
    health_check_http_code: String => TCP | L7,
    /// `HealthCheckConnectPort`.
    health_check_connect_port: i32 => ALL,
    /// `HealthyThreshold`.
    healthy_threshold: u32 => ALL,
    /// `UnhealthyThreshold`.
    unhealthy_threshold: u32 => ALL,
    /// `HealthCheckInterval` seconds.
    health_check_interval: u32 => ALL,
    /// `HealthCheckConnectTimeout` seconds.
    health_check_connect_timeout: u32 => L4,
    /// `HealthCheckTimeout` seconds.
    health_check_timeout: u32 => L7,
    /// `HealthCheckMethod`: `head` or `get`.
    health_check_method: String => L7,
    /// `ServerCertificateId`.
    server_certificate_id: String => HTTPS,
    /// `TLSCipherPolicy`.
    tls_cipher_policy: String => HTTPS,
    /// `EnableHttp2`.
    enable_http2: bool => HTTPS,
    /// `ListenerForward` (HTTP → HTTPS redirect).
    listener_forward: bool => HTTP,
    /// `ForwardPort` (the HTTPS port redirected to).
    forward_port: u16 => HTTP,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_from_keeps_only_differing_managed_fields() {
        let want = ListenerAttributes {
            scheduler: Some("wrr".into()),
            health_check_interval: Some(5),
            ..Default::default()
        };
        let have = ListenerAttributes {
            scheduler: Some("wrr".into()),
            health_check_interval: Some(2),
            acl_status: Some(true),
            ..Default::default()
        };
        let diff = want.changed_from(&have);
        assert_eq!(diff.set_fields(), vec!["health_check_interval"]);
        let mut applied = have.clone();
        applied.overlay(&diff);
        assert!(want.changed_from(&applied).is_empty());
    }

    #[test]
    fn retain_for_drops_fields_the_protocol_does_not_take() {
        let mut a = ListenerAttributes {
            established_timeout: Some(60),
            idle_timeout: Some(10),
            scheduler: Some("wrr".into()),
            ..Default::default()
        };
        a.retain_for(Protocol::Udp);
        assert_eq!(a.set_fields(), vec!["scheduler"]);
    }

    #[test]
    fn only_udp_and_tcp_family_may_share_a_port() {
        assert!(Protocol::Tcp.clashes_with(Protocol::Http));
        assert!(Protocol::Udp.clashes_with(Protocol::Udp));
        assert!(!Protocol::Tcp.clashes_with(Protocol::Udp));
    }

    #[test]
    fn eni_members_are_keyed_by_ip_too() {
        let b = |ip: &str| BackendServer {
            server_id: "eni-1".into(),
            r#type: BackendType::Eni,
            server_ip: Some(ip.into()),
            port: 80,
            weight: 100,
            description: String::new(),
        };
        assert_ne!(b("10.0.0.1").key(), b("10.0.0.2").key());
    }
}
