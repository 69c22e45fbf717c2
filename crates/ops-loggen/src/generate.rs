//! The driver shared by both kinds: fills a large buffer line by line, ends
//! lines, stops at the size, and hands full buffers to the writer.

use std::io::Write;

use crate::Error;
use crate::access::AccessGen;
use crate::auth::AuthGen;
use crate::options::{GenOptions, Kind, Quirks};
use crate::rng::Rng;

/// Buffer size handed to the writer at once. Large writes amortise the
/// syscall; 1 MiB stays in L2/L3 cache while it is filled.
const FLUSH_AT: usize = 1 << 20;

/// A line is irregular with probability `1 / QUIRK_ONE_IN` when any
/// per-line quirk is enabled (then spread evenly over the enabled ones).
pub(crate) const QUIRK_ONE_IN: u64 = 32;

/// With [`Quirks::CRLF`], a line ends in `\r\n` with probability `1 / CRLF_ONE_IN`.
const CRLF_ONE_IN: u64 = 64;

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Summary {
    /// Bytes written, terminators included.
    pub bytes: u64,
    /// Lines written; a final line without terminator counts.
    pub lines: u64,
    /// Auth logs: lines written by `sshd` (with or without `[pid]`) whose
    /// message starts with `Failed ` or `message repeated N times: [ Failed `.
    /// Decoys from other programs never count. Always 0 for access logs.
    pub auth_failures: u64,
}

/// One kind of log, one line at a time.
pub(crate) trait LineGen {
    /// Appends one non-empty line without its terminator; returns whether
    /// it counts in [`Summary::auth_failures`].
    fn push_line(&mut self, buf: &mut Vec<u8>) -> bool;
}

/// Writes a log of `opts.kind()` to `writer`, whole lines, stopping at the
/// first line end at or after `opts.size_bytes()` bytes.
///
/// The output is a pure function of `opts`: equal options give identical
/// bytes on every platform. `writer` receives large writes (about 1 MiB),
/// so wrapping a file in a `BufWriter` is unnecessary; it is flushed at the
/// end.
///
/// With [`Quirks::NO_FINAL_NEWLINE`] the last line has no terminator and the
/// output stops at the first line whose text reaches the size.
///
/// # Errors
///
/// [`Error::Write`] when the writer fails; what was written stays written.
pub fn generate<W: Write>(opts: &GenOptions, writer: W) -> Result<Summary, Error> {
    match opts.kind() {
        Kind::Auth => drive(opts, AuthGen::new(opts), writer),
        Kind::Access => drive(opts, AccessGen::new(opts), writer),
    }
}

fn drive<G: LineGen, W: Write>(
    opts: &GenOptions,
    mut lines: G,
    mut writer: W,
) -> Result<Summary, Error> {
    let size = opts.size_bytes();
    let mut summary = Summary::default();
    if size == 0 {
        return Ok(summary);
    }
    let crlf = opts.quirks().contains(Quirks::CRLF);
    let no_final_newline = opts.quirks().contains(Quirks::NO_FINAL_NEWLINE);
    // A separate stream, so that turning CRLF on keeps every line's text.
    let mut ending = Rng::new(opts.seed() ^ 0x0D0A_0D0A_0D0A_0D0A);

    let mut buf = Vec::with_capacity(FLUSH_AT + (64 << 10));
    let mut flushed: u64 = 0;
    loop {
        let failure = lines.push_line(&mut buf);
        summary.lines += 1;
        summary.auth_failures += u64::from(failure);
        if no_final_newline && flushed + buf.len() as u64 >= size {
            break;
        }
        if crlf && ending.one_in(CRLF_ONE_IN) {
            buf.extend_from_slice(b"\r\n");
        } else {
            buf.push(b'\n');
        }
        // Under NO_FINAL_NEWLINE a terminator may reach the size; the next
        // line then becomes the unterminated last one.
        if !no_final_newline && flushed + buf.len() as u64 >= size {
            break;
        }
        if buf.len() >= FLUSH_AT {
            hand_over(&mut writer, &mut buf, &mut flushed)?;
        }
    }
    hand_over(&mut writer, &mut buf, &mut flushed)?;
    summary.bytes = flushed;
    writer.flush().map_err(|source| Error::Write {
        written: flushed,
        source,
    })?;
    Ok(summary)
}

/// Writes and empties `buf`, counting what was written.
fn hand_over<W: Write>(writer: &mut W, buf: &mut Vec<u8>, flushed: &mut u64) -> Result<(), Error> {
    writer.write_all(buf).map_err(|source| Error::Write {
        written: *flushed,
        source,
    })?;
    *flushed += buf.len() as u64;
    buf.clear();
    Ok(())
}

/// Schedules [`Quirks::LONG_LINES`]: the first long line comes early (so
/// that small test files contain one), then about one in 16 000 lines.
#[derive(Debug, Clone)]
pub(crate) struct LongLines {
    rng: Rng,
    line: u64,
    next: u64,
    bytes: usize,
}

impl LongLines {
    pub(crate) fn new(enabled: bool, bytes: usize, rng: &mut Rng) -> Self {
        let mut own = Rng::new(rng.next_u64());
        let next = if enabled {
            own.range(20, 200)
        } else {
            u64::MAX
        };
        Self {
            rng: own,
            line: 0,
            next,
            bytes,
        }
    }

    /// Counts a line; true when it must be long.
    #[inline]
    pub(crate) fn due(&mut self) -> bool {
        self.line += 1;
        if self.line != self.next {
            return false;
        }
        self.next = self.line + self.rng.range(8_000, 24_000);
        true
    }

    /// Length of the long field (user name, command, user agent).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Appends exactly `len` bytes repeating `pattern`.
pub(crate) fn fill_pattern(buf: &mut Vec<u8>, len: usize, pattern: &[u8]) {
    let end = buf.len() + len;
    while buf.len() < end {
        let take = pattern.len().min(end - buf.len());
        buf.extend_from_slice(&pattern[..take]);
    }
}
