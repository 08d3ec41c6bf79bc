//! `slb-ccm local serve` terminates TLS on an `https` listener configured through the signed
//! OpenAPI: the certificate uploaded with UploadServerCertificate answers by default, a
//! domain extension's certificate answers its SNI, the backend gets plain HTTP with
//! `X-Forwarded-Proto: https`, the listener's white-list ACL refuses other sources, and an
//! `http` listener with `ListenerForward=on` answers `301` to the HTTPS port.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};

use slb_openapi::clb::{
    CreateDomainExtensionRequest, CreateHttpListenerRequest, CreateHttpsListenerRequest,
    StartListenerRequest, UploadServerCertificateRequest,
};
use slb_openapi::types::{AclType, OnOff};
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

mod local_serve_support;
use local_serve_support::{
    ServeArgs, acl_with_entry, internet_lb, lb_with_group, read_head, start, wait_until_listening,
};

const ID: &str = "https-id";
const SECRET: &str = "https-secret";

/// A node on 127.0.0.51 answering every request with the request head it received.
async fn backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.51:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut reader = BufReader::new(conn);
                while let Some(head) = read_head(&mut reader).await {
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{head}",
                        head.len()
                    );
                    if reader.get_mut().write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Uploads a self-signed certificate for `name`; returns (id, leaf DER).
async fn upload(api: &HttpClient, name: &str) -> (String, Vec<u8>) {
    let c = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
    let id = api
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: c.cert.pem(),
            private_key: c.signing_key.serialize_pem(),
            server_certificate_name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificate_id;
    (id, c.cert.der().to_vec())
}

struct Setup {
    vip: IpAddr,
    default_der: Vec<u8>,
    www_der: Vec<u8>,
}

/// An LB with an HTTPS listener on 443 (default certificate, www.example.com's by SNI,
/// X-Forwarded-Proto on, white list 127.0.0.1) and a redirect listener on 80.
async fn configure(api: &HttpClient, node_port: u16) -> Setup {
    let (lb, group) = lb_with_group(api, &internet_lb(), "web", &[("i-a", 100)], node_port).await;
    let id = lb.load_balancer_id.clone();
    let acl = acl_with_entry(api, "office", "127.0.0.1/32").await;
    let (default_id, default_der) = upload(api, "default.test").await;
    let (www_id, www_der) = upload(api, "www.example.com").await;
    api.create_https_listener(&CreateHttpsListenerRequest {
        load_balancer_id: id.clone(),
        listener_port: 443,
        bandwidth: -1,
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        vserver_group_id: Some(group),
        server_certificate_id: Some(default_id),
        x_forwarded_for_proto: Some(OnOff::On),
        acl_status: Some(OnOff::On),
        acl_type: Some(AclType::White),
        acl_id: Some(acl),
        ..Default::default()
    })
    .await
    .unwrap();
    api.create_domain_extension(&CreateDomainExtensionRequest {
        load_balancer_id: id.clone(),
        listener_port: 443,
        domain: "www.example.com".into(),
        server_certificate_id: www_id,
        ..Default::default()
    })
    .await
    .unwrap();
    api.create_http_listener(&CreateHttpListenerRequest {
        load_balancer_id: id.clone(),
        listener_port: 80,
        bandwidth: Some(-1),
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        listener_forward: Some(OnOff::On),
        forward_port: Some(443),
        ..Default::default()
    })
    .await
    .unwrap();
    for port in [443, 80] {
        api.start_listener(&StartListenerRequest {
            load_balancer_id: id.clone(),
            listener_port: port,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    Setup {
        vip: lb.address.parse().unwrap(),
        default_der,
        www_der,
    }
}

/// A client that resolves every test name to the VIP, trusts any certificate, reports the
/// one it got, and does not follow redirects.
fn browser(vip: IpAddr, from: IpAddr) -> reqwest::Client {
    let at = SocketAddr::new(vip, 443);
    reqwest::Client::builder()
        .resolve("www.example.com", at)
        .resolve("other.test", at)
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .local_address(from)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn peer_certificate(resp: &reqwest::Response) -> Vec<u8> {
    let info = resp.extensions().get::<reqwest::tls::TlsInfo>().unwrap();
    info.peer_certificate().unwrap().to_vec()
}

#[tokio::test]
async fn an_https_listener_terminates_tls_with_sni_certificates_and_enforces_its_acl() {
    let dir = tempfile::tempdir().unwrap();
    let node_port = backend().await;
    let server = start(
        ServeArgs::new(ID, SECRET)
            .state(dir.path().join("state.db"))
            .config_text(
                dir.path(),
                "instances:\n- { InstanceId: i-a, PrivateIpAddress: 127.0.0.51 }\n",
            )
            .flag("--vip-pool", "127.3.2.0/24"),
    )
    .await;
    let s = configure(&server.client(), node_port).await;
    wait_until_listening(SocketAddr::new(s.vip, 443)).await;
    // The redirect listener was started by another call: it may come a snapshot later.
    wait_until_listening(SocketAddr::new(s.vip, 80)).await;
    let client = browser(s.vip, "127.0.0.1".parse().unwrap());

    let www = client
        .get("https://www.example.com/secure")
        .send()
        .await
        .unwrap();
    assert_eq!(www.status(), 200);
    assert_eq!(
        peer_certificate(&www),
        s.www_der,
        "the domain extension's certificate"
    );
    let head = www.text().await.unwrap();
    assert!(head.starts_with("get /secure http/1.1\r\n"), "{head}");
    assert!(head.contains("x-forwarded-proto: https\r\n"), "{head}");
    assert!(head.contains("x-forwarded-for: 127.0.0.1\r\n"), "{head}");

    let other = client.get("https://other.test/").send().await.unwrap();
    assert_eq!(
        peer_certificate(&other),
        s.default_der,
        "unknown SNI: the default certificate"
    );

    let outsider = browser(s.vip, "127.0.0.9".parse().unwrap());
    assert!(
        outsider
            .get("https://www.example.com/")
            .send()
            .await
            .is_err(),
        "the white list refuses 127.0.0.9"
    );

    let redirect = client
        .get(format!("http://{}/path?q=1", s.vip))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 301);
    assert_eq!(
        redirect.headers()["location"],
        format!("https://{}/path?q=1", s.vip).as_str()
    );
}
