//! Wire-level behaviour: methods, form decoding, signature and gateway errors, error bodies,
//! and garbage input (always 4xx, never a crash).

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn get_and_post_and_form_body_parameters_are_all_accepted() {
    let h = start().await;
    let (status, body) = raw(h.addr, "GET", "DescribeLoadBalancers", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["RequestId"].as_str().is_some_and(|r| !r.is_empty()));
    let params = sign(
        "POST",
        "DescribeLoadBalancers",
        &[("PageSize", "5")],
        &uuid_nonce(),
    );
    let form = slb_openapi::sign::encode_query(&params);
    let resp = reqwest::Client::new()
        .post(format!("http://{}/", h.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["PageSize"], 5);
}

#[tokio::test]
async fn plus_in_the_query_is_a_space_as_go_sends_it() {
    let h = start().await;
    let params = sign(
        "POST",
        "CreateLoadBalancer",
        &[
            ("LoadBalancerName", "my lb"),
            ("LoadBalancerSpec", "slb.s1.small"),
            ("VSwitchId", "vsw-local"),
        ],
        &uuid_nonce(),
    );
    let query = slb_openapi::sign::encode_query(&params).replace("%20", "+");
    let resp = reqwest::Client::new()
        .post(format!("http://{}/?{query}", h.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    assert_eq!(
        h.engine
            .state()
            .load_balancers
            .values()
            .next()
            .unwrap()
            .name,
        "my lb"
    );
}

#[tokio::test]
async fn gateway_errors_have_alibabas_codes_statuses_and_full_bodies() {
    let h = start().await;
    let good = || sign("POST", "DescribeLoadBalancers", &[], &uuid_nonce());
    let mut no_sig = good();
    no_sig.remove("Signature");
    let mut tampered = good();
    tampered.insert("PageSize".into(), "7".into());
    let mut bad_key = good();
    bad_key.insert("AccessKeyId".into(), "nobody".into());
    let cases = [
        ("unsigned", no_sig, "IncompleteSignature", 400),
        ("tampered", tampered, "SignatureDoesNotMatch", 400),
        ("unknown key", bad_key, "InvalidAccessKeyId.NotFound", 404),
    ];
    for (name, params, code, status) in cases {
        let (got, body) = send(h.addr, "POST", &params).await;
        assert_eq!(
            (got.as_u16(), body["Code"].as_str().unwrap()),
            (status, code),
            "{name}: {body}"
        );
        for field in ["RequestId", "HostId", "Message", "Recommend"] {
            assert!(
                body[field].as_str().is_some_and(|v| !v.is_empty()),
                "{name}: {field} in {body}"
            );
        }
    }
    let (_, body) = send(h.addr, "POST", &{
        let mut p = good();
        p.insert("PageSize".into(), "7".into());
        p
    })
    .await;
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("server string to sign is:POST&%2F&"),
        "{body}"
    );
}

#[tokio::test]
async fn stale_timestamp_is_expired() {
    let h = start().await;
    let mut params = sign("POST", "DescribeLoadBalancers", &[], &uuid_nonce());
    params.insert("Timestamp".into(), "2020-01-01T00:00:00Z".into());
    params.remove("Signature");
    let sig = slb_openapi::sign::sign_v2("POST", &params, AK_SECRET);
    params.insert("Signature".into(), sig);
    let (status, body) = send(h.addr, "POST", &params).await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str().unwrap()),
        (400, "InvalidTimeStamp.Expired")
    );
}

#[tokio::test]
async fn another_region_is_invalid_region_id() {
    let h = start().await;
    let (status, body) = raw(
        h.addr,
        "POST",
        "DescribeLoadBalancers",
        &[("RegionId", "cn-beijing")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str().unwrap()),
        (404, "InvalidRegionId.NotFound")
    );
}

#[tokio::test]
async fn replayed_nonce_is_refused() {
    let h = start().await;
    let params = sign("POST", "DescribeLoadBalancers", &[], "the-same-nonce");
    assert_eq!(send(h.addr, "POST", &params).await.0, StatusCode::OK);
    let (status, body) = send(h.addr, "POST", &params).await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str().unwrap()),
        (400, "SignatureNonceUsed")
    );
}

#[tokio::test]
async fn unknown_action_is_404_and_wrong_version_is_invalid_version() {
    let h = start().await;
    let (status, body) = raw(h.addr, "POST", "DescribeUnicorns", &[]).await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str().unwrap()),
        (404, "InvalidAction.NotFound")
    );
    let mut params = sign("POST", "DescribeLoadBalancers", &[], &uuid_nonce());
    params.insert("Version".into(), "2014-05-26".into());
    params.remove("Signature");
    let sig = slb_openapi::sign::sign_v2("POST", &params, AK_SECRET);
    params.insert("Signature".into(), sig);
    let (status, body) = send(h.addr, "POST", &params).await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str().unwrap()),
        (400, "InvalidVersion")
    );
}

