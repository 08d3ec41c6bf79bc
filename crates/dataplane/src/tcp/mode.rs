//! How one direction of a TCP relay moves its bytes: a plain copy through user space while
//! the traffic is small messages, `splice(2)` through a pipe once it is a bulk stream.
//!
//! A copied message costs one `read` and one `write`, and a read shorter than the buffer
//! tells tokio the socket is drained, so no extra call is spent to learn it. A spliced one
//! costs the same two calls plus, because a short splice does not prove the socket empty,
//! one more that ends in `EAGAIN` — but moves bulk data without touching it. The switch
//! follows what the reads see, in both directions, with a streak so that one odd read does
//! not flip it: [`BULK_READS`] copies in a row that filled [`COPY_CHUNK`] turn splicing on,
//! [`SMALL_SPLICES`] splices in a row that moved less than that turn it off again. A total
//! byte count would not do: a long-lived request/response connection (a database, a cache)
//! would then splice its small messages forever once it had moved enough of them.
//!
//! Pure: the relay reports each read's size and obeys the answer; nothing here does I/O.

/// Bytes one copy-mode read takes at most (HAProxy's default buffer size). A read that fills
/// it means more was queued: the traffic is a stream, not a message.
pub const COPY_CHUNK: usize = 16 * 1024;
/// Consecutive full copy reads after which the direction splices.
pub const BULK_READS: u32 = 2;
/// Consecutive splices of less than [`COPY_CHUNK`] after which the direction copies again.
pub const SMALL_SPLICES: u32 = 4;

/// How the next read of a direction moves bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `read` into a buffer, `write` from it.
    Copy,
    /// `splice` socket → pipe → socket.
    Splice,
}

/// The mode of one direction and the streak of reads that argue for the other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeSwitch {
    mode: Mode,
    streak: u32,
}

impl ModeSwitch {
    /// A new direction: copying, with no streak.
    pub fn new() -> Self {
        Self {
            mode: Mode::Copy,
            streak: 0,
        }
    }

    /// The mode for the next read.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Records that the last read (in the current mode) moved `moved` bytes, and returns the
    /// mode for the next one.
    pub fn after_read(&mut self, moved: usize) -> Mode {
        let (argues_for_other, needed, other) = match self.mode {
            Mode::Copy => (moved >= COPY_CHUNK, BULK_READS, Mode::Splice),
            Mode::Splice => (moved < COPY_CHUNK, SMALL_SPLICES, Mode::Copy),
        };
        if !argues_for_other {
            self.streak = 0;
            return self.mode;
        }
        self.streak += 1;
        if self.streak >= needed {
            *self = Self {
                mode: other,
                streak: 0,
            };
        }
        self.mode
    }
}

impl Default for ModeSwitch {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mode after each read of `sizes`, starting from `start`.
    fn modes(start: ModeSwitch, sizes: &[usize]) -> Vec<Mode> {
        let mut s = start;
        sizes.iter().map(|&n| s.after_read(n)).collect()
    }

    fn splicing() -> ModeSwitch {
        let mut s = ModeSwitch::new();
        for _ in 0..BULK_READS {
            s.after_read(COPY_CHUNK);
        }
        assert_eq!(s.mode(), Mode::Splice);
        s
    }

    #[test]
    fn a_new_direction_copies() {
        assert_eq!(ModeSwitch::new().mode(), Mode::Copy);
    }

    #[test]
    fn small_messages_keep_copying_however_many_bytes_they_add_up_to() {
        let sizes = vec![64; 1_000_000];
        assert!(
            modes(ModeSwitch::new(), &sizes)
                .iter()
                .all(|&m| m == Mode::Copy)
        );
    }

    #[test]
    fn two_full_reads_in_a_row_switch_to_splice() {
        assert_eq!(
            modes(ModeSwitch::new(), &[COPY_CHUNK, COPY_CHUNK]),
            [Mode::Copy, Mode::Splice]
        );
    }

    #[test]
    fn a_short_read_between_full_ones_restarts_the_streak() {
        assert_eq!(
            modes(
                ModeSwitch::new(),
                &[COPY_CHUNK, 100, COPY_CHUNK, COPY_CHUNK]
            ),
            [Mode::Copy, Mode::Copy, Mode::Copy, Mode::Splice]
        );
    }

    #[test]
    fn four_small_splices_in_a_row_switch_back_to_copy() {
        let small = COPY_CHUNK - 1;
        assert_eq!(
            modes(splicing(), &[small, small, small, small]),
            [Mode::Splice, Mode::Splice, Mode::Splice, Mode::Copy]
        );
    }

    #[test]
    fn a_large_splice_between_small_ones_keeps_splicing() {
        let sizes = [10, 10, 10, 256 * 1024, 10, 10, 10];
        assert!(modes(splicing(), &sizes).iter().all(|&m| m == Mode::Splice));
    }
}
