//! The source of time for deadlines and durations.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// Where a run reads the time: when it started, when its timeout, grace
/// period and wait delay run out, and how long it took.
///
/// A process runs in real time, so the waits themselves are real (the
/// operating system's `poll`, or tokio's timers); the clock decides when a
/// deadline has passed. Tests inject a clock that runs ahead to see the
/// timeout path without waiting for it; [`SystemClock`] is the default.
pub trait Clock: fmt::Debug + Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The monotonic system clock, [`Instant::now`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A shared clock; equal when it is the same clock.
#[derive(Debug, Clone)]
pub(crate) struct SharedClock(pub(crate) Arc<dyn Clock>);

impl Default for SharedClock {
    fn default() -> SharedClock {
        SharedClock(Arc::new(SystemClock))
    }
}

impl PartialEq for SharedClock {
    fn eq(&self, other: &SharedClock) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedClock {}

#[cfg(test)]
mod tests {
    use super::*;

    fn _object_safe(_: &dyn Clock) {}

    #[test]
    fn system_clock_is_monotonic_and_shared_clocks_compare_by_identity() {
        let a = SystemClock.now();
        assert!(SystemClock.now() >= a);
        let one = SharedClock::default();
        assert_eq!(one, one.clone());
        assert_ne!(one, SharedClock::default());
    }
}
