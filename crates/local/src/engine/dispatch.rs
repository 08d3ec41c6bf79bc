//! The action table: every action the local CLB answers, its family (which decides the
//! accepted `Version`) and its handler. An action not listed is `InvalidAction.NotFound`.
//!
//! This module holds no rules; it only routes.

use serde_json::Value;

use super::{Engine, Served};
use super::{cert, domain_ext, eip, listener, vpc};
use slb_openapi::Action;
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::error::ApiError;
use slb_openapi::local_admin::*;
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

/// How an action is answered: the parameter map parsed (strictly) into the action's typed
/// request, which the engine then serves. Every action has one.
pub(crate) type Route = fn(&Engine, &Params, &str) -> Result<Value, ApiError>;

/// One routable action.
#[derive(Clone, Copy)]
pub struct ActionInfo {
    /// The `Action` value.
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    pub(crate) route: Route,
}

impl std::fmt::Debug for ActionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionInfo")
            .field("name", &self.name)
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

/// A typed action: its name is the request type's.
const fn typed<A: Served>(family: Family) -> ActionInfo {
    ActionInfo {
        name: A::NAME,
        family,
        route: parse_and_serve::<A>,
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
    typed::<DescribeRegionsRequest>(Family::Slb),
    typed::<DescribeZonesRequest>(Family::Slb),
    typed::<DescribeAvailableResourceRequest>(Family::Slb),
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
    typed::<LocalDeleteInstancesRequest>(Family::Admin),
    typed::<LocalPutNetworkInterfacesRequest>(Family::Admin),
    typed::<LocalDeleteNetworkInterfacesRequest>(Family::Admin),
    typed::<LocalSetFaultsRequest>(Family::Admin),
    typed::<LocalDescribeFaultsRequest>(Family::Admin),
    typed::<LocalSetLoadBalancerStatusRequest>(Family::Admin),
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

    /// Every action slb-openapi types for the local CLB: the traits' lists, the region
    /// actions and the `Local…` admin actions.
    fn typed_names() -> Vec<&'static str> {
        let mut names: Vec<&str> = slb_openapi::api::CLB_ACTIONS
            .iter()
            .chain(slb_openapi::api::ECS_ACTIONS)
            .chain(slb_openapi::api::VPC_ACTIONS)
            .copied()
            .collect();
        names.extend([
            DescribeRegionsRequest::NAME,
            DescribeZonesRequest::NAME,
            DescribeAvailableResourceRequest::NAME,
            LocalPutInstancesRequest::NAME,
            LocalDeleteInstancesRequest::NAME,
            LocalPutNetworkInterfacesRequest::NAME,
            LocalDeleteNetworkInterfacesRequest::NAME,
            LocalSetFaultsRequest::NAME,
            LocalDescribeFaultsRequest::NAME,
            LocalSetLoadBalancerStatusRequest::NAME,
        ]);
        names
    }

    #[test]
    fn every_typed_action_is_routed() {
        for name in typed_names() {
            assert!(lookup_action(name).is_some(), "{name} is not routed");
        }
    }

    #[test]
    fn every_routed_action_has_a_typed_request() {
        let typed = typed_names();
        let untyped: Vec<&str> = action_names().filter(|n| !typed.contains(n)).collect();
        assert!(
            untyped.is_empty(),
            "routed without a typed request: {untyped:?}"
        );
    }

    #[test]
    fn an_unknown_parameter_of_an_admin_action_is_refused_by_name() {
        let params = Params::from([("InstanceId".to_owned(), "i-1".to_owned())]);
        let err = LocalDeleteInstancesRequest::from_params(&params).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
        assert!(err.message.contains("InstanceId"), "{}", err.message);
    }
}
