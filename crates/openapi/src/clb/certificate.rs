//! Server and CA certificate actions (spec part 2 §5): upload (PEM in the query or body),
//! describe (the PEM and key are never returned), rename, delete. Certificate ids are
//! opaque strings; nothing here checks their format.

use serde::{Deserialize, Serialize};

use crate::action::{EmptyResponse, rpc_request};
use crate::lenient::{self, wrap};
use crate::types::{Tag, TagKv};

rpc_request! {
    /// `UploadServerCertificate`: a PEM chain, its private key and a name. Not idempotent.
    pub struct UploadServerCertificateRequest => Slb "UploadServerCertificate" -> ServerCertificateItem {
        /// `ServerCertificate` (PEM chain, leaf first).
        server_certificate: req String = "ServerCertificate",
        /// `PrivateKey` (PEM).
        private_key: req String = "PrivateKey",
        /// `ServerCertificateName` (1–80 chars).
        server_certificate_name: req String = "ServerCertificateName",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

/// A server certificate: the Upload response and one item of DescribeServerCertificates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerCertificateItem {
    /// `RequestId` (Upload only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    /// `ServerCertificateId`.
    pub server_certificate_id: String,
    /// `ServerCertificateName`.
    pub server_certificate_name: String,
    /// `SubjectAlternativeNames.SubjectAlternativeName[]`.
    #[serde(with = "wrap::subject_alternative_name")]
    pub subject_alternative_names: Vec<String>,
    /// The fields every certificate has.
    #[serde(flatten)]
    pub details: CertificateDetails,
}

/// What server and CA certificates both report, inlined into each item on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CertificateDetails {
    /// `Fingerprint` (colon-separated hex SHA-1).
    pub fingerprint: String,
    /// `CommonName`.
    pub common_name: String,
    /// `ExpireTime` (ISO 8601).
    pub expire_time: String,
    /// `ExpireTimeStamp` (ms).
    #[serde(deserialize_with = "lenient::number")]
    pub expire_time_stamp: i64,
    /// `CreateTime` (ISO 8601).
    pub create_time: String,
    /// `CreateTimeStamp` (ms).
    #[serde(deserialize_with = "lenient::number")]
    pub create_time_stamp: i64,
    /// `EncryptionAlgorithm`: `RSA` or `ECC`.
    pub encryption_algorithm: String,
    /// `EncryptionKeyLength`.
    #[serde(deserialize_with = "lenient::number")]
    pub encryption_key_length: u32,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `Tags.Tag[]` (Describe only).
    #[serde(with = "wrap::tag")]
    pub tags: Vec<TagKv>,
}

rpc_request! {
    /// `DescribeServerCertificates`: every certificate, or the one named (an unknown id gives
    /// an empty list). No paging. Read-only.
    pub struct DescribeServerCertificatesRequest => Slb "DescribeServerCertificates" -> DescribeServerCertificatesResponse {
        /// `ServerCertificateId` (filter).
        server_certificate_id: opt String = "ServerCertificateId",
        /// `ResourceGroupId` (filter).
        resource_group_id: opt String = "ResourceGroupId",
        /// `Tag.N` (filter).
        tags: tags Tag = "Tag",
    }
}

/// Response of `DescribeServerCertificates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeServerCertificatesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `ServerCertificates.ServerCertificate[]`.
    #[serde(with = "wrap::server_certificate")]
    pub server_certificates: Vec<ServerCertificateItem>,
}

rpc_request! {
    /// `DeleteServerCertificate`: refused while a listener or domain extension uses it; an
    /// unknown id answers `ServerCertificateId.NotFound`.
    pub struct DeleteServerCertificateRequest => Slb "DeleteServerCertificate" -> EmptyResponse {
        /// `ServerCertificateId`.
        server_certificate_id: req String = "ServerCertificateId",
    }
}

rpc_request! {
    /// `SetServerCertificateName`.
    pub struct SetServerCertificateNameRequest => Slb "SetServerCertificateName" -> EmptyResponse {
        /// `ServerCertificateId`.
        server_certificate_id: req String = "ServerCertificateId",
        /// `ServerCertificateName`.
        server_certificate_name: req String = "ServerCertificateName",
    }
}

rpc_request! {
    /// `UploadCACertificate`: a CA certificate for mutual TLS. Not idempotent.
    pub struct UploadCaCertificateRequest => Slb "UploadCACertificate" -> CaCertificateItem {
        /// `CACertificate` (PEM).
        ca_certificate: req String = "CACertificate",
        /// `CACertificateName`.
        ca_certificate_name: opt String = "CACertificateName",
        /// `ResourceGroupId`.
        resource_group_id: opt String = "ResourceGroupId",
        /// `Tag.N`.
        tags: tags Tag = "Tag",
    }
}

