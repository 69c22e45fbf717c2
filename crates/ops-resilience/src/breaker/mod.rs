//! The circuit breaker.

mod stripes;
mod window;

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::backoff::Backoff;
use crate::clock::{Clock, SystemClock, nanos};
use crate::error::ConfigError;
use stripes::Totals;
use window::{Admit, CountWindow, Counts, HalfOpenCounts, SlidingWindow, TimeWindow};

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Calls pass; outcomes fill the sliding window.
    Closed,
    /// Calls are rejected until the wait in open has passed.
    Open,
    /// A few probe calls pass; their outcomes decide between closed and
    /// open.
    HalfOpen,
    /// Calls pass and nothing is recorded (manual).
    Disabled,
    /// Every call is rejected until a manual transition (manual).
    ForcedOpen,
    /// Calls pass and are recorded, but the breaker never opens (manual):
    /// for watching a threshold before enforcing it.
    MetricsOnly,
}

impl State {
    #[inline]
    fn from_tag(tag: u64) -> State {
        match tag & 0xff {
            0 => State::Closed,
            1 => State::Open,
            2 => State::HalfOpen,
            3 => State::Disabled,
            4 => State::ForcedOpen,
            _ => State::MetricsOnly,
        }
    }

    const fn tag(self) -> u64 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
            State::Disabled => 3,
            State::ForcedOpen => 4,
            State::MetricsOnly => 5,
        }
    }

    /// The state's name in snake case, as metrics label it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
            State::Disabled => "disabled",
            State::ForcedOpen => "forced_open",
            State::MetricsOnly => "metrics_only",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a call counts for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallOutcome {
    /// It worked.
    Success,
    /// It failed in a way that says the dependency is unwell.
    Failure,
    /// It does not count either way (a 404, a cancelled call).
    Ignored,
}

/// Classifies a call's result for the breaker. Any
/// `Fn(&Result<T, E>) -> CallOutcome` is one; [`Rules`] builds one from
/// predicates. Object-safe.
pub trait ClassifyCall<T, E>: Send + Sync {
    /// How `result` counts.
    fn classify(&self, result: &Result<T, E>) -> CallOutcome;
}

impl<T, E, F> ClassifyCall<T, E> for F
where
    F: Fn(&Result<T, E>) -> CallOutcome + Send + Sync,
{
    fn classify(&self, result: &Result<T, E>) -> CallOutcome {
        self(result)
    }
}

/// The default classification: `Err` is a failure, `Ok` a success.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ErrorsFail;

impl<T, E> ClassifyCall<T, E> for ErrorsFail {
    fn classify(&self, result: &Result<T, E>) -> CallOutcome {
        match result {
            Ok(_) => CallOutcome::Success,
            Err(_) => CallOutcome::Failure,
        }
    }
}

type Pred<X> = Box<dyn Fn(&X) -> bool + Send + Sync>;

/// Classification by predicates, as resilience4j's `recordExceptions`,
/// `ignoreExceptions` and `recordResult`: an error is a failure if it
/// matches a record rule (every error, when there is none); a result is a
/// failure if it matches a result rule; and anything that matches an
/// ignore rule is ignored, whatever else matches (ignore wins).
///
/// ```
/// use ops_resilience::{CallOutcome, ClassifyCall, Rules};
///
/// let rules = Rules::<u16, String>::new()
///     .record_result(|status| *status >= 500)
///     .ignore_error(|e| e.starts_with("cancelled"))
///     .ignore_result(|status| *status == 501);
/// assert_eq!(rules.classify(&Ok(200)), CallOutcome::Success);
/// assert_eq!(rules.classify(&Ok(503)), CallOutcome::Failure);
/// assert_eq!(rules.classify(&Ok(501)), CallOutcome::Ignored);
/// assert_eq!(rules.classify(&Err("refused".into())), CallOutcome::Failure);
/// assert_eq!(rules.classify(&Err("cancelled by user".into())), CallOutcome::Ignored);
/// ```
pub struct Rules<T, E> {
    record_error: Vec<Pred<E>>,
    ignore_error: Vec<Pred<E>>,
    record_result: Vec<Pred<T>>,
    ignore_result: Vec<Pred<T>>,
}

