//! Byte searches over short distances (a field, the rest of a line), where
//! the cost of a call is the cost of the search.
//!
//! `memchr::memchr` picks AVX2 or SSE2 at run time through a function
//! pointer, which no caller can inline; on x86-64, SSE2 is part of the
//! baseline, so its searcher is known at compile time and inlines into the
//! parsers' loops. Elsewhere these are `memchr`'s own functions.

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
        }
    }
}
