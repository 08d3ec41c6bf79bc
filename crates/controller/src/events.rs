//! Publishing the controllers' events (events.k8s.io/v1; about Services, Nodes and routes)
//! with client-go's correlation: a repeat of the same event (same object, type, reason,
//! action *and message*) within ten minutes bumps the series count of the event already
//! shown; a different message is a new event, so a changed error is what `kubectl describe`
//! shows last. kube-runtime's `Recorder` keys its
//! cache without the message, so it kept patching the first text forever (issue 14 item 11).
//!
//! What it does not do: rate-limit or spam-filter (the reconcile's backoff bounds the rate),
//! or survive a restart (a restarted controller starts new series, as client-go does).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event as K8sEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Reporter};
use kube::{Api, Client};

/// How long a published event is remembered for correlation (client-go's window).
const CORRELATION_WINDOW: SignedDuration = SignedDuration::from_mins(10);

/// What makes two events the same event: the object and everything the user reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    namespace: Option<String>,
    name: Option<String>,
    uid: Option<String>,
    warning: bool,
    reason: String,
    action: String,
    note: Option<String>,
}

/// An event already published: its name and how often it was seen.
#[derive(Debug, Clone)]
struct Seen {
    name: String,
    count: i32,
    last: Timestamp,
}

/// Publishes events as one reporter; clones share the correlation cache.
#[derive(Clone)]
pub struct Publisher {
    client: Client,
    reporter: Reporter,
    seen: Arc<Mutex<HashMap<Key, Seen>>>,
}

impl Publisher {
    /// A publisher reporting as `reporter` through `client`.
    pub fn new(client: Client, reporter: Reporter) -> Self {
        Self {
            client,
            reporter,
            seen: Arc::default(),
        }
    }

    /// Publishes `ev` about `reference`: a new event, or the series of the same one.
    ///
    /// # Errors
    /// The API server's answer to the create or patch.
    #[tracing::instrument(level = "debug", skip_all, fields(object = ?reference.name, reason = %ev.reason), err)]
    pub async fn publish(
        &self,
        ev: &Event,
        reference: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let now = Timestamp::now();
        let key = key(ev, reference);
        // Not held across the API call: one Service's reconciles never run concurrently, so
        // two publishes of one key do not race.
        let prior = {
            let mut seen = self.seen.lock();
            seen.retain(|_, s| s.last + CORRELATION_WINDOW > now);
            seen.get(&key).cloned()
        };
        let namespace = reference.namespace.as_deref().unwrap_or("default");
        let api: Api<K8sEvent> = Api::namespaced(self.client.clone(), namespace);
        let entry = match prior {
            Some(prior) => {
                let count = prior.count + 1;
                let series = EventSeries {
                    count,
                    last_observed_time: MicroTime(now),
                };
                let patch = serde_json::json!({ "series": series });
                api.patch(&prior.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
                Seen {
                    count,
                    last: now,
                    ..prior
                }
            }
            None => {
                let event = self.new_event(ev, reference, now);
                let created = api.create(&PostParams::default(), &event).await?;
                Seen {
                    name: created.metadata.name.unwrap_or_default(),
                    count: 1,
                    last: now,
                }
            }
        };
        self.seen.lock().insert(key, entry);
        Ok(())
    }

    fn new_event(&self, ev: &Event, reference: &ObjectReference, now: Timestamp) -> K8sEvent {
        let object = reference
            .name
            .as_deref()
            .unwrap_or(&self.reporter.controller);
        K8sEvent {
            metadata: ObjectMeta {
                namespace: reference.namespace.clone(),
                name: Some(format!("{object}.{:x}", now.as_nanosecond())),
                ..Default::default()
            },
            action: Some(ev.action.clone()),
            reason: Some(ev.reason.clone()),
            note: ev.note.clone(),
            event_time: Some(MicroTime(now)),
            regarding: Some(reference.clone()),
            related: ev.secondary.clone(),
            reporting_controller: Some(self.reporter.controller.clone()),
            reporting_instance: Some(
                self.reporter
                    .instance
                    .clone()
                    .unwrap_or_else(|| self.reporter.controller.clone()),
            ),
            type_: Some(type_name(&ev.type_).to_owned()),
            ..Default::default()
        }
    }
}

fn key(ev: &Event, reference: &ObjectReference) -> Key {
    Key {
        namespace: reference.namespace.clone(),
        name: reference.name.clone(),
        uid: reference.uid.clone(),
        warning: matches!(ev.type_, EventType::Warning),
        reason: ev.reason.clone(),
        action: ev.action.clone(),
        note: ev.note.clone(),
    }
}

fn type_name(t: &EventType) -> &'static str {
    match t {
        EventType::Normal => "Normal",
        EventType::Warning => "Warning",
    }
}
