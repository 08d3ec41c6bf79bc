//! Service events against a real API server (events.k8s.io/v1): a repeated event is one
//! event whose series counts the repeats, and an event whose message changed is a new event,
//! so `kubectl describe` shows the current error, not the first one (issue 14 item 11).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use k8s_openapi::api::events::v1::Event as K8sEvent;
use kube::api::{ListParams, PostParams};
use kube::runtime::events::{Event, EventType, Reporter};
use kube::{Api, Resource};
use slb_controller::events::Publisher;
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::load_balancer_service;

fn warning(note: &str) -> Event {
    Event {
        type_: EventType::Warning,
        reason: "SyncLoadBalancerFailed".into(),
        note: Some(note.into()),
        action: "SyncLoadBalancer".into(),
        secondary: None,
    }
}

#[tokio::test]
async fn a_repeat_counts_in_one_event_and_a_changed_message_is_a_new_event() {
    let cp = ControlPlane::shared().await.unwrap();
    let client = cp.client().await.unwrap();
    let ns = cp.namespace("events").await.unwrap();
    let svc = kube::Api::namespaced(client.clone(), &ns)
        .create(
            &PostParams::default(),
            &load_balancer_service(&ns, "web", &[(80, 8080)]),
        )
        .await
        .unwrap();
    let publisher = Publisher::new(
        client.clone(),
        Reporter {
            controller: "slb-ccm".into(),
            instance: None,
        },
    );
    let reference = svc.object_ref(&());
    for note in ["first error", "first error", "first error", "second error"] {
        publisher.publish(&warning(note), &reference).await.unwrap();
    }
    let events: Api<K8sEvent> = Api::namespaced(client, &ns);
    let mut seen: Vec<(String, i32)> = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| {
            let count = e.series.map_or(1, |s| s.count);
            (e.note.unwrap_or_default(), count)
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("first error".to_owned(), 3),
            ("second error".to_owned(), 1)
        ]
    );
}
