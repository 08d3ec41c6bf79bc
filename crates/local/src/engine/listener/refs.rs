//! The listener fields that name other resources (spec part 2 §4.2, §6, §12): the ACL
//! binding (`AclStatus`/`AclType`/`AclId`, all four protocols) and, on HTTPS, the server and
//! CA certificates and the TLS cipher policy. Each named id must exist and be of the right
//! kind; an ACL must have the load balancer's IP version. Valid values are kept in the
//! listener's settings under their wire names, so nothing given is dropped.
//!
//! Not here: custom TLS cipher policies (`tls-…` ids; CreateTLSCipherPolicy is not served,
//! so such an id answers `InvalidTLSPolicyId.NotExist`), dual certificates and the
//! client-certificate headers, which are refused by name.

use std::collections::BTreeMap;

use slb_openapi::error::ApiError;
use slb_openapi::params::{ParamValue, Params};
use slb_openapi::types::{AclType, OnOff};

use super::Lookup;

use crate::engine::State;
use crate::engine::acl::acl_not_exist;
use crate::model::LoadBalancer;

/// The built-in TLS cipher policies (spec part 2 §6).
pub(crate) const TLS_POLICIES: [&str; 5] = [
    "tls_cipher_policy_1_0",
    "tls_cipher_policy_1_1",
    "tls_cipher_policy_1_2",
    "tls_cipher_policy_1_2_strict",
    "tls_cipher_policy_1_2_strict_with_1_3",
];

/// The parameter `name` parsed as `T`, if given.
fn parsed<T: ParamValue>(get: Lookup<'_>, name: &str) -> Result<Option<T>, ApiError> {
    get(name)
        .map(|raw| {
            T::from_param(&raw).map_err(|problem| {
                ApiError::invalid_parameter(name, &format!("{problem}, got {raw:?}"))
            })
        })
        .transpose()
}

/// Reads the ACL fields of the request into `settings`, then checks the resulting binding.
///
/// # Errors
/// `InvalidParameter` for a bad value, `MissingParameter` (`AclId`) when `AclStatus` is on
/// without one, `AclNotExist`, `IpVersionConflict`.
pub(super) fn merge_acl(
    state: &State,
    lb: &LoadBalancer,
    settings: &mut BTreeMap<String, String>,
    get: Lookup<'_>,
) -> Result<(), ApiError> {
    if let Some(s) = parsed::<OnOff>(get, "AclStatus")? {
        settings.insert("AclStatus".into(), s.as_str().to_owned());
    }
    if let Some(t) = parsed::<AclType>(get, "AclType")? {
        settings.insert("AclType".into(), t.as_str().to_owned());
    }
    if let Some(id) = get("AclId") {
        settings.insert("AclId".into(), id);
    }
    if settings.get("AclStatus").map(String::as_str) != Some("on") {
        return Ok(());
    }
    let ids = settings.get("AclId").cloned().unwrap_or_default();
    check_acls(state, lb, &ids)?;
    settings
        .entry("AclType".into())
        .or_insert_with(|| "white".into());
    Ok(())
}

/// The ACLs `ids` (comma-separated) of a binding that is on: at least one, each existing
/// and of the LB's IP version.
fn check_acls(state: &State, lb: &LoadBalancer, ids: &str) -> Result<(), ApiError> {
    let ids: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(ApiError::service(
            "MissingParameter",
            400,
            "AclId is mandatory when AclStatus is on; pass the acl-… id of the ACL to apply.",
        ));
    }
    for id in ids {
        let acl = state
            .security
            .acls
            .get(id)
            .ok_or_else(|| acl_not_exist(id))?;
        if acl.address_ip_version != lb.address_ip_version {
            return Err(ApiError::service(
                "IpVersionConflict",
                400,
                format!(
                    "The ip version of this LoadBalancer ({}) and the Acl {id} ({}) is conflict.",
                    lb.address_ip_version, acl.address_ip_version
                ),
            ));
        }
    }
    Ok(())
}

/// HTTPS parameters of features the local CLB does not model: the dual-certificate form
/// `ServerCertificate.N.*` and the mutual-TLS header passthrough `XForwardedFor_ClientCert*`.
/// Refused by name rather than accepted and dropped (the parse step runs it; see
/// `dispatch::refuse_by_name`).
///
/// # Errors
/// `InvalidParameter` naming the first such parameter.
pub(crate) fn refuse_unmodelled(params: &Params) -> Result<(), ApiError> {
    let hit = params.iter().find(|(k, v)| {
        !v.is_empty()
            && (k.starts_with("ServerCertificate.") || k.starts_with("XForwardedFor_ClientCert"))
    });
    match hit {
        Some((k, _)) => Err(ApiError::invalid_parameter(
            k,
            "is not modelled by the local CLB (dual certificates and client-certificate \
             headers); use ServerCertificateId and leave it out",
        )),
        None => Ok(()),
    }
}

fn certificate_not_exist(param: &str, id: &str) -> ApiError {
    ApiError::service(
        "CertificateNotExist",
        400,
        format!("The specified CertificateId does not exist: {param} {id:?}."),
    )
}

fn type_mismatched(param: &str, id: &str) -> ApiError {
    ApiError::service(
        "CertificateTypeMismatched",
        400,
        format!(
            "The certificate type does not match: {param} {id:?} is the other kind of certificate."
        ),
    )
}

/// Checks the HTTPS references the request gives: certificates and the TLS policy.
///
/// # Errors
/// `CertificateNotExist`, `CertificateTypeMismatched`, `InvalidTLSPolicyId.NotExist`.
pub(super) fn check_https(state: &State, get: Lookup<'_>) -> Result<(), ApiError> {
    let sec = &state.security;
    if let Some(id) = get("ServerCertificateId")
        && !sec.server_certificates.contains_key(&id)
    {
        return Err(if sec.ca_certificates.contains_key(&id) {
            type_mismatched("ServerCertificateId", &id)
        } else {
            certificate_not_exist("ServerCertificateId", &id)
        });
    }
    if let Some(id) = get("CACertificateId")
        && !sec.ca_certificates.contains_key(&id)
    {
        return Err(if sec.server_certificates.contains_key(&id) {
            type_mismatched("CACertificateId", &id)
        } else {
            certificate_not_exist("CACertificateId", &id)
        });
    }
    if let Some(p) = get("TLSCipherPolicy")
        && !TLS_POLICIES.contains(&p.as_str())
    {
        return Err(ApiError::service(
            "InvalidTLSPolicyId.NotExist",
            400,
            format!(
                "The specified TLS cipher policy {p:?} does not exist; use one of {}.",
                TLS_POLICIES.join(", ")
            ),
        ));
    }
    Ok(())
}
