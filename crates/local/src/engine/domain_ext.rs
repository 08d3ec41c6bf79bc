//! Domain extension actions (spec part 2 §7), answering their typed requests: the extra certificates an HTTPS listener
//! serves by SNI. Create (on an HTTPS listener, a domain once per listener, an existing
//! server certificate), describe (per listener, or one by id), change the certificate, and
//! delete. Extensions live inside their listener, so deleting the listener or its load
//! balancer removes them; a certificate in use by one cannot be deleted (see `cert`).
//!
//! Not here: the dual-certificate forms `ServerCertificate.N.*` / `CertificateId.N`, which
//! are refused by name, and forwarding rules (so `DomainExtensionRelatedRuleExist` never
//! occurs).

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    CreateDomainExtensionRequest, DeleteDomainExtensionRequest,
    DescribeDomainExtensionAttributeRequest, DescribeDomainExtensionsRequest,
    SetDomainExtensionAttributeRequest,
};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::params::Params;

use super::refusal::refused;
use super::render::wrap;
use super::{Ctx, Outcome, State, lb_by_id, lb_by_id_for_write};
use crate::model::{DomainExtension, Listener, LoadBalancer};

/// Domain extensions per listener in the local CLB (the service's number is not in the
/// spec; this bounds a listener's state).
pub(crate) const PER_LISTENER: usize = 50;

/// Refuses the dual-certificate forms `ServerCertificate.N.*` / `CertificateId.N` by name
/// (the parse step runs it; see `dispatch::refuse_by_name`).
///
/// # Errors
/// `InvalidParameter` naming the first such parameter.
pub(crate) fn refuse_dual_cert_forms(params: &Params) -> Result<(), ApiError> {
    let hit = params
        .keys()
        .find(|k| k.starts_with("ServerCertificate.") || k.starts_with("CertificateId."));
    match hit {
        Some(k) => Err(ApiError::invalid_parameter(
            k,
            "the dual-certificate forms are not modelled by the local CLB; pass ServerCertificateId",
        )),
        None => Ok(()),
    }
}

fn extension_not_exist(id: &str) -> ApiError {
    ApiError::service(
        "InvalidParameter.DomainExtensionId",
        400,
        format!("The specified DomainExtensionId {id:?} does not exist."),
    )
}

/// The certificate a domain extension names: a server certificate that exists.
fn check_certificate(state: &State, id: &str) -> Result<String, ApiError> {
    let sec = &state.security;
    if sec.server_certificates.contains_key(id) {
        return Ok(id.to_owned());
    }
    if sec.ca_certificates.contains_key(id) {
        return Err(ApiError::service(
            "CertificateTypeMismatched",
            400,
            format!("The certificate type does not match: {id:?} is a CA certificate."),
        ));
    }
    Err(ApiError::service(
        "InvalidParameter.ServerCertificateId",
        400,
        format!("The specified ServerCertificateId {id:?} does not exist."),
    ))
}

/// `Domain`: a host name or `*.` + host name, kept in lower case.
fn check_domain(raw: &str) -> Result<String, ApiError> {
    let domain = raw.trim().to_ascii_lowercase();
    let host = domain.strip_prefix("*.").unwrap_or(&domain);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if domain.len() > 253 || !host.contains('.') || !host.split('.').all(label_ok) {
        return Err(ApiError::invalid_parameter(
            "Domain",
            &format!("{raw:?} is not a domain name such as www.example.com or *.example.com"),
        ));
    }
    Ok(domain)
}

/// The HTTPS listener on `ListenerPort` of `lb`.
fn https_index(lb: &LoadBalancer, port: u16) -> Result<usize, ApiError> {
    lb.listeners
        .iter()
        .position(|l| l.port == port && l.protocol == "https")
        .ok_or_else(|| {
            codes::LISTENER_NOT_FOUND.error_with(&format!(
                "(no HTTPS listener on port {port}; domain extensions need one)"
            ))
        })
}

/// (load balancer, listener index, extension index) of a `DomainExtensionId`.
fn locate<'s>(state: &'s State, id: &str) -> Result<(&'s LoadBalancer, usize, usize), ApiError> {
    for lb in state.load_balancers.values() {
        for (li, l) in lb.listeners.iter().enumerate() {
            if let Some(di) = l.domain_extensions.iter().position(|d| d.id == id) {
                return Ok((lb, li, di));
            }
        }
    }
    Err(extension_not_exist(id))
}

