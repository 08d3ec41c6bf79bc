use std::collections::BTreeMap;

use super::*;
use crate::types::Protocol;

fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn key(suffix: &str) -> String {
    format!("{PREFIX}{suffix}")
}

#[test]
fn no_annotations_give_the_table_defaults() {
    let config = parse(&BTreeMap::new()).unwrap();
    assert_eq!(config.instance.address_type, "internet");
    assert_eq!(config.instance.instance_charge_type, "PayByCLCU");
    assert_eq!(config.instance.address_ip_version, "ipv4");
    assert!(config.instance.delete_protection);
    assert_eq!(config.instance.modification_protection, "ConsoleProtection");
    assert_eq!(config.listener.attributes.scheduler.as_deref(), Some("wrr"));
    assert_eq!(config.listener.attributes.sticky_session, Some(false));
    assert_eq!(config.listener.health_check_flag, Some(false));
    assert_eq!(config.backend.default_weight, 100);
    assert!(config.explicit.is_empty());
}

#[test]
fn every_table_default_parses_with_its_own_kind() {
    for s in ANNOTATIONS {
        if let Default::Always(v) | Default::OnCreate(v) = s.default {
            assert!(
                value::parse(s.kind, v).is_ok(),
                "default {v:?} of {}",
                s.key.full()
            );
        }
    }
}

#[test]
fn every_table_example_is_valid_and_changes_the_config() {
    let defaults = parse(&BTreeMap::new()).unwrap();
    for s in ANNOTATIONS {
        let mut map = annotations(&[(&s.key.full(), s.example)]);
        // Companions needed by dependent annotations.
        map.insert(key("id"), "lb-reused".into());
        map.insert(key("vgroup-port"), "rsp-x:80".into());
        // Companions whose value matters, added only for the annotation that needs them.
        let value_companion = match s.key.short() {
            "network-type" => Some(("address-type", "intranet")),
            "connection-drain" => Some(("connection-drain-timeout", "30")),
            _ => None,
        };
        if let Some((short, value)) = value_companion {
            map.insert(key(short), value.into());
        }
        let config = parse(&map).unwrap_or_else(|e| panic!("{}: {e:?}", s.key.full()));
        let mut base_map = annotations(&[]);
        base_map.insert(key("id"), "lb-reused".into());
        base_map.insert(key("vgroup-port"), "rsp-x:80".into());
        if matches!(s.key.short(), "id" | "vgroup-port") {
            base_map.remove(&s.key.full());
        }
        if let Some((short, value)) = value_companion {
            base_map.insert(key(short), value.into());
        }
        let base = parse(&base_map).unwrap_or(defaults.clone());
        let mut a = config.clone();
        let mut b = base.clone();
        a.explicit.clear();
        b.explicit.clear();
        assert_ne!(
            a,
            b,
            "{} = {:?} has no effect on the config",
            s.key.full(),
            s.example
        );
    }
}

#[test]
fn invalid_values_name_the_annotation_the_value_and_what_is_allowed() {
    let cases = [
        ("protocol-port", "https443", "proto:port"),
        ("protocol-port", "ftp:21", "proto:port"),
        ("health-check-interval", "51", "integer 1–50"),
        ("health-check-interval", "fast", "integer 1–50"),
        ("scheduler", "random", "`wrr` | `rr` | `wlc`"),
        ("address-type", "public", "`internet` | `intranet`"),
        ("delete-protection", "yes", "`on` | `off`"),
        ("id", "rsp-123", "starting with `lb-`"),
        (
            "additional-resource-tags",
            "acs:x=1",
            "must not start with `acs:`",
        ),
        ("health-check-connect-port", "-1", "-520"),
        ("forward-port", "80-443", "`port:port"),
    ];
    for (suffix, value, allowed) in cases {
        let errors = parse(&annotations(&[(&key(suffix), value)])).unwrap_err();
        assert_eq!(errors.len(), 1, "{suffix}={value}: {errors:?}");
        let message = errors[0].to_string();
        assert!(message.contains(&key(suffix)), "{message}");
        assert!(message.contains(value), "{message}");
        assert!(message.contains(allowed), "{message} lacks {allowed}");
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let errors = parse(&annotations(&[
        (&key("scheduler"), "random"),
        (&key("health-check-interval"), "0"),
        (&key("adress-type"), "intranet"),
        (&key("weight"), "10"),
    ]))
    .unwrap_err();
    let kinds: Vec<&str> = errors.iter().map(AnnotationError::kind).collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(kinds.contains(&"UnknownAnnotation"));
    assert!(kinds.contains(&"AnnotationMissingDependency"));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "InvalidAnnotationValue")
            .count(),
        2
    );
}

