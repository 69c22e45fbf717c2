//! Bounded capture (head and tail) and line splitting of a child's output.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read};

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Which output stream of the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of output, handed to the callback of
/// [`Command::run_with_lines`](crate::Command::run_with_lines) as soon as
/// it is complete.
///
/// The bytes are as the child wrote them, without the final `\n` (a `\r`
/// before it stays). A line longer than [`MAX_LINE`] bytes is handed over
/// in pieces of that size; the last line may lack its newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Line<'a> {
    /// The stream the line came from.
    pub stream: Stream,
    /// The line's bytes, without its newline.
    pub bytes: &'a [u8],
}

impl Line<'_> {
    /// The line as text, invalid UTF-8 replaced and a trailing `\r` removed.
    pub fn text(&self) -> Cow<'_, str> {
        let bytes = self.bytes.strip_suffix(b"\r").unwrap_or(self.bytes);
        String::from_utf8_lossy(bytes)
    }
}

/// The longest line handed to a line callback in one piece.
pub const MAX_LINE: usize = 64 * 1024;

/// What was kept of one output stream: all of it when it fit the capture
/// limit, otherwise its first and last bytes with the count of those left
/// out between them.
///
/// Bytes are kept as they are: output that is not UTF-8 is not an error,
/// and [`text`](Captured::text) gives a lossy reading. `Debug` shows only
/// sizes, so that logging an error never prints what a command wrote.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Captured {
    head: Vec<u8>,
    tail: Vec<u8>,
    omitted: u64,
}

impl Captured {
    /// The kept bytes: all of them when nothing was omitted, otherwise the
    /// first part (see [`tail`](Captured::tail) for the last).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The last bytes when some were omitted before them; empty otherwise.
    pub fn tail(&self) -> &[u8] {
        &self.tail
    }

    /// How many bytes were left out between head and tail.
    pub fn omitted(&self) -> u64 {
        self.omitted
    }

    /// Whether bytes were left out.
    pub fn is_truncated(&self) -> bool {
        self.omitted > 0
    }

    /// How many bytes the stream carried in all.
    pub fn total_len(&self) -> u64 {
        self.head.len() as u64 + self.tail.len() as u64 + self.omitted
    }

    /// The whole output when it was kept whole, `None` when truncated.
    pub fn bytes(&self) -> Option<&[u8]> {
        (!self.is_truncated()).then_some(self.head.as_slice())
    }

    /// The kept output as text (invalid UTF-8 replaced); a truncated one
    /// reads `head`, a line `[... N bytes omitted ...]`, then `tail`.
    pub fn text(&self) -> Cow<'_, str> {
        if !self.is_truncated() {
            return String::from_utf8_lossy(&self.head);
        }
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("[... {} bytes omitted ...]\n", self.omitted));
        text.push_str(&String::from_utf8_lossy(&self.tail));
        Cow::Owned(text)
    }

    /// The last `max` bytes of the stream (fewer when less was kept).
    pub(crate) fn last_bytes(&self, max: usize) -> Vec<u8> {
        let mut all = Vec::with_capacity(max.min(self.head.len() + self.tail.len()));
        let from_tail = self.tail.len().min(max);
        let from_head = (max - from_tail).min(self.head.len());
        all.extend_from_slice(&self.head[self.head.len() - from_head..]);
        all.extend_from_slice(&self.tail[self.tail.len() - from_tail..]);
        all
    }
}

impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captured")
            .field("total_len", &self.total_len())
            .field("omitted", &self.omitted)
            .finish_non_exhaustive()
    }
}

/// Serialized as `{"text": ..., "total_bytes": n, "omitted_bytes": m}`,
/// the text as [`Captured::text`] gives it.
impl Serialize for Captured {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Captured", 3)?;
        s.serialize_field("text", &self.text())?;
        s.serialize_field("total_bytes", &self.total_len())?;
        s.serialize_field("omitted_bytes", &self.omitted)?;
        s.end()
    }
}