impl<T, E> fmt::Debug for Rules<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("record_error", &self.record_error.len())
            .field("ignore_error", &self.ignore_error.len())
            .field("record_result", &self.record_result.len())
            .field("ignore_result", &self.ignore_result.len())
            .finish()
    }
}

impl<T, E> Default for Rules<T, E> {
    fn default() -> Self {
        Rules {
            record_error: Vec::new(),
            ignore_error: Vec::new(),
            record_result: Vec::new(),
            ignore_result: Vec::new(),
        }
    }
}

impl<T, E> Rules<T, E> {
    /// No rules: every error fails, every result succeeds.
    pub fn new() -> Self {
        Rules::default()
    }

    /// Errors matching `p` are failures (once there is such a rule, errors
    /// matching none are successes).
    pub fn record_error(mut self, p: impl Fn(&E) -> bool + Send + Sync + 'static) -> Self {
        self.record_error.push(Box::new(p));
        self
    }

    /// Errors matching `p` are ignored.
    pub fn ignore_error(mut self, p: impl Fn(&E) -> bool + Send + Sync + 'static) -> Self {
        self.ignore_error.push(Box::new(p));
        self
    }

    /// Results matching `p` are failures.
    pub fn record_result(mut self, p: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.record_result.push(Box::new(p));
        self
    }

    /// Results matching `p` are ignored.
    pub fn ignore_result(mut self, p: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.ignore_result.push(Box::new(p));
        self
    }
}

impl<T, E> ClassifyCall<T, E> for Rules<T, E> {
    fn classify(&self, result: &Result<T, E>) -> CallOutcome {
        match result {
            Err(e) if self.ignore_error.iter().any(|p| p(e)) => CallOutcome::Ignored,
            Err(e) if self.record_error.is_empty() || self.record_error.iter().any(|p| p(e)) => {
                CallOutcome::Failure
            }
            Err(_) => CallOutcome::Success,
            Ok(v) if self.ignore_result.iter().any(|p| p(v)) => CallOutcome::Ignored,
            Ok(v) if self.record_result.iter().any(|p| p(v)) => CallOutcome::Failure,
            Ok(_) => CallOutcome::Success,
        }
    }
}

/// A call the breaker did not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("circuit breaker {state}{}", retry_text(*.retry_in))]
pub struct Rejected {
    /// The state that rejected the call.
    pub state: State,
    /// How long until the breaker lets a probe through: `None` when
    /// unknown (forced open, or half-open with every probe slot taken).
    pub retry_in: Option<Duration>,
}

fn retry_text(d: Option<Duration>) -> String {
    d.map(|d| format!(", next probe in {d:?}"))
        .unwrap_or_default()
}

/// The error of a call through a breaker: rejected, or the call's own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerError<E> {
    /// The breaker did not let the call through; it was not made.
    Rejected(Rejected),
    /// The call was made and returned this error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// The call's own error, if it was made.
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Inner(e) => Some(e),
            BreakerError::Rejected(_) => None,
        }
    }

    /// The rejection, if the call was not made.
    pub fn rejected(&self) -> Option<&Rejected> {
        match self {
            BreakerError::Rejected(r) => Some(r),
            BreakerError::Inner(_) => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Rejected(r) => r.fmt(f),
            BreakerError::Inner(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BreakerError::Rejected(r) => Some(r),
            BreakerError::Inner(e) => Some(e),
        }
    }
}

/// Which calls the closed state looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Window {
    /// The last `n` calls (1 to 32 767).
    Count(u32),
    /// The calls of the last `length`, kept in `buckets` buckets (1 to
    /// 1000) that expire one at a time.
    Time {
        /// The window's length.
        length: Duration,
        /// Its resolution: the oldest bucket drops out as a whole.
        buckets: u32,
    },
}

impl Window {
    /// The calls of the last `length`, in 10 buckets.
    pub fn time(length: Duration) -> Window {
        Window::Time {
            length,
            buckets: 10,
        }
    }
}

/// How long the breaker stays open before letting probes through.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OpenWait {
    /// The same wait every time.
    Fixed(Duration),
    /// A wait that grows each time the breaker opens again without having
    /// closed in between (failed probes): the schedule's `n`-th delay for
    /// the `n`-th consecutive opening.
    Backoff(Backoff),
}

