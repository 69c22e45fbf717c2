//! Metrics of retries and circuit breakers, fed by ops-resilience's
//! listeners.
//!
//! `RetryMetrics::listener` and `BreakerMetrics::listener` return
//! listeners bound to one operation or breaker, holding that label's
//! counters, so an event costs an atomic add and no lookup. The plain
//! `record_*` methods serve any other retry loop.

use std::time::Duration;

use ops_resilience::{
    AttemptEvent, BreakerListener, CallEvent, CallOutcome, NextStep, Rejected, RetryListener,
    State, Transition,
};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// How one attempt of a retried operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// It succeeded.
    Success,
    /// It failed and another attempt follows.
    Retry,
    /// It failed and no attempt follows (attempts or time used up, or an
    /// error that is not worth retrying).
    GaveUp,
}

/// How a call through a circuit breaker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallResult {
    /// The call succeeded.
    Success,
    /// The call failed.
    Failure,
    /// The call was made but counts neither way (ops-resilience's
    /// `CallOutcome::Ignored`).
    Ignored,
    /// The breaker refused the call.
    Rejected,
}

impl AttemptOutcome {
    /// The label value: `success`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Success => "success",
            AttemptOutcome::Retry => "retry",
            AttemptOutcome::GaveUp => "gave_up",
        }
    }
}

impl CallResult {
    const ALL: [CallResult; 4] = [
        CallResult::Success,
        CallResult::Failure,
        CallResult::Ignored,
        CallResult::Rejected,
    ];

    /// The label value: `success`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Success => "success",
            CallResult::Failure => "failure",
            CallResult::Ignored => "ignored",
            CallResult::Rejected => "rejected",
        }
    }
}

label_value!(AttemptOutcome, CallResult, StateLabel);

/// Every state of a breaker, for the one-hot gauge (resilience4j exports
/// the same six).
const STATES: [State; 6] = [
    State::Closed,
    State::Open,
    State::HalfOpen,
    State::Disabled,
    State::ForcedOpen,
    State::MetricsOnly,
];

/// A breaker state as a label value (`half_open`); ops-resilience's type
/// cannot implement prometheus-client's trait here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StateLabel(State);

impl StateLabel {
    fn as_str(self) -> &'static str {
        self.0.as_str()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Attempt {
    operation: String,
    outcome: AttemptOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StateKey {
    breaker: String,
    state: StateLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Call {
    breaker: String,
    result: CallResult,
}

fn backoff_histogram() -> Histogram {
    // 1 ms to about 65 s.
    Histogram::new(exponential_buckets(0.001, 4.0, 9))
}

/// Retry metrics, by operation: `retry_attempts_total{operation,outcome}`
/// and `retry_backoff_seconds{operation}` (a histogram of the waits
/// between attempts).
///
/// Attach [`listener`](RetryMetrics::listener) to an ops-resilience
/// `RetryPolicy`, one line per policy:
///
/// ```
/// use ops_metrics::{Format, RetryMetrics, encode};
/// use ops_resilience::{Backoff, Jitter, ManualClock, RetryPolicy};
/// use prometheus_client::registry::Registry;
/// use std::time::Duration;
///
/// let retries = RetryMetrics::default();
/// let mut registry = Registry::default();
/// retries.register(&mut registry);
///
/// let policy = RetryPolicy::builder()
///     .backoff(Backoff::constant(Duration::from_millis(250)))
///     .jitter(Jitter::None)
///     .clock(ManualClock::new())
///     .listener(retries.listener("fetch-config"))
///     .build()?;
/// let mut calls = 0;
/// let answer = policy.retry(|| {
///     calls += 1;
///     if calls < 2 { Err("503 Service Unavailable") } else { Ok(42) }
/// });
/// assert_eq!(answer, Ok(42));
///
/// let mut text = String::new();
/// encode(&mut text, &registry, Format::Text004)?;
/// assert!(text.contains("retry_attempts_total{operation=\"fetch-config\",outcome=\"retry\"} 1\n"));
/// assert!(text.contains("retry_attempts_total{operation=\"fetch-config\",outcome=\"success\"} 1\n"));
/// assert!(text.contains("retry_backoff_seconds_sum{operation=\"fetch-config\"} 0.25\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetryMetrics {
    attempts: Family<Attempt, Counter>,
    backoff: Family<Operation, Histogram, fn() -> Histogram>,
}

impl Default for RetryMetrics {
    fn default() -> RetryMetrics {
        RetryMetrics {
            attempts: Family::default(),
            backoff: Family::new_with_constructor(backoff_histogram),
        }
    }
}

impl RetryMetrics {
    /// Registers the families in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "retry_attempts",
            "Attempts of retried operations, by how they ended",
            self.attempts.clone(),
        );
        registry.register_with_unit(
            "retry_backoff",
            "Waits between attempts of retried operations",
            Unit::Seconds,
            self.backoff.clone(),
        );
    }

