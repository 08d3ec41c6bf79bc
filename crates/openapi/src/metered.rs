//! [`Metered`]: wraps any [`Clb`]/[`Ecs`] implementation and records its calls into
//! [`ApiMetrics`], so callers that do not go through the HTTP client (the controller with the
//! local engine in process, fakes in tests) export the same `openapi_calls{action, outcome}`
//! series and [`crate::metrics::CallStats`] as [`crate::HttpClient`] does.
//!
//! It only counts: no retries, no limits, no logging. Retries and throttling belong to the
//! HTTP client's governor; one trait call here is one call whatever happened underneath. Do
//! not wrap an `HttpClient` that already records into the same `ApiMetrics` (calls would be
//! counted twice).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::action::Action;
use crate::api::{Clb, Ecs, Vpc};
use crate::clb::*;
use crate::ecs::*;
use crate::error::ApiError;
use crate::metrics::ApiMetrics;
use crate::vpc::*;

/// A [`Clb`]/[`Ecs`] that records every call of the implementation it wraps.
#[derive(Clone)]
pub struct Metered<T: ?Sized> {
    inner: Arc<T>,
    metrics: ApiMetrics,
}

impl<T: ?Sized> Metered<T> {
    /// Records the calls of `inner` into `metrics` (share one `ApiMetrics` between wrappers to
    /// count CLB and ECS calls together).
    pub fn new(inner: Arc<T>, metrics: ApiMetrics) -> Self {
        Self { inner, metrics }
    }

    /// Where the calls are recorded.
    pub fn metrics(&self) -> &ApiMetrics {
        &self.metrics
    }
}

macro_rules! impl_metered {
    ($trait:ident ; $($method:ident : $req:ident),* $(,)?) => {
        #[async_trait]
        impl<T: $trait + ?Sized> $trait for Metered<T> {
            $(
                async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    let started = Instant::now();
                    let result = self.inner.$method(req).await;
                    self.metrics.record_call(
                        <$req as Action>::NAME,
                        result.as_ref().map(|_| ()),
                        started.elapsed(),
                    );
                    result
                }
            )*
        }
    };
}

crate::clb_actions!(impl_metered! { Clb });
crate::ecs_actions!(impl_metered! { Ecs });
crate::vpc_actions!(impl_metered! { Vpc });

#[cfg(test)]
mod tests {
    use super::*;

    struct OneCall;

    #[async_trait]
    impl Clb for OneCall {
        async fn delete_load_balancer(
            &self,
            req: &DeleteLoadBalancerRequest,
        ) -> Result<<DeleteLoadBalancerRequest as Action>::Response, ApiError> {
            let _ = req;
            Ok(Default::default())
        }
    }

    #[tokio::test]
    async fn every_call_is_counted_with_its_outcome() {
        let metrics = ApiMetrics::new();
        let clb = Metered::new(Arc::new(OneCall), metrics.clone());
        let req = DeleteLoadBalancerRequest {
            load_balancer_id: "lb-1".into(),
            ..Default::default()
        };
        clb.delete_load_balancer(&req).await.unwrap();
        // Not served by OneCall: answered InvalidAction.NotFound, still one call.
        let err = clb
            .describe_tags(&DescribeTagsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.http_status, 404);

        let stats = metrics.stats();
        assert_eq!(stats.calls("DeleteLoadBalancer"), 1);
        assert_eq!(stats.get("DeleteLoadBalancer").errors, 0);
        assert_eq!(stats.calls("DescribeTags"), 1);
        assert_eq!(stats.get("DescribeTags").errors, 1);
        let mut registry = prometheus_client::registry::Registry::default();
        metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(r#"openapi_calls_total{action="DeleteLoadBalancer",outcome="ok"} 1"#),
            "{text}"
        );
    }
}
