//! The informer caches every replica keeps, leader or standby: Services (of the watched
//! namespace), Nodes and EndpointSlices, each a kube-runtime reflector driven by its own task
//! from start-up. A standby is therefore as warm as the leader, ready in the sense of
//! DESIGN.md ("able to act"), and takes over without listing anything.
//!
//! [`Caches`] records when each cache has listed ([`Listed`]; all three make the replica
//! Ready) and turns watch events into the Services they concern ([`Caches::triggers`]): a
//! Service change itself, an EndpointSlice's Service, a Node change through [`NodeFanout`].
//! Only the leader's controller subscribes; while nobody does, the requests are dropped.
//!
//! EndpointSlices are also indexed by their Service ([`slice_index`]), so a reconcile reads
//! only its own. Objects are cached without what nothing here reads and what takes the most
//! room: `managedFields` (the API server's record of which manager set which field, often
//! as large as the rest of the object), and a Node's `status.images` ([`trimmed`]).
//!
//! Not here: reconciling, or anything that calls the cloud (the leader's controller in
//! [`crate::run`] does, node registration included: [`InventorySync`] only keeps its
//! bookkeeping until it is activated).
//!
//! Why flags and not `Store::wait_until_ready`: kube-runtime's readiness future keeps a single
//! waker per store, so when two tasks wait on one store (the controller's applier waits on the
//! Service store; a reconcile used to poll the Node store with a no-op waker) the last one to
//! poll takes the wake-up and the other sleeps forever. That is how `/readyz` stayed
//! `503 caches not synced yet` on a controller that was reconciling normally. Here the first
//! list is seen in the watch events themselves, by the one task that drives each cache.

use crate::admin::Readiness;
use crate::fanout::NodeFanout;
use crate::inventory::InventorySync;
use crate::reconcile::SERVICE_NAME_LABEL;
use crate::service_state::ServiceStates;
use futures::{Stream, StreamExt, stream};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use slb_model::ClusterContext;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub mod slice_index;
pub use slice_index::ServiceSlices;

/// Requests the leader's controller may fall behind by before it is sent every Service again
/// (the controller's scheduler takes them as they come, so this is headroom for bursts).
const TRIGGER_BUFFER: usize = 4096;

/// One of the caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// LoadBalancer candidates.
    Services,
    /// Backends.
    Nodes,
    /// Endpoints of the Services.
    EndpointSlices,
}

/// Which caches have completed their first list; cheap to clone, shared by every reader.
#[derive(Clone, Debug, Default)]
pub struct Listed(Arc<[AtomicBool; 3]>);

impl Listed {
    /// Records that `cache` has listed; returns whether all of them have now.
    pub fn mark(&self, cache: Cache) -> bool {
        self.0[cache as usize].store(true, Ordering::Release);
        self.all()
    }

    /// Whether `cache` has listed.
    pub fn has(&self, cache: Cache) -> bool {
        self.0[cache as usize].load(Ordering::Acquire)
    }

    /// Whether every cache has listed: the replica can act.
    pub fn all(&self) -> bool {
        self.0.iter().all(|listed| listed.load(Ordering::Acquire))
    }
}

/// The caches of one replica and the reconcile requests their events make.
pub struct Caches {
    /// Services of the watched namespace (or all).
    pub services: Store<Service>,
    /// Every Node.
    pub nodes: Store<Node>,
    /// EndpointSlices of the watched namespace (or all).
    pub slices: Store<EndpointSlice>,
    /// The same EndpointSlices, by Service.
    pub service_slices: ServiceSlices,
    /// Which of them have listed.
    pub listed: Listed,
    /// What the controller keeps per Service: the fan-out counts Node changes in it, and a
    /// Service's deletion (or absence from a relist) forgets it.
    pub states: Arc<ServiceStates>,
    triggers: broadcast::Sender<ObjectRef<Service>>,
}

