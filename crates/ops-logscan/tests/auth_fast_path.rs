//! The block-level fast path of `AuthAnalyzer::scan_block` gives exactly the
//! state of the line-by-line reference, `scan_block_by_line`, on any block
//! and any line-length limit: line counts, oversized lines, sshd lines,
//! malformed lines and their line numbers included. Under
//! `AuthFocus::FailedIps` it gives the same, and the fields that focus
//! keeps equal those of the full analysis.

mod common;

use common::auth_analyzer;
use ops_logscan::{Analyzer, AuthAnalyzer, AuthFocus, AuthStats};
use proptest::prelude::*;

/// Whole lines: real forms, decoys holding `sshd` elsewhere, malformed
/// forms (so that more than the sampled few occur), odd bytes.
const LINES: &[&[u8]] = &[
    b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2",
    b"Mar  2 10:00:00 h sshd[3]: message repeated 3 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]",
    b"2026-03-27T13:00:00.5+00:00 h sshd[4]: Failed publickey for git from ::1 port 1 ssh2: RSA SHA256:x",
    b"Mar 27 13:06:58 h sshd[5]: Invalid user oracle from 10.0.0.4",
    b"Mar 27 13:07:00 h sshd[6]: Accepted password for alice from 10.0.0.5 port 22 ssh2",
    b"Feb 29 13:07:00 h sshd[6]: Accepted publickey for bob from 10.0.0.6 port 22 ssh2",
    b"Mar 27 13:07:01 h sudo: Failed password for root from 10.0.0.7 port 22 ssh2",
    b"Mar 27 13:07:01 h sshd-keygen: Failed password for root from 10.0.0.7 port 22 ssh2",
    b"Mar 27 13:07:01 sshd sshd: Failed password for root from 10.0.0.7 port 22 ssh2",
    b"Mar 27 13:07:01 h CRON[1]: pam_unix(sshd:session): sshd sshd sshd",
    b"Mar 27 13:07:02 h sshd[7]: Failed password for root from 10.0.0.999 port 22 ssh2",
    b"Mar 27 13:07:02 h sshd[7]: Failed password for root from 010.0.0.8 port 22 ssh2",
    b"Mar 27 13:07:03 h sshd[7]: message repeated 0 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]",
    b"Mar 27 13:07:03 h sshd[7]: Invalid user x from 1.2.3.4 extra",
    b"Mar 27 13:07:05 h sshd[8]: Failed password for a\0b\xff\xfe from 10.0.0.10 port 22 ssh2",
    // The failed-IPs reader's near misses: the rightmost ` from ` rule, IPv6
    // with an `f`, a tail past 128 bytes, a repeat count that overflows.
    b"Mar 27 13:07:06 h sshd[8]: Failed password for a from 1.1.1.1 port 1 from 2.2.2.2 port 2 ssh2",
    b"Mar 27 13:07:06 h sshd[8]: Failed password for a from 1.1.1.1 port 1 from 2.2.2.2 ssh2",
    b"Mar 27 13:07:06 h sshd[8]: Failed publickey for root from fe80::f port 22 ssh2: RSA SHA256:f from",
    b"Mar 27 13:07:07 h sshd[8]: Failed publickey for invalid user postgres from 162.63.17.21 port 44137 ssh2: ED25519 SHA256:vfQuD/vdxqRlUraoJXTDHfrtDaa4pmjUvf1kfHZ6Bao",
    b"Mar 27 13:07:07 h sshd[8]: message repeated 99999999999999999999 times: [ Failed none for x from 1.2.3.4 port 5 ssh2]",
    b"Mar 27 13:07:07 h sshd[8]: message repeated 2 times: [ Failed none for x from 1.2.3.4 port 5]",
    b" sshd",
    b"sshd",
    b"\0\xff",
    b"",
];

#[derive(Debug, Clone)]
enum Piece {
    Line(usize),
    /// A failure line whose user name has this many bytes.
    Long(usize),
    /// The same line several times.
    Repeat(usize, usize),
    Bytes(Vec<u8>),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        8 => (0..LINES.len()).prop_map(Piece::Line),
        1 => (0usize..300).prop_map(Piece::Long),
        1 => ((0..LINES.len()), 2usize..20).prop_map(|(l, n)| Piece::Repeat(l, n)),
        1 => proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\0'), Just(b' '), Just(b's'), Just(b'd'), any::<u8>()],
            0..40,
        )
        .prop_map(Piece::Bytes),
    ]
}

fn terminator() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r\r\n"[..])]
}

