//! Seed-dependent populations: client addresses, built once per file.

use std::collections::HashSet;

use crate::out::{StrTable, put_hex, put_u64};
use crate::rng::Rng;

/// Appends a random public-looking IPv4 address.
fn push_ipv4(rng: &mut Rng, buf: &mut Vec<u8>) {
    let r = rng.next_u64();
    // Skip 0/8, 10/8 and 127/8 so the population does not look like a LAN;
    // stay below 224/8 (multicast and reserved).
    let first = loop {
        let o = rng.range(1, 223);
        if o != 10 && o != 127 {
            break o;
        }
    };
    put_u64(buf, first);
    for shift in [0, 8, 16] {
        buf.push(b'.');
        put_u64(buf, (r >> shift) & 0xFF);
    }
}

/// Appends a random IPv6 address in the documentation prefix 2001:db8::/32,
/// in RFC 5952 canonical form (lowercase, `::` for the zero run).
fn push_ipv6(rng: &mut Rng, buf: &mut Vec<u8>) {
    fn group(rng: &mut Rng, buf: &mut Vec<u8>) {
        put_hex(buf, rng.range(1, 0xFFFF));
    }
    buf.extend_from_slice(b"2001:db8:");
    match rng.below(3) {
        // 2001:db8::1f
        0 => {
            buf.push(b':');
            group(rng, buf);
        }
        // 2001:db8:4f2:a0::7
        1 => {
            group(rng, buf);
            buf.push(b':');
            group(rng, buf);
            buf.extend_from_slice(b"::");
            group(rng, buf);
        }
        // 2001:db8:85a3:8d3:1319:8a2e:370:7348
        _ => {
            for i in 0..6 {
                if i > 0 {
                    buf.push(b':');
                }
                group(rng, buf);
            }
        }
    }
}

/// `n` distinct client addresses, about `v6_per_mille / 1000` of them IPv6.
pub(crate) fn ip_table(rng: &mut Rng, n: usize, v6_per_mille: u64) -> StrTable {
    let mut table = StrTable::default();
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(n);
    while table.len() < n {
        let v6 = rng.below(1000) < v6_per_mille;
        let i = table.push_with(|buf| {
            if v6 {
                push_ipv6(rng, buf);
            } else {
                push_ipv4(rng, buf);
            }
        });
        if !seen.insert(table.get(i).to_vec()) {
            table.pop();
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn addresses_parse_are_distinct_and_mixed() {
        let mut rng = Rng::new(5);
        let table = ip_table(&mut rng, 5000, 50);
        assert_eq!(table.len(), 5000);
        let mut v6 = 0;
        let mut distinct = HashSet::new();
        for i in 0..table.len() {
            let text = std::str::from_utf8(table.get(i)).unwrap_or("");
            let addr: IpAddr = text
                .parse()
                .unwrap_or_else(|_| panic!("bad address {text:?}"));
            // Canonical form: formatting the parsed address gives it back.
            assert_eq!(addr.to_string(), text);
            if addr.is_ipv6() {
                v6 += 1;
            }
            distinct.insert(text.to_owned());
        }
        assert_eq!(distinct.len(), 5000);
        assert!((150..=350).contains(&v6), "{v6} IPv6 of 5000");
    }
}
