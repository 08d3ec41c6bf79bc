//! The copy half of the relay: one `read` into a per-thread scratch buffer and one `write`
//! of what it got, for small request/response messages (see [`super::mode`]).
//!
//! The buffer belongs to the I/O thread, not the connection: a connection holds bytes only
//! when the receiving socket takes less than was read, and then just those bytes. Reads and
//! writes go through tokio's `AsyncRead`/`AsyncWrite`, which treat a short read as "drained"
//! and so spend no extra call on `EAGAIN`. This module does not decide when to copy.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::{ReadHalf, WriteHalf};

use super::mode::COPY_CHUNK;

thread_local! {
    /// One read's worth of bytes, reused by every connection of the thread.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; COPY_CHUNK].into_boxed_slice());
}

/// Moves what `from` has (at most [`COPY_CHUNK`] bytes) to `to`; returns the bytes moved,
/// 0 at EOF (nothing is written then).
///
/// # Errors
/// A failed read or write.
pub(super) async fn chunk(from: &mut ReadHalf<'_>, to: &mut WriteHalf<'_>) -> io::Result<usize> {
    let mut pending = Vec::new();
    let n =
        poll_fn(|cx| with_scratch(|buf| read_and_write(cx, buf, from, to, &mut pending))).await?;
    if !pending.is_empty() {
        to.write_all(&pending).await?;
    }
    Ok(n)
}

/// Runs `f` on the thread's scratch buffer, or on a fresh one should it be in use (it never
/// is: nothing awaits while holding it).
fn with_scratch<R>(f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(&mut buf),
        Err(_) => f(&mut vec![0; COPY_CHUNK]),
    })
}

/// One read into `buf` and as much of a write as `to` takes now; bytes it does not take are
/// appended to `pending`.
fn read_and_write(
    cx: &mut Context<'_>,
    buf: &mut [u8],
    from: &mut ReadHalf<'_>,
    to: &mut WriteHalf<'_>,
    pending: &mut Vec<u8>,
) -> Poll<io::Result<usize>> {
    let mut rb = ReadBuf::new(buf);
    ready!(Pin::new(&mut *from).poll_read(cx, &mut rb))?;
    let data = rb.filled();
    let mut written = 0;
    while written < data.len() {
        match Pin::new(&mut *to).poll_write(cx, &data[written..]) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => written += n,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => break,
        }
    }
    pending.extend_from_slice(&data[written..]);
    Poll::Ready(Ok(data.len()))
}
