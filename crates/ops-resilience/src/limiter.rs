//! A token-bucket rate limiter, kept as one atomic word (GCRA).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::{Clock, SystemClock, nanos};
use crate::error::ConfigError;

/// No permit within the time allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("rate limited: the next permit is free in {wait:?}")]
pub struct RateLimited {
    /// How long until a permit would be free.
    pub wait: Duration,
}

/// A token bucket: `permits` per `period` on average, up to `burst` at
/// once, so that automation stays under an API's quota.
///
/// Implemented as the generic cell rate algorithm: the bucket is one
/// atomic "theoretical arrival time", so acquiring is a compare-and-swap,
/// with no lock and no refill thread. Clones share one bucket.
///
/// ```
/// use ops_resilience::{ManualClock, RateLimiter};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let limiter = RateLimiter::builder()
///     .permits(10)
///     .per(Duration::from_secs(1))
///     .burst(2)
///     .clock(clock.clone())
///     .build()?;
/// assert!(limiter.try_acquire().is_ok());
/// assert!(limiter.try_acquire().is_ok()); // the burst
/// assert_eq!(limiter.try_acquire().unwrap_err().wait, Duration::from_millis(100));
/// // Waits (on the clock) for up to a second.
/// assert_eq!(limiter.acquire(Duration::from_secs(1))?, Duration::from_millis(100));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    /// When the bucket would be empty again, in nanoseconds on the clock.
    tat: AtomicU64,
    interval: u64,
    tolerance: u64,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("interval", &Duration::from_nanos(self.inner.interval))
            .field("tolerance", &Duration::from_nanos(self.inner.tolerance))
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A builder: 1 permit per second, a burst of the permits per period,
    /// the system clock.
    pub fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder {
            permits: 1,
            period: Duration::from_secs(1),
            burst: None,
            clock: Arc::new(SystemClock::new()),
        }
    }

    /// Takes a permit if one is free now.
    pub fn try_acquire(&self) -> Result<(), RateLimited> {
        self.reserve(Duration::ZERO).map(|_| ())
    }

    /// Takes a permit, waiting on the clock for up to `timeout`; returns
    /// how long it waited. Fails at once, without waiting, when no permit
    /// will be free in time.
    pub fn acquire(&self, timeout: Duration) -> Result<Duration, RateLimited> {
        let wait = self.reserve(timeout)?;
        if !wait.is_zero() {
            self.inner.clock.sleep(wait);
        }
        Ok(wait)
    }

    /// The async form of [`acquire`](RateLimiter::acquire), sleeping with
    /// the runtime's timer `sleep`.
    pub async fn acquire_async_with<S, SFut>(
        &self,
        sleep: S,
        timeout: Duration,
    ) -> Result<Duration, RateLimited>
    where
        S: FnOnce(Duration) -> SFut,
        SFut: Future<Output = ()>,
    {
        let wait = self.reserve(timeout)?;
        if !wait.is_zero() {
            sleep(wait).await;
        }
        Ok(wait)
    }

    /// [`acquire_async_with`](RateLimiter::acquire_async_with) on tokio's
    /// timer.
    #[cfg(feature = "tokio")]
    pub async fn acquire_async(&self, timeout: Duration) -> Result<Duration, RateLimited> {
        self.acquire_async_with(tokio::time::sleep, timeout).await
    }

    /// Reserves the next permit if it is free within `timeout`: the wait.
    fn reserve(&self, timeout: Duration) -> Result<Duration, RateLimited> {
        let i = &*self.inner;
        let now = nanos(i.clock.now());
        let limit = nanos(timeout);
        let mut wait = 0;
        i.tat
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tat| {
                let tat = tat.max(now);
                wait = (tat - now).saturating_sub(i.tolerance);
                (wait <= limit).then(|| tat.saturating_add(i.interval))
            })
            .map(|_| Duration::from_nanos(wait))
            .map_err(|_| RateLimited {
                wait: Duration::from_nanos(wait),
            })
    }
}

/// Builds a [`RateLimiter`].
pub struct RateLimiterBuilder {
    permits: u32,
    period: Duration,
    burst: Option<u32>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RateLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiterBuilder")
            .field("permits", &self.permits)
            .field("period", &self.period)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl RateLimiterBuilder {
    /// Permits per period (at least 1). Default 1.
    pub fn permits(mut self, n: u32) -> Self {
        self.permits = n;
        self
    }

    /// The period. Default 1 s.
    pub fn per(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// Permits that may be taken at once after a quiet spell (at least 1).
    /// Default: the permits per period.
    pub fn burst(mut self, n: u32) -> Self {
        self.burst = Some(n);
        self
    }

    /// The clock. Default [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<RateLimiter, ConfigError> {
        if self.permits == 0 {
            return Err(ConfigError::invalid("permits", "0 permits per period"));
        }
        let burst = self.burst.unwrap_or(self.permits);
        if burst == 0 {
            return Err(ConfigError::invalid(
                "burst",
                "0: not even one call could pass",
            ));
        }
        let interval = nanos(self.period) / u64::from(self.permits);
        if interval == 0 {
            return Err(ConfigError::invalid(
                "per",
                format!(
                    "{:?} for {} permits is under a nanosecond each",
                    self.period, self.permits
                ),
            ));
        }
        Ok(RateLimiter {
            inner: Arc::new(Inner {
                tat: AtomicU64::new(0),
                interval,
                tolerance: interval.saturating_mul(u64::from(burst - 1)),
                clock: self.clock,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn burst_then_steady_rate() {
        let clock = ManualClock::new();
        let l = RateLimiter::builder()
            .permits(5)
            .per(ms(1000))
            .clock(clock.clone())
            .build()
            .unwrap();
        for _ in 0..5 {
            l.try_acquire().unwrap();
        }
        assert_eq!(l.try_acquire(), Err(RateLimited { wait: ms(200) }));
        clock.advance(ms(200));
        l.try_acquire().unwrap();
        assert!(l.try_acquire().is_err());
        // A timeout too short fails at once and reserves nothing.
        assert_eq!(l.acquire(ms(100)), Err(RateLimited { wait: ms(200) }));
        assert_eq!(l.acquire(ms(200)), Ok(ms(200)));
        assert_eq!(clock.slept(), ms(200));
    }

    #[test]
    fn invalid_settings() {
        assert!(RateLimiter::builder().permits(0).build().is_err());
        assert!(RateLimiter::builder().burst(0).build().is_err());
        assert!(
            RateLimiter::builder()
                .permits(10)
                .per(Duration::from_nanos(5))
                .build()
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn never_more_than_burst_plus_rate(permits in 1u32..100, burst in 1u32..50, steps in proptest::collection::vec(0u64..300, 1..200)) {
            let clock = ManualClock::new();
            let l = RateLimiter::builder().permits(permits).per(ms(1000)).burst(burst).clock(clock.clone()).build().unwrap();
            let mut granted = 0u64;
            for step in steps {
                clock.advance(ms(step));
                while l.try_acquire().is_ok() {
                    granted += 1;
                }
            }
            // Over elapsed time t: at most burst + t * rate permits.
            let t = clock.now().as_nanos() as u64;
            let interval = 1_000_000_000 / u64::from(permits);
            prop_assert!(granted <= u64::from(burst) + t / interval, "{granted} permits in {t} ns");
        }
    }
}