/// The most kept of a stream's end. Every byte past the head is written
/// into the tail as it arrives, so the tail's size decides what capture
/// costs: 1 MiB stays in the CPU's caches, where 8 MiB would not, and
/// capture would run a third slower.
pub(crate) const MAX_TAIL: usize = 1 << 20;

/// How many of `limit` bytes the tail keeps: half, up to [`MAX_TAIL`].
pub(crate) fn tail_len(limit: usize) -> usize {
    (limit / 2).min(MAX_TAIL)
}

/// Keeps the first bytes of a stream and its last [`tail_len`] bytes,
/// `limit` in all, in memory that grows with what is kept.
#[derive(Debug)]
pub(crate) struct Keeper {
    head_cap: usize,
    head: Vec<u8>,
    tail: Ring,
    total: u64,
}

impl Keeper {
    pub(crate) fn new(limit: usize) -> Keeper {
        Keeper {
            head_cap: limit - tail_len(limit),
            head: Vec::new(),
            tail: Ring::new(tail_len(limit)),
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.head_cap - self.head.len();
        if room > 0 {
            let take = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        if !bytes.is_empty() {
            self.tail.push(bytes);
        }
    }

    /// Where a read of up to `max` bytes can land without a copy: a slot
    /// of the tail once the head is full.
    fn slot(&mut self, max: usize) -> Option<&mut [u8]> {
        if self.head.len() < self.head_cap {
            return None;
        }
        self.tail.slot(max)
    }

    /// `n` bytes were read into the slot.
    fn commit(&mut self, n: usize) {
        self.total += n as u64;
        self.tail.advance(n);
    }

    pub(crate) fn finish(self) -> Captured {
        let Keeper {
            mut head,
            tail,
            total,
            ..
        } = self;
        let tail = tail.into_vec();
        let omitted = total - head.len() as u64 - tail.len() as u64;
        if omitted == 0 {
            head.extend_from_slice(&tail);
            Captured {
                head,
                tail: Vec::new(),
                omitted,
            }
        } else {
            Captured {
                head,
                tail,
                omitted,
            }
        }
    }
}

/// The last `cap` bytes pushed. The buffer is allocated whole on first
/// use (zeroed lazily by the allocator, so untouched pages cost nothing),
/// and reads can land in it directly ([`Ring::slot`]).
#[derive(Debug)]
struct Ring {
    cap: usize,
    buf: Vec<u8>,
    /// Valid bytes, up to `cap`; until the first wrap they are `buf[..filled]`.
    filled: usize,
    /// Where the next byte goes (the oldest byte once full).
    next: usize,
}

impl Ring {
    fn new(cap: usize) -> Ring {
        Ring {
            cap,
            buf: Vec::new(),
            filled: 0,
            next: 0,
        }
    }

    fn allocate(&mut self) {
        if self.buf.len() < self.cap {
            self.buf = vec![0; self.cap];
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.cap == 0 {
            return;
        }
        self.allocate();
        let bytes = &bytes[bytes.len().saturating_sub(self.cap)..];
        let first = (self.cap - self.next).min(bytes.len());
        self.buf[self.next..self.next + first].copy_from_slice(&bytes[..first]);
        let rest = &bytes[first..];
        self.buf[..rest.len()].copy_from_slice(rest);
        self.advance(bytes.len());
    }

    /// Room for up to `max` bytes at the write position, for a read to
    /// fill before [`Ring::advance`]; `None` when the ring keeps nothing.
    fn slot(&mut self, max: usize) -> Option<&mut [u8]> {
        if self.cap == 0 {
            return None;
        }
        self.allocate();
        let end = self.cap.min(self.next + max);
        Some(&mut self.buf[self.next..end])
    }

    fn advance(&mut self, n: usize) {
        self.next = (self.next + n) % self.cap;
        self.filled = (self.filled + n).min(self.cap);
    }

    fn into_vec(mut self) -> Vec<u8> {
        if self.filled < self.cap {
            self.buf.truncate(self.filled);
        } else {
            self.buf.rotate_left(self.next);
        }
        self.buf
    }
}

/// Cuts a stream into lines for a callback.
#[derive(Debug, Default)]
pub(crate) struct Splitter {
    partial: Vec<u8>,
}

impl Splitter {
    pub(crate) fn push(&mut self, stream: Stream, mut bytes: &[u8], f: &mut dyn FnMut(Line<'_>)) {
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            let (line, rest) = (&bytes[..nl], &bytes[nl + 1..]);
            if self.partial.is_empty() {
                f(Line {
                    stream,
                    bytes: line,
                });
            } else {
                self.partial.extend_from_slice(line);
                f(Line {
                    stream,
                    bytes: &self.partial,
                });
                self.partial.clear();
            }
            bytes = rest;
        }
        self.partial.extend_from_slice(bytes);
        while self.partial.len() >= MAX_LINE {
            f(Line {
                stream,
                bytes: &self.partial[..MAX_LINE],
            });
            self.partial.drain(..MAX_LINE);
        }
    }

    pub(crate) fn finish(&mut self, stream: Stream, f: &mut dyn FnMut(Line<'_>)) {
        if !self.partial.is_empty() {
            f(Line {
                stream,
                bytes: &self.partial,
            });
            self.partial.clear();
        }
    }
}

/// What happens to the bytes of one piped stream: kept, split into lines.
#[derive(Debug)]
pub(crate) struct Sink {
    stream: Stream,
    keeper: Keeper,
    splitter: Option<Splitter>,
}

impl Sink {
    pub(crate) fn new(stream: Stream, limit: usize, lines: bool) -> Sink {
        Sink {
            stream,
            keeper: Keeper::new(limit),
            splitter: lines.then(Splitter::default),
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8], f: &mut dyn FnMut(Line<'_>)) {
        self.keeper.push(bytes);
        if let Some(s) = &mut self.splitter {
            s.push(self.stream, bytes, f);
        }
    }

    /// One read from `pipe`: into the tail directly when the head is full
    /// (no copy at gigabytes per second), else through `scratch`. The
    /// bytes read go to the line callback either way; `Ok(0)` at the end.
    pub(crate) fn read_from(
        &mut self,
        pipe: &mut impl Read,
        scratch: &mut [u8],
        f: &mut dyn FnMut(Line<'_>),
    ) -> io::Result<usize> {
        if let Some(slot) = self.keeper.slot(scratch.len()) {
            let n = pipe.read(slot)?;
            if let Some(s) = &mut self.splitter {
                s.push(self.stream, &slot[..n], f);
            }
            self.keeper.commit(n);
            return Ok(n);
        }
        let n = pipe.read(scratch)?;
        self.push(&scratch[..n], f);
        Ok(n)
    }

    /// The stream ended (or was abandoned): the last partial line goes out.
    pub(crate) fn end(&mut self, f: &mut dyn FnMut(Line<'_>)) {
        if let Some(s) = &mut self.splitter {
            s.finish(self.stream, f);
        }
    }

    pub(crate) fn finish(self) -> Captured {
        self.keeper.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keep(limit: usize, chunks: &[&[u8]]) -> Captured {
        let mut k = Keeper::new(limit);
        for c in chunks {
            k.push(c);
        }
        k.finish()
    }

    #[test]
    fn the_tail_is_half_the_limit_up_to_a_mebibyte() {
        assert_eq!(
            (tail_len(10), tail_len(11), tail_len(16 << 20)),
            (5, 5, MAX_TAIL)
        );
        let mut k = Keeper::new(16 << 20);
        k.push(&vec![1; 20 << 20]);
        let c = k.finish();
        assert_eq!(
            (c.head().len(), c.tail().len()),
            ((16 << 20) - MAX_TAIL, MAX_TAIL)
        );
    }

    #[test]
    fn keeps_all_that_fits_and_marks_the_rest() {
        let whole = keep(11, &[b"hello", b" world"]);
        assert_eq!(whole.bytes(), Some(&b"hello world"[..]));
        assert_eq!(whole.total_len(), 11);
        let cut = keep(10, &[b"hello", b" world"]);
        assert_eq!(
            (cut.head(), cut.tail(), cut.omitted()),
            (&b"hello"[..], &b"world"[..], 1)
        );
        assert_eq!(cut.bytes(), None);
        assert_eq!(cut.text(), "hello\n[... 1 bytes omitted ...]\nworld");
        assert_eq!(cut.last_bytes(7), b"loworld");
        let none = keep(0, &[b"abc"]);
        assert_eq!(
            (none.head(), none.tail(), none.omitted()),
            (&b""[..], &b""[..], 3)
        );
        assert_eq!(
            format!("{cut:?}"),
            "Captured { total_len: 11, omitted: 1, .. }"
        );
    }

    #[test]
    fn lines_are_split_across_chunks_and_long_ones_cut() {
        let mut got = Vec::new();
        let mut f = |l: Line<'_>| got.push((l.stream, l.bytes.to_vec()));
        let mut s = Splitter::default();
        s.push(Stream::Stdout, b"a\nb", &mut f);
        s.push(Stream::Stdout, b"c\r\n\nd", &mut f);
        s.finish(Stream::Stdout, &mut f);
        let long = vec![b'x'; MAX_LINE + 3];
        s.push(Stream::Stderr, &long, &mut f);
        s.finish(Stream::Stderr, &mut f);
        let lines: Vec<&[u8]> = got.iter().map(|(_, b)| b.as_slice()).collect();
        assert_eq!(lines[..4], [&b"a"[..], b"bc\r", b"", b"d"]);
        assert_eq!(lines[4].len(), MAX_LINE);
        assert_eq!(lines[5], b"xxx");
        assert_eq!(got[5].0, Stream::Stderr);
        let line = Line {
            stream: Stream::Stdout,
            bytes: b"caf\xe9\r",
        };
        assert_eq!(line.text(), "caf\u{fffd}");
    }

    proptest! {
        #[test]
        fn reading_into_the_tail_keeps_what_pushing_keeps(
            data in proptest::collection::vec(any::<u8>(), 0..400),
            limit in 0usize..120,
            chunk in 1usize..40,
        ) {
            let mut pushed = Keeper::new(limit);
            pushed.push(&data);
            let mut sink = Sink::new(Stream::Stdout, limit, true);
            let mut lines = Vec::new();
            let mut on_line = |l: Line<'_>| lines.push(l.bytes.to_vec());
            let mut reader = &data[..];
            let mut scratch = vec![0; chunk];
            while sink.read_from(&mut reader, &mut scratch, &mut on_line).unwrap() > 0 {}
            sink.end(&mut on_line);
            prop_assert_eq!(sink.finish(), pushed.finish());
            let expected: Vec<Vec<u8>> = data
                .split(|&b| b == b'\n')
                .map(<[u8]>::to_vec)
                .collect();
            let expected = match expected.split_last() {
                Some((last, rest)) if last.is_empty() => rest.to_vec(),
                _ => expected,
            };
            prop_assert_eq!(lines, expected);
        }

        #[test]
        fn head_and_tail_are_the_ends_of_the_stream(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(0usize..300, 0..8),
            limit in 0usize..120,
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut k = Keeper::new(limit);
            let mut from = 0;
            for c in cuts.into_iter().chain([data.len()]) {
                k.push(&data[from..c]);
                from = c;
            }
            let c = k.finish();
            prop_assert_eq!(c.total_len(), data.len() as u64);
            if data.len() <= limit {
                prop_assert_eq!(c.bytes(), Some(data.as_slice()));
            } else {
                let head = limit - tail_len(limit);
                prop_assert_eq!(c.head(), &data[..head]);
                prop_assert_eq!(c.tail(), &data[data.len() - tail_len(limit)..]);
            }
        }
    }
}
