//! A small, fast pseudo-random generator for jitter. Jitter needs spread,
//! not secrecy, so SplitMix64 (public domain, Vigna) is enough and keeps
//! the crate free of a `rand` dependency.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// A seed that differs per call and per process: std's hasher keys
    /// are random per process, and the counter makes them differ per call.
    pub(crate) fn random_seed() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
        h.finish()
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration drawn uniformly from `lo..=hi` (nanosecond resolution);
    /// `lo` when `hi <= lo`.
    pub(crate) fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        if hi <= lo {
            return lo;
        }
        let lo_n = crate::clock::nanos(lo);
        let span = crate::clock::nanos(hi).saturating_sub(lo_n);
        // Multiply-shift maps 64 random bits onto 0..=span without the
        // bias of `%` worth mentioning at these sizes.
        let r = ((u128::from(self.next_u64()) * (u128::from(span) + 1)) >> 64) as u64;
        Duration::from_nanos(lo_n + r)
    }
}
