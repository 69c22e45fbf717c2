//! The closed state's sliding windows, lock-free.
//!
//! Count window: a ring of outcome slots and one packed counter word. A
//! call swaps its outcome into the next slot and adds the difference
//! between the new and the old outcome to the counters. Every slot and the
//! counter word carry the window's generation, so a reset is one store of
//! the counter word (slots of an older generation read as empty) and a
//! late write from before the reset cannot make the counters drift.
//!
//! The fast path: when the window is full of successes, another success
//! changes nothing, so it is not written at all. A healthy breaker's calls
//! then only read shared memory, which is what keeps two threads from
//! fighting over a cache line.
//!
//! Time window: buckets of equal length, each a few words stamped with the
//! bucket's number; a stale bucket is restarted by the first write into
//! it. Counts only grow within a stamp, so there is nothing to drift.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Counts of one window at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) calls: u32,
    pub(crate) failures: u32,
    pub(crate) slow: u32,
}

const RECORDED: u8 = 1;
const FAILED: u8 = 2;
const SLOW: u8 = 4;

/// The outcome byte of a slot.
fn outcome(failure: bool, slow: bool) -> u8 {
    RECORDED | if failure { FAILED } else { 0 } | if slow { SLOW } else { 0 }
}

#[derive(Debug)]
pub(crate) enum SlidingWindow {
    Count(CountWindow),
    Time(TimeWindow),
}

impl SlidingWindow {
    /// Records one call; returns the window's counts after it when the
    /// call was a failure or slow (the only calls that can trip the
    /// breaker), `None` otherwise.
    #[inline]
    pub(crate) fn record(&self, failure: bool, slow: bool, now: Duration) -> Option<Counts> {
        match self {
            SlidingWindow::Count(w) => w.record(failure, slow),
            SlidingWindow::Time(w) => w.record(failure, slow, now),
        }
    }

    /// Whether the window is a count window full of successes, where
    /// one more success changes nothing.
    #[inline]
    pub(crate) fn all_successes(&self) -> bool {
        match self {
            SlidingWindow::Count(w) => w.all_successes(),
            SlidingWindow::Time(_) => false,
        }
    }

    pub(crate) fn counts(&self, now: Duration) -> Counts {
        match self {
            SlidingWindow::Count(w) => w.counts(),
            SlidingWindow::Time(w) => w.counts(now),
        }
    }

    pub(crate) fn reset(&self) {
        match self {
            SlidingWindow::Count(w) => w.reset(),
            SlidingWindow::Time(w) => w.reset(),
        }
    }
}

/// The last `size` calls. The counter word packs generation (16 bits) and
/// calls, failures and slow calls (16 bits each, each wrapping on its own
/// so that a difference applied out of order only passes through a
/// negative value). Sizes are limited to 32 767 calls.
#[derive(Debug)]
pub(crate) struct CountWindow {
    size: u32,
    head: AtomicU32,
    /// Per slot: generation (low 16 bits of it) << 8 | outcome byte.
    slots: Box<[AtomicU32]>,
    counters: AtomicU64,
}

pub(crate) const MAX_COUNT_WINDOW: u32 = 32_767;

fn pack(gen_: u16, c: [u16; 3]) -> u64 {
    u64::from(gen_) << 48 | u64::from(c[0]) << 32 | u64::from(c[1]) << 16 | u64::from(c[2])
}

fn unpack(w: u64) -> (u16, [u16; 3]) {
    (
        (w >> 48) as u16,
        [(w >> 32) as u16, (w >> 16) as u16, w as u16],
    )
}

/// A 16-bit field read back as a count: transiently negative is zero.
fn count(v: u16) -> u32 {
    u32::try_from(v as i16).unwrap_or(0)
}

impl CountWindow {
    pub(crate) fn new(size: u32) -> CountWindow {
        CountWindow {
            size,
            head: AtomicU32::new(0),
            slots: (0..size).map(|_| AtomicU32::new(0)).collect(),
            // Generation 1, so that the zeroed slots read as empty.
            counters: AtomicU64::new(pack(1, [0; 3])),
        }
    }

    #[inline]
    fn all_successes(&self) -> bool {
        // Calls == size, failures == slow == 0, whatever the generation.
        self.counters.load(Ordering::Acquire) & 0xffff_ffff_ffff == u64::from(self.size) << 32
    }

