//! Appending numbers and text to the output buffer without `fmt`.
//!
//! `write!` goes through `fmt::Arguments` and dynamic dispatch for every
//! piece; at hundreds of megabytes per second that alone would cost more than
//! the rest of the generator, so numbers are rendered with a digit-pair table.

/// "00" "01" ... "99", two bytes per entry.
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends `n` in decimal.
#[inline]
pub(crate) fn put_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        tmp[i] = PAIRS[pair];
        tmp[i + 1] = PAIRS[pair + 1];
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        tmp[i] = PAIRS[pair];
        tmp[i + 1] = PAIRS[pair + 1];
    } else {
        i -= 1;
        tmp[i] = b'0' + n as u8;
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Two decimal digits of `n % 100`, zero-padded.
#[inline]
pub(crate) fn pair(n: u32) -> [u8; 2] {
    let p = (n % 100) as usize * 2;
    [PAIRS[p], PAIRS[p + 1]]
}

/// Appends `n` in lowercase hexadecimal without leading zeros.
pub(crate) fn put_hex(buf: &mut Vec<u8>, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if n == 0 {
        buf.push(b'0');
        return;
    }
    let digits = (64 - n.leading_zeros()).div_ceil(4);
    for d in (0..digits).rev() {
        buf.push(HEX[((n >> (4 * d)) & 0xF) as usize]);
    }
}

/// A set of byte strings kept in one allocation, addressed by index.
///
/// Populations of thousands of formatted IP addresses or paths stay compact
/// and cache-friendly this way, and copying one out is a single memcpy.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrTable {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl StrTable {
    /// Appends an entry built by `f` and returns its index.
    pub(crate) fn push_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> usize {
        f(&mut self.bytes);
        // Tables hold at most a few megabytes; u32 offsets keep them small.
        self.ends.push(self.bytes.len() as u32);
        self.ends.len() - 1
    }

    /// Removes the last entry (used to drop duplicates while building).
    pub(crate) fn pop(&mut self) {
        self.ends.pop();
        let end = self.ends.last().map_or(0, |&e| e as usize);
        self.bytes.truncate(end);
    }

    /// Entry `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_std() {
        let cases = [
            0,
            7,
            9,
            10,
            42,
            99,
            100,
            101,
            999,
            1000,
            65535,
            1_234_567,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        for n in cases {
            let mut buf = Vec::new();
            put_u64(&mut buf, n);
            assert_eq!(buf, n.to_string().into_bytes());
        }
    }

    #[test]
    fn pairs_and_hex() {
        assert_eq!(&pair(7), b"07");
        assert_eq!(&pair(59), b"59");
        for n in [0u64, 1, 0xf, 0x10, 0x1f, 0xdb8, 0xffff, 0x2001] {
            let mut buf = Vec::new();
            put_hex(&mut buf, n);
            assert_eq!(buf, format!("{n:x}").into_bytes());
        }
    }

    #[test]
    fn table_roundtrip_and_pop() {
        let mut t = StrTable::default();
        t.push_with(|b| b.extend_from_slice(b"alpha"));
        t.push_with(|b| b.extend_from_slice(b""));
        t.push_with(|b| b.extend_from_slice(b"gamma"));
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(0), b"alpha");
        assert_eq!(t.get(1), b"");
        assert_eq!(t.get(2), b"gamma");
        t.pop();
        assert_eq!(t.len(), 2);
        let i = t.push_with(|b| b.extend_from_slice(b"delta"));
        assert_eq!(t.get(i), b"delta");
    }
}
