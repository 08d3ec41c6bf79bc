//! TLS termination of HTTPS listeners with rustls: the listener's certificate, SNI choosing
//! a domain extension's certificate (exact name first, then a `*.` wildcard one label deep,
//! else the listener's default certificate, as CLB does for an unknown or missing SNI), and
//! CLB's `TLSCipherPolicy` mapped onto rustls protocol versions and suites.
//!
//! rustls speaks only TLS 1.2 and 1.3 with AEAD suites, so the mapping cannot match every
//! policy: `tls_cipher_policy_1_0` and `_1_1` allow TLS 1.2 only (no TLS 1.0/1.1, no CBC,
//! 3DES or static-RSA suites); `_1_2_strict` keeps the ECDHE AES-GCM suites; TLS 1.3's
//! CCM suites of `_with_1_3` do not exist in rustls. With a CA certificate (`CACertificateId`)
//! clients must present a certificate that chains to it (mutual TLS); revocation is not
//! checked. This module builds configurations; the handshake runs in `http`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};

/// A certificate chain and its key, PEM as uploaded.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificatePem {
    /// Certificate id, for logs and errors.
    pub id: String,
    /// The chain, leaf first.
    pub chain_pem: String,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
}

impl std::fmt::Debug for CertificatePem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificatePem")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// TLS settings of an HTTPS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// Served when no domain extension matches the client's SNI.
    pub default_certificate: CertificatePem,
    /// (domain, certificate) per domain extension: exact (`www.example.com`) or one leading
    /// wildcard label (`*.example.com`), lower case.
    pub domain_certificates: Vec<(String, CertificatePem)>,
    /// CLB's `TLSCipherPolicy`; `None` is the service default `tls_cipher_policy_1_0`.
    pub cipher_policy: Option<String>,
    /// Offer `h2` by ALPN (CLB's `EnableHttp2`).
    pub http2: bool,
    /// Mutual TLS (CLB's `CACertificateId`): clients must present a certificate that chains
    /// to one of these PEM CA certificates; `None` asks for no client certificate.
    pub client_ca_pem: Option<String>,
}

/// Why a TLS configuration cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The policy name is not one of CLB's.
    #[error(
        "unknown TLSCipherPolicy {0:?}; use tls_cipher_policy_1_0, tls_cipher_policy_1_1, tls_cipher_policy_1_2, tls_cipher_policy_1_2_strict or tls_cipher_policy_1_2_strict_with_1_3"
    )]
    UnknownPolicy(String),
    /// A certificate or key PEM does not parse or does not fit rustls.
    #[error("certificate {id}: {problem}; upload a PEM chain and its matching private key")]
    Certificate {
        /// Certificate id.
        id: String,
        /// What is wrong.
        problem: String,
    },
    /// rustls refused the combination.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The protocol versions and suites of one cipher policy.
#[derive(Debug)]
pub struct Policy {
    /// Allowed TLS versions.
    pub versions: Vec<&'static SupportedProtocolVersion>,
    /// Allowed cipher suites.
    pub suites: Vec<SupportedCipherSuite>,
}

/// Maps a CLB cipher policy onto what rustls supports (see the module note for the gaps).
///
/// # Errors
/// [`TlsError::UnknownPolicy`] for a name CLB does not define.
pub fn policy(name: Option<&str>) -> Result<Policy, TlsError> {
    use rustls::CipherSuite as C;
    let name = name.unwrap_or("tls_cipher_policy_1_0");
    let all = ring::default_provider().cipher_suites;
    let tls12 = |s: &SupportedCipherSuite| matches!(s, SupportedCipherSuite::Tls12(_));
    let strict = |s: &SupportedCipherSuite| {
        matches!(
            s.suite(),
            C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                | C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                | C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        )
    };
    let (versions, suites): (Vec<_>, Vec<_>) = match name {
        "tls_cipher_policy_1_0" | "tls_cipher_policy_1_1" | "tls_cipher_policy_1_2" => (
            vec![&rustls::version::TLS12],
            all.into_iter().filter(tls12).collect(),
        ),
        "tls_cipher_policy_1_2_strict" => (
            vec![&rustls::version::TLS12],
            all.into_iter().filter(strict).collect(),
        ),
        "tls_cipher_policy_1_2_strict_with_1_3" => (
            vec![&rustls::version::TLS12, &rustls::version::TLS13],
            all.into_iter().filter(|s| !tls12(s) || strict(s)).collect(),
        ),
        other => return Err(TlsError::UnknownPolicy(other.to_owned())),
    };
    Ok(Policy { versions, suites })
}

