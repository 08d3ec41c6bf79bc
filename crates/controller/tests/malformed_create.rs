//! A create answer without a CLB id never reaches the Service's label: the cloud here
//! creates the CLB but answers `CreateLoadBalancer` with an empty `LoadBalancerId` (every
//! other call goes to the local CLB as it is). The controller never writes an empty label;
//! the failed sync is a Warning, and the retry finds the CLB that was created by its tag and
//! records its real id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use async_trait::async_trait;
use kube::ResourceExt;
use slb_controller::service_writes::LB_ID_LABEL;
use slb_local::Engine;
use slb_openapi::clb::*;
use slb_openapi::{Action, ApiError, Clb};
use std::sync::Arc;
use support::{Options, harness_with};

/// The local CLB, except that `CreateLoadBalancer` answers an empty id.
struct EmptyCreatedId(Arc<Engine>);

macro_rules! forward {
    ($trait:ident ; $($method:ident : $req:ident),* $(,)?) => {
        #[async_trait]
        impl Clb for EmptyCreatedId {
            $(
                async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    let answer = Clb::$method(&*self.0, req).await?;
                    if <$req as Action>::NAME != "CreateLoadBalancer" {
                        return Ok(answer);
                    }
                    let mut json = serde_json::to_value(&answer).unwrap();
                    json["LoadBalancerId"] = "".into();
                    Ok(serde_json::from_value(json).unwrap())
                }
            )*
        }
    };
}

slb_openapi::clb_actions!(forward! { Clb });

fn empty_created_id(engine: Arc<Engine>) -> Arc<dyn Clb> {
    Arc::new(EmptyCreatedId(engine))
}

#[tokio::test]
async fn an_empty_id_in_the_create_answer_is_never_written_into_the_label() {
    let options = Options {
        wrap_clb: Some(empty_created_id),
        ..Options::default()
    };
    let h = harness_with("emptyid", options).await;
    h.create_own_service("web").await;
    let id = h.clb_id("web").await;
    assert!(
        id.starts_with("lb-"),
        "the real id, found again by tag: {id:?}"
    );
    let events = h.events("web").await;
    assert!(
        events
            .iter()
            .any(|(_, message)| message.starts_with("Error syncing load balancer")),
        "the malformed answer failed a sync: {events:?}"
    );
    let labels = h.services().get("web").await.unwrap().labels().clone();
    assert_eq!(labels.get(LB_ID_LABEL), Some(&id));
}
