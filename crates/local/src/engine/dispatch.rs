//! The action table: every action the local CLB answers, its family (which decides the
//! accepted `Version`) and its handler. An action not listed is `InvalidAction.NotFound`.
//!
//! This module holds no rules; it only routes.

use serde_json::Value;

use super::{Engine, Handler, Served};
use super::{admin, cert, domain_ext, eip, listener, regions, vpc};
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
    /// Answer from the parameter map (the actions slb-openapi has no request type for).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_with_a_typed_request_is_parsed_into_it() {
        let typed = slb_openapi::api::CLB_ACTIONS
            .iter()
            .chain(slb_openapi::api::ECS_ACTIONS)
            .chain(slb_openapi::api::VPC_ACTIONS)
            .chain(&[LocalPutInstancesRequest::NAME]);
        for name in typed {
            let info = lookup_action(name).unwrap_or_else(|| panic!("{name} is not routed"));
            assert!(
                matches!(info.route, Route::Typed(_)),
                "{name} answers from the map"
            );
        }
    }

    #[test]
    fn only_actions_without_a_typed_request_answer_from_the_map() {
        let from_map: Vec<&str> = ACTIONS
            .iter()
            .filter(|a| matches!(a.route, Route::Params(_)))
            .map(|a| a.name)
            .collect();
        assert_eq!(
            from_map,
            [
                "DescribeRegions",
                "DescribeZones",
                "DescribeAvailableResource",
                "LocalDeleteInstances",
                "LocalPutNetworkInterfaces",
                "LocalDeleteNetworkInterfaces",
                "LocalSetFaults",
                "LocalDescribeFaults",
                "LocalSetLoadBalancerStatus",
            ]
        );
    }
}