/// One transition between states, as a [`BreakerListener`] sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Transition<'a> {
    /// The breaker's name.
    pub name: &'a str,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Why.
    pub reason: TransitionReason,
    /// When, on the breaker's clock.
    pub at: Duration,
}

/// Why a breaker changed state.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TransitionReason {
    /// The failure rate (percent) reached the threshold.
    FailureRate(f64),
    /// The slow-call rate (percent) reached the threshold.
    SlowCallRate(f64),
    /// The wait in open has passed: probes may go through.
    WaitElapsed,
    /// The probes of the half-open state went well.
    ProbesSucceeded,
    /// A manual transition or reset.
    Manual,
}

/// One call through a breaker, as a [`BreakerListener`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallEvent<'a> {
    /// The breaker's name.
    pub name: &'a str,
    /// The state that let the call through.
    pub state: State,
    /// How the call counted.
    pub outcome: CallOutcome,
    /// Whether it took at least the slow-call duration (always `false`
    /// when slow calls are not configured).
    pub slow: bool,
    /// How long it took, when the breaker measured it (only with slow-call
    /// detection: the fast path reads no clock).
    pub duration: Option<Duration>,
}

/// Receives a breaker's state transitions, calls and rejections: the seam
/// for metrics (ops-metrics exports state, calls by outcome and
/// rejections). Every method has an empty default.
///
/// Called synchronously on the thread that caused the event; keep it cheap
/// and non-blocking (a transition event is sent while the breaker's
/// transition lock is held, so a listener must not call back into the
/// breaker's manual transitions). Object-safe; attach one with
/// [`CircuitBreakerBuilder::listener`].
pub trait BreakerListener: Send + Sync {
    /// The breaker changed state.
    fn on_transition(&self, _event: &Transition<'_>) {}
    /// A call that the breaker let through finished.
    fn on_call(&self, _event: &CallEvent<'_>) {}
    /// A call was rejected.
    fn on_rejected(&self, _name: &str, _rejected: &Rejected) {}
}

impl<L: BreakerListener + ?Sized> BreakerListener for Arc<L> {
    fn on_transition(&self, event: &Transition<'_>) {
        (**self).on_transition(event);
    }
    fn on_call(&self, event: &CallEvent<'_>) {
        (**self).on_call(event);
    }
    fn on_rejected(&self, name: &str, rejected: &Rejected) {
        (**self).on_rejected(name, rejected);
    }
}

/// A snapshot of a breaker's state and counts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BreakerMetrics {
    /// The state now.
    pub state: State,
    /// Calls in the sliding window (closed and metrics-only states).
    pub window_calls: u32,
    /// Failures in the sliding window.
    pub window_failures: u32,
    /// Slow calls in the sliding window.
    pub window_slow: u32,
    /// Failures as a percentage of the window's calls; `None` until the
    /// window holds the minimum number of calls.
    pub failure_rate: Option<f64>,
    /// Slow calls as a percentage of the window's calls; `None` as above.
    pub slow_call_rate: Option<f64>,
    /// Calls that succeeded, since the breaker was built.
    pub successful: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Calls that were ignored (including permits dropped unrecorded).
    pub ignored: u64,
    /// Calls that were rejected.
    pub rejected: u64,
    /// Calls that were slow (of any outcome but ignored).
    pub slow: u64,
}

#[derive(Debug)]
struct Config {
    name: String,
    failure_rate: f64,
    slow: Option<(Duration, f64)>,
    minimum_calls: u32,
    half_open_calls: u32,
    wait: OpenWait,
    window: Window,
}

struct Shared {
    /// No slow-call timing, no listener, a count window: the closed
    /// state's successes can take the short path.
    fast: bool,
    /// Epoch (bumped by every transition) << 8 | state tag. A permit holds
    /// the word it was issued under, so a late outcome from an earlier
    /// state is never counted in a later one.
    state: AtomicU64,
    /// End of the wait in open, in nanoseconds on the clock.
    open_until: AtomicU64,
    window: SlidingWindow,
    half: HalfOpenCounts,
    totals: Totals,
    /// Consecutive openings; held while changing state.
    transitions: Mutex<u32>,
    clock: Arc<dyn Clock>,
    listeners: Vec<Arc<dyn BreakerListener>>,
    cfg: Config,
}

/// A circuit breaker: stops calling a dependency that keeps failing, and
/// probes it now and then until it recovers.
///
/// A `Clone` handle over shared state: clones are one breaker, for use
/// from any number of threads and tasks. In the closed state a call costs
/// a few atomic loads (and a store or two when the window holds failures);
/// nothing locks until the state changes.
///
/// ```
/// use ops_resilience::{BreakerError, CircuitBreaker, ManualClock, OpenWait, State, Window};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let breaker = CircuitBreaker::builder()
///     .name("inventory")
///     .window(Window::Count(10))
///     .minimum_calls(4)
///     .failure_rate(50.0)
///     .wait_in_open(OpenWait::Fixed(Duration::from_secs(30)))
///     .half_open_calls(2)
///     .clock(clock.clone())
///     .build()?;
///
/// for _ in 0..4 {
///     let _ = breaker.call(|| Err::<(), _>("connection refused"));
/// }
/// assert_eq!(breaker.state(), State::Open);
/// match breaker.call(|| Ok::<_, &str>(1)) {
///     Err(BreakerError::Rejected(r)) => assert_eq!(r.retry_in, Some(Duration::from_secs(30))),
///     other => panic!("{other:?}"),
/// }
/// clock.advance(Duration::from_secs(30));
/// breaker.call(|| Ok::<_, std::io::Error>(1))?; // a probe, half-open
/// breaker.call(|| Ok::<_, std::io::Error>(2))?;
/// assert_eq!(breaker.state(), State::Closed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    shared: Arc<Shared>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.shared.cfg.name)
            .field("state", &self.state())
            .field("config", &self.shared.cfg)
            .finish_non_exhaustive()
    }
}

