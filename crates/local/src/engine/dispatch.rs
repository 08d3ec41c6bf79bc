//! The action table: every action the local CLB answers, its family (which decides the
//! accepted `Version`) and its handler. An action not listed is `InvalidAction.NotFound`.
//!
//! This module holds no rules; it only routes.

use super::{Handler, admin, ecs, health, lb, listener, tags, vgroup, vpc};
use super::{acl, cert, domain_ext};
use super::{eip, regions};
use slb_openapi::Action;
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::error::ApiError;
use slb_openapi::params::Params;
use slb_openapi::vpc::*;

/// Which API an action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// CLB, `Version=2014-05-15`.
    Slb,
    /// ECS, `Version=2014-05-26`.
    Ecs,
    /// VPC route tables and EIPs, `Version=2016-04-28`.
    Vpc,
    /// Local-only administration (`Local…`); accepts either version. Never an Alibaba action.
    Admin,
}

impl Family {
    /// The accepted `Version` values.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            Self::Slb => &["2014-05-15"],
            Self::Ecs => &["2014-05-26"],
            Self::Vpc => &["2016-04-28"],
            Self::Admin => &["2014-05-15", "2014-05-26"],
        }
    }
}

/// One routable action.
#[derive(Debug, Clone, Copy)]
pub struct ActionInfo {
    /// The `Action` value.
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    pub(crate) handler: Handler,
}

macro_rules! table {
    ($($family:ident $name:literal => $handler:expr,)*) => {
        const ACTIONS: &[ActionInfo] = &[
            $(ActionInfo { name: $name, family: Family::$family, handler: $handler },)*
        ];
    };
}

