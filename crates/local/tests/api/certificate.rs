//! Server and CA certificates: upload (real PEM parsing, key check), describe, rename,
//! delete, and their use by HTTPS listeners, with every error code the local CLB answers.

use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::OnOff;

use crate::support::*;

/// A self-signed certificate for `names` and its private key, both PEM.
pub fn pem_pair(names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let c = rcgen::generate_simple_self_signed(names).unwrap();
    (c.cert.pem(), c.signing_key.serialize_pem())
}

pub async fn upload(h: &Harness, name: &str, names: &[&str]) -> ServerCertificateItem {
    let (cert, key) = pem_pair(names);
    h.client
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: cert,
            private_key: key,
            server_certificate_name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap()
}

pub async fn upload_ca(h: &Harness) -> String {
    let (cert, _) = pem_pair(&["ca.example.com"]);
    h.client
        .upload_ca_certificate(&UploadCaCertificateRequest {
            ca_certificate: cert,
            ca_certificate_name: Some("ca".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .ca_certificate_id
}

pub fn https_listener(lb: &str, group: &str, port: u16, cert: &str) -> CreateHttpsListenerRequest {
    CreateHttpsListenerRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        vserver_group_id: Some(group.into()),
        bandwidth: -1,
        health_check: OnOff::Off,
        sticky_session: OnOff::Off,
        server_certificate_id: Some(cert.into()),
        ..Default::default()
    }
}

/// A CLB `lb_name` with a group and an HTTPS listener on 443 serving a fresh certificate
/// `cert_name` for `domain`: (lb, certificate id).
pub async fn https_clb(
    h: &Harness,
    lb_name: &str,
    cert_name: &str,
    domain: &str,
) -> (String, String) {
    let lb = create_lb(h, lb_name).await.load_balancer_id;
    let group = create_group(h, &lb).await;
    let cert = upload(h, cert_name, &[domain]).await.server_certificate_id;
    h.client
        .create_https_listener(&https_listener(&lb, &group, 443, &cert))
        .await
        .unwrap();
    (lb, cert)
}

async fn describe(h: &Harness, id: Option<&str>) -> Vec<ServerCertificateItem> {
    h.client
        .describe_server_certificates(&DescribeServerCertificatesRequest {
            server_certificate_id: id.map(str::to_owned),
            ..Default::default()
        })
        .await
        .unwrap()
        .server_certificates
}

#[tokio::test]
async fn an_uploaded_certificate_reports_what_it_says() {
    let h = start().await;
    let got = upload(&h, "www", &["www.example.com", "*.example.com"]).await;
    assert!(!got.server_certificate_id.is_empty());
    assert_eq!(
        got.subject_alternative_names,
        ["www.example.com", "*.example.com"]
    );
    assert_eq!(
        got.details.fingerprint.split(':').count(),
        20,
        "{}",
        got.details.fingerprint
    );
    assert!(
        got.details.expire_time_stamp > got.details.create_time_stamp,
        "{got:?}"
    );
    assert_eq!(got.details.encryption_algorithm, "ECC");
    let listed = describe(&h, Some(&got.server_certificate_id)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].details.fingerprint, got.details.fingerprint);
    assert!(
        describe(&h, Some("idkp-unknown")).await.is_empty(),
        "an unknown id filters to nothing"
    );
}

#[tokio::test]
async fn the_pem_and_the_key_are_never_returned() {
    let h = start().await;
    let got = upload(&h, "secret", &["a.example.com"]).await;
    let (status, body) = raw(
        h.addr,
        "GET",
        "DescribeServerCertificates",
        &[("ServerCertificateId", got.server_certificate_id.as_str())],
    )
    .await;
    assert_eq!(status, 200);
    let text = body.to_string();
    assert!(!text.contains("BEGIN"), "{text}");
}

#[tokio::test]
async fn bad_pem_and_mismatched_keys_are_refused() {
    let h = start().await;
    let (cert, _) = pem_pair(&["a.example.com"]);
    let (_, other_key) = pem_pair(&["b.example.com"]);
    let req = |cert: &str, key: &str| UploadServerCertificateRequest {
        server_certificate: cert.into(),
        private_key: key.into(),
        server_certificate_name: "x".into(),
        ..Default::default()
    };
    let bad = h
        .client
        .upload_server_certificate(&req("not a pem", &other_key))
        .await;
    assert_code(bad, "CertificateFormatInvalid", 400);
    let mismatch = h
        .client
        .upload_server_certificate(&req(&cert, &other_key))
        .await;
    let err = assert_code(mismatch, "InvalidParameter", 400);
    assert!(err.message.contains("fail to validate"), "{err}");
    let ca = UploadCaCertificateRequest {
        ca_certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(),
        ..Default::default()
    };
    assert_code(
        h.client.upload_ca_certificate(&ca).await,
        "CertificateFormatInvalid",
        400,
    );
}

#[tokio::test]
async fn alibaba_issued_certificates_are_refused_by_name() {
    let h = start().await;
    let (status, body) = raw(
        h.addr,
        "POST",
        "UploadServerCertificate",
        &[
            ("AliCloudCertificateId", "123"),
            ("AliCloudCertificateName", "n"),
            ("AliCloudCertificateRegionId", "cn-hangzhou"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("AliCloudCertificateId"),
        "{body}"
    );
}

#[tokio::test]
async fn certificates_are_renamed_and_deleted() {
    let h = start().await;
    let id = upload(&h, "old", &["a.example.com"])
        .await
        .server_certificate_id;
    h.client
        .set_server_certificate_name(&SetServerCertificateNameRequest {
            server_certificate_id: id.clone(),
            server_certificate_name: "new".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        describe(&h, Some(&id)).await[0].server_certificate_name,
        "new"
    );
    let delete = DeleteServerCertificateRequest {
        server_certificate_id: id.clone(),
        ..Default::default()
    };
    h.client.delete_server_certificate(&delete).await.unwrap();
    assert_code(
        h.client.delete_server_certificate(&delete).await,
        "ServerCertificateId.NotFound",
        400,
    );
    let ca = upload_ca(&h).await;
    let rename = SetCaCertificateNameRequest {
        ca_certificate_id: ca.clone(),
        ca_certificate_name: "renamed".into(),
        ..Default::default()
    };
    h.client.set_ca_certificate_name(&rename).await.unwrap();
    let listed = h
        .client
        .describe_ca_certificates(&DescribeCaCertificatesRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.ca_certificates[0].ca_certificate_name, "renamed");
    let delete = DeleteCaCertificateRequest {
        ca_certificate_id: ca,
        ..Default::default()
    };
    h.client.delete_ca_certificate(&delete).await.unwrap();
    assert_code(
        h.client.delete_ca_certificate(&delete).await,
        "CACertificateId.NotFound",
        400,
    );
}

#[tokio::test]
async fn https_listeners_need_existing_certificates_of_the_right_kind() {
    let h = start().await;
    let lb = create_lb(&h, "https").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    let server = upload(&h, "srv", &["a.example.com"])
        .await
        .server_certificate_id;
    let ca = upload_ca(&h).await;
    let unknown = https_listener(&lb, &group, 443, "idkp-nope");
    assert_code(
        h.client.create_https_listener(&unknown).await,
        "CertificateNotExist",
        400,
    );
    let swapped = https_listener(&lb, &group, 443, &ca);
    assert_code(
        h.client.create_https_listener(&swapped).await,
        "CertificateTypeMismatched",
        400,
    );
    let mut bad_ca = https_listener(&lb, &group, 443, &server);
    bad_ca.ca_certificate_id = Some("ca-nope".into());
    assert_code(
        h.client.create_https_listener(&bad_ca).await,
        "CertificateNotExist",
        400,
    );
    let mut bad_policy = https_listener(&lb, &group, 443, &server);
    bad_policy.tls_cipher_policy = Some("tls-custom".into());
    assert_code(
        h.client.create_https_listener(&bad_policy).await,
        "InvalidTLSPolicyId.NotExist",
        400,
    );
    let mut good = https_listener(&lb, &group, 443, &server);
    good.ca_certificate_id = Some(ca.clone());
    good.tls_cipher_policy = Some("tls_cipher_policy_1_2".into());
    h.client.create_https_listener(&good).await.unwrap();
    let got = h
        .client
        .describe_https_listener_attribute(&DescribeHttpsListenerAttributeRequest {
            load_balancer_id: lb,
            listener_port: 443,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.config.server_certificate_id, server);
    assert_eq!(got.config.tls_cipher_policy, "tls_cipher_policy_1_2");
}

#[tokio::test]
async fn certificates_in_use_cannot_be_deleted() {
    let h = start().await;
    let lb = create_lb(&h, "in-use").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    let server = upload(&h, "srv", &["a.example.com"])
        .await
        .server_certificate_id;
    let ca = upload_ca(&h).await;
    let mut listener = https_listener(&lb, &group, 443, &server);
    listener.ca_certificate_id = Some(ca.clone());
    h.client.create_https_listener(&listener).await.unwrap();
    let server = DeleteServerCertificateRequest {
        server_certificate_id: server,
        ..Default::default()
    };
    assert_code(
        h.client.delete_server_certificate(&server).await,
        "CertificateAndPrivateKeyIsRefered",
        400,
    );
    let ca = DeleteCaCertificateRequest {
        ca_certificate_id: ca,
        ..Default::default()
    };
    assert_code(
        h.client.delete_ca_certificate(&ca).await,
        "CertificateAndPrivateKeyIsRefered",
        400,
    );
}

#[tokio::test]
async fn unmodelled_https_parameters_are_refused_by_name() {
    let h = start().await;
    let lb = create_lb(&h, "https-unmodelled").await.load_balancer_id;
    let server = upload(&h, "srv", &["a.example.com"])
        .await
        .server_certificate_id;
    for param in [
        "ServerCertificate.1.CertificateId",
        "XForwardedFor_ClientCertSubjectDN",
    ] {
        let (status, body) = raw(
            h.addr,
            "POST",
            "CreateLoadBalancerHTTPSListener",
            &[
                ("LoadBalancerId", lb.as_str()),
                ("ListenerPort", "443"),
                ("BackendServerPort", "80"),
                ("Bandwidth", "-1"),
                ("HealthCheck", "off"),
                ("StickySession", "off"),
                ("ServerCertificateId", server.as_str()),
                (param, "on"),
            ],
        )
        .await;
        assert_eq!(status, 400, "{param}: {body}");
        assert!(body["Message"].as_str().unwrap().contains(param), "{body}");
    }
}

/// Fixed RSA certificates made with `openssl req -x509 -newkey rsa:N -nodes` (test data only).
const RSA_2048_CERT: &str = include_str!("certs/rsa2048.crt");
const RSA_2048_PKCS8: &str = include_str!("certs/rsa2048.key");
const RSA_2048_PKCS1: &str = include_str!("certs/rsa2048.pkcs1.key");
const RSA_1024_CERT: &str = include_str!("certs/rsa1024.crt");
const RSA_1024_PKCS8: &str = include_str!("certs/rsa1024.key");

fn rsa_upload(cert: &str, key: &str) -> UploadServerCertificateRequest {
    UploadServerCertificateRequest {
        server_certificate: cert.into(),
        private_key: key.into(),
        server_certificate_name: "rsa".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn rsa_certificates_are_read_with_pkcs8_and_pkcs1_keys() {
    let h = start().await;
    for key in [RSA_2048_PKCS8, RSA_2048_PKCS1] {
        let got = h
            .client
            .upload_server_certificate(&rsa_upload(RSA_2048_CERT, key))
            .await
            .unwrap();
        assert_eq!(
            (
                got.details.encryption_algorithm.as_str(),
                got.details.encryption_key_length
            ),
            ("RSA", 2048)
        );
        assert_eq!(got.details.common_name, "rsa.example.com");
    }
}

#[tokio::test]
async fn a_short_rsa_key_is_an_illegal_key_length() {
    let h = start().await;
    let small = h
        .client
        .upload_server_certificate(&rsa_upload(RSA_1024_CERT, RSA_1024_PKCS8))
        .await;
    assert_code(small, "OperationDenied.IllegalKeyLength", 400);
}

#[tokio::test]
async fn an_id_filter_in_another_resource_group_is_a_mismatch() {
    let h = start().await;
    let id = upload(&h, "grouped", &["a.example.com"])
        .await
        .server_certificate_id;
    let req = DescribeServerCertificatesRequest {
        server_certificate_id: Some(id),
        resource_group_id: Some("rg-other".into()),
        ..Default::default()
    };
    assert_code(
        h.client.describe_server_certificates(&req).await,
        "Abs.ServerCertificateIdAndResourceGroupId.MissMatch",
        400,
    );
}

#[tokio::test]
async fn a_chain_longer_than_sixteen_kib_is_accepted() {
    let h = start().await;
    let (leaf, key) = pem_pair(&["chain.example.com"]);
    let chain = format!("{leaf}{}", RSA_2048_CERT.repeat(14));
    assert!(chain.len() > 16 * 1024, "{}", chain.len());
    let got = h
        .client
        .upload_server_certificate(&UploadServerCertificateRequest {
            server_certificate: chain,
            private_key: key,
            server_certificate_name: "chain".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.subject_alternative_names, ["chain.example.com"]);
}
