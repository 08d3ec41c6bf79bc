use super::*;

const MARK: &str = "slb-ccm:c1";

fn cidr(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn node(name: &str, instance: &str, pod: Option<&str>) -> NodeRoute {
    NodeRoute {
        name: name.into(),
        instance: instance.into(),
        cidr: pod.map(cidr),
    }
}

fn entry(dest: &str, hop: &str, description: &str) -> Entry {
    Entry {
        destination: dest.into(),
        next_hop: hop.into(),
        description: description.into(),
    }
}

fn route(dest: &str, hop: &str) -> Route {
    Route {
        destination: dest.into(),
        next_hop: hop.into(),
    }
}

struct Case {
    name: &'static str,
    nodes: Vec<NodeRoute>,
    entries: Vec<Entry>,
    create: Vec<Route>,
    delete: Vec<Route>,
    conflicts: usize,
    present: Vec<&'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a Node without its route gets one",
            nodes: vec![node("a", "i-a", Some("172.20.1.0/24"))],
            entries: vec![],
            create: vec![route("172.20.1.0/24", "i-a")],
            delete: vec![],
            conflicts: 0,
            present: vec![],
        },
        Case {
            name: "an existing route is left alone and reported present",
            nodes: vec![node("a", "i-a", Some("172.20.1.0/24"))],
            entries: vec![entry("172.20.1.0/24", "i-a", "")],
            create: vec![],
            delete: vec![],
            conflicts: 0,
            present: vec!["a"],
        },
        Case {
            name: "a marked route whose next hop is no longer a Node is deleted",
            nodes: vec![node("a", "i-a", Some("172.20.1.0/24"))],
            entries: vec![
                entry("172.20.1.0/24", "i-a", MARK),
                entry("172.20.9.0/24", "i-gone", MARK),
            ],
            create: vec![],
            delete: vec![route("172.20.9.0/24", "i-gone")],
            conflicts: 0,
            present: vec!["a"],
        },
        Case {
            name: "an unmarked route to an instance that is no Node is not the cluster's",
            nodes: vec![node("a", "i-a", Some("172.20.1.0/24"))],
            entries: vec![entry("172.20.9.0/24", "i-nat", "")],
            create: vec![route("172.20.1.0/24", "i-a")],
            delete: vec![],
            conflicts: 0,
            present: vec![],
        },
        Case {
            name: "a marked route outside the cluster CIDR is never deleted",
            nodes: vec![],
            entries: vec![entry("10.0.0.0/24", "i-gone", MARK)],
            create: vec![],
            delete: vec![],
            conflicts: 0,
            present: vec![],
        },
        Case {
            name: "a Node's old route is replaced when its pod CIDR changed",
            nodes: vec![node("a", "i-a", Some("172.20.2.0/24"))],
            entries: vec![entry("172.20.1.0/24", "i-a", "")],
            create: vec![route("172.20.2.0/24", "i-a")],
            delete: vec![route("172.20.1.0/24", "i-a")],
            conflicts: 0,
            present: vec![],
        },
        Case {
            name: "a foreign entry holding the destination is a conflict, untouched",
            nodes: vec![node("a", "i-a", Some("172.20.1.0/24"))],
            entries: vec![entry("172.20.1.0/24", "i-other", "")],
            create: vec![],
            delete: vec![],
            conflicts: 1,
            present: vec![],
        },
        Case {
            name: "an owned entry to another Node's instance on a moved CIDR is replaced",
            nodes: vec![
                node("a", "i-a", Some("172.20.1.0/24")),
                node("b", "i-b", Some("172.20.2.0/24")),
            ],
            entries: vec![entry("172.20.1.0/24", "i-b", "")],
            create: vec![route("172.20.1.0/24", "i-a"), route("172.20.2.0/24", "i-b")],
            delete: vec![route("172.20.1.0/24", "i-b")],
            conflicts: 0,
            present: vec![],
        },
        Case {
            name: "destinations compare normalized",
            nodes: vec![node("a", "i-a", Some("172.20.1.7/24"))],
            entries: vec![entry("172.20.1.0/24", "i-a", MARK)],
            create: vec![],
            delete: vec![],
            conflicts: 0,
            present: vec!["a"],
        },
        Case {
            name: "a Node without pod CIDR or outside the cluster CIDR gets nothing",
            nodes: vec![
                node("a", "i-a", None),
                node("b", "i-b", Some("10.9.0.0/24")),
            ],
            entries: vec![],
            create: vec![],
            delete: vec![],
            conflicts: 0,
            present: vec![],
        },
    ]
}

#[test]
fn plan_routes_table() {
    let cluster = cidr("172.20.0.0/16");
    for case in cases() {
        let plan = plan_routes(&case.nodes, &case.entries, &cluster, MARK);
        assert_eq!(plan.create, case.create, "{}: create", case.name);
        assert_eq!(plan.delete, case.delete, "{}: delete", case.name);
        assert_eq!(
            plan.conflicts.len(),
            case.conflicts,
            "{}: conflicts",
            case.name
        );
        assert_eq!(plan.present, case.present, "{}: present", case.name);
    }
}

#[test]
fn a_conflict_names_the_destination_both_instances_and_the_remedy() {
    let plan = plan_routes(
        &[node("a", "i-a", Some("172.20.1.0/24"))],
        &[entry("172.20.1.0/24", "i-other", "")],
        &cidr("172.20.0.0/16"),
        MARK,
    );
    let reason = plan.conflicts[0].reason();
    assert!(
        reason.contains("172.20.1.0/24") && reason.contains("i-other") && reason.contains("i-a"),
        "{reason}"
    );
    assert!(reason.contains("delete that entry"), "{reason}");
}

#[test]
fn cidr_parsing_rejects_ipv6_and_contains_is_prefix_aware() {
    assert!(Cidr::parse("fd00::/64").is_none());
    assert!(Cidr::parse("10.0.0.0/33").is_none());
    assert!(cidr("10.0.0.0/8").contains(&cidr("10.1.0.0/16")));
    assert!(!cidr("10.1.0.0/16").contains(&cidr("10.0.0.0/8")));
    assert!(cidr("0.0.0.0/0").contains(&cidr("1.2.3.4/32")));
    assert_eq!(cidr("10.1.2.3/16").to_string(), "10.1.0.0/16");
}
