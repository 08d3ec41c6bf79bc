//! VIP allocation: IPv4 and IPv6 CIDRs and "the lowest free host address of a range". Pure
//! functions; the engine passes in the addresses already taken.
//!
//! Whether an allocated address is local to this host (and so can carry traffic) is not
//! decided here: see `serve` for the start-up check of the IPv6 pool.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits cleared).
    pub network: Ipv4Addr,
    /// The prefix length, 0–32.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`.
    ///
    /// # Errors
    /// A message naming what is wrong and the expected form.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (ip, len) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a CIDR; expected a.b.c.d/n"))?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("{s:?}: {ip:?} is not an IPv4 address"))?;
        let prefix: u8 = len
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("{s:?}: prefix {len:?} is not 0–32"))?;
        let mask = Self::mask(prefix);
        Ok(Self {
            network: Ipv4Addr::from(u32::from(ip) & mask),
            prefix,
        })
    }

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        }
    }

    /// True when `ip` is inside the block.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & Self::mask(self.prefix) == u32::from(self.network)
    }

    /// The usable host addresses, lowest first: the network and broadcast addresses are
    /// skipped for prefixes up to /30, as a VPC does.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> + use<> {
        let base = u64::from(u32::from(self.network));
        let size = 1u64 << (32 - u32::from(self.prefix));
        let (first, last) = if size > 2 {
            (base + 1, base + size - 2)
        } else {
            (base, base + size - 1)
        };
        (first..=last).filter_map(|ip| u32::try_from(ip).ok().map(Ipv4Addr::from))
    }
}

/// The lowest host of `cidr` not in `taken`, or `None` when the block is exhausted.
pub fn allocate(cidr: &Cidr, taken: &BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    cidr.hosts().find(|ip| !taken.contains(ip))
}

/// An IPv6 CIDR block (the IPv6 VIP pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr6 {
    /// The network address (host bits cleared).
    pub network: Ipv6Addr,
    /// The prefix length, 0–128.
    pub prefix: u8,
}

impl Cidr6 {
    /// Parses `x:y::z/n`.
    ///
    /// # Errors
    /// A message naming what is wrong and the expected form.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (ip, len) = s.trim().split_once('/').ok_or_else(|| {
            format!("{s:?} is not a CIDR; expected an IPv6 block like fd00::/120")
        })?;
        let ip: Ipv6Addr = ip
            .parse()
            .map_err(|_| format!("{s:?}: {ip:?} is not an IPv6 address"))?;
        let prefix: u8 = len
            .parse()
            .ok()
            .filter(|p| *p <= 128)
            .ok_or_else(|| format!("{s:?}: prefix {len:?} is not 0–128"))?;
        Ok(Self {
            network: Ipv6Addr::from(u128::from(ip) & Self::mask(prefix)),
            prefix,
        })
    }

    fn mask(prefix: u8) -> u128 {
        if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(prefix))
        }
    }

    /// True when `ip` is inside the block.
    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        u128::from(ip) & Self::mask(self.prefix) == u128::from(self.network)
    }

    /// The usable addresses, lowest first: the subnet-router anycast address (the network
    /// address) is skipped unless the block is a single address (`/128`, e.g. `::1/128`).
    pub fn hosts(&self) -> impl Iterator<Item = Ipv6Addr> + use<> {
        let base = u128::from(self.network);
        let last = base | !Self::mask(self.prefix);
        let first = if self.prefix == 128 { base } else { base + 1 };
        (first..=last).map(Ipv6Addr::from)
    }
}

/// The lowest address of `cidr` not in `taken`, or `None` when the block is exhausted. Scans
/// at most `taken.len() + 1` addresses, so a huge block costs nothing.
pub fn allocate6(cidr: &Cidr6, taken: &BTreeSet<Ipv6Addr>) -> Option<Ipv6Addr> {
    cidr.hosts()
        .take(taken.len().saturating_add(1))
        .find(|ip| !taken.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_clears_host_bits_and_rejects_garbage() {
        let c = Cidr::parse("127.0.1.77/24").unwrap();
        assert_eq!(c.network, Ipv4Addr::new(127, 0, 1, 0));
        assert_eq!(c.prefix, 24);
        for bad in ["127.0.1.0", "x/24", "127.0.1.0/33", "127.0.1.0/a", ""] {
            assert!(Cidr::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn allocation_takes_lowest_free_host_and_skips_network_address() {
        let c = Cidr::parse("127.0.2.0/24").unwrap();
        let mut taken = BTreeSet::new();
        assert_eq!(allocate(&c, &taken), Some(Ipv4Addr::new(127, 0, 2, 1)));
        taken.insert(Ipv4Addr::new(127, 0, 2, 1));
        assert_eq!(allocate(&c, &taken), Some(Ipv4Addr::new(127, 0, 2, 2)));
    }

    #[test]
    fn exhausted_block_allocates_nothing() {
        let c = Cidr::parse("10.0.0.0/30").unwrap();
        let taken: BTreeSet<_> = c.hosts().collect();
        assert_eq!(taken.len(), 2);
        assert_eq!(allocate(&c, &taken), None);
    }

    #[test]
    fn contains_checks_the_prefix() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(Ipv4Addr::new(10, 1, 200, 3)));
        assert!(!c.contains(Ipv4Addr::new(10, 2, 0, 1)));
    }

    #[test]
    fn ipv6_blocks_parse_and_allocate_lowest_free_address() {
        let c = Cidr6::parse("fd00:5b::77/120").unwrap();
        assert_eq!(c.network, "fd00:5b::".parse::<Ipv6Addr>().unwrap());
        let mut taken = BTreeSet::new();
        let first = allocate6(&c, &taken).unwrap();
        assert_eq!(first, "fd00:5b::1".parse::<Ipv6Addr>().unwrap());
        taken.insert(first);
        assert_eq!(allocate6(&c, &taken), "fd00:5b::2".parse().ok());
        assert!(c.contains("fd00:5b::ff".parse().unwrap()));
        assert!(!c.contains("fd00:5b::1:0".parse().unwrap()));
    }

    #[test]
    fn a_single_address_ipv6_block_allocates_that_address_once() {
        let c = Cidr6::parse("::1/128").unwrap();
        let mut taken = BTreeSet::new();
        assert_eq!(allocate6(&c, &taken), Some(Ipv6Addr::LOCALHOST));
        taken.insert(Ipv6Addr::LOCALHOST);
        assert_eq!(allocate6(&c, &taken), None);
    }

    #[test]
    fn ipv6_parse_rejects_ipv4_and_bad_prefixes() {
        for bad in ["127.0.0.0/8", "fd00::", "fd00::/129", "zz::/64"] {
            assert!(Cidr6::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
