//! The Node cache the node and route controller tests hand their controller: a reflector over
//! the Nodes carrying `label=<ns>` (each test's own), marked listed after its first event, as
//! `slb_controller::caches` marks the controller's. Stops with `stop`.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::runtime::reflector::Store;
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Client};
use slb_controller::caches::{Cache, Listed};
use tokio_util::sync::CancellationToken;

/// The test's Nodes as a store, and the flag the controller waits on.
pub fn labelled_nodes(
    client: &Client,
    (label, ns): (&str, &str),
    stop: &CancellationToken,
) -> (Store<Node>, Listed) {
    let api = Api::<Node>::all(client.clone());
    let config = watcher::Config::default().labels(&format!("{label}={ns}"));
    let (store, writer) = reflector::store();
    let listed = Listed::default();
    let stream = reflector(writer, watcher(api, config)).applied_objects();
    let (marker, stop) = (listed.clone(), stop.clone());
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        let mut first = true;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                item = stream.next() => if item.is_none() { return },
            }
            if first {
                marker.mark(Cache::Nodes);
                first = false;
            }
        }
    });
    (store, listed)
}
