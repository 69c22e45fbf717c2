//! The failure line read from its hit: what [`AuthFocus::FailedIps`]
//! needs (the address and the count) without the general parser's steps.
//!
//! [`read_hit`] reads a line of the usual shape (a classic timestamp,
//! `sshd[PID]: `, the `Failed ` the block search hit) with byte masks of
//! the rest of the line: the spaces give the method's end, spaces followed
//! by `f` give every ` from ` candidate, tried right to left as the
//! reference's rightmost-` from ` rule has it. It answers only when the
//! reference, [`parse_auth_line`](super::parse_auth_line), would count the
//! line as that failure. Anything else (an ISO timestamp, an IPv6 address,
//! a hit that is not where the message starts, a line too long for the
//! masks) gets `None`, and the caller runs the reference. So it need not
//! handle every form: only never count a line differently.
//!
//! [`AuthFocus::FailedIps`]: super::AuthFocus::FailedIps

use super::parse::{Port, address_then_port, is_ipv4, parse_classic};
use crate::aggregate::ShortKey;
use crate::search::{self, find_near, non_digit_mask, word};
use crate::simd::masks_at;

/// What runs of lines share, kept across the lines of a segment: the last
/// classic timestamp checked (comparing 15 bytes is cheaper than parsing
/// them), and addresses already found valid (a few attackers make most
/// failures, and checking an address costs more than looking it up).
#[derive(Debug)]
pub(super) struct Seen {
    time: Option<[u8; 15]>,
    /// A direct-mapped cache of keys of valid IPv4 addresses; 0 is no key.
    ips: [u128; 256],
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            time: None,
            ips: [0; 256],
        }
    }
}

impl Seen {
    /// Whether `ip` (at most 15 bytes, packed in `key`) is a valid IPv4
    /// address, as the reference's `is_ipv4` has it.
    #[inline(always)]
    fn valid_ipv4(&mut self, ip: &[u8], key: ShortKey) -> bool {
        let k = key.packed();
        let slot =
            ((k as u64 ^ (k >> 64) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize;
        if self.ips[slot] == k {
            return true;
        }
        let valid = is_ipv4(ip);
        if valid {
            self.ips[slot] = k;
        }
        valid
    }
}

/// What [`read_hit`] found: the address (and its packed key) and the
/// number of failures the line stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Failure<'a> {
    pub(super) ip: &'a [u8],
    pub(super) key: ShortKey,
    pub(super) count: u64,
}

/// Where the bytes from a hit to its line's end hold spaces and `f`s, a
/// bit per byte, for the first 128 bytes. Lines up to 192 bytes from the
/// hit (public-key failures have about 140) are read when no ` f` lies
/// past the first 128; the rest go to the reference.
struct After {
    /// Bytes from the hit to the line's `\n`.
    len: usize,
    spaces: u128,
    fs: u128,
}

impl After {
    #[inline]
    fn new(seg: &[u8], hit: usize) -> Option<After> {
        const NEEDLES: [u8; 3] = [b'\n', b' ', b'f'];
        let [nl, sp, f] = masks_at(seg, hit, NEEDLES);
        let (nl, sp, f) = if nl != 0 {
            (u128::from(nl), u128::from(sp), u128::from(f))
        } else {
            let [nl2, sp2, f2] = masks_at(seg, hit + 64, NEEDLES);
            let wide = |a: u64, b: u64| u128::from(a) | u128::from(b) << 64;
            (wide(nl, nl2), wide(sp, sp2), wide(f, f2))
        };
        if nl == 0 {
            // A long line: read it only if no ` f` (a ` from ` candidate)
            // lies past the masks kept.
            let [nl3, sp3, f3] = masks_at(seg, hit + 128, NEEDLES);
            let pairs = ((sp3 << 1) | (sp >> 127) as u64) & f3;
            if nl3 == 0 || pairs & ((1 << nl3.trailing_zeros()) - 1) != 0 {
                return None;
            }
            let len = 128 + nl3.trailing_zeros() as usize;
            return Some(After {
                len,
                spaces: sp,
                fs: f,
            });
        }
        let len = nl.trailing_zeros() as usize;
        let within = (1u128 << len) - 1;
        Some(After {
            len,
            spaces: sp & within,
            fs: f & within,
        })
    }
}

/// Reads the line of a hit of `Failed ` at `seg[hit]`, whose line starts
/// at `start`: where its `\n` is (the end of `seg` for a last line without
/// one), and its failure, counted exactly as the reference counts it;
/// `None` when the line is not of the usual shape, whether or not the
/// reference counts it.
#[inline]
pub(super) fn read_hit<'a>(
    seg: &'a [u8],
    start: usize,
    hit: usize,
    cache: &mut Seen,
) -> (usize, Option<Failure<'a>>) {
    let Some(after) = After::new(seg, hit) else {
        let end = search::find(b'\n', &seg[hit..]).map_or(seg.len(), |j| hit + j);
        return (end, None);
    };
    let end = hit + after.len;
    let line = match &seg[start..end] {
        [rest @ .., b'\r'] => rest,
        line => line,
    };
    (end, failure(line, hit - start, &after, cache))
}

