use super::*;

#[test]
fn classification_follows_the_code_status_and_origin() {
    // (error, retryable, throttling, outcome unknown, kind)
    let cases = [
        (
            codes::THROTTLING_USER.error(),
            true,
            true,
            false,
            "throttling",
        ),
        (
            codes::THROTTLING_API.error(),
            true,
            true,
            false,
            "throttling",
        ),
        (codes::THROTTLING.error(), true, true, false, "throttling"),
        (
            codes::SERVICE_UNAVAILABLE.error(),
            true,
            false,
            true,
            "server",
        ),
        (codes::INTERNAL_ERROR.error(), true, false, true, "server"),
        (codes::SLB_IS_BUSY.error(), true, false, false, "busy"),
        (
            codes::BACKEND_SERVER_CONFIGURING.error(),
            true,
            false,
            false,
            "busy",
        ),
        (
            codes::SERVICE_IS_CONFIGURING.error(),
            true,
            false,
            false,
            "busy",
        ),
        (
            codes::VSERVER_GROUP_PROCESSING.error(),
            true,
            false,
            false,
            "busy",
        ),
        (codes::SYSTEM_BUSY.error(), true, false, false, "busy"),
        (
            codes::TOKEN_IS_PROCESSING.error(),
            true,
            false,
            false,
            "busy",
        ),
        (
            codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND.error(),
            false,
            false,
            false,
            "not_found",
        ),
        (
            codes::VSERVER_GROUP_NOT_FOUND.error(),
            false,
            false,
            false,
            "not_found",
        ),
        (
            codes::SIGNATURE_DOES_NOT_MATCH.error(),
            false,
            false,
            false,
            "auth",
        ),
        (
            codes::INVALID_ACCESS_KEY_ID_NOT_FOUND.error(),
            false,
            false,
            false,
            "auth",
        ),
        (
            codes::FORBIDDEN_RAM.error(),
            false,
            false,
            false,
            "forbidden",
        ),
        (
            codes::INSTANCE_BACKEND_SERVER_NUMBER_OVER_LIMIT.error(),
            false,
            false,
            false,
            "quota",
        ),
        (
            codes::PAY_INSUFFICIENT_BALANCE.error(),
            false,
            false,
            false,
            "billing",
        ),
        (
            ApiError::missing_parameter("X"),
            false,
            false,
            false,
            "invalid",
        ),
        (
            codes::LISTENER_ALREADY_EXISTS.error(),
            false,
            false,
            false,
            "conflict",
        ),
        (ApiError::timeout("t"), true, false, true, "timeout"),
        (ApiError::transport("t"), true, false, true, "transport"),
        (ApiError::decode("d"), false, false, false, "decode"),
        (
            ApiError::invalid_request("r"),
            false,
            false,
            false,
            "request",
        ),
    ];
    for (err, retryable, throttling, unknown, kind) in cases {
        assert_eq!(err.is_retryable(), retryable, "retryable {}", err.code);
        assert_eq!(err.is_throttling(), throttling, "throttling {}", err.code);
        assert_eq!(err.outcome_unknown(), unknown, "unknown {}", err.code);
        assert_eq!(err.kind(), kind, "kind {}", err.code);
    }
}

#[test]
fn documented_statuses_match_the_spec_table() {
    let cases = [
        (codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND, 404),
        (codes::BACKEND_SERVER_CONFIGURING, 409),
        (codes::SERVICE_IS_STOPPING, 409),
        (codes::SERVICE_UNAVAILABLE, 503),
        (codes::INTERNAL_ERROR, 500),
        (codes::FORBIDDEN_RAM, 403),
        (codes::THROTTLING_USER, 400),
        (codes::INVALID_ACTION_NOT_FOUND, 404),
        (codes::RESOURCE_NOT_FOUND_LISTENER, 404),
    ];
    for (spec, status) in cases {
        assert_eq!(spec.status, status, "{}", spec.code);
        assert_eq!(spec.error().http_status, status);
    }
}

#[test]
fn templates_are_filled_with_the_detail() {
    let err = codes::MISSING_PARAMETER.error_with("LoadBalancerId");
    assert_eq!(
        err.message,
        "The input parameter \"LoadBalancerId\" that is mandatory for processing this request is not supplied."
    );
    let err = codes::RESOURCE_NOT_FOUND_VSERVERS.error_with("eni-1");
    assert_eq!(err.message, "The specified enis eni-1 does not exist.");
    let err = codes::NETWORK_CONFLICT.error_with("vpc-a != vpc-b");
    assert!(err.message.ends_with("parameter. vpc-a != vpc-b"));
}

#[test]
fn lookup_finds_documented_codes() {
    assert_eq!(codes::lookup("SlbIsBusy").map(|s| s.status), Some(400));
    assert!(codes::lookup("NoSuchCode").is_none());
    assert!(codes::BACKEND_SERVER_CONFIGURING.matches(&codes::BACKEND_SERVER_CONFIGURING.error()));
}

#[test]
fn error_body_round_trips_through_the_wire_shape() {
    let err = codes::THROTTLING_USER
        .error()
        .with_request_id("REQ-1")
        .with_host_id("slb.aliyuncs.com")
        .with_recommend("https://api.aliyun.com/troubleshoot?q=Throttling.User");
    let json = serde_json::to_string(&ErrorBody::from_error(&err)).unwrap();
    assert!(json.contains(r#""Code":"Throttling.User""#));
    assert!(json.contains(r#""RequestId":"REQ-1""#));
    let back: ErrorBody = serde_json::from_str(&json).unwrap();
    assert_eq!(back.into_error(400), err);
}

#[test]
fn display_names_code_status_message_and_request_id() {
    let err = codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND
        .error()
        .with_request_id("R1");
    assert_eq!(
        err.to_string(),
        "InvalidLoadBalancerId.NotFound (HTTP 404): The specified LoadBalancerId does not exist. (RequestId R1)"
    );
}
