//! TLS test helpers: self-signed certificates and a client that accepts any certificate and
//! reports which one it got, the negotiated version and ALPN.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, ProtocolVersion, SignatureScheme};
use slb_dataplane::tls::CertificatePem;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A self-signed certificate for `names`, and its leaf DER (to recognise it).
pub fn cert(id: &str, names: &[&str]) -> (CertificatePem, Vec<u8>) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let c = rcgen::generate_simple_self_signed(names).unwrap();
    let der = c.cert.der().to_vec();
    let pem = CertificatePem {
        id: id.into(),
        chain_pem: c.cert.pem(),
        key_pem: c.signing_key.serialize_pem(),
    };
    (pem, der)
}

#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What a handshake produced.
pub struct Handshake {
    pub stream: TlsStream<TcpStream>,
    pub leaf: Vec<u8>,
    pub version: ProtocolVersion,
    pub alpn: Option<Vec<u8>>,
}

/// A CA (its PEM) and a client certificate it signed (chain PEM, key PEM).
pub fn client_ca_and_cert() -> (String, (String, String)) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (ca_pem, (cert.pem(), key.serialize_pem()))
}

/// A client configuration (before client authentication is chosen) offering TLS 1.2 and 1.3
/// that accepts any server certificate (the peers in tests and benches are self-signed).
pub fn accept_any_builder()
-> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert> {
    let provider = Arc::new(ring::default_provider());
    rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
}

/// Connects with SNI `sni`, offering TLS 1.2 and 1.3 and the given ALPN protocols.
pub async fn connect(to: SocketAddr, sni: &str, alpn: &[&[u8]]) -> std::io::Result<Handshake> {
    connect_as(to, sni, alpn, None).await
}

/// [`connect`] presenting a client certificate (chain PEM, key PEM) when given.
pub async fn connect_as(
    to: SocketAddr,
    sni: &str,
    alpn: &[&[u8]],
    client: Option<&(String, String)>,
) -> std::io::Result<Handshake> {
    use rustls::pki_types::pem::PemObject;
    let builder = accept_any_builder();
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => {
            let chain = CertificateDer::pem_slice_iter(chain.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    handshake(config, to, sni).await
}

/// Connects with SNI `sni` offering TLS 1.2 with only the cipher `suites` (to see what a
/// cipher policy refuses).
pub async fn connect_offering(
    to: SocketAddr,
    sni: &str,
    suites: &[rustls::CipherSuite],
) -> std::io::Result<Handshake> {
    let mut provider = ring::default_provider();
    provider
        .cipher_suites
        .retain(|s| suites.contains(&s.suite()));
    let provider = Arc::new(provider);
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    handshake(config, to, sni).await
}

async fn handshake(
    config: rustls::ClientConfig,
    to: SocketAddr,
    sni: &str,
) -> std::io::Result<Handshake> {
    let tcp = TcpStream::connect(to).await?;
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let (_, conn) = stream.get_ref();
    let leaf = conn.peer_certificates().unwrap()[0].to_vec();
    let version = conn.protocol_version().unwrap();
    let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
    Ok(Handshake {
        stream,
        leaf,
        version,
        alpn,
    })
}
