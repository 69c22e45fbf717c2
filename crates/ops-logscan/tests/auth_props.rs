//! Properties of the auth analyzer: however the input is split (threads,
//! chunks, read buffers), and however states are merged, the result is the
//! one of scanning the input as one block; no input makes it panic.

mod common;

use common::auth_analyzer;
use ops_logscan::{Aggregate, Analyzer, AuthAnalyzer, AuthStats, ScannerBuilder, parse_auth_line};
use proptest::prelude::*;

/// Pieces of lines: real forms, decoys, malformed forms, odd bytes.
const FRAGMENTS: &[&[u8]] = &[
    b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2",
    b"Mar 27 13:06:57 h sshd: Failed none for invalid user  from 10.0.0.2 port 22 ssh2",
    b"Mar 28 01:00:00 h sshd[2]: Failed password for invalid user a from b from 2001:db8::1 port 9 ssh2",
    b"Mar  2 10:00:00 h sshd[3]: message repeated 3 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]",
    b"2026-03-27T13:00:00.5+00:00 h sshd[4]: Failed publickey for git from ::1 port 1 ssh2: RSA SHA256:x",
    b"Mar 27 13:06:58 h sshd[5]: Invalid user oracle from 10.0.0.4",
    b"Mar 27 13:06:59 h sshd[5]: Invalid user  from 10.0.0.5 port 4242",
    b"Mar 27 13:07:00 h sshd[6]: Accepted password for alice from 10.0.0.5 port 22 ssh2",
    b"Feb 29 13:07:00 h sshd[6]: Accepted publickey for bob from 10.0.0.6 port 22 ssh2",
    // Decoys: other programs, malformed forms.
    b"Mar 27 13:07:01 h sudo: Failed password for root from 10.0.0.7 port 22 ssh2",
    b"Mar 27 13:07:01 h sshd-keygen: Failed password for root from 10.0.0.7 port 22 ssh2",
    b"Mar 27 13:07:01 h myapp[77]: Failed password for root from 10.0.0.7 port 22 ssh2",
    b"Mar 27 13:07:02 h sshd[7]: Failed password for root from 10.0.0.999 port 22 ssh2",
    b"Mar 27 13:07:02 h sshd[7]: Failed password for root from 10.0.0.8 ssh2",
    b"Mar 27 13:07:03 h sshd[7]: message repeated 0 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]",
    b"Mar 27 13:07:04 h sshd[7]: pam_unix(sshd:auth): authentication failure; rhost=10.0.0.9",
    // Odd bytes inside a user name and around.
    b"Mar 27 13:07:05 h sshd[8]: Failed password for a\0b\xff\xfe from 10.0.0.10 port 22 ssh2",
    b"\0\xff\r",
    b"",
    b"\r",
];

#[derive(Debug, Clone)]
enum Piece {
    Fragment(usize),
    /// A long failure line: a user name of this many bytes.
    Long(usize),
    Bytes(Vec<u8>),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => (0..FRAGMENTS.len()).prop_map(Piece::Fragment),
        1 => (0usize..300).prop_map(Piece::Long),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Piece::Bytes),
    ]
}

fn terminator() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..])]
}

/// Lines built from pieces; the last one may lack its terminator.
fn input() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((piece(), terminator()), 0..40),
        any::<bool>(),
    )
        .prop_map(|(lines, unterminated)| {
            let mut out = Vec::new();
            let n = lines.len();
            for (i, (p, term)) in lines.into_iter().enumerate() {
                match p {
                    Piece::Fragment(f) => out.extend_from_slice(FRAGMENTS[f]),
                    Piece::Long(len) => {
                        out.extend_from_slice(b"Mar 27 13:07:06 h sshd[9]: Failed password for ");
                        out.extend(std::iter::repeat_n(b'u', len));
                        out.extend_from_slice(b" from 10.0.0.11 port 22 ssh2");
                    }
                    Piece::Bytes(b) => out.extend_from_slice(&b),
                }
                if !(unterminated && i + 1 == n) {
                    out.extend_from_slice(term);
                }
            }
            out
        })
}

