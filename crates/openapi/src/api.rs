//! The `Clb`, `Ecs` and `Vpc` traits: the only way the controller reaches a cloud. Three kinds of
//! implementation exist: the HTTP client (Alibaba or the local CLB server), the local engine
//! in process, and test fakes.
//!
//! Every method takes its typed request by reference (read-only) and returns the typed
//! response or an [`ApiError`]. The per-action contract (idempotency, `ClientToken`, what a
//! not-found means) is documented on each request type. A server parses its parameter map
//! into the typed request itself (`Action::from_params`, strict) and routes by action name;
//! the local CLB's dispatch table does that once per request.
//!
//! The action lists live in one macro each (`clb_actions!`, `ecs_actions!`, `vpc_actions!`) so the trait,
//! the `Arc` forwarding impl, the HTTP client and the local engine cannot drift apart.

use std::sync::Arc;

use async_trait::async_trait;

use crate::action::Action;
use crate::clb::*;
use crate::ecs::*;
use crate::error::{ApiError, codes};
use crate::vpc::*;

/// Calls `$m! { <args> ; method: Request, … }` with every CLB action.
#[macro_export]
#[doc(hidden)]
macro_rules! clb_actions {
    ($m:ident ! { $($args:tt)* }) => {
        $m! { $($args)* ;
            create_load_balancer: CreateLoadBalancerRequest,
            delete_load_balancer: DeleteLoadBalancerRequest,
            describe_load_balancers: DescribeLoadBalancersRequest,
            describe_load_balancer_attribute: DescribeLoadBalancerAttributeRequest,
            set_load_balancer_name: SetLoadBalancerNameRequest,
            set_load_balancer_delete_protection: SetLoadBalancerDeleteProtectionRequest,
            set_load_balancer_modification_protection: SetLoadBalancerModificationProtectionRequest,
            modify_load_balancer_internet_spec: ModifyLoadBalancerInternetSpecRequest,
            modify_load_balancer_instance_spec: ModifyLoadBalancerInstanceSpecRequest,
            modify_load_balancer_instance_charge_type: ModifyLoadBalancerInstanceChargeTypeRequest,
            set_load_balancer_status: SetLoadBalancerStatusRequest,
            create_tcp_listener: CreateTcpListenerRequest,
            set_tcp_listener_attribute: SetTcpListenerAttributeRequest,
            describe_tcp_listener_attribute: DescribeTcpListenerAttributeRequest,
            create_udp_listener: CreateUdpListenerRequest,
            set_udp_listener_attribute: SetUdpListenerAttributeRequest,
            describe_udp_listener_attribute: DescribeUdpListenerAttributeRequest,
            create_http_listener: CreateHttpListenerRequest,
            set_http_listener_attribute: SetHttpListenerAttributeRequest,
            describe_http_listener_attribute: DescribeHttpListenerAttributeRequest,
            create_https_listener: CreateHttpsListenerRequest,
            set_https_listener_attribute: SetHttpsListenerAttributeRequest,
            describe_https_listener_attribute: DescribeHttpsListenerAttributeRequest,
            start_listener: StartListenerRequest,
            stop_listener: StopListenerRequest,
            delete_listener: DeleteListenerRequest,
            describe_listeners: DescribeListenersRequest,
            describe_health_status: DescribeHealthStatusRequest,
            create_vserver_group: CreateVServerGroupRequest,
            delete_vserver_group: DeleteVServerGroupRequest,
            describe_vserver_groups: DescribeVServerGroupsRequest,
            describe_vserver_group_attribute: DescribeVServerGroupAttributeRequest,
            add_vserver_group_backend_servers: AddVServerGroupBackendServersRequest,
            remove_vserver_group_backend_servers: RemoveVServerGroupBackendServersRequest,
            set_vserver_group_attribute: SetVServerGroupAttributeRequest,
            modify_vserver_group_backend_servers: ModifyVServerGroupBackendServersRequest,
            tag_resources: TagResourcesRequest,
            untag_resources: UntagResourcesRequest,
            list_tag_resources: ListTagResourcesRequest,
            add_tags: AddTagsRequest,
            remove_tags: RemoveTagsRequest,
            describe_tags: DescribeTagsRequest,
            create_access_control_list: CreateAccessControlListRequest,
            delete_access_control_list: DeleteAccessControlListRequest,
            describe_access_control_lists: DescribeAccessControlListsRequest,
            describe_access_control_list_attribute: DescribeAccessControlListAttributeRequest,
            add_access_control_list_entry: AddAccessControlListEntryRequest,
            remove_access_control_list_entry: RemoveAccessControlListEntryRequest,
            set_access_control_list_attribute: SetAccessControlListAttributeRequest,
            upload_server_certificate: UploadServerCertificateRequest,
            describe_server_certificates: DescribeServerCertificatesRequest,
            delete_server_certificate: DeleteServerCertificateRequest,
            set_server_certificate_name: SetServerCertificateNameRequest,
            upload_ca_certificate: UploadCaCertificateRequest,
            describe_ca_certificates: DescribeCaCertificatesRequest,
            delete_ca_certificate: DeleteCaCertificateRequest,
            set_ca_certificate_name: SetCaCertificateNameRequest,
            create_domain_extension: CreateDomainExtensionRequest,
            describe_domain_extensions: DescribeDomainExtensionsRequest,
            describe_domain_extension_attribute: DescribeDomainExtensionAttributeRequest,
            set_domain_extension_attribute: SetDomainExtensionAttributeRequest,
            delete_domain_extension: DeleteDomainExtensionRequest,
        }
    };
}

