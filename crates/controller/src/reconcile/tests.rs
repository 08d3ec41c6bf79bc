use super::*;

#[test]
fn a_clb_id_is_recorded_as_the_cloud_answered_it() {
    assert_eq!(
        recorded_id(Some("lb-bp1abc2def3")).unwrap().as_deref(),
        Some("lb-bp1abc2def3")
    );
    assert_eq!(recorded_id(None).unwrap(), None, "no CLB, no label");
}

#[test]
fn an_empty_or_malformed_clb_id_is_refused_instead_of_written_into_the_label() {
    let too_long = format!("lb-{}", "a".repeat(61));
    for bad in ["", " ", "lb bad", "-lb", "lb-", "lb/1", too_long.as_str()] {
        match recorded_id(Some(bad)) {
            Err(Error::MalformedLoadBalancerId(id)) => assert_eq!(id, bad),
            other => panic!("{bad:?}: expected a refusal, got {other:?}"),
        }
    }
}

fn cached(name: &str, uid: &str) -> Service {
    let mut svc = Service::default();
    svc.metadata.name = Some(name.into());
    svc.metadata.namespace = Some("shop".into());
    svc.metadata.uid = Some(uid.into());
    svc
}

#[test]
fn only_a_service_the_cache_still_holds_with_the_same_uid_counts_as_cached() {
    use kube::runtime::reflector::store::Writer;
    use kube::runtime::watcher;
    let mut writer = Writer::<Service>::default();
    writer.apply_watcher_event(&watcher::Event::Apply(cached("web", "uid-2")));
    let store = writer.as_reader();
    assert!(still_cached(&store, &cached("web", "uid-2")));
    assert!(
        !still_cached(&store, &cached("web", "uid-1")),
        "the old Service of that name"
    );
    assert!(!still_cached(&store, &cached("gone", "uid-3")));
}
