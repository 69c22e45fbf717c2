//! Lifetime totals by outcome, striped across cache lines so that threads
//! counting calls do not contend for one line.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::CallOutcome;

const STRIPES: usize = 8;

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
    stripes: [Stripe; STRIPES],
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub(crate) success: u64,
    pub(crate) failure: u64,
    pub(crate) ignored: u64,
    pub(crate) rejected: u64,
    pub(crate) slow: u64,
}

/// This thread's stripe, handed out round-robin on first use.
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    MINE.with(|m| {
        let mut i = m.get();
        if i == usize::MAX {
            i = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
            m.set(i);
        }
        i
    })
}

impl Totals {
    #[inline]
    pub(crate) fn add(&self, outcome: CallOutcome, slow: bool) {
        let s = &self.stripes[stripe()].0;
        let k = match outcome {
            CallOutcome::Success => SUCCESS,
            CallOutcome::Failure => FAILURE,
            CallOutcome::Ignored => IGNORED,
        };
        s[k].fetch_add(1, Ordering::Relaxed);
        if slow {
            s[SLOW].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn add_rejected(&self) {
        self.stripes[stripe()].0[REJECTED].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn sum(&self) -> Sums {
        let get = |k: usize| {
            self.stripes
                .iter()
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