#[test]
fn unknown_keys_under_either_prefix_suggest_the_nearest_name() {
    let cases = [
        (key("adress-type"), "address-type"),
        (format!("{LEGACY_PREFIX}schedular"), "scheduler"),
        (key("health-check-intervals"), "health-check-interval"),
    ];
    for (typo, nearest) in cases {
        let warnings = parse(&annotations(&[(&typo, "x")])).unwrap().warnings;
        assert_eq!(
            warnings,
            vec![AnnotationError::UnknownKey {
                key: typo.clone(),
                suggestion: Some(key(nearest))
            }]
        );
        assert!(warnings[0].to_string().contains("did you mean"));
        assert!(warnings[0].is_warning());
    }
}

#[test]
fn nlb_only_and_foreign_keys_are_not_reported() {
    let map = annotations(&[
        (&key("zone-maps"), "cn-a:vsw-1"),
        ("service.beta.kubernetes.io/other", "x"),
        ("kubectl.kubernetes.io/last-applied-configuration", "{}"),
    ]);
    assert!(parse(&map).is_ok());
}

#[test]
fn legacy_prefix_is_read_and_the_current_prefix_wins() {
    let legacy = format!("{LEGACY_PREFIX}address-type");
    let only_legacy = parse(&annotations(&[(&legacy, "intranet")])).unwrap();
    assert_eq!(only_legacy.instance.address_type, "intranet");
    let both = parse(&annotations(&[
        (&legacy, "intranet"),
        (&key("address-type"), "internet"),
    ]))
    .unwrap();
    assert_eq!(both.instance.address_type, "internet");
    // A bad legacy value shadowed by a good current one is not an error either.
    let shadowed = parse(&annotations(&[
        (&legacy, "bogus"),
        (&key("address-type"), "internet"),
    ]))
    .unwrap();
    assert!(shadowed.is_explicit("address-type"));
}

#[test]
fn protocol_port_maps_service_ports_to_protocols() {
    let config = parse(&annotations(&[(
        &key("protocol-port"),
        "https:443, http:80",
    )]))
    .unwrap();
    let want: BTreeMap<u16, Protocol> = [(443, Protocol::Https), (80, Protocol::Http)].into();
    assert_eq!(config.listener.protocol_ports, want);
}

#[test]
fn tags_allow_empty_values_and_bare_keys() {
    let config = parse(&annotations(&[(
        &key("additional-resource-tags"),
        "a=1,b=,c",
    )]))
    .unwrap();
    let want = vec![
        ("a".into(), "1".into()),
        ("b".into(), String::new()),
        ("c".into(), String::new()),
    ];
    assert_eq!(config.instance.additional_tags, want);
}

#[test]
fn charge_types_are_case_insensitive_and_normalised() {
    let config = parse(&annotations(&[
        (&key("instance-charge-type"), "paybyspec"),
        (&key("charge-type"), "PayByBandwidth"),
    ]))
    .unwrap();
    assert_eq!(config.instance.instance_charge_type, "PayBySpec");
    assert_eq!(
        config.instance.internet_charge_type.as_deref(),
        Some("paybybandwidth")
    );
}

#[test]
fn backend_type_is_read_without_prefix() {
    let config = parse(&annotations(&[(
        "service.beta.kubernetes.io/backend-type",
        "eni",
    )]))
    .unwrap();
    assert_eq!(config.backend.eni, Some(true));
}

#[test]
fn force_override_without_id_is_a_warning_only_when_true() {
    let harmless = parse(&annotations(&[(&key("force-override-listeners"), "false")])).unwrap();
    assert!(harmless.warnings.is_empty());
    let useless = parse(&annotations(&[(&key("force-override-listeners"), "true")])).unwrap();
    assert_eq!(useless.warnings[0].kind(), "AnnotationMissingDependency");
}

