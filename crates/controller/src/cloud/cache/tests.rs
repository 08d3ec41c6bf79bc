use super::*;
use slb_model::ObservedVServerGroup;

fn ecs(node: &str, port: u16, group: &str) -> BackendServer {
    BackendServer {
        server_id: node.into(),
        r#type: BackendType::Ecs,
        server_ip: None,
        port,
        weight: 100,
        description: group.into(),
    }
}

fn eni(id: &str, ip: &str, group: &str) -> BackendServer {
    BackendServer {
        server_id: id.into(),
        r#type: BackendType::Eni,
        server_ip: Some(ip.into()),
        port: 8080,
        weight: 50,
        description: group.into(),
    }
}

fn clb(id: &str, groups: Vec<(&str, Vec<BackendServer>)>) -> ObservedLb {
    ObservedLb {
        load_balancer_id: id.into(),
        address: "10.0.0.1".into(),
        vserver_groups: groups
            .into_iter()
            .map(|(name, members)| ObservedVServerGroup {
                vserver_group_id: format!("rsp-{name}"),
                vserver_group_name: name.into(),
                backend_servers: members,
            })
            .collect(),
        ..ObservedLb::default()
    }
}

const AGE: Duration = Duration::from_secs(600);

fn server_id(cache: &ObservationCache, id: &str, group: usize, i: usize) -> StrId {
    cache.inner.lock().entries[id].members[group][i].server_id
}

#[test]
fn a_stored_observation_reads_back_as_it_was() {
    let cache = ObservationCache::default();
    let lb = clb(
        "lb-1",
        vec![
            (
                "web",
                vec![ecs("i-1", 30080, "web"), ecs("i-2", 30080, "web")],
            ),
            ("pods", vec![eni("eni-1", "172.16.0.9", "pods")]),
            ("empty", vec![]),
        ],
    );
    cache.insert(lb.clone(), Instant::now());
    assert_eq!(cache.get("lb-1", AGE), Some(lb));
    assert_eq!(cache.get("lb-2", AGE), None);
}

#[test]
fn members_on_one_node_share_its_server_id_across_clbs() {
    let cache = ObservationCache::default();
    cache.insert(
        clb("lb-1", vec![("a", vec![ecs("i-1", 30001, "a")])]),
        Instant::now(),
    );
    cache.insert(
        clb("lb-2", vec![("b", vec![ecs("i-1", 30002, "b")])]),
        Instant::now(),
    );
    assert_eq!(
        server_id(&cache, "lb-1", 0, 0),
        server_id(&cache, "lb-2", 0, 0)
    );
    assert_eq!(
        cache.inner.lock().strings.ids.len(),
        3,
        "i-1, a and b once each"
    );
}

#[test]
fn a_member_takes_20_bytes() {
    assert_eq!(std::mem::size_of::<Member>(), 20);
}

#[test]
fn an_entry_older_than_the_max_age_is_not_read_but_keeps_its_time() {
    let cache = ObservationCache::default();
    let at = Instant::now() - Duration::from_secs(10);
    cache.insert(clb("lb-1", vec![]), at);
    assert_eq!(cache.get("lb-1", Duration::from_secs(5)), None);
    assert!(!cache.is_fresh("lb-1", Duration::from_secs(5)));
    assert!(cache.is_fresh("lb-1", Duration::from_secs(60)));
    assert_eq!(cache.observed_at("lb-1"), Some(at));
}

#[test]
fn a_removed_entry_is_gone() {
    let cache = ObservationCache::default();
    cache.insert(clb("lb-1", vec![]), Instant::now());
    cache.remove("lb-1");
    assert_eq!(cache.get("lb-1", AGE), None);
    assert_eq!(cache.observed_at("lb-1"), None);
}

/// A cache that held a CLB with one string short of the first prune (its ids and its group's
/// description), lost it, and then got `lb-1`, whose insert pruned the table.
fn pruned_once() -> ObservationCache {
    let cache = ObservationCache::default();
    let many: Vec<BackendServer> = (0..STRINGS_KEPT - 2)
        .map(|i| ecs(&format!("i-{i}"), 30000, "big"))
        .collect();
    cache.insert(clb("lb-big", vec![("big", many)]), Instant::now());
    cache.remove("lb-big");
    cache.insert(
        clb("lb-1", vec![("a", vec![ecs("i-1", 30001, "a")])]),
        Instant::now(),
    );
    cache
}

#[test]
fn strings_no_entry_uses_any_more_are_dropped() {
    let cache = pruned_once();
    let kept = cache.inner.lock().strings.ids.len();
    assert_eq!(kept, 2, "i-1 and lb-1's group description");
    assert_eq!(
        cache.get("lb-1", AGE),
        Some(clb("lb-1", vec![("a", vec![ecs("i-1", 30001, "a")])]))
    );
}

#[test]
fn a_freed_place_in_the_string_table_is_taken_by_the_next_new_string() {
    let cache = pruned_once();
    let places = cache.inner.lock().strings.by_id.len();
    let lb = clb("lb-2", vec![("b", vec![ecs("i-new", 30002, "b")])]);
    cache.insert(lb.clone(), Instant::now());
    assert_eq!(cache.inner.lock().strings.by_id.len(), places);
    assert_eq!(cache.get("lb-2", AGE), Some(lb));
}