/// Calls `$m! { <args> ; method: Request, … }` with every ECS action.
#[macro_export]
#[doc(hidden)]
macro_rules! ecs_actions {
    ($m:ident ! { $($args:tt)* }) => {
        $m! { $($args)* ;
            describe_instances: DescribeInstancesRequest,
            describe_network_interfaces: DescribeNetworkInterfacesRequest,
        }
    };
}

/// Calls `$m! { <args> ; method: Request, … }` with every VPC action.
#[macro_export]
#[doc(hidden)]
macro_rules! vpc_actions {
    ($m:ident ! { $($args:tt)* }) => {
        $m! { $($args)* ;
            describe_route_table_list: DescribeRouteTableListRequest,
            describe_route_entry_list: DescribeRouteEntryListRequest,
            create_route_entry: CreateRouteEntryRequest,
            create_route_entries: CreateRouteEntriesRequest,
            delete_route_entry: DeleteRouteEntryRequest,
            delete_route_entries: DeleteRouteEntriesRequest,
            allocate_eip_address: AllocateEipAddressRequest,
            associate_eip_address: AssociateEipAddressRequest,
            unassociate_eip_address: UnassociateEipAddressRequest,
            release_eip_address: ReleaseEipAddressRequest,
            describe_eip_addresses: DescribeEipAddressesRequest,
        }
    };
}

/// The error a trait implementation answers for an action it does not serve.
pub fn not_served(action: &str) -> ApiError {
    codes::INVALID_ACTION_NOT_FOUND.error_with(&format!("({action} is not served here)"))
}

macro_rules! define_trait {
    ($(#[$m:meta])* $trait:ident, $names:ident ; $($method:ident : $req:ident),* $(,)?) => {
        $(#[$m])*
        #[async_trait]
        pub trait $trait: Send + Sync {
            $(
                #[doc = concat!("Calls `", stringify!($req), "`'s action; its docs state the contract.")]
                ///
                /// The default answers `InvalidAction.NotFound` (404), as the service does for
                /// an action it does not serve, so fakes implement only what they need.
                ///
                /// # Errors
                /// The service's error, or a client-side `SDK.*` error.
                async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    let _ = req;
                    Err(not_served(<$req as Action>::NAME))
                }
            )*
        }

        #[async_trait]
        impl<T: $trait + ?Sized> $trait for Arc<T> {
            $(
                async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    (**self).$method(req).await
                }
            )*
        }

        /// Every action name this trait serves.
        pub const $names: &[&str] = &[$(<$req as Action>::NAME),*];
    };
}

clb_actions!(define_trait! {
    /// Classic Load Balancer (Slb 2014-05-15). Implementations must be cheap to share
    /// (`Arc<dyn Clb>`) and safe to call concurrently; ordering of mutations on one CLB is
    /// the caller's responsibility.
    Clb, CLB_ACTIONS
});

ecs_actions!(define_trait! {
    /// Elastic Compute Service (Ecs 2014-05-26), read-only node/pod lookups.
    Ecs, ECS_ACTIONS
});

vpc_actions!(define_trait! {
    /// Virtual Private Cloud (Vpc 2016-04-28): route tables and entries for pod CIDRs.
    Vpc, VPC_ACTIONS
});
