//! Fuzz-style property of the annotation parser: for any keys under our prefixes (known or
//! not) and any values, `parse` never panics, returns a configuration or a list of errors,
//! and every error message is short enough for an event whatever the value's length.
//! A bounded number of cases, so `cargo test` (and CI) runs it in a second or two.

use std::collections::BTreeMap;

use proptest::prelude::*;
use slb_model::annotations::{ANNOTATIONS, LEGACY_PREFIX, PREFIX, parse};

fn key() -> impl Strategy<Value = String> {
    let known: Vec<String> = ANNOTATIONS.iter().map(|s| s.key.full()).collect();
    prop_oneof![
        4 => prop::sample::select(known),
        1 => "[a-z-]{1,30}".prop_map(|s| format!("{PREFIX}{s}")),
        1 => "[a-z-]{1,30}".prop_map(|s| format!("{LEGACY_PREFIX}{s}")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "on", "off", "true", "false", "80", "-520", "tcp:80", "https:443,http:80", "a=b,c",
            "rsp-x:80", "lb-1", "10.0.0.1", "/healthz", "", " ", ",", "=", ":", "wrr",
        ])
        .prop_map(str::to_owned),
        2 => any::<String>(),
        1 => (1usize..70_000).prop_map(|n| format!("k={}", "v".repeat(n))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_any_annotations_never_panics_and_errors_stay_short(
        pairs in prop::collection::vec((key(), value()), 0..12),
    ) {
        let map: BTreeMap<String, String> = pairs.into_iter().collect();
        if let Err(errors) = parse(&map) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                let text = e.to_string();
                prop_assert!(!text.is_empty());
                prop_assert!(text.len() < 2_048, "{} bytes", text.len());
            }
        }
    }
}
