//! ACL entries: the limits on the `AclEntrys` list of a request (parsed by its typed request)
//! and the CIDR check of each entry. A bare address is
//! taken as a host route (`/32` or `/128`), and the CIDR is kept as written but normalized
//! (`10.1.2.3/8` stays `10.1.2.3/8`; the data plane masks it). Pure; no state.

use std::net::IpAddr;

use slb_openapi::clb::AclEntryParam;
use slb_openapi::error::ApiError;

/// The longest entry comment accepted.
pub(super) const COMMENT_MAX: usize = 100;

/// A parsed entry: the normalized CIDR and its IP version (`ipv4` or `ipv6`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cidr {
    pub text: String,
    pub version: &'static str,
}

fn illegal(entry: &str, why: &str) -> ApiError {
    ApiError::service(
        "AclEntryIllegal",
        400,
        format!(
            "The entry {entry:?} is not a CIDR ({why}); write it as 10.0.0.0/8 or 2001:db8::/32."
        ),
    )
}

/// Parses one entry as a CIDR (`a.b.c.d/len`, `x::y/len`, or a bare address).
///
/// # Errors
/// `AclEntryIllegal` naming the entry and what is wrong with it.
pub(super) fn parse_cidr(entry: &str) -> Result<Cidr, ApiError> {
    let trimmed = entry.trim();
    let (addr, len) = match trimmed.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (trimmed, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| illegal(entry, "the address does not parse"))?;
    let (max, version) = match ip {
        IpAddr::V4(_) => (32u8, "ipv4"),
        IpAddr::V6(_) => (128u8, "ipv6"),
    };
    let len = match len {
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| illegal(entry, &format!("the prefix length must be 0–{max}")))?,
        None => max,
    };
    Ok(Cidr {
        text: format!("{ip}/{len}"),
        version,
    })
}

/// Checks the requested entries: at most `per_call`, comments within [`COMMENT_MAX`],
/// duplicates collapsed (the JSON itself is parsed by the typed request).
///
/// # Errors
/// `AclEntryExceedLimit` over `per_call`, `InvalidParam.Comment` for a long comment.
pub(super) fn read_entries(
    list: &[AclEntryParam],
    per_call: usize,
) -> Result<Vec<AclEntryParam>, ApiError> {
    if list.len() > per_call {
        return Err(ApiError::service(
            "AclEntryExceedLimit",
            400,
            format!("The maximum number of ACL entries is exceeded: at most {per_call} per call."),
        ));
    }
    let mut out: Vec<AclEntryParam> = Vec::new();
    for e in list {
        if e.comment.chars().count() > COMMENT_MAX {
            return Err(ApiError::service(
                "InvalidParam.Comment",
                400,
                format!("The specified comment is invalid: at most {COMMENT_MAX} characters."),
            ));
        }
        if !out.iter().any(|o| o.entry == e.entry) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_are_parsed_and_bare_addresses_become_host_routes() {
        let cases = [
            ("10.0.0.0/8", Ok(("10.0.0.0/8", "ipv4"))),
            ("192.168.1.7", Ok(("192.168.1.7/32", "ipv4"))),
            ("2001:db8::/32", Ok(("2001:db8::/32", "ipv6"))),
            ("10.0.0.0/33", Err("prefix length")),
            ("10.0.0/8", Err("does not parse")),
            ("office", Err("does not parse")),
        ];
        for (input, want) in cases {
            match (parse_cidr(input), want) {
                (Ok(c), Ok((text, version))) => {
                    assert_eq!((c.text.as_str(), c.version), (text, version), "{input}");
                }
                (Err(e), Err(why)) => {
                    assert_eq!(e.code, "AclEntryIllegal");
                    assert!(e.message.contains(why), "{input}: {}", e.message);
                }
                (got, _) => panic!("{input}: unexpected {got:?}"),
            }
        }
    }

    #[test]
    fn duplicate_entries_in_one_call_collapse() {
        let mut second = AclEntryParam::new("10.0.0.1/32");
        second.comment = "x".into();
        let got = read_entries(&[AclEntryParam::new("10.0.0.1/32"), second], 50).unwrap();
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn more_entries_than_one_call_takes_are_refused() {
        let list = vec![AclEntryParam::new("10.0.0.1/32"); 3];
        let err = read_entries(&list, 2).unwrap_err();
        assert_eq!(err.code, "AclEntryExceedLimit");
    }
}
