//! Request signing for Alibaba's RPC OpenAPI: signature V2 (HMAC-SHA1, spec §1.4) for
//! signing and server-side verification, V3 (ACS3-HMAC-SHA256, spec §1.6) for signing, plus
//! the RFC 3986 percent-encoding and the form decoding both sides need.
//!
//! Everything here is pure: parameters in, strings out. It does not add the common
//! parameters (`Timestamp`, `SignatureNonce`, …) — the client does that — and it does not
//! check timestamps or nonces; a server does that around [`verify_v2`].

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, codes};

/// Everything but `A–Z a–z 0–9 - _ . ~` is escaped (RFC 3986 unreserved set).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The parameter that carries the signature; it is never part of the string-to-sign.
pub const SIGNATURE_PARAM: &str = "Signature";

/// The V2 signature method value.
pub const SIGNATURE_METHOD_V2: &str = "HMAC-SHA1";

/// The V2 signature version value.
pub const SIGNATURE_VERSION_V2: &str = "1.0";

/// Percent-encodes `s` with the RFC 3986 rule of spec §1.4 (uppercase hex, space is `%20`).
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string (`+` is a space, then `%XX`).
/// Invalid UTF-8 is replaced rather than rejected; a signature check then fails cleanly.
pub fn form_decode(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode_component(name), form_decode_component(value))
        })
        .collect()
}

fn form_decode_component(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Encodes parameters as a query string (`name=value&…`, RFC 3986, sorted by name).
pub fn encode_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonicalized query string of spec §1.4 step 3: every parameter but `Signature`,
/// sorted by name in byte order, empty values kept.
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != SIGNATURE_PARAM)
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&pct(canonicalized query)` (spec §1.4 step 4). `method` is used as given
/// (callers pass the uppercase HTTP method).
pub fn string_to_sign_v2(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// Base64(HMAC-SHA1(secret + "&", string_to_sign)) (spec §1.4 step 5).
pub fn sign_string_v2(string_to_sign: &str, access_key_secret: &str) -> String {
    let key = format!("{access_key_secret}&");
    // HMAC takes keys of any length (RFC 2104), so `new_from_slice` cannot fail; an empty
    // signature in that impossible case would only fail verification, never panic.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The V2 signature of `params` (any `Signature` entry is ignored) for `method`.
pub fn sign_v2(method: &str, params: &BTreeMap<String, String>, access_key_secret: &str) -> String {
    sign_string_v2(&string_to_sign_v2(method, params), access_key_secret)
}

/// Why a V2 signature check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request carries no `Signature` parameter.
    #[error("the request has no Signature parameter")]
    Missing,
    /// `SignatureMethod` is not `HMAC-SHA1` (or `SignatureVersion` is not `1.0`).
    #[error("unsupported signature method {method:?} version {version:?}; expected HMAC-SHA1 1.0")]
    UnsupportedMethod {
        /// The received `SignatureMethod`.
        method: String,
        /// The received `SignatureVersion`.
        version: String,
    },
    /// The signature does not match the one computed over the received parameters.
    #[error("signature mismatch; server string to sign is: {string_to_sign}")]
    Mismatch {
        /// The server's string-to-sign, returned to the caller as Alibaba does.
        string_to_sign: String,
    },
}

impl SignatureError {
    /// The error Alibaba answers with: `IncompleteSignature` or `SignatureDoesNotMatch`.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            Self::Missing | Self::UnsupportedMethod { .. } => codes::INCOMPLETE_SIGNATURE.error(),
            Self::Mismatch { string_to_sign } => {
                codes::SIGNATURE_DOES_NOT_MATCH.error_with(string_to_sign)
            }
        }
    }

    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::UnsupportedMethod { .. } => "unsupported_method",
            Self::Mismatch { .. } => "mismatch",
        }
    }
}

/// Verifies a V2-signed request (spec §1.4 "server-side verification"). `params` is the
/// merged, already form-decoded query and body, including `Signature`; `method` is the
/// request's actual HTTP method.
///
/// # Errors
/// [`SignatureError`] naming why the request is not correctly signed.
pub fn verify_v2(
    method: &str,
    params: &BTreeMap<String, String>,
    access_key_secret: &str,
) -> Result<(), SignatureError> {
    let received = params.get(SIGNATURE_PARAM).ok_or(SignatureError::Missing)?;
    let method_param = params.get("SignatureMethod").map_or("", String::as_str);
    let version_param = params.get("SignatureVersion").map_or("", String::as_str);
    if method_param != SIGNATURE_METHOD_V2 || version_param != SIGNATURE_VERSION_V2 {
        return Err(SignatureError::UnsupportedMethod {
            method: method_param.to_owned(),
            version: version_param.to_owned(),
        });
    }
    let string_to_sign = string_to_sign_v2(method, params);
    let expected = sign_string_v2(&string_to_sign, access_key_secret);
    if constant_time_eq(expected.as_bytes(), received.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch { string_to_sign })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The SHA-256 of the empty body, lowercase hex (V3 `x-acs-content-sha256` of an empty POST).
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The inputs of a V3 (ACS3-HMAC-SHA256) signature.
#[derive(Debug, Clone)]
pub struct V3Request<'a> {
    /// HTTP method, uppercase.
    pub method: &'a str,
    /// Query parameters (sorted by the map).
    pub query: &'a BTreeMap<String, String>,
    /// Signed headers by lowercase name: `host`, every `x-acs-*`, `content-type` if sent.
    pub headers: &'a BTreeMap<String, String>,
    /// The request body (hashed into the signature).
    pub body: &'a [u8],
}

/// A computed V3 signature and the intermediate strings (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Signature {
    /// The canonical request (six parts joined by `\n`).
    pub canonical_request: String,
    /// `host;x-acs-…` list of signed headers.
    pub signed_headers: String,
    /// Lowercase hex HMAC-SHA256.
    pub signature: String,
}

impl V3Signature {
    /// The `Authorization` header value for `access_key_id`.
    pub fn authorization(&self, access_key_id: &str) -> String {
        format!(
            "ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={},Signature={}",
            self.signed_headers, self.signature
        )
    }
}

/// Computes a V3 signature (spec §1.6). Headers are expected lowercase and must already
/// include `x-acs-content-sha256` (see [`sha256_hex`]).
pub fn sign_v3(req: &V3Request<'_>, access_key_secret: &str) -> V3Signature {
    let canonical_headers: String = req
        .headers
        .iter()
        .map(|(k, v)| format!("{}:{}\n", k.to_ascii_lowercase(), v.trim()))
        .collect();
    let signed_headers = req
        .headers
        .keys()
        .map(|k| k.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = [
        req.method,
        "/",
        &canonicalized_query(req.query),
        &canonical_headers,
        &signed_headers,
        &sha256_hex(req.body),
    ]
    .join("\n");
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let signature = match Hmac::<Sha256>::new_from_slice(access_key_secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // Unreachable for HMAC (any key length); an empty signature simply fails.
        Err(_) => String::new(),
    };
    V3Signature {
        canonical_request,
        signed_headers,
        signature,
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests;