/// Leave to make one call, from [`CircuitBreaker::try_acquire`]. Record
/// the outcome with [`success`](Permit::success),
/// [`failure`](Permit::failure) or [`record`](Permit::record); a permit
/// dropped unrecorded (a cancelled future) counts as ignored and frees its
/// half-open slot.
#[must_use = "a permit records nothing unless its outcome is given"]
#[derive(Debug)]
pub struct Permit<'a> {
    shared: &'a Shared,
    core: PermitCore,
}

/// A [`Permit`] that owns a handle to its breaker, for futures that must
/// be `'static` (tower services, spawned tasks).
#[must_use = "a permit records nothing unless its outcome is given"]
#[derive(Debug)]
pub struct OwnedPermit {
    shared: Arc<Shared>,
    core: PermitCore,
}

#[derive(Debug)]
struct PermitCore {
    word: u64,
    start: Option<Duration>,
    done: bool,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cfg.name)
    }
}

macro_rules! permit_methods {
    () => {
        /// Records a success.
        pub fn success(self) {
            self.record(CallOutcome::Success);
        }

        /// Records a failure.
        pub fn failure(self) {
            self.record(CallOutcome::Failure);
        }

        /// Records `outcome`.
        pub fn record(mut self, outcome: CallOutcome) {
            self.core.done = true;
            self.shared.record(&self.core, outcome);
        }
    };
}

impl Permit<'_> {
    permit_methods!();

    /// The state that let the call through.
    pub fn state(&self) -> State {
        State::from_tag(self.core.word)
    }
}

impl OwnedPermit {
    permit_methods!();

    /// The state that let the call through.
    pub fn state(&self) -> State {
        State::from_tag(self.core.word)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.core.done {
            self.shared.record(&self.core, CallOutcome::Ignored);
        }
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        if !self.core.done {
            self.shared.record(&self.core, CallOutcome::Ignored);
        }
    }
}

