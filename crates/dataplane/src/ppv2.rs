//! PROXY protocol version 2: the binary header that tells a backend the real client address.
//!
//! [`encode`] writes the header the data plane sends before any payload (TCP) or before each
//! datagram (UDP); [`parse`] reads one, for backends and tests. Only the `PROXY` command with
//! INET/INET6 over STREAM/DGRAM is produced; TLVs are neither produced nor interpreted (the
//! parser skips them).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The fixed 12-byte signature every v2 header starts with.
pub const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// Version 2, command PROXY.
const VERSION_PROXY: u8 = 0x21;
/// Version 2, command LOCAL.
const VERSION_LOCAL: u8 = 0x20;
/// Fixed header length before the address block.
const FIXED_LEN: usize = 16;
/// Longest header [`encode`] produces (IPv6 addresses).
pub const MAX_LEN: usize = FIXED_LEN + 36;

/// Transport named in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// SOCK_STREAM (TCP).
    Stream,
    /// SOCK_DGRAM (UDP).
    Datagram,
}

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A proxied connection: the original source and destination.
    Proxy {
        /// STREAM or DGRAM.
        transport: Transport,
        /// The real client.
        source: SocketAddr,
        /// The address the client connected to (VIP:port).
        destination: SocketAddr,
    },
    /// A connection made by the proxy itself (e.g. a health check): no addresses.
    Local,
}

/// Why a header could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Fewer bytes than the header needs; read more and retry.
    #[error("incomplete header: need {0} bytes")]
    Incomplete(usize),
    /// The bytes do not start with the v2 signature.
    #[error("missing PROXY v2 signature")]
    BadSignature,
    /// Version or command nibble not v2 PROXY/LOCAL.
    #[error("unsupported version/command byte {0:#04x}")]
    BadVersion(u8),
    /// Family/transport byte not INET/INET6 over STREAM/DGRAM.
    #[error("unsupported family/transport byte {0:#04x}")]
    BadFamily(u8),
    /// Declared length too short for the family.
    #[error("address block of {0} bytes is too short")]
    ShortAddresses(usize),
}

/// Appends the v2 header for a connection from `source` to `destination` to `out`.
/// Mixed families are written as IPv6 with the IPv4 side mapped (`::ffff:a.b.c.d`).
pub fn encode(
    out: &mut Vec<u8>,
    transport: Transport,
    source: SocketAddr,
    destination: SocketAddr,
) {
    let proto = match transport {
        Transport::Stream => 0x1,
        Transport::Datagram => 0x2,
    };
    out.extend_from_slice(&SIGNATURE);
    out.push(VERSION_PROXY);
    match (source.ip(), destination.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.push(0x10 | proto);
            out.extend_from_slice(&12u16.to_be_bytes());
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (s, d) => {
            out.push(0x20 | proto);
            out.extend_from_slice(&36u16.to_be_bytes());
            out.extend_from_slice(&to_v6(s).octets());
            out.extend_from_slice(&to_v6(d).octets());
        }
    }
    out.extend_from_slice(&source.port().to_be_bytes());
    out.extend_from_slice(&destination.port().to_be_bytes());
}

fn to_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// Parses one header from the start of `buf`; returns it and the bytes it used.
///
/// # Errors
/// [`ParseError::Incomplete`] when `buf` is a prefix of a valid header; the other variants
/// when it cannot be one.
pub fn parse(buf: &[u8]) -> Result<(Header, usize), ParseError> {
    if buf.len() < FIXED_LEN {
        let n = buf.len().min(SIGNATURE.len());
        if buf[..n] != SIGNATURE[..n] {
            return Err(ParseError::BadSignature);
        }
        return Err(ParseError::Incomplete(FIXED_LEN));
    }
    if buf[..12] != SIGNATURE {
        return Err(ParseError::BadSignature);
    }
    let total = FIXED_LEN + usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if buf.len() < total {
        return Err(ParseError::Incomplete(total));
    }
    let body = &buf[FIXED_LEN..total];
    match buf[12] {
        VERSION_LOCAL => return Ok((Header::Local, total)),
        VERSION_PROXY => {}
        other => return Err(ParseError::BadVersion(other)),
    }
    let transport = match buf[13] & 0x0f {
        0x1 => Transport::Stream,
        0x2 => Transport::Datagram,
        _ => return Err(ParseError::BadFamily(buf[13])),
    };
    let (source, destination) = match buf[13] >> 4 {
        0x1 => addresses(body, 4)?,
        0x2 => addresses(body, 16)?,
        _ => return Err(ParseError::BadFamily(buf[13])),
    };
    Ok((
        Header::Proxy {
            transport,
            source,
            destination,
        },
        total,
    ))
}

