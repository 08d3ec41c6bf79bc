//! Fuzz-style property of the manifest loader: for any text built from YAML's structural
//! characters, keywords and arbitrary strings, `parse` never panics and returns manifests or
//! a [`LoadError`] naming the file. A bounded number of cases, so `cargo test` (and CI) runs
//! it in a second or two.

use proptest::prelude::*;

use super::*;

fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(vec![
            "[", "]", "{", "}", ":", ": ", "- ", ",", "\n", "  ", "\"", "'", "#", "|", ">", "&a",
            "*a", "!!str", "---\n", "...\n", "kind: Service\n", "kind: Node\n", "kind: List\n",
            "apiVersion: v1\n", "items:", "metadata: {name: x}\n", "spec:", "ports:", "80", "x",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
        1 => (1usize..300).prop_map(|n| "[".repeat(n)),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loading_any_text_never_panics_and_errors_name_the_file(text in yamlish()) {
        if let Err(e) = parse("fuzz.yaml", &text) {
            let message = e.to_string();
            prop_assert!(message.starts_with("fuzz.yaml"), "{message}");
        }
    }
}
