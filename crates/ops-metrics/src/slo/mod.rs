//! Error-budget arithmetic, as in the SRE workbook's "Implementing SLOs"
//! and "Alerting on SLOs" chapters.

use std::time::Duration;

use crate::SloError;

pub(crate) mod rules;

/// A service level objective: the share of events that must be good, as a
/// ratio strictly between 0 and 1 (99.9% is `0.999`).
///
/// ```
/// use ops_metrics::Objective;
/// use std::time::Duration;
///
/// let slo = Objective::from_percent(99.9)?;
/// let month = Duration::from_secs(30 * 86_400);
/// // 43.2 minutes of downtime a month.
/// assert_eq!(slo.allowed_downtime(month), Duration::from_secs(2_592));
/// // 400 bad requests of 1,000,000 spend 40% of the budget.
/// assert!((slo.budget_remaining(999_600.0, 1_000_000.0)? - 0.6).abs() < 1e-9);
/// // 1% errors burn the budget 10 times as fast as allowed: it lasts 3 days.
/// let burn = slo.burn_rate(0.01);
/// assert!((burn - 10.0).abs() < 1e-9);
/// let left = slo.time_to_exhaustion(month, 1.0, burn).unwrap();
/// assert_eq!(left.as_secs(), 3 * 86_400);
/// # Ok::<(), ops_metrics::SloError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Objective {
    ratio: f64,
    /// `1 - ratio`, computed from the decimal the user wrote where
    /// possible, so that 99.9% gives a budget of exactly 0.001.
    budget: f64,
}

impl Objective {
    /// From a ratio in (0, 1).
    pub fn new(ratio: f64) -> Result<Objective, SloError> {
        if !(ratio > 0.0 && ratio < 1.0) {
            return Err(SloError::Objective(ratio * 100.0));
        }
        Ok(Objective {
            ratio,
            budget: round12(1.0 - ratio),
        })
    }

    /// From a percentage in (0, 100): `99.9`.
    pub fn from_percent(percent: f64) -> Result<Objective, SloError> {
        if !(percent > 0.0 && percent < 100.0) {
            return Err(SloError::Objective(percent));
        }
        Ok(Objective {
            ratio: percent / 100.0,
            budget: round12((100.0 - percent) / 100.0),
        })
    }

    /// The objective as a ratio.
    pub fn ratio(self) -> f64 {
        self.ratio
    }

    /// The error budget: the share of events allowed to be bad (`0.001`).
    pub fn error_budget(self) -> f64 {
        self.budget
    }

    /// How long the service may be down in `window` and still meet the
    /// objective (to the millisecond).
    pub fn allowed_downtime(self, window: Duration) -> Duration {
        Duration::from_millis((window.as_millis() as f64 * self.budget).round() as u64)
    }

    /// The share of the error budget left after `good` of `total` events
    /// were good: 1 when nothing went wrong, 0 when the budget is spent,
    /// negative when it is overspent. With no events, nothing is spent.
    pub fn budget_remaining(self, good: f64, total: f64) -> Result<f64, SloError> {
        if !(good.is_finite() && total.is_finite() && good >= 0.0 && good <= total) {
            return Err(SloError::Counts { good, total });
        }
        if total == 0.0 {
            return Ok(1.0);
        }
        let bad = total - good;
        Ok(1.0 - bad / (total * self.budget))
    }

    /// How many times faster than allowed the budget is being spent when
    /// `error_ratio` of events are bad: 1 spends it exactly over the
    /// window, 14.4 spends 2% of a 30-day budget in an hour.
    pub fn burn_rate(self, error_ratio: f64) -> f64 {
        error_ratio / self.budget
    }

    /// The share of the budget of `window` that burning at `burn_rate`
    /// for `over` spends (the workbook's 14.4 for 1 h of 30 days: 0.02).
    pub fn budget_consumed(burn_rate: f64, over: Duration, window: Duration) -> f64 {
        burn_rate * over.as_secs_f64() / window.as_secs_f64()
    }