impl CircuitBreaker {
    /// A builder with resilience4j's defaults: a window of the last 100
    /// calls, at least 100 calls before judging, opening at a 50% failure
    /// rate, 60 s open, 10 half-open probes, no slow-call detection, the
    /// system clock.
    pub fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder {
            cfg: Config {
                name: String::from("default"),
                failure_rate: 50.0,
                slow: None,
                minimum_calls: 100,
                half_open_calls: 10,
                wait: OpenWait::Fixed(Duration::from_secs(60)),
                window: Window::Count(100),
            },
            clock: Arc::new(SystemClock::new()),
            listeners: Vec::new(),
        }
    }

    /// The breaker's name, as given to the builder.
    pub fn name(&self) -> &str {
        &self.shared.cfg.name
    }

    /// The state now. An open breaker whose wait has passed reports
    /// `Open` until the next call moves it to half-open.
    pub fn state(&self) -> State {
        State::from_tag(self.shared.state.load(Ordering::Acquire))
    }

    /// Leave to make one call, or why not.
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, Rejected> {
        let core = self.shared.acquire()?;
        Ok(Permit {
            shared: &self.shared,
            core,
        })
    }

    /// [`try_acquire`](CircuitBreaker::try_acquire) with a permit that owns
    /// a handle to the breaker.
    pub fn try_acquire_owned(&self) -> Result<OwnedPermit, Rejected> {
        let core = self.shared.acquire()?;
        Ok(OwnedPermit {
            shared: Arc::clone(&self.shared),
            core,
        })
    }

    /// Makes the call if the breaker allows it; `Err` counts as a failure.
    #[inline]
    pub fn call<T, E, F>(&self, f: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        self.call_with(&ErrorsFail, f)
    }

    /// Makes the call if the breaker allows it, counting its result as
    /// `classify` says.
    #[inline]
    pub fn call_with<T, E, F, C>(&self, classify: &C, f: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
        C: ClassifyCall<T, E> + ?Sized,
    {
        let s = &*self.shared;
        let word = s.state.load(Ordering::Acquire);
        if s.fast && word & 0xff == State::Closed.tag() {
            // The closed path without a permit: no clock, no listener, so
            // nothing to carry from before the call to after it.
            let result = f();
            let outcome = classify.classify(&result);
            if outcome == CallOutcome::Success && s.window.all_successes() {
                s.totals.add(CallOutcome::Success, false);
            } else {
                let core = PermitCore {
                    word,
                    start: None,
                    done: true,
                };
                s.record_slow(&core, outcome);
            }
            return result.map_err(BreakerError::Inner);
        }
        self.call_permitted(classify, f)
    }

    /// Every state but the plain closed one: through a permit. Kept out of
    /// line so that the closed path inlines into the caller.
    #[inline(never)]
    fn call_permitted<T, E, F, C>(&self, classify: &C, f: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
        C: ClassifyCall<T, E> + ?Sized,
    {
        let permit = self.try_acquire().map_err(BreakerError::Rejected)?;
        let result = f();
        permit.record(classify.classify(&result));
        result.map_err(BreakerError::Inner)
    }

    /// The async form of [`call`](CircuitBreaker::call), on any runtime. A
    /// future dropped before it finishes counts as ignored.
    pub async fn call_async<T, E, Fut>(&self, fut: Fut) -> Result<T, BreakerError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_async_with(&ErrorsFail, fut).await
    }

    /// The async form of [`call_with`](CircuitBreaker::call_with).
    pub async fn call_async_with<T, E, Fut, C>(
        &self,
        classify: &C,
        fut: Fut,
    ) -> Result<T, BreakerError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
        C: ClassifyCall<T, E> + ?Sized,
    {
        let permit = self.try_acquire().map_err(BreakerError::Rejected)?;
        let result = fut.await;
        permit.record(classify.classify(&result));
        result.map_err(BreakerError::Inner)
    }

    /// A snapshot of state and counts.
    pub fn metrics(&self) -> BreakerMetrics {
        let s = &*self.shared;
        let c = s.window.counts(s.clock.now());
        let judged = c.calls >= s.min_calls() && c.calls > 0;
        let pct = |n: u32| judged.then(|| f64::from(n) * 100.0 / f64::from(c.calls));
        let t = s.totals.sum();
        BreakerMetrics {
            state: self.state(),
            window_calls: c.calls,
            window_failures: c.failures,
            window_slow: c.slow,
            failure_rate: pct(c.failures),
            slow_call_rate: pct(c.slow),
            successful: t.success,
            failed: t.failure,
            ignored: t.ignored,
            rejected: t.rejected,
            slow: t.slow,
        }
    }

    /// Moves to closed with an empty window.
    pub fn close(&self) {
        self.shared.force(State::Closed);
    }

    /// Moves to open, for the usual wait.
    pub fn open(&self) {
        self.shared.force(State::Open);
    }

    /// Moves to half-open: probes may go through now.
    pub fn half_open(&self) {
        self.shared.force(State::HalfOpen);
    }

    /// Lets every call through and records nothing.
    pub fn disable(&self) {
        self.shared.force(State::Disabled);
    }

    /// Rejects every call until another manual transition.
    pub fn force_open(&self) {
        self.shared.force(State::ForcedOpen);
    }

    /// Lets every call through and records it, but never opens.
    pub fn metrics_only(&self) {
        self.shared.force(State::MetricsOnly);
    }

    /// Back to a new breaker's state: closed, empty window, the open wait
    /// back at its first step. Totals are kept.
    pub fn reset(&self) {
        let s = &*self.shared;
        let mut opens = s.transitions.lock().unwrap_or_else(PoisonError::into_inner);
        *opens = 0;
        let word = s.state.load(Ordering::Acquire);
        s.enter(word, State::Closed, TransitionReason::Manual, &mut opens);
    }
}