    /// A listener for an ops-resilience `RetryPolicy` that records every
    /// attempt of its calls under `operation`: the attempt's outcome, and
    /// the wait before the next one. The operation's series exist (at 0)
    /// from now on.
    ///
    /// Several policies may share an operation label; keep the label
    /// values few (a dependency, an endpoint), never per request.
    pub fn listener(&self, operation: &str) -> RetryMetricsListener {
        let counter = |outcome| {
            self.attempts.get_or_create_owned(&Attempt {
                operation: operation.to_owned(),
                outcome,
            })
        };
        RetryMetricsListener {
            success: counter(AttemptOutcome::Success),
            retry: counter(AttemptOutcome::Retry),
            gave_up: counter(AttemptOutcome::GaveUp),
            backoff: self.backoff.get_or_create_owned(&Operation {
                operation: operation.to_owned(),
            }),
        }
    }

    /// Records one attempt of `operation`.
    pub fn record_attempt(&self, operation: &str, outcome: AttemptOutcome) {
        let key = Attempt {
            operation: operation.to_owned(),
            outcome,
        };
        self.attempts.get_or_create(&key).inc();
    }

    /// Records a wait before the next attempt of `operation`.
    pub fn record_backoff(&self, operation: &str, wait: Duration) {
        let key = Operation {
            operation: operation.to_owned(),
        };
        self.backoff.get_or_create(&key).observe(wait.as_secs_f64());
    }

    /// Attempts of `operation` recorded with `outcome` so far.
    pub fn attempts(&self, operation: &str, outcome: AttemptOutcome) -> u64 {
        let key = Attempt {
            operation: operation.to_owned(),
            outcome,
        };
        self.attempts.get(&key).map_or(0, |c| c.get())
    }
}

/// The [`RetryListener`] of one operation's [`RetryMetrics`], made by
/// [`RetryMetrics::listener`].
#[derive(Debug, Clone)]
pub struct RetryMetricsListener {
    success: Counter,
    retry: Counter,
    gave_up: Counter,
    backoff: Histogram,
}

impl RetryListener for RetryMetricsListener {
    fn on_attempt(&self, event: &AttemptEvent<'_>) {
        match event.next {
            NextStep::Return => {
                self.success.inc();
            }
            NextStep::Retry { delay, .. } => {
                self.retry.inc();
                self.backoff.observe(delay.as_secs_f64());
            }
            NextStep::GiveUp(_) => {
                self.gave_up.inc();
            }
            // A step this version does not know is not counted.
            _ => {}
        }
    }
}

/// Circuit-breaker metrics, by breaker: `circuit_breaker_state{breaker,state}`
/// (1 for the current state, 0 for the other five, so `max by (breaker)`
/// and alerts on `state="open"` work),
/// `circuit_breaker_calls_total{breaker,result}` (`success`, `failure`,
/// `ignored`, `rejected`) and
/// `circuit_breaker_transitions_total{breaker,state}` (entries into each
/// state).
///
/// Attach [`listener`](BreakerMetrics::listener) to an ops-resilience
/// `CircuitBreaker`, one line per breaker:
///
/// ```
/// use ops_metrics::{BreakerMetrics, Format, encode};
/// use ops_resilience::{CircuitBreaker, ManualClock, Window};
/// use prometheus_client::registry::Registry;
///
/// let breakers = BreakerMetrics::default();
/// let mut registry = Registry::default();
/// breakers.register(&mut registry);
///
/// let breaker = CircuitBreaker::builder()
///     .name("db")
///     .window(Window::Count(2))
///     .minimum_calls(2)
///     .clock(ManualClock::new())
///     .listener(breakers.listener("db"))
///     .build()?;
/// for _ in 0..3 {
///     let _ = breaker.call(|| Err::<(), _>("connection refused"));
/// }
///
/// let mut text = String::new();
/// encode(&mut text, &registry, Format::Text004)?;
/// assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"open\"} 1\n"));
/// assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"closed\"} 0\n"));
/// assert!(text.contains("circuit_breaker_calls_total{breaker=\"db\",result=\"failure\"} 2\n"));
/// assert!(text.contains("circuit_breaker_calls_total{breaker=\"db\",result=\"rejected\"} 1\n"));
/// assert!(text.contains("circuit_breaker_transitions_total{breaker=\"db\",state=\"open\"} 1\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BreakerMetrics {
    state: Family<StateKey, Gauge>,
    calls: Family<Call, Counter>,
    transitions: Family<StateKey, Counter>,
}

