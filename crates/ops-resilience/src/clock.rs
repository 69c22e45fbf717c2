//! Where time comes from: every wait and every measurement in this crate
//! goes through a [`Clock`], so tests can run on virtual time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock that can also block the calling thread.
///
/// Time is a [`Duration`] since the clock's own origin (any fixed point in
/// the past), which keeps the arithmetic in plain integers: the circuit
/// breaker stores deadlines in atomics as nanoseconds.
///
/// The trait is object-safe; policies hold an `Arc<dyn Clock>`.
///
/// ```
/// use ops_resilience::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// clock.sleep(Duration::from_secs(5)); // returns at once, time moves on
/// assert_eq!(clock.now(), Duration::from_secs(5));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time since this clock's origin; never goes backwards.
    fn now(&self) -> Duration;

    /// Blocks the calling thread for `duration`. A virtual clock advances
    /// itself instead of blocking.
    fn sleep(&self, duration: Duration);
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
}

/// The real monotonic clock ([`Instant`]) and [`std::thread::sleep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A virtual clock that moves only when told to, or when something sleeps
/// on it: [`Clock::sleep`] advances it by the duration and returns at once.
///
/// Clones share the same time, so a test keeps one clone and hands another
/// to the policy or breaker under test.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
    slept: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock forward by `by` (saturating at about 584 years).
    pub fn advance(&self, by: Duration) {
        let by = nanos(by);
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// The total time that sleepers have spent on this clock, a subset of
    /// [`Clock::now`]: what a test asserts to prove nothing slept too long.
    pub fn slept(&self) -> Duration {
        Duration::from_nanos(self.slept.load(Ordering::Acquire))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
    fn sleep(&self, duration: Duration) {
        let by = nanos(duration);
        let _ = self
            .slept
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
        self.advance(duration);
    }
}

/// Tokio's clock ([`tokio::time::Instant`]), which follows
/// `tokio::time::pause` and `advance` in tests. Its blocking
/// [`Clock::sleep`] is [`std::thread::sleep`]; async code sleeps with
/// `tokio::time::sleep`, which `retry_async` does.
#[cfg(feature = "tokio")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

#[cfg(feature = "tokio")]
impl TokioClock {
    /// A clock whose origin is tokio's now.
    pub fn new() -> TokioClock {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

#[cfg(feature = "tokio")]
impl Default for TokioClock {
    fn default() -> TokioClock {
        TokioClock::new()
    }
}

#[cfg(feature = "tokio")]
impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A duration in whole nanoseconds, saturating at `u64::MAX`.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new();
        let other = clock.clone();
        assert_eq!(clock.now(), Duration::ZERO);
        other.advance(Duration::from_millis(1500));
        assert_eq!(clock.now(), Duration::from_millis(1500));
        clock.sleep(Duration::from_secs(2));
        assert_eq!(other.now(), Duration::from_millis(3500));
        assert_eq!(other.slept(), Duration::from_secs(2));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn system_clock_is_monotonic() {
        let clock = SystemClock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b >= a);
    }

    #[test]
    fn clock_is_object_safe() {
        fn takes(_: &dyn Clock) {}
        takes(&ManualClock::new());
        let shared: Arc<dyn Clock> = Arc::new(SystemClock::new());
        takes(&shared);
    }
}
