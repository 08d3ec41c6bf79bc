//! What one API request may carry, and the decoder that enforces it: the form-decoded query
//! and body become the parameter map only when the body, the query, the number of
//! parameters and the length of each signing parameter are within bounds.
//!
//! The checks run before the signature is verified and before the nonce is remembered, so
//! an unauthenticated client cannot make the server hold more than these bounds (a 1 MB
//! `SignatureNonce` used to be kept for the whole 15-minute nonce window). Errors are
//! Alibaba's `InvalidParameter` (400) naming the parameter, the limit and the fix.
//!
//! [`decode`] is pure: no I/O, no clock. Reading the body within its size and time limits is
//! the handler's job.

use std::collections::BTreeMap;
use std::time::Duration;

use slb_openapi::error::ApiError;
use slb_openapi::sign::form_decode;

/// Bounds on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Largest form body, in bytes.
    pub max_body_bytes: usize,
    /// Largest query string, in bytes.
    pub max_query_bytes: usize,
    /// Most parameters (query and body together).
    pub max_parameters: usize,
    /// Longest wait for the whole body once the request head has arrived.
    pub body_timeout: Duration,
}

/// Largest body: a `LocalPutInstances` of its per-call cap is about a tenth of it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest query string (clients that sign GET requests put everything there).
pub const MAX_QUERY_BYTES: usize = 256 * 1024;
/// Most parameters: the widest real call (`Tag.N`, `ResourceId.N`) has a few dozen.
pub const MAX_PARAMETERS: usize = 1024;
/// Longest wait for a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: MAX_BODY_BYTES,
            max_query_bytes: MAX_QUERY_BYTES,
            max_parameters: MAX_PARAMETERS,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

/// The longest value of each short-token parameter, in characters. `SignatureNonce` is a
/// UUID (36) or 32 hex digits in every Alibaba SDK.
pub const TOKEN_LIMITS: &[(&str, usize)] = &[
    ("SignatureNonce", 64),
    ("AccessKeyId", 128),
    ("Signature", 128),
    ("Timestamp", 64),
    ("SignatureMethod", 32),
    ("SignatureVersion", 16),
    ("SignatureType", 16),
    ("Action", 128),
    ("Version", 32),
    ("Format", 16),
    ("RegionId", 64),
];

/// Decodes the query and (when `form` is true) the body into one map, a body parameter
/// winning over a query one, within `limits`.
///
/// # Errors
/// `InvalidParameter` (400) naming what is too large and the limit.
pub fn decode(
    query: &str,
    form: bool,
    body: &[u8],
    limits: &RequestLimits,
) -> Result<BTreeMap<String, String>, ApiError> {
    check_size("query string", query.len(), limits.max_query_bytes)?;
    check_size("request body", body.len(), limits.max_body_bytes)?;
    let body = if form {
        String::from_utf8_lossy(body)
    } else {
        "".into()
    };
    let count = count_pairs(query) + count_pairs(&body);
    if count > limits.max_parameters {
        return Err(ApiError::service(
            "InvalidParameter",
            400,
            format!(
                "The request has {count} parameters; at most {} are accepted. Send fewer items \
                 per call.",
                limits.max_parameters
            ),
        ));
    }
    let mut params: BTreeMap<String, String> = form_decode(query).into_iter().collect();
    params.extend(form_decode(&body));
    check_tokens(&params)?;
    Ok(params)
}

fn check_size(what: &str, len: usize, max: usize) -> Result<(), ApiError> {
    if len <= max {
        return Ok(());
    }
    Err(ApiError::service(
        "InvalidParameter",
        400,
        format!(
            "The {what} is {len} bytes; at most {max} bytes are accepted. Send fewer items per \
             call."
        ),
    ))
}

/// `name=value` pairs in a form string (empty pieces between `&&` do not count).
fn count_pairs(form: &str) -> usize {
    form.split('&').filter(|p| !p.is_empty()).count()
}

/// Every short-token parameter within its [`TOKEN_LIMITS`] length.
fn check_tokens(params: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for (name, max) in TOKEN_LIMITS {
        let Some(value) = params.get(*name) else {
            continue;
        };
        let len = value.chars().count();
        if len > *max {
            return Err(ApiError::invalid_parameter(
                name,
                &format!(
                    "at most {max} characters are accepted (got {len}); send a short token, \
                     e.g. a UUID for SignatureNonce"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RequestLimits {
        RequestLimits {
            max_body_bytes: 100,
            max_query_bytes: 100,
            max_parameters: 3,
            body_timeout: BODY_TIMEOUT,
        }
    }

    #[test]
    fn a_body_parameter_wins_over_the_same_query_parameter() {
        let p = decode("A=1&B=2", true, b"B=3", &limits()).unwrap();
        assert_eq!(p["A"], "1");
        assert_eq!(p["B"], "3");
    }

    #[test]
    fn a_body_that_is_not_a_form_is_ignored() {
        let p = decode("A=1", false, b"B=3", &limits()).unwrap();
        assert!(!p.contains_key("B"));
    }

    #[test]
    fn each_oversized_part_is_refused_with_its_limit() {
        let long = "x".repeat(101);
        let cases = [
            (
                decode(&long, false, b"", &limits()),
                "The query string is 101 bytes; at most 100",
            ),
            (
                decode("", true, long.as_bytes(), &limits()),
                "The request body is 101 bytes",
            ),
            (
                decode("a&b&c", true, b"d", &limits()),
                "The request has 4 parameters; at most 3",
            ),
        ];
        for (result, want) in cases {
            let err = result.unwrap_err();
            assert_eq!(
                (err.code.as_str(), err.http_status),
                ("InvalidParameter", 400)
            );
            assert!(err.message.starts_with(want), "{}", err.message);
        }
    }

    #[test]
    fn a_nonce_longer_than_64_characters_is_refused_naming_the_parameter() {
        let ok = format!("SignatureNonce={}", "n".repeat(64));
        assert!(decode(&ok, false, b"", &limits()).is_ok());
        let long = format!("SignatureNonce={}", "n".repeat(65));
        let err = decode(&long, false, b"", &limits()).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
        assert!(
            err.message.contains("\"SignatureNonce\"")
                && err
                    .message
                    .contains("at most 64 characters are accepted (got 65)"),
            "{}",
            err.message
        );
    }
}