/// Lines built from pieces; the last one may lack its terminator or end in
/// a lone `\r`.
fn block() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((piece(), terminator()), 0..60),
        0u8..3,
    )
        .prop_map(|(pieces, last)| {
            let mut out = Vec::new();
            let n = pieces.len();
            for (i, (p, term)) in pieces.into_iter().enumerate() {
                match p {
                    Piece::Line(l) => out.extend_from_slice(LINES[l]),
                    Piece::Long(len) => {
                        out.extend_from_slice(b"Mar 27 13:07:06 h sshd[9]: Failed password for ");
                        out.extend(std::iter::repeat_n(b'u', len));
                        out.extend_from_slice(b" from 10.0.0.11 port 22 ssh2");
                    }
                    Piece::Repeat(l, k) => {
                        for j in 0..k {
                            out.extend_from_slice(LINES[l]);
                            if j + 1 < k {
                                out.push(b'\n');
                            }
                        }
                    }
                    Piece::Bytes(b) => out.extend_from_slice(&b),
                }
                match (i + 1 == n, last) {
                    (true, 1) => {}
                    (true, 2) => out.push(b'\r'),
                    _ => out.extend_from_slice(term),
                }
            }
            out
        })
}

fn fast_and_reference(a: &AuthAnalyzer, block: &[u8], max_line: usize) -> (AuthStats, AuthStats) {
    let (mut fast, mut slow) = (AuthStats::default(), AuthStats::default());
    // Start from a non-empty state, as for a block that is not a part's
    // first: line numbers must continue from it.
    for s in [&mut fast, &mut slow] {
        a.scan_block_by_line(LINES[10], 1 << 20, s);
    }
    a.scan_block(block, max_line, &mut fast);
    a.scan_block_by_line(block, max_line, &mut slow);
    (fast, slow)
}

/// The analyzer of `auth_analyzer(ranged)`, focused on failed addresses.
fn failed_ips_analyzer(ranged: bool) -> AuthAnalyzer {
    let a = auth_analyzer(ranged);
    AuthAnalyzer::builder()
        .time_range(a.time_range())
        .year(a.year())
        .focus(AuthFocus::FailedIps)
        .build()
        .expect("valid analyzer")
}

/// What `AuthFocus::FailedIps` promises: the full state restricted to its
/// fields.
fn failed_ip_fields(full: &AuthStats) -> AuthStats {
    let mut kept = AuthStats::default();
    kept.totals = full.totals;
    kept.failed = full.failed;
    kept.failed_by_ip = full.failed_by_ip.clone();
    kept
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn failed_ips_focus_keeps_exactly_its_fields(
        block in block(),
        ranged in any::<bool>(),
        max_line in prop_oneof![1usize..8, 8usize..200, Just(1 << 20)],
    ) {
        let focused = failed_ips_analyzer(ranged);
        let (mut fast, mut slow) = (AuthStats::default(), AuthStats::default());
        focused.scan_block(&block, max_line, &mut fast);
        focused.scan_block_by_line(&block, max_line, &mut slow);
        prop_assert_eq!(&fast, &slow);
        let mut full = AuthStats::default();
        auth_analyzer(ranged).scan_block(&block, max_line, &mut full);
        prop_assert_eq!(fast, failed_ip_fields(&full));
    }

    #[test]
    fn fast_path_equals_line_by_line(
        block in block(),
        ranged in any::<bool>(),
        max_line in prop_oneof![1usize..8, 8usize..200, Just(1 << 20)],
    ) {
        let (fast, slow) = fast_and_reference(&auth_analyzer(ranged), &block, max_line);
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn fast_path_on_any_bytes(
        block in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(b' '), Just(b's'), Just(b'h'), Just(b'd'), any::<u8>()],
            0..300,
        ),
        max_line in 1usize..40,
    ) {
        let (fast, slow) = fast_and_reference(&auth_analyzer(false), &block, max_line);
        prop_assert_eq!(fast, slow);
    }
}

#[test]
fn more_malformed_lines_than_samples() {
    let a = auth_analyzer(false);
    let mut block = Vec::new();
    for i in 0..40 {
        block.extend_from_slice(if i % 3 == 0 { LINES[10] } else { LINES[6] });
        block.push(b'\n');
    }
    let (fast, slow) = fast_and_reference(&a, &block, 1 << 20);
    assert_eq!(fast, slow);
    assert_eq!(fast.malformed, 1 + 14);
    let lines: Vec<u64> = fast
        .malformed_lines
        .as_slice()
        .iter()
        .map(|r| r.line)
        .collect();
    assert_eq!(lines, [1, 2, 5, 8, 11]);
}