impl Shared {
    fn min_calls(&self) -> u32 {
        match self.cfg.window {
            Window::Count(n) => self.cfg.minimum_calls.min(n),
            Window::Time { .. } => self.cfg.minimum_calls,
        }
    }

    #[inline]
    fn acquire(&self) -> Result<PermitCore, Rejected> {
        loop {
            let word = self.state.load(Ordering::Acquire);
            let state = State::from_tag(word);
            match state {
                State::Closed | State::MetricsOnly | State::Disabled => {
                    return Ok(self.permit(word, state));
                }
                State::ForcedOpen => return Err(self.reject(state, None)),
                State::Open => {
                    let now = nanos(self.clock.now());
                    let until = self.open_until.load(Ordering::Acquire);
                    if now < until {
                        return Err(self.reject(state, Some(Duration::from_nanos(until - now))));
                    }
                    let mut opens = self
                        .transitions
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if self.state.load(Ordering::Acquire) == word {
                        self.enter(
                            word,
                            State::HalfOpen,
                            TransitionReason::WaitElapsed,
                            &mut opens,
                        );
                    }
                }
                State::HalfOpen => match self.half.admit(word >> 8, self.cfg.half_open_calls) {
                    Admit::Yes => return Ok(self.permit(word, state)),
                    Admit::Full => return Err(self.reject(state, None)),
                    Admit::Stale => std::hint::spin_loop(),
                },
            }
        }
    }

    #[inline]
    fn permit(&self, word: u64, state: State) -> PermitCore {
        let timed = self.cfg.slow.is_some() && state != State::Disabled;
        PermitCore {
            word,
            start: timed.then(|| self.clock.now()),
            done: false,
        }
    }

    #[cold]
    fn reject(&self, state: State, retry_in: Option<Duration>) -> Rejected {
        self.totals.add_rejected();
        let r = Rejected { state, retry_in };
        for l in &self.listeners {
            l.on_rejected(&self.cfg.name, &r);
        }
        r
    }

    #[inline]
    fn record(&self, p: &PermitCore, outcome: CallOutcome) {
        if self.fast
            && outcome == CallOutcome::Success
            && p.word & 0xff == State::Closed.tag()
            && self.window.all_successes()
        {
            // A success in a window of successes changes nothing but the
            // total: the path of a healthy dependency.
            self.totals.add(CallOutcome::Success, false);
            return;
        }
        self.record_slow(p, outcome);
    }

    #[inline(never)]
    fn record_slow(&self, p: &PermitCore, outcome: CallOutcome) {
        let state = State::from_tag(p.word);
        if state == State::Disabled {
            return;
        }
        let (slow, duration) = match (self.cfg.slow, p.start) {
            (Some((limit, _)), Some(start)) => {
                let took = self.clock.now().saturating_sub(start);
                (outcome != CallOutcome::Ignored && took >= limit, Some(took))
            }
            _ => (false, None),
        };
        self.totals.add(outcome, slow);
        for l in &self.listeners {
            l.on_call(&CallEvent {
                name: &self.cfg.name,
                state,
                outcome,
                slow,
                duration,
            });
        }
        let failure = outcome == CallOutcome::Failure;
        match state {
            State::Closed | State::MetricsOnly if outcome != CallOutcome::Ignored => {
                if !failure && !slow && self.window.all_successes() {
                    // Recording it would change nothing.
                    return;
                }
                if self.state.load(Ordering::Acquire) != p.word {
                    return;
                }
                let now = if matches!(self.cfg.window, Window::Time { .. }) {
                    self.clock.now()
                } else {
                    Duration::ZERO
                };
                if let Some(counts) = self.window.record(failure, slow, now)
                    && state == State::Closed
                {
                    self.judge_closed(p.word, counts);
                }
            }
            State::HalfOpen => {
                let o = (outcome != CallOutcome::Ignored).then_some((failure, slow));
                if let Some(h) = self.half.record(p.word >> 8, o)
                    && o.is_some()
                    && h.done == self.cfg.half_open_calls
                {
                    self.judge_half_open(p.word, h.failures, h.slow);
                }
            }
            _ => {}
        }
    }