/// What [`Caches::start`] needs besides the client.
pub struct CacheOptions {
    /// Only Services and EndpointSlices of this namespace (all namespaces when `None`).
    pub namespace: Option<String>,
    /// For the Node fan-out's eligibility rules.
    pub cluster: ClusterContext,
    /// Set once every cache has listed.
    pub readiness: Readiness,
    /// Node registration with the local CLB, fed every Node event (it sends only once
    /// activated by the leader).
    pub inventory: Option<Arc<InventorySync>>,
    /// The per-Service state the reconciles share (see [`Caches::states`]).
    pub states: Arc<ServiceStates>,
}

impl Caches {
    /// Starts one task per cache, each running until `stop`.
    pub fn start(client: &Client, options: &CacheOptions, stop: &CancellationToken) -> Arc<Self> {
        let (services, service_writer) = reflector::store::<Service>();
        let (nodes, node_writer) = reflector::store::<Node>();
        let (slices, slice_writer) = reflector::store::<EndpointSlice>();
        let caches = Arc::new(Caches {
            services,
            nodes,
            service_slices: ServiceSlices::new(slices.clone()),
            slices,
            listed: Listed::default(),
            states: options.states.clone(),
            triggers: broadcast::channel(TRIGGER_BUFFER).0,
        });
        let ns = options.namespace.as_deref();
        let api = crate::run::scoped::<Service>(client, ns);
        let watch = watcher(api, watcher::Config::default()).modify(trimmed);
        let watch = reflector::reflector(service_writer, watch);
        let feed = caches.feed(Cache::Services, watch, options, stop);
        feed.spawn(on_service_event);
        let api = crate::run::scoped::<EndpointSlice>(client, ns);
        let watch = watcher(api, watcher::Config::default()).modify(trimmed);
        let watch = reflector::reflector(slice_writer, watch);
        let feed = caches.feed(Cache::EndpointSlices, watch, options, stop);
        feed.spawn(on_slice_event);
        let api = kube::Api::<Node>::all(client.clone());
        let watch = watcher(api, watcher::Config::default()).modify(trimmed_node);
        let watch = reflector::reflector(node_writer, watch);
        let on_node = caches.on_node_event(options.cluster.clone(), options.inventory.clone());
        caches
            .feed(Cache::Nodes, watch, options, stop)
            .spawn(on_node);
        caches
    }

    /// What a Node event does: registration bookkeeping (and sending, once the leader
    /// activated it), then a request for each Service whose backends it changes.
    fn on_node_event(
        &self,
        cluster: ClusterContext,
        inventory: Option<Arc<InventorySync>>,
    ) -> impl FnMut(&Caches, &watcher::Event<Node>) + Send + 'static {
        let fanout = NodeFanout::new(
            self.services.clone(),
            self.slices.clone(),
            cluster,
            self.states.clone(),
        );
        move |caches, event| {
            if let Some(inventory) = &inventory {
                inventory.on_event(event);
            }
            for svc in fanout.on_event(event) {
                caches.request(svc);
            }
        }
    }

    fn feed<S>(
        self: &Arc<Self>,
        cache: Cache,
        stream: S,
        options: &CacheOptions,
        stop: &CancellationToken,
    ) -> Feed<S> {
        Feed {
            cache,
            caches: Arc::clone(self),
            readiness: options.readiness.clone(),
            stop: stop.clone(),
            stream,
        }
    }

    /// Every Service in the cache, then each Service a later event concerns: what the
    /// leader's controller reconciles. Subscribing before taking the snapshot leaves no gap
    /// between the two; a subscriber that falls more than a buffer behind gets every Service
    /// again instead of what it missed.
    pub fn triggers(&self) -> impl Stream<Item = ObjectRef<Service>> + Send + 'static {
        let rx = self.triggers.subscribe();
        let services = self.services.clone();
        let later = stream::unfold((rx, services.clone()), |(mut rx, services)| async move {
            let batch = match rx.recv().await {
                Ok(svc) => vec![svc],
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "reconcile requests overflowed; requesting every Service"
                    );
                    every_service(&services)
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((stream::iter(batch), (rx, services)))
        });
        stream::iter(every_service(&services)).chain(later.flatten())
    }

    /// Requests a reconcile of `svc` from whoever subscribed (nobody on a standby).
    fn request(&self, svc: ObjectRef<Service>) {
        // An error only means that nobody listens.
        let _ = self.triggers.send(svc);
    }
}

