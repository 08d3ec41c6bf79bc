use super::*;
use slb_openapi::sign::{EMPTY_BODY_SHA256, form_decode};

/// 2026-11-30T21:12:20Z, the date the vectors were captured at.
const NOW: i64 = 1_796_073_140;
const UA: &str = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2";
const V3A_QUERY: &str = "AclName=k8s+acl%2F%E4%B8%AD%2A~&AddressIPVersion=ipv4&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=a+b%2Bc";
const V3A_SIGNED: &str = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";
const V3A_SIGNATURE: &str = "15993f809c1ea27874b3d622d7aefb8be50e1ba454354349ce18dd2692fd07a9";

fn creds() -> Vec<Credential> {
    vec![Credential {
        access_key_id: "testid".into(),
        access_key_secret: "testsecret".into(),
    }]
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn query(raw: &str) -> BTreeMap<String, String> {
    form_decode(raw).into_iter().collect()
}

/// The headers of vector V3-A as captured (HTTP-library headers included, unsigned).
fn v3a_headers() -> BTreeMap<String, String> {
    let auth = format!(
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={V3A_SIGNED},Signature={V3A_SIGNATURE}"
    );
    let mut h = map(&[
        ("accept-encoding", "identity"),
        ("host", "127.0.0.1:18765"),
        ("x-acs-version", "2014-05-15"),
        ("x-acs-action", "CreateAccessControlList"),
        ("user-agent", UA),
        ("x-acs-date", "2026-11-30T21:12:20Z"),
        ("x-acs-signature-nonce", "0c90bd3a17c866696dd6cec7840de798"),
        ("accept", "application/json"),
        ("x-acs-content-sha256", EMPTY_BODY_SHA256),
        ("x-acs-credentials-provider", "static_ak"),
        ("content-length", "0"),
    ]);
    h.insert("authorization".into(), auth);
    h
}

fn check(
    query: &BTreeMap<String, String>,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<Verified, ApiError> {
    let req = Received {
        method: "POST",
        query,
        headers,
        body,
    };
    verify(&req, &creds(), NOW)
}

#[test]
fn vector_v3a_verifies_with_its_action_version_and_nonce() {
    let got = check(&query(V3A_QUERY), &v3a_headers(), b"").unwrap();
    assert_eq!(
        got,
        Verified {
            nonce: "0c90bd3a17c866696dd6cec7840de798".into(),
            action: "CreateAccessControlList".into(),
            version: "2014-05-15".into(),
        }
    );
}

#[test]
fn vector_v3b_with_an_sts_token_and_a_json_parameter_verifies() {
    let q = query(
        "AclEntrys=%5B%7B%22entry%22%3A%2210.0.0.0%2F24%22%2C%22comment%22%3A%22pod+cidr%22%7D%2C%7B%22entry%22%3A%22192.168.1.1%2F32%22%2C%22comment%22%3A%22%22%7D%5D&AclId=acl-bp1testacl&RegionId=cn-hangzhou",
    );
    let mut h = v3a_headers();
    h.insert("x-acs-action".into(), "AddAccessControlListEntry".into());
    h.insert(
        "x-acs-signature-nonce".into(),
        "98888543ea498de543d22d506bdbd7be".into(),
    );
    h.insert("x-acs-credentials-provider".into(), "static_sts".into());
    h.insert("x-acs-accesskey-id".into(), "testid".into());
    h.insert("x-acs-security-token".into(), "testststoken".into());
    h.insert("authorization".into(), "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=31f63d3b200d4a187aaef4303d9df2af5aa0809175bdb8c194c5cf021a66cfbb".into());
    assert_eq!(
        check(&q, &h, b"").unwrap().action,
        "AddAccessControlListEntry"
    );
}

#[test]
fn vector_v3c_covers_the_form_body_by_its_hash_only() {
    let body = b"AcceptLanguage=en-US";
    let mut h = v3a_headers();
    h.insert("x-acs-action".into(), "DescribeRegions".into());
    h.insert(
        "x-acs-signature-nonce".into(),
        "4be10524469418a5ce1b881ba8469ea6".into(),
    );
    h.insert(
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    );
    h.insert(
        "x-acs-content-sha256".into(),
        "cc835ceefb604582fc61a9e2a33dfed02d7c51103bcb6f4639f287bebb4f91c7".into(),
    );
    h.insert("authorization".into(), "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=9b1ac62a71c65abe94890a2045fdf62000f0c5454ba40fab56549788180ddc07".into());
    let q = query("RegionId=cn-hangzhou");
    assert_eq!(check(&q, &h, body).unwrap().action, "DescribeRegions");
    let other = check(&q, &h, b"AcceptLanguage=zh-CN").unwrap_err();
    assert_eq!(other.code, "SignatureDoesNotMatch");
    assert!(
        other.message.contains("x-acs-content-sha256"),
        "{}",
        other.message
    );
}

fn with(header: &str, value: &str) -> BTreeMap<String, String> {
    let mut h = v3a_headers();
    h.insert(header.into(), value.into());
    h
}

fn authorization(signed: &str, signature: &str) -> String {
    format!("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={signed},Signature={signature}")
}

/// What is wrong, the headers and the query of one refused request.
type Case<'a> = (
    &'a str,
    BTreeMap<String, String>,
    &'a BTreeMap<String, String>,
);

/// Asserts each case is answered `code`.
fn assert_refused(code: &str, cases: Vec<Case<'_>>) {
    for (name, headers, q) in cases {
        assert_eq!(check(q, &headers, b"").unwrap_err().code, code, "{name}");
    }
}

#[test]
fn an_incomplete_authorization_is_incomplete_signature() {
    let unsigned_date = V3A_SIGNED.replace(";x-acs-date", "");
    let mut no_host = v3a_headers();
    no_host.remove("host");
    let q = query(V3A_QUERY);
    let other_algorithm =
        authorization(V3A_SIGNED, V3A_SIGNATURE).replace("HMAC-SHA256", "HMAC-SM3");
    assert_refused(
        "IncompleteSignature",
        vec![
            (
                "another algorithm",
                with("authorization", &other_algorithm),
                &q,
            ),
            (
                "malformed",
                with("authorization", "ACS3-HMAC-SHA256 nonsense"),
                &q,
            ),
            (
                "a mandatory header unsigned",
                with(
                    "authorization",
                    &authorization(&unsigned_date, V3A_SIGNATURE),
                ),
                &q,
            ),
            ("a signed header absent", no_host, &q),
            (
                "x-acs-accesskey-id of another key",
                with("x-acs-accesskey-id", "other"),
                &q,
            ),
        ],
    );
}

#[test]
fn an_unknown_key_a_bad_date_or_nonce_have_their_own_codes() {
    let q = query(V3A_QUERY);
    let nobody = authorization(V3A_SIGNED, V3A_SIGNATURE).replace("testid", "nobody");
    assert_refused(
        "InvalidAccessKeyId.NotFound",
        vec![("unknown key", with("authorization", &nobody), &q)],
    );
    assert_refused(
        "InvalidTimeStamp.Expired",
        vec![("stale date", with("x-acs-date", "2026-11-30T20:12:20Z"), &q)],
    );
    assert_refused(
        "InvalidTimeStamp.Format",
        vec![("bad date", with("x-acs-date", "yesterday"), &q)],
    );
    assert_refused(
        "InvalidParameter",
        vec![(
            "overlong nonce",
            with("x-acs-signature-nonce", &"n".repeat(65)),
            &q,
        )],
    );
}

#[test]
fn a_tampered_header_or_query_does_not_match_the_signature() {
    let q = query(V3A_QUERY);
    let mut tampered_query = query(V3A_QUERY);
    tampered_query.insert("AclName".into(), "other".into());
    assert_refused(
        "SignatureDoesNotMatch",
        vec![
            (
                "tampered header",
                with("x-acs-action", "DeleteAccessControlList"),
                &q,
            ),
            ("tampered query", v3a_headers(), &tampered_query),
        ],
    );
}

#[test]
fn a_mismatch_carries_the_servers_string_to_sign_and_canonical_request() {
    let err = check(&query(V3A_QUERY), &with("x-acs-version", "2016-04-28"), b"").unwrap_err();
    assert!(
        err.message
            .contains("server StringToSign is [ACS3-HMAC-SHA256\n"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("x-acs-version:2016-04-28\n"),
        "{}",
        err.message
    );
}

#[test]
fn only_acs3_authorizations_are_v3() {
    assert!(is_v3(Some("ACS3-HMAC-SHA256 Credential=a")));
    assert!(!is_v3(Some("Bearer x")));
    assert!(!is_v3(None));
}
