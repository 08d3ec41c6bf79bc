use super::*;
use crate::backoff::MIN_RETRY_DELAY;

fn key(name: &str, uid: &str) -> ObjectRef<Service> {
    let mut svc = Service::default();
    svc.metadata.name = Some(name.into());
    svc.metadata.namespace = Some("shop".into());
    svc.metadata.uid = Some(uid.into());
    ObjectRef::from_obj(&svc)
}

const DONE: Fingerprint = Fingerprint {
    inputs: 1,
    written: 2,
};

#[test]
fn failures_count_up_and_a_success_resets_only_that_service() {
    let states = ServiceStates::default();
    let (a, b) = (key("a", "uid-a"), key("b", "uid-b"));
    states.failed(&a);
    states.failed(&a);
    states.failed(&b);
    states.succeeded(&a);
    assert_eq!(states.failures(&a), 0);
    assert_eq!(states.failures(&b), 1);
    assert!(states.failed(&a) <= MIN_RETRY_DELAY.mul_f64(1.1));
}

#[test]
fn a_deleted_then_recreated_service_does_not_inherit_the_old_ones_backoff() {
    let states = ServiceStates::default();
    let old = key("web", "uid-1");
    for _ in 0..6 {
        states.failed(&old);
    }
    states.bump_node_epoch(&old);
    states.set_synced(&old, Some(DONE));
    let recreated = key("web", "uid-2");
    assert_eq!(
        states.failures(&recreated),
        0,
        "nothing read for the new uid"
    );
    assert_eq!(states.synced(&recreated), None);
    assert_eq!(states.node_epoch(&recreated), 0);
    let first = states.failed(&recreated);
    assert!(
        first <= MIN_RETRY_DELAY.mul_f64(1.1),
        "its first failure waits the shortest delay, not {first:?}"
    );
    assert_eq!(states.failures(&recreated), 1);
    assert_eq!(
        states.len(),
        1,
        "the new Service replaced the old one's entry"
    );
}

#[test]
fn forget_drops_backoff_fingerprint_and_node_epoch_together() {
    let states = ServiceStates::default();
    let web = key("web", "uid-1");
    states.failed(&web);
    states.set_synced(&web, Some(DONE));
    states.bump_node_epoch(&web);
    states.forget(&web);
    assert!(states.is_empty());
    assert_eq!(
        (
            states.failures(&web),
            states.synced(&web),
            states.node_epoch(&web)
        ),
        (0, None, 0)
    );
}

#[test]
fn the_map_does_not_grow_over_create_delete_cycles() {
    let states = ServiceStates::default();
    for cycle in 0..1_000 {
        let svc = key(&format!("svc-{}", cycle % 7), &format!("uid-{cycle}"));
        states.failed(&svc);
        states.set_synced(&svc, Some(DONE));
        states.forget(&svc);
    }
    assert!(states.is_empty());
}

#[test]
fn a_relist_keeps_only_the_services_still_listed() {
    let states = ServiceStates::default();
    for name in ["a", "b", "c"] {
        states.failed(&key(name, name));
    }
    states.retain(|k| k.name != "b");
    assert_eq!(states.len(), 2);
    assert_eq!(states.failures(&key("b", "b")), 0);
    assert_eq!(states.failures(&key("a", "a")), 1);
}

#[test]
fn a_success_after_forget_does_not_bring_the_service_back() {
    let states = ServiceStates::default();
    let web = key("web", "uid-1");
    states.failed(&web);
    states.forget(&web);
    states.succeeded(&web);
    states.set_synced(&web, None);
    assert!(states.is_empty());
}

#[test]
fn the_gauge_follows_the_number_of_services_with_state() {
    let gauge = Gauge::default();
    let states = ServiceStates::default().counted_in(gauge.clone());
    states.failed(&key("a", "a"));
    states.bump_node_epoch(&key("b", "b"));
    states.failed(&key("a", "a"));
    assert_eq!(gauge.get(), 2);
    states.forget(&key("a", "a"));
    assert_eq!(gauge.get(), 1);
    states.retain(|_| false);
    assert_eq!(gauge.get(), 0);
}

#[test]
fn only_the_first_sync_of_a_new_service_skips_the_lookup() {
    let states = ServiceStates::default();
    let web = key("web", "uid-1");
    assert!(states.first_sync_as_new(&web));
    assert!(!states.first_sync_as_new(&web));
    // The same name, created again: a new Service.
    assert!(states.first_sync_as_new(&key("web", "uid-2")));
}

#[test]
fn forgetting_a_service_drops_that_it_synced_as_new() {
    let states = ServiceStates::default();
    let web = key("web", "uid-1");
    states.first_sync_as_new(&web);
    states.forget(&web);
    assert!(states.is_empty());
    assert!(states.first_sync_as_new(&web));
}
