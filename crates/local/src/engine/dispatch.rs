//! The action table: every action the local CLB answers, its family (which decides the
//! accepted `Version`) and its handler. An action not listed is `InvalidAction.NotFound`.
//!
//! This module holds no rules; it only routes.

use serde_json::Value;

use super::{Ctx, Engine, Handler, Outcome, State};
use super::{acl, cert, domain_ext};
use super::{admin, ecs, health, lb, listener, tags, vgroup, vpc};
use super::{eip, regions};
use slb_openapi::Action;
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::error::ApiError;
use slb_openapi::local_admin::LocalPutInstancesRequest;
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

/// How an action is answered.
#[derive(Clone, Copy)]
pub(crate) enum Route {
    /// Parse the parameter map into the typed request (strictly) and serve that.
    Typed(fn(&Engine, &Params, &str) -> Result<Value, ApiError>),
    /// Answer from the parameter map (actions not converted to typed requests yet, and the
    /// ones slb-openapi has no request type for).
    Params(Handler),
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Typed(_) => "Typed",
            Self::Params(_) => "Params",
        })
    }
}

/// One routable action.
#[derive(Debug, Clone, Copy)]
pub struct ActionInfo {
    /// The `Action` value.
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    pub(crate) route: Route,
}

/// A typed action: its name is the request type's.
const fn typed<A: Served>(family: Family) -> ActionInfo {
    ActionInfo {
        name: A::NAME,
        family,
        route: Route::Typed(parse_and_serve::<A>),
    }
}

/// An action answered from its parameter map.
const fn params(family: Family, name: &'static str, handler: Handler) -> ActionInfo {
    ActionInfo {
        name,
        family,
        route: Route::Params(handler),
    }
}

/// The server's one parse: the map into `A` (strict), then the engine serves it.
fn parse_and_serve<A: Served>(
    engine: &Engine,
    params: &Params,
    account: &str,
) -> Result<Value, ApiError> {
    engine.serve(&A::from_params(params)?, account)
}

/// A typed request the engine answers. Actions converted to typed handlers override
/// [`Served::answer`]; the default answers through the action's parameter-map handler (the
/// request is flattened first: the in-process path of an action not converted yet).
pub(crate) trait Served: Action {
    /// Answers the request against `state`.
    ///
    /// # Errors
    /// The handler's [`ApiError`].
    fn answer(&self, state: &State, cx: &Ctx<'_>) -> Result<Outcome, ApiError> {
        match lookup_action(Self::NAME).map(|a| a.route) {
            Some(Route::Params(handler)) => handler(state, cx, &self.to_params()),
            _ => Err(slb_openapi::api::not_served(Self::NAME)),
        }
    }
}

/// Requests still answered from their parameter map.
macro_rules! served_by_params {
    ($($req:ty),* $(,)?) => { $( impl Served for $req {} )* };
}

