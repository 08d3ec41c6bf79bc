//! The engine as the `slb_openapi::{Clb, Ecs, Vpc}` traits, in process: each typed request is
//! handed to its handler as it is (no parameter map; see `engine::Served`), with the same
//! region, fault, rate-limit and commit steps as the HTTP server's, and the JSON body the
//! engine renders is decoded into the typed response (the one conversion left on this path). The controller can then hold an `Arc<dyn Clb>` that is either the HTTP client or
//! this engine, with identical behaviour.
//!
//! The region actions and the `Local…` admin actions, which no trait lists, are inherent
//! methods of [`Engine`] of the same shape.
//!
//! Signatures are not checked here (there is no wire); injected latency is applied (except
//! to the `Local*` admin actions).

use async_trait::async_trait;
use slb_openapi::action::Action;
use slb_openapi::api::{Clb, Ecs, Vpc};
use slb_openapi::clb::*;
use slb_openapi::ecs::*;
use slb_openapi::error::ApiError;
use slb_openapi::local_admin::*;
use slb_openapi::vpc::*;

use crate::engine::{Engine, Served};

impl Engine {
    /// Answers a typed request in process.
    ///
    /// # Errors
    /// The engine's [`ApiError`], or `SDK.InvalidResponse` if the body does not decode into
    /// the typed response (a bug in either crate).
    pub(crate) async fn call<A: Served>(&self, req: &A) -> Result<A::Response, ApiError> {
        let latency = self.injected_latency(A::NAME);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        // The wire omits empty values: refuse an empty required one as the server would.
        if let Some(name) = req.first_missing() {
            return Err(ApiError::missing_parameter(name));
        }
        let body = self.serve(req, "")?;
        serde_json::from_value(body)
            .map_err(|e| ApiError::decode(format!("{} response does not decode: {e}", A::NAME)))
    }
}

macro_rules! impl_api {
    ($trait:ident ; $($method:ident : $req:ident),* $(,)?) => {
        #[async_trait]
        impl $trait for Engine {
            $(
                async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    self.call(req).await
                }
            )*
        }
    };
}

slb_openapi::clb_actions!(impl_api! { Clb });
slb_openapi::ecs_actions!(impl_api! { Ecs });
slb_openapi::vpc_actions!(impl_api! { Vpc });

/// Inherent typed methods for the requests no trait lists (the controller sends none of them
/// in process): each is [`Engine::call`] with the request, as a trait method would be.
macro_rules! impl_inherent {
    ($($(#[$m:meta])* $method:ident : $req:ident),* $(,)?) => {
        impl Engine {
            $(
                $(#[$m])*
                ///
                /// # Errors
                /// As the HTTP server would answer the same request.
                pub async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    self.call(req).await
                }
            )*
        }
    };
}

impl_inherent! {
    /// `DescribeRegions`.
    describe_regions: DescribeRegionsRequest,
    /// `DescribeZones`.
    describe_zones: DescribeZonesRequest,
    /// `DescribeAvailableResource`.
    describe_available_resource: DescribeAvailableResourceRequest,
    /// `LocalPutInstances`.
    local_put_instances: LocalPutInstancesRequest,
    /// `LocalDeleteInstances`.
    local_delete_instances: LocalDeleteInstancesRequest,
    /// `LocalPutNetworkInterfaces`.
    local_put_network_interfaces: LocalPutNetworkInterfacesRequest,
    /// `LocalDeleteNetworkInterfaces`.
    local_delete_network_interfaces: LocalDeleteNetworkInterfacesRequest,
    /// `LocalSetFaults`.
    local_set_faults: LocalSetFaultsRequest,
    /// `LocalDescribeFaults`.
    local_describe_faults: LocalDescribeFaultsRequest,
    /// `LocalSetLoadBalancerStatus`.
    local_set_load_balancer_status: LocalSetLoadBalancerStatusRequest,
}
