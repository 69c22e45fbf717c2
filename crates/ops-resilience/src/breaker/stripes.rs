//! Lifetime totals by outcome, kept so that counting a call costs a
//! thread no locked instruction and no shared cache line.
//!
//! Each thread claims one of `STRIPES` slots for as long as it lives (a
//! process-wide claim, the same slot in every breaker) and is then the
//! only writer of that slot's counters: a plain load and store, not a
//! read-modify-write. Readers sum every slot. When the thread ends, its
//! claim is released (with `Release` ordering; the next owner claims with
//! `Acquire`, so it continues from the last count). Threads beyond
//! `STRIPES` share one more slot and count with `fetch_add`.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::CallOutcome;

const STRIPES: usize = 32;

#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe([AtomicU64; 5]);

const SUCCESS: usize = 0;
const FAILURE: usize = 1;
const IGNORED: usize = 2;
const REJECTED: usize = 3;
const SLOW: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct Totals {
    owned: [Stripe; STRIPES],
    shared: Stripe,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub(crate) success: u64,
    pub(crate) failure: u64,
    pub(crate) ignored: u64,
    pub(crate) rejected: u64,
    pub(crate) slow: u64,
}

/// Which slots are claimed, one bit each.
static CLAIMED: AtomicU64 = AtomicU64::new(0);

/// `SLOT` before this thread has claimed a slot.
const UNCLAIMED: usize = usize::MAX;
/// `SLOT` when every slot was taken, or the claim was given back.
const NO_SLOT: usize = usize::MAX - 1;

thread_local! {
    // A plain `Cell` with a constant initialiser: reading it is one
    // thread-pointer-relative load. (A thread-local with a destructor
    // costs a state check per access, which measured at tens of ns.)
    static SLOT: Cell<usize> = const { Cell::new(UNCLAIMED) };
    // Gives the claim back when the thread ends; touched once.
    static GUARD: Guard = const { Guard };
}

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        let i = SLOT.with(|s| s.replace(NO_SLOT));
        if i < STRIPES {
            CLAIMED.fetch_and(!(1 << i), Ordering::Release);
        }
    }
}

#[cold]
fn claim() -> usize {
    let mut claimed = CLAIMED.load(Ordering::Relaxed);
    let slot = loop {
        let free = (!claimed).trailing_zeros() as usize;
        if free >= STRIPES {
            break NO_SLOT;
        }
        match CLAIMED.compare_exchange_weak(
            claimed,
            claimed | 1 << free,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => break free,
            Err(now) => claimed = now,
        }
    };
    SLOT.with(|s| s.set(slot));
    if slot < STRIPES && GUARD.try_with(|_| ()).is_err() {
        // The thread is already ending: give the slot back at once.
        SLOT.with(|s| s.set(NO_SLOT));
        CLAIMED.fetch_and(!(1 << slot), Ordering::Release);
        return NO_SLOT;
    }
    slot
}

/// This thread's slot, if it owns one.
#[inline]
fn owned_slot() -> Option<usize> {
    let i = match SLOT.with(Cell::get) {
        UNCLAIMED => claim(),
        i => i,
    };
    (i < STRIPES).then_some(i)
}

impl Totals {
    #[inline]
    fn bump(&self, k: usize) {
        match owned_slot() {
            Some(i) => {
                // The only writer of this counter: no read-modify-write.
                let c = &self.owned[i].0[k];
                c.store(c.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
            }
            None => {
                self.shared.0[k].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    #[inline]
    pub(crate) fn add(&self, outcome: CallOutcome, slow: bool) {
        self.bump(match outcome {
            CallOutcome::Success => SUCCESS,
            CallOutcome::Failure => FAILURE,
            CallOutcome::Ignored => IGNORED,
        });
        if slow {
            self.bump(SLOW);
        }
    }

    pub(crate) fn add_rejected(&self) {
        self.bump(REJECTED);
    }

    pub(crate) fn sum(&self) -> Sums {
        let get = |k: usize| {
            self.owned
                .iter()
                .chain([&self.shared])
                .map(|s| s.0[k].load(Ordering::Relaxed))
                .fold(0u64, u64::wrapping_add)
        };
        Sums {
            success: get(SUCCESS),
            failure: get(FAILURE),
            ignored: get(IGNORED),
            rejected: get(REJECTED),
            slow: get(SLOW),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_more_threads_than_slots_add_up() {
        let totals = Totals::default();
        std::thread::scope(|s| {
            for _ in 0..(STRIPES + 8) {
                s.spawn(|| {
                    for i in 0..1000 {
                        totals.add(
                            if i % 4 == 0 {
                                CallOutcome::Failure
                            } else {
                                CallOutcome::Success
                            },
                            i % 10 == 0,
                        );
                    }
                    totals.add_rejected();
                });
            }
        });
        let n = (STRIPES + 8) as u64;
        let sums = totals.sum();
        assert_eq!(
            (sums.success, sums.failure, sums.slow, sums.rejected),
            (750 * n, 250 * n, 100 * n, n)
        );
        // Threads that ended gave their slots back.
        let t = std::thread::spawn(owned_slot).join().unwrap();
        assert!(t.is_some());
    }
}
