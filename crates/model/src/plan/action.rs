//! One [`Action`] = one CLB OpenAPI call with exactly its parameters.
//!
//! Ids that do not exist yet (the CLB or a group created earlier in the same plan) are
//! symbolic ([`LbRef::Created`], [`GroupRef::Pending`]); the executor resolves them from the
//! responses of the earlier calls as it goes.

use serde::{Deserialize, Serialize};

use crate::types::{BackendServer, ListenerAttributes, Protocol};

/// The CLB an action applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LbRef {
    /// The CLB created by this plan's `CreateLoadBalancer` (its `LoadBalancerId`).
    Created,
    /// An existing CLB.
    Id(String),
}

/// The vServer group an action applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupRef {
    /// Created earlier in this plan by `CreateVServerGroup` with this name.
    Pending(String),
    /// An existing group.
    Id(String),
}

/// Parameters of `CreateLoadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLoadBalancer {
    /// `AddressType`.
    pub address_type: String,
    /// `AddressIPVersion`.
    pub address_ip_version: String,
    /// `LoadBalancerName`.
    pub load_balancer_name: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `Address`.
    pub address: Option<String>,
    /// `MasterZoneId`.
    pub master_zone_id: Option<String>,
    /// `SlaveZoneId`.
    pub slave_zone_id: Option<String>,
    /// `LoadBalancerSpec`.
    pub load_balancer_spec: Option<String>,
    /// `InstanceChargeType`.
    pub instance_charge_type: String,
    /// `InternetChargeType`.
    pub internet_charge_type: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<u32>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DeleteProtection`.
    pub delete_protection: bool,
    /// `ModificationProtectionStatus`.
    pub modification_protection_status: String,
    /// `ModificationProtectionReason` (sent with `ConsoleProtection`).
    pub modification_protection_reason: Option<String>,
    /// `Tag.N.Key`/`Tag.N.Value`: ownership tags first, then additional ones.
    pub tags: Vec<(String, String)>,
    /// `ClientToken`: the default CLB name, so a retried create (even after a restart)
    /// returns the same CLB instead of a second one.
    pub client_token: String,
}

/// Parameters of `Create…Listener` and `Set…ListenerAttribute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerParams {
    /// `LoadBalancerId`.
    pub load_balancer: LbRef,
    /// `ListenerPort`.
    pub listener_port: u16,
    /// `VServerGroupId` (on Set, sent with `VServerGroup=on`); `None` = unchanged.
    pub vserver_group: Option<GroupRef>,
    /// `Description`; `None` = unchanged.
    pub description: Option<String>,
    /// `Bandwidth` (create only).
    pub bandwidth: Option<i32>,
    /// Attributes to set (on Set, only the changed ones).
    pub attributes: ListenerAttributes,
}

