//! [`Served`]: every typed request the engine answers, each tied to its handler
//! `fn(&State, &Ctx, &Request) -> Result<Outcome, ApiError>`. The HTTP server reaches them
//! through the dispatch table (one strict parse of the parameter map), the in-process traits
//! directly with the caller's request.
//!
//! This module holds no rules; it only ties types to handlers.

use slb_openapi::Action;
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::error::ApiError;
use slb_openapi::local_admin::*;
use slb_openapi::vpc::*;

use super::{Ctx, Outcome, State};
use super::{
    acl, admin, cert, domain_ext, ecs, eip, health, lb, listener, regions, tags, vgroup, vpc,
};

/// A typed request the engine answers.
pub(crate) trait Served: Action {
    /// Answers the request against `state`.
    ///
    /// # Errors
    /// The handler's [`ApiError`].
    fn answer(&self, state: &State, cx: &Ctx<'_>) -> Result<Outcome, ApiError>;
}

/// Ties each request type to its handler.
macro_rules! served {
    ($($req:ty => $handler:path),* $(,)?) => {
        $(
            impl Served for $req {
                fn answer(&self, state: &State, cx: &Ctx<'_>) -> Result<Outcome, ApiError> {
                    $handler(state, cx, self)
                }
            }
        )*
    };
}

served!(
    CreateDomainExtensionRequest => domain_ext::create,
    DescribeDomainExtensionsRequest => domain_ext::describe_list,
    DescribeDomainExtensionAttributeRequest => domain_ext::describe_attribute,
    SetDomainExtensionAttributeRequest => domain_ext::set_attribute,
    DeleteDomainExtensionRequest => domain_ext::delete,
);

served!(
    DescribeHealthStatusRequest => health::describe,
);

served!(
    DescribeInstancesRequest => ecs::describe_instances,
    DescribeNetworkInterfacesRequest => ecs::describe_network_interfaces,
);

served!(
    CreateAccessControlListRequest => acl::create,
    DeleteAccessControlListRequest => acl::delete,
    DescribeAccessControlListsRequest => acl::describe_list,
    DescribeAccessControlListAttributeRequest => acl::describe_attribute,
    AddAccessControlListEntryRequest => acl::add_entries,
    RemoveAccessControlListEntryRequest => acl::remove_entries,
    SetAccessControlListAttributeRequest => acl::set_attribute,
);

served!(
    UploadServerCertificateRequest => cert::upload_server,
    DescribeServerCertificatesRequest => cert::describe_server,
    DeleteServerCertificateRequest => cert::delete_server,
    SetServerCertificateNameRequest => cert::set_server_name,
    UploadCaCertificateRequest => cert::upload_ca,
    DescribeCaCertificatesRequest => cert::describe_ca,
    DeleteCaCertificateRequest => cert::delete_ca,
    SetCaCertificateNameRequest => cert::set_ca_name,
);

served!(
    CreateVServerGroupRequest => vgroup::create,
    DeleteVServerGroupRequest => vgroup::delete,
    DescribeVServerGroupsRequest => vgroup::describe_list,
    DescribeVServerGroupAttributeRequest => vgroup::describe_attribute,
    AddVServerGroupBackendServersRequest => vgroup::add_backends,
    RemoveVServerGroupBackendServersRequest => vgroup::remove_backends,
    SetVServerGroupAttributeRequest => vgroup::set_attribute,
    ModifyVServerGroupBackendServersRequest => vgroup::modify_backends,
);

served!(
    AllocateEipAddressRequest => eip::allocate_eip,
    AssociateEipAddressRequest => eip::associate,
    UnassociateEipAddressRequest => eip::unassociate,
    ReleaseEipAddressRequest => eip::release,
    DescribeEipAddressesRequest => eip::describe_eips,
);

served!(
    DescribeRouteTableListRequest => vpc::describe_route_table_list,
    DescribeRouteEntryListRequest => vpc::describe_route_entry_list,
    CreateRouteEntryRequest => vpc::create_route_entry,
    CreateRouteEntriesRequest => vpc::create_route_entries,
    DeleteRouteEntryRequest => vpc::delete_route_entry,
    DeleteRouteEntriesRequest => vpc::delete_route_entries,
);

served!(
    CreateLoadBalancerRequest => lb::create,
    DeleteLoadBalancerRequest => lb::delete,
    DescribeLoadBalancersRequest => lb::describe_list,
    DescribeLoadBalancerAttributeRequest => lb::describe_attribute,
    SetLoadBalancerNameRequest => lb::set_name,
    SetLoadBalancerDeleteProtectionRequest => lb::set_delete_protection,
    SetLoadBalancerModificationProtectionRequest => lb::set_modification_protection,
    ModifyLoadBalancerInternetSpecRequest => lb::modify_internet_spec,
    ModifyLoadBalancerInstanceSpecRequest => lb::modify_instance_spec,
    ModifyLoadBalancerInstanceChargeTypeRequest => lb::modify_instance_charge_type,
    SetLoadBalancerStatusRequest => lb::set_status,
);

served!(
    TagResourcesRequest => tags::tag_resources,
    UntagResourcesRequest => tags::untag_resources,
    ListTagResourcesRequest => tags::list_tag_resources,
    AddTagsRequest => tags::add_tags,
    RemoveTagsRequest => tags::remove_tags,
    DescribeTagsRequest => tags::describe_tags,
);

served!(
    DescribeTcpListenerAttributeRequest => listener::describe_tcp,
    DescribeUdpListenerAttributeRequest => listener::describe_udp,
    DescribeHttpListenerAttributeRequest => listener::describe_http,
    DescribeHttpsListenerAttributeRequest => listener::describe_https,
    StartListenerRequest => listener::start,
    StopListenerRequest => listener::stop,
    DeleteListenerRequest => listener::delete,
    DescribeListenersRequest => listener::describe_list,
    CreateTcpListenerRequest => listener::create,
    CreateUdpListenerRequest => listener::create,
    CreateHttpListenerRequest => listener::create,
    CreateHttpsListenerRequest => listener::create,
    SetTcpListenerAttributeRequest => listener::set,
    SetUdpListenerAttributeRequest => listener::set,
    SetHttpListenerAttributeRequest => listener::set,
    SetHttpsListenerAttributeRequest => listener::set,
);

served!(
    DescribeRegionsRequest => regions::describe_regions,
    DescribeZonesRequest => regions::describe_zones,
    DescribeAvailableResourceRequest => regions::describe_available_resource,
);

served!(
    LocalPutInstancesRequest => admin::put_instances,
    LocalDeleteInstancesRequest => admin::delete_instances,
    LocalPutNetworkInterfacesRequest => admin::put_network_interfaces,
    LocalDeleteNetworkInterfacesRequest => admin::delete_network_interfaces,
    LocalSetFaultsRequest => admin::set_faults,
    LocalDescribeFaultsRequest => admin::describe_faults,
    LocalSetLoadBalancerStatusRequest => admin::set_load_balancer_status,
);
