//! Domain extensions (SNI certificates of HTTPS listeners), and the durability of the
//! security records: ACLs, certificates and extensions survive a restart on the same file.

use slb_local::store::SqliteStore;
use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::OnOff;

use crate::acl::{add_entries, create_acl};
use crate::certificate::{https_clb, upload, upload_ca};
use crate::support::*;

/// An LB with an HTTPS listener on 443 using a fresh certificate: (lb, certificate).
async fn https_lb(h: &Harness) -> (String, String) {
    https_clb(h, "sni", "default", "default.example.com").await
}

fn create_req(lb: &str, port: u16, domain: &str, cert: &str) -> CreateDomainExtensionRequest {
    CreateDomainExtensionRequest {
        load_balancer_id: lb.into(),
        listener_port: port,
        domain: domain.into(),
        server_certificate_id: cert.into(),
        ..Default::default()
    }
}

/// Describing extension `id` answers `InvalidParameter.DomainExtensionId` (400).
async fn assert_no_extension(h: &Harness, id: &str) {
    let attr = DescribeDomainExtensionAttributeRequest {
        domain_extension_id: id.into(),
        ..Default::default()
    };
    assert_code(
        h.client.describe_domain_extension_attribute(&attr).await,
        "InvalidParameter.DomainExtensionId",
        400,
    );
}

async fn list(h: &Harness, lb: &str) -> Vec<DomainExtensionItem> {
    h.client
        .describe_domain_extensions(&DescribeDomainExtensionsRequest {
            load_balancer_id: lb.into(),
            listener_port: 443,
            ..Default::default()
        })
        .await
        .unwrap()
        .domain_extensions
}