/// One CLB OpenAPI call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields are the OpenAPI parameters of the same name
pub enum Action {
    /// `CreateLoadBalancer`.
    CreateLoadBalancer(CreateLoadBalancer),
    /// `SetLoadBalancerName`.
    SetLoadBalancerName {
        load_balancer: LbRef,
        load_balancer_name: String,
    },
    /// `ModifyLoadBalancerInternetSpec`.
    ModifyLoadBalancerInternetSpec {
        load_balancer: LbRef,
        internet_charge_type: Option<String>,
        bandwidth: Option<u32>,
    },
    /// `ModifyLoadBalancerInstanceSpec`.
    ModifyLoadBalancerInstanceSpec {
        load_balancer: LbRef,
        load_balancer_spec: String,
    },
    /// `ModifyLoadBalancerInstanceChargeType` (PayBySpec → PayByCLCU only).
    ModifyLoadBalancerInstanceChargeType {
        load_balancer: LbRef,
        instance_charge_type: String,
    },
    /// `SetLoadBalancerDeleteProtection`.
    SetLoadBalancerDeleteProtection {
        load_balancer: LbRef,
        delete_protection: bool,
    },
    /// `SetLoadBalancerModificationProtection`.
    SetLoadBalancerModificationProtection {
        load_balancer: LbRef,
        modification_protection_status: String,
        modification_protection_reason: Option<String>,
    },
    /// `TagResources` (`ResourceType=instance`), at most 20 tags.
    TagResources {
        load_balancer: LbRef,
        tags: Vec<(String, String)>,
    },
    /// `UntagResources` (`ResourceType=instance`), at most 20 keys.
    UntagResources {
        load_balancer: LbRef,
        tag_keys: Vec<String>,
    },
    /// `CreateVServerGroup` with the first batch of members (the Go CCM creates it empty and
    /// adds every batch afterwards: one call more per group); further batches are added next.
    CreateVServerGroup {
        load_balancer: LbRef,
        vserver_group_name: String,
        backend_servers: Vec<BackendServer>,
    },
    /// `AddVServerGroupBackendServers` (one batch).
    AddVServerGroupBackendServers {
        vserver_group: GroupRef,
        backend_servers: Vec<BackendServer>,
    },
    /// `RemoveVServerGroupBackendServers` (one batch).
    RemoveVServerGroupBackendServers {
        vserver_group: GroupRef,
        backend_servers: Vec<BackendServer>,
    },
    /// `SetVServerGroupAttribute`: weight/description changes of existing members (one batch).
    SetVServerGroupAttribute {
        vserver_group: GroupRef,
        backend_servers: Vec<BackendServer>,
    },
    /// `DeleteVServerGroup`.
    DeleteVServerGroup { vserver_group_id: String },
    /// `CreateLoadBalancerTCPListener`.
    CreateLoadBalancerTcpListener(ListenerParams),
    /// `CreateLoadBalancerUDPListener`.
    CreateLoadBalancerUdpListener(ListenerParams),
    /// `CreateLoadBalancerHTTPListener`.
    CreateLoadBalancerHttpListener(ListenerParams),
    /// `CreateLoadBalancerHTTPSListener`.
    CreateLoadBalancerHttpsListener(ListenerParams),
    /// `SetLoadBalancerTCPListenerAttribute`.
    SetLoadBalancerTcpListenerAttribute(ListenerParams),
    /// `SetLoadBalancerUDPListenerAttribute`.
    SetLoadBalancerUdpListenerAttribute(ListenerParams),
    /// `SetLoadBalancerHTTPListenerAttribute`.
    SetLoadBalancerHttpListenerAttribute(ListenerParams),
    /// `SetLoadBalancerHTTPSListenerAttribute`.
    SetLoadBalancerHttpsListenerAttribute(ListenerParams),
    /// `StartLoadBalancerListener`.
    StartLoadBalancerListener {
        load_balancer: LbRef,
        listener_port: u16,
        listener_protocol: Protocol,
    },
    /// `StopLoadBalancerListener`.
    StopLoadBalancerListener {
        load_balancer: LbRef,
        listener_port: u16,
        listener_protocol: Protocol,
    },
    /// `DeleteLoadBalancerListener`.
    DeleteLoadBalancerListener {
        load_balancer: LbRef,
        listener_port: u16,
        listener_protocol: Protocol,
    },
    /// `DeleteLoadBalancer`.
    DeleteLoadBalancer { load_balancer_id: String },
    /// `CreateDomainExtension` on the HTTPS listener `listener_port`.
    CreateDomainExtension {
        load_balancer: LbRef,
        listener_port: u16,
        domain: String,
        server_certificate_id: String,
    },
    /// `SetDomainExtensionAttribute`: the certificate of an existing extension.
    SetDomainExtensionAttribute {
        domain_extension_id: String,
        server_certificate_id: String,
    },
    /// `DeleteDomainExtension`.
    DeleteDomainExtension { domain_extension_id: String },
}

impl Action {
    /// `Create…Listener` for `protocol`.
    pub fn create_listener(protocol: Protocol, params: ListenerParams) -> Action {
        match protocol {
            Protocol::Tcp => Action::CreateLoadBalancerTcpListener(params),
            Protocol::Udp => Action::CreateLoadBalancerUdpListener(params),
            Protocol::Http => Action::CreateLoadBalancerHttpListener(params),
            Protocol::Https => Action::CreateLoadBalancerHttpsListener(params),
        }
    }

    /// `Set…ListenerAttribute` for `protocol`.
    pub fn set_listener(protocol: Protocol, params: ListenerParams) -> Action {
        match protocol {
            Protocol::Tcp => Action::SetLoadBalancerTcpListenerAttribute(params),
            Protocol::Udp => Action::SetLoadBalancerUdpListenerAttribute(params),
            Protocol::Http => Action::SetLoadBalancerHttpListenerAttribute(params),
            Protocol::Https => Action::SetLoadBalancerHttpsListenerAttribute(params),
        }
    }

