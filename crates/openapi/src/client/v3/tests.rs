use super::*;

fn common<'a>(credentials: &'a Credentials) -> V3Common<'a> {
    V3Common {
        action: "DescribeLoadBalancers",
        product: Product::Slb,
        region_id: "cn-hangzhou",
        credentials,
        host: "127.0.0.1:18765",
        nonce: "0c90bd3a17c866696dd6cec7840de798",
        date: "2026-11-30T21:12:20Z",
    }
}

fn authorization_parts(auth: &str) -> (String, String) {
    let rest = auth.strip_prefix("ACS3-HMAC-SHA256 ").unwrap();
    let field = |name: &str| {
        rest.split(',')
            .find_map(|p| p.strip_prefix(name))
            .unwrap()
            .to_owned()
    };
    (field("SignedHeaders="), field("Signature="))
}

#[test]
fn a_v3_request_carries_no_v2_common_parameter_and_a_default_region() {
    let creds = Credentials::new("testid", "testsecret");
    let signed = sign_request(Params::new(), b"", &common(&creds));
    let names: Vec<&str> = signed.query.keys().map(String::as_str).collect();
    assert_eq!(names, ["RegionId"]);
    assert_eq!(signed.query["RegionId"], "cn-hangzhou");
}

#[test]
fn the_signature_recomputes_over_exactly_the_headers_it_names() {
    let creds = Credentials::new("testid", "testsecret");
    let mut params = Params::new();
    params.insert("LoadBalancerName".into(), "a b*~/中".into());
    let signed = sign_request(params, b"", &common(&creds));
    let (names, signature) = authorization_parts(&signed.headers["authorization"]);
    assert_eq!(
        names,
        "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;\
         x-acs-signature-nonce;x-acs-version"
    );
    let named: BTreeMap<String, String> = names
        .split(';')
        .map(|n| (n.to_owned(), signed.headers[n].clone()))
        .collect();
    let server = sign_v3(
        &V3Request {
            method: "POST",
            query: &signed.query,
            headers: &named,
            body: b"",
        },
        "testsecret",
    );
    assert_eq!(server.signature, signature);
    assert_eq!(signed.headers["x-acs-content-sha256"], sha256_hex(b""));
}

#[test]
fn an_sts_token_is_sent_and_signed_as_x_acs_security_token() {
    let creds = Credentials::new("testid", "testsecret").with_security_token("sts-token");
    let signed = sign_request(Params::new(), b"", &common(&creds));
    assert_eq!(signed.headers["x-acs-security-token"], "sts-token");
    let (names, _) = authorization_parts(&signed.headers["authorization"]);
    assert!(
        names.split(';').any(|n| n == "x-acs-security-token"),
        "{names}"
    );
    assert!(!signed.query.contains_key("SecurityToken"));
}

#[test]
fn the_host_header_omits_the_default_port_as_http_clients_do() {
    assert_eq!(
        host_header("http://127.0.0.1:18765/").as_deref(),
        Some("127.0.0.1:18765")
    );
    assert_eq!(
        host_header("https://slb-vpc.cn-hangzhou.aliyuncs.com:443/").as_deref(),
        Some("slb-vpc.cn-hangzhou.aliyuncs.com")
    );
    assert_eq!(host_header("not a url"), None);
}
