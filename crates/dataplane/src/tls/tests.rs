use super::*;

fn pem(id: &str, names: &[&str]) -> CertificatePem {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let c = rcgen::generate_simple_self_signed(names).unwrap();
    CertificatePem {
        id: id.into(),
        chain_pem: c.cert.pem(),
        key_pem: c.signing_key.serialize_pem(),
    }
}

fn leaf(k: &CertifiedKey) -> Vec<u8> {
    k.cert[0].to_vec()
}

fn config() -> TlsConfig {
    TlsConfig {
        default_certificate: pem("default", &["default.test"]),
        domain_certificates: vec![
            ("www.example.com".into(), pem("www", &["www.example.com"])),
            ("*.example.com".into(), pem("wild", &["*.example.com"])),
        ],
        cipher_policy: None,
        http2: false,
        client_ca_pem: None,
    }
}

#[test]
fn sni_picks_the_exact_domain_then_the_wildcard_then_the_default() {
    let cfg = config();
    let provider = ring::default_provider();
    let r = SniResolver::new(&cfg, &provider).unwrap();
    let key = |pem: &CertificatePem| leaf(&certified_key(pem, &provider).unwrap());
    let www = key(&cfg.domain_certificates[0].1);
    let wild = key(&cfg.domain_certificates[1].1);
    let default = key(&cfg.default_certificate);
    for (sni, want) in [
        (Some("www.example.com"), &www),
        (Some("WWW.Example.com"), &www),
        (Some("api.example.com"), &wild),
        (Some("a.b.example.com"), &default),
        (Some("unknown.test"), &default),
        (None, &default),
    ] {
        assert_eq!(&leaf(&r.pick(sni)), want, "{sni:?}");
    }
}

#[test]
fn policies_map_to_tls12_only_except_the_one_with_1_3() {
    for name in [
        "tls_cipher_policy_1_0",
        "tls_cipher_policy_1_1",
        "tls_cipher_policy_1_2",
        "tls_cipher_policy_1_2_strict",
    ] {
        let p = policy(Some(name)).unwrap();
        assert_eq!(p.versions, [&rustls::version::TLS12], "{name}");
    }
    let p = policy(Some("tls_cipher_policy_1_2_strict_with_1_3")).unwrap();
    assert_eq!(p.versions.len(), 2);
}

#[test]
fn the_strict_policy_keeps_only_ecdhe_aes_gcm_suites() {
    let p = policy(Some("tls_cipher_policy_1_2_strict")).unwrap();
    let names: Vec<String> = p
        .suites
        .iter()
        .map(|s| format!("{:?}", s.suite()))
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.contains("ECDHE") && n.contains("GCM")),
        "{names:?}"
    );
}

#[test]
fn an_unknown_policy_names_the_choices() {
    let err = policy(Some("tls_cipher_policy_9")).unwrap_err();
    assert!(
        err.to_string()
            .contains("tls_cipher_policy_1_2_strict_with_1_3"),
        "{err}"
    );
}

#[test]
fn a_key_that_is_not_pem_names_the_certificate() {
    let mut cfg = config();
    cfg.default_certificate.key_pem = "not a key".into();
    let err = server_config(&cfg).unwrap_err();
    assert!(err.to_string().starts_with("certificate default:"), "{err}");
}

#[test]
fn alpn_offers_h2_only_when_http2_is_on() {
    let mut cfg = config();
    assert_eq!(
        server_config(&cfg).unwrap().alpn_protocols,
        [b"http/1.1".to_vec()]
    );
    cfg.http2 = true;
    assert_eq!(
        server_config(&cfg).unwrap().alpn_protocols[0],
        b"h2".to_vec()
    );
}