/// One extension in the response shape.
fn render(state: &State, d: &DomainExtension) -> Value {
    let algorithm = state
        .security
        .server_certificates
        .get(&d.server_certificate_id)
        .map_or("RSA", |c| c.facts.encryption_algorithm.as_str());
    json!({
        "DomainExtensionId": d.id,
        "Domain": d.domain,
        "ServerCertificateId": d.server_certificate_id,
        "Certificates": wrap("Certificate", vec![json!({
            "CertificateId": d.server_certificate_id, "EncryptionAlgorithm": algorithm})]),
        "ServerCertificates": wrap("ServerCertificate", vec![json!({
            "CertificateId": d.server_certificate_id, "EncryptionAlgorithm": algorithm,
            "BindingType": "Upload", "StandardType": "common"})]),
    })
}

/// Every extension of a listener, rendered (DescribeLoadBalancerHTTPSListenerAttribute).
pub(crate) fn render_all(state: &State, l: &Listener) -> Vec<Value> {
    l.domain_extensions
        .iter()
        .map(|d| render(state, d))
        .collect()
}

/// `CreateDomainExtension`.
pub(crate) fn create(
    state: &State,
    _cx: &Ctx<'_>,
    req: &CreateDomainExtensionRequest,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id_for_write(state, &req.load_balancer_id)?.clone();
    let i = https_index(&lb, req.listener_port)?;
    let domain = check_domain(&req.domain)?;
    let certificate = check_certificate(state, &req.server_certificate_id)?;
    let port = lb.listeners[i].port;
    if lb.listeners[i].domain_extensions.len() >= PER_LISTENER {
        return Err(ApiError::service(
            "DomainExtensionNumberOverLimit",
            400,
            format!(
                "The number of domainExtension has reached to the quota limit of this listener ({PER_LISTENER})."
            ),
        ));
    }
    let id = Ctx::new_id("de");
    lb.transition(|s| s.create_domain_extension(port, &id, &domain, &certificate))
        .map_err(refused)?;
    Ok(Outcome::put_lb(lb)
        .with("DomainExtensionId", id)
        .with("ListenerPort", port))
}

/// `SetDomainExtensionAttribute`: only the certificate changes.
pub(crate) fn set_attribute(
    state: &State,
    _cx: &Ctx<'_>,
    req: &SetDomainExtensionAttributeRequest,
) -> Result<Outcome, ApiError> {
    let (lb, _, _) = locate(state, &req.domain_extension_id)?;
    super::ensure_unlocked(lb)?;
    let certificate = check_certificate(state, &req.server_certificate_id)?;
    let mut lb = lb.clone();
    lb.transition(|s| s.set_domain_extension(&req.domain_extension_id, &certificate))
        .map_err(refused)?;
    Ok(Outcome::put_lb(lb))
}

/// `DeleteDomainExtension`.
pub(crate) fn delete(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteDomainExtensionRequest,
) -> Result<Outcome, ApiError> {
    let (lb, _, _) = locate(state, &req.domain_extension_id)?;
    super::ensure_unlocked(lb)?;
    let mut lb = lb.clone();
    lb.transition(|s| s.delete_domain_extension(&req.domain_extension_id))
        .map_err(refused)?;
    Ok(Outcome::put_lb(lb))
}

/// `DescribeDomainExtensions`: the extensions of one HTTPS listener.
pub(crate) fn describe_list(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeDomainExtensionsRequest,
) -> Result<Outcome, ApiError> {
    let lb = lb_by_id(state, &req.load_balancer_id)?;
    let l = &lb.listeners[https_index(lb, req.listener_port)?];
    let filter = &req.domain_extension_id;
    let items: Vec<Value> = l
        .domain_extensions
        .iter()
        .filter(|d| filter.as_ref().is_none_or(|f| *f == d.id))
        .map(|d| render(state, d))
        .collect();
    Ok(Outcome::read(Map::new()).with("DomainExtensions", wrap("DomainExtension", items)))
}

/// `DescribeDomainExtensionAttribute`.
pub(crate) fn describe_attribute(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DescribeDomainExtensionAttributeRequest,
) -> Result<Outcome, ApiError> {
    let (lb, li, di) = locate(state, &req.domain_extension_id)?;
    let l = &lb.listeners[li];
    let mut body = match render(state, &l.domain_extensions[di]) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    body.insert("LoadBalancerId".into(), json!(lb.id));
    body.insert("ListenerPort".into(), json!(l.port));
    Ok(Outcome::read(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_host_names_or_one_leading_wildcard() {
        assert_eq!(check_domain("WWW.Example.com").unwrap(), "www.example.com");
        assert_eq!(check_domain("*.example.com").unwrap(), "*.example.com");
        for bad in [
            "example",
            "a.*.example.com",
            "-a.example.com",
            "a b.example.com",
            "",
        ] {
            assert!(check_domain(bad).is_err(), "{bad:?}");
        }
    }
}