/// Requests answered by a typed handler `fn(&State, &Ctx, &Request)`.
macro_rules! served_typed {
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

const ACTIONS: &[ActionInfo] = &[
    typed::<CreateLoadBalancerRequest>(Family::Slb),
    typed::<DeleteLoadBalancerRequest>(Family::Slb),
    typed::<DescribeLoadBalancersRequest>(Family::Slb),
    typed::<DescribeLoadBalancerAttributeRequest>(Family::Slb),
    typed::<SetLoadBalancerNameRequest>(Family::Slb),
    typed::<SetLoadBalancerDeleteProtectionRequest>(Family::Slb),
    typed::<SetLoadBalancerModificationProtectionRequest>(Family::Slb),
    typed::<ModifyLoadBalancerInternetSpecRequest>(Family::Slb),
    typed::<ModifyLoadBalancerInstanceSpecRequest>(Family::Slb),
    typed::<ModifyLoadBalancerInstanceChargeTypeRequest>(Family::Slb),
    typed::<SetLoadBalancerStatusRequest>(Family::Slb),
    typed::<CreateTcpListenerRequest>(Family::Slb),
    typed::<CreateUdpListenerRequest>(Family::Slb),
    typed::<CreateHttpListenerRequest>(Family::Slb),
    typed::<CreateHttpsListenerRequest>(Family::Slb),
    typed::<SetTcpListenerAttributeRequest>(Family::Slb),
    typed::<SetUdpListenerAttributeRequest>(Family::Slb),
    typed::<SetHttpListenerAttributeRequest>(Family::Slb),
    typed::<SetHttpsListenerAttributeRequest>(Family::Slb),
    typed::<DescribeTcpListenerAttributeRequest>(Family::Slb),
    typed::<DescribeUdpListenerAttributeRequest>(Family::Slb),
    typed::<DescribeHttpListenerAttributeRequest>(Family::Slb),
    typed::<DescribeHttpsListenerAttributeRequest>(Family::Slb),
    typed::<StartListenerRequest>(Family::Slb),
    typed::<StopListenerRequest>(Family::Slb),
    typed::<DeleteListenerRequest>(Family::Slb),
    typed::<DescribeListenersRequest>(Family::Slb),
    typed::<DescribeHealthStatusRequest>(Family::Slb),
    params(Family::Slb, "DescribeRegions", regions::describe_regions),
    params(Family::Slb, "DescribeZones", regions::describe_zones),
    params(
        Family::Slb,
        "DescribeAvailableResource",
        regions::describe_available_resource,
    ),
    typed::<CreateVServerGroupRequest>(Family::Slb),
    typed::<DeleteVServerGroupRequest>(Family::Slb),
    typed::<DescribeVServerGroupsRequest>(Family::Slb),
    typed::<DescribeVServerGroupAttributeRequest>(Family::Slb),
    typed::<AddVServerGroupBackendServersRequest>(Family::Slb),
    typed::<RemoveVServerGroupBackendServersRequest>(Family::Slb),
    typed::<SetVServerGroupAttributeRequest>(Family::Slb),
    typed::<ModifyVServerGroupBackendServersRequest>(Family::Slb),
    typed::<CreateAccessControlListRequest>(Family::Slb),
    typed::<DeleteAccessControlListRequest>(Family::Slb),
    typed::<DescribeAccessControlListsRequest>(Family::Slb),
    typed::<DescribeAccessControlListAttributeRequest>(Family::Slb),
    typed::<AddAccessControlListEntryRequest>(Family::Slb),
    typed::<RemoveAccessControlListEntryRequest>(Family::Slb),
    typed::<SetAccessControlListAttributeRequest>(Family::Slb),
    typed::<UploadServerCertificateRequest>(Family::Slb),
    typed::<DescribeServerCertificatesRequest>(Family::Slb),
    typed::<DeleteServerCertificateRequest>(Family::Slb),
    typed::<SetServerCertificateNameRequest>(Family::Slb),
    typed::<UploadCaCertificateRequest>(Family::Slb),
    typed::<DescribeCaCertificatesRequest>(Family::Slb),
    typed::<DeleteCaCertificateRequest>(Family::Slb),
    typed::<SetCaCertificateNameRequest>(Family::Slb),
    typed::<CreateDomainExtensionRequest>(Family::Slb),
    typed::<DescribeDomainExtensionsRequest>(Family::Slb),
    typed::<DescribeDomainExtensionAttributeRequest>(Family::Slb),
    typed::<SetDomainExtensionAttributeRequest>(Family::Slb),
    typed::<DeleteDomainExtensionRequest>(Family::Slb),
    typed::<TagResourcesRequest>(Family::Slb),
    typed::<UntagResourcesRequest>(Family::Slb),
    typed::<ListTagResourcesRequest>(Family::Slb),
    typed::<AddTagsRequest>(Family::Slb),
    typed::<RemoveTagsRequest>(Family::Slb),
    typed::<DescribeTagsRequest>(Family::Slb),
    typed::<DescribeInstancesRequest>(Family::Ecs),
    typed::<DescribeNetworkInterfacesRequest>(Family::Ecs),
    typed::<DescribeRouteTableListRequest>(Family::Vpc),
    typed::<DescribeRouteEntryListRequest>(Family::Vpc),
    typed::<CreateRouteEntryRequest>(Family::Vpc),
    typed::<CreateRouteEntriesRequest>(Family::Vpc),
    typed::<DeleteRouteEntryRequest>(Family::Vpc),
    typed::<DeleteRouteEntriesRequest>(Family::Vpc),
    typed::<AllocateEipAddressRequest>(Family::Vpc),
    typed::<AssociateEipAddressRequest>(Family::Vpc),
    typed::<UnassociateEipAddressRequest>(Family::Vpc),
    typed::<ReleaseEipAddressRequest>(Family::Vpc),
    typed::<DescribeEipAddressesRequest>(Family::Vpc),
    typed::<LocalPutInstancesRequest>(Family::Admin),
    params(
        Family::Admin,
        "LocalDeleteInstances",
        admin::delete_instances,
    ),
    params(
        Family::Admin,
        "LocalPutNetworkInterfaces",
        admin::put_network_interfaces,
    ),
    params(
        Family::Admin,
        "LocalDeleteNetworkInterfaces",
        admin::delete_network_interfaces,
    ),
    params(Family::Admin, "LocalSetFaults", admin::set_faults),
    params(Family::Admin, "LocalDescribeFaults", admin::describe_faults),
    params(
        Family::Admin,
        "LocalSetLoadBalancerStatus",
        admin::set_load_balancer_status,
    ),
];

/// The action named `name` (exact, case-sensitive like the service).
pub fn lookup_action(name: &str) -> Option<&'static ActionInfo> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// Every action name, in table order (documentation and tests).
pub fn action_names() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|a| a.name)
}

