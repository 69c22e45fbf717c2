//! The block-level fast path of [`AuthAnalyzer`]: search, don't split.
//!
//! Every line that changes [`AuthStats`] beyond the line counts has the
//! program `sshd` right after its host, so it holds ` sshd`; every line
//! that counts under [`AuthFocus::FailedIps`] holds `Failed `. Like grep, the
//! block is searched for that literal as a whole; line bounds are found
//! only around hits, and only those lines go through the exact per-line
//! parser. Lines are counted with one vectorised newline count per block,
//! and line numbers (for malformed samples) only while samples are wanted.
//!
//! Oversized lines must still be seen, never parsed: the block is cut into
//! segments of at most `max_line + 1` bytes ending at a newline, in which no
//! line can be oversized; a line longer than that goes through the per-line
//! path alone.

use memchr::memmem::Finder;

use super::failed::{Seen, read_hit};
use super::{AuthAnalyzer, AuthFocus, AuthStats, Outcome};
use crate::LineSamples;
use crate::simd;

/// The literal every counted line holds under [`AuthFocus::Everything`]:
/// the space after the host, then the program.
const SSHD: &[u8] = b" sshd";

/// The literal every failure holds, at the start of the message or inside
/// `message repeated N times: [ ... ]`.
const FAILED: &[u8] = b"Failed ";

/// After this many hits in a segment, the search gives way to the
/// line-by-line scan if hits came more often than every
/// `DENSE_BYTES_PER_HIT` bytes. On generated and real auth logs, where more
/// than half the lines are sshd lines, the line-by-line scan is about 10%
/// faster; on logs where sshd lines are rare the search skips most bytes.
/// Under [`AuthFocus::FailedIps`] the line-by-line scan would parse every
/// header, so the search never gives way.
const DENSE_HITS: usize = 8;
const DENSE_BYTES_PER_HIT: usize = 400;

/// A searcher for the literal of the analyzer's focus, built once per
/// analyzer.
#[derive(Debug, Clone)]
pub(super) struct LineFinder {
    finder: Finder<'static>,
    /// Whether the line-by-line scan may take over where hits are dense.
    dense_fallback: bool,
}

impl LineFinder {
    pub(super) fn new(focus: AuthFocus) -> Self {
        let (needle, dense_fallback) = match focus {
            AuthFocus::Everything => (SSHD, true),
            AuthFocus::FailedIps => (FAILED, false),
        };
        LineFinder {
            finder: Finder::new(needle),
            dense_fallback,
        }
    }
}

