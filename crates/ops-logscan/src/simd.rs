//! Which bytes of a 64-byte window equal a few given bytes, as bit masks:
//! the parsers then find a field's end with a `trailing_zeros` instead of
//! a search per field, and see every candidate position of a line at once.
//! For the distances within a line (a few to a few hundred bytes), this
//! costs less than `memchr`, whose set-up and aligned main loop pay off on
//! longer haystacks.
//!
//! With the `simd` feature on x86-64 this is SSE2, part of that target's
//! baseline: it is enabled at compile time (`cfg(target_feature =
//! "sse2")`), so no run-time check is needed. (AVX2 would need one, and on
//! the 2-core EPYC this is tuned on, which splits 256-bit operations in
//! two, it would not be faster.) These are the crate's only SIMD
//! instructions and, with `mmap.rs`, its only `unsafe` code. Elsewhere, and
//! as the reference the tests compare the SSE2 version with, masks are
//! computed eight bytes at a time in a `u64`.

// SIMD loads take raw pointers: see the SAFETY comments.
#![cfg_attr(feature = "simd", allow(unsafe_code))]

/// For each needle, bit `i` set when `s[at + i]` equals it, for the 64
/// bytes from `at` (zero past the end of `s`).
#[inline(always)]
pub(crate) fn masks_at<const N: usize>(s: &[u8], at: usize, needles: [u8; N]) -> [u64; N] {
    match s
        .get(at..at + 64)
        .and_then(|w| <&[u8; 64]>::try_from(w).ok())
    {
        Some(w) => masks(w, needles),
        None => masks(&padded(s, at), needles),
    }
}

/// The 64 bytes of `s` from `at`, zero past its end.
#[cold]
fn padded(s: &[u8], at: usize) -> [u8; 64] {
    let mut b = [0u8; 64];
    let t = s.get(at..).unwrap_or_default();
    let n = t.len().min(64);
    b[..n].copy_from_slice(&t[..n]);
    b
}

/// For each needle, bit `i` set when `w[i]` equals it.
#[inline(always)]
pub(crate) fn masks<const N: usize>(w: &[u8; 64], needles: [u8; N]) -> [u64; N] {
    #[cfg(all(feature = "simd", target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: this branch is compiled only when the target enables
        // SSE2, so the CPU running it has the instructions `sse2::masks`
        // uses.
        unsafe { sse2::masks(w, needles) }
    }
    #[cfg(not(all(feature = "simd", target_arch = "x86_64", target_feature = "sse2")))]
    {
        portable_masks(w, needles)
    }
}

/// Bit `i` set when `s[at + i]` equals any of `needles`, for the 64 bytes
/// from `at` (zero past the end of `s`).
#[inline(always)]
pub(crate) fn any_at<const N: usize>(s: &[u8], at: usize, needles: [u8; N]) -> u64 {
    match s
        .get(at..at + 64)
        .and_then(|w| <&[u8; 64]>::try_from(w).ok())
    {
        Some(w) => any_of(w, needles),
        None => any_of(&padded(s, at), needles),
    }
}

/// Bit `i` set when `w[i]` equals any of `needles`.
#[inline(always)]
pub(crate) fn any_of<const N: usize>(w: &[u8; 64], needles: [u8; N]) -> u64 {
    #[cfg(all(feature = "simd", target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: as in `masks`.
        unsafe { sse2::any_of(w, needles) }
    }
    #[cfg(not(all(feature = "simd", target_arch = "x86_64", target_feature = "sse2")))]
    {
        portable_masks(w, needles).iter().fold(0, |a, m| a | m)
    }
}

/// [`masks`] eight bytes at a time, without SIMD instructions.
#[cfg_attr(
    all(
        feature = "simd",
        target_arch = "x86_64",
        target_feature = "sse2",
        not(test)
    ),
    allow(dead_code)
)]
#[inline(always)]
pub(crate) fn portable_masks<const N: usize>(w: &[u8; 64], needles: [u8; N]) -> [u64; N] {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const LOWS: u64 = ONES * 0x7f;
    let mut out = [0u64; N];
    for (k, chunk) in w.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let v = u64::from_le_bytes(b);
        for (o, &n) in out.iter_mut().zip(&needles) {
            // Bit 7 of each byte equal to `n`, exactly (no carry crosses a
            // byte), then those 8 bits gathered into the top byte.
            let x = v ^ (ONES * u64::from(n));
            let high = !(((x & LOWS) + LOWS) | x | LOWS);
            let gathered = ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
            *o |= gathered << (8 * k);
        }
    }
    out
}

#[cfg(all(feature = "simd", target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_setzero_si128,
    };

    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn masks<const N: usize>(w: &[u8; 64], needles: [u8; N]) -> [u64; N] {
        let mut out = [0u64; N];
        for k in 0..4 {
            // SAFETY: `w` is 64 bytes, so the 16 bytes from `16 * k` (for
            // k < 4) are in bounds; an unaligned load has no alignment
            // requirement.
            let v = unsafe { _mm_loadu_si128(w.as_ptr().add(16 * k).cast::<__m128i>()) };
            for (o, &n) in out.iter_mut().zip(&needles) {
                let eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(n as i8));
                // The sign bits of 16 bytes: the low 16 bits of the result.
                let m = _mm_movemask_epi8(eq) as u32 & 0xffff;
                *o |= u64::from(m) << (16 * k);
            }
        }
        out
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn any_of<const N: usize>(w: &[u8; 64], needles: [u8; N]) -> u64 {
        let mut out = 0u64;
        for k in 0..4 {
            // SAFETY: as in `masks`.
            let v = unsafe { _mm_loadu_si128(w.as_ptr().add(16 * k).cast::<__m128i>()) };
            let mut eq = _mm_setzero_si128();
            for &n in &needles {
                eq = _mm_or_si128(eq, _mm_cmpeq_epi8(v, _mm_set1_epi8(n as i8)));
            }
            let m = _mm_movemask_epi8(eq) as u32 & 0xffff;
            out |= u64::from(m) << (16 * k);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(w: &[u8], n: u8) -> u64 {
        w.iter()
            .enumerate()
            .fold(0, |m, (i, &b)| m | (u64::from(b == n) << i))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn masks_mark_exactly_the_equal_bytes(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b' '), Just(b'\n'), Just(b'f'), Just(0u8), Just(0x80), Just(0xff), any::<u8>()],
                0..150,
            ),
            at in 0usize..150,
            needle in any::<u8>(),
        ) {
            let tail = bytes.get(at..).unwrap_or_default();
            let mut w = [0u8; 64];
            w[..tail.len().min(64)].copy_from_slice(&tail[..tail.len().min(64)]);
            let [a, b, c] = masks_at(&bytes, at, [needle, b' ', b'\n']);
            prop_assert_eq!([a, b, c], portable_masks(&w, [needle, b' ', b'\n']));
            prop_assert_eq!(any_at(&bytes, at, [needle, b'\n']), a | c);
            prop_assert_eq!(a, naive(&w, needle));
            prop_assert_eq!(c, naive(&w, b'\n'));
        }
    }
}
