//! Cookie-based session persistence of the HTTP path, as CLB offers it.
//!
//! `insert`: the proxy sets its own `SERVERID` cookie naming the backend (hex of its
//! [`backend_id`](crate::select::backend_id)) with the listener's timeout as `Max-Age`, and
//! reads it back from later requests. `server`: the backend's own cookie carries the
//! backend — its value gets a `<id>~` prefix on the way to the client, and the prefix is
//! removed before the request reaches the backend, so the application sees its own value.
//! Pure functions over a `HeaderMap`; whether the named backend may still take the request is
//! the pool's decision (`Pool::pick_sticky`).

use http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};

use crate::config::StickySession;

/// The cookie CLB inserts in `insert` mode.
pub const INSERT_COOKIE: &str = "SERVERID";

/// Separates the backend id from the backend's value in `server` mode.
const SEP: char = '~';

/// The backend a request's cookie names, if any. In `server` mode the prefix is removed
/// from the request's cookie so the backend sees the value it set.
pub fn request_target(headers: &mut HeaderMap, sticky: &StickySession) -> Option<u64> {
    match sticky {
        StickySession::Off => None,
        StickySession::Insert { .. } => cookies(headers)
            .find(|(n, _)| *n == INSERT_COOKIE)
            .and_then(|(_, v)| parse_id(v)),
        StickySession::Server { name } => unprefix_request(headers, name),
    }
}

/// Marks a backend's response so the client's next request comes back to `backend`:
/// `insert` adds `SERVERID` unless the request already named this backend; `server`
/// prefixes the backend's own cookie.
pub fn mark_response(
    headers: &mut HeaderMap,
    sticky: &StickySession,
    backend: u64,
    requested: Option<u64>,
) {
    match sticky {
        StickySession::Off => {}
        StickySession::Insert { timeout } => {
            if requested == Some(backend) {
                return;
            }
            let cookie = format!(
                "{INSERT_COOKIE}={backend:016x}; Max-Age={}; Path=/",
                timeout.as_secs()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                headers.append(SET_COOKIE, v);
            }
        }
        StickySession::Server { name } => prefix_response(headers, name, backend),
    }
}

fn parse_id(v: &str) -> Option<u64> {
    if v.len() != 16 {
        return None;
    }
    u64::from_str_radix(v, 16).ok()
}

/// `(name, value)` of every cookie in the request's `Cookie` headers.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
}

fn unprefix_request(headers: &mut HeaderMap, name: &str) -> Option<u64> {
    let mut target = None;
    let mut rewritten = Vec::new();
    for (n, v) in cookies(headers) {
        let mut value = v;
        if n == name
            && let Some((id, rest)) = v.split_once(SEP)
            && let Some(id) = parse_id(id)
        {
            target = Some(id);
            value = rest;
        }
        rewritten.push(format!("{n}={value}"));
    }
    target?;
    if let Ok(v) = HeaderValue::from_str(&rewritten.join("; ")) {
        headers.insert(COOKIE, v);
    }
    target
}

fn prefix_response(headers: &mut HeaderMap, name: &str, backend: u64) {
    let old: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
    if old.is_empty() {
        return;
    }
    headers.remove(SET_COOKIE);
    for v in old {
        let marked = v
            .to_str()
            .ok()
            .and_then(|s| s.split_once('='))
            .filter(|(n, _)| n.trim() == name)
            .and_then(|(n, rest)| {
                HeaderValue::from_str(&format!("{n}={backend:016x}{SEP}{rest}")).ok()
            });
        headers.append(SET_COOKIE, marked.unwrap_or(v));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn with_cookie(cookie: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static(cookie));
        h
    }

    fn set_cookies(h: &HeaderMap) -> Vec<&str> {
        h.get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    const INSERT: StickySession = StickySession::Insert {
        timeout: Duration::from_secs(300),
    };

    #[test]
    fn insert_mode_sets_serverid_with_the_timeout_for_a_new_session() {
        let mut h = HeaderMap::new();
        mark_response(&mut h, &INSERT, 0xab, None);
        assert_eq!(
            set_cookies(&h),
            ["SERVERID=00000000000000ab; Max-Age=300; Path=/"]
        );
    }

    #[test]
    fn insert_mode_reads_serverid_back_and_does_not_set_it_again() {
        let mut h = with_cookie("a=1; SERVERID=00000000000000ab");
        let target = request_target(&mut h, &INSERT);
        assert_eq!(target, Some(0xab));
        let mut resp = HeaderMap::new();
        mark_response(&mut resp, &INSERT, 0xab, target);
        assert!(set_cookies(&resp).is_empty());
    }

    #[test]
    fn insert_mode_ignores_a_malformed_serverid() {
        let mut h = with_cookie("SERVERID=zz");
        assert_eq!(request_target(&mut h, &INSERT), None);
    }

    #[test]
    fn server_mode_prefixes_the_backend_cookie_and_strips_the_prefix_on_return() {
        let sticky = StickySession::Server { name: "sid".into() };
        let mut resp = HeaderMap::new();
        resp.append(SET_COOKIE, HeaderValue::from_static("sid=xyz; Path=/"));
        resp.append(SET_COOKIE, HeaderValue::from_static("other=1"));
        mark_response(&mut resp, &sticky, 7, None);
        assert_eq!(
            set_cookies(&resp),
            ["sid=0000000000000007~xyz; Path=/", "other=1"]
        );
        let mut req = with_cookie("other=1; sid=0000000000000007~xyz");
        assert_eq!(request_target(&mut req, &sticky), Some(7));
        assert_eq!(req.get(COOKIE).unwrap(), "other=1; sid=xyz");
    }

    #[test]
    fn off_mode_neither_reads_nor_writes_cookies() {
        let mut h = with_cookie("SERVERID=00000000000000ab");
        assert_eq!(request_target(&mut h, &StickySession::Off), None);
        let mut resp = HeaderMap::new();
        mark_response(&mut resp, &StickySession::Off, 1, None);
        assert!(resp.is_empty());
    }
}
