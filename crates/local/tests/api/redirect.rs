//! HTTP→HTTPS redirect listeners (spec part 2 §8): `ListenerForward=on` with `ForwardPort`
//! needs no vServer group, the target must be another port with an HTTPS listener of the
//! same CLB, `ForwardCode` is a redirect status, describes carry the fields, a forwarded-to
//! HTTPS listener cannot be deleted first, and the fields survive a restart. Redirect
//! settings are creation-only: Set refuses `ListenerForward`/`ForwardPort` by name, a
//! forwarding listener takes no Set (`Operation.NotAllowed`), and delete + create changes it.

use slb_local::store::SqliteStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::OnOff;

use crate::certificate::{https_clb, https_listener, upload};
use crate::support::*;

/// A CLB with a group and an HTTPS listener on 443.
async fn with_https(h: &Harness) -> String {
    https_clb(h, "redirect", "www", "www.example.com").await.0
}

fn redirect(lb: &str, port: u16, to: Option<u16>) -> CreateHttpListenerRequest {
    CreateHttpListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        listener_forward: Some(OnOff::On),
        forward_port: to,
        ..Default::default()
    }
}

async fn describe_http(h: &Harness, lb: &str, port: u16) -> DescribeHttpListenerAttributeResponse {
    let req = DescribeHttpListenerAttributeRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        ..Default::default()
    };
    h.client
        .describe_http_listener_attribute(&req)
        .await
        .unwrap()
}

/// `(ListenerForward, ForwardPort)` of a described HTTP listener.
fn forward_of(got: &DescribeHttpListenerAttributeResponse) -> (&str, u16) {
    (
        got.config.listener_forward.as_str(),
        got.config.forward_port,
    )
}

fn delete(lb: &str, port: u16) -> DeleteListenerRequest {
    DeleteListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_redirect_listener_needs_no_group_and_describes_its_target() {
    let h = start().await;
    let lb = with_https(&h).await;
    h.client
        .create_http_listener(&redirect(&lb, 80, Some(443)))
        .await
        .unwrap();
    let got = describe_http(&h, &lb, 80).await;
    assert_eq!(forward_of(&got), ("on", 443));
    assert_eq!(got.common.vserver_group_id, "");
    let attr = h
        .client
        .describe_load_balancer_attribute(&DescribeLoadBalancerAttributeRequest {
            load_balancer_id: lb.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let item = attr
        .listener_ports_and_protocol
        .iter()
        .find(|p| p.listener_port == 80)
        .unwrap();
    assert_eq!(
        (item.listener_forward.as_str(), item.forward_port),
        ("on", 443)
    );
}

#[tokio::test]
async fn forwarding_without_a_forward_port_is_missing_parameter() {
    let h = start().await;
    let lb = with_https(&h).await;
    let err = assert_code(
        h.client
            .create_http_listener(&redirect(&lb, 80, None))
            .await,
        "MissingParameter",
        400,
    );
    assert!(err.message.contains("ForwardPort"), "{err}");
}

#[tokio::test]
async fn the_forward_port_must_be_another_https_listener_of_the_clb() {
    let h = start().await;
    let lb = with_https(&h).await;
    h.client
        .create_http_listener(&redirect(&lb, 80, Some(443)))
        .await
        .unwrap();
    // No listener on 8443; 81 is the listener's own port; 80 is HTTP, not HTTPS.
    for (port, to) in [(81, 8443), (81, 81), (81, 80)] {
        let err = assert_code(
            h.client
                .create_http_listener(&redirect(&lb, port, Some(to)))
                .await,
            "InvalidParameter",
            400,
        );
        assert!(err.message.contains("ListenerPort or ForwardPort"), "{err}");
    }
}

#[tokio::test]
async fn a_forward_code_is_a_redirect_status() {
    let h = start().await;
    let lb = with_https(&h).await;
    let bad = CreateHttpListenerRequest {
        forward_code: Some("200".into()),
        ..redirect(&lb, 80, Some(443))
    };
    assert_code(
        h.client.create_http_listener(&bad).await,
        "InvalidParameter.ForwardCode",
        400,
    );
    let good = CreateHttpListenerRequest {
        forward_code: Some("302".into()),
        ..redirect(&lb, 80, Some(443))
    };
    h.client.create_http_listener(&good).await.unwrap();
    assert_eq!(describe_http(&h, &lb, 80).await.config.forward_code, "302");
}

#[tokio::test]
async fn a_forwarded_to_https_listener_is_deleted_only_after_its_redirect() {
    let h = start().await;
    let lb = with_https(&h).await;
    h.client
        .create_http_listener(&redirect(&lb, 80, Some(443)))
        .await
        .unwrap();
    assert_code(
        h.client.delete_listener(&delete(&lb, 443)).await,
        "ListenerForwardExist",
        400,
    );
    h.client.delete_listener(&delete(&lb, 80)).await.unwrap();
    h.client.delete_listener(&delete(&lb, 443)).await.unwrap();
}

#[tokio::test]
async fn a_redirect_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let lb = {
        let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
        let lb = with_https(&h).await;
        h.client
            .create_http_listener(&redirect(&lb, 80, Some(443)))
            .await
            .unwrap();
        lb
    };
    let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
    assert_eq!(forward_of(&describe_http(&h, &lb, 80).await), ("on", 443));
}

/// A plain (not forwarding) HTTP listener on `port` with a group of its own.
async fn plain_http(h: &Harness, lb: &str, port: u16) {
    let req = CreateHttpListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        vserver_group_id: Some(create_group(h, lb).await),
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        ..Default::default()
    };
    h.client.create_http_listener(&req).await.unwrap();
}

#[tokio::test]
async fn set_refuses_the_redirect_settings_by_name_saying_to_recreate() {
    let h = start().await;
    let lb = with_https(&h).await;
    plain_http(&h, &lb, 80).await;
    for (param, value) in [("ListenerForward", "on"), ("ForwardPort", "443")] {
        let (status, body) = raw(
            h.addr,
            "POST",
            "SetLoadBalancerHTTPListenerAttribute",
            &[
                ("LoadBalancerId", lb.as_str()),
                ("ListenerPort", "80"),
                (param, value),
            ],
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["Code"].as_str()),
            (400, Some("InvalidParameter")),
            "{param}: {body}"
        );
        let message = body["Message"].as_str().unwrap();
        assert!(message.contains(param), "{message}");
        assert!(message.contains("Delete the listener"), "{message}");
    }
    let got = describe_http(&h, &lb, 80).await;
    assert_eq!(got.config.listener_forward, "off", "nothing was changed");
}