/// Parameters refused with a message of their own before the strict parse (which would refuse
/// them too, generically): `SetLoadBalancerHTTPListenerAttribute`'s creation-only redirect
/// settings, the HTTPS listeners' dual-certificate and client-certificate-header forms, the
/// dual-certificate forms of the domain-extension actions, and the certificate uploads', EIP
/// and VPC actions' parameters of unmodelled features.
///
/// # Errors
/// `InvalidParameter` naming the parameter and what to do instead.
pub(crate) fn refuse_by_name(action: &str, params: &Params) -> Result<(), ApiError> {
    if action == SetHttpListenerAttributeRequest::NAME {
        listener::refuse_create_only(params)?;
    }
    if action == CreateHttpsListenerRequest::NAME
        || action == SetHttpsListenerAttributeRequest::NAME
    {
        listener::refuse_unmodelled_https(params)?;
    }
    if action == CreateDomainExtensionRequest::NAME
        || action == SetDomainExtensionAttributeRequest::NAME
    {
        domain_ext::refuse_dual_cert_forms(params)?;
    }
    if action == UploadServerCertificateRequest::NAME || action == UploadCaCertificateRequest::NAME
    {
        cert::refuse_unmodelled(params)?;
    }
    eip::refuse_unmodelled_of(action, params)?;
    vpc::refuse_unmodelled(action, params)?;
    Ok(())
}

