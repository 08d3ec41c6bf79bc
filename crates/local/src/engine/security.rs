//! What the L7 data plane needs to enforce a listener's security settings, read from the
//! engine's state: the ACL type and CIDRs, the server certificate and key PEM, the CA PEM,
//! and the SNI certificates of its domain extensions. Read-only views; the data plane never
//! writes through them.
//!
//! Use [`State::listener_security`] (for example inside `dataplane::snapshot`, which is
//! given the whole `State`), or [`Engine::listener_security`](super::Engine) from outside.

use super::State;
use crate::engine::acl::listener_acl_ids;
use crate::model::Listener;

/// A certificate chain and its private key, both PEM as uploaded (leaf first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePem {
    /// The `ServerCertificateId`.
    pub id: String,
    /// The PEM chain.
    pub certificate_pem: String,
    /// The private key PEM (PKCS#8 or PKCS#1).
    pub private_key_pem: String,
}

/// The ACL a listener enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclView {
    /// `white`: only sources in `cidrs` may connect; `black`: sources in `cidrs` are refused.
    /// With no CIDRs at all, every source is let through for both types (spec part 2 §4.2).
    pub acl_type: String,
    /// The CIDRs of every bound ACL (`10.0.0.0/8`, `192.0.2.7/32`, `2001:db8::/32`), as
    /// written: mask the address with the prefix length before comparing.
    pub cidrs: Vec<String>,
}

/// Everything security-related about one listener.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerSecurity {
    /// The ACL when `AclStatus` is on, else `None` (every source allowed).
    pub acl: Option<AclView>,
    /// HTTPS: the default server certificate (served when no domain extension matches SNI).
    pub server_certificate: Option<CertificatePem>,
    /// HTTPS: the CA certificate PEM that client certificates must chain to (mutual TLS);
    /// `None` means one-way TLS.
    pub ca_certificate_pem: Option<String>,
    /// HTTPS: `TLSCipherPolicy` (`tls_cipher_policy_1_0` … `_1_2_strict_with_1_3`), `None`
    /// when unset (the service's default is `tls_cipher_policy_1_0`).
    pub tls_cipher_policy: Option<String>,
    /// HTTPS: (domain, certificate) per domain extension, in creation order. A domain is
    /// lower case, either exact (`www.example.com`) or one leading wildcard label
    /// (`*.example.com`).
    pub domain_extensions: Vec<(String, CertificatePem)>,
}

impl State {
    /// The security settings of the listener `protocol`/`port` of load balancer `lb_id`, or
    /// `None` when there is no such listener.
    pub fn listener_security(
        &self,
        lb_id: &str,
        protocol: &str,
        port: u16,
    ) -> Option<ListenerSecurity> {
        let lb = self.load_balancers.get(lb_id)?;
        let l = lb
            .listeners
            .iter()
            .find(|l| l.protocol == protocol && l.port == port)?;
        Some(self.security_of(l))
    }

    /// The security settings of a listener of this state.
    pub fn security_of(&self, l: &Listener) -> ListenerSecurity {
        let sec = &self.security;
        let cert = |id: &str| {
            sec.server_certificates.get(id).map(|c| CertificatePem {
                id: c.id.clone(),
                certificate_pem: c.certificate_pem.clone(),
                private_key_pem: c.private_key_pem.clone(),
            })
        };
        let https = l.protocol == "https";
        ListenerSecurity {
            acl: self.acl_of(l),
            server_certificate: l
                .setting("ServerCertificateId")
                .filter(|_| https)
                .and_then(cert),
            ca_certificate_pem: l
                .setting("CACertificateId")
                .filter(|_| https)
                .and_then(|id| sec.ca_certificates.get(id))
                .map(|c| c.certificate_pem.clone()),
            tls_cipher_policy: l
                .setting("TLSCipherPolicy")
                .filter(|_| https)
                .map(str::to_owned),
            domain_extensions: l
                .domain_extensions
                .iter()
                .filter_map(|d| cert(&d.server_certificate_id).map(|c| (d.domain.clone(), c)))
                .collect(),
        }
    }

    fn acl_of(&self, l: &Listener) -> Option<AclView> {
        let ids = listener_acl_ids(l);
        if ids.is_empty() {
            return None;
        }
        let cidrs = ids
            .iter()
            .filter_map(|id| self.security.acls.get(*id))
            .flat_map(|a| a.entries.iter().map(|e| e.entry.clone()))
            .collect();
        Some(AclView {
            acl_type: l.setting("AclType").unwrap_or("white").to_owned(),
            cidrs,
        })
    }
}

impl super::Engine {
    /// [`State::listener_security`] on the current state (a short lock, no clone of the
    /// whole state).
    pub fn listener_security(
        &self,
        lb_id: &str,
        protocol: &str,
        port: u16,
    ) -> Option<ListenerSecurity> {
        self.lock().state.listener_security(lb_id, protocol, port)
    }
}
