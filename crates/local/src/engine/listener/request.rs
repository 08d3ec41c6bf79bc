//! [`ListenerRequest`]: what the listener create and set handlers read of their typed
//! request besides the protocol settings, implemented once per protocol for the eight
//! `Create…Listener` / `Set…ListenerAttribute` requests of slb-openapi.
//!
//! Not here: the settings themselves (read by wire name through `Action::param`, see
//! `settings`) and the rules (see the parent module).

use slb_openapi::Action;
use slb_openapi::clb::{
    CreateHttpListenerRequest, CreateHttpsListenerRequest, CreateTcpListenerRequest,
    CreateUdpListenerRequest, SetHttpListenerAttributeRequest, SetHttpsListenerAttributeRequest,
    SetTcpListenerAttributeRequest, SetUdpListenerAttributeRequest,
};
use slb_openapi::types::{OnOff, Scheduler, Tag};

/// A listener create or set request of one protocol.
pub(crate) trait ListenerRequest: Action {
    /// The engine's protocol name: `tcp`, `udp`, `http` or `https`.
    const PROTOCOL: &'static str;
    /// `LoadBalancerId`.
    fn load_balancer_id(&self) -> &str;
    /// `ListenerPort`.
    fn listener_port(&self) -> u16;
    /// `BackendServerPort` (the TCP and UDP sets take none).
    fn backend_server_port(&self) -> Option<u16>;
    /// `VServerGroupId`.
    fn vserver_group_id(&self) -> Option<&str>;
    /// `VServerGroup` (sets only).
    fn vserver_group(&self) -> Option<OnOff>;
    /// `Bandwidth`.
    fn bandwidth(&self) -> Option<i32>;
    /// `Scheduler`.
    fn scheduler(&self) -> Option<Scheduler>;
    /// `Description`.
    fn description(&self) -> Option<&str>;
    /// `Tag.N` (creates only).
    fn tags(&self) -> &[Tag];
}

/// Implements [`ListenerRequest`]; each accessor is an expression over `r`, the request.
macro_rules! listener_request {
    ($req:ty, $protocol:literal, |$r:ident| {
        backend_server_port: $port:expr,
        vserver_group: $switch:expr,
        bandwidth: $bandwidth:expr,
        tags: $tags:expr $(,)?
    }) => {
        impl ListenerRequest for $req {
            const PROTOCOL: &'static str = $protocol;
            fn load_balancer_id(&self) -> &str {
                &self.load_balancer_id
            }
            fn listener_port(&self) -> u16 {
                self.listener_port
            }
            fn backend_server_port(&self) -> Option<u16> {
                let $r = self;
                $port
            }
            fn vserver_group_id(&self) -> Option<&str> {
                self.vserver_group_id.as_deref()
            }
            fn vserver_group(&self) -> Option<OnOff> {
                let $r = self;
                $switch
            }
            fn bandwidth(&self) -> Option<i32> {
                let $r = self;
                $bandwidth
            }
            fn scheduler(&self) -> Option<Scheduler> {
                self.scheduler
            }
            fn description(&self) -> Option<&str> {
                self.description.as_deref()
            }
            fn tags(&self) -> &[Tag] {
                let $r = self;
                $tags
            }
        }
    };
}

listener_request!(CreateTcpListenerRequest, "tcp", |r| {
    backend_server_port: r.backend_server_port,
    vserver_group: { let _ = r; None },
    bandwidth: Some(r.bandwidth),
    tags: &r.tags,
});
listener_request!(CreateUdpListenerRequest, "udp", |r| {
    backend_server_port: r.backend_server_port,
    vserver_group: { let _ = r; None },
    bandwidth: Some(r.bandwidth),
    tags: &r.tags,
});
listener_request!(CreateHttpListenerRequest, "http", |r| {
    backend_server_port: r.backend_server_port,
    vserver_group: { let _ = r; None },
    bandwidth: r.bandwidth,
    tags: &r.tags,
});
listener_request!(CreateHttpsListenerRequest, "https", |r| {
    backend_server_port: r.backend_server_port,
    vserver_group: { let _ = r; None },
    bandwidth: Some(r.bandwidth),
    tags: &r.tags,
});
listener_request!(SetTcpListenerAttributeRequest, "tcp", |r| {
    backend_server_port: { let _ = r; None },
    vserver_group: r.vserver_group,
    bandwidth: r.bandwidth,
    tags: { let _ = r; &[] },
});
listener_request!(SetUdpListenerAttributeRequest, "udp", |r| {
    backend_server_port: { let _ = r; None },
    vserver_group: r.vserver_group,
    bandwidth: r.bandwidth,
    tags: { let _ = r; &[] },
});
listener_request!(SetHttpListenerAttributeRequest, "http", |r| {
    backend_server_port: r.backend_server_port,
    vserver_group: r.vserver_group,
    bandwidth: r.bandwidth,
    tags: { let _ = r; &[] },
});
listener_request!(SetHttpsListenerAttributeRequest, "https", |r| {
    backend_server_port: r.backend_server_port,
    vserver_group: r.vserver_group,
    bandwidth: r.bandwidth,
    tags: { let _ = r; &[] },
});
