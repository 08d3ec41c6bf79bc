//! Header rewriting of the HTTP path, as CLB does it: hop-by-hop headers are dropped both
//! ways, and requests gain `X-Forwarded-For` (always, appended to what the client sent) plus
//! the optional `SLB-IP`, `SLB-ID`, `X-Forwarded-Proto`, `X-Forwarded-Port` and
//! `X-Forwarded-Client-srcport` of the listener's `XForwardedFor_*` settings.
//!
//! Pure functions over a `HeaderMap`; no I/O, no cookies (see `sticky`).

use std::net::{IpAddr, SocketAddr};

use http::header::{
    CONNECTION, HeaderMap, HeaderName, HeaderValue, TE, TRAILER, TRANSFER_ENCODING, UPGRADE,
};

use crate::config::HttpConfig;

/// Headers that describe one hop only (RFC 9110 7.6.1); never forwarded.
const HOP_BY_HOP: [HeaderName; 7] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Where a request came from and arrived.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    /// The client's address.
    pub client: SocketAddr,
    /// The VIP and listener port it reached.
    pub local: SocketAddr,
    /// Whether it came over TLS (`X-Forwarded-Proto: https`).
    pub tls: bool,
}

/// Removes the hop-by-hop headers and every header the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages carry none: one pass over the names (cheap comparisons) spares the
    // seven hashed removals.
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The forwarding headers of one client connection, formatted once: a kept-alive
/// connection's requests all carry the same values.
#[derive(Debug, Clone)]
pub struct Forwarding {
    /// The client's IP, the last `X-Forwarded-For` entry.
    client_ip: HeaderValue,
    /// The optional headers the listener's settings turn on, with their values.
    extra: Vec<(HeaderName, HeaderValue)>,
}

impl Forwarding {
    /// The values for requests from `origin` under `cfg`.
    pub fn new(origin: Origin, cfg: &HttpConfig) -> Self {
        let h = cfg.headers;
        let proto = if origin.tls { "https" } else { "http" };
        // Only the headers turned on are formatted (most listeners have none on).
        let wanted: [(bool, &'static str, &dyn Fn() -> String); 5] = [
            (h.slb_ip, "slb-ip", &|| origin.local.ip().to_string()),
            (h.slb_id, "slb-id", &|| cfg.load_balancer_id.clone()),
            (h.proto, "x-forwarded-proto", &|| proto.to_owned()),
            (h.port, "x-forwarded-port", &|| {
                origin.local.port().to_string()
            }),
            (h.client_src_port, "x-forwarded-client-srcport", &|| {
                origin.client.port().to_string()
            }),
        ];
        // A value that is not a valid header value (only an odd load balancer id could be)
        // is left out.
        let extra = wanted
            .into_iter()
            .filter(|(on, _, _)| *on)
            .filter_map(|(_, name, value)| {
                Some((
                    HeaderName::from_static(name),
                    HeaderValue::try_from(value()).ok()?,
                ))
            })
            .collect();
        Self {
            client_ip: ip_value(origin.client.ip()),
            extra,
        }
    }
}

/// An IP address as a header value; IPv4 written digit by digit (`to_string` goes through
/// the formatting machinery, a visible cost when every connection does it).
fn ip_value(ip: IpAddr) -> HeaderValue {
    let IpAddr::V4(v4) = ip else {
        // An IP address in text is always a valid header value.
        return HeaderValue::try_from(ip.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
    };
    let mut text = Vec::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            text.push(b'.');
        }
        if octet >= 100 {
            text.push(b'0' + octet / 100);
        }
        if octet >= 10 {
            text.push(b'0' + octet / 10 % 10);
        }
        text.push(b'0' + octet % 10);
    }
    HeaderValue::from_maybe_shared(bytes::Bytes::from(text))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Adds the CLB's forwarding headers to a request bound for a backend: `X-Forwarded-For`
/// gains the client's IP, the optional headers replace whatever the client sent.
pub fn add_forwarded(headers: &mut HeaderMap, fwd: &Forwarding) {
    let previous: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let xff = if previous.is_empty() {
        Ok(fwd.client_ip.clone())
    } else {
        let ip = fwd.client_ip.to_str().unwrap_or_default();
        HeaderValue::try_from(format!("{}, {ip}", previous.join(", ")))
    };
    if let Ok(v) = xff {
        headers.insert(X_FORWARDED_FOR, v);
    }
    for (name, value) in &fwd.extra {
        headers.insert(name.clone(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ForwardedHeaders;

    fn origin() -> Origin {
        Origin {
            client: "10.1.2.3:40000".parse().unwrap(),
            local: "127.0.1.5:80".parse().unwrap(),
            tls: false,
        }
    }

    fn values(h: &HeaderMap, name: &str) -> Vec<String> {
        h.get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn x_forwarded_for_is_set_to_the_client_ip_by_default_and_nothing_else() {
        let mut h = HeaderMap::new();
        add_forwarded(&mut h, &Forwarding::new(origin(), &HttpConfig::default()));
        assert_eq!(values(&h, "x-forwarded-for"), ["10.1.2.3"]);
        assert_eq!(h.len(), 1, "{h:?}");
    }

    #[test]
    fn x_forwarded_for_appends_the_client_ip_to_what_the_client_sent() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("192.0.2.1"));
        h.append("x-forwarded-for", HeaderValue::from_static("192.0.2.2"));
        add_forwarded(&mut h, &Forwarding::new(origin(), &HttpConfig::default()));
        assert_eq!(
            values(&h, "x-forwarded-for"),
            ["192.0.2.1, 192.0.2.2, 10.1.2.3"]
        );
    }

    #[test]
    fn every_optional_header_carries_its_value_when_on() {
        let cfg = HttpConfig {
            load_balancer_id: "lb-abc".into(),
            headers: ForwardedHeaders {
                slb_ip: true,
                slb_id: true,
                proto: true,
                port: true,
                client_src_port: true,
            },
            ..HttpConfig::default()
        };
        let mut h = HeaderMap::new();
        h.insert("slb-id", HeaderValue::from_static("spoofed"));
        add_forwarded(&mut h, &Forwarding::new(origin(), &cfg));
        for (name, want) in [
            ("slb-ip", "127.0.1.5"),
            ("slb-id", "lb-abc"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-port", "80"),
            ("x-forwarded-client-srcport", "40000"),
        ] {
            assert_eq!(values(&h, name), [want], "{name}");
        }
    }

    #[test]
    fn ip_addresses_are_written_as_their_text() {
        for ip in [
            "0.0.0.0",
            "10.1.2.3",
            "192.168.100.255",
            "99.9.90.109",
            "::1",
            "fd00::7",
        ] {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_value(parsed).to_str().unwrap(), ip);
        }
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_removed() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("upgrade", HeaderValue::from_static("websocket"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        let names: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["x-kept"]);
    }
}
