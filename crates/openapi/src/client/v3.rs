//! Signature V3 (`ACS3-HMAC-SHA256`, spec 2 §1.3) for the HTTP client: the headers an
//! RPC-style request carries instead of V2's common parameters (`x-acs-action`,
//! `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`, the STS
//! token) plus `host`, `content-type` and the `Authorization` header that signs them.
//!
//! Pure: nonce and date are passed in. It signs the doc's minimal header set plus
//! `content-type` (what the real service accepts, spec 2 §1.2); it does not send or time
//! anything, and it adds no V2 parameter to the query (only a default `RegionId`).

use std::collections::BTreeMap;

use crate::action::Product;
use crate::config::Credentials;
use crate::params::Params;
use crate::sign::{V3Request, sha256_hex, sign_v3};

/// The content type the client sends (with an empty or form body).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// What a V3 request signs besides its query and body.
#[derive(Debug, Clone)]
pub struct V3Common<'a> {
    /// `x-acs-action`.
    pub action: &'a str,
    /// Product (gives `x-acs-version`).
    pub product: Product,
    /// `RegionId` used when the action has none.
    pub region_id: &'a str,
    /// Credentials (`Credential=`, `x-acs-security-token`).
    pub credentials: &'a Credentials,
    /// `host` exactly as the HTTP library sends it (`host[:port]`, default port omitted).
    pub host: &'a str,
    /// `x-acs-signature-nonce`.
    pub nonce: &'a str,
    /// `x-acs-date` (`YYYY-MM-DDThh:mm:ssZ`).
    pub date: &'a str,
}

/// A V3-signed request: the query to send and every header, `authorization` included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Signed {
    /// The action's parameters plus a default `RegionId`; no V2 common parameter.
    pub query: Params,
    /// Lowercase header names and values, the signed ones and `authorization`.
    pub headers: BTreeMap<String, String>,
}

/// Signs `params` (all in the query) and `body` with V3 for `POST /`.
pub fn sign_request(mut params: Params, body: &[u8], common: &V3Common<'_>) -> V3Signed {
    params
        .entry("RegionId".to_owned())
        .or_insert_with(|| common.region_id.to_owned());
    let mut headers: BTreeMap<String, String> = [
        ("host", common.host.to_owned()),
        ("content-type", FORM_CONTENT_TYPE.to_owned()),
        ("x-acs-action", common.action.to_owned()),
        ("x-acs-version", common.product.version().to_owned()),
        ("x-acs-date", common.date.to_owned()),
        ("x-acs-signature-nonce", common.nonce.to_owned()),
        ("x-acs-content-sha256", sha256_hex(body)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(token) = &common.credentials.security_token {
        headers.insert("x-acs-security-token".to_owned(), token.clone());
    }
    let signature = sign_v3(
        &V3Request {
            method: "POST",
            query: &params,
            headers: &headers,
            body,
        },
        &common.credentials.access_key_secret,
    );
    headers.insert(
        "authorization".to_owned(),
        signature.authorization(&common.credentials.access_key_id),
    );
    V3Signed {
        query: params,
        headers,
    }
}

/// `host[:port]` of `url` as an HTTP client writes the `Host` header (the scheme's default
/// port omitted); `None` when `url` does not parse or has no host.
pub fn host_header(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests;