/// The failure on `line`, whose first `Failed ` is at `hit`; `after`
/// holds the masks from the hit on.
#[inline]
fn failure<'a>(line: &'a [u8], hit: usize, after: &After, cache: &mut Seen) -> Option<Failure<'a>> {
    // The header: `Mmm dd hh:mm:ss HOST sshd[PID]: `.
    let ts: &[u8; 15] = line.get(..15)?.try_into().ok()?;
    if line.get(15) != Some(&b' ') {
        return None;
    }
    if cache.time.as_ref() != Some(ts) {
        // The checks of `timestamp_len`, then the parse.
        if ts[3] != b' ' || ts[6] != b' ' || ts[9] != b':' || ts[12] != b':' {
            return None;
        }
        parse_classic(ts)?;
        cache.time = Some(*ts);
    }
    let host_len = find_near(b' ', line.get(16..hit)?)?;
    if host_len == 0 {
        return None;
    }
    let after_host = line[16 + host_len + 1..hit].strip_prefix(b"sshd")?;
    let after_host = match after_host.strip_prefix(b"[") {
        Some(pid) => {
            let digits = leading_digits(pid);
            if digits == 0 || digits == 8 {
                return None;
            }
            pid[digits..].strip_prefix(b"]")?
        }
        None => after_host,
    };
    let before_hit = after_host.strip_prefix(b": ")?;
    // The message starts at the hit, or holds it right after
    // `message repeated N times: [ `, and then ends in `]`.
    let (count, end) = if before_hit.is_empty() {
        (1, line.len())
    } else {
        (repeat_count(before_hit)?, line.len() - 1)
    };
    if end < line.len() && line.last() != Some(&b']') {
        return None;
    }
    // From here on, positions are from the hit: `msg` is `Failed METHOD
    // for USER from IP port PORT[ REST]`.
    let msg = &line[hit..end];
    // The method is not empty: the space after it is past `Failed `.
    let method_end = (after.spaces & !0x7f).trailing_zeros() as usize;
    let rest = method_end + b" for ".len();
    if method_end == 7 || !msg.get(method_end..)?.starts_with(b" for ") {
        return None;
    }
    // The reference splits at the rightmost ` from ` whose tail is an
    // address, ` port ` and digits: look at the candidates in that order,
    // those whose space lies in `rest`, up to the end of `msg`.
    let mut candidates = (after.spaces << 1) & after.fs;
    while candidates != 0 {
        let f = 127 - candidates.leading_zeros() as usize;
        if f <= rest {
            break;
        }
        candidates ^= 1u128 << f;
        let Some(tail) = msg.get(f..).and_then(|t| t.strip_prefix(b"from ")) else {
            continue;
        };
        let ip = f + b"from ".len();
        // Addresses are short: the next space is within 64 bytes, or the
        // candidate is not one.
        let ip_len = match after.spaces.checked_shr(ip as u32) {
            Some(m) => (m as u64).trailing_zeros() as usize,
            None => 64,
        };
        let ip_end = (ip + ip_len).min(msg.len());
        let len = ip_end - ip;
        // An IPv4 address has 7 to 15 bytes; its key packs 16 bytes read
        // at once (the line goes on after it), cut to its length.
        if (7..=ShortKey::MAX).contains(&len) && port_then_end(&msg[ip_end..]).is_some() {
            let (lo, hi) = (word(&msg[ip..], 0), word(&msg[ip..], 8));
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&lo.to_le_bytes());
            b[8..].copy_from_slice(&hi.to_le_bytes());
            let key = ShortKey::from_prefix(b, len);
            if cache.valid_ipv4(&msg[ip..ip_end], key) {
                return Some(Failure {
                    ip: &msg[ip..ip_end],
                    key,
                    count,
                });
            }
        }
        // IPv6, or a form this reader does not know: the reference decides
        // whether this candidate is the split.
        if address_then_port(tail, Port::Required).is_some() {
            return None;
        }
    }
    None
}