    /// How long until the budget runs out: `remaining` (a share of the
    /// budget of `window`, as from [`budget_remaining`](Self::budget_remaining))
    /// spent at `burn_rate`. `None` when nothing is being spent; zero when
    /// the budget is already gone.
    pub fn time_to_exhaustion(
        self,
        window: Duration,
        remaining: f64,
        burn_rate: f64,
    ) -> Option<Duration> {
        if remaining <= 0.0 {
            return Some(Duration::ZERO);
        }
        if burn_rate.is_nan() || burn_rate <= 0.0 || !remaining.is_finite() {
            return None;
        }
        let secs = remaining * window.as_secs_f64() / burn_rate;
        Duration::try_from_secs_f64(secs).ok().map(round_millis)
    }
}

fn round_millis(d: Duration) -> Duration {
    Duration::from_millis((d.as_secs_f64() * 1000.0).round() as u64)
}

/// Rounds to 12 significant decimals: what a person meant by `1 - 0.999`.
fn round12(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 12 - v.abs().log10().ceil() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// Who an alert goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Wake someone up.
    Page,
    /// Look at it in working hours.
    Ticket,
}

impl Severity {
    /// The `severity` label's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One multi-window burn-rate condition: the error ratio over both the
/// long and the short window exceeds `burn_rate` times the budget (the
/// short window makes the alert stop soon after the burn does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnRateAlert {
    /// The long window (1 h).
    pub long: Duration,
    /// The short window, a twelfth of the long one (5 m).
    pub short: Duration,
    /// The burn rate that fires it (14.4).
    pub burn_rate: f64,
    /// Who is told.
    pub severity: Severity,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// The SRE workbook's recommended policy ("Alerting on SLOs", table 5-8)
/// for a 30-day window: page at 14.4x over 1 h and 5 m (2% of the budget
/// spent) or 6x over 6 h and 30 m (5%); ticket at 3x over 1 d and 2 h
/// (10%) or 1x over 3 d and 6 h (10%).
pub const WORKBOOK_ALERTS: [BurnRateAlert; 4] = [
    BurnRateAlert {
        long: Duration::from_secs(HOUR),
        short: Duration::from_secs(5 * MINUTE),
        burn_rate: 14.4,
        severity: Severity::Page,
    },
    BurnRateAlert {
        long: Duration::from_secs(6 * HOUR),
        short: Duration::from_secs(30 * MINUTE),
        burn_rate: 6.0,
        severity: Severity::Page,
    },
    BurnRateAlert {
        long: Duration::from_secs(DAY),
        short: Duration::from_secs(2 * HOUR),
        burn_rate: 3.0,
        severity: Severity::Ticket,
    },
    BurnRateAlert {
        long: Duration::from_secs(3 * DAY),
        short: Duration::from_secs(6 * HOUR),
        burn_rate: 1.0,
        severity: Severity::Ticket,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MONTH: Duration = Duration::from_secs(30 * DAY);

    #[test]
    fn allowed_downtime_per_objective() {
        // The availability table everyone keeps next to their SLOs.
        for (percent, window, want_secs) in [
            (99.9, MONTH, 2_592),                           // 43.2 minutes
            (99.99, MONTH, 259),                            // 4.32 minutes (259.2 s)
            (99.0, MONTH, 25_920),                          // 7.2 hours
            (99.5, MONTH, 12_960),                          // 3.6 hours
            (99.95, MONTH, 1_296),                          // 21.6 minutes
            (99.9, Duration::from_secs(365 * DAY), 31_536), // 8.76 hours a year
            (99.9, Duration::from_secs(7 * DAY), 604),      // 10.08 minutes a week
            (99.999, MONTH, 25),                            // 25.9 s
        ] {
            let slo = Objective::from_percent(percent).unwrap();
            assert_eq!(
                slo.allowed_downtime(window).as_secs(),
                want_secs,
                "{percent}% over {window:?}"
            );
        }
        let slo = Objective::from_percent(99.99).unwrap();
        assert_eq!(slo.allowed_downtime(MONTH), Duration::from_millis(259_200));
    }

    #[test]
    fn workbook_burn_rates_and_budget_spent() {
        // "Alerting on SLOs", table 5-8: budget consumed before the alert.
        let spent: Vec<f64> = WORKBOOK_ALERTS
            .iter()
            .map(|a| Objective::budget_consumed(a.burn_rate, a.long, MONTH))
            .collect();
        let want = [0.02, 0.05, 0.10, 0.10];
        for (got, want) in spent.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{spent:?}");
        }
        // Short windows are a twelfth of the long ones.
        for a in WORKBOOK_ALERTS {
            assert_eq!(a.long.as_secs(), a.short.as_secs() * 12);
        }
    }

    #[test]
    fn workbook_time_to_exhaustion() {
        // "Alerting on SLOs", table 5-4, 99.9% over 30 days: error rate,
        // burn rate, time to spend the whole budget.
        let slo = Objective::from_percent(99.9).unwrap();
        for (error_ratio, burn, want) in [
            (0.001, 1.0, MONTH),
            (0.002, 2.0, Duration::from_secs(15 * DAY)),
            (0.01, 10.0, Duration::from_secs(3 * DAY)),
            (1.0, 1000.0, Duration::from_millis(2_592_000)), // 43.2 minutes
        ] {
            let b = slo.burn_rate(error_ratio);
            assert!((b - burn).abs() < 1e-9, "{error_ratio}: {b}");
            assert_eq!(slo.time_to_exhaustion(MONTH, 1.0, b), Some(want));
        }
        // Half the budget left at 2x: a week and a half.
        assert_eq!(
            slo.time_to_exhaustion(MONTH, 0.5, 2.0),
            Some(Duration::from_secs(7 * DAY + 12 * HOUR))
        );
        assert_eq!(slo.time_to_exhaustion(MONTH, 0.5, 0.0), None);
        assert_eq!(
            slo.time_to_exhaustion(MONTH, -0.2, 3.0),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn budget_remaining_from_counts() {
        let slo = Objective::from_percent(99.9).unwrap();
        // The workbook's example: 1,000,000 requests allow 1,000 errors.
        let left = |good: f64| slo.budget_remaining(good, 1_000_000.0).unwrap();
        assert!((left(1_000_000.0) - 1.0).abs() < 1e-12);
        assert!((left(999_000.0) - 0.0).abs() < 1e-9);
        assert!((left(998_000.0) + 1.0).abs() < 1e-9);
        assert_eq!(slo.budget_remaining(0.0, 0.0), Ok(1.0));
        assert!(slo.budget_remaining(5.0, 4.0).is_err());
        assert!(slo.budget_remaining(f64::NAN, 4.0).is_err());
    }

    #[test]
    fn objectives_out_of_range() {
        for p in [0.0, 100.0, -1.0, 150.0, f64::NAN] {
            assert!(Objective::from_percent(p).is_err(), "{p}");
        }
        assert!(Objective::new(1.0).is_err());
        assert_eq!(Objective::new(0.999).unwrap().error_budget(), 0.001);
        assert_eq!(Objective::from_percent(99.9).unwrap().error_budget(), 0.001);
    }

    proptest! {
        /// Spending the budget at a constant burn rate for the time to
        /// exhaustion spends exactly the remaining budget.
        #[test]
        fn exhaustion_matches_consumption(
            percent in 90.0f64..99.999,
            remaining in 0.01f64..1.0,
            burn in 0.1f64..1000.0,
        ) {
            let slo = Objective::from_percent(percent).unwrap();
            let t = slo.time_to_exhaustion(MONTH, remaining, burn).unwrap();
            let spent = Objective::budget_consumed(burn, t, MONTH);
            prop_assert!((spent - remaining).abs() < 1e-6, "{spent} vs {remaining}");
        }

        /// More good events never leave less budget.
        #[test]
        fn budget_is_monotonic_in_good_events(
            total in 1.0f64..1e9, a in 0.0f64..1.0, b in 0.0f64..1.0, percent in 50.0f64..99.99,
        ) {
            let slo = Objective::from_percent(percent).unwrap();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let r_lo = slo.budget_remaining(total * lo, total).unwrap();
            let r_hi = slo.budget_remaining(total * hi, total).unwrap();
            prop_assert!(r_hi >= r_lo);
            prop_assert!(r_hi <= 1.0 + 1e-12);
        }
    }
}