    /// The reason to open, if the counts give one.
    fn verdict(&self, calls: u32, failures: u32, slow: u32) -> Option<TransitionReason> {
        if calls == 0 {
            return None;
        }
        let rate = f64::from(failures) * 100.0 / f64::from(calls);
        if failures > 0 && rate >= self.cfg.failure_rate {
            return Some(TransitionReason::FailureRate(rate));
        }
        let (_, slow_threshold) = self.cfg.slow?;
        let rate = f64::from(slow) * 100.0 / f64::from(calls);
        (slow > 0 && rate >= slow_threshold).then_some(TransitionReason::SlowCallRate(rate))
    }

    #[cold]
    fn judge_closed(&self, word: u64, c: Counts) {
        if c.calls < self.min_calls() {
            return;
        }
        if let Some(reason) = self.verdict(c.calls, c.failures, c.slow) {
            let mut opens = self
                .transitions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if self.state.load(Ordering::Acquire) == word {
                self.enter(word, State::Open, reason, &mut opens);
            }
        }
    }

    #[cold]
    fn judge_half_open(&self, word: u64, failures: u32, slow: u32) {
        let mut opens = self
            .transitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.state.load(Ordering::Acquire) != word {
            return;
        }
        match self.verdict(self.cfg.half_open_calls, failures, slow) {
            Some(reason) => self.enter(word, State::Open, reason, &mut opens),
            None => self.enter(
                word,
                State::Closed,
                TransitionReason::ProbesSucceeded,
                &mut opens,
            ),
        }
    }

    /// A manual transition.
    fn force(&self, to: State) {
        let mut opens = self
            .transitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let word = self.state.load(Ordering::Acquire);
        self.enter(word, to, TransitionReason::Manual, &mut opens);
    }

    /// Moves from `word` to `to`; the caller holds the transition lock and
    /// has checked that the state is still `word`. What the new state
    /// reads is set up before the state word is published.
    fn enter(&self, word: u64, to: State, reason: TransitionReason, opens: &mut u32) {
        let epoch = (word >> 8).wrapping_add(1);
        let now = self.clock.now();
        match to {
            State::Open => {
                *opens = opens.saturating_add(1);
                let wait = match &self.cfg.wait {
                    OpenWait::Fixed(d) => *d,
                    OpenWait::Backoff(b) => b.delay(*opens),
                };
                self.open_until
                    .store(nanos(now.saturating_add(wait)), Ordering::Release);
            }
            State::HalfOpen => self.half.start(epoch),
            State::Closed | State::MetricsOnly => {
                if to == State::Closed {
                    *opens = 0;
                }
                self.window.reset();
            }
            State::Disabled | State::ForcedOpen => {}
        }
        self.state.store(epoch << 8 | to.tag(), Ordering::Release);
        let from = State::from_tag(word);
        tracing::info!(breaker = %self.cfg.name, %from, %to, ?reason, "circuit breaker state change");
        let event = Transition {
            name: &self.cfg.name,
            from,
            to,
            reason,
            at: now,
        };
        for l in &self.listeners {
            l.on_transition(&event);
        }
    }
}

/// Builds a [`CircuitBreaker`]; [`build`](CircuitBreakerBuilder::build)
/// checks the settings.
pub struct CircuitBreakerBuilder {
    cfg: Config,
    clock: Arc<dyn Clock>,
    listeners: Vec<Arc<dyn BreakerListener>>,
}

impl fmt::Debug for CircuitBreakerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerBuilder")
            .field("config", &self.cfg)
            .field("clock", &self.clock)
            .field("listeners", &self.listeners.len())
            .finish()
    }
}