/// How many of the first 8 bytes of `s` are ASCII digits (8: all of them,
/// or more).
#[inline]
fn leading_digits(s: &[u8]) -> usize {
    // The zeros past the end are not digits.
    (non_digit_mask(word(s, 0)).trailing_zeros() / 8) as usize
}

/// N of `message repeated N times: [ `, when 1 to 19 digits (more could
/// overflow: the reference decides) and not 0.
#[inline]
fn repeat_count(s: &[u8]) -> Option<u64> {
    let n = s
        .strip_prefix(b"message repeated ")?
        .strip_suffix(b" times: [ ")?;
    if n.is_empty() || n.len() > 19 || !n.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let count = n.iter().fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
    (count > 0).then_some(count)
}

/// ` port DIGITS` at the start of `s`, then the end or a space: where the
/// digits end.
#[inline(always)]
fn port_then_end(s: &[u8]) -> Option<usize> {
    const PORT: u64 = u64::from_le_bytes(*b" port \0\0");
    if word(s, 0) & 0xffff_ffff_ffff != PORT {
        return None;
    }
    let n = leading_digits(s.get(6..)?);
    // Eight digits or more: the reference decides.
    if n == 0 || n == 8 {
        return None;
    }
    let end = 6 + n;
    matches!(s.get(end), None | Some(b' ')).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthKind, parse_auth_line};
    use proptest::prelude::*;

    /// What the reference counts for `line`.
    fn reference(line: &[u8]) -> Option<(&[u8], u64)> {
        let e = parse_auth_line(line)?;
        match e.kind {
            AuthKind::Failed { count, .. } => Some((e.ip, count)),
            _ => None,
        }
    }

    fn fast(line: &[u8]) -> Option<(&[u8], u64)> {
        fast_with(line, &mut Seen::default())
    }

    /// The line read as the block scan reads it: followed by a newline
    /// and the next line, which must not change the answer.
    fn fast_with<'a>(line: &'a [u8], cache: &mut Seen) -> Option<(&'a [u8], u64)> {
        let hit = memchr::memmem::find(line, b"Failed ")?;
        let mut seg = line.to_vec();
        seg.extend_from_slice(
            b"\nMar 27 13:06:56 h sshd[1]: Failed none for x from 9.9.9.9 port 9\n",
        );
        let (end, f) = read_hit(&seg, 0, hit, cache);
        let end_of_line = memchr::memchr(b'\n', line).unwrap_or(line.len());
        assert_eq!(end, end_of_line);
        if end_of_line < line.len() {
            return None;
        }
        let f = f?;
        assert_eq!(Some(f.key), ShortKey::new(f.ip));
        // The bytes of the line, not of the copy.
        let at = f.ip.as_ptr() as usize - seg.as_ptr() as usize;
        Some((&line[at..at + f.ip.len()], f.count))
    }

    #[test]
    fn usual_lines() {
        for (line, want) in [
            (
                &b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2"[..],
                Some((&b"10.0.0.1"[..], 1)),
            ),
            (
                b"Mar  2 10:00:00 web-1 sshd: Failed none for invalid user  from 1.2.3.4 port 9",
                Some((b"1.2.3.4", 1)),
            ),
            (
                b"Mar  2 10:00:00 h sshd[3]: message repeated 3 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]",
                Some((b"10.0.0.1", 3)),
            ),
            (
                b"Jan 31 14:38:24 u sshd[21469]: Failed publickey for root from 154.143.160.152 port 6211 ssh2: RSA SHA256:Kp3zuw9qwQzAPJZGrLjAtpWCg61tj3a6/AjMFxiQAtk",
                Some((b"154.143.160.152", 1)),
            ),
            (
                b"Jan 31 14:38:24 u sshd[21342]: Failed publickey for invalid user postgres from 162.63.17.21 port 44137 ssh2: ED25519 SHA256:vfQuD/vdxqRlUraoJXTDHfrtDaa4pmjUvf1kfHZ6Bao",
                Some((b"162.63.17.21", 1)),
            ),
            // More than 128 bytes from the hit, with a candidate past them.
            (
                b"Jan 31 14:38:24 u sshd[21342]: Failed publickey for invalid user postgres from 162.63.17.21 port 44137 ssh2: ED25519 SHA256:vfQuD/vdxqRlUraoJXTDHfrtDaa4pmjUvf1kfHZ6B from 1.2.3.4 port 1",
                None,
            ),
            (
                b"Jan 31 14:38:24 u sshd[21342]: Failed publickey for invalid user postgresql-administrator-account from 162.63.17.21 port 44137 ssh2: ED25519 SHA256:vfQuD/vdxqRlUraoJXTDHfrtDaa4pmjUvf1kfHZ6Bao",
                Some((b"162.63.17.21", 1)),
            ),
            (
                b"Jan 31 14:38:25 u sshd[22160]: Failed keyboard-interactive/pam for invalid user pi from 181.74.241.100 port 64873 ssh2",
                Some((b"181.74.241.100", 1)),
            ),
            (
                b"Jan 31 14:38:22 u sshd[20746]: message repeated 5 times: [ Failed password for invalid user admin from 56.211.6.247 port 52699 ssh2]",
                Some((b"56.211.6.247", 5)),
            ),
            // The rightmost ` from ` followed by an address and a port.
            (
                b"Mar 27 13:06:56 h sshd[1]: Failed password for a from 1.1.1.1 port 1 from 2.2.2.2 port 2 ssh2",
                Some((b"2.2.2.2", 1)),
            ),
            (
                b"Mar 27 13:06:56 h sshd[1]: Failed password for a from 1.1.1.1 port 1 from 2.2.2.2 ssh2",
                Some((b"1.1.1.1", 1)),
            ),
            // Left to the reference: IPv6, an ISO timestamp, a hit inside
            // the header.
            (
                b"Mar 27 13:06:56 h sshd[1]: Failed password for root from ::1 port 22 ssh2",
                None,
            ),
            (
                b"2026-03-27T13:00:00+00:00 h sshd[4]: Failed password for git from 1.1.1.1 port 1 ssh2",
                None,
            ),
            (
                b"Mar 27 13:06:56 xFailed sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2",
                None,
            ),
        ] {
            assert_eq!(fast(line), want, "{}", String::from_utf8_lossy(line));
            if want.is_some() {
                assert_eq!(reference(line), want);
            }
        }
    }

    #[test]
    fn the_cache_only_skips_a_timestamp_already_checked() {
        let mut cache = Seen::default();
        let good =
            b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2";
        let bad = b"Mar 27 13:06:61 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2";
        assert_eq!(fast_with(bad, &mut cache), None);
        assert_eq!(fast_with(good, &mut cache), Some((&b"10.0.0.1"[..], 1)));
        assert_eq!(fast_with(bad, &mut cache), None);
        assert_eq!(reference(bad), None);
    }

    /// Failure lines, some with bytes replaced by the ones the parser
    /// looks for, some cut short: the near misses a fast path gets wrong.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let ts = prop_oneof![
            4 => Just("Mar 27 13:06:56"),
            1 => Just("Mar  2 10:00:00"),
            1 => Just("Feb 30 10:00:00"),
            1 => Just("Mar 27 24:06:56"),
            1 => Just("2026-03-27T13:00:00Z"),
        ];
        let prog = prop_oneof![
            4 => Just("h sshd[12]: "),
            1 => Just("h sshd: "),
            1 => Just("h sshd[]: "),
            1 => Just("h sshd-session[1]: "),
            1 => Just("  sshd[1]: "),
            1 => Just("Failed sshd[1]: "),
        ];
        let wrap = prop_oneof![
            4 => Just(("", "")),
            1 => Just(("message repeated 3 times: [ ", "]")),
            1 => Just(("message repeated 0 times: [ ", "]")),
            1 => Just(("message repeated 18446744073709551615 times: [ ", "]")),
            1 => Just(("message repeated 99999999999999999999 times: [ ", "]")),
            1 => Just(("message repeated x times: [ ", "]")),
            1 => Just(("message repeated 2 times: [ ", "")),
        ];
        let method = prop_oneof![4 => Just("password"), 1 => Just("keyboard-interactive/pam"), 1 => Just("")];
        let user = prop_oneof![
            4 => Just("root"),
            1 => Just("invalid user admin"),
            1 => Just("invalid user "),
            1 => Just(""),
            1 => Just("a from 1.1.1.1 port 1"),
            1 => Just("from"),
            1 => Just("x from"),
            // Long enough to move the address past the first window.
            1 => Just("invalid user a-user-name-long-enough-to-push-the-address-past-64-bytes"),
        ];
        let ip = prop_oneof![
            4 => Just("10.0.0.1"),
            1 => Just("255.255.255.255"),
            1 => Just("256.0.0.1"),
            1 => Just("01.2.3.4"),
            1 => Just("2001:db8::f"),
            1 => Just("fe80::1"),
        ];
        let tail = prop_oneof![
            4 => Just(" port 22 ssh2"),
            1 => Just(" port 22"),
            1 => Just(" port x ssh2"),
            1 => Just(" port 22 ssh2: RSA SHA256:fffff"),
            1 => Just(" port 22 ssh2 from 2.2.2.2 port 3"),
            1 => Just(" port 22 ssh2 from 2.2.2.2"),
            1 => Just(" port 22 ssh2 from nowhere port 3"),
            // Lines of more than 128 bytes from the hit.
            1 => Just(" port 22 ssh2: ED25519 SHA256:vfQuD/vdxqRlUraoJXTDHfrtDaa4pmjUvf1kfHZ6Bao"),
            1 => Just(" port 22 ssh2: RSA SHA256:vfQuD/vdxqRlUraoJXTDHfrtDaa4pmjUvf1kfHZ6Bao from 9.9.9.9 port 9"),
            1 => Just(""),
        ];
        let edits = prop_oneof![2 => Just(Vec::new()), 1 => proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop_oneof![
                    Just(b' '), Just(b'f'), Just(b':'), Just(b'['), Just(b']'),
                    Just(b'.'), Just(b'7'), Just(b'\0'), Just(0xff),
                ],
            ),
            1..3,
        )];
        (
            (ts, prog, wrap, method),
            (user, ip, tail),
            edits,
            prop_oneof![3 => Just(None), 1 => any::<prop::sample::Index>().prop_map(Some)],
        )
            .prop_map(
                |((ts, prog, (open, close), m), (u, ip, tail), edits, cut)| {
                    let mut l =
                        format!("{ts} {prog}{open}Failed {m} for {u} from {ip}{tail}{close}")
                            .into_bytes();
                    for (at, byte) in edits {
                        let i = at.index(l.len());
                        l[i] = byte;
                    }
                    if let Some(cut) = cut {
                        l.truncate(cut.index(l.len() + 1));
                    }
                    l
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]

        #[test]
        fn counts_a_line_only_as_the_reference_does(line in line()) {
            if let Some(got) = fast(&line) {
                prop_assert_eq!(Some(got), reference(&line));
            }
        }
    }
}