    #[inline]
    fn record(&self, failure: bool, slow: bool) -> Option<Counts> {
        let word = self.counters.load(Ordering::Acquire);
        let (gen_, c) = unpack(word);
        if !failure && !slow && c == [self.size as u16, 0, 0] {
            // Full of successes: one more changes nothing.
            return None;
        }
        let new = outcome(failure, slow);
        let i = self.head.fetch_add(1, Ordering::Relaxed) % self.size;
        let stamped = u32::from(gen_) << 8 | u32::from(new);
        let old = self.slots[i as usize].swap(stamped, Ordering::AcqRel);
        let old = if (old >> 8) as u16 == gen_ {
            old as u8
        } else {
            0
        };
        if old == new {
            return (failure || slow).then(|| self.counts_of(word));
        }
        let bit = |b: u8, m: u8| i16::from(b & m != 0);
        let delta = [
            bit(new, RECORDED) - bit(old, RECORDED),
            bit(new, FAILED) - bit(old, FAILED),
            bit(new, SLOW) - bit(old, SLOW),
        ];
        let mut after = word;
        let applied = self
            .counters
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                let (g, c) = unpack(w);
                // A reset happened since the swap: this call belongs to
                // the old window.
                (g == gen_).then(|| {
                    let c = [0, 1, 2].map(|k| c[k].wrapping_add_signed(delta[k]));
                    after = pack(g, c);
                    after
                })
            })
            .is_ok();
        (applied && (failure || slow)).then(|| self.counts_of(after))
    }

    fn counts_of(&self, word: u64) -> Counts {
        let (_, c) = unpack(word);
        Counts {
            calls: count(c[0]).min(self.size),
            failures: count(c[1]).min(self.size),
            slow: count(c[2]).min(self.size),
        }
    }

    fn counts(&self) -> Counts {
        self.counts_of(self.counters.load(Ordering::Acquire))
    }

    fn reset(&self) {
        let _ = self
            .counters
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                let (g, _) = unpack(w);
                // Skip generation 0, which zeroed slots carry.
                let next = match g.wrapping_add(1) {
                    0 => 1,
                    n => n,
                };
                Some(pack(next, [0; 3]))
            });
    }
}

/// The calls of the last `buckets` buckets of `bucket` length each (the
/// current one partly elapsed). Each count is a word of its own: stamp
/// (bucket number + 1, 32 bits) << 32 | count; stamp 0 is empty.
#[derive(Debug)]
pub(crate) struct TimeWindow {
    bucket_nanos: u64,
    buckets: Box<[[AtomicU64; 3]]>,
}

impl TimeWindow {
    pub(crate) fn new(length: Duration, buckets: u32) -> TimeWindow {
        let nanos = crate::clock::nanos(length) / u64::from(buckets.max(1));
        TimeWindow {
            bucket_nanos: nanos.max(1),
            buckets: (0..buckets.max(1))
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)])
                .collect(),
        }
    }

    fn stamp(&self, now: Duration) -> u32 {
        ((crate::clock::nanos(now) / self.bucket_nanos) as u32)
            .wrapping_add(1)
            .max(1)
    }

    fn record(&self, failure: bool, slow: bool, now: Duration) -> Option<Counts> {
        let stamp = self.stamp(now);
        let bucket = &self.buckets[stamp as usize % self.buckets.len()];
        for (word, add) in bucket.iter().zip([true, failure, slow]) {
            if add {
                let _ = word.fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                    let n = if (w >> 32) as u32 == stamp {
                        (w as u32).saturating_add(1)
                    } else {
                        1
                    };
                    Some(u64::from(stamp) << 32 | u64::from(n))
                });
            }
        }
        (failure || slow).then(|| self.counts(now))
    }

    fn counts(&self, now: Duration) -> Counts {
        let stamp = self.stamp(now);
        let n = self.buckets.len() as u32;
        let mut sums = [0u32; 3];
        for bucket in self.buckets.iter() {
            for (sum, word) in sums.iter_mut().zip(bucket) {
                let w = word.load(Ordering::Acquire);
                let s = (w >> 32) as u32;
                if s != 0 && stamp.wrapping_sub(s) < n {
                    *sum = sum.saturating_add(w as u32);
                }
            }
        }
        Counts {
            calls: sums[0],
            failures: sums[1],
            slow: sums[2],
        }
    }

    fn reset(&self) {
        for word in self.buckets.iter().flatten() {
            word.store(0, Ordering::Release);
        }
    }
}

/// The half-open state's counters for one half-open period, in one word:
/// the state's epoch (low 24 bits) and admitted, done, failed and slow
/// calls (10 bits each). Every change checks the epoch, so a permit from an
/// earlier period can neither take nor free a slot of this one.
#[derive(Debug, Default)]
pub(crate) struct HalfOpenCounts {
    word: AtomicU64,
}

pub(crate) const MAX_HALF_OPEN_CALLS: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Half {
    pub(crate) admitted: u32,
    pub(crate) done: u32,
    pub(crate) failures: u32,
    pub(crate) slow: u32,
}

fn half_pack(epoch: u64, h: Half) -> u64 {
    (epoch & 0xff_ffff) << 40
        | u64::from(h.admitted) << 30
        | u64::from(h.done) << 20
        | u64::from(h.failures) << 10
        | u64::from(h.slow)
}

fn half_unpack(w: u64) -> (u64, Half) {
    let f = |shift: u32| ((w >> shift) & 0x3ff) as u32;
    (
        w >> 40,
        Half {
            admitted: f(30),
            done: f(20),
            failures: f(10),
            slow: f(0),
        },
    )
}

