use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn cloud_config_access_keys_are_base64_decoded_like_the_go_ccm() {
    // "my-ak" and "my-secret" base64-encoded.
    let text = r#"{"Global":{"accessKeyID":"bXktYWs=","accessKeySecret":"bXktc2VjcmV0","region":"cn-hangzhou","vpcid":"vpc-1","vswitchid":"cn-hangzhou-h:vsw-1","clusterID":"c1"}}"#;
    let cfg = CloudConfig::parse(text).unwrap();
    assert_eq!(cfg.access_key_id, "my-ak");
    assert_eq!(cfg.access_key_secret, "my-secret");
    assert_eq!(cfg.region, "cn-hangzhou");
    assert_eq!(cfg.vpc_id, "vpc-1");
    assert_eq!(cfg.vswitch_id, "cn-hangzhou-h:vsw-1");
    assert_eq!(cfg.cluster_id, "c1");
    assert_eq!(
        cfg.credentials(),
        Some(Credentials::new("my-ak", "my-secret"))
    );
}

#[test]
fn cloud_config_keys_match_case_insensitively() {
    let text = r#"{"global":{"AccessKeyID":"bXktYWs=","ACCESSKEYSECRET":"bXktc2VjcmV0"}}"#;
    let cfg = CloudConfig::parse(text).unwrap();
    assert_eq!(
        cfg.credentials(),
        Some(Credentials::new("my-ak", "my-secret"))
    );
}