fn addresses(body: &[u8], ip_len: usize) -> Result<(SocketAddr, SocketAddr), ParseError> {
    if body.len() < 2 * ip_len + 4 {
        return Err(ParseError::ShortAddresses(body.len()));
    }
    let ip = |at: usize| -> IpAddr {
        let raw = &body[at..at + ip_len];
        if let Ok(v4) = <[u8; 4]>::try_from(raw) {
            IpAddr::from(v4)
        } else {
            let mut v6 = [0u8; 16];
            v6.copy_from_slice(raw);
            IpAddr::from(v6)
        }
    };
    let port = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
    Ok((
        SocketAddr::new(ip(0), port(2 * ip_len)),
        SocketAddr::new(ip(ip_len), port(2 * ip_len + 2)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_tcp_header_matches_the_spec_bytes() {
        let mut out = Vec::new();
        encode(
            &mut out,
            Transport::Stream,
            sa("10.1.2.3:40000"),
            sa("127.0.0.9:80"),
        );
        let mut want = SIGNATURE.to_vec();
        want.extend_from_slice(&[0x21, 0x11, 0x00, 0x0c, 10, 1, 2, 3, 127, 0, 0, 9]);
        want.extend_from_slice(&[0x9c, 0x40, 0x00, 0x50]);
        assert_eq!(out, want);
    }

    #[test]
    fn encode_then_parse_round_trips_every_family_and_transport() {
        let table = [
            (Transport::Stream, "192.0.2.1:1234", "127.0.0.1:80"),
            (Transport::Datagram, "192.0.2.1:53", "127.0.0.1:53"),
            (Transport::Stream, "[2001:db8::1]:4000", "[::1]:443"),
            (Transport::Datagram, "[2001:db8::2]:5000", "[::1]:53"),
        ];
        for (t, s, d) in table {
            let mut out = vec![];
            encode(&mut out, t, sa(s), sa(d));
            out.extend_from_slice(b"payload");
            let (h, used) = parse(&out).unwrap();
            assert_eq!(
                h,
                Header::Proxy {
                    transport: t,
                    source: sa(s),
                    destination: sa(d)
                }
            );
            assert_eq!(&out[used..], b"payload");
            assert!(used <= MAX_LEN);
        }
    }

    #[test]
    fn mixed_families_are_sent_as_mapped_ipv6() {
        let mut out = vec![];
        encode(
            &mut out,
            Transport::Stream,
            sa("192.0.2.7:1"),
            sa("[::1]:2"),
        );
        let (h, _) = parse(&out).unwrap();
        let Header::Proxy { source, .. } = h else {
            panic!("expected PROXY")
        };
        assert_eq!(source, sa("[::ffff:192.0.2.7]:1"));
    }

    #[test]
    fn parse_reports_incomplete_and_garbage_without_panicking() {
        let mut full = vec![];
        encode(
            &mut full,
            Transport::Stream,
            sa("1.2.3.4:5"),
            sa("6.7.8.9:10"),
        );
        assert_eq!(parse(&full[..5]), Err(ParseError::Incomplete(FIXED_LEN)));
        assert_eq!(parse(&full[..20]), Err(ParseError::Incomplete(28)));
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\n\r\n"),
            Err(ParseError::BadSignature)
        );
        let mut bad = full.clone();
        bad[13] = 0x31;
        assert_eq!(parse(&bad), Err(ParseError::BadFamily(0x31)));
        let mut local = SIGNATURE.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        assert_eq!(parse(&local), Ok((Header::Local, 16)));
    }
}
