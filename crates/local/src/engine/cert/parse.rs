//! Reading uploaded certificates for real: the PEM chain is parsed as X.509 (`x509-parser`),
//! the CommonName, DNS SubjectAlternativeNames, expiry, key algorithm and size and the SHA-1
//! fingerprint are read from the leaf, and a server certificate's private key (PKCS#8 RSA or
//! ECDSA P-256/P-384, or PKCS#1 RSA) must hold the leaf's public key (`ring`). Pure: bytes
//! in, facts or the service's error out.
//!
//! Not here: SM (national-standard) certificates, and SEC1 `EC PRIVATE KEY` files, which
//! are refused with the command that converts them to PKCS#8.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use sha1::{Digest, Sha1};
use slb_openapi::error::ApiError;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::model::CertificateFacts;

/// A parsed leaf certificate: its facts and its raw public key bits.
#[derive(Debug)]
pub(super) struct Leaf {
    pub facts: CertificateFacts,
    public_key: Vec<u8>,
}

fn format_invalid(problem: &str) -> ApiError {
    ApiError::service(
        "CertificateFormatInvalid",
        400,
        format!(
            "The certificate format is invalid: {problem}. Upload a PEM block \
             -----BEGIN CERTIFICATE----- (leaf first, then intermediates)."
        ),
    )
}

fn key_invalid(problem: &str) -> ApiError {
    ApiError::service(
        "InvalidParameter",
        400,
        format!("The specified ServerCertificate and PrivateKey fail to validate: {problem}."),
    )
}