#[test]
fn cloud_config_without_keys_has_no_credentials() {
    let cfg = CloudConfig::parse(r#"{"Global":{"region":"cn-beijing"}}"#).unwrap();
    assert_eq!(cfg.credentials(), None);
}

#[test]
fn cloud_config_errors_name_the_problem_and_the_fix() {
    let cases = [
        ("not json", "not valid JSON"),
        (r#"{"Other":{}}"#, "no \"Global\" object"),
        (
            r#"{"Global":{"accessKeyID":"plain ak!"}}"#,
            "Global.accessKeyID is not base64",
        ),
    ];
    for (text, expected) in cases {
        let err = CloudConfig::parse(text).unwrap_err().to_string();
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn credentials_debug_never_shows_the_secret_or_token() {
    let c = Credentials::new("ak", "super-secret").with_security_token("sts-token");
    let shown = format!("{c:?}");
    assert!(shown.contains("ak"));
    assert!(!shown.contains("super-secret"));
    assert!(!shown.contains("sts-token"));
}

#[test]
fn default_hosts_follow_the_go_sdk_rules() {
    let cases = [
        (
            Product::Slb,
            "cn-hangzhou",
            Network::Public,
            "slb.aliyuncs.com",
        ),
        (
            Product::Slb,
            "cn-beijing",
            Network::Public,
            "slb.aliyuncs.com",
        ),
        (
            Product::Slb,
            "cn-chengdu",
            Network::Public,
            "slb.cn-chengdu.aliyuncs.com",
        ),
        (
            Product::Slb,
            "cn-hangzhou",
            Network::Vpc,
            "slb-vpc.cn-hangzhou.aliyuncs.com",
        ),
        (
            Product::Ecs,
            "cn-hangzhou",
            Network::Public,
            "ecs.cn-hangzhou.aliyuncs.com",
        ),
        (
            Product::Ecs,
            "eu-central-1",
            Network::Vpc,
            "ecs-vpc.eu-central-1.aliyuncs.com",
        ),
    ];
    for (product, region, network, host) in cases {
        assert_eq!(
            default_host(product, region, network),
            host,
            "{product:?} {region}"
        );
    }
}

#[test]
fn endpoint_overrides_keep_only_host_and_port_and_honour_the_scheme() {
    let o = EndpointOverrides::from_lookup(env(&[
        ("SLB_ENDPOINT", "http://127.0.0.1:18080/some/path"),
        ("ECS_ENDPOINT", "127.0.0.1:18081"),
        ("ALICLOUD_CLIENT_SCHEME", "http"),
    ]))
    .unwrap();
    assert_eq!(o.slb.as_deref(), Some("127.0.0.1:18080"));
    assert_eq!(o.ecs.as_deref(), Some("127.0.0.1:18081"));
    assert_eq!(o.scheme, Some(Scheme::Http));

    let mut cfg = ClientConfig::new("cn-hangzhou", Credentials::new("ak", "sk"));
    cfg.overrides = o;
    assert_eq!(cfg.base_url(Product::Slb), "http://127.0.0.1:18080/");
    assert_eq!(cfg.base_url(Product::Ecs), "http://127.0.0.1:18081/");
}

#[test]
fn without_overrides_the_base_url_is_https_vpc() {
    let cfg = ClientConfig::new("cn-shanghai", Credentials::new("ak", "sk"));
    assert_eq!(
        cfg.base_url(Product::Slb),
        "https://slb-vpc.cn-shanghai.aliyuncs.com/"
    );
}

#[test]
fn bad_overrides_are_rejected_with_the_variable_name() {
    let err =
        EndpointOverrides::from_lookup(env(&[("ALICLOUD_CLIENT_SCHEME", "ftp")])).unwrap_err();
    assert!(err.to_string().contains("ALICLOUD_CLIENT_SCHEME"));
    let err = EndpointOverrides::from_lookup(env(&[("SLB_ENDPOINT", "http:///path")])).unwrap_err();
    assert!(err.to_string().contains("SLB_ENDPOINT"));
    let none = EndpointOverrides::from_lookup(env(&[("SLB_ENDPOINT", "  ")])).unwrap();
    assert_eq!(none, EndpointOverrides::default());
}

#[test]
fn credentials_resolve_in_the_go_ccm_order() {
    let cloud = CloudConfig {
        access_key_id: "cc-ak".into(),
        access_key_secret: "cc-sk".into(),
        ..Default::default()
    };
    let environment = env(&[("ACCESS_KEY_ID", "env-ak"), ("ACCESS_KEY_SECRET", "env-sk")]);

    let (c, origin) = Credentials::resolve(
        Some(Credentials::new("f-ak", "f-sk")),
        Some(&cloud),
        &environment,
    )
    .unwrap();
    assert_eq!(
        (c.access_key_id.as_str(), origin),
        ("f-ak", CredentialOrigin::Explicit)
    );

    let (c, origin) = Credentials::resolve(None, Some(&cloud), &environment).unwrap();
    assert_eq!(
        (c.access_key_id.as_str(), origin),
        ("cc-ak", CredentialOrigin::CloudConfig)
    );

    let (c, origin) = Credentials::resolve(None, None, &environment).unwrap();
    assert_eq!(
        (c.access_key_id.as_str(), origin),
        ("env-ak", CredentialOrigin::Environment)
    );
    assert_eq!(c.security_token, None);
}

#[test]
fn environment_credentials_accept_the_alibaba_cloud_names_and_an_sts_token() {
    let environment = env(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ak"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sk"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "sts"),
    ]);
    let (c, _) = Credentials::resolve(None, None, environment).unwrap();
    assert_eq!(c, Credentials::new("ak", "sk").with_security_token("sts"));
}

#[test]
fn no_credentials_anywhere_says_how_to_pass_them() {
    let half = Credentials::new("ak", "");
    let err = Credentials::resolve(Some(half), None, env(&[("ACCESS_KEY_ID", "ak")])).unwrap_err();
    assert!(
        err.to_string().contains("ACCESS_KEY_ID/ACCESS_KEY_SECRET"),
        "{err}"
    );
}

#[test]
fn signature_versions_parse_from_v2_and_v3_and_default_to_v2() {
    assert_eq!("v3".parse(), Ok(SignatureVersion::V3));
    assert_eq!("V2".parse(), Ok(SignatureVersion::V2));
    assert_eq!(SignatureVersion::default(), SignatureVersion::V2);
    let err = "v4".parse::<SignatureVersion>().unwrap_err();
    assert!(err.to_string().contains("use v2"), "{err}");
}
