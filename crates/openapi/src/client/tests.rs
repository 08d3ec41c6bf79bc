use reqwest::header::{HeaderMap, HeaderValue};

use super::*;
use crate::clb::DescribeLoadBalancersResponse;

#[test]
fn signed_params_add_the_common_set_and_verify_with_the_secret() {
    let creds = Credentials::new("testid", "testsecret").with_security_token("sts");
    let mut action = Params::new();
    action.insert("LoadBalancerId".into(), "lb-1".into());
    let signed = signed_params(
        action,
        &CommonParams {
            action: "DeleteLoadBalancer",
            product: Product::Slb,
            region_id: "cn-hangzhou",
            credentials: &creds,
            nonce: "n-1",
            timestamp: "2024-01-02T03:04:05Z",
        },
    );
    let expect = [
        ("AccessKeyId", "testid"),
        ("Action", "DeleteLoadBalancer"),
        ("Format", "JSON"),
        ("LoadBalancerId", "lb-1"),
        ("RegionId", "cn-hangzhou"),
        ("SecurityToken", "sts"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "n-1"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2024-01-02T03:04:05Z"),
        ("Version", "2014-05-15"),
    ];
    for (k, v) in expect {
        assert_eq!(signed.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(signed.len(), expect.len() + 1, "plus Signature");
    assert_eq!(sign::verify_v2("POST", &signed, "testsecret"), Ok(()));
}

#[test]
fn a_request_region_wins_over_the_client_region() {
    let creds = Credentials::new("a", "b");
    let mut action = Params::new();
    action.insert("RegionId".into(), "cn-beijing".into());
    let signed = signed_params(
        action,
        &CommonParams {
            action: "DescribeInstances",
            product: Product::Ecs,
            region_id: "cn-hangzhou",
            credentials: &creds,
            nonce: "n",
            timestamp: "t",
        },
    );
    assert_eq!(
        signed.get("RegionId").map(String::as_str),
        Some("cn-beijing")
    );
    assert_eq!(
        signed.get("Version").map(String::as_str),
        Some("2014-05-26")
    );
}

#[test]
fn timestamps_have_no_fractional_seconds() {
    let ts = utc_timestamp();
    assert_eq!(ts.len(), "2024-01-02T03:04:05Z".len(), "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
}

#[test]
fn throttle_hint_reads_time_left_in_milliseconds() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-ratelimit-user-api",
        HeaderValue::from_static("Limit:100,Remain:0,TimeLeft:1500,Reset:123"),
    );
    assert_eq!(throttle_hint(&headers), Some(Duration::from_millis(1500)));
    assert_eq!(throttle_hint(&HeaderMap::new()), None);
}

#[test]
fn error_responses_become_typed_errors_with_status() {
    let body = br#"{"RequestId":"R1","HostId":"slb.aliyuncs.com","Code":"InvalidLoadBalancerId.NotFound","Message":"The specified LoadBalancerId does not exist.","Recommend":"https://x"}"#;
    let err = parse_response::<DescribeLoadBalancersResponse>(404, body).unwrap_err();
    assert_eq!(err.code, "InvalidLoadBalancerId.NotFound");
    assert_eq!(err.http_status, 404);
    assert_eq!(err.request_id, "R1");
    assert_eq!(err.host_id, "slb.aliyuncs.com");
    assert_eq!(err.recommend, "https://x");
}

#[test]
fn a_5xx_without_an_error_body_is_still_a_retryable_service_error() {
    let err = parse_response::<DescribeLoadBalancersResponse>(502, b"<html>bad gateway</html>")
        .unwrap_err();
    assert_eq!(err.http_status, 502);
    assert!(err.is_retryable());
    assert!(err.message.contains("bad gateway"));
}

#[test]
fn an_undecodable_success_body_is_a_decode_error() {
    let err = parse_response::<DescribeLoadBalancersResponse>(200, b"<xml/>").unwrap_err();
    assert_eq!(err.code, "SDK.InvalidResponse");
    assert!(!err.is_retryable());
}
