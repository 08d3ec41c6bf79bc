//! Request authentication for the local server (spec §1.4, §2.3, §7.2): signing parameters
//! present (`IncompleteSignature`), known AccessKey (`InvalidAccessKeyId.NotFound`),
//! `Timestamp` within 15 minutes (`InvalidTimeStamp.Expired`), V2 signature over query ∪ body
//! with the request's method (`SignatureDoesNotMatch` carrying the server's string-to-sign),
//! and nonces unused for 15 minutes (`SignatureNonceUsed`). Signature V3 (`ACS3-HMAC-SHA256`)
//! is verified by [`v3`] with the same timestamp and nonce rules.
//!
//! Pure apart from the nonce cache, which takes `now` as an argument.

use std::collections::{BTreeMap, HashSet, VecDeque};

use slb_openapi::error::{ApiError, codes};
use slb_openapi::sign::verify_v2;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub mod v3;

/// How far a `Timestamp` may be from the server's clock, and how long a nonce stays used.
pub const WINDOW_SECS: i64 = 15 * 60;

/// One accepted AccessKey pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `AccessKeySecret`.
    pub access_key_secret: String,
}

/// Most nonces remembered. Each is at most 64 characters (see `limits`), so the cache stays
/// under ~40 MB; past this count the oldest is forgotten early (its request still has to
/// carry a `Timestamp` within the window to be replayed at all).
pub const MAX_NONCES: usize = 262_144;

/// Nonces seen in the last [`WINDOW_SECS`], at most [`MAX_NONCES`] of them.
#[derive(Debug, Default)]
pub struct NonceCache {
    seen: HashSet<String>,
    order: VecDeque<(i64, String)>,
}

impl NonceCache {
    /// Records `nonce` at `now` (Unix seconds); false when it was used within the window.
    pub fn insert(&mut self, nonce: &str, now: i64) -> bool {
        while let Some((t, _)) = self.order.front() {
            if now - *t < WINDOW_SECS {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        if !self.seen.insert(nonce.to_owned()) {
            return false;
        }
        if self.order.len() >= MAX_NONCES
            && let Some((_, old)) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.order.push_back((now, nonce.to_owned()));
        true
    }
}

/// Parses Alibaba's `YYYY-MM-DDThh:mm:ssZ` (any RFC 3339 time is accepted).
fn parse_timestamp(raw: &str) -> Result<i64, ApiError> {
    OffsetDateTime::parse(raw, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| {
            ApiError::service(
                "InvalidTimeStamp.Format",
                400,
                format!("Specified time stamp or date value is not well formatted: {raw:?}; expected YYYY-MM-DDThh:mm:ssZ."),
            )
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks everything but the nonce; returns the nonce to record.
///
/// # Errors
/// The gateway error Alibaba answers with.
pub fn verify(
    method: &str,
    params: &BTreeMap<String, String>,
    credentials: &[Credential],
    now: i64,
) -> Result<String, ApiError> {
    let get = |k: &str| params.get(k).filter(|v| !v.is_empty());
    let (Some(ak), Some(_), Some(ts), Some(nonce)) = (
        get("AccessKeyId"),
        get("Signature"),
        get("Timestamp"),
        get("SignatureNonce"),
    ) else {
        return Err(codes::INCOMPLETE_SIGNATURE.error());
    };
    let cred = credentials
        .iter()
        .find(|c| c.access_key_id == *ak)
        .ok_or_else(|| codes::INVALID_ACCESS_KEY_ID_NOT_FOUND.error())?;
    let at = parse_timestamp(ts)?;
    if (now - at).abs() > WINDOW_SECS {
        return Err(codes::INVALID_TIMESTAMP_EXPIRED.error());
    }
    verify_v2(method, params, &cred.access_key_secret).map_err(|e| e.to_api_error())?;
    Ok(nonce.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use slb_openapi::sign::sign_v2;

    const NOW: i64 = 1_704_164_645; // 2024-01-02T03:04:05Z

    fn creds() -> Vec<Credential> {
        vec![Credential {
            access_key_id: "testid".into(),
            access_key_secret: "testsecret".into(),
        }]
    }

    fn signed(ts: &str) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeLoadBalancers"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "n-1"),
            ("Timestamp", ts),
            ("Version", "2014-05-15"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sig = sign_v2("POST", &p, "testsecret");
        p.insert("Signature".into(), sig);
        p
    }

    fn code(r: Result<String, ApiError>) -> String {
        r.unwrap_err().code.clone()
    }

    #[test]
    fn correctly_signed_request_passes_and_yields_its_nonce() {
        assert_eq!(
            verify("POST", &signed("2024-01-02T03:04:05Z"), &creds(), NOW).unwrap(),
            "n-1"
        );
    }

    #[test]
    fn each_gateway_failure_has_alibabas_code() {
        let cases: Vec<(&str, BTreeMap<String, String>, &str)> = vec![
            (
                "no signature",
                {
                    let mut p = signed("2024-01-02T03:04:05Z");
                    p.remove("Signature");
                    p
                },
                "IncompleteSignature",
            ),
            (
                "unknown key",
                {
                    let mut p = signed("2024-01-02T03:04:05Z");
                    p.insert("AccessKeyId".into(), "nobody".into());
                    p
                },
                "InvalidAccessKeyId.NotFound",
            ),
            (
                "stale timestamp",
                signed("2024-01-02T02:40:00Z"),
                "InvalidTimeStamp.Expired",
            ),
            (
                "bad timestamp",
                signed("yesterday"),
                "InvalidTimeStamp.Format",
            ),
            (
                "tampered",
                {
                    let mut p = signed("2024-01-02T03:04:05Z");
                    p.insert("Action".into(), "DeleteLoadBalancer".into());
                    p
                },
                "SignatureDoesNotMatch",
            ),
        ];
        for (name, params, want) in cases {
            assert_eq!(code(verify("POST", &params, &creds(), NOW)), want, "{name}");
        }
    }

    #[test]
    fn mismatch_message_carries_the_server_string_to_sign() {
        let err = verify("GET", &signed("2024-01-02T03:04:05Z"), &creds(), NOW).unwrap_err();
        assert!(
            err.message
                .contains("server string to sign is:GET&%2F&AccessKeyId%3Dtestid"),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_nonce_cache_never_holds_more_than_its_cap() {
        let mut cache = NonceCache::default();
        for n in 0..=MAX_NONCES {
            assert!(cache.insert(&n.to_string(), NOW));
        }
        assert_eq!(cache.order.len(), MAX_NONCES);
        assert_eq!(cache.seen.len(), MAX_NONCES);
        assert!(cache.insert("0", NOW), "the oldest was forgotten first");
        assert!(
            !cache.insert(&MAX_NONCES.to_string(), NOW),
            "recent ones are still refused"
        );
    }

    #[test]
    fn nonce_is_refused_within_the_window_and_forgotten_after_it() {
        let mut cache = NonceCache::default();
        assert!(cache.insert("a", NOW));
        assert!(!cache.insert("a", NOW + 10));
        assert!(cache.insert("a", NOW + WINDOW_SECS + 1));
    }
}
