//! Signature V3 (`ACS3-HMAC-SHA256`, the Tea SDKs' default) through real HTTP: requests signed
//! with slb-openapi's V3 signer are served, their nonce is remembered like V2's, and a bad
//! signature, a body that does not match its hash or an unsigned mandatory header get
//! Alibaba's codes.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::Value;
use slb_openapi::sign::{V3Request, sha256_hex, sign_v3};

use crate::support::*;

/// A V3 request: query, extra form body, and what to sign with.
struct V3Call<'a> {
    action: &'a str,
    query: &'a [(&'a str, &'a str)],
    body: &'a str,
    nonce: String,
    secret: &'a str,
}

impl<'a> V3Call<'a> {
    fn new(action: &'a str, query: &'a [(&'a str, &'a str)]) -> Self {
        Self {
            action,
            query,
            body: "",
            nonce: uuid_nonce(),
            secret: AK_SECRET,
        }
    }

    /// The signed headers (lowercase) and the `Authorization` value, as a Tea SDK sends them.
    fn headers(&self, host: &str) -> (BTreeMap<String, String>, String) {
        let date = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let mut h: BTreeMap<String, String> = [
            ("host", host.to_owned()),
            ("x-acs-action", self.action.to_owned()),
            ("x-acs-version", "2014-05-15".to_owned()),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", self.nonce.clone()),
            ("x-acs-content-sha256", sha256_hex(self.body.as_bytes())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if !self.body.is_empty() {
            h.insert(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            );
        }
        let query: BTreeMap<String, String> = self
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let req = V3Request {
            method: "POST",
            query: &query,
            headers: &h,
            body: self.body.as_bytes(),
        };
        let auth = sign_v3(&req, self.secret).authorization(AK_ID);
        (h, auth)
    }

    async fn send(&self, h: &Harness) -> (StatusCode, Value) {
        let (headers, auth) = self.headers(&h.addr.to_string());
        self.send_with(h, headers, auth).await
    }

    async fn send_with(
        &self,
        h: &Harness,
        headers: BTreeMap<String, String>,
        auth: String,
    ) -> (StatusCode, Value) {
        let query: BTreeMap<String, String> = self
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let url = format!(
            "http://{}/?{}",
            h.addr,
            slb_openapi::sign::encode_query(&query)
        );
        let mut req = reqwest::Client::new()
            .post(url)
            .header("authorization", auth)
            .body(self.body.to_owned());
        for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

fn code(body: &Value) -> &str {
    body["Code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_v3_signed_call_is_served_and_its_nonce_cannot_be_replayed() {
    let h = start().await;
    let create_query = [
        ("RegionId", "cn-hangzhou"),
        ("AddressType", "intranet"),
        ("VSwitchId", "vsw-local"),
        ("LoadBalancerName", "v3 made*~"),
        ("LoadBalancerSpec", "slb.s1.small"),
    ];
    let create = V3Call::new("CreateLoadBalancer", &create_query);
    let (status, body) = create.send(&h).await;
    assert_eq!(status, 200, "{body}");
    let id = body["LoadBalancerId"].as_str().unwrap().to_owned();
    let describe_query = [("RegionId", "cn-hangzhou"), ("LoadBalancerId", id.as_str())];
    let describe = V3Call::new("DescribeLoadBalancerAttribute", &describe_query);
    let (status, body) = describe.send(&h).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["LoadBalancerName"], "v3 made*~");
    let (status, body) = describe.send(&h).await;
    assert_eq!((status.as_u16(), code(&body)), (400, "SignatureNonceUsed"));
}

#[tokio::test]
async fn form_body_parameters_of_a_v3_call_are_read_and_covered_by_the_hash() {
    let h = start().await;
    let mut call = V3Call::new("DescribeLoadBalancers", &[("RegionId", "cn-hangzhou")]);
    call.body = "LoadBalancerId=lb-none";
    let (status, body) = call.send(&h).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["TotalCount"], 0, "the body's filter applied: {body}");
    // The same signed headers with another body: the hash no longer matches.
    let (headers, auth) = call.headers(&h.addr.to_string());
    call.body = "LoadBalancerId=lb-other";
    call.nonce = uuid_nonce();
    let (status, body) = call.send_with(&h, headers, auth).await;
    assert_eq!(
        (status.as_u16(), code(&body)),
        (400, "SignatureDoesNotMatch")
    );
}

#[tokio::test]
async fn a_wrong_secret_or_an_unsigned_mandatory_header_is_refused_with_alibabas_codes() {
    let h = start().await;
    let query = [("RegionId", "cn-hangzhou")];
    let mut wrong = V3Call::new("DescribeLoadBalancers", &query);
    wrong.secret = "not-the-secret";
    let (status, body) = wrong.send(&h).await;
    assert_eq!(
        (status.as_u16(), code(&body)),
        (400, "SignatureDoesNotMatch")
    );
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("server StringToSign is")
    );

    let call = V3Call::new("DescribeLoadBalancers", &query);
    let (mut headers, _) = call.headers(&h.addr.to_string());
    headers.remove("x-acs-date");
    let req = V3Request {
        method: "POST",
        query: &query
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        headers: &headers,
        body: b"",
    };
    let auth = sign_v3(&req, AK_SECRET).authorization(AK_ID);
    let (status, body) = call.send_with(&h, headers, auth).await;
    assert_eq!((status.as_u16(), code(&body)), (400, "IncompleteSignature"));
}

#[tokio::test]
async fn an_unknown_v3_action_is_not_found() {
    let h = start().await;
    let call = V3Call::new("DescribeNothing", &[("RegionId", "cn-hangzhou")]);
    let (status, body) = call.send(&h).await;
    assert_eq!(
        (status.as_u16(), code(&body)),
        (404, "InvalidAction.NotFound")
    );
}
