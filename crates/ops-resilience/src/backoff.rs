//! Backoff schedules and jitter: how long to wait before each retry.

use std::time::Duration;

use crate::error::ConfigError;
use crate::rng::SplitMix64;

/// The longest delay any schedule produces: about 584 years, the range of
/// the nanosecond arithmetic used for jitter.
const MAX_DELAY: Duration = Duration::from_nanos(u64::MAX);

/// A backoff schedule: the base delay before each retry, never above its
/// cap.
///
/// Retry `n` is the `n`-th retry (the wait after attempt `n`), counted
/// from 1. Jitter ([`Jitter`]) is applied on top by [`Delays`].
///
/// ```
/// use ops_resilience::Backoff;
/// use std::time::Duration;
///
/// let ms = Duration::from_millis;
/// let b = Backoff::exponential(ms(100), 2.0, ms(1000))?;
/// let delays: Vec<_> = (1..=6).map(|n| b.delay(n)).collect();
/// assert_eq!(delays, [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    kind: Kind,
    initial: Duration,
    max: Duration,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Constant,
    Linear { step: Duration },
    Exponential { factor: f64 },
}

impl Backoff {
    /// The same delay before every retry.
    pub fn constant(delay: Duration) -> Backoff {
        let delay = delay.min(MAX_DELAY);
        Backoff {
            kind: Kind::Constant,
            initial: delay,
            max: delay,
        }
    }

    /// `initial`, then `initial + step`, `initial + 2 * step`, ... up to
    /// `max`. Fails when `max < initial`.
    pub fn linear(
        initial: Duration,
        step: Duration,
        max: Duration,
    ) -> Result<Backoff, ConfigError> {
        check_cap(initial, max)?;
        Ok(Backoff {
            kind: Kind::Linear { step },
            initial,
            max: max.min(MAX_DELAY),
        })
    }

    /// `initial`, then `initial * factor`, `initial * factor²`, ... up to
    /// `max`. Fails unless `factor` is a finite number of at least 1 and
    /// `initial <= max`.
    pub fn exponential(
        initial: Duration,
        factor: f64,
        max: Duration,
    ) -> Result<Backoff, ConfigError> {
        if !factor.is_finite() || factor < 1.0 {
            return Err(ConfigError::invalid(
                "backoff factor",
                format!("{factor} is not a finite number of at least 1"),
            ));
        }
        check_cap(initial, max)?;
        Ok(Backoff {
            kind: Kind::Exponential { factor },
            initial,
            max: max.min(MAX_DELAY),
        })
    }

    /// The first delay.
    pub fn initial(&self) -> Duration {
        self.initial
    }

    /// The cap: no delay is longer.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The base delay before retry `retry` (1 for the first retry; 0 is
    /// taken as 1), in `initial..=max`.
    pub fn delay(&self, retry: u32) -> Duration {
        let steps = retry.saturating_sub(1);
        let d = match self.kind {
            Kind::Constant => self.initial,
            Kind::Linear { step } => step
                .checked_mul(steps)
                .and_then(|s| s.checked_add(self.initial))
                .unwrap_or(self.max),
            Kind::Exponential { factor } => {
                let exp = i32::try_from(steps).unwrap_or(i32::MAX);
                let secs = self.initial.as_secs_f64() * factor.powi(exp);
                if secs.is_finite() && secs < self.max.as_secs_f64() {
                    Duration::try_from_secs_f64(secs).unwrap_or(self.max)
                } else {
                    self.max
                }
            }
        };
        d.clamp(self.initial, self.max)
    }

    /// The jittered delays of one run of retries, starting with the first
    /// retry. `seed` makes them reproducible; `None` draws a random seed.
    pub fn delays(&self, jitter: Jitter, seed: Option<u64>) -> Delays {
        Delays {
            backoff: self.clone(),
            jitter,
            retry: 0,
            prev: self.initial,
            seed,
            rng: None,
        }
    }
}

fn check_cap(initial: Duration, max: Duration) -> Result<(), ConfigError> {
    if max < initial {
        return Err(ConfigError::invalid(
            "backoff max",
            format!("{max:?} is less than the initial delay {initial:?}"),
        ));
    }
    Ok(())
}

/// How a delay is randomised, as in the AWS Architecture Blog's
/// "Exponential Backoff and Jitter": spreading retries keeps clients that
/// failed together from retrying together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// The schedule's delay as it is.
    None,
    /// Uniform in `0..=delay`: the most spread, the study's recommendation.
    #[default]
    Full,
    /// Uniform in `delay/2..=delay`: never less than half the delay.
    Equal,
    /// Uniform in `initial..=3 * previous`, capped at the schedule's max:
    /// grows from the last delay actually slept, not from the attempt
    /// number.
    Decorrelated,
}