fn one_block(a: &AuthAnalyzer, input: &[u8], max_line: usize) -> AuthStats {
    let mut s = AuthStats::default();
    a.scan_block(input, max_line, &mut s);
    s.totals.bytes = input.len() as u64;
    s
}

proptest! {
    #[test]
    fn any_split_gives_the_one_block_result(
        input in input(),
        ranged in any::<bool>(),
        threads in 1usize..4,
        chunk in 1u64..300,
        buffer in 1usize..200,
        max_line in 1usize..400,
    ) {
        let a = auth_analyzer(ranged);
        let scanner = ScannerBuilder::new()
            .threads(threads)
            .chunk_size(chunk)
            .buffer_size(buffer)
            .max_line(max_line)
            .build()
            .expect("valid options");
        let got = scanner.scan_bytes(&a, &input);
        prop_assert_eq!(got, one_block(&a, &input, max_line));
    }

    #[test]
    fn merging_halves_gives_the_whole(
        input in input(),
        ranged in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        max_line in 1usize..400,
    ) {
        let a = auth_analyzer(ranged);
        // Cut after a line terminator (or at either end).
        let mut cuts: Vec<usize> = vec![0, input.len()];
        cuts.extend(memchr::memchr_iter(b'\n', &input).map(|i| i + 1));
        let at = cuts[cut.index(cuts.len())];
        let mut first = one_block(&a, &input[..at], max_line);
        first.merge(one_block(&a, &input[at..], max_line));
        let whole = one_block(&a, &input, max_line);
        prop_assert_eq!(&first, &whole);
    }

    #[test]
    fn any_bytes_parse_without_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_auth_line(&line);
        let s = one_block(&auth_analyzer(true), &line, 1 << 20);
        let mut lines = line.split(|&b| b == b'\n').count();
        if line.is_empty() || line.ends_with(b"\n") {
            lines -= 1;
        }
        prop_assert_eq!(s.totals.lines, lines as u64);
    }

    #[test]
    fn mutated_sshd_lines_parse_without_panic(
        f in 0..FRAGMENTS.len(),
        at in any::<prop::sample::Index>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut line = FRAGMENTS[f].to_vec();
        let i = at.index(line.len() + 1);
        line.splice(i..i, bytes);
        if let Some(e) = parse_auth_line(&line) {
            // Borrowed parts lie inside the line.
            let range = line.as_ptr_range();
            prop_assert!(range.contains(&e.ip.as_ptr()) && !e.ip.is_empty());
            prop_assert!(e.user.is_empty() || range.contains(&e.user.as_ptr()));
        }
    }
}

#[test]
fn fragments_count_as_expected() {
    let mut input = Vec::new();
    for f in FRAGMENTS {
        input.extend_from_slice(f);
        input.push(b'\n');
    }
    let s = one_block(&auth_analyzer(false), &input, 1 << 20);
    assert_eq!(s.totals.lines, FRAGMENTS.len() as u64);
    // 1 + 1 + 1 + 3 + 1 + 1 (NUL user).
    assert_eq!(s.failed, 8);
    assert_eq!(s.invalid_user, 2);
    assert_eq!(s.accepted, 2);
    // Bad address, no port, repeated 0 times.
    assert_eq!(s.malformed, 3);
    let lines: Vec<u64> = s
        .malformed_lines
        .as_slice()
        .iter()
        .map(|r| r.line)
        .collect();
    assert_eq!(lines, [13, 14, 15]);
    let s = one_block(&auth_analyzer(true), &input, 1 << 20);
    // Out of March 2-27 2026: March 28 and Feb 29 (no such day in 2026).
    assert_eq!(s.filtered, 2);
    assert_eq!((s.failed, s.accepted), (7, 1));
}
