use super::*;

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: { name: web, uid: u-1 }\n\
                       spec: { type: LoadBalancer, ports: [{ port: 80, nodePort: 30080 }] }\n";
const NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: { name: node-a }\n";
const SLICE: &str = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
                     metadata: { name: web-1, labels: { kubernetes.io/service-name: web } }\n\
                     addressType: IPv4\nendpoints: [{ addresses: [10.0.0.1], nodeName: node-a }]\n";

#[test]
fn several_documents_in_one_file_are_read_in_order() {
    let text = format!("---\n{SERVICE}---\n{NODE}---\n{SLICE}");
    let m = parse("all.yaml", &text).unwrap();
    assert_eq!(m.services.len(), 1);
    assert_eq!(m.nodes[0].metadata.name.as_deref(), Some("node-a"));
    assert_eq!(
        m.slices[0].endpoints.as_ref().unwrap()[0].addresses,
        ["10.0.0.1"]
    );
    assert!(m.warnings.is_empty());
}

#[test]
fn a_list_is_unpacked_and_json_is_accepted() {
    let list = r#"{"apiVersion":"v1","kind":"List","items":[
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"a"}},
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"b"}}]}"#;
    let m = parse("nodes.json", list).unwrap();
    let names: Vec<_> = m
        .nodes
        .iter()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn unknown_kinds_are_skipped_with_a_warning_naming_file_and_document() {
    let text =
        format!("{NODE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{ name: api }}\n");
    let m = parse("mixed.yaml", &text).unwrap();
    assert_eq!(m.nodes.len(), 1);
    assert_eq!(m.warnings.len(), 1);
    let w = &m.warnings[0];
    assert!(
        w.starts_with("mixed.yaml: document 2: skipping Deployment \"api\""),
        "{w}"
    );
}

#[test]
fn errors_name_the_file_the_document_and_the_problem() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "---\nkind: Node\n---\nkind: [unclosed\n",
            "syntax",
            "bad.yaml: document 2: not valid YAML or JSON",
        ),
        (
            "apiVersion: v1\nmetadata: { name: x }\n",
            "missing_kind",
            "bad.yaml: document 1: no `kind` field",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: 80 }\n",
            "schema",
            "bad.yaml: document 1: Service \"web\": ",
        ),
        (
            "kind: List\nitems: 3\n",
            "schema",
            "bad.yaml: document 1: List \"\": `items` must be a list",
        ),
    ];
    for (text, kind, start) in cases {
        let err = parse("bad.yaml", text).unwrap_err();
        assert_eq!(err.kind(), *kind, "{err}");
        assert!(err.to_string().starts_with(start), "{err}");
    }
}

#[test]
fn a_folder_is_read_file_by_file_and_other_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b-service.yml"), SERVICE).unwrap();
    std::fs::write(dir.path().join("a-node.yaml"), NODE).unwrap();
    std::fs::write(dir.path().join("README.md"), "# not a manifest").unwrap();
    let m = load(dir.path()).unwrap();
    assert_eq!((m.services.len(), m.nodes.len()), (1, 1));
}

#[test]
fn a_missing_path_or_an_empty_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(dir.path()).unwrap_err();
    assert_eq!(err.kind(), "empty_folder");
    assert!(
        err.to_string().contains("no .yaml, .yml or .json file"),
        "{err}"
    );
    let missing = dir.path().join("nope.yaml");
    let err = load(&missing).unwrap_err();
    assert_eq!(err.kind(), "read");
    assert!(err.to_string().contains("nope.yaml"), "{err}");
}

#[test]
fn a_schema_error_in_a_folder_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        format!("{NODE}---\nkind: Node\nmetadata: {{ name: 7 }}\nspec: 1\n"),
    )
    .unwrap();
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: document 2: Node", path.display())),
        "{err}"
    );
}

#[test]
fn a_deeply_nested_document_is_refused_before_parsing_naming_document_and_line() {
    let deep = format!(
        "{NODE}---\nkind: Service\nspec: {}{}\n",
        "{a: ".repeat(100_000),
        "}".repeat(100_000)
    );
    let err = parse("deep.yaml", &deep).unwrap_err();
    assert_eq!(err.kind(), "too_deep", "{err}");
    assert!(
        err.to_string().starts_with(
            "deep.yaml: document 2: line 6: `[ ]`/`{ }` collections nested more than 100"
        ),
        "{err}"
    );
}