/// A CA certificate: the Upload response and one item of DescribeCACertificates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CaCertificateItem {
    /// `RequestId` (Upload only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    /// `CACertificateId`.
    #[serde(rename = "CACertificateId")]
    pub ca_certificate_id: String,
    /// `CACertificateName`.
    #[serde(rename = "CACertificateName")]
    pub ca_certificate_name: String,
    /// The fields every certificate has.
    #[serde(flatten)]
    pub details: CertificateDetails,
}

rpc_request! {
    /// `DescribeCACertificates`. Read-only.
    pub struct DescribeCaCertificatesRequest => Slb "DescribeCACertificates" -> DescribeCaCertificatesResponse {
        /// `CACertificateId` (filter).
        ca_certificate_id: opt String = "CACertificateId",
        /// `ResourceGroupId` (filter).
        resource_group_id: opt String = "ResourceGroupId",
        /// `Tag.N` (filter).
        tags: tags Tag = "Tag",
    }
}

/// Response of `DescribeCACertificates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeCaCertificatesResponse {
    /// `RequestId`.
    pub request_id: String,
    /// `CACertificates.CACertificate[]`.
    #[serde(rename = "CACertificates", with = "wrap::ca_certificate")]
    pub ca_certificates: Vec<CaCertificateItem>,
}

rpc_request! {
    /// `DeleteCACertificate`: refused while a listener uses it; an unknown id answers
    /// `CACertificateId.NotFound`.
    pub struct DeleteCaCertificateRequest => Slb "DeleteCACertificate" -> EmptyResponse {
        /// `CACertificateId`.
        ca_certificate_id: req String = "CACertificateId",
    }
}

rpc_request! {
    /// `SetCACertificateName`.
    pub struct SetCaCertificateNameRequest => Slb "SetCACertificateName" -> EmptyResponse {
        /// `CACertificateId`.
        ca_certificate_id: req String = "CACertificateId",
        /// `CACertificateName`.
        ca_certificate_name: req String = "CACertificateName",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The fields both kinds share, as the service sends them (numbers may be strings).
    const DETAILS: &str = r#""Fingerprint": "ab:cd", "CommonName": "www.example.com",
        "ExpireTime": "2030-01-01T00:00Z", "ExpireTimeStamp": "1893456000000",
        "CreateTime": "2026-01-01T00:00Z", "CreateTimeStamp": 1767225600000,
        "EncryptionAlgorithm": "RSA", "EncryptionKeyLength": "2048",
        "ResourceGroupId": "rg-1", "Tags": {"Tag": [{"TagKey": "k", "TagValue": "v"}]}"#;

    fn details() -> CertificateDetails {
        CertificateDetails {
            fingerprint: "ab:cd".into(),
            common_name: "www.example.com".into(),
            expire_time: "2030-01-01T00:00Z".into(),
            expire_time_stamp: 1_893_456_000_000,
            create_time: "2026-01-01T00:00Z".into(),
            create_time_stamp: 1_767_225_600_000,
            encryption_algorithm: "RSA".into(),
            encryption_key_length: 2048,
            resource_group_id: "rg-1".into(),
            tags: vec![TagKv {
                tag_key: "k".into(),
                tag_value: "v".into(),
            }],
        }
    }

    #[test]
    fn a_server_certificate_item_reads_the_shared_fields_inline() {
        let body = format!(
            r#"{{"ServerCertificates": {{"ServerCertificate": [{{"ServerCertificateId": "c-1",
            "ServerCertificateName": "web", "SubjectAlternativeNames":
            {{"SubjectAlternativeName": ["a.example.com"]}}, {DETAILS}}}]}}}}"#
        );
        let got: DescribeServerCertificatesResponse = serde_json::from_str(&body).unwrap();
        let item = &got.server_certificates[0];
        assert_eq!(item.server_certificate_id, "c-1");
        assert_eq!(item.subject_alternative_names, ["a.example.com"]);
        assert_eq!(item.details, details());
    }

    #[test]
    fn a_ca_certificate_item_reads_the_shared_fields_inline() {
        let body = format!(
            r#"{{"CACertificates": {{"CACertificate": [{{"CACertificateId": "ca-1",
            "CACertificateName": "root", {DETAILS}}}]}}}}"#
        );
        let got: DescribeCaCertificatesResponse = serde_json::from_str(&body).unwrap();
        let item = &got.ca_certificates[0];
        assert_eq!(item.ca_certificate_id, "ca-1");
        assert_eq!(item.ca_certificate_name, "root");
        assert_eq!(item.details, details());
    }
}
