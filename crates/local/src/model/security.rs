//! The security records of the local CLB: access control lists with their entries, server
//! certificates (with their private key, which the data plane needs and no response ever
//! shows), CA certificates, and the domain extensions (SNI certificates) of an HTTPS
//! listener. ACLs and certificates are region-wide and stored one document each; a domain
//! extension belongs to its listener and is stored inside its load balancer's document, so
//! deleting the listener or the load balancer removes it too.
//!
//! No rules live here (see `engine::acl`, `engine::cert`, `engine::domain_ext`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The region-wide security records: ACLs and certificates, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityRecords {
    /// Access control lists by id.
    pub acls: BTreeMap<String, Acl>,
    /// Server certificates by id.
    pub server_certificates: BTreeMap<String, ServerCertificate>,
    /// CA certificates by id.
    pub ca_certificates: BTreeMap<String, CaCertificate>,
}

/// One access control list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// `acl-…`.
    pub id: String,
    /// `AclName` (unique in the region).
    pub name: String,
    /// `ipv4` or `ipv6`.
    pub address_ip_version: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub create_time_ms: i64,
    /// Entries in insertion order; each `entry` is a normalized CIDR.
    pub entries: Vec<AclEntry>,
    /// Tags of the ACL.
    pub tags: BTreeMap<String, String>,
}

/// One ACL entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    /// The CIDR, normalized (`10.0.0.1/32`, network address as written).
    pub entry: String,
    /// `AclEntryComment`.
    pub comment: String,
}

/// What an uploaded certificate says about itself, read from its X.509 DER.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateFacts {
    /// The subject's CommonName (empty when the subject has none).
    pub common_name: String,
    /// DNS names of the SubjectAlternativeName extension.
    pub subject_alternative_names: Vec<String>,
    /// `notAfter`, milliseconds since the Unix epoch.
    pub expire_time_ms: i64,
    /// Colon-separated upper-case hex SHA-1 of the DER (`01:DF:AB:…`).
    pub fingerprint: String,
    /// `RSA` or `ECC`.
    pub encryption_algorithm: String,
    /// Key length in bits (RSA modulus size, or the curve size).
    pub encryption_key_length: u32,
}

/// One server certificate with its private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificate {
    /// `ServerCertificateId`.
    pub id: String,
    /// `ServerCertificateName`.
    pub name: String,
    /// The PEM chain as uploaded (leaf first).
    pub certificate_pem: String,
    /// The private key PEM as uploaded.
    pub private_key_pem: String,
    /// What the leaf certificate says.
    pub facts: CertificateFacts,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// Upload time, milliseconds since the Unix epoch.
    pub create_time_ms: i64,
    /// Tags of the certificate.
    pub tags: BTreeMap<String, String>,
}

/// One CA certificate (client verification on HTTPS listeners).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaCertificate {
    /// `CACertificateId`.
    pub id: String,
    /// `CACertificateName`.
    pub name: String,
    /// The PEM as uploaded.
    pub certificate_pem: String,
    /// What the certificate says.
    pub facts: CertificateFacts,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// Upload time, milliseconds since the Unix epoch.
    pub create_time_ms: i64,
    /// Tags of the certificate.
    pub tags: BTreeMap<String, String>,
}

/// One domain extension of an HTTPS listener: the certificate served for `domain` (SNI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainExtension {
    /// `de-…`.
    pub id: String,
    /// `Domain` (`www.example.com` or `*.example.com`), lower case.
    pub domain: String,
    /// `ServerCertificateId`.
    pub server_certificate_id: String,
}