// The finder is derived from the focus, which the analyzer compares: its
// equality is that of its options.
impl PartialEq for LineFinder {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LineFinder {}

/// Counts the `\n` bytes of `bytes`.
#[inline]
pub(crate) fn count_newlines(bytes: &[u8]) -> u64 {
    // `memchr_iter(..).count()` is specialised to a vectorised count.
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl AuthAnalyzer {
    /// The fast `scan_block`: the same state as
    /// [`scan_block_by_line`](AuthAnalyzer::scan_block_by_line).
    pub(super) fn scan_block_fast(&self, block: &[u8], max_line: usize, stats: &mut AuthStats) {
        let mut pos = 0;
        while pos < block.len() {
            let rest = &block[pos..];
            // A line of a segment is no longer than the segment without its
            // last newline: at most `max_line` bytes.
            if rest.len() <= max_line {
                self.scan_segment(rest, stats);
                return;
            }
            match memchr::memrchr(b'\n', &rest[..=max_line]) {
                Some(nl) => {
                    self.scan_segment(&rest[..=nl], stats);
                    pos += nl + 1;
                }
                None => {
                    // The line at `pos` has more than `max_line` bytes before
                    // its terminator: oversized, unless the last is a `\r`.
                    let len = memchr::memchr(b'\n', &rest[max_line + 1..])
                        .map_or(rest.len(), |i| max_line + 1 + i + 1);
                    self.scan_block_by_line(&rest[..len], max_line, stats);
                    pos += len;
                }
            }
        }
    }

    /// Scans whole lines none of which is over the length limit.
    fn scan_segment(&self, seg: &[u8], stats: &mut AuthStats) {
        if self.focus == AuthFocus::FailedIps && self.range.is_unbounded() {
            self.scan_segment_failed(seg, stats);
            return;
        }
        let base = stats.totals.lines;
        // Newlines before `counted`, counted only when a sample needs them.
        let (mut counted, mut counted_lines) = (0, 0);
        let mut pos = 0;
        let mut hits = 0usize;
        while let Some(i) = self.finder.finder.find(&seg[pos..]) {
            let hit = pos + i;
            hits += 1;
            if self.finder.dense_fallback && hits > DENSE_HITS && hit < hits * DENSE_BYTES_PER_HIT {
                // Most lines are sshd lines: a search per line costs more
                // than splitting every line. `pos` starts a line.
                stats.totals.lines += count_newlines(&seg[..pos]);
                self.scan_block_by_line(&seg[pos..], usize::MAX, stats);
                return;
            }
            // `pos` is the start of a line, so the line of the hit starts in
            // `pos..=hit`.
            let start = memchr::memrchr(b'\n', &seg[pos..hit]).map_or(pos, |j| pos + j + 1);
            let end = memchr::memchr(b'\n', &seg[hit..]).map_or(seg.len(), |j| hit + j);
            let line = match &seg[start..end] {
                [rest @ .., b'\r'] => rest,
                line => line,
            };
            if self.scan_line(line, stats) == Outcome::Malformed
                && stats.malformed_lines.as_slice().len() < LineSamples::CAP
            {
                counted_lines += count_newlines(&seg[counted..start]);
                counted = start;
                stats.malformed_lines.push(base + counted_lines + 1);
            }
            pos = end + 1;
            if pos >= seg.len() {
                break;
            }
        }
        let unterminated = seg.last().is_some_and(|&b| b != b'\n');
        stats.totals.lines += count_newlines(seg) + u64::from(unterminated);
    }
}

/// Where the line holding `seg[hit]` starts, given that one starts at
/// `pos <= hit`: after the last `\n` before the hit, looked for a window of
/// byte masks at a time (the header before `Failed ` is 40 to 90 bytes,
/// where a search's set-up costs more than the search).
#[inline]
fn line_start(seg: &[u8], pos: usize, hit: usize) -> usize {
    let mut end = hit;
    while end > pos {
        let at = end.saturating_sub(64).max(pos);
        let n = end - at;
        let m = simd::any_at(seg, at, [b'\n']) & (u64::MAX >> (64 - n));
        if m != 0 {
            return at + 64 - m.leading_zeros() as usize;
        }
        end = at;
    }
    pos
}

impl AuthAnalyzer {
    /// [`scan_segment`](Self::scan_segment) under [`AuthFocus::FailedIps`]
    /// without a time range: each hit's line is read by [`read_hit`], and
    /// by the reference only when that gives up. Under this focus no line
    /// is malformed, so no line numbers are needed.
    fn scan_segment_failed(&self, seg: &[u8], stats: &mut AuthStats) {
        /// Newlines are counted this many bytes at a time, right behind the
        /// search, while the bytes are still in the L2 cache (a block is
        /// larger than it).
        const COUNT_CHUNK: usize = 64 << 10;
        let mut cache = Seen::default();
        let (mut counted, mut lines) = (0, 0);
        let mut pos = 0;
        while let Some(i) = self.finder.finder.find(&seg[pos..]) {
            let hit = pos + i;
            // `pos` starts a line, so the hit's line starts in `pos..=hit`.
            let start = line_start(seg, pos, hit);
            let (end, failure) = read_hit(seg, start, hit, &mut cache);
            match failure {
                Some(f) => {
                    stats.failed = stats.failed.saturating_add(f.count);
                    stats.failed_by_ip.add_short(f.key, f.count);
                }
                None => {
                    let line = match &seg[start..end] {
                        [rest @ .., b'\r'] => rest,
                        line => line,
                    };
                    self.scan_line(line, stats);
                }
            }
            pos = end + 1;
            if pos >= seg.len() {
                break;
            }
            if pos - counted >= COUNT_CHUNK {
                lines += count_newlines(&seg[counted..pos]);
                counted = pos;
            }
        }
        let unterminated = seg.last().is_some_and(|&b| b != b'\n');
        lines += count_newlines(&seg[counted..]);
        stats.totals.lines += lines + u64::from(unterminated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Analyzer;

    fn both(block: &[u8], max_line: usize) -> (AuthStats, AuthStats) {
        let a = AuthAnalyzer::new();
        let (mut fast, mut slow) = (AuthStats::default(), AuthStats::default());
        a.scan_block(block, max_line, &mut fast);
        a.scan_block_by_line(block, max_line, &mut slow);
        (fast, slow)
    }

    const FAIL: &[u8] =
        b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2";
    const BAD: &[u8] =
        b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.999 port 22 ssh2";

    #[test]
    fn agrees_with_the_line_by_line_scan() {
        let mut block = Vec::new();
        for (i, line) in [FAIL, b"x", BAD, b"", BAD, b"y sshd", FAIL, BAD]
            .iter()
            .enumerate()
        {
            block.extend_from_slice(line);
            block.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
        }
        for max_line in [
            1,
            5,
            30,
            FAIL.len() - 1,
            FAIL.len(),
            FAIL.len() + 1,
            1 << 20,
        ] {
            for end in 0..=block.len() {
                let (fast, slow) = both(&block[..end], max_line);
                assert_eq!(fast, slow, "max_line {max_line}, {end} bytes");
            }
        }
        let (fast, _) = both(&block, 1 << 20);
        assert_eq!(fast.totals.lines, 8);
        let lines: Vec<u64> = fast
            .malformed_lines
            .as_slice()
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [3, 5, 8]);
        assert_eq!(fast.failed, 2);
    }

    #[test]
    fn a_line_of_max_line_bytes_and_a_cr_is_parsed() {
        let mut block = FAIL.to_vec();
        block.extend_from_slice(b"\r\n");
        block.extend_from_slice(FAIL);
        block.push(b'\r');
        let (fast, slow) = both(&block, FAIL.len());
        assert_eq!(fast, slow);
        assert_eq!((fast.failed, fast.totals.oversized), (2, 0));
        let (fast, slow) = both(&block, FAIL.len() - 1);
        assert_eq!(fast, slow);
        assert_eq!((fast.failed, fast.totals.oversized), (0, 2));
    }

    #[test]
    fn counts_newlines() {
        assert_eq!(count_newlines(b""), 0);
        assert_eq!(count_newlines(b"\n\nab\n"), 3);
        assert_eq!(count_newlines(&[b'\n'; 1000]), 1000);
    }
}
