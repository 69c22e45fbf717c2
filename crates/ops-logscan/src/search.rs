//! Byte searches over short distances (a field, the rest of a line), where
//! the cost of a call is the cost of the search.
//!
//! `memchr::memchr` picks AVX2 or SSE2 at run time through a function
//! pointer, which no caller can inline; on x86-64, SSE2 is part of the
//! baseline, so its searcher is known at compile time and inlines into the
//! parsers' loops. Elsewhere these are `memchr`'s own functions.
//! [`find_near`] is for the shortest distances (a token, a few bytes):
//! eight bytes at a time in a `u64`, no setup at all.

/// The first `needle` in `hay`.
#[inline(always)]
pub(crate) fn find(needle: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(f) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return f.find(hay);
    }
    memchr::memchr(needle, hay)
}

/// The first `a` or `b` in `hay`.
#[inline(always)]
pub(crate) fn find2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(f) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return f.find(hay);
    }
    memchr::memchr2(a, b, hay)
}

const ONES: u64 = u64::from_le_bytes([1; 8]);
const LOWS: u64 = ONES * 0x7f;

/// Bit 7 set in exactly the bytes of `v` equal to `b` (no carry crosses a
/// byte, so every bit is exact, not only the lowest).
#[inline(always)]
pub(crate) fn eq_mask(v: u64, b: u8) -> u64 {
    let x = v ^ (ONES * u64::from(b));
    !(((x & LOWS) + LOWS) | x | LOWS)
}

/// Bit 7 set in exactly the bytes of `v` that are not ASCII digits.
#[inline(always)]
pub(crate) fn non_digit_mask(v: u64) -> u64 {
    // Per byte, `x` is the digit's value when it is one; bit 7 of the sum
    // is set when the low seven bits are above 9, and `| x` when bit 7 is.
    let x = v ^ (ONES * u64::from(b'0'));
    (((x & LOWS) + ONES * (0x7f - 9)) | x) & !LOWS
}

/// The 8 bytes of `s` from `i`, little-endian, zero past its end.
#[inline(always)]
pub(crate) fn word(s: &[u8], i: usize) -> u64 {
    match s.get(i..i + 8) {
        Some(w) => {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            u64::from_le_bytes(b)
        }
        None => {
            let mut b = [0u8; 8];
            let t = s.get(i..).unwrap_or_default();
            b[..t.len()].copy_from_slice(t);
            u64::from_le_bytes(b)
        }
    }
}

/// The first `needle` (not 0) in `hay`, for needles that are usually a few
/// bytes away.
#[inline(always)]
pub(crate) fn find_near(needle: u8, hay: &[u8]) -> Option<usize> {
    debug_assert_ne!(needle, 0, "the padding past the end is 0");
    let mut i = 0;
    while i < hay.len() {
        let m = eq_mask(word(hay, i), needle);
        if m != 0 {
            let at = i + (m.trailing_zeros() / 8) as usize;
            return (at < hay.len()).then_some(at);
        }
        i += 8;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn searches_agree_with_memchr(
            hay in proptest::collection::vec(
                prop_oneof![Just(b' '), Just(b'\n'), Just(b'"'), Just(0u8), Just(0x80), Just(0xa0), any::<u8>()],
                0..100,
            ),
            needle in prop_oneof![Just(b' '), Just(b'\n'), Just(b'"'), Just(0x80), 1u8..=255],
        ) {
            prop_assert_eq!(find(needle, &hay), memchr::memchr(needle, &hay));
            prop_assert_eq!(find2(needle, b'"', &hay), memchr::memchr2(needle, b'"', &hay));
            prop_assert_eq!(find_near(needle, &hay), memchr::memchr(needle, &hay));
            for (i, chunk) in hay.chunks(8).enumerate() {
                let m = eq_mask(word(&hay, i * 8), needle);
                let d = non_digit_mask(word(&hay, i * 8));
                prop_assert_eq!(m & !(ONES * 0x80), 0);
                prop_assert_eq!(d & !(ONES * 0x80), 0);
                for (j, &b) in chunk.iter().enumerate() {
                    prop_assert_eq!(m >> (8 * j + 7) & 1 == 1, b == needle);
                    prop_assert_eq!(d >> (8 * j + 7) & 1 == 1, !b.is_ascii_digit());
                }
            }
        }
    }
}
