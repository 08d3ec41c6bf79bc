//! A status write the API server keeps refusing with 409 backs the Service off like any other
//! failure (5 s, 10 s, 20 s, …) instead of retrying every 5 s: the cloud sync before it
//! succeeds each time, and that success must not reset the count. The controller acts as a
//! client whose status PATCHes of Services are all answered 409 before they reach the API
//! server; everything else goes through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kube::Client;
use slb_testkit::ControlPlane;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{Options, harness_with};

/// The status PATCH of a Service (`…/services/<name>/status`).
fn is_service_status_patch(req: &http::Request<kube::client::Body>) -> bool {
    let path = req.uri().path();
    req.method() == http::Method::PATCH && path.contains("/services/") && path.ends_with("/status")
}

fn conflict() -> http::Response<kube::client::Body> {
    let status = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "the object has been modified (injected by the test)",
        "reason": "Conflict", "code": 409
    });
    http::Response::builder()
        .status(409)
        .header("content-type", "application/json")
        .body(kube::client::Body::from(status.to_string().into_bytes()))
        .unwrap()
}

/// A client that answers every Service status PATCH with 409 (counted in `refused`) and
/// sends everything else to the real API server.
fn refusing_status_writes(real: Client, refused: Arc<AtomicUsize>) -> Client {
    let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let (real, refused) = (real.clone(), refused.clone());
        async move {
            if is_service_status_patch(&req) {
                refused.fetch_add(1, Ordering::SeqCst);
                return Ok::<_, kube::Error>(conflict());
            }
            real.send(req).await
        }
    });
    Client::new(service, "default")
}

#[tokio::test]
async fn a_persistent_409_on_the_status_write_backs_off_instead_of_retrying_every_5_s() {
    let real = ControlPlane::shared()
        .await
        .unwrap()
        .client()
        .await
        .unwrap();
    let refused = Arc::new(AtomicUsize::new(0));
    let options = Options {
        controller_client: Some(refusing_status_writes(real, refused.clone())),
        ..Options::default()
    };
    let h = harness_with("conflict", options).await;
    h.create_own_service("web").await;
    support::eventually("the first status write", || async {
        (refused.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    // Backing off: the first try, one more right away (its own label write changed the
    // Service), then 10 s (±10 %) later; the next is 20 s after that. Never backing off
    // (the count reset by each good cloud sync) would have tried every 5 s: 5 times by now.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let tries = refused.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&tries),
        "{tries} status writes in 16 s: expected the 5 s, 10 s, 20 s backoff"
    );
    assert!(
        !h.clb_id("web").await.is_empty(),
        "the cloud sync itself succeeded"
    );
}
