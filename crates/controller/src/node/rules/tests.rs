#![allow(clippy::unwrap_used)]

use super::*;
use k8s_openapi::api::core::v1::{NodeCondition, NodeSpec, NodeStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use slb_openapi::ecs::{EipAddress, VpcAttributes};
use slb_openapi::types::TagKv;

fn instance() -> Instance {
    Instance {
        instance_id: "i-1".into(),
        region_id: "cn-hangzhou".into(),
        zone_id: "cn-hangzhou-k".into(),
        instance_type: "ecs.g7.large".into(),
        instance_charge_type: "PostPaid".into(),
        spot_strategy: "NoSpot".into(),
        status: "Running".into(),
        public_ip_address: vec!["47.1.1.1".into()],
        eip_address: EipAddress {
            ip_address: "47.2.2.2".into(),
            ..EipAddress::default()
        },
        inner_ip_address: vec!["10.9.0.1".into()],
        vpc_attributes: VpcAttributes {
            private_ip_address: vec!["192.168.0.10".into()],
            ..VpcAttributes::default()
        },
        tags: vec![TagKv {
            tag_key: NODEPOOL_TAG.into(),
            tag_value: "np-1".into(),
        }],
        ..Instance::default()
    }
}

fn node(annotations: &[(&str, &str)], addresses: &[(&str, &str)]) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some("n1".into()),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec::default()),
        status: Some(NodeStatus {
            addresses: Some(
                addresses
                    .iter()
                    .map(|(t, a)| NodeAddress {
                        type_: (*t).into(),
                        address: (*a).into(),
                    })
                    .collect(),
            ),
            ..NodeStatus::default()
        }),
    }
}

fn pairs(addresses: &[NodeAddress]) -> Vec<(&str, &str)> {
    addresses
        .iter()
        .map(|a| (a.type_.as_str(), a.address.as_str()))
        .collect()
}

