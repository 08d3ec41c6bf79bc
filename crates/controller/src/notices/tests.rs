use super::*;
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service};

fn local_service(annotations: &[(&str, &str)]) -> Service {
    let mut svc = load_balancer_service("ns", "web", &[(80, 8080)]);
    if let Some(spec) = svc.spec.as_mut() {
        spec.external_traffic_policy = Some("Local".into());
    }
    svc.metadata.annotations = Some(
        annotations
            .iter()
            .map(|(k, v)| {
                (
                    format!("{}{k}", slb_model::annotations::PREFIX),
                    (*v).to_owned(),
                )
            })
            .collect(),
    );
    svc
}

/// A slice with a pod on node-a and one (10.0.0.9, pod `orphan`) without a node.
fn slice_with_an_orphan() -> EndpointSlice {
    let mut slice = endpoint_slice(
        "ns",
        "web",
        "web-1",
        ("p80", 8080),
        &[
            PodEndpoint::ready("10.0.0.1", "node-a"),
            PodEndpoint::ready("10.0.0.9", "node-b"),
        ],
    );
    let endpoints = slice.endpoints.as_mut().unwrap();
    endpoints[1].node_name = None;
    endpoints[1].target_ref = Some(k8s_openapi::api::core::v1::ObjectReference {
        name: Some("orphan".into()),
        ..Default::default()
    });
    slice
}

#[test]
fn a_local_policy_endpoint_without_a_node_is_named_by_its_pod() {
    let slice = slice_with_an_orphan();
    let missing = endpoints_without_node(&local_service(&[]), &[&slice], false);
    assert_eq!(missing, ["pod orphan"]);
    let note = endpoints_without_node_note(&missing);
    assert!(
        note.starts_with("1 endpoint(s)") && note.contains("pod orphan"),
        "{note}"
    );
}

#[test]
fn cluster_policy_and_eni_backends_do_not_need_a_node() {
    let slice = slice_with_an_orphan();
    let mut cluster = local_service(&[]);
    cluster.spec.as_mut().unwrap().external_traffic_policy = None;
    assert!(endpoints_without_node(&cluster, &[&slice], false).is_empty());
    let eni = local_service(&[("backend-type", "eni")]);
    assert!(endpoints_without_node(&eni, &[&slice], false).is_empty());
    assert!(endpoints_without_node(&local_service(&[]), &[&slice], true).is_empty());
}

#[test]
fn a_long_list_of_endpoints_names_five_and_counts_the_rest() {
    let missing: Vec<String> = (0..8).map(|i| format!("10.0.0.{i}")).collect();
    let note = endpoints_without_node_note(&missing);
    assert!(note.contains("10.0.0.4 and 3 more"), "{note}");
    assert!(!note.contains("10.0.0.5"), "{note}");
}

#[test]
fn the_deleted_clb_note_names_the_clb_and_the_exact_commands() {
    let note = deleted_outside("shop", "web", Some("lb-123"), &["1.2.3.4".into()]);
    assert!(note.starts_with("The CLB lb-123 of this Service was deleted outside the cluster"));
    assert!(note.contains("(1.2.3.4)"), "{note}");
    assert!(
        note.contains(
            "kubectl -n shop label service web service.k8s.alibaba/loadbalancer-id- && \
             kubectl -n shop patch service web --subresource=status --type=merge -p \
             '{\"status\":{\"loadBalancer\":null}}'"
        ),
        "{note}"
    );
}
