//! README.md's annotation reference cannot drift from the code: it must be exactly what the
//! single annotation table renders.

#[test]
fn the_readme_annotation_reference_is_generated_from_the_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md at the repository root");
    let begin = "<!-- annotations:begin -->\n";
    let end = "<!-- annotations:end -->";
    let start = readme
        .find(begin)
        .expect("README.md has the annotations:begin marker")
        + begin.len();
    let stop = readme[start..]
        .find(end)
        .expect("README.md has the annotations:end marker")
        + start;
    assert!(
        readme[start..stop] == slb_model::render_markdown(),
        "README.md's annotation reference is out of date: regenerate it with \
         `cargo run -p slb-model --example annotation_table` and paste it between the markers"
    );
}
