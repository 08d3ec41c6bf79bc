//! Fuzz-style properties of the HTTP parameter decoder and the request authentication that
//! follows it, over arbitrary query strings and bodies: never a panic, only `Ok` or an error
//! with Alibaba's code and a 4xx status, and an accepted request is within every limit.
//! A bounded number of cases, so `cargo test` (and CI) runs them in a second or two.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use slb_local::server::auth::{Credential, verify};
use slb_local::server::limits::{RequestLimits, TOKEN_LIMITS, decode};

fn limits() -> RequestLimits {
    RequestLimits {
        max_body_bytes: 4_096,
        max_query_bytes: 4_096,
        max_parameters: 32,
        ..RequestLimits::default()
    }
}

/// Form-ish text: mostly the characters that matter to the decoder, some of any kind.
fn formish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "&", "=", "%", "%2", "%zz", "%41", "+", "Action", "SignatureNonce", "Signature",
            "AccessKeyId", "Timestamp", "Version", "2014-05-15", "x",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[a-zA-Z0-9]{60,80}",
    ];
    prop::collection::vec(piece, 0..64).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_never_panics_and_an_accepted_request_is_within_the_limits(
        query in formish(),
        body in prop_oneof![formish().prop_map(String::into_bytes), prop::collection::vec(any::<u8>(), 0..512)],
        form in any::<bool>(),
    ) {
        match decode(&query, form, &body, &limits()) {
            Ok(params) => {
                prop_assert!(params.len() <= limits().max_parameters);
                for (name, max) in TOKEN_LIMITS {
                    prop_assert!(params.get(*name).is_none_or(|v| v.chars().count() <= *max));
                }
                let creds = [Credential { access_key_id: "id".into(), access_key_secret: "s".into() }];
                if let Err(e) = verify("POST", &params, &creds, 1_704_164_645) {
                    prop_assert!((400..500).contains(&e.http_status), "{e}");
                }
            }
            Err(e) => {
                prop_assert_eq!(e.code.as_str(), "InvalidParameter");
                prop_assert_eq!(e.http_status, 400);
            }
        }
    }
}
