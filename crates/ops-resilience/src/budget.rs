//! A retry budget shared across calls, so that a failing dependency cannot
//! turn every call into several (a retry storm).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::ConfigError;

/// Tokens are kept in thousandths, so that a ratio of 0.1 deposits exactly.
const MILLI: i64 = 1000;

/// A token bucket of retries, as in Finagle's `RetryBudget` and tower's
/// `TpsBudget`: every call deposits `ratio` of a token, every retry
/// withdraws a whole one, and a reserve of `min_per_sec` retries a second
/// lets a quiet client retry at all.
///
/// With a ratio of 0.2, retries add at most about 20% to the load (plus
/// the reserve), however many calls fail. Clones share one bucket: attach
/// the same budget to every policy that calls one dependency.
///
/// ```
/// use ops_resilience::RetryBudget;
/// use std::time::Duration;
///
/// let budget = RetryBudget::new(0.5, 0)?;
/// budget.deposit();
/// budget.deposit();
/// assert!(budget.try_withdraw(Duration::ZERO)); // two calls earn one retry
/// assert!(!budget.try_withdraw(Duration::ZERO));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    balance: AtomicI64,
    deposit: i64,
    cap: i64,
    min_per_sec: u32,
    reserve: Mutex<Reserve>,
}

#[derive(Debug)]
struct Reserve {
    tokens: f64,
    last: Option<Duration>,
}

impl RetryBudget {
    /// A budget in which each call earns `ratio` retries (0 to 1000) and
    /// `min_per_sec` retries a second are always allowed. The balance is
    /// capped at 100 retries, or `ratio * 100` if more, so a long healthy
    /// spell does not bank an unlimited storm.
    pub fn new(ratio: f64, min_per_sec: u32) -> Result<RetryBudget, ConfigError> {
        if !(0.0..=1000.0).contains(&ratio) {
            return Err(ConfigError::invalid(
                "budget ratio",
                format!("{ratio} is not between 0 and 1000"),
            ));
        }
        // In range by the check above, so the cast cannot truncate.
        let deposit = (ratio * MILLI as f64).round() as i64;
        Ok(RetryBudget {
            inner: Arc::new(Inner {
                balance: AtomicI64::new(0),
                deposit,
                cap: (100 * MILLI).max(deposit * 100),
                min_per_sec,
                reserve: Mutex::new(Reserve {
                    tokens: f64::from(min_per_sec),
                    last: None,
                }),
            }),
        })
    }

    /// Records a call (a first attempt), earning `ratio` of a retry.
    pub fn deposit(&self) {
        let i = &*self.inner;
        if i.deposit == 0 {
            return;
        }
        let _ = i
            .balance
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                (b < i.cap).then(|| (b + i.deposit).min(i.cap))
            });
    }

    /// Takes one retry from the budget if there is one; `now` (on the
    /// policy's clock) refills the per-second reserve.
    pub fn try_withdraw(&self, now: Duration) -> bool {
        let i = &*self.inner;
        let took = i
            .balance
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                (b >= MILLI).then_some(b - MILLI)
            })
            .is_ok();
        if took || i.min_per_sec == 0 {
            return took;
        }
        let mut r = i.reserve.lock().unwrap_or_else(PoisonError::into_inner);
        let max = f64::from(i.min_per_sec);
        if let Some(last) = r.last {
            let earned = now.saturating_sub(last).as_secs_f64() * max;
            r.tokens = (r.tokens + earned).min(max);
        }
        r.last = Some(now);
        if r.tokens >= 1.0 {
            r.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The retries the balance holds now, reserve not included.
    pub fn balance(&self) -> f64 {
        self.inner.balance.load(Ordering::Acquire) as f64 / MILLI as f64
    }
}

impl PartialEq for RetryBudget {
    /// Two handles are equal when they share one bucket.
    fn eq(&self, other: &RetryBudget) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_earn_retries_up_to_the_cap() {
        let b = RetryBudget::new(0.1, 0).unwrap();
        for _ in 0..10 {
            b.deposit();
        }
        assert!(b.try_withdraw(Duration::ZERO));
        assert!(!b.try_withdraw(Duration::ZERO));
        for _ in 0..100_000 {
            b.deposit();
        }
        assert_eq!(b.balance(), 100.0);
        assert!(RetryBudget::new(-0.1, 1).is_err());
        assert!(RetryBudget::new(f64::NAN, 1).is_err());
    }

    #[test]
    fn the_reserve_refills_with_time() {
        let b = RetryBudget::new(0.0, 2).unwrap();
        let s = Duration::from_secs;
        assert!(b.try_withdraw(s(0)));
        assert!(b.try_withdraw(s(0)));
        assert!(!b.try_withdraw(s(0)));
        assert!(b.try_withdraw(Duration::from_millis(500)));
        assert!(!b.try_withdraw(Duration::from_millis(500)));
        // Never more than one second's worth.
        assert!(b.try_withdraw(s(100)));
        assert!(b.try_withdraw(s(100)));
        assert!(!b.try_withdraw(s(100)));
    }

    #[test]
    fn clones_share_the_bucket() {
        let a = RetryBudget::new(1.0, 0).unwrap();
        let b = a.clone();
        a.deposit();
        assert_eq!(a, b);
        assert!(b.try_withdraw(Duration::ZERO));
        assert!(!a.try_withdraw(Duration::ZERO));
    }
}