/// ALPN protocols offered: `h2` first when HTTP/2 is on.
fn alpn(http2: bool) -> Vec<Vec<u8>> {
    if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    }
}

/// Builds the rustls server configuration of an HTTPS listener.
///
/// # Errors
/// [`TlsError`] naming the bad policy or certificate.
pub fn server_config(cfg: &TlsConfig) -> Result<Arc<ServerConfig>, TlsError> {
    let policy = policy(cfg.cipher_policy.as_deref())?;
    let provider = Arc::new(CryptoProvider {
        cipher_suites: policy.suites,
        ..ring::default_provider()
    });
    let resolver = SniResolver::new(cfg, &provider)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&policy.versions)?;
    let builder = match &cfg.client_ca_pem {
        None => builder.with_no_client_auth(),
        Some(pem) => builder.with_client_cert_verifier(client_verifier(pem, &provider)?),
    };
    let mut config = builder.with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = alpn(cfg.http2);
    Ok(Arc::new(config))
}

/// Verifies client certificates against the listener's CA certificates.
fn client_verifier(
    pem: &str,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let bad = |problem: String| TlsError::Certificate {
        id: "CACertificateId".into(),
        problem,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| bad(format!("the CA PEM does not parse ({e})")))?;
        roots
            .add(cert)
            .map_err(|e| bad(format!("the CA certificate is not usable ({e})")))?;
    }
    if roots.is_empty() {
        return Err(bad("the CA PEM holds no certificate".into()));
    }
    rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(provider),
    )
    .build()
    .map_err(|e| bad(format!("no client verifier ({e})")))
}

fn certified_key(
    pem: &CertificatePem,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let bad = |problem: String| TlsError::Certificate {
        id: pem.id.clone(),
        problem,
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pem.chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| bad(format!("the certificate PEM does not parse ({e})")))?;
    if chain.is_empty() {
        return Err(bad("the certificate PEM holds no certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(pem.key_pem.as_bytes())
        .map_err(|e| bad(format!("the private key PEM does not parse ({e})")))?;
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| bad(format!("the private key is not usable ({e})")))?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// Picks the certificate by SNI: exact domain, then wildcard, then the default.
#[derive(Debug)]
struct SniResolver {
    default: Arc<CertifiedKey>,
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// Keyed by the part after `*.`.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
}

impl SniResolver {
    fn new(cfg: &TlsConfig, provider: &CryptoProvider) -> Result<Self, TlsError> {
        let mut me = Self {
            default: certified_key(&cfg.default_certificate, provider)?,
            exact: HashMap::new(),
            wildcard: HashMap::new(),
        };
        for (domain, pem) in &cfg.domain_certificates {
            let key = certified_key(pem, provider)?;
            let domain = domain.to_ascii_lowercase();
            match domain.strip_prefix("*.") {
                Some(rest) => me.wildcard.insert(rest.to_owned(), key),
                None => me.exact.insert(domain, key),
            };
        }
        Ok(me)
    }

    fn pick(&self, sni: Option<&str>) -> Arc<CertifiedKey> {
        let Some(name) = sni.map(str::to_ascii_lowercase) else {
            return Arc::clone(&self.default);
        };
        let wild = || {
            let (_, parent) = name.split_once('.')?;
            self.wildcard.get(parent)
        };
        Arc::clone(self.exact.get(&name).or_else(wild).unwrap_or(&self.default))
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.pick(hello.server_name()))
    }
}

/// The live TLS configuration of one HTTPS listener; replaced when its settings change, read
/// at every handshake.
#[derive(Debug)]
pub struct TlsSlot {
    current: RwLock<Arc<ServerConfig>>,
}

impl TlsSlot {
    /// A slot holding `config`.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self {
            current: RwLock::new(config),
        }
    }

    /// The configuration new handshakes use.
    pub fn get(&self) -> Arc<ServerConfig> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Replaces the configuration; handshakes already done keep theirs.
    pub fn set(&self, config: Arc<ServerConfig>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
    }
}

#[cfg(test)]
mod tests;
