//! Metrics of retries and circuit breakers.
//!
//! Plain `record_*` methods with this crate's own small enums, so that an
//! ops-resilience listener (or any retry loop) can feed them without this
//! crate depending on ops-resilience.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// How one attempt of a retried operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptOutcome {
    /// It succeeded.
    Success,
    /// It failed and another attempt follows.
    Retry,
    /// It failed and no attempt follows (attempts or time used up, or an
    /// error that is not worth retrying).
    GaveUp,
}

/// A circuit breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused.
    Open,
    /// A few trial calls go through.
    HalfOpen,
}

impl BreakerState {
    const ALL: [BreakerState; 3] = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ];
}

/// How a call through a circuit breaker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallResult {
    /// The call succeeded.
    Success,
    /// The call failed.
    Failure,
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

impl BreakerState {
    /// The label value: `closed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

impl CallResult {
    /// The label value: `success`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Success => "success",
            CallResult::Failure => "failure",
            CallResult::Rejected => "rejected",
        }
    }
}

label_value!(AttemptOutcome, BreakerState, CallResult);

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
struct State {
    breaker: String,
    state: BreakerState,
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
/// ```
/// use ops_metrics::{AttemptOutcome, RetryMetrics};
/// use prometheus_client::registry::Registry;
/// use std::time::Duration;
///
/// let retries = RetryMetrics::default();
/// let mut registry = Registry::default();
/// retries.register(&mut registry);
/// retries.record_attempt("fetch-config", AttemptOutcome::Retry);
/// retries.record_backoff("fetch-config", Duration::from_millis(200));
/// retries.record_attempt("fetch-config", AttemptOutcome::Success);
/// assert_eq!(retries.attempts("fetch-config", AttemptOutcome::Retry), 1);
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

/// Circuit-breaker metrics, by breaker: `circuit_breaker_state{breaker,state}`
/// (1 for the current state, 0 for the others, so `max by (breaker)` and
/// alerts on `state="open"` work), `circuit_breaker_calls_total{breaker,result}`
/// and `circuit_breaker_transitions_total{breaker,state}` (entries into
/// each state).
///
/// ```
/// use ops_metrics::{BreakerMetrics, BreakerState, CallResult, Format, encode};
/// use prometheus_client::registry::Registry;
///
/// let breakers = BreakerMetrics::default();
/// let mut registry = Registry::default();
/// breakers.register(&mut registry);
/// breakers.record_call("db", CallResult::Failure);
/// breakers.record_state("db", BreakerState::Open);
/// breakers.record_call("db", CallResult::Rejected);
///
/// let mut text = String::new();
/// encode(&mut text, &registry, Format::Text004)?;
/// assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"open\"} 1\n"));
/// assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"closed\"} 0\n"));
/// # Ok::<(), std::fmt::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BreakerMetrics {
    state: Family<State, Gauge>,
    calls: Family<Call, Counter>,
    transitions: Family<State, Counter>,
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

    /// Records that `breaker` is now in `state`.
    pub fn record_state(&self, breaker: &str, state: BreakerState) {
        for s in BreakerState::ALL {
            let key = State {
                breaker: breaker.to_owned(),
                state: s,
            };
            self.state.get_or_create(&key).set(i64::from(s == state));
        }
        let key = State {
            breaker: breaker.to_owned(),
            state,
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
}
