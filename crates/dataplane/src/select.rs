//! Backend selection: the CLB schedulers `wrr`, `rr`, `wlc`, `sch` and `tch` as a pure,
//! sans-io core.
//!
//! The caller describes each backend as a [`Candidate`] (identity, weight, eligibility,
//! active connections) and asks [`Selector::pick`] for an index, passing the flow's hash for
//! the consistent-hash schedulers (`sch`, `tch`). Nothing here touches sockets, clocks
//! or locks; the pool owns the candidates and the locking. Health and draining are folded into
//! `eligible` by the caller; this module does not know why a backend is ineligible.

use std::net::{IpAddr, SocketAddr};

use crate::config::Scheduler;

/// What the scheduler needs to know about one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Stable identity of the backend (e.g. [`backend_id`] of its address), so hashing
    /// keeps a flow on its backend when other backends come and go.
    pub id: u64,
    /// Configured weight; 0 never takes new connections.
    pub weight: u8,
    /// False when unhealthy or draining.
    pub eligible: bool,
    /// Connections (or UDP flows) currently open to it; used by `wlc`.
    pub active: u32,
}

/// Picks backends by one scheduler.
///
/// # Guarantees
/// Deterministic: the same sequence of candidate slices yields the same picks. When the
/// number of candidates changes, the per-backend state is reset.
pub trait Select {
    /// Index of the chosen candidate, or `None` when no candidate can take a connection.
    /// `flow` is the hash of what the scheduler keys on ([`flow_hash`]); schedulers that
    /// do not hash ignore it.
    fn pick(&mut self, candidates: &[Candidate], flow: u64) -> Option<usize>;
}

/// The CLB schedulers behind one [`Select`] implementation.
#[derive(Debug, Clone)]
pub struct Selector {
    scheduler: Scheduler,
    /// Next index to start scanning from (rr, and wlc tie-breaking).
    next: usize,
    /// Smooth wrr running weights, one per candidate.
    current: Vec<i64>,
}

impl Selector {
    /// A fresh selector for `scheduler`.
    pub fn new(scheduler: Scheduler) -> Self {
        Self {
            scheduler,
            next: 0,
            current: Vec::new(),
        }
    }

    /// The scheduler this selector runs.
    pub fn scheduler(&self) -> Scheduler {
        self.scheduler
    }

    fn pick_rr(&mut self, cands: &[Candidate]) -> Option<usize> {
        let n = cands.len();
        let found = (0..n)
            .map(|k| (self.next + k) % n)
            .find(|&i| usable(&cands[i]))?;
        self.next = (found + 1) % n;
        Some(found)
    }

    /// Smooth weighted round robin (the nginx algorithm): every usable backend gains its
    /// weight, the largest running weight wins and pays back the total.
    fn pick_wrr(&mut self, cands: &[Candidate]) -> Option<usize> {
        if self.current.len() != cands.len() {
            self.current = vec![0; cands.len()];
        }
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for (i, c) in cands.iter().enumerate() {
            if !usable(c) {
                continue;
            }
            let w = i64::from(c.weight);
            self.current[i] += w;
            total += w;
            if best.is_none_or(|b| self.current[i] > self.current[b]) {
                best = Some(i);
            }
        }
        let b = best?;
        self.current[b] -= total;
        Some(b)
    }

    /// Weighted least connections: minimal `active / weight`, compared by cross
    /// multiplication; ties go to the first in round-robin order from `next`.
    fn pick_wlc(&mut self, cands: &[Candidate]) -> Option<usize> {
        let n = cands.len();
        let mut best: Option<usize> = None;
        for i in (0..n).map(|k| (self.next + k) % n) {
            let c = &cands[i];
            if !usable(c) {
                continue;
            }
            let better = best.is_none_or(|b| {
                let o = &cands[b];
                u64::from(c.active) * u64::from(o.weight)
                    < u64::from(o.active) * u64::from(c.weight)
            });
            if better {
                best = Some(i);
            }
        }
        let b = best?;
        self.next = (b + 1) % n;
        Some(b)
    }
}

impl Select for Selector {
    fn pick(&mut self, candidates: &[Candidate], flow: u64) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        match self.scheduler {
            Scheduler::Rr => self.pick_rr(candidates),
            Scheduler::Wrr => self.pick_wrr(candidates),
            Scheduler::Wlc => self.pick_wlc(candidates),
            Scheduler::Sch | Scheduler::Tch => pick_hashed(candidates, flow),
        }
    }
}

/// Weighted rendezvous hashing: every usable candidate draws `u` in (0, 1) from
/// hash(flow, id) and scores `-weight / ln(u)`; the highest wins. A flow moves only when its
/// backend leaves, and shares follow the weights.
fn pick_hashed(cands: &[Candidate], flow: u64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, c) in cands.iter().enumerate() {
        if !usable(c) {
            continue;
        }
        let h = mix(flow ^ mix(c.id));
        // 53 random bits mapped into (0, 1), never 0 or 1.
        let u = ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let score = -f64::from(c.weight) / u.ln();
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// The splitmix64 finalizer: a fast, well-spread 64-bit mix.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn fold_addr(mut h: u64, addr: SocketAddr) -> u64 {
    match addr.ip() {
        IpAddr::V4(v4) => h = mix(h ^ u64::from(u32::from(v4))),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            h = mix(h ^ (bits >> 64) as u64);
            h = mix(h ^ bits as u64);
        }
    }
    mix(h ^ u64::from(addr.port()))
}

/// Stable identity of a backend address, for [`Candidate::id`].
pub fn backend_id(addr: SocketAddr) -> u64 {
    fold_addr(0, addr)
}

/// The flow hash a scheduler keys on: the client IP for `sch`, the four-tuple for `tch`,
/// nothing (0) for the others.
pub fn flow_hash(scheduler: Scheduler, client: SocketAddr, local: SocketAddr) -> u64 {
    match scheduler {
        Scheduler::Sch => fold_addr(1, SocketAddr::new(client.ip(), 0)),
        Scheduler::Tch => fold_addr(fold_addr(2, client), local),
        Scheduler::Rr | Scheduler::Wrr | Scheduler::Wlc => 0,
    }
}

fn usable(c: &Candidate) -> bool {
    c.eligible && c.weight > 0
}

#[cfg(test)]
mod tests;