#[tokio::test]
async fn a_domain_extension_is_created_described_changed_and_deleted() {
    let h = start().await;
    let (lb, _) = https_lb(&h).await;
    let a = upload(&h, "a", &["a.example.com"])
        .await
        .server_certificate_id;
    let b = upload(&h, "b", &["b.example.com"])
        .await
        .server_certificate_id;
    let created = h
        .client
        .create_domain_extension(&create_req(&lb, 443, "A.Example.com", &a))
        .await
        .unwrap();
    assert!(created.domain_extension_id.starts_with("de-"));
    assert_eq!(created.listener_port, 443);
    let id = created.domain_extension_id;
    let listed = list(&h, &lb).await;
    assert_eq!(
        (
            listed[0].domain.as_str(),
            listed[0].server_certificate_id.as_str()
        ),
        ("a.example.com", a.as_str())
    );
    h.client
        .set_domain_extension_attribute(&SetDomainExtensionAttributeRequest {
            domain_extension_id: id.clone(),
            server_certificate_id: b.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let attr = h
        .client
        .describe_domain_extension_attribute(&DescribeDomainExtensionAttributeRequest {
            domain_extension_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (attr.load_balancer_id.as_str(), attr.listener_port),
        (lb.as_str(), 443)
    );
    assert_eq!(attr.server_certificate_id, b);
    let delete = DeleteDomainExtensionRequest {
        domain_extension_id: id,
        ..Default::default()
    };
    h.client.delete_domain_extension(&delete).await.unwrap();
    assert!(list(&h, &lb).await.is_empty());
    assert_code(
        h.client.delete_domain_extension(&delete).await,
        "InvalidParameter.DomainExtensionId",
        400,
    );
}

#[tokio::test]
async fn domain_extensions_are_validated() {
    let h = start().await;
    let (lb, cert) = https_lb(&h).await;
    let ca = upload_ca(&h).await;
    h.client
        .create_domain_extension(&create_req(&lb, 443, "*.example.com", &cert))
        .await
        .unwrap();
    // (request, the code it is refused with, status): a domain taken, an unknown or a CA
    // certificate, no listener on the port, a domain that is not one.
    let refused = [
        (
            create_req(&lb, 443, "*.example.com", &cert),
            "InvalidParameter.Domain",
            400,
        ),
        (
            create_req(&lb, 443, "c.example.com", "idkp-nope"),
            "InvalidParameter.ServerCertificateId",
            400,
        ),
        (
            create_req(&lb, 443, "c.example.com", &ca),
            "CertificateTypeMismatched",
            400,
        ),
        (
            create_req(&lb, 8443, "c.example.com", &cert),
            "ListenerNotFound",
            404,
        ),
        (
            create_req(&lb, 443, "not a domain", &cert),
            "InvalidParameter",
            400,
        ),
    ];
    for (req, code, status) in refused {
        assert_code(h.client.create_domain_extension(&req).await, code, status);
    }
    assert_no_extension(&h, "de-nope").await;
}

#[tokio::test]
async fn a_certificate_used_by_a_domain_extension_cannot_be_deleted() {
    let h = start().await;
    let (lb, _) = https_lb(&h).await;
    let a = upload(&h, "a", &["a.example.com"])
        .await
        .server_certificate_id;
    h.client
        .create_domain_extension(&create_req(&lb, 443, "a.example.com", &a))
        .await
        .unwrap();
    let delete = DeleteServerCertificateRequest {
        server_certificate_id: a,
        ..Default::default()
    };
    assert_code(
        h.client.delete_server_certificate(&delete).await,
        "CertificateRelatedDomainExtensionExist",
        400,
    );
}

#[tokio::test]
async fn deleting_the_listener_removes_its_domain_extensions() {
    let h = start().await;
    let (lb, cert) = https_lb(&h).await;
    let id = h
        .client
        .create_domain_extension(&create_req(&lb, 443, "a.example.com", &cert))
        .await
        .unwrap()
        .domain_extension_id;
    h.client
        .delete_listener(&DeleteListenerRequest {
            load_balancer_id: lb,
            listener_port: 443,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_no_extension(&h, &id).await;
}

#[tokio::test]
async fn the_listener_attribute_and_the_data_plane_view_show_the_extensions() {
    let h = start().await;
    let (lb, cert) = https_lb(&h).await;
    let acl = create_acl(&h, "clients").await;
    add_entries(&h, &acl, &["192.0.2.0/24"]).await.unwrap();
    h.client
        .set_https_listener_attribute(&SetHttpsListenerAttributeRequest {
            load_balancer_id: lb.clone(),
            listener_port: 443,
            acl_status: Some(OnOff::On),
            acl_id: Some(acl),
            ..Default::default()
        })
        .await
        .unwrap();
    h.client
        .create_domain_extension(&create_req(&lb, 443, "a.example.com", &cert))
        .await
        .unwrap();
    let attr = h
        .client
        .describe_https_listener_attribute(&DescribeHttpsListenerAttributeRequest {
            load_balancer_id: lb.clone(),
            listener_port: 443,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attr.domain_extensions[0].domain, "a.example.com");
    assert_eq!(attr.common.acl_status, "on");
    let view = h.engine.listener_security(&lb, "https", 443).unwrap();
    let acl = view.acl.unwrap();
    assert_eq!(
        (acl.acl_type.as_str(), acl.cidrs),
        ("white", vec!["192.0.2.0/24".to_owned()])
    );
    assert!(
        view.server_certificate
            .unwrap()
            .private_key_pem
            .contains("PRIVATE KEY")
    );
    assert_eq!(view.domain_extensions[0].0, "a.example.com");
}

#[tokio::test]
async fn security_records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let (lb, acl, cert) = {
        let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
        let (lb, cert) = https_lb(&h).await;
        let acl = create_acl(&h, "durable").await;
        add_entries(&h, &acl, &["10.0.0.0/8"]).await.unwrap();
        upload_ca(&h).await;
        h.client
            .create_domain_extension(&create_req(&lb, 443, "a.example.com", &cert))
            .await
            .unwrap();
        (lb, acl, cert)
    };
    let h = start_with(config(), Box::new(SqliteStore::open(&path).unwrap())).await;
    let state = h.engine.state();
    assert_eq!(state.security.acls[&acl].entries[0].entry, "10.0.0.0/8");
    assert!(state.security.server_certificates.contains_key(&cert));
    assert_eq!(state.security.ca_certificates.len(), 1);
    assert_eq!(list(&h, &lb).await[0].domain, "a.example.com");
    let view = h.engine.listener_security(&lb, "https", 443).unwrap();
    assert_eq!(view.server_certificate.unwrap().id, cert);
}

#[tokio::test]
async fn a_listener_holds_at_most_fifty_domain_extensions() {
    let h = start().await;
    let (lb, cert) = https_lb(&h).await;
    for i in 0..50 {
        let req = create_req(&lb, 443, &format!("d{i}.example.com"), &cert);
        h.client.create_domain_extension(&req).await.unwrap();
    }
    let over = create_req(&lb, 443, "one-more.example.com", &cert);
    assert_code(
        h.client.create_domain_extension(&over).await,
        "DomainExtensionNumberOverLimit",
        400,
    );
}

#[tokio::test]
async fn the_dual_certificate_forms_are_refused_by_name() {
    let h = start().await;
    let (lb, cert) = https_lb(&h).await;
    let (status, body) = raw(
        h.addr,
        "POST",
        "CreateDomainExtension",
        &[
            ("LoadBalancerId", lb.as_str()),
            ("ListenerPort", "443"),
            ("Domain", "a.example.com"),
            ("ServerCertificateId", cert.as_str()),
            ("CertificateId.1", cert.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("CertificateId.1"),
        "{body}"
    );
}