fn fingerprint(der: &[u8]) -> String {
    let digest = Sha1::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn facts(cert: &X509Certificate<'_>, der: &[u8]) -> Result<CertificateFacts, ApiError> {
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_owned();
    let sans = cert
        .subject_alternative_name()
        .map_err(|e| format_invalid(&format!("its SubjectAlternativeName does not parse ({e})")))?
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some((*d).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let (algorithm, bits) = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA", rsa.key_size()),
        Ok(PublicKey::EC(ec)) => ("ECC", ec.key_size()),
        _ => return Err(format_invalid("its key is neither RSA nor ECDSA")),
    };
    Ok(CertificateFacts {
        common_name,
        subject_alternative_names: sans,
        expire_time_ms: cert.validity().not_after.timestamp().saturating_mul(1000),
        fingerprint: fingerprint(der),
        encryption_algorithm: algorithm.to_owned(),
        encryption_key_length: u32::try_from(bits).unwrap_or(u32::MAX),
    })
}

/// Parses the first certificate of a PEM chain (every block must be a certificate).
///
/// # Errors
/// `CertificateFormatInvalid` naming what is wrong.
pub(super) fn leaf(pem_text: &str) -> Result<Leaf, ApiError> {
    let mut blocks = Vec::new();
    for block in Pem::iter_from_buffer(pem_text.as_bytes()) {
        let block =
            block.map_err(|e| format_invalid(&format!("a PEM block does not decode ({e})")))?;
        if block.label != "CERTIFICATE" {
            return Err(format_invalid(&format!(
                "found a {:?} block where only CERTIFICATE blocks belong",
                block.label
            )));
        }
        blocks.push(block);
    }
    let first = blocks
        .first()
        .ok_or_else(|| format_invalid("no PEM block found"))?;
    for block in &blocks {
        X509Certificate::from_der(&block.contents)
            .map_err(|e| format_invalid(&format!("a certificate is not X.509 DER ({e})")))?;
    }
    let (_, cert) = X509Certificate::from_der(&first.contents)
        .map_err(|e| format_invalid(&format!("the certificate is not X.509 DER ({e})")))?;
    Ok(Leaf {
        facts: facts(&cert, &first.contents)?,
        public_key: cert.public_key().subject_public_key.data.to_vec(),
    })
}

/// Why ring refused an RSA key: a size outside 2048–8192 bits is the service's
/// `OperationDenied.IllegalKeyLength`, anything else a key that does not validate.
fn rsa_rejected(e: &ring::error::KeyRejected) -> ApiError {
    let why = e.to_string();
    if why == "TooSmall" || why == "TooLarge" {
        ApiError::service(
            "OperationDenied.IllegalKeyLength",
            400,
            format!(
                "The operation is not allowed because the key length of certificate is illegal \
                 ({why}); use an RSA key of 2048–8192 bits or an ECDSA P-256/P-384 key."
            ),
        )
    } else {
        key_invalid(&format!("the RSA private key is not valid ({why})"))
    }
}

/// The public key bits a private key PEM holds.
fn key_public_bits(key_pem: &str) -> Result<Vec<u8>, ApiError> {
    let block = Pem::iter_from_buffer(key_pem.as_bytes())
        .next()
        .ok_or_else(|| key_invalid("PrivateKey holds no PEM block"))?
        .map_err(|e| key_invalid(&format!("PrivateKey does not decode as PEM ({e})")))?;
    let der = block.contents.as_slice();
    match block.label.as_str() {
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(der)
            .map(|k| k.public_key().as_ref().to_vec())
            .map_err(|e| rsa_rejected(&e)),
        "PRIVATE KEY" => pkcs8_public_bits(der),
        "EC PRIVATE KEY" => Err(key_invalid(
            "SEC1 EC keys are not read here; convert with `openssl pkcs8 -topk8 -nocrypt`",
        )),
        other => Err(key_invalid(&format!(
            "PrivateKey is a {other:?} block; upload a PRIVATE KEY or RSA PRIVATE KEY block"
        ))),
    }
}

/// A PKCS#8 key: RSA, else ECDSA P-256 or P-384.
fn pkcs8_public_bits(der: &[u8]) -> Result<Vec<u8>, ApiError> {
    let rsa = match RsaKeyPair::from_pkcs8(der) {
        Ok(k) => return Ok(k.public_key().as_ref().to_vec()),
        Err(e) => e,
    };
    let rng = SystemRandom::new();
    let ec = [
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
    ]
    .into_iter()
    .find_map(|alg| EcdsaKeyPair::from_pkcs8(alg, der, &rng).ok());
    match ec {
        Some(k) => Ok(k.public_key().as_ref().to_vec()),
        None if rsa.to_string() == "WrongAlgorithm" => Err(key_invalid(
            "PrivateKey is PKCS#8 but neither RSA nor ECDSA P-256/P-384",
        )),
        None => Err(rsa_rejected(&rsa)),
    }
}

/// Checks that `key_pem` is the private key of `leaf`.
///
/// # Errors
/// `InvalidParameter` (the service's "fail to validate") when the key does not parse or
/// does not match; `OperationDenied.IllegalKeyLength` for an RSA key ring refuses.
pub(super) fn check_key(leaf: &Leaf, key_pem: &str) -> Result<(), ApiError> {
    if key_public_bits(key_pem)? == leaf.public_key {
        Ok(())
    } else {
        Err(key_invalid(
            "the private key does not belong to the (first) certificate of the chain",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let c = rcgen::generate_simple_self_signed(names).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    #[test]
    fn facts_are_read_from_the_certificate() {
        let (cert, _) = self_signed(&["www.example.com", "*.example.com"]);
        let leaf = leaf(&cert).unwrap();
        assert_eq!(
            leaf.facts.subject_alternative_names,
            ["www.example.com", "*.example.com"]
        );
        assert_eq!(leaf.facts.encryption_algorithm, "ECC");
        assert_eq!(leaf.facts.fingerprint.len(), 20 * 3 - 1);
        assert!(leaf.facts.expire_time_ms > 0);
    }

    #[test]
    fn the_key_must_match_the_certificate() {
        let (cert, key) = self_signed(&["a.example.com"]);
        let (_, other_key) = self_signed(&["b.example.com"]);
        let leaf = leaf(&cert).unwrap();
        check_key(&leaf, &key).unwrap();
        let err = check_key(&leaf, &other_key).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
        assert!(err.message.contains("does not belong"), "{}", err.message);
    }

    #[test]
    fn text_that_is_not_a_certificate_is_refused() {
        for bad in [
            "",
            "hello",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            assert_eq!(
                leaf(bad).unwrap_err().code,
                "CertificateFormatInvalid",
                "{bad:?}"
            );
        }
        let (_, key) = self_signed(&["a.example.com"]);
        assert_eq!(leaf(&key).unwrap_err().code, "CertificateFormatInvalid");
    }
}