/// What an admission attempt found.
pub(crate) enum Admit {
    Yes,
    Full,
    /// The counters belong to another period: the state has moved on.
    Stale,
}

impl HalfOpenCounts {
    /// Starts the period of `epoch` with nothing admitted.
    pub(crate) fn start(&self, epoch: u64) {
        let zero = Half {
            admitted: 0,
            done: 0,
            failures: 0,
            slow: 0,
        };
        self.word.store(half_pack(epoch, zero), Ordering::Release);
    }

    pub(crate) fn admit(&self, epoch: u64, permitted: u32) -> Admit {
        let mut full = false;
        let r = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                let (e, mut h) = half_unpack(w);
                if e != epoch & 0xff_ffff {
                    return None;
                }
                if h.admitted >= permitted {
                    full = true;
                    return None;
                }
                h.admitted += 1;
                Some(half_pack(e, h))
            });
        match (r, full) {
            (Ok(_), _) => Admit::Yes,
            (Err(_), true) => Admit::Full,
            (Err(_), false) => Admit::Stale,
        }
    }

    /// Records a call of the period `epoch`: `None` (ignored) frees its
    /// slot. Returns the counts after it, or `None` if the period is over.
    pub(crate) fn record(&self, epoch: u64, outcome: Option<(bool, bool)>) -> Option<Half> {
        let mut after = None;
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                let (e, mut h) = half_unpack(w);
                if e != epoch & 0xff_ffff {
                    return None;
                }
                match outcome {
                    None => h.admitted = h.admitted.saturating_sub(1),
                    Some((failure, slow)) => {
                        h.done += 1;
                        h.failures += u32::from(failure);
                        h.slow += u32::from(slow);
                    }
                }
                after = Some(h);
                Some(half_pack(e, h))
            });
        after
    }

    #[cfg(test)]
    pub(crate) fn get(&self) -> Half {
        half_unpack(self.word.load(Ordering::Acquire)).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_window_slides() {
        let w = CountWindow::new(4);
        assert_eq!(
            w.record(true, false),
            Some(Counts {
                calls: 1,
                failures: 1,
                slow: 0
            })
        );
        for _ in 0..3 {
            assert_eq!(w.record(false, false), None);
        }
        assert_eq!(
            w.counts(),
            Counts {
                calls: 4,
                failures: 1,
                slow: 0
            }
        );
        // The failure slides out.
        w.record(false, false);
        assert_eq!(
            w.counts(),
            Counts {
                calls: 4,
                failures: 0,
                slow: 0
            }
        );
        assert_eq!(
            w.record(false, true),
            Some(Counts {
                calls: 4,
                failures: 0,
                slow: 1
            })
        );
        w.reset();
        assert_eq!(w.counts(), Counts::default());
        assert_eq!(
            w.record(true, true),
            Some(Counts {
                calls: 1,
                failures: 1,
                slow: 1
            })
        );
    }

    #[test]
    fn count_window_adds_up_under_threads() {
        let w = CountWindow::new(100);
        std::thread::scope(|s| {
            for t in 0..4 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..10_000 {
                        w.record((i + t) % 3 == 0, false);
                    }
                });
            }
        });
        let c = w.counts();
        assert_eq!(c.calls, 100);
        let slots_failed = w
            .slots
            .iter()
            .filter(|s| s.load(Ordering::Relaxed) as u8 & FAILED != 0)
            .count() as u32;
        assert_eq!(c.failures, slots_failed);
    }

    #[test]
    fn time_window_forgets_old_buckets() {
        let w = TimeWindow::new(Duration::from_secs(10), 10);
        let s = Duration::from_secs;
        w.record(true, false, s(0));
        w.record(false, false, s(5));
        assert_eq!(
            w.counts(s(9)),
            Counts {
                calls: 2,
                failures: 1,
                slow: 0
            }
        );
        assert_eq!(
            w.counts(s(10)),
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        assert_eq!(w.counts(s(15)), Counts::default());
        w.record(false, true, s(15));
        w.reset();
        assert_eq!(w.counts(s(15)), Counts::default());
    }

    #[test]
    fn half_open_counts_check_the_epoch() {
        let h = HalfOpenCounts::default();
        h.start(7);
        assert!(matches!(h.admit(7, 2), Admit::Yes));
        assert!(matches!(h.admit(7, 2), Admit::Yes));
        assert!(matches!(h.admit(7, 2), Admit::Full));
        assert!(matches!(h.admit(8, 2), Admit::Stale));
        assert_eq!(h.record(8, Some((true, false))), None);
        let after = h.record(7, Some((true, false))).unwrap();
        assert_eq!((after.admitted, after.done, after.failures), (2, 1, 1));
        assert_eq!(h.record(7, None).unwrap().admitted, 1);
    }
}
