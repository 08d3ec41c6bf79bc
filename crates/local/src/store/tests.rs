use super::*;
use crate::model::{Instance, LoadBalancer};

fn lb(id: &str, name: &str) -> LoadBalancer {
    LoadBalancer {
        id: id.into(),
        name: name.into(),
        status: "active".into(),
        address: "127.0.2.1".into(),
        address_type: "intranet".into(),
        address_ip_version: "ipv4".into(),
        network_type: "vpc".into(),
        vpc_id: "vpc-local".into(),
        vswitch_id: "vsw-local".into(),
        master_zone_id: String::new(),
        slave_zone_id: String::new(),
        spec: "slb.s1.small".into(),
        instance_charge_type: "PayBySpec".into(),
        internet_charge_type: "paybytraffic".into(),
        bandwidth: 5120,
        pay_type: "PayOnDemand".into(),
        resource_group_id: "rg-default".into(),
        delete_protection: false,
        modification_protection_status: "NonProtection".into(),
        modification_protection_reason: String::new(),
        create_time_ms: 1,
        tags: [("k".to_owned(), "v".to_owned())].into(),
        listeners: Vec::new(),
        vserver_groups: Vec::new(),
        client_token: "t".into(),
    }
}

fn instance(id: &str) -> Instance {
    Instance::running(id, "127.0.0.11")
}

/// Puts two LBs and an instance, then replaces one LB and deletes the other.
fn exercise(store: &mut dyn Store) -> StoredState {
    store
        .commit(&Change {
            put_load_balancers: vec![lb("lb-a", "a"), lb("lb-b", "b")],
            put_instances: vec![instance("i-1")],
            ..Change::default()
        })
        .unwrap();
    store
        .commit(&Change {
            put_load_balancers: vec![lb("lb-a", "renamed")],
            delete_load_balancers: vec!["lb-b".into()],
            ..Change::default()
        })
        .unwrap();
    store.load().unwrap()
}

#[test]
fn sqlite_and_memory_stores_agree_on_put_replace_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    let from_sqlite = exercise(&mut sqlite);
    let from_memory = exercise(&mut MemoryStore::default());
    assert_eq!(from_sqlite, from_memory);
    assert_eq!(
        from_sqlite.load_balancers.keys().collect::<Vec<_>>(),
        ["lb-a"]
    );
    assert_eq!(from_sqlite.load_balancers["lb-a"].name, "renamed");
    assert_eq!(from_sqlite.instances.len(), 1);
}

#[test]
fn reopening_the_file_restores_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let before = exercise(&mut SqliteStore::open(&path).unwrap());
    let mut reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.load().unwrap(), before);
    assert_eq!(reopened.count_load_balancers().unwrap(), 1);
}

#[test]
fn a_file_from_a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), "schema_too_new");
    assert!(err.to_string().contains("newer slb-ccm"), "{err}");
}

#[test]
fn a_corrupt_document_names_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO load_balancers (id, doc) VALUES ('lb-bad', '{')",
        [],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap().load().unwrap_err();
    assert!(err.to_string().contains("lb-bad"), "{err}");
}

/// A load balancer as the store wrote it before slb-clb-state (the document format is
/// unchanged; this one is old enough to lack `client_token` and `domain_extensions`).
const STORED_BEFORE_SHARED_STATE: &str = r#"{
  "id": "lb-old", "name": "web", "status": "active", "address": "127.0.2.9",
  "address_type": "intranet", "address_ip_version": "ipv4", "network_type": "vpc",
  "vpc_id": "vpc-local", "vswitch_id": "vsw-local", "master_zone_id": "", "slave_zone_id": "",
  "spec": "slb.s1.small", "instance_charge_type": "PayBySpec",
  "internet_charge_type": "paybytraffic", "bandwidth": 5120, "pay_type": "PayOnDemand",
  "resource_group_id": "rg-default", "delete_protection": false,
  "modification_protection_status": "NonProtection", "modification_protection_reason": "",
  "create_time_ms": 1700000000000, "tags": {"kubernetes.do.not.delete": "web"},
  "listeners": [{
    "protocol": "tcp", "port": 80, "status": "running", "backend_server_port": 0,
    "vserver_group_id": "rsp-old", "scheduler": "wrr", "bandwidth": -1,
    "description": "k8s/80/web/default/c", "settings": {"HealthCheckInterval": "5"},
    "tags": {}
  }],
  "vserver_groups": [{
    "id": "rsp-old", "name": "k8s/30080/web/default/c", "create_time_ms": 1700000000001,
    "backends": [{"server_id": "i-a", "server_type": "ecs", "server_ip": "", "port": 30080,
                  "weight": 100, "description": "k8s/30080/web/default/c"}],
    "tags": {}
  }]
}"#;

#[test]
fn a_load_balancer_stored_before_the_shared_state_loads_and_changes_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO load_balancers (id, doc) VALUES ('lb-old', ?1)",
        [STORED_BEFORE_SHARED_STATE],
    )
    .unwrap();
    drop(conn);
    let mut store = SqliteStore::open(&path).unwrap();
    let mut lb = store
        .load()
        .unwrap()
        .load_balancers
        .remove("lb-old")
        .unwrap();
    let shared = lb.shared();
    assert_eq!(
        shared.listeners[0].attributes.health_check_interval,
        Some(5)
    );
    assert_eq!(shared.vserver_groups[0].backend_servers[0].server_id, "i-a");

    lb.transition(|s| s.stop_listener(80, slb_clb_state::Protocol::Tcp))
        .unwrap();
    store
        .commit(&Change {
            put_load_balancers: vec![lb.clone()],
            ..Change::default()
        })
        .unwrap();
    let reloaded = SqliteStore::open(&path).unwrap().load().unwrap();
    assert_eq!(reloaded.load_balancers["lb-old"], lb);
    assert_eq!(lb.listeners[0].status, "stopped");
    assert_eq!(lb.create_time_ms, 1_700_000_000_000);
}
