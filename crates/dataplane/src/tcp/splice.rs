//! The Linux relay: each direction copies small messages through user space ([`super::copy`])
//! and splices bulk streams socket → pipe → socket (`splice(2)`), switching as
//! [`super::mode`] decides from the sizes of its reads; driven by tokio readiness.
//!
//! Safe code only: `rustix` wraps the syscalls over `AsFd`, and `TcpStream::try_io` clears
//! readiness on `EAGAIN`. A splicing direction owns one pipe; the data never enters user
//! space. On EOF from one side the other side's write half is shut down (half-close), and
//! the other direction keeps flowing. A direction takes its pipe only when it first splices,
//! and returns it (empty) to a small process-wide pool at EOF, so short connections cost no
//! `pipe2` calls after warm-up, and connections that only copy never take one.
//!
//! Splicing into a socket whose peer is gone raises `SIGPIPE` like `write(2)` does; Rust
//! binaries ignore `SIGPIPE` before `main`, so the call just fails with `EPIPE`.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::net::Shutdown;
use rustix::pipe::{PipeFlags, SpliceFlags, pipe_with, splice};
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};

use super::Activity;
use super::copy;
use super::mode::{Mode, ModeSwitch};
use crate::metrics::ListenerMetrics;
use prometheus_client::metrics::counter::Counter;

/// Pipe capacity asked for (and most bytes moved per splice call): fewer syscalls per byte
/// than the 64 KiB default; the kernel's `pipe-max-size` (1 MiB by default) allows it.
const PIPE_SIZE: usize = 256 * 1024;
/// Empty pipes kept for reuse; beyond this they are closed (bounded fd use when idle). Set
/// from the descriptor plan at start (see `fds::plan`): pooled pipes live in the reserve.
static MAX_POOLED: AtomicUsize = AtomicUsize::new(256);

/// The process-wide pool of empty pipes (read end, write end).
static PIPES: Mutex<Vec<Pipe>> = Mutex::new(Vec::new());

struct Pipe {
    r: OwnedFd,
    w: OwnedFd,
    /// Bytes the pipe can hold.
    size: usize,
}

/// Relays both directions until both have reached EOF, or one fails.
pub async fn relay(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    m: &ListenerMetrics,
    activity: &Activity,
) -> io::Result<()> {
    let (client_r, client_w) = client.split();
    let (upstream_r, upstream_w) = upstream.split();
    let up = one_way(client_r, upstream_w, [&m.bytes_in, &m.spliced], activity);
    let down = one_way(upstream_r, client_w, [&m.bytes_out, &m.spliced], activity);
    tokio::try_join!(up, down)?;
    Ok(())
}

fn take_pipe() -> io::Result<Pipe> {
    let pooled = PIPES.lock().ok().and_then(|mut p| p.pop());
    if let Some(p) = pooled {
        return Ok(p);
    }
    let (r, w) = pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC)?;
    // A smaller pipe (limit lowered by the admin) still works, just with more syscalls.
    let size = rustix::pipe::fcntl_setpipe_size(&w, PIPE_SIZE).unwrap_or(64 * 1024);
    Ok(Pipe { r, w, size })
}

/// Returns an empty pipe to the pool.
fn give_back(p: Pipe) {
    if let Ok(mut pool) = PIPES.lock()
        && pool.len() < MAX_POOLED.load(Ordering::Relaxed)
    {
        pool.push(p);
    }
}

/// Keeps at most `pipes` empty pipes for reuse (closing any beyond that now).
pub fn set_pool_capacity(pipes: usize) {
    MAX_POOLED.store(pipes, Ordering::Relaxed);
    if let Ok(mut pool) = PIPES.lock() {
        pool.truncate(pipes);
    }
}

/// Moves `from` → `to` until EOF, then shuts down `to`'s write half. Counts the bytes in
/// `counters[0]`, and those spliced also in `counters[1]`.
async fn one_way(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    [counter, spliced]: [&Counter; 2],
    activity: &Activity,
) -> io::Result<()> {
    let mut switch = ModeSwitch::new();
    let mut pipe: Option<Pipe> = None;
    loop {
        let mode = switch.mode();
        let moved = match mode {
            Mode::Copy => copy::chunk(&mut from, &mut to).await?,
            Mode::Splice => splice_chunk(from.as_ref(), to.as_ref(), &mut pipe).await?,
        };
        if moved == 0 {
            break;
        }
        counter.inc_by(moved as u64);
        if mode == Mode::Splice {
            spliced.inc_by(moved as u64);
        }
        activity.touch();
        switch.after_read(moved);
    }
    // Every chunk is written out before the next read, so the pipe is empty at EOF.
    if let Some(p) = pipe.take() {
        give_back(p);
    }
    // Peer closed its write side: propagate the half-close. ENOTCONN means the other side is
    // already fully gone, which is not an error for us.
    match rustix::net::shutdown(to.as_ref(), Shutdown::Write) {
        Ok(()) | Err(rustix::io::Errno::NOTCONN) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Splices what `from` has into the direction's pipe (taken on first use) and from there to
/// `to`; returns the bytes moved, 0 at EOF.
async fn splice_chunk(
    from: &TcpStream,
    to: &TcpStream,
    pipe: &mut Option<Pipe>,
) -> io::Result<usize> {
    let flags = SpliceFlags::NONBLOCK | SpliceFlags::MOVE;
    let (filled, p) = loop {
        from.readable().await?;
        let p = match pipe {
            Some(p) => p,
            None => pipe.insert(take_pipe()?),
        };
        let r = from.try_io(Interest::READABLE, || {
            Ok(splice(from, None, &p.w, None, p.size, flags)?)
        });
        match r {
            Ok(n) => break (n, p),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    };
    let mut left = filled;
    while left > 0 {
        to.writable().await?;
        let r = to.try_io(Interest::WRITABLE, || {
            Ok(splice(&p.r, None, to, None, left, flags)?)
        });
        match r {
            Ok(n) => left -= n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
