//! The fast path for the common and combined formats: one pass over a
//! block that parses a line's fields left to right and then finds the
//! line's end from the last field parsed, instead of a pass to split lines
//! and another to parse them.
//!
//! It reads only lines of the usual shape (a dotted-quad or other short
//! client, a 26-byte time, no escaped quote ending the request) and gives
//! up on anything else, which the caller then reads the reference way
//! ([`for_each_line`](crate::for_each_line) rules, [`clf::parse`](super::clf::parse)).
//! So it need not handle every quirk: only never accept a line that the
//! reference reads differently. A property test checks this on random
//! blocks.

use super::record::parse_status;
use crate::aggregate::ShortKey;
use crate::simd::any_at;

/// The fields of one line, and where the line ends.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ClfLine<'a> {
    /// `%h`, which may be `-`.
    pub client: &'a [u8],
    /// The client packed as a count key, when it is short enough.
    pub client_key: Option<ShortKey>,
    /// `%t` without brackets: always 26 bytes in a valid time.
    pub time: &'a [u8; 26],
    /// `%r` without quotes, which may be `-`.
    pub request: &'a [u8],
    /// `%>s`.
    pub status: u16,
    /// `%b` (`None` for `-`).
    pub bytes_sent: Option<u64>,
    /// The line's length without its terminator (`\n` or `\r\n`).
    pub text_len: usize,
    /// Where the line's `\n` is (the block's length for a last line without
    /// one): the next line starts after it.
    pub end: usize,
}

const ONES: u128 = u128::from_le_bytes([1; 16]);
const HIGHS: u128 = ONES * 0x80;