table! {
    Slb "CreateLoadBalancer" => lb::create,
    Slb "DeleteLoadBalancer" => lb::delete,
    Slb "DescribeLoadBalancers" => lb::describe_list,
    Slb "DescribeLoadBalancerAttribute" => lb::describe_attribute,
    Slb "SetLoadBalancerName" => lb::set_name,
    Slb "SetLoadBalancerDeleteProtection" => lb::set_delete_protection,
    Slb "SetLoadBalancerModificationProtection" => lb::set_modification_protection,
    Slb "ModifyLoadBalancerInternetSpec" => lb::modify_internet_spec,
    Slb "ModifyLoadBalancerInstanceSpec" => lb::modify_instance_spec,
    Slb "ModifyLoadBalancerInstanceChargeType" => lb::modify_instance_charge_type,
    Slb "SetLoadBalancerStatus" => lb::set_status,
    Slb "CreateLoadBalancerTCPListener" => |s, c, p| listener::create(s, c, p, "tcp"),
    Slb "CreateLoadBalancerUDPListener" => |s, c, p| listener::create(s, c, p, "udp"),
    Slb "CreateLoadBalancerHTTPListener" => |s, c, p| listener::create(s, c, p, "http"),
    Slb "CreateLoadBalancerHTTPSListener" => |s, c, p| listener::create(s, c, p, "https"),
    Slb "SetLoadBalancerTCPListenerAttribute" => |s, c, p| listener::set(s, c, p, "tcp"),
    Slb "SetLoadBalancerUDPListenerAttribute" => |s, c, p| listener::set(s, c, p, "udp"),
    Slb "SetLoadBalancerHTTPListenerAttribute" => |s, c, p| listener::set(s, c, p, "http"),
    Slb "SetLoadBalancerHTTPSListenerAttribute" => |s, c, p| listener::set(s, c, p, "https"),
    Slb "DescribeLoadBalancerTCPListenerAttribute" => |s, c, p| listener::describe_attribute(s, c, p, "tcp"),
    Slb "DescribeLoadBalancerUDPListenerAttribute" => |s, c, p| listener::describe_attribute(s, c, p, "udp"),
    Slb "DescribeLoadBalancerHTTPListenerAttribute" => |s, c, p| listener::describe_attribute(s, c, p, "http"),
    Slb "DescribeLoadBalancerHTTPSListenerAttribute" => |s, c, p| listener::describe_attribute(s, c, p, "https"),
    Slb "StartLoadBalancerListener" => listener::start,
    Slb "StopLoadBalancerListener" => listener::stop,
    Slb "DeleteLoadBalancerListener" => listener::delete,
    Slb "DescribeLoadBalancerListeners" => listener::describe_list,
    Slb "DescribeHealthStatus" => health::describe,
    Slb "DescribeRegions" => regions::describe_regions,
    Slb "DescribeZones" => regions::describe_zones,
    Slb "DescribeAvailableResource" => regions::describe_available_resource,
    Slb "CreateVServerGroup" => vgroup::create,
    Slb "DeleteVServerGroup" => vgroup::delete,
    Slb "DescribeVServerGroups" => vgroup::describe_list,
    Slb "DescribeVServerGroupAttribute" => vgroup::describe_attribute,
    Slb "AddVServerGroupBackendServers" => vgroup::add_backends,
    Slb "RemoveVServerGroupBackendServers" => vgroup::remove_backends,
    Slb "SetVServerGroupAttribute" => vgroup::set_attribute,
    Slb "ModifyVServerGroupBackendServers" => vgroup::modify_backends,
    Slb "CreateAccessControlList" => acl::create,
    Slb "DeleteAccessControlList" => acl::delete,
    Slb "DescribeAccessControlLists" => acl::describe_list,
    Slb "DescribeAccessControlListAttribute" => acl::describe_attribute,
    Slb "AddAccessControlListEntry" => acl::add_entries,
    Slb "RemoveAccessControlListEntry" => acl::remove_entries,
    Slb "SetAccessControlListAttribute" => acl::set_attribute,
    Slb "UploadServerCertificate" => cert::upload_server,
    Slb "DescribeServerCertificates" => cert::describe_server,
    Slb "DeleteServerCertificate" => cert::delete_server,
    Slb "SetServerCertificateName" => cert::set_server_name,
    Slb "UploadCACertificate" => cert::upload_ca,
    Slb "DescribeCACertificates" => cert::describe_ca,
    Slb "DeleteCACertificate" => cert::delete_ca,
    Slb "SetCACertificateName" => cert::set_ca_name,
    Slb "CreateDomainExtension" => domain_ext::create,
    Slb "DescribeDomainExtensions" => domain_ext::describe_list,
    Slb "DescribeDomainExtensionAttribute" => domain_ext::describe_attribute,
    Slb "SetDomainExtensionAttribute" => domain_ext::set_attribute,
    Slb "DeleteDomainExtension" => domain_ext::delete,
    Slb "TagResources" => tags::tag_resources,
    Slb "UntagResources" => tags::untag_resources,
    Slb "ListTagResources" => tags::list_tag_resources,
    Slb "AddTags" => tags::add_tags,
    Slb "RemoveTags" => tags::remove_tags,
    Slb "DescribeTags" => tags::describe_tags,
    Ecs "DescribeInstances" => ecs::describe_instances,
    Ecs "DescribeNetworkInterfaces" => ecs::describe_network_interfaces,
    Vpc "DescribeRouteTableList" => vpc::describe_route_table_list,
    Vpc "DescribeRouteEntryList" => vpc::describe_route_entry_list,
    Vpc "CreateRouteEntry" => vpc::create_route_entry,
    Vpc "CreateRouteEntries" => vpc::create_route_entries,
    Vpc "DeleteRouteEntry" => vpc::delete_route_entry,
    Vpc "DeleteRouteEntries" => vpc::delete_route_entries,
    Vpc "AllocateEipAddress" => eip::allocate_eip,
    Vpc "AssociateEipAddress" => eip::associate,
    Vpc "UnassociateEipAddress" => eip::unassociate,
    Vpc "ReleaseEipAddress" => eip::release,
    Vpc "DescribeEipAddresses" => eip::describe_eips,
    Admin "LocalPutInstances" => admin::put_instances,
    Admin "LocalDeleteInstances" => admin::delete_instances,
    Admin "LocalPutNetworkInterfaces" => admin::put_network_interfaces,
    Admin "LocalDeleteNetworkInterfaces" => admin::delete_network_interfaces,
    Admin "LocalSetFaults" => admin::set_faults,
    Admin "LocalDescribeFaults" => admin::describe_faults,
    Admin "LocalSetLoadBalancerStatus" => admin::set_load_balancer_status,
}

/// The action named `name` (exact, case-sensitive like the service).
pub fn lookup_action(name: &str) -> Option<&'static ActionInfo> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// Every action name, in table order (documentation and tests).
pub fn action_names() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|a| a.name)
}

/// Parses `params` as `action`'s typed request, strictly (slb-openapi's `from_params`), and
/// drops the result: a parameter the action does not take is refused by name instead of
/// being ignored and answered with success. Actions without a typed request (the `Local…`
/// admin actions, `DescribeRegions`, `DescribeZones`, `DescribeAvailableResource`) pass.
///
/// # Errors
/// The parse error (`MissingParameter` / `InvalidParameter` naming the parameter).
pub(crate) fn check_params(action: &str, params: &Params) -> Result<(), ApiError> {
    if action == SetHttpListenerAttributeRequest::NAME {
        listener::refuse_create_only(params)?;
    }
    macro_rules! check {
        ($($unused:ident)? ; $($method:ident : $req:ident),* $(,)?) => {
            $(
                if action == <$req as Action>::NAME {
                    return <$req as Action>::from_params(params).map(drop);
                }
            )*
        };
    }
    slb_openapi::clb_actions!(check! {});
    slb_openapi::ecs_actions!(check! {});
    slb_openapi::vpc_actions!(check! {});
    Ok(())
}
