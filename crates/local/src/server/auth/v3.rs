//! Signature V3 (`ACS3-HMAC-SHA256`, the Tea SDKs' default; spec 2 §1.4): the
//! `Authorization` header names the signed headers, which are canonicalized exactly as
//! received; the mandatory ones (`host` and the five `x-acs-*` that replace V2's common
//! parameters) must be signed; the body must hash to `x-acs-content-sha256`; `x-acs-date` and
//! `x-acs-signature-nonce` follow V2's 15-minute and nonce rules. Action and version come from
//! `x-acs-action` / `x-acs-version`.
//!
//! Pure: the clock is an argument and the nonce is returned for the caller's cache.

use std::collections::BTreeMap;

use slb_openapi::error::{ApiError, codes};
use slb_openapi::sign::{V3Request, sha256_hex, sign_v3};

use super::{Credential, WINDOW_SECS, parse_timestamp};

/// The algorithm this server verifies.
const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// Headers every V3 request must carry and sign.
const MANDATORY: &[&str] = &[
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];
/// Longest nonce remembered (as V2's `SignatureNonce`).
const MAX_NONCE_CHARS: usize = 64;

/// True when `authorization` asks for a V3 signature (any `ACS3-` algorithm).
pub fn is_v3(authorization: Option<&str>) -> bool {
    authorization.is_some_and(|a| a.starts_with("ACS3-"))
}

/// A received V3 request: headers by lowercase name (repeated values joined by `,`), the
/// form-decoded query alone (body parameters are covered by the payload hash only).
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// HTTP method as sent.
    pub method: &'a str,
    /// Decoded query parameters.
    pub query: &'a BTreeMap<String, String>,
    /// Every header received, by lowercase name.
    pub headers: &'a BTreeMap<String, String>,
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// What a verified request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `x-acs-signature-nonce`, to be recorded.
    pub nonce: String,
    /// `x-acs-action`.
    pub action: String,
    /// `x-acs-version`.
    pub version: String,
}

/// The parts of `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(raw: &str) -> Result<Authorization<'_>, ApiError> {
    let incomplete = || codes::INCOMPLETE_SIGNATURE.error();
    let rest = raw
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(incomplete)?;
    let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(incomplete)?;
        fields.insert(k, v);
    }
    let get = |k: &str| fields.get(k).copied().filter(|v| !v.is_empty());
    let (Some(credential), Some(signed), Some(signature)) =
        (get("Credential"), get("SignedHeaders"), get("Signature"))
    else {
        return Err(incomplete());
    };
    Ok(Authorization {
        credential,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// The signed headers with their received values; every mandatory header signed and every
/// signed header present, else `IncompleteSignature`.
fn signed_headers(
    auth: &Authorization<'_>,
    headers: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let missing = MANDATORY.iter().any(|m| !auth.signed_headers.contains(m));
    // A security token must be signed when sent (spec 2 §1.4 step 8).
    let unsigned_token = headers.contains_key("x-acs-security-token")
        && !auth.signed_headers.contains(&"x-acs-security-token");
    if missing || unsigned_token {
        return Err(codes::INCOMPLETE_SIGNATURE.error());
    }
    auth.signed_headers
        .iter()
        .map(|name| {
            let name = name.to_ascii_lowercase();
            let value = headers
                .get(&name)
                .ok_or_else(|| codes::INCOMPLETE_SIGNATURE.error())?;
            Ok((name, value.clone()))
        })
        .collect()
}

/// Verifies a V3 request (spec 2 §1.4 steps 1–7); the nonce is left to the caller.
///
/// # Errors
/// The gateway error Alibaba answers with: `IncompleteSignature`,
/// `InvalidAccessKeyId.NotFound`, `InvalidTimeStamp.Format`/`.Expired`, `InvalidParameter` (an
/// overlong nonce), `SignatureDoesNotMatch` (payload hash or signature).
pub fn verify(
    req: &Received<'_>,
    credentials: &[Credential],
    now: i64,
) -> Result<Verified, ApiError> {
    let raw = req
        .headers
        .get("authorization")
        .ok_or_else(|| codes::INCOMPLETE_SIGNATURE.error())?;
    let auth = parse_authorization(raw)?;
    let signed = signed_headers(&auth, req.headers)?;
    let cred = credentials
        .iter()
        .find(|c| c.access_key_id == auth.credential)
        .ok_or_else(|| codes::INVALID_ACCESS_KEY_ID_NOT_FOUND.error())?;
    if req
        .headers
        .get("x-acs-accesskey-id")
        .is_some_and(|id| id != auth.credential)
    {
        return Err(codes::INCOMPLETE_SIGNATURE.error());
    }
    let header = |name: &str| signed.get(name).cloned().unwrap_or_default();
    let at = parse_timestamp(&header("x-acs-date"))?;
    if (now - at).abs() > WINDOW_SECS {
        return Err(codes::INVALID_TIMESTAMP_EXPIRED.error());
    }
    let nonce = header("x-acs-signature-nonce");
    check_nonce(&nonce)?;
    check_payload(&header("x-acs-content-sha256"), req.body)?;
    check_signature(req, &signed, auth.signature, &cred.access_key_secret)?;
    Ok(Verified {
        nonce,
        action: header("x-acs-action"),
        version: header("x-acs-version"),
    })
}

fn check_nonce(nonce: &str) -> Result<(), ApiError> {
    let len = nonce.chars().count();
    if len == 0 || len > MAX_NONCE_CHARS {
        return Err(ApiError::invalid_parameter(
            "x-acs-signature-nonce",
            &format!(
                "1 to {MAX_NONCE_CHARS} characters are accepted (got {len}); send a unique \
                 short token, e.g. 32 hex digits"
            ),
        ));
    }
    Ok(())
}

/// The body must hash to the signed `x-acs-content-sha256` (the header alone is not trusted).
fn check_payload(claimed: &str, body: &[u8]) -> Result<(), ApiError> {
    let actual = sha256_hex(body);
    if claimed.eq_ignore_ascii_case(&actual) {
        return Ok(());
    }
    Err(ApiError::service(
        codes::SIGNATURE_DOES_NOT_MATCH.code,
        400,
        format!(
            "Specified signature does not match our calculation: x-acs-content-sha256 is \
             {claimed:?} but the body received hashes to {actual}; hash the exact body bytes sent."
        ),
    ))
}

fn check_signature(
    req: &Received<'_>,
    signed: &BTreeMap<String, String>,
    given: &str,
    secret: &str,
) -> Result<(), ApiError> {
    let ours = sign_v3(
        &V3Request {
            method: req.method,
            query: req.query,
            headers: signed,
            body: req.body,
        },
        secret,
    );
    if super::constant_time_eq(ours.signature.as_bytes(), given.as_bytes()) {
        return Ok(());
    }
    let string_to_sign = format!(
        "{ALGORITHM}\n{}",
        sha256_hex(ours.canonical_request.as_bytes())
    );
    Err(ApiError::service(
        codes::SIGNATURE_DOES_NOT_MATCH.code,
        400,
        format!(
            "Specified signature does not match our calculation. server StringToSign is \
             [{string_to_sign}] server CanonicalRequest is [{}]",
            ours.canonical_request
        ),
    ))
}

#[cfg(test)]
mod tests;