/// A mask with bit 7 of each byte of `v` equal to `b` set. Bytes above the
/// first match may be set wrongly (the subtraction borrows), so only the
/// lowest set bit is reliable.
#[inline]
fn bytes_equal(v: u128, b: u8) -> u128 {
    let x = v ^ (ONES * u128::from(b));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The first `' '` in `s`, if it comes before any `\n` and within `limit`
/// bytes, and is not at `s[0]`; with the token packed as a key when short.
#[inline(always)]
fn token_end(s: &[u8], limit: usize) -> Option<(usize, Option<ShortKey>)> {
    if let Some(chunk) = s.first_chunk::<16>() {
        let m = any_at(s, 0, [b' ', b'\n']) & 0xffff;
        if m != 0 {
            let i = m.trailing_zeros() as usize;
            // Here `i <= 15`.
            let key = ShortKey::from_prefix(*chunk, i);
            return (i > 0 && s[i] == b' ').then_some((i, Some(key)));
        }
    }
    let i = s
        .iter()
        .take(limit)
        .position(|&c| c == b' ' || c == b'\n')?;
    (i > 0 && s[i] == b' ').then(|| (i, ShortKey::new(&s[..i])))
}

/// Whether no byte of the time is `]` or `\n` (else the reference reads
/// a different time, or another line): [`parse`] leaves this check to its
/// caller, which need make it only when the time differs from the last
/// line's.
#[inline]
pub(super) fn time_is_clean(t: &[u8; 26]) -> bool {
    let mut a = [0u8; 16];
    let mut b = [0u8; 16];
    a.copy_from_slice(&t[..16]);
    b.copy_from_slice(&t[10..]);
    let (a, b) = (u128::from_le_bytes(a), u128::from_le_bytes(b));
    (bytes_equal(a, b']') | bytes_equal(a, b'\n') | bytes_equal(b, b']') | bytes_equal(b, b'\n'))
        == 0
}

/// The digits at the start of `v` (8 bytes read little-endian), when
/// 1 to 7: their count and value, word at a time.
#[inline]
fn short_number(v: u64) -> Option<(usize, u64)> {
    const LOW: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    // Per byte, non-zero unless an ASCII digit: high nibble 3, low <= 9
    // (adding 6 carries into the high nibble only above 9; no byte carries
    // into the next).
    let bad = ((v & !LOW) ^ 0x3030_3030_3030_3030) | (((v & LOW) + 0x0606_0606_0606_0606) & !LOW);
    // Bit 7 set in each non-zero byte of `bad`.
    let high = 0x8080_8080_8080_8080;
    let nonzero = (((bad & !high) + !high) | bad) & high;
    let n = (nonzero.trailing_zeros() / 8) as usize;
    if n == 0 || n == 8 {
        return None;
    }
    // The digits' values, moved up so that the bytes below are leading
    // zeros; then pairs, quads and the whole summed by multiplication.
    let d = (v & LOW) << (8 * (8 - n));
    let d = (d & LOW).wrapping_mul(2561) >> 8;
    let d = (d & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    let d = (d & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32;
    Some((n, d))
}

/// Where the first `\n` of `s` is (`s.len()` without one): a window of
/// byte masks at a time, which for the rest of a line (60 to 190 bytes)
/// costs less than a search's set-up.
#[inline(always)]
fn line_end(s: &[u8]) -> usize {
    let mut at = 0;
    while at < s.len() {
        let m = any_at(s, at, [b'\n']);
        if m != 0 {
            // The zeros past the end of `s` never match.
            return at + m.trailing_zeros() as usize;
        }
        at += 64;
    }
    s.len()
}

/// Parses the line at the start of `s`, which runs on to the end of the
/// block; `None` when the line is not of the usual shape (whether or not
/// the reference parser accepts it). The line is read as the reference
/// reads it only if [`time_is_clean`] holds for its time.
#[inline]
pub(super) fn parse(s: &[u8]) -> Option<ClfLine<'_>> {
    let (sp, client_key) = token_end(s, 64)?;
    let client = &s[..sp];
    let mut p = sp + 1;
    if s.get(p..p + 4) == Some(b"- - ") {
        p += 4;
    } else {
        // Ident and user: one non-empty token each.
        p += token_end(&s[p..], 256)?.0 + 1;
        p += token_end(&s[p..], 256)?.0 + 1;
    }

    let time: &[u8; 26] = s.get(p + 1..p + 27)?.try_into().ok()?;
    if s[p] != b'[' || s.get(p + 27..p + 30) != Some(b"] \"") {
        return None;
    }
    p += 30;

    // Requests are short: one window of masks usually finds their end.
    let m = any_at(s, p, [b'"', b'\n']);
    let q = if m != 0 {
        p + m.trailing_zeros() as usize
    } else {
        p + 64 + crate::search::find2(b'"', b'\n', s.get(p + 64..)?)?
    };
    if q >= s.len() {
        return None;
    }
    // An escaped quote, or a request running into the next line: leave
    // them to the reference.
    if s[q] != b'"' || s[q - 1] == b'\\' {
        return None;
    }
    let request = &s[p..q];
    let st = s.get(q + 1..q + 6)?;
    if st[0] != b' ' || st[4] != b' ' {
        return None;
    }
    let status = parse_status(&st[1..4])?;
    p = q + 6;

    // 1 to 7 digits, word at a time: the byte after them is no digit.
    let short = s.get(p..p + 8).and_then(|chunk| {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        short_number(u64::from_le_bytes(b))
    });
    let (mut i, mut bytes) = short.map_or((p, 0), |(n, v)| (p + n, v));
    // Longer numbers, or near the block's end: digit by digit. Twenty
    // digits may overflow: the reference decides.
    while short.is_none()
        && i - p < 20
        && let Some(&c) = s.get(i)
    {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // Wraps only at the twentieth digit, whose value is not used.
        bytes = bytes.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    let bytes_sent = match i - p {
        0 if s.get(p) == Some(&b'-') => {
            i += 1;
            None
        }
        1..=19 => Some(bytes),
        _ => return None,
    };

    let (text_len, end) = match s.get(i) {
        None => (i, i),
        Some(b'\n') => (i, i),
        Some(b'\r') => match s.get(i + 1) {
            None | Some(b'\n') => (i, i + 1),
            Some(_) => return None,
        },
        Some(b' ') => {
            let end = i + line_end(&s[i..]);
            (end - usize::from(s[end - 1] == b'\r'), end)
        }
        Some(_) => return None,
    };
    Some(ClfLine {
        client,
        client_key,
        time,
        request,
        status,
        bytes_sent,
        text_len,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::clf;
    use crate::access::record::Request;
    use crate::{AccessAnalyzer, AccessStats, LogFormat};
    use proptest::prelude::*;

    const LINE: &[u8] = br#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a.png HTTP/1.1" 200 203023 "http://x/" "Mozilla/5.0""#;

    #[test]
    fn usual_line() {
        let mut block = LINE.to_vec();
        block.extend_from_slice(b"\r\nnext\n");
        let l = parse(&block);
        let Some(l) = l else { panic!("not parsed") };
        assert_eq!(l.client, b"83.149.9.216");
        assert_eq!(l.client_key, ShortKey::new(b"83.149.9.216"));
        assert_eq!(l.time, b"17/May/2015:10:05:03 +0000");
        assert_eq!(l.request, b"GET /a.png HTTP/1.1");
        assert_eq!((l.status, l.bytes_sent), (200, Some(203_023)));
        assert_eq!((l.text_len, l.end), (LINE.len(), LINE.len() + 1));
        // A common-format line ending after the byte count, in each way.
        for (tail, text_len, end) in [("", 0, 0), ("\n", 0, 0), ("\r", 0, 1), ("\r\nx", 0, 1)] {
            let line = format!(r#"::1 frank x [10/Oct/2000:13:55:36 -0700] "-" 304 -{tail}"#);
            let base = line.len() - tail.len();
            let l = parse(line.as_bytes());
            assert_eq!(
                l.map(|l| (l.client, l.client_key, l.bytes_sent, l.text_len, l.end)),
                Some((
                    &b"::1"[..],
                    ShortKey::new(b"::1"),
                    None,
                    base + text_len,
                    base + end
                )),
                "{line:?}"
            );
        }
    }

    #[test]
    fn short_numbers() {
        let n = |b: &[u8; 8]| short_number(u64::from_le_bytes(*b));
        assert_eq!(n(b"1234567 "), Some((7, 1_234_567)));
        assert_eq!(n(b"0 \"-\" \"x"), Some((1, 0)));
        assert_eq!(n(b"203023\r\n"), Some((6, 203_023)));
        assert_eq!(n(b"09/x\0\0\0\0"), Some((2, 9)));
        assert_eq!(n(b"12345678"), None);
        assert_eq!(n(b"-1234567"), None);
        assert_eq!(n(b":/.@`\x7f\xb0\xb9"), None);
        for v in [0u64, 1, 9, 10, 99, 1000, 4_294_967, 9_999_999] {
            let mut b = *b"        ";
            let t = v.to_string();
            b[..t.len()].copy_from_slice(t.as_bytes());
            assert_eq!(n(&b), Some((t.len(), v)));
        }
    }

    #[test]
    fn unusual_lines_are_left_to_the_reference() {
        for bad in [
            &br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a\"b HTTP/1.1" 500 5"#[..],
            br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 123456789012345678901"#,
            br#"1.2.3.4 - - [17/May/2015:10:05:03] "GET /a HTTP/1.1" 200 1"#,
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET /a\n\" 200 1",
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET /a\" 200 1\r\r\n",
            b"1.2.3.4\n- - [17/May/2015:10:05:03 +0000] \"GET /a\" 200 1",
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000 \"GET /a\" 200 1",
            b"",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    fn by_reference(a: &AccessAnalyzer, block: &[u8], max_line: usize) -> AccessStats {
        let mut stats = AccessStats::default();
        let mut runs = super::super::Runs::default();
        a.scan_lines(block, max_line, &mut stats, &mut runs);
        runs.flush(&mut stats);
        stats
    }

    fn by_fast_path(a: &AccessAnalyzer, block: &[u8], max_line: usize) -> AccessStats {
        let mut stats = AccessStats::default();
        let mut runs = super::super::Runs::default();
        a.scan_clf(block, max_line, &mut stats, &mut runs);
        runs.flush(&mut stats);
        stats
    }

    /// Usual lines, some with bytes replaced by the ones that delimit
    /// fields, some cut short: the near misses a fast path gets wrong.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let client = prop_oneof![
            4 => Just("10.0.0.1"),
            2 => Just("255.255.255.255"),
            1 => Just("010.0.0.1"),
            1 => Just("2001:db8::7"),
            1 => Just("-"),
            1 => Just("a-very-long-host-name.example.com"),
        ];
        let user = prop_oneof![8 => Just("- -"), 1 => Just("- frank"), 1 => Just("x  -")];
        let time = prop_oneof![
            4 => Just("17/May/2015:10:05:03 +0000"),
            4 => Just("17/May/2015:10:05:04 +0000"),
            1 => Just("17/Mai/2015:10:05:04 +0000"),
            1 => Just("17/May/2015:10:05:04"),
        ];
        let request = prop_oneof![
            6 => Just("GET /a?b HTTP/1.1"),
            // Longer than the window that finds a request's end.
            1 => Just("GET /a/rather/long/path/that/goes/on/and/on/past/sixty-four/bytes?x=1 HTTP/1.1"),
            1 => Just("-"),
            1 => Just(""),
            1 => Just(r#"GET /a\"b HTTP/1.1"#),
            1 => Just(r#"GET /a\\"#),
        ];
        let status =
            prop_oneof![4 => Just("200"), 4 => Just("503"), 1 => Just("099"), 1 => Just("20")];
        let bytes = prop_oneof![
            2 => Just("-"),
            2 => Just("0"),
            4 => Just("1234"),
            1 => Just("1844674407370955161"),
            1 => Just("9876543"),
            1 => Just("12345678"),
            1 => Just("000"),
            1 => Just("18446744073709551615"),
            1 => Just("18446744073709551616"),
            1 => Just("-5"),
            1 => Just(""),
        ];
        let tail = prop_oneof![
            Just(""),
            Just(r#" "-" "curl/8""#),
            // More than two windows of masks to the line's end.
            Just(
                r#" "https://shop.example.org/static/js/chunk-1e2d2a40.js" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36""#
            ),
            Just(r#" "-" "unclosed"#),
            Just(" "),
        ];
        let edits = prop_oneof![2 => Just(Vec::new()), 1 => proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop_oneof![
                    Just(b' '),
                    Just(b'"'),
                    Just(b'\\'),
                    Just(b'\r'),
                    Just(b'\n'),
                    Just(b'-'),
                    Just(b'['),
                    Just(b']'),
                    Just(b'7'),
                    Just(0xff),
                ],
            ),
            1..3,
        )];
        (
            (client, user, time, request),
            (status, bytes, tail),
            edits,
            prop_oneof![3 => Just(None), 1 => any::<prop::sample::Index>().prop_map(Some)],
        )
            .prop_map(|((c, u, t, r), (s, b, tail), edits, cut)| {
                let mut l = format!(r#"{c} {u} [{t}] "{r}" {s} {b}{tail}"#).into_bytes();
                for (at, byte) in edits {
                    let i = at.index(l.len());
                    l[i] = byte;
                }
                if let Some(cut) = cut {
                    l.truncate(cut.index(l.len() + 1));
                }
                l
            })
    }

    fn block() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec((line(), 0u8..3), 0..12),
            any::<bool>(),
        )
            .prop_map(|(lines, last)| {
                let mut out = Vec::new();
                for (l, end) in lines {
                    out.extend_from_slice(&l);
                    out.extend_from_slice([&b"\n"[..], b"\r\n", b"\r\r\n"][usize::from(end)]);
                }
                if !last && out.ends_with(b"\n") {
                    out.pop();
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_path_equals_the_reference(
            block in block(),
            max_line in prop_oneof![Just(usize::MAX), 0usize..120],
        ) {
            let a = AccessAnalyzer::new(LogFormat::Combined);
            prop_assert_eq!(by_fast_path(&a, &block, max_line), by_reference(&a, &block, max_line));
        }

        #[test]
        fn fast_parse_agrees_with_the_line_parser(block in block()) {
            if let Some(l) = parse(&block).filter(|l| time_is_clean(l.time)) {
                let end = memchr::memchr(b'\n', &block).unwrap_or(block.len());
                prop_assert_eq!(l.end, end);
                let text = block[..end].strip_suffix(b"\r").unwrap_or(&block[..end]);
                prop_assert_eq!(l.text_len, text.len());
                let r = clf::parse(text);
                let Some(r) = r else { return Err(TestCaseError::fail("reference rejects")) };
                prop_assert_eq!(r.client, (l.client != b"-").then_some(l.client));
                prop_assert_eq!(r.time.map(|t| t.bytes), Some(&l.time[..]));
                let request = match r.request {
                    Request::Line(q) => Some(q),
                    _ => None,
                };
                prop_assert_eq!(request, (l.request != b"-").then_some(l.request));
                prop_assert_eq!((r.status, r.bytes_sent), (l.status, l.bytes_sent));
                prop_assert_eq!(l.client_key, ShortKey::new(l.client));
            }
        }
    }
}