    /// The listener a `Create…`/`Set…` action targets: its protocol and parameters.
    pub fn listener_params(&self) -> Option<(Protocol, &ListenerParams)> {
        use Action as A;
        match self {
            A::CreateLoadBalancerTcpListener(p) | A::SetLoadBalancerTcpListenerAttribute(p) => {
                Some((Protocol::Tcp, p))
            }
            A::CreateLoadBalancerUdpListener(p) | A::SetLoadBalancerUdpListenerAttribute(p) => {
                Some((Protocol::Udp, p))
            }
            A::CreateLoadBalancerHttpListener(p) | A::SetLoadBalancerHttpListenerAttribute(p) => {
                Some((Protocol::Http, p))
            }
            A::CreateLoadBalancerHttpsListener(p) | A::SetLoadBalancerHttpsListenerAttribute(p) => {
                Some((Protocol::Https, p))
            }
            _ => None,
        }
    }

    /// True for the `Create…Listener` variants.
    pub fn is_listener_create(&self) -> bool {
        matches!(
            self,
            Action::CreateLoadBalancerTcpListener(_)
                | Action::CreateLoadBalancerUdpListener(_)
                | Action::CreateLoadBalancerHttpListener(_)
                | Action::CreateLoadBalancerHttpsListener(_)
        )
    }

    /// The OpenAPI action name (for logs, metrics and call counting).
    pub fn api_name(&self) -> &'static str {
        use Action as A;
        match self {
            A::CreateLoadBalancer(_) => "CreateLoadBalancer",
            A::SetLoadBalancerName { .. } => "SetLoadBalancerName",
            A::ModifyLoadBalancerInternetSpec { .. } => "ModifyLoadBalancerInternetSpec",
            A::ModifyLoadBalancerInstanceSpec { .. } => "ModifyLoadBalancerInstanceSpec",
            A::ModifyLoadBalancerInstanceChargeType { .. } => {
                "ModifyLoadBalancerInstanceChargeType"
            }
            A::SetLoadBalancerDeleteProtection { .. } => "SetLoadBalancerDeleteProtection",
            A::SetLoadBalancerModificationProtection { .. } => {
                "SetLoadBalancerModificationProtection"
            }
            A::TagResources { .. } => "TagResources",
            A::UntagResources { .. } => "UntagResources",
            A::CreateVServerGroup { .. } => "CreateVServerGroup",
            A::AddVServerGroupBackendServers { .. } => "AddVServerGroupBackendServers",
            A::RemoveVServerGroupBackendServers { .. } => "RemoveVServerGroupBackendServers",
            A::SetVServerGroupAttribute { .. } => "SetVServerGroupAttribute",
            A::DeleteVServerGroup { .. } => "DeleteVServerGroup",
            A::CreateLoadBalancerTcpListener(_) => "CreateLoadBalancerTCPListener",
            A::CreateLoadBalancerUdpListener(_) => "CreateLoadBalancerUDPListener",
            A::CreateLoadBalancerHttpListener(_) => "CreateLoadBalancerHTTPListener",
            A::CreateLoadBalancerHttpsListener(_) => "CreateLoadBalancerHTTPSListener",
            A::SetLoadBalancerTcpListenerAttribute(_) => "SetLoadBalancerTCPListenerAttribute",
            A::SetLoadBalancerUdpListenerAttribute(_) => "SetLoadBalancerUDPListenerAttribute",
            A::SetLoadBalancerHttpListenerAttribute(_) => "SetLoadBalancerHTTPListenerAttribute",
            A::SetLoadBalancerHttpsListenerAttribute(_) => "SetLoadBalancerHTTPSListenerAttribute",
            A::StartLoadBalancerListener { .. } => "StartLoadBalancerListener",
            A::StopLoadBalancerListener { .. } => "StopLoadBalancerListener",
            A::DeleteLoadBalancerListener { .. } => "DeleteLoadBalancerListener",
            A::DeleteLoadBalancer { .. } => "DeleteLoadBalancer",
            A::CreateDomainExtension { .. } => "CreateDomainExtension",
            A::SetDomainExtensionAttribute { .. } => "SetDomainExtensionAttribute",
            A::DeleteDomainExtension { .. } => "DeleteDomainExtension",
        }
    }
}