#[tokio::test]
async fn a_forwarding_listener_takes_no_set_at_all() {
    let h = start().await;
    let lb = with_https(&h).await;
    h.client
        .create_http_listener(&redirect(&lb, 80, Some(443)))
        .await
        .unwrap();
    let rename = SetHttpListenerAttributeRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        description: Some("renamed".into()),
        ..Default::default()
    };
    let err = assert_code(
        h.client.set_http_listener_attribute(&rename).await,
        "Operation.NotAllowed",
        400,
    );
    assert!(
        err.message
            .starts_with("Operation Denied. The HTTP listener does not support this action."),
        "{err}"
    );
    assert_eq!(describe_http(&h, &lb, 80).await.common.description, "");
}

#[tokio::test]
async fn set_takes_a_forward_code_on_a_listener_that_does_not_forward() {
    let h = start().await;
    let lb = with_https(&h).await;
    plain_http(&h, &lb, 80).await;
    let set = |code: &str| SetHttpListenerAttributeRequest {
        load_balancer_id: lb.clone(),
        listener_port: 80,
        forward_code: Some(code.into()),
        ..Default::default()
    };
    assert_code(
        h.client.set_http_listener_attribute(&set("200")).await,
        "InvalidParameter.ForwardCode",
        400,
    );
    h.client
        .set_http_listener_attribute(&set("307"))
        .await
        .unwrap();
    assert_eq!(describe_http(&h, &lb, 80).await.config.forward_code, "307");
}

#[tokio::test]
async fn a_redirect_is_changed_by_deleting_and_recreating_its_listener() {
    let h = start().await;
    let lb = with_https(&h).await;
    let cert = upload(&h, "alt", &["alt.example.com"])
        .await
        .server_certificate_id;
    let group = create_group(&h, &lb).await;
    h.client
        .create_https_listener(&https_listener(&lb, &group, 8443, &cert))
        .await
        .unwrap();
    h.client
        .create_http_listener(&redirect(&lb, 80, Some(443)))
        .await
        .unwrap();
    h.client.delete_listener(&delete(&lb, 80)).await.unwrap();
    h.client
        .create_http_listener(&redirect(&lb, 80, Some(8443)))
        .await
        .unwrap();
    assert_eq!(forward_of(&describe_http(&h, &lb, 80).await), ("on", 8443));
}
