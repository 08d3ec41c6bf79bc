//! The bench's Kubernetes side: creating the Nodes and Services of a run, and watching until
//! every Service has an IP. It does not start controllers or read the cloud's figures.
//!
//! Services are created concurrently (at most [`IN_FLIGHT`] requests at a time) so creating
//! 5,000 of them takes seconds rather than minutes of round trips; convergence is seen by one
//! watch on the namespace instead of listing every Service over and over, so the bench adds
//! no load that grows with the number of Services while the controller works.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, Service};
use kube::Api;
use kube::api::PostParams;
use kube::runtime::{WatchStreamExt, watcher};
use slb_testkit::fixtures::{load_balancer_service, node};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;

/// Create requests in flight at once.
pub const IN_FLIGHT: usize = 32;

/// The namespace of the bench's Services.
const NAMESPACE: &str = "default";

/// Creates Nodes `from..to`, `IN_FLIGHT` at a time; `name` gives a node's (name, IP,
/// providerID).
pub async fn create_nodes(
    kube: &kube::Client,
    range: std::ops::Range<usize>,
    name: impl Fn(usize) -> (String, String, String),
) {
    let api: Api<Node> = Api::all(kube.clone());
    futures::stream::iter(range)
        .map(|i| {
            let (n, ip, provider) = name(i);
            let api = api.clone();
            async move {
                let object = node(&n, &ip, Some(&provider));
                api.create(&PostParams::default(), &object).await
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await
        .expect("creating the Nodes");
}

/// Creates `count` one-port Cluster-policy LoadBalancer Services, `IN_FLIGHT` at a time.
pub async fn create_services(kube: &kube::Client, count: usize) {
    let api: Api<Service> = Api::namespaced(kube.clone(), NAMESPACE);
    futures::stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            async move {
                let svc = load_balancer_service(NAMESPACE, &format!("svc-{i}"), &[(80, 8080)]);
                api.create(&PostParams::default(), &svc).await
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await
        .expect("creating the Services");
}

fn has_ip(svc: &Service) -> bool {
    svc.status
        .as_ref()
        .and_then(|st| st.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .is_some_and(|i| !i.is_empty())
}

/// Seconds from `started` until `count` Services have an IP, or `None` after `timeout`
/// seconds (counted from `started`). Watches the namespace from now on; start it before or
/// while the Services are created.
pub async fn converge(
    kube: &kube::Client,
    count: usize,
    started: Instant,
    timeout: u64,
) -> Option<f64> {
    let api: Api<Service> = Api::namespaced(kube.clone(), NAMESPACE);
    let deadline = started + Duration::from_secs(timeout);
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    let mut ready: BTreeSet<String> = BTreeSet::new();
    let mut shown = Instant::now();
    loop {
        let event = match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(Ok(event))) => event,
            Ok(Some(Err(err))) => {
                eprintln!("\n  watch error (the watcher retries after a backoff): {err}");
                continue;
            }
            Ok(None) | Err(_) => break,
        };
        match event {
            watcher::Event::Apply(svc) | watcher::Event::InitApply(svc) => {
                let name = svc.metadata.name.clone().unwrap_or_default();
                if has_ip(&svc) {
                    ready.insert(name);
                } else {
                    ready.remove(&name);
                }
            }
            watcher::Event::Delete(svc) => {
                ready.remove(&svc.metadata.name.clone().unwrap_or_default());
            }
            // A relist follows: what it lists is the truth.
            watcher::Event::Init => ready.clear(),
            watcher::Event::InitDone => {}
        }
        if ready.len() >= count {
            eprintln!("\r  {}/{count} Services have an IP   ", ready.len());
            return Some(started.elapsed().as_secs_f64());
        }
        if shown.elapsed() >= Duration::from_secs(1) {
            eprint!("\r  {}/{count} Services have an IP   ", ready.len());
            shown = Instant::now();
        }
    }
    eprintln!(
        "\n  {}/{count} Services had an IP at the timeout",
        ready.len()
    );
    None
}
