//! Access control lists of a listener, as CLB applies them: a `white` list admits only
//! sources inside its CIDRs, a `black` list refuses sources inside its CIDRs, and a list
//! with no entries admits everyone (for both types).
//!
//! Pure: parsing and matching only. The shells (`tcp`, `udp`, `http`) ask the pool at
//! accept time (TCP, HTTP) or when a new flow starts (UDP); connections and flows already
//! open are not re-checked when the list changes.

use std::net::IpAddr;

/// Whether the list admits or refuses its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclKind {
    /// Only listed sources may connect.
    White,
    /// Listed sources may not connect.
    Black,
}

/// A listener's ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclConfig {
    /// White or black.
    pub kind: AclKind,
    /// The entries of every ACL bound to the listener.
    pub cidrs: Vec<Cidr>,
}

/// One IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// A CIDR that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "ACL entry {0:?} is not a CIDR; write an address with an optional prefix length, like 10.0.0.0/8 or 2001:db8::/32"
)]
pub struct CidrError(pub String);

impl std::str::FromStr for Cidr {
    type Err = CidrError;

    /// Parses `addr/len` or a bare address (a single host).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CidrError(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { addr, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 source counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(net.to_bits()) << 96,
                u128::from(ip.to_bits()) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(net.to_bits(), ip.to_bits(), self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix));
    a & mask == b & mask
}

impl AclConfig {
    /// Whether a client at `ip` may connect.
    pub fn admits(&self, ip: IpAddr) -> bool {
        if self.cidrs.is_empty() {
            return true;
        }
        let listed = self.cidrs.iter().any(|c| c.contains(ip));
        match self.kind {
            AclKind::White => listed,
            AclKind::Black => !listed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(kind: AclKind, cidrs: &[&str]) -> AclConfig {
        AclConfig {
            kind,
            cidrs: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_white_list_admits_only_its_networks() {
        let white = acl(AclKind::White, &["10.0.0.0/8", "192.0.2.7"]);
        for (client, admitted) in [
            ("10.200.1.1", true),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
            ("::ffff:10.0.0.1", true),
            ("2001:db8::1", false),
        ] {
            assert_eq!(white.admits(ip(client)), admitted, "{client}");
        }
    }

    #[test]
    fn a_black_list_refuses_only_its_networks() {
        let black = acl(AclKind::Black, &["2001:db8::/32", "127.0.0.2/32"]);
        for (client, admitted) in [
            ("2001:db8:1::5", false),
            ("2001:db9::5", true),
            ("127.0.0.2", false),
            ("127.0.0.1", true),
        ] {
            assert_eq!(black.admits(ip(client)), admitted, "{client}");
        }
    }

    #[test]
    fn an_empty_list_admits_everyone_for_both_kinds() {
        for kind in [AclKind::White, AclKind::Black] {
            assert!(acl(kind, &[]).admits(ip("203.0.113.1")));
        }
    }

    #[test]
    fn a_zero_prefix_covers_its_whole_family() {
        let all_v4 = acl(AclKind::White, &["0.0.0.0/0"]);
        assert!(all_v4.admits(ip("203.0.113.1")));
        assert!(!all_v4.admits(ip("2001:db8::1")));
    }

    #[test]
    fn bad_entries_are_refused_with_the_expected_form() {
        for bad in ["10.0.0.0/33", "10.0.0/8", "::/129", "host"] {
            let err = bad.parse::<Cidr>().unwrap_err();
            assert!(err.to_string().contains("like 10.0.0.0/8"), "{bad}: {err}");
        }
    }
}