/// Parses `params` as `action`'s typed request, strictly (slb-openapi's `from_params`), and
/// drops the result: a parameter the action does not take is refused by name instead of
/// being ignored and answered with success. Actions without a typed request (the `Local…`
/// admin actions, `DescribeRegions`, `DescribeZones`, `DescribeAvailableResource`) pass.
///
/// # Errors
/// The parse error (`MissingParameter` / `InvalidParameter` naming the parameter).
pub(crate) fn check_params(action: &str, params: &Params) -> Result<(), ApiError> {
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

served_by_params!();

served_typed!(
    CreateDomainExtensionRequest => domain_ext::create,
    DescribeDomainExtensionsRequest => domain_ext::describe_list,
    DescribeDomainExtensionAttributeRequest => domain_ext::describe_attribute,
    SetDomainExtensionAttributeRequest => domain_ext::set_attribute,
    DeleteDomainExtensionRequest => domain_ext::delete,
);

served_typed!(
    DescribeHealthStatusRequest => health::describe,
);

served_typed!(
    DescribeInstancesRequest => ecs::describe_instances,
    DescribeNetworkInterfacesRequest => ecs::describe_network_interfaces,
);

served_typed!(
    CreateAccessControlListRequest => acl::create,
    DeleteAccessControlListRequest => acl::delete,
    DescribeAccessControlListsRequest => acl::describe_list,
    DescribeAccessControlListAttributeRequest => acl::describe_attribute,
    AddAccessControlListEntryRequest => acl::add_entries,
    RemoveAccessControlListEntryRequest => acl::remove_entries,
    SetAccessControlListAttributeRequest => acl::set_attribute,
);

served_typed!(
    UploadServerCertificateRequest => cert::upload_server,
    DescribeServerCertificatesRequest => cert::describe_server,
    DeleteServerCertificateRequest => cert::delete_server,
    SetServerCertificateNameRequest => cert::set_server_name,
    UploadCaCertificateRequest => cert::upload_ca,
    DescribeCaCertificatesRequest => cert::describe_ca,
    DeleteCaCertificateRequest => cert::delete_ca,
    SetCaCertificateNameRequest => cert::set_ca_name,
);

served_typed!(
    CreateVServerGroupRequest => vgroup::create,
    DeleteVServerGroupRequest => vgroup::delete,
    DescribeVServerGroupsRequest => vgroup::describe_list,
    DescribeVServerGroupAttributeRequest => vgroup::describe_attribute,
    AddVServerGroupBackendServersRequest => vgroup::add_backends,
    RemoveVServerGroupBackendServersRequest => vgroup::remove_backends,
    SetVServerGroupAttributeRequest => vgroup::set_attribute,
    ModifyVServerGroupBackendServersRequest => vgroup::modify_backends,
);

served_typed!(
    AllocateEipAddressRequest => eip::allocate_eip,
    AssociateEipAddressRequest => eip::associate,
    UnassociateEipAddressRequest => eip::unassociate,
    ReleaseEipAddressRequest => eip::release,
    DescribeEipAddressesRequest => eip::describe_eips,
);

served_typed!(
    DescribeRouteTableListRequest => vpc::describe_route_table_list,
    DescribeRouteEntryListRequest => vpc::describe_route_entry_list,
    CreateRouteEntryRequest => vpc::create_route_entry,
    CreateRouteEntriesRequest => vpc::create_route_entries,
    DeleteRouteEntryRequest => vpc::delete_route_entry,
    DeleteRouteEntriesRequest => vpc::delete_route_entries,
);

served_typed!(
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

served_typed!(
    TagResourcesRequest => tags::tag_resources,
    UntagResourcesRequest => tags::untag_resources,
    ListTagResourcesRequest => tags::list_tag_resources,
    AddTagsRequest => tags::add_tags,
    RemoveTagsRequest => tags::remove_tags,
    DescribeTagsRequest => tags::describe_tags,
);

served_typed!(DescribeTcpListenerAttributeRequest => listener::describe_tcp);

served_typed!(DescribeUdpListenerAttributeRequest => listener::describe_udp);

served_typed!(DescribeHttpListenerAttributeRequest => listener::describe_http);

served_typed!(DescribeHttpsListenerAttributeRequest => listener::describe_https);

served_typed!(
    StartListenerRequest => listener::start,
    StopListenerRequest => listener::stop,
    DeleteListenerRequest => listener::delete,
    DescribeListenersRequest => listener::describe_list,
);

served_typed!(LocalPutInstancesRequest => admin::put_instances);

served_typed!(CreateTcpListenerRequest => listener::create);

served_typed!(CreateUdpListenerRequest => listener::create);

served_typed!(CreateHttpListenerRequest => listener::create);

served_typed!(CreateHttpsListenerRequest => listener::create);

served_typed!(SetTcpListenerAttributeRequest => listener::set);

served_typed!(SetUdpListenerAttributeRequest => listener::set);

served_typed!(SetHttpListenerAttributeRequest => listener::set);

served_typed!(SetHttpsListenerAttributeRequest => listener::set);
