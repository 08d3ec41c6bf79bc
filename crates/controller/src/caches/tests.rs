use super::*;
use kube::runtime::reflector::store::Writer;

fn service(name: &str) -> Service {
    let mut svc = Service::default();
    svc.metadata.name = Some(name.into());
    svc.metadata.namespace = Some("shop".into());
    svc
}

/// Caches whose Service store holds `names`, as a replica's would after listing them.
fn caches_with(names: &[&str], buffer: usize) -> Arc<Caches> {
    let mut writer = Writer::<Service>::default();
    writer.apply_watcher_event(&watcher::Event::Init);
    for name in names {
        writer.apply_watcher_event(&watcher::Event::InitApply(service(name)));
    }
    writer.apply_watcher_event(&watcher::Event::InitDone);
    let services = writer.as_reader();
    Arc::new(Caches {
        services,
        nodes: reflector::store().0,
        slices: reflector::store().0,
        service_slices: ServiceSlices::new(reflector::store().0),
        listed: Listed::default(),
        states: Arc::default(),
        triggers: broadcast::channel(buffer).0,
    })
}

fn names(refs: &[ObjectRef<Service>]) -> Vec<String> {
    let mut names: Vec<String> = refs.iter().map(|r| r.name.clone()).collect();
    names.sort();
    names
}

#[test]
fn a_replica_is_ready_only_once_all_three_caches_have_listed() {
    let listed = Listed::default();
    assert!(!listed.mark(Cache::Services));
    assert!(!listed.mark(Cache::Nodes));
    assert!(!listed.all());
    assert!(listed.has(Cache::Nodes) && !listed.has(Cache::EndpointSlices));
    assert!(listed.mark(Cache::EndpointSlices));
    assert!(listed.all());
}

#[tokio::test]
async fn a_new_leader_is_sent_every_cached_service_then_each_later_request() {
    let caches = caches_with(&["a", "b"], 16);
    caches.request(ObjectRef::from_obj(&service("lost-before-subscribing")));
    let mut triggers = std::pin::pin!(caches.triggers());
    caches.request(ObjectRef::from_obj(&service("c")));
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(triggers.next().await.unwrap());
    }
    assert_eq!(names(&got[..2]), ["a", "b"], "the cache first");
    assert_eq!(got[2].name, "c", "then what events request");
}

#[tokio::test]
async fn a_leader_that_falls_behind_is_sent_every_service_again() {
    let caches = caches_with(&["a", "b"], 2);
    let mut triggers = std::pin::pin!(caches.triggers());
    for _ in 0..2 {
        triggers.next().await.unwrap();
    }
    for name in ["x", "y", "z"] {
        caches.request(ObjectRef::from_obj(&service(name)));
    }
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(triggers.next().await.unwrap());
    }
    assert_eq!(
        names(&got[..2]),
        ["a", "b"],
        "the overflow is replaced by every Service"
    );
    assert_eq!(names(&got[2..]), ["y", "z"], "then what is still buffered");
}

/// Everything requested so far from `caches` through a subscription taken before.
fn drain(rx: &mut broadcast::Receiver<ObjectRef<Service>>) -> Vec<String> {
    let mut names = Vec::new();
    while let Ok(svc) = rx.try_recv() {
        names.push(svc.name);
    }
    names.sort();
    names
}

#[test]
fn a_service_list_requests_every_service_once_it_is_whole_and_a_change_requests_itself() {
    let caches = caches_with(&["a", "b"], 16);
    let mut rx = caches.triggers.subscribe();
    on_service_event(&caches, &watcher::Event::Init);
    on_service_event(&caches, &watcher::Event::InitApply(service("a")));
    assert!(drain(&mut rx).is_empty(), "not while the list is partial");
    on_service_event(&caches, &watcher::Event::InitDone);
    assert_eq!(drain(&mut rx), ["a", "b"]);
    on_service_event(&caches, &watcher::Event::Apply(service("b")));
    assert_eq!(drain(&mut rx), ["b"]);
}

#[test]
fn a_slice_event_requests_its_service_and_a_slice_without_one_nothing() {
    let caches = caches_with(&[], 16);
    let mut rx = caches.triggers.subscribe();
    let slice = |labels: &[(&str, &str)]| {
        let mut slice = EndpointSlice::default();
        slice.metadata.namespace = Some("shop".into());
        slice.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        slice
    };
    let owned = slice(&[(SERVICE_NAME_LABEL, "web")]);
    on_slice_event(&caches, &watcher::Event::InitApply(owned.clone()));
    on_slice_event(&caches, &watcher::Event::Delete(owned));
    on_slice_event(&caches, &watcher::Event::Apply(slice(&[])));
    assert_eq!(drain(&mut rx), ["web", "web"]);
}

#[test]
fn a_deleted_service_is_forgotten() {
    let caches = caches_with(&["a", "b"], 16);
    for name in ["a", "b"] {
        caches.states.failed(&ObjectRef::from_obj(&service(name)));
    }
    on_service_event(&caches, &watcher::Event::Delete(service("a")));
    assert_eq!(caches.states.len(), 1);
    assert_eq!(
        caches.states.failures(&ObjectRef::from_obj(&service("b"))),
        1
    );
}

#[test]
fn a_relist_forgets_the_services_it_no_longer_holds() {
    // The store holds only "a": "gone" was deleted while the watch was down.
    let caches = caches_with(&["a"], 16);
    for name in ["a", "gone"] {
        caches.states.failed(&ObjectRef::from_obj(&service(name)));
    }
    on_service_event(&caches, &watcher::Event::InitDone);
    assert_eq!(caches.states.len(), 1);
    assert_eq!(
        caches.states.failures(&ObjectRef::from_obj(&service("a"))),
        1
    );
}

fn managed_fields()
-> Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry>> {
    Some(vec![
        k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            operation: Some("Apply".into()),
            ..Default::default()
        },
    ])
}

#[test]
fn a_cached_service_keeps_everything_but_its_managed_fields() {
    let mut svc = service("web");
    svc.metadata.managed_fields = managed_fields();
    svc.metadata.annotations = Some([("a".to_owned(), "b".to_owned())].into());
    let mut want = svc.clone();
    want.metadata.managed_fields = None;
    trimmed(&mut svc);
    assert_eq!(svc, want);
}

#[test]
fn a_cached_node_drops_its_images_and_keeps_its_addresses() {
    use k8s_openapi::api::core::v1::{ContainerImage, NodeAddress, NodeStatus};
    let mut node = Node::default();
    node.metadata.managed_fields = managed_fields();
    node.status = Some(NodeStatus {
        addresses: Some(vec![NodeAddress {
            type_: "InternalIP".into(),
            address: "10.0.0.5".into(),
        }]),
        images: Some(vec![ContainerImage {
            names: Some(vec!["registry.example/app:1".into()]),
            size_bytes: Some(1 << 20),
        }]),
        ..Default::default()
    });
    trimmed_node(&mut node);
    assert_eq!(node.metadata.managed_fields, None);
    let status = node.status.unwrap();
    assert_eq!(status.images, None);
    assert_eq!(status.addresses.unwrap()[0].address, "10.0.0.5");
}