#[test]
fn labels_are_the_references_table() {
    let want: BTreeMap<String, String> = [
        ("node.kubernetes.io/instance-type", "ecs.g7.large"),
        ("beta.kubernetes.io/instance-type", "ecs.g7.large"),
        ("topology.kubernetes.io/zone", "cn-hangzhou-k"),
        ("failure-domain.beta.kubernetes.io/zone", "cn-hangzhou-k"),
        ("topology.kubernetes.io/region", "cn-hangzhou"),
        ("failure-domain.beta.kubernetes.io/region", "cn-hangzhou"),
        ("node.alibabacloud.com/instance-charge-type", "PostPaid"),
        ("node.alibabacloud.com/spot-strategy", "NoSpot"),
        ("node.alibabacloud.com/nodepool-id", "np-1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(node_labels(&instance()), want);
}

#[test]
fn empty_sources_write_no_label() {
    let bare = Instance {
        instance_id: "i-1".into(),
        zone_id: "z".into(),
        ..Instance::default()
    };
    let labels = node_labels(&bare);
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert_eq!(labels["topology.kubernetes.io/zone"], "z");
}

#[test]
fn addresses_follow_the_references_order_then_hostname() {
    let n = node(&[], &[("Hostname", "host-1"), ("InternalIP", "1.1.1.1")]);
    let got = desired_addresses(&instance(), &n).unwrap().unwrap();
    assert_eq!(
        pairs(&got),
        [
            ("ExternalIP", "47.1.1.1"),
            ("ExternalIP", "47.2.2.2"),
            ("InternalIP", "10.9.0.1"),
            ("InternalIP", "192.168.0.10"),
            ("Hostname", "host-1"),
        ]
    );
}

#[test]
fn the_provided_node_ip_comes_first_and_the_others_stay() {
    let n = node(&[(PROVIDED_NODE_IP, "192.168.0.10")], &[("Hostname", "h")]);
    let got = desired_addresses(&instance(), &n).unwrap().unwrap();
    assert_eq!(
        pairs(&got),
        [
            ("InternalIP", "192.168.0.10"),
            ("ExternalIP", "47.1.1.1"),
            ("ExternalIP", "47.2.2.2"),
            ("InternalIP", "10.9.0.1"),
            ("Hostname", "h"),
        ]
    );
}

#[test]
fn a_provided_ip_the_instance_lacks_is_an_error_naming_the_remedy() {
    let n = node(&[(PROVIDED_NODE_IP, "10.250.0.9")], &[]);
    let err = desired_addresses(&instance(), &n).unwrap_err();
    assert!(err.to_string().contains("--node-ip"), "{err}");
}

#[test]
fn an_instance_without_addresses_leaves_the_nodes_alone() {
    let n = node(&[], &[("Hostname", "h")]);
    let bare = Instance::default();
    assert_eq!(desired_addresses(&bare, &n).unwrap(), None);
}

#[test]
fn the_lookup_ip_falls_back_to_the_provided_node_ip() {
    let registered = node(&[(PROVIDED_NODE_IP, "10.250.0.1")], &[]);
    assert_eq!(lookup_ip(&registered), Some("10.250.0.1"));
    let addressed = node(
        &[(PROVIDED_NODE_IP, "10.250.0.1")],
        &[("InternalIP", "10.0.0.5")],
    );
    assert_eq!(lookup_ip(&addressed), Some("10.0.0.5"));
    assert_eq!(lookup_ip(&node(&[], &[])), None);
}

fn tainted(keys: &[&str]) -> Node {
    let mut n = node(&[], &[]);
    n.spec = Some(NodeSpec {
        taints: Some(
            keys.iter()
                .map(|k| Taint {
                    key: (*k).into(),
                    effect: "NoSchedule".into(),
                    value: Some("true".into()),
                    ..Taint::default()
                })
                .collect(),
        ),
        ..NodeSpec::default()
    });
    n
}

#[test]
fn initialization_removes_only_the_uninitialized_taint() {
    let n = tainted(&[UNINITIALIZED_TAINT, "dedicated"]);
    let taints = desired_taints(&n, true, false).unwrap();
    let keys: Vec<&str> = taints.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["dedicated"]);
    assert_eq!(desired_taints(&tainted(&["dedicated"]), true, false), None);
}

#[test]
fn a_stopped_instance_adds_the_shutdown_taint_and_running_removes_it() {
    let added = desired_taints(&tainted(&[]), true, true).unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(
        (added[0].key.as_str(), added[0].effect.as_str()),
        (SHUTDOWN_TAINT, "NoSchedule")
    );
    assert_eq!(
        desired_taints(&tainted(&[SHUTDOWN_TAINT]), true, true),
        None
    );
    assert_eq!(
        desired_taints(&tainted(&[SHUTDOWN_TAINT]), true, false),
        Some(vec![])
    );
}

fn with_ready(status: Option<&str>) -> Node {
    let mut n = node(&[], &[]);
    if let Some(status) = status {
        n.status.as_mut().unwrap().conditions = Some(vec![NodeCondition {
            type_: "Ready".into(),
            status: status.into(),
            ..NodeCondition::default()
        }]);
    }
    n
}

#[test]
fn only_a_not_ready_node_in_a_region_with_instances_may_be_deleted() {
    assert!(may_delete(&with_ready(Some("Unknown")), true));
    assert!(may_delete(&with_ready(Some("False")), true));
    assert!(!may_delete(&with_ready(Some("True")), true));
    assert!(!may_delete(&with_ready(None), true));
    assert!(
        !may_delete(&with_ready(Some("Unknown")), false),
        "an empty region (wrong credentials or region) never deletes"
    );
}

#[test]
fn provider_ids_with_the_alicloud_prefix_parse_the_same() {
    let mut n = node(&[], &[]);
    n.spec.as_mut().unwrap().provider_id = Some("alicloud://cn-hangzhou.i-1".into());
    let pid = provider_id(&n).unwrap();
    assert_eq!(
        (pid.region_id.as_str(), pid.instance_id.as_str()),
        ("cn-hangzhou", "i-1")
    );
    assert_eq!(provider_id_of(&instance(), "x"), "cn-hangzhou.i-1");
}

#[test]
fn exclude_labels_and_hybrid_nodes_are_left_out() {
    let mut n = node(&[], &[]);
    assert!(!is_excluded(&n));
    n.metadata.labels = Some([(EXCLUDE_LABELS[1].to_owned(), String::new())].into());
    assert!(is_excluded(&n));
    let mut hybrid = node(&[], &[]);
    hybrid.spec.as_mut().unwrap().provider_id = Some("ack-hybrid://x".into());
    assert!(is_excluded(&hybrid));
}