#[test]
fn values_the_reference_ignores_are_accepted_ignored_and_reported_as_warnings() {
    // (annotations, the warning's kind, the key it names, the config that must stay default)
    type Check = fn(&LbConfig) -> bool;
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, Check);
    let cases: [Case<'_>; 4] = [
        (
            &[("health-check-connect-port", "0")],
            "IgnoredAnnotationValue",
            "health-check-connect-port",
            |c| c.listener.attributes.health_check_connect_port.is_none(),
        ),
        (
            &[("vgroup-port", "rsp-user:80")],
            "AnnotationMissingDependency",
            "vgroup-port",
            |c| c.backend.vgroup_ports.is_empty(),
        ),
        (
            &[("vgroup-port", "rsp-user:80"), ("weight", "60")],
            "AnnotationMissingDependency",
            "weight",
            |c| c.backend.weight.is_none() && c.backend.vgroup_ports.is_empty(),
        ),
        (
            &[("weight", "60")],
            "AnnotationMissingDependency",
            "weight",
            |c| c.backend.weight.is_none(),
        ),
    ];
    for (pairs, kind, named, unchanged) in cases {
        let keyed: Vec<(String, &str)> = pairs.iter().map(|(k, v)| (key(k), *v)).collect();
        let map = keyed
            .iter()
            .map(|(k, v)| (k.clone(), (*v).to_owned()))
            .collect();
        let config = parse(&map).unwrap_or_else(|e| panic!("{pairs:?} refused: {e:?}"));
        assert!(unchanged(&config), "{pairs:?} took effect: {config:?}");
        let warning = config
            .warnings
            .iter()
            .find(|w| w.to_string().contains(&key(named)))
            .unwrap_or_else(|| panic!("{pairs:?}: no warning names {named}"));
        assert_eq!(warning.kind(), kind, "{pairs:?}");
        assert!(warning.to_string().contains("ignored"), "{warning}");
    }
}

#[test]
fn a_warning_of_the_legacy_prefix_names_the_key_as_written() {
    let legacy = format!("{LEGACY_PREFIX}health-check-connect-port");
    let config = parse(&annotations(&[(&legacy, "0")])).unwrap();
    assert!(config.warnings[0].to_string().contains(&legacy));
}

#[test]
fn markdown_reference_lists_every_key() {
    let md = render_markdown();
    for s in ANNOTATIONS {
        let shown = match s.key {
            Key::Prefixed(suffix) => format!("| `{suffix}` |"),
            Key::Exact(full) => format!("| `{full}` |"),
        };
        assert!(md.contains(&shown), "{shown} missing from the reference");
    }
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `")).count(),
        ANNOTATIONS.len()
    );
}

#[test]
fn table_has_no_duplicate_keys() {
    let mut seen = std::collections::BTreeSet::new();
    for s in ANNOTATIONS {
        assert!(seen.insert(s.key.full()), "duplicate {}", s.key.full());
    }
}

#[test]
fn edit_distance_counts_insertions_deletions_and_substitutions() {
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("same", "same"), 0);
}

#[test]
fn an_overlong_tag_is_refused_with_the_limit_and_a_short_echo_of_the_value() {
    let long = format!("team={}", "v".repeat(70_000));
    let errors = parse(&annotations(&[(&key("additional-resource-tags"), &long)])).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = errors[0].to_string();
    assert!(text.contains("at most 128 characters"), "{text}");
    assert!(text.contains("… (70005 characters)"), "{text}");
    assert!(
        text.len() < 600,
        "the message stays short: {} bytes",
        text.len()
    );
}

#[test]
fn network_type_on_an_internet_clb_is_ignored_with_a_warning() {
    let config = parse(&annotations(&[(&key("network-type"), "vpc")])).unwrap();
    assert_eq!(config.instance.network_type, None);
    assert!(
        config.warnings.iter().any(|w| matches!(
            w,
            AnnotationError::MissingDependency { key: k, requires }
                if *k == key("network-type") && requires.ends_with("address-type: intranet")
        )),
        "{:?}",
        config.warnings
    );
}

#[test]
fn network_type_applies_to_an_intranet_clb() {
    let config = parse(&annotations(&[
        (&key("network-type"), "vpc"),
        (&key("address-type"), "intranet"),
    ]))
    .unwrap();
    assert_eq!(config.instance.network_type.as_deref(), Some("vpc"));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn connection_drain_on_without_its_timeout_is_refused_naming_the_timeout() {
    let errors = parse(&annotations(&[(&key("connection-drain"), "on")])).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("connection-drain") && t.contains("connection-drain-timeout")),
        "{text:?}"
    );
    assert!(parse(&annotations(&[(&key("connection-drain"), "off")])).is_ok());
}
