use std::collections::BTreeMap;

use super::*;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn vector_a() -> BTreeMap<String, String> {
    params(&[
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ])
}

fn vector_b() -> BTreeMap<String, String> {
    params(&[
        ("AccessKeyId", "testid"),
        ("Action", "DescribeDedicatedHosts"),
        ("Format", "JSON"),
        ("RegionId", "cn-beijing"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2023-03-13T08:34:30Z"),
        ("Version", "2014-05-26"),
    ])
}

fn vector_c1() -> BTreeMap<String, String> {
    params(&[
        ("AccessKeyId", "accessKeyId"),
        ("Action", ""),
        ("Format", "JSON"),
        ("RegionId", "regionId"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "MOCK_UUID"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "mock date"),
        ("Version", ""),
    ])
}

/// Vector D is derived, not published: a CLB request with a JSON-valued parameter sent with
/// POST, whose signature two independent implementations agree on (spec §1.5). It guards the
/// encoding of JSON values; A, B and C come from Alibaba's docs and the Go SDK's tests.
fn vector_d() -> BTreeMap<String, String> {
    params(&[
        ("AccessKeyId", "testid"),
        ("Action", "AddVServerGroupBackendServers"),
        (
            "BackendServers",
            r#"[{"ServerId":"eni-bp1abc","Weight":"100","Type":"eni","ServerIp":"192.168.0.10","Port":"30080","Description":"k8s/80/svc/ns/clusterid"}]"#,
        ),
        ("Format", "JSON"),
        ("RegionId", "cn-hangzhou"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "0b9e3f4c-1111-4d2a-8a3e-2f5c6d7e8f90"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2024-01-02T03:04:05Z"),
        ("VServerGroupId", "rsp-bp1xyz"),
        ("Version", "2014-05-15"),
    ])
}

#[test]
fn percent_encoding_follows_rfc3986_with_uppercase_hex() {
    assert_eq!(
        percent_encode("a b*c~d/e+f=g&h:中"),
        "a%20b%2Ac~d%2Fe%2Bf%3Dg%26h%3A%E4%B8%AD"
    );
}

#[test]
fn vector_a_canonical_query_string_to_sign_and_signature_match_the_doc() {
    let p = vector_a();
    assert_eq!(
        canonicalized_query(&p),
        "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
    );
    assert_eq!(
        string_to_sign_v2("GET", &p),
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    );
    let sig = sign_v2("GET", &p, "testsecret");
    assert_eq!(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    assert_eq!(percent_encode(&sig), "OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D");
}

#[test]
fn vector_a_with_misspelt_timestamp_key_gives_the_old_doc_value() {
    let mut p = vector_a();
    let ts = p.remove("Timestamp").unwrap();
    p.insert("TimeStamp".to_owned(), ts);
    assert_eq!(
        sign_v2("GET", &p, "testsecret"),
        "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    );
}

#[test]
fn vector_b_signs_the_http_method() {
    let p = vector_b();
    assert_eq!(
        sign_v2("GET", &p, "testsecret"),
        "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
    );
    assert_eq!(
        sign_v2("POST", &p, "testsecret"),
        "ZvQ9xGiFnquSJRvj+WE6kdSpTwU="
    );
}

#[test]
fn vector_c1_keeps_empty_values_and_encodes_spaces_as_percent_20() {
    let p = vector_c1();
    assert_eq!(
        string_to_sign_v2("GET", &p),
        "GET&%2F&AccessKeyId%3DaccessKeyId%26Action%3D%26Format%3DJSON%26RegionId%3DregionId%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3DMOCK_UUID%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3Dmock%2520date%26Version%3D"
    );
    assert_eq!(
        sign_v2("GET", &p, "accessKeySecret"),
        "7loPmFjvDnzOVnQeQNj85S6nFGY="
    );
}

#[test]
fn vector_c2_signs_the_sts_security_token() {
    let mut p = vector_c1();
    p.insert("SecurityToken".to_owned(), "accessKeyStsToken".to_owned());
    assert_eq!(
        sign_v2("GET", &p, "accessKeySecret"),
        "5Nxdcler+ihqWqv0Hr2On4PsBf4="
    );
}

#[test]
fn vector_d_signs_a_json_valued_parameter_with_post() {
    let p = vector_d();
    assert!(
        canonicalized_query(&p)
            .contains("BackendServers=%5B%7B%22ServerId%22%3A%22eni-bp1abc%22%2C")
    );
    assert_eq!(
        sign_v2("POST", &p, "testsecret"),
        "aAiHNXIT6N9G/X4oRdr2u8+ZCjg="
    );
}

#[test]
fn signature_parameter_is_excluded_from_the_string_to_sign() {
    let mut p = vector_b();
    let before = string_to_sign_v2("GET", &p);
    p.insert("Signature".to_owned(), "anything".to_owned());
    assert_eq!(string_to_sign_v2("GET", &p), before);
}

#[test]
fn verify_accepts_a_correctly_signed_request() {
    let mut p = vector_d();
    let sig = sign_v2("POST", &p, "testsecret");
    p.insert("Signature".to_owned(), sig);
    assert_eq!(verify_v2("POST", &p, "testsecret"), Ok(()));
}

#[test]
fn verify_rejects_a_wrong_secret_with_the_server_string_to_sign() {
    let mut p = vector_b();
    p.insert(
        "Signature".to_owned(),
        "9NaGiOspFP5UPcwX8Iwt2YJXXuk=".to_owned(),
    );
    assert_eq!(verify_v2("GET", &p, "testsecret"), Ok(()));
    let err = verify_v2("GET", &p, "othersecret").unwrap_err();
    let SignatureError::Mismatch { string_to_sign } = &err else {
        panic!("expected a mismatch, got {err:?}");
    };
    assert!(string_to_sign.starts_with("GET&%2F&AccessKeyId%3Dtestid"));
    let api = err.to_api_error();
    assert_eq!(api.code, "SignatureDoesNotMatch");
    assert_eq!(api.http_status, 400);
    assert!(api.message.ends_with(string_to_sign.as_str()));
}

#[test]
fn verify_rejects_a_request_signed_for_another_method() {
    let mut p = vector_b();
    p.insert("Signature".to_owned(), sign_v2("GET", &p, "testsecret"));
    assert!(matches!(
        verify_v2("POST", &p, "testsecret"),
        Err(SignatureError::Mismatch { .. })
    ));
}

#[test]
fn verify_reports_a_missing_signature_as_incomplete() {
    let err = verify_v2("GET", &vector_b(), "testsecret").unwrap_err();
    assert_eq!(err, SignatureError::Missing);
    assert_eq!(err.to_api_error().code, "IncompleteSignature");
}

#[test]
fn verify_rejects_an_unsupported_signature_method() {
    let mut p = vector_b();
    p.insert("SignatureMethod".to_owned(), "HMAC-SHA256".to_owned());
    p.insert("Signature".to_owned(), "x".to_owned());
    assert!(matches!(
        verify_v2("GET", &p, "testsecret"),
        Err(SignatureError::UnsupportedMethod { .. })
    ));
}

#[test]
fn form_decoding_turns_plus_into_space_before_percent_decoding() {
    let decoded = form_decode("Timestamp=mock+date&Sig=a%2Bb%3D&Empty=&Flag");
    assert_eq!(
        decoded,
        vec![
            ("Timestamp".to_owned(), "mock date".to_owned()),
            ("Sig".to_owned(), "a+b=".to_owned()),
            ("Empty".to_owned(), String::new()),
            ("Flag".to_owned(), String::new()),
        ]
    );
}

#[test]
fn a_go_style_query_with_plus_spaces_verifies_after_form_decoding() {
    let mut p = vector_c1();
    p.insert(
        "Signature".to_owned(),
        sign_v2("GET", &p, "accessKeySecret"),
    );
    // Go's url.Values.Encode writes spaces as '+'.
    let wire = encode_query(&p).replace("%20", "+");
    let decoded: BTreeMap<String, String> = form_decode(&wire).into_iter().collect();
    assert_eq!(verify_v2("GET", &decoded, "accessKeySecret"), Ok(()));
}

fn v3_headers(date: &str, nonce: &str) -> BTreeMap<String, String> {
    params(&[
        ("host", "ecs.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "RunInstances"),
        ("x-acs-content-sha256", EMPTY_BODY_SHA256),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-version", "2014-05-26"),
    ])
}

#[test]
fn v3_fixed_parameter_vector_matches_the_doc() {
    let query = params(&[
        (
            "ImageId",
            "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        ),
        ("RegionId", "cn-shanghai"),
    ]);
    let headers = v3_headers("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d");
    let sig = sign_v3(
        &V3Request {
            method: "POST",
            query: &query,
            headers: &headers,
            body: b"",
        },
        "YourAccessKeySecret",
    );
    assert_eq!(
        sig.signed_headers,
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    );
    assert_eq!(
        sha256_hex(sig.canonical_request.as_bytes()),
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    );
    assert_eq!(
        sig.signature,
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    );
    assert!(sig.authorization("YourAccessKeyId").starts_with(
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
    ));
}

#[test]
fn v3_zh_doc_header_example_matches() {
    let query = params(&[
        (
            "ImageId",
            "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        ),
        ("RegionId", "cn-shanghai"),
    ]);
    let headers = v3_headers("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0");
    let sig = sign_v3(
        &V3Request {
            method: "POST",
            query: &query,
            headers: &headers,
            body: b"",
        },
        "YourAccessKeySecret",
    );
    assert_eq!(
        sig.signature,
        "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
    );
}

/// The headers of the Python Tea SDK's vectors (spec 2 §1.5) that every one of them signs.
fn tea_headers(action: &str, nonce: &str) -> BTreeMap<String, String> {
    params(&[
        ("accept", "application/json"),
        ("host", "127.0.0.1:18765"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", action),
        ("x-acs-content-sha256", EMPTY_BODY_SHA256),
        ("x-acs-credentials-provider", "static_ak"),
        ("x-acs-date", "2026-11-30T21:12:20Z"),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-version", "2014-05-15"),
    ])
}

fn sign_tea(
    query: &BTreeMap<String, String>,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> V3Signature {
    sign_v3(
        &V3Request {
            method: "POST",
            query,
            headers,
            body,
        },
        "testsecret",
    )
}

#[test]
fn v3_vector_a_awkward_characters_and_a_repeat_list_match_the_tea_sdk() {
    let query: BTreeMap<String, String> = form_decode(
        "AclName=k8s+acl%2F%E4%B8%AD%2A~&AddressIPVersion=ipv4&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=a+b%2Bc",
    )
    .into_iter()
    .collect();
    let headers = tea_headers(
        "CreateAccessControlList",
        "0c90bd3a17c866696dd6cec7840de798",
    );
    let sig = sign_tea(&query, &headers, b"");
    assert!(sig.canonical_request.contains(
        "\nAclName=k8s%20acl%2F%E4%B8%AD%2A~&AddressIPVersion=ipv4&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=a%20b%2Bc\n"
    ));
    assert_eq!(
        sha256_hex(sig.canonical_request.as_bytes()),
        "59db80eba024154e739b5a5e7c086b424b5a6f4d75e557189320a55c9c8e09a7"
    );
    assert_eq!(
        sig.signature,
        "15993f809c1ea27874b3d622d7aefb8be50e1ba454354349ce18dd2692fd07a9"
    );
}

#[test]
fn v3_vector_b_sts_and_a_json_parameter_match_the_tea_sdk() {
    let query: BTreeMap<String, String> = form_decode(
        "AclEntrys=%5B%7B%22entry%22%3A%2210.0.0.0%2F24%22%2C%22comment%22%3A%22pod+cidr%22%7D%2C%7B%22entry%22%3A%22192.168.1.1%2F32%22%2C%22comment%22%3A%22%22%7D%5D&AclId=acl-bp1testacl&RegionId=cn-hangzhou",
    )
    .into_iter()
    .collect();
    let mut headers = tea_headers(
        "AddAccessControlListEntry",
        "98888543ea498de543d22d506bdbd7be",
    );
    headers.insert("x-acs-credentials-provider".into(), "static_sts".into());
    headers.insert("x-acs-accesskey-id".into(), "testid".into());
    headers.insert("x-acs-security-token".into(), "testststoken".into());
    let sig = sign_tea(&query, &headers, b"");
    assert_eq!(
        sha256_hex(sig.canonical_request.as_bytes()),
        "fa6667dd59a1b04add422ad216ff38ccbf71ba01289ca2a3d78f66d33b274234"
    );
    assert_eq!(
        sig.signature,
        "31f63d3b200d4a187aaef4303d9df2af5aa0809175bdb8c194c5cf021a66cfbb"
    );
}

#[test]
fn v3_vector_c_covers_a_form_body_by_its_hash_only() {
    let body = b"AcceptLanguage=en-US";
    let query = params(&[("RegionId", "cn-hangzhou")]);
    let mut headers = tea_headers("DescribeRegions", "4be10524469418a5ce1b881ba8469ea6");
    headers.insert(
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    );
    headers.insert("x-acs-content-sha256".into(), sha256_hex(body));
    assert_eq!(
        headers["x-acs-content-sha256"],
        "cc835ceefb604582fc61a9e2a33dfed02d7c51103bcb6f4639f287bebb4f91c7"
    );
    let sig = sign_tea(&query, &headers, body);
    assert_eq!(
        sha256_hex(sig.canonical_request.as_bytes()),
        "3d828f7ee7ff12d21fe58d06c9056a25fe3724d2b4488c70f91d451802ac0244"
    );
    assert_eq!(
        sig.signature,
        "9b1ac62a71c65abe94890a2045fdf62000f0c5454ba40fab56549788180ddc07"
    );
}