impl Jitter {
    /// The range a jittered delay falls in, for base delay `base` of
    /// `backoff` (decorrelated jitter: given the previous delay `prev`).
    pub fn range(self, backoff: &Backoff, base: Duration, prev: Duration) -> (Duration, Duration) {
        match self {
            Jitter::None => (base, base),
            Jitter::Full => (Duration::ZERO, base),
            Jitter::Equal => (base / 2, base),
            Jitter::Decorrelated => {
                let hi = prev.saturating_mul(3).min(backoff.max);
                (backoff.initial.min(hi), hi)
            }
        }
    }
}

/// The delays of one run of retries: an endless iterator (stopping is the
/// retry policy's business).
#[derive(Debug, Clone, PartialEq)]
pub struct Delays {
    backoff: Backoff,
    jitter: Jitter,
    retry: u32,
    prev: Duration,
    seed: Option<u64>,
    /// Seeded on the first delay: a call that succeeds at once never pays
    /// for drawing a random seed.
    rng: Option<SplitMix64>,
}

impl Delays {
    /// The number of delays drawn so far.
    pub fn retries(&self) -> u32 {
        self.retry
    }
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.retry = self.retry.saturating_add(1);
        let base = self.backoff.delay(self.retry);
        let (lo, hi) = self.jitter.range(&self.backoff, base, self.prev);
        let seed = self.seed;
        let rng = self
            .rng
            .get_or_insert_with(|| SplitMix64::new(seed.unwrap_or_else(SplitMix64::random_seed)));
        let d = rng.between(lo, hi);
        self.prev = d.max(self.backoff.initial);
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn schedules_grow_then_cap() {
        let lin = Backoff::linear(ms(100), ms(50), ms(220)).unwrap();
        let got: Vec<_> = (1..=4).map(|n| lin.delay(n)).collect();
        assert_eq!(got, [ms(100), ms(150), ms(200), ms(220)]);
        let c = Backoff::constant(ms(7));
        assert_eq!(c.delay(1), ms(7));
        assert_eq!(c.delay(u32::MAX), ms(7));
        let e = Backoff::exponential(ms(1), 10.0, Duration::from_secs(3600)).unwrap();
        assert_eq!(e.delay(u32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn invalid_schedules_are_errors() {
        assert_eq!(
            Backoff::exponential(ms(1), 0.5, ms(10))
                .unwrap_err()
                .setting(),
            "backoff factor"
        );
        assert!(Backoff::exponential(ms(1), f64::NAN, ms(10)).is_err());
        assert!(Backoff::exponential(ms(1), f64::INFINITY, ms(10)).is_err());
        let e = Backoff::linear(ms(10), ms(1), ms(5)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid backoff max: 5ms is less than the initial delay 10ms"
        );
    }

    #[test]
    fn seeded_delays_repeat() {
        let b = Backoff::exponential(ms(10), 2.0, ms(1000)).unwrap();
        let a: Vec<_> = b.delays(Jitter::Full, Some(7)).take(10).collect();
        let c: Vec<_> = b.delays(Jitter::Full, Some(7)).take(10).collect();
        assert_eq!(a, c);
        let d: Vec<_> = b.delays(Jitter::Full, Some(8)).take(10).collect();
        assert_ne!(a, d);
    }

    fn any_backoff() -> impl Strategy<Value = Backoff> {
        let d = (0u64..5_000_000_000).prop_map(Duration::from_nanos);
        prop_oneof![
            d.clone().prop_map(Backoff::constant),
            (d.clone(), d.clone(), d.clone())
                .prop_map(|(a, s, m)| { Backoff::linear(a.min(m), s, a.max(m)).unwrap() }),
            (d.clone(), 1.0f64..16.0, d)
                .prop_map(|(a, f, m)| { Backoff::exponential(a.min(m), f, a.max(m)).unwrap() }),
        ]
    }

    fn any_jitter() -> impl Strategy<Value = Jitter> {
        prop_oneof![
            Just(Jitter::None),
            Just(Jitter::Full),
            Just(Jitter::Equal),
            Just(Jitter::Decorrelated)
        ]
    }

    proptest! {
        #[test]
        fn base_delay_within_bounds_for_any_attempt(b in any_backoff(), n in any::<u32>()) {
            let d = b.delay(n);
            prop_assert!(d >= b.initial() && d <= b.max(), "{d:?} outside {:?}..={:?}", b.initial(), b.max());
            // Monotone: a later retry never waits less.
            prop_assert!(b.delay(n.saturating_add(1)) >= d);
        }

        #[test]
        fn jitter_stays_in_its_range(b in any_backoff(), j in any_jitter(), seed in any::<u64>(), skip in 0usize..64) {
            let mut delays = b.delays(j, Some(seed));
            let mut prev = b.initial();
            for _ in 0..skip {
                prev = delays.next().unwrap().max(b.initial());
            }
            let retry = delays.retries() + 1;
            let d = delays.next().unwrap();
            let (lo, hi) = j.range(&b, b.delay(retry), prev);
            prop_assert!(lo <= d && d <= hi, "{j:?} retry {retry}: {d:?} outside {lo:?}..={hi:?}");
            prop_assert!(d <= b.max());
            if j != Jitter::Full {
                prop_assert!(d >= b.initial().min(b.delay(retry)) / 2);
            }
        }
    }
}
