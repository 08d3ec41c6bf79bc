use super::*;
use kube::runtime::reflector::store::Writer;

fn slice(ns: &str, name: &str, service: Option<&str>) -> EndpointSlice {
    let mut s = EndpointSlice::default();
    s.metadata.name = Some(name.into());
    s.metadata.namespace = Some(ns.into());
    if let Some(service) = service {
        s.metadata.labels = Some([(SERVICE_NAME_LABEL.to_owned(), service.to_owned())].into());
    }
    s
}

fn index_of(events: &[watcher::Event<EndpointSlice>]) -> SliceIndex {
    let mut index = SliceIndex::default();
    for event in events {
        index.apply(event);
    }
    index
}

#[test]
fn an_applied_slice_is_found_under_its_service_and_namespace_only() {
    let index = index_of(&[
        watcher::Event::Apply(slice("shop", "web-1", Some("web"))),
        watcher::Event::Apply(slice("shop", "web-2", Some("web"))),
        watcher::Event::Apply(slice("shop", "db-1", Some("db"))),
        watcher::Event::Apply(slice("blog", "web-9", Some("web"))),
    ]);
    assert_eq!(index.slices_of("shop", "web"), ["web-1", "web-2"]);
    assert_eq!(index.slices_of("blog", "web"), ["web-9"]);
    assert!(index.slices_of("shop", "none").is_empty());
}

#[test]
fn an_update_that_relabels_a_slice_moves_it_to_the_other_service() {
    let index = index_of(&[
        watcher::Event::Apply(slice("shop", "s-1", Some("web"))),
        watcher::Event::Apply(slice("shop", "s-1", Some("api"))),
    ]);
    assert!(index.slices_of("shop", "web").is_empty());
    assert_eq!(index.slices_of("shop", "api"), ["s-1"]);
}

#[test]
fn an_update_that_drops_the_label_leaves_the_service() {
    let index = index_of(&[
        watcher::Event::Apply(slice("shop", "s-1", Some("web"))),
        watcher::Event::Apply(slice("shop", "s-1", None)),
    ]);
    assert!(index.slices_of("shop", "web").is_empty());
}

#[test]
fn a_deleted_slice_is_gone_and_its_siblings_stay() {
    let index = index_of(&[
        watcher::Event::Apply(slice("shop", "web-1", Some("web"))),
        watcher::Event::Apply(slice("shop", "web-2", Some("web"))),
        watcher::Event::Delete(slice("shop", "web-1", Some("web"))),
    ]);
    assert_eq!(index.slices_of("shop", "web"), ["web-2"]);
}

#[test]
fn a_relist_replaces_the_index_at_its_end_dropping_vanished_slices() {
    let mut index = index_of(&[
        watcher::Event::Apply(slice("shop", "web-1", Some("web"))),
        watcher::Event::Apply(slice("shop", "db-1", Some("db"))),
        watcher::Event::Init,
        watcher::Event::InitApply(slice("shop", "web-2", Some("web"))),
    ]);
    assert_eq!(
        index.slices_of("shop", "web"),
        ["web-1"],
        "the old index serves until the relist is complete"
    );
    index.apply(&watcher::Event::InitDone);
    assert_eq!(index.slices_of("shop", "web"), ["web-2"]);
    assert!(index.slices_of("shop", "db").is_empty());
}

#[test]
fn service_slices_resolve_names_through_the_store_and_skip_relabelled_ones() {
    let mut writer = Writer::<EndpointSlice>::default();
    let slices = ServiceSlices::new(writer.as_reader());
    for event in [
        watcher::Event::Apply(slice("shop", "web-1", Some("web"))),
        watcher::Event::Apply(slice("shop", "web-2", Some("web"))),
    ] {
        writer.apply_watcher_event(&event);
        slices.apply(&event);
    }
    // The store has seen the move, the index not yet.
    writer.apply_watcher_event(&watcher::Event::Apply(slice("shop", "web-2", Some("api"))));
    let got: Vec<String> = slices
        .of("shop", "web")
        .iter()
        .map(|s| s.name_any())
        .collect();
    assert_eq!(got, ["web-1"]);
}
