//! Health checking: the pure threshold state machine and HTTP status-line parsing here, the
//! async prober in [`probe`].
//!
//! A backend starts healthy (so a fresh listener carries traffic at once), is ejected after
//! `unhealthy_threshold` consecutive failures and returns after `healthy_threshold`
//! consecutive successes. This module does not open sockets or read clocks.

pub mod probe;
pub mod report;

/// The health of one backend under one listener's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthState {
    healthy: bool,
    /// Consecutive results that disagree with `healthy`.
    streak: u32,
}

/// A change of health reported by [`HealthState::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The backend was ejected.
    BecameUnhealthy,
    /// The backend takes new connections again.
    BecameHealthy,
}

impl Default for HealthState {
    fn default() -> Self {
        Self {
            healthy: true,
            streak: 0,
        }
    }
}

impl HealthState {
    /// A state with the given initial health.
    pub fn new(healthy: bool) -> Self {
        Self { healthy, streak: 0 }
    }

    /// Whether the backend may take new connections.
    pub fn is_healthy(&self) -> bool {
        self.healthy
    }

    /// Feeds one probe result; returns the transition when a threshold is crossed.
    /// Thresholds of 0 behave like 1.
    pub fn observe(
        &mut self,
        success: bool,
        healthy_threshold: u32,
        unhealthy_threshold: u32,
    ) -> Option<Transition> {
        if success == self.healthy {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if self.healthy {
            unhealthy_threshold
        } else {
            healthy_threshold
        };
        if self.streak < needed.max(1) {
            return None;
        }
        self.healthy = success;
        self.streak = 0;
        Some(if success {
            Transition::BecameHealthy
        } else {
            Transition::BecameUnhealthy
        })
    }
}

/// Extracts the status code from an HTTP/1.x status line (`HTTP/1.1 204 No Content`).
/// Returns `None` for anything else, which the prober counts as a failure.
pub fn parse_status_line(head: &[u8]) -> Option<u16> {
    let line_end = head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(head.len());
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: bool, results: &[bool]) -> Vec<Option<Transition>> {
        let mut s = HealthState::new(start);
        results.iter().map(|&r| s.observe(r, 2, 3)).collect()
    }

    #[test]
    fn healthy_backend_is_ejected_after_unhealthy_threshold_failures() {
        use Transition::BecameUnhealthy as U;
        assert_eq!(run(true, &[false, false, false]), vec![None, None, Some(U)]);
    }

    #[test]
    fn a_success_resets_the_failure_streak() {
        assert_eq!(
            run(true, &[false, false, true, false, false]),
            vec![None; 5]
        );
    }

    #[test]
    fn unhealthy_backend_returns_after_healthy_threshold_successes() {
        use Transition::BecameHealthy as H;
        assert_eq!(
            run(false, &[true, false, true, true]),
            vec![None, None, None, Some(H)]
        );
    }

    #[test]
    fn zero_thresholds_act_as_one() {
        let mut s = HealthState::default();
        assert_eq!(s.observe(false, 0, 0), Some(Transition::BecameUnhealthy));
        assert_eq!(s.observe(true, 0, 0), Some(Transition::BecameHealthy));
    }

    #[test]
    fn status_line_parsing_table() {
        let table: [(&[u8], Option<u16>); 6] = [
            (b"HTTP/1.1 200 OK\r\n", Some(200)),
            (b"HTTP/1.0 302 Found\r\nLocation: /", Some(302)),
            (b"HTTP/1.1 503", Some(503)),
            (b"HTTP/2 200 OK\r\n", None),
            (b"SSH-2.0-OpenSSH\r\n", None),
            (b"HTTP/1.1 20 OK\r\n", None),
        ];
        for (input, want) in table {
            assert_eq!(
                parse_status_line(input),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