#[tokio::test]
async fn garbage_input_of_any_kind_gets_a_4xx_and_the_server_keeps_serving() {
    let h = start().await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", h.addr);
    let raw_cases: Vec<(&str, String, Vec<u8>)> = vec![
        ("GET", format!("{base}/?%%%zz=%G1&&&=&Action"), vec![]),
        (
            "POST",
            format!("{base}/"),
            vec![0xff, 0xfe, 0x00, 0x25, 0x26, 0x3d],
        ),
        ("GET", format!("{base}/"), vec![]),
        (
            "PUT",
            format!("{base}/?Action=DescribeLoadBalancers"),
            vec![],
        ),
        (
            "GET",
            format!("{base}/elsewhere?Action=DescribeLoadBalancers"),
            vec![],
        ),
        (
            "POST",
            format!("{base}/?Action=DescribeLoadBalancers"),
            br#"{"json":"body"}"#.to_vec(),
        ),
        (
            "GET",
            format!("{base}/?Signature={}", "A".repeat(20_000)),
            vec![],
        ),
    ];
    for (method, url, body) in raw_cases {
        let req = http
            .request(method.parse().unwrap(), &url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let status = req.send().await.unwrap().status();
        assert!(
            status.is_client_error(),
            "{method} {} → {status}",
            &url[..url.len().min(80)]
        );
    }
    let signed_garbage: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "AddVServerGroupBackendServers",
            vec![("VServerGroupId", "rsp-x"), ("BackendServers", "not json")],
        ),
        (
            "CreateLoadBalancerTCPListener",
            vec![
                ("LoadBalancerId", "lb-x"),
                ("ListenerPort", "99999"),
                ("Bandwidth", "-1"),
            ],
        ),
        ("DescribeLoadBalancers", vec![("PageSize", "-1")]),
        (
            "TagResources",
            vec![
                ("ResourceType", "instance"),
                ("ResourceId.0", "lb-x"),
                ("Tag.1.Key", "a"),
            ],
        ),
        (
            "CreateLoadBalancer",
            vec![
                ("AddressType", "moon"),
                ("LoadBalancerSpec", "slb.s1.small"),
            ],
        ),
        (
            "LocalSetFaults",
            vec![("Faults", r#"{"throttle":{"*":7}}"#)],
        ),
        ("DescribeInstances", vec![("InstanceIds", "[1,2")]),
        (
            "DescribeLoadBalancers",
            vec![
                ("PageNumber", "4294967295"),
                ("PageSize", "100"),
                ("Tags", "{}"),
            ],
        ),
        (
            "TagResources",
            vec![
                ("ResourceType", "certificate"),
                ("ResourceId.1", "x"),
                ("Tag.1.Key", "a"),
            ],
        ),
        (
            "ListTagResources",
            vec![
                ("ResourceType", "instance"),
                ("ResourceId.1", "x"),
                ("NextToken", "-5"),
            ],
        ),
        ("DescribeLoadBalancerListeners", vec![("MaxResults", "0")]),
        ("DescribeNetworkInterfaces", vec![("NextToken", "zz")]),
        (
            "CreateVServerGroup",
            vec![("LoadBalancerId", "lb-x"), ("BackendServers", "[{}]")],
        ),
    ];
    for (action, params) in signed_garbage {
        let (status, body) = raw(h.addr, "POST", action, &params).await;
        assert!(status.is_client_error(), "{action} → {status} {body}");
        assert!(
            body["Code"].as_str().is_some(),
            "{action}: error body has a Code: {body}"
        );
    }
    assert_eq!(
        raw(h.addr, "GET", "DescribeLoadBalancers", &[]).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn format_xml_is_refused_by_name_rather_than_answered_in_json() {
    let h = start().await;
    let mut params = sign("GET", "DescribeLoadBalancers", &[], &uuid_nonce());
    params.insert("Format".into(), "XML".into());
    params.remove("Signature");
    let sig = slb_openapi::sign::sign_v2("GET", &params, AK_SECRET);
    params.insert("Signature".into(), sig);
    let (status, body) = send(h.addr, "GET", &params).await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str().unwrap()),
        (400, "InvalidParameter")
    );
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.contains("\"Format\"") && message.contains("Format=JSON"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unknown_parameter_is_refused_naming_it_and_the_action_and_changes_nothing() {
    let h = start().await;
    let (status, body) = raw(
        h.addr,
        "POST",
        "CreateLoadBalancer",
        &[("LoadBalancerName", "typo"), ("AddresType", "intranet")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{body}"
    );
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.contains("\"AddresType\"") && message.contains("CreateLoadBalancer"),
        "{message}"
    );
    assert!(
        h.engine.state().load_balancers.is_empty(),
        "nothing created"
    );
}