impl CircuitBreakerBuilder {
    /// A name for logs, events and metrics. Default `default`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.cfg.name = name.into();
        self
    }

    /// The failure rate, in percent (0 excluded to 100), at or above which
    /// the breaker opens. Default 50.
    pub fn failure_rate(mut self, percent: f64) -> Self {
        self.cfg.failure_rate = percent;
        self
    }

    /// Counts calls that take at least `duration` as slow, and opens when
    /// they reach `percent` of the window. Off by default: it costs two
    /// clock reads per call.
    pub fn slow_calls(mut self, duration: Duration, percent: f64) -> Self {
        self.cfg.slow = Some((duration, percent));
        self
    }

    /// Calls the window must hold before rates are judged. Default 100; a
    /// count window judges at its size if that is smaller.
    pub fn minimum_calls(mut self, n: u32) -> Self {
        self.cfg.minimum_calls = n;
        self
    }

    /// The sliding window. Default `Window::Count(100)`.
    pub fn window(mut self, window: Window) -> Self {
        self.cfg.window = window;
        self
    }

    /// Probe calls let through in half-open (1 to 1000), never more at
    /// once; after that many outcomes the breaker closes or opens again.
    /// Default 10.
    pub fn half_open_calls(mut self, n: u32) -> Self {
        self.cfg.half_open_calls = n;
        self
    }

    /// How long to stay open. Default 60 s fixed.
    pub fn wait_in_open(mut self, wait: OpenWait) -> Self {
        self.cfg.wait = wait;
        self
    }

    /// The clock. Default [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Adds a listener for transitions, calls and rejections.
    pub fn listener(mut self, listener: impl BreakerListener + 'static) -> Self {
        self.listeners.push(Arc::new(listener));
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<CircuitBreaker, ConfigError> {
        let c = &self.cfg;
        let percent = |v: f64| v > 0.0 && v <= 100.0;
        if !percent(c.failure_rate) {
            return Err(ConfigError::invalid(
                "failure_rate",
                format!(
                    "{} is not a percentage above 0 and at most 100",
                    c.failure_rate
                ),
            ));
        }
        if let Some((_, p)) = c.slow
            && !percent(p)
        {
            return Err(ConfigError::invalid(
                "slow_calls",
                format!("{p} is not a percentage above 0 and at most 100"),
            ));
        }
        if c.minimum_calls == 0 {
            return Err(ConfigError::invalid(
                "minimum_calls",
                "0: at least one call is needed to judge",
            ));
        }
        if !(1..=window::MAX_HALF_OPEN_CALLS).contains(&c.half_open_calls) {
            return Err(ConfigError::invalid(
                "half_open_calls",
                format!(
                    "{} is not between 1 and {}",
                    c.half_open_calls,
                    window::MAX_HALF_OPEN_CALLS
                ),
            ));
        }
        let window = match c.window {
            Window::Count(n) if (1..=window::MAX_COUNT_WINDOW).contains(&n) => {
                SlidingWindow::Count(CountWindow::new(n))
            }
            Window::Count(n) => {
                return Err(ConfigError::invalid(
                    "window",
                    format!(
                        "a count window of {n} calls is not between 1 and {}",
                        window::MAX_COUNT_WINDOW
                    ),
                ));
            }
            Window::Time { length, buckets }
                if (1..=1000).contains(&buckets) && length >= Duration::from_millis(1) =>
            {
                SlidingWindow::Time(TimeWindow::new(length, buckets))
            }
            Window::Time { length, buckets } => {
                return Err(ConfigError::invalid(
                    "window",
                    format!(
                        "a time window of {length:?} in {buckets} buckets (1 ms or more, 1 to 1000 buckets)"
                    ),
                ));
            }
        };
        Ok(CircuitBreaker {
            shared: Arc::new(Shared {
                fast: self.cfg.slow.is_none()
                    && self.listeners.is_empty()
                    && matches!(self.cfg.window, Window::Count(_)),
                state: AtomicU64::new(State::Closed.tag()),
                open_until: AtomicU64::new(0),
                window,
                half: HalfOpenCounts::default(),
                totals: Totals::default(),
                transitions: Mutex::new(0),
                clock: self.clock,
                listeners: self.listeners,
                cfg: self.cfg,
            }),
        })
    }
}

#[cfg(test)]
mod tests;