/// One cache's watch, driven by its own task.
struct Feed<S> {
    cache: Cache,
    caches: Arc<Caches>,
    readiness: Readiness,
    stop: CancellationToken,
    stream: S,
}

impl<K, S> Feed<S>
where
    K: Send + 'static,
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
{
    /// Polls the watch until `stop` (the reflector updates the store before an event gets
    /// here) and hands each event to `on_event`, then marks the first list: a cache counts as
    /// listed once what its events maintain (the slice index) has seen the list too.
    fn spawn(self, mut on_event: impl FnMut(&Caches, &watcher::Event<K>) + Send + 'static) {
        let Feed {
            cache,
            caches,
            readiness,
            stop,
            stream,
        } = self;
        tokio::spawn(async move {
            let mut events =
                std::pin::pin!(stream.default_backoff().take_until(stop.cancelled_owned()));
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => {
                        on_event(&caches, &event);
                        if matches!(event, watcher::Event::InitDone) && caches.listed.mark(cache) {
                            readiness.set(true);
                        }
                    }
                    Err(err) => tracing::warn!(?cache, error = %err, "watch failed; retrying"),
                }
            }
        });
    }
}

/// What a Service event requests: the Service when it changes, and every Service at the end
/// of a (re)list, which reaches the store whole only then (so no request names a Service the
/// store does not hold yet). A deleted Service is forgotten, and so is every Service a relist
/// no longer holds (its deletion happened while the watch was down).
fn on_service_event(caches: &Caches, event: &watcher::Event<Service>) {
    match event {
        watcher::Event::Apply(svc) => caches.request(ObjectRef::from_obj(svc)),
        watcher::Event::Delete(svc) => caches.states.forget(&ObjectRef::from_obj(svc)),
        watcher::Event::InitDone => {
            let services = every_service(&caches.services);
            let listed: std::collections::HashSet<&ObjectRef<Service>> = services.iter().collect();
            caches.states.retain(|svc| listed.contains(svc));
            for svc in services {
                caches.request(svc);
            }
        }
        _ => {}
    }
}

/// What an EndpointSlice event does: it updates the index by Service, and requests its
/// Service, whatever happened to the slice.
fn on_slice_event(caches: &Caches, event: &watcher::Event<EndpointSlice>) {
    caches.service_slices.apply(event);
    if let watcher::Event::Apply(slice)
    | watcher::Event::InitApply(slice)
    | watcher::Event::Delete(slice) = event
        && let Some(svc) = service_of(slice)
    {
        caches.request(svc);
    }
}

/// An object as cached: without its `managedFields`, which nothing here reads (the
/// controller writes with patches, so no write sends a cached object back).
fn trimmed<K: Resource>(obj: &mut K) {
    obj.meta_mut().managed_fields = None;
}

/// A Node as cached: [`trimmed`], and without the container images it holds
/// (`status.images`: names and sizes of every image pulled, read by nobody here).
fn trimmed_node(node: &mut Node) {
    trimmed(node);
    if let Some(status) = &mut node.status {
        status.images = None;
    }
}

/// The Service an EndpointSlice belongs to.
fn service_of(slice: &EndpointSlice) -> Option<ObjectRef<Service>> {
    let ns = slice.namespace()?;
    let name = slice.labels().get(SERVICE_NAME_LABEL)?;
    Some(ObjectRef::<Service>::new(name).within(&ns))
}

fn every_service(services: &Store<Service>) -> Vec<ObjectRef<Service>> {
    services
        .state()
        .iter()
        .map(|svc| ObjectRef::from_obj(&**svc))
        .collect()
}

#[cfg(test)]
mod tests;