impl BreakerMetrics {
    /// Registers the families in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "circuit_breaker_state",
            "Circuit breaker state: 1 for the current one",
            self.state.clone(),
        );
        registry.register(
            "circuit_breaker_calls",
            "Calls through circuit breakers, by result",
            self.calls.clone(),
        );
        registry.register(
            "circuit_breaker_transitions",
            "Circuit breaker state changes, by the state entered",
            self.transitions.clone(),
        );
    }

    /// A listener for an ops-resilience `CircuitBreaker` that records its
    /// calls, rejections and transitions under `breaker` (give the
    /// breaker's own name). A breaker starts closed, so the state gauge
    /// says `closed` from now on, and the call counters exist at 0.
    pub fn listener(&self, breaker: &str) -> BreakerMetricsListener {
        self.set_state(breaker, State::Closed);
        let calls = CallResult::ALL.map(|result| {
            self.calls.get_or_create_owned(&Call {
                breaker: breaker.to_owned(),
                result,
            })
        });
        BreakerMetricsListener {
            metrics: self.clone(),
            breaker: breaker.to_owned(),
            calls,
        }
    }

    /// Records that `breaker` entered `state`: the state gauge, and one
    /// transition into it.
    pub fn record_state(&self, breaker: &str, state: State) {
        self.set_state(breaker, state);
        let key = StateKey {
            breaker: breaker.to_owned(),
            state: StateLabel(state),
        };
        self.transitions.get_or_create(&key).inc();
    }

    /// Records one call through `breaker`.
    pub fn record_call(&self, breaker: &str, result: CallResult) {
        let key = Call {
            breaker: breaker.to_owned(),
            result,
        };
        self.calls.get_or_create(&key).inc();
    }

    /// Sets the one-hot state gauge of `breaker` (a state this crate does
    /// not list gets its 1 all the same).
    fn set_state(&self, breaker: &str, state: State) {
        let states = STATES.iter().copied().chain(Some(state));
        for s in states {
            let key = StateKey {
                breaker: breaker.to_owned(),
                state: StateLabel(s),
            };
            self.state.get_or_create(&key).set(i64::from(s == state));
        }
    }
}

/// The [`BreakerListener`] of one breaker's [`BreakerMetrics`], made by
/// [`BreakerMetrics::listener`].
#[derive(Debug, Clone)]
pub struct BreakerMetricsListener {
    metrics: BreakerMetrics,
    breaker: String,
    /// By `CallResult::ALL`'s order.
    calls: [Counter; 4],
}

impl BreakerMetricsListener {
    fn count(&self, result: CallResult) {
        // `CallResult::ALL` lists the variants in declaration order.
        self.calls[result as usize].inc();
    }
}

impl BreakerListener for BreakerMetricsListener {
    fn on_transition(&self, event: &Transition<'_>) {
        self.metrics.record_state(&self.breaker, event.to);
    }

    fn on_call(&self, event: &CallEvent<'_>) {
        self.count(match event.outcome {
            CallOutcome::Success => CallResult::Success,
            CallOutcome::Failure => CallResult::Failure,
            _ => CallResult::Ignored,
        });
    }

    fn on_rejected(&self, _name: &str, _rejected: &Rejected) {
        self.count(CallResult::Rejected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_are_listeners_and_shareable() {
        fn retry(_: &dyn RetryListener) {}
        fn breaker(_: &dyn BreakerListener) {}
        fn send_sync<T: Send + Sync + Clone>() {}
        send_sync::<RetryMetricsListener>();
        send_sync::<BreakerMetricsListener>();
        retry(&RetryMetrics::default().listener("x"));
        breaker(&BreakerMetrics::default().listener("x"));
    }

    #[test]
    fn the_state_gauge_is_one_hot() {
        let m = BreakerMetrics::default();
        m.record_state("db", State::ForcedOpen);
        let value = |s| {
            m.state
                .get(&StateKey {
                    breaker: "db".to_owned(),
                    state: StateLabel(s),
                })
                .map(|g| g.get())
        };
        assert_eq!(value(State::ForcedOpen), Some(1));
        for s in STATES.into_iter().filter(|s| *s != State::ForcedOpen) {
            assert_eq!(value(s), Some(0), "{s}");
        }
    }
}
