//! The timeouts of one HTTP client connection, kept by one sleep that re-arms itself instead
//! of a timer per request: the idle timeout (no request in flight and no bytes moving) and,
//! on HTTP/1.1, the header timeout (no complete request head since the connection started or
//! its last response ended: the slowloris guard).
//!
//! The hot path only bumps counters: the connection's reads and writes and its requests
//! touch no clock and no timer. The watchdog samples the counters every quarter of the
//! shorter timeout and counts a change as happening at the sample, so a timeout fires
//! between its length and 1.25 times it, never early. This module decides when a connection
//! should end and how; closing it is the caller's.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Instant;

/// What the connection's I/O and requests report, read by [`watch`].
#[derive(Debug, Default)]
pub(super) struct ConnState {
    /// Reads or writes that moved bytes.
    io: AtomicU64,
    /// Requests started.
    requests: AtomicU64,
    /// Requests whose response has not been sent to its end.
    inflight: AtomicUsize,
}

impl ConnState {
    /// Records that bytes moved.
    pub(super) fn touch(&self) {
        self.io.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request in flight until the returned guard drops (with its response body).
    pub(super) fn enter(self: &Arc<Self>) -> InFlight {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.inflight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }
}

/// A request in flight on a connection while alive.
#[derive(Debug)]
pub(super) struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted in flight until it is sent or dropped.
pub(super) struct Held<B> {
    inner: B,
    _busy: InFlight,
}

impl<B> Held<B> {
    pub(super) fn new(inner: B, busy: InFlight) -> Self {
        Self { inner, _busy: busy }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Held<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's timeouts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// No request in flight and no bytes for this long: close after the current exchange.
    pub(super) idle: Duration,
    /// No complete request head for this long since the connection started or its last
    /// response ended: close at once. `None` on HTTP/2.
    pub(super) header: Option<Duration>,
}

/// Why the watchdog wants the connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// Idle timeout: shut down gracefully.
    Idle,
    /// Header timeout: drop the connection.
    Header,
}

/// What the watchdog knows at one sample.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// When bytes were last seen moving (or the connection started).
    last_io: Instant,
    /// Since when no request has been in flight; `None` while one is.
    waiting_since: Option<Instant>,
}

/// Completes when one of the connection's timeouts has passed.
pub(super) async fn watch(state: &ConnState, limits: Limits) -> Expired {
    let shortest = limits.header.map_or(limits.idle, |h| h.min(limits.idle));
    let tick = (shortest / 4).max(Duration::from_millis(1));
    let start = Instant::now();
    let mut seen = Seen {
        last_io: start,
        waiting_since: Some(start),
    };
    let (mut io, mut requests) = (0, 0);
    loop {
        tokio::time::sleep(tick).await;
        let now = Instant::now();
        let (io_now, requests_now) = (
            state.io.load(Ordering::Relaxed),
            state.requests.load(Ordering::Relaxed),
        );
        let busy = state.inflight.load(Ordering::Relaxed) > 0 || requests_now != requests;
        seen = sample(seen, now, io_now != io, busy);
        (io, requests) = (io_now, requests_now);
        if let Some(expired) = verdict(seen, now, limits) {
            return expired;
        }
    }
}

/// Updates what is known with one sample: a change counts as happening `now`.
fn sample(seen: Seen, now: Instant, moved: bool, busy: bool) -> Seen {
    Seen {
        last_io: if moved { now } else { seen.last_io },
        waiting_since: if busy {
            None
        } else {
            Some(seen.waiting_since.unwrap_or(now))
        },
    }
}

/// Which timeout, if any, has passed at `now`.
fn verdict(seen: Seen, now: Instant, limits: Limits) -> Option<Expired> {
    let waiting = seen.waiting_since?;
    if now.saturating_duration_since(seen.last_io) >= limits.idle {
        return Some(Expired::Idle);
    }
    let header = limits.header?;
    (now.saturating_duration_since(waiting) >= header).then_some(Expired::Header)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        idle: Duration::from_secs(15),
        header: Some(Duration::from_secs(20)),
    };

    fn at(s: u64) -> Instant {
        // A fixed base keeps the arithmetic readable.
        base() + Duration::from_secs(s)
    }

    fn base() -> Instant {
        use std::sync::OnceLock;
        static BASE: OnceLock<Instant> = OnceLock::new();
        *BASE.get_or_init(Instant::now)
    }

    fn waiting_from(s: u64, last_io: u64) -> Seen {
        Seen {
            last_io: at(last_io),
            waiting_since: Some(at(s)),
        }
    }

    #[test]
    fn a_connection_with_no_request_and_no_bytes_for_the_idle_timeout_is_idle() {
        assert_eq!(verdict(waiting_from(0, 0), at(14), LIMITS), None);
        assert_eq!(
            verdict(waiting_from(0, 0), at(15), LIMITS),
            Some(Expired::Idle)
        );
    }

    #[test]
    fn a_request_in_flight_keeps_the_connection_open_however_quiet() {
        let busy = Seen {
            last_io: at(0),
            waiting_since: None,
        };
        assert_eq!(verdict(busy, at(100), LIMITS), None);
    }

    #[test]
    fn bytes_trickling_without_a_complete_head_end_at_the_header_timeout() {
        // Bytes moved a second ago, but no request has started for 20 s.
        assert_eq!(verdict(waiting_from(0, 19), at(19), LIMITS), None);
        assert_eq!(
            verdict(waiting_from(0, 19), at(20), LIMITS),
            Some(Expired::Header)
        );
    }

    #[test]
    fn without_a_header_timeout_only_idleness_ends_a_connection() {
        let h2 = Limits {
            header: None,
            ..LIMITS
        };
        assert_eq!(verdict(waiting_from(0, 99), at(100), h2), None);
    }

    #[test]
    fn a_sample_counts_changes_at_its_own_time_so_timeouts_never_fire_early() {
        let seen = waiting_from(0, 0);
        let after = sample(seen, at(10), true, false);
        assert_eq!(after.last_io, at(10));
        assert_eq!(after.waiting_since, Some(at(0)));
        let busy = sample(after, at(12), false, true);
        assert_eq!(busy.waiting_since, None);
        let done = sample(busy, at(14), false, false);
        assert_eq!(done.waiting_since, Some(at(14)));
        assert_eq!(done.last_io, at(10));
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_reports_idle_between_the_timeout_and_a_quarter_more() {
        let state = ConnState::default();
        let limits = Limits {
            idle: Duration::from_millis(400),
            header: Some(Duration::from_millis(800)),
        };
        let started = Instant::now();
        assert_eq!(watch(&state, limits).await, Expired::Idle);
        let took = started.elapsed();
        assert!(
            took >= limits.idle && took <= limits.idle * 5 / 4,
            "{took:?}"
        );
    }
}
