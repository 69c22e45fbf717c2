//! The retry policy: one value that drives blocking and async retries.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::{Backoff, Delays, Jitter};
use crate::budget::RetryBudget;
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;

/// What to do after an attempt, as a classifier decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Return this outcome as it is: a success, or a failure that another
    /// attempt would not fix (a 404, a bug).
    Done,
    /// A transient failure: retry after the schedule's delay.
    Retry,
    /// A transient failure with a suggested delay (HTTP `Retry-After`),
    /// used instead of the schedule's, capped by
    /// [`RetryPolicyBuilder::max_retry_after`].
    RetryAfter(Duration),
}

/// Decides whether an outcome, error or result, is worth another attempt.
///
/// Any `Fn(&Result<T, E>) -> Verdict` is a classifier. The trait is
/// object-safe: `Box<dyn Classify<T, E>>` works too.
pub trait Classify<T, E>: Send + Sync {
    /// The verdict on one attempt's outcome.
    fn classify(&self, outcome: &Result<T, E>) -> Verdict;
}

impl<T, E, F> Classify<T, E> for F
where
    F: Fn(&Result<T, E>) -> Verdict + Send + Sync,
{
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        self(outcome)
    }
}

impl<T, E> Classify<T, E> for Box<dyn Classify<T, E>> {
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        (**self).classify(outcome)
    }
}

/// The default classifier: every `Err` is retried, every `Ok` returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RetryErrors;

impl<T, E> Classify<T, E> for RetryErrors {
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        match outcome {
            Ok(_) => Verdict::Done,
            Err(_) => Verdict::Retry,
        }
    }
}

/// Why a retry loop stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUp {
    /// The classifier said the failure is not transient.
    Permanent,
    /// The last permitted attempt failed.
    MaxAttempts,
    /// The next delay would have ended past the policy's deadline, or the
    /// last attempt ran into it.
    Deadline,
    /// The retry budget was empty.
    Budget,
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GiveUp::Permanent => "not retryable",
            GiveUp::MaxAttempts => "attempts exhausted",
            GiveUp::Deadline => "deadline reached",
            GiveUp::Budget => "retry budget exhausted",
        })
    }
}

/// A retried operation failed for good.
///
/// An `Ok` that the classifier wanted retried (an HTTP 503 as a response)
/// is returned as `Ok` when retries run out: the caller sees the last
/// response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryError<E> {
    /// The last attempt's error.
    Failed {
        /// The error of the last attempt.
        error: E,
        /// Attempts made, the first included.
        attempts: u32,
        /// Why there was no further attempt.
        reason: GiveUp,
    },
    /// The last attempt did not finish within its time limit (async only:
    /// the per-attempt timeout, or what was left of the deadline).
    TimedOut {
        /// Attempts made, the first included.
        attempts: u32,
        /// The limit the last attempt ran into.
        limit: Duration,
        /// Why there was no further attempt.
        reason: GiveUp,
    },
}

impl<E> RetryError<E> {
    /// Attempts made, the first included.
    pub fn attempts(&self) -> u32 {
        match self {
            RetryError::Failed { attempts, .. } | RetryError::TimedOut { attempts, .. } => {
                *attempts
            }
        }
    }

    /// Why the loop stopped.
    pub fn reason(&self) -> GiveUp {
        match self {
            RetryError::Failed { reason, .. } | RetryError::TimedOut { reason, .. } => *reason,
        }
    }

    /// The operation's own error, if the last attempt returned one.
    pub fn into_inner(self) -> Option<E> {
        match self {
            RetryError::Failed { error, .. } => Some(error),
            RetryError::TimedOut { .. } => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryError::Failed {
                error,
                attempts,
                reason,
            } => {
                write!(
                    f,
                    "{error} (after {attempts} attempt{}, {reason})",
                    plural(*attempts)
                )
            }
            RetryError::TimedOut {
                attempts,
                limit,
                reason,
            } => write!(
                f,
                "attempt timed out after {limit:?} (after {attempts} attempt{}, {reason})",
                plural(*attempts)
            ),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RetryError::Failed { error, .. } => Some(error),
            RetryError::TimedOut { .. } => None,
        }
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// It returned `Ok`.
    Ok,
    /// It returned `Err`.
    Err,
    /// It ran past its time limit (async).
    TimedOut,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NextStep {
    /// The outcome is returned to the caller as it is.
    Return,
    /// Another attempt after `delay`.
    Retry {
        /// The wait before the next attempt.
        delay: Duration,
        /// Whether the delay came from the server (`Retry-After`) rather
        /// than from the backoff schedule.
        hinted: bool,
    },
    /// Retrying stops: the outcome is returned as a failure.
    GiveUp(GiveUp),
}

/// One attempt of a retried call, as a [`RetryListener`] sees it.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct AttemptEvent<'a> {
    /// The attempt's number, 1 for the first call.
    pub attempt: u32,
    /// How the attempt ended.
    pub outcome: AttemptOutcome,
    /// The classifier's verdict on it (a timeout counts as `Retry`).
    pub verdict: Verdict,
    /// The attempt's error, if it returned one.
    pub error: Option<&'a dyn fmt::Display>,
    /// Time since the first attempt started, on the policy's clock. (A
    /// policy with a listener or a deadline reads its clock before the
    /// first attempt; one with neither reads none on a success.)
    pub elapsed: Duration,
    /// What happens next.
    pub next: NextStep,
}

impl fmt::Debug for AttemptEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttemptEvent")
            .field("attempt", &self.attempt)
            .field("outcome", &self.outcome)
            .field("verdict", &self.verdict)
            .field("error", &self.error.map(ToString::to_string))
            .field("elapsed", &self.elapsed)
            .field("next", &self.next)
            .finish()
    }
}

/// Receives an event for every attempt of every call a policy makes: the
/// seam for metrics (ops-metrics counts attempts and observes delays).
///
/// Called synchronously on the calling thread or task, between attempts;
/// keep it cheap and non-blocking. Object-safe; attach one with
/// [`RetryPolicyBuilder::listener`].
pub trait RetryListener: Send + Sync {
    /// One attempt ended.
    fn on_attempt(&self, event: &AttemptEvent<'_>);
}

impl<L: RetryListener + ?Sized> RetryListener for Arc<L> {
    fn on_attempt(&self, event: &AttemptEvent<'_>) {
        (**self).on_attempt(event);
    }
}

#[derive(Clone)]
struct Config {
    max_attempts: u32,
    backoff: Backoff,
    jitter: Jitter,
    max_elapsed: Option<Duration>,
    attempt_timeout: Option<Duration>,
    max_retry_after: Duration,
    budget: Option<RetryBudget>,
    clock: Arc<dyn Clock>,
    listeners: Vec<Arc<dyn RetryListener>>,
    seed: Option<u64>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("jitter", &self.jitter)
            .field("max_elapsed", &self.max_elapsed)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("max_retry_after", &self.max_retry_after)
            .field("budget", &self.budget)
            .field("clock", &self.clock)
            .field("listeners", &self.listeners.len())
            .finish_non_exhaustive()
    }
}

/// When and how often to retry, and what: one value for blocking
/// ([`retry`](RetryPolicy::retry)) and async
/// (`retry_async`,
/// [`retry_async_with`](RetryPolicy::retry_async_with)) code.
///
/// Cheap to clone (the settings are shared), `Send + Sync` when the
/// classifier is. `C` is the [`Classify`] deciding what is retried.
///
/// ```
/// use ops_resilience::{Backoff, Jitter, ManualClock, RetryPolicy};
/// use std::io;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let policy = RetryPolicy::builder()
///     .max_attempts(4)
///     .backoff(Backoff::constant(Duration::from_millis(100)))
///     .jitter(Jitter::None)
///     .clock(clock.clone())
///     .build()?;
/// let mut calls = 0;
/// let answer = policy.retry(|| {
///     calls += 1;
///     if calls < 3 { Err(io::Error::from(io::ErrorKind::ConnectionRefused)) } else { Ok(42) }
/// })?;
/// assert_eq!((answer, calls), (42, 3));
/// assert_eq!(clock.slept(), Duration::from_millis(200)); // virtual time
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RetryPolicy<C = RetryErrors> {
    cfg: Arc<Config>,
    classify: C,
}

impl<C> fmt::Debug for RetryPolicy<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cfg.fmt(f)
    }
}

impl RetryPolicy {
    /// A builder with the defaults: 3 attempts, exponential backoff from
    /// 100 ms doubling up to 10 s, full jitter, no deadline, server hints
    /// capped at 60 s, every error retried, the system clock.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            cfg: Config {
                max_attempts: 3,
                backoff: Backoff::exponential(
                    Duration::from_millis(100),
                    2.0,
                    Duration::from_secs(10),
                )
                .unwrap_or_else(|_| Backoff::constant(Duration::from_millis(100))),
                jitter: Jitter::Full,
                max_elapsed: None,
                attempt_timeout: None,
                max_retry_after: Duration::from_secs(60),
                budget: None,
                clock: Arc::new(SystemClock::new()),
                listeners: Vec::new(),
                seed: None,
            },
            classify: RetryErrors,
        }
    }
}

impl<C> RetryPolicy<C> {
    /// The same settings with another classifier.
    pub fn with_classifier<C2>(&self, classify: C2) -> RetryPolicy<C2> {
        RetryPolicy {
            cfg: Arc::clone(&self.cfg),
            classify,
        }
    }

    /// The attempts allowed, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.cfg.max_attempts
    }

    /// The policy's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.cfg.clock
    }

    /// Calls `op` until it succeeds, the classifier calls its outcome
    /// final, or a stop condition is reached; sleeps between attempts on
    /// the policy's clock. The per-attempt timeout does not apply: a
    /// blocking call cannot be interrupted.
    pub fn retry<T, E, F>(&self, mut op: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Result<T, E>,
        C: Classify<T, E>,
        E: fmt::Display,
    {
        let mut run = Run::start(&self.cfg);
        loop {
            let outcome = op();
            let verdict = self.classify.classify(&outcome);
            match run.after(verdict, outcome) {
                Step::Return(r) => return r,
                Step::Sleep(d) => self.cfg.clock.sleep(d),
            }
        }
    }

    /// The async form of [`retry`](RetryPolicy::retry) on any runtime:
    /// `sleep(d)` is the runtime's timer (with the `tokio` feature,
    /// `retry_async` passes
    /// `tokio::time::sleep`). Each attempt is raced against `sleep` for the
    /// per-attempt timeout and what is left of the deadline; an attempt
    /// that loses is dropped (cancelled) and counts as a transient failure.
    ///
    /// ```
    /// use ops_resilience::{Backoff, Clock, Jitter, ManualClock, RetryPolicy};
    /// use std::future::{Future, ready};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let policy = RetryPolicy::builder()
    ///     .backoff(Backoff::constant(Duration::from_secs(1)))
    ///     .jitter(Jitter::None)
    ///     .clock(clock.clone())
    ///     .build()?;
    /// // A virtual timer: sleeping moves the manual clock.
    /// let sleep = |d| { clock.sleep(d); ready(()) };
    /// let mut calls = 0;
    /// let fut = policy.retry_async_with(sleep, || {
    ///     calls += 1;
    ///     ready(if calls == 1 { Err("503") } else { Ok(calls) })
    /// });
    /// // Any executor runs it; this one polls once (nothing here waits).
    /// let out = std::pin::pin!(fut).poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    /// assert_eq!(out, std::task::Poll::Ready(Ok(2)));
    /// assert_eq!(clock.now(), Duration::from_secs(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn retry_async_with<T, E, F, Fut, S, SFut>(
        &self,
        mut sleep: S,
        mut op: F,
    ) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        S: FnMut(Duration) -> SFut,
        SFut: Future<Output = ()>,
        C: Classify<T, E>,
        E: fmt::Display,
    {
        let mut run = Run::start(&self.cfg);
        loop {
            let step = match run.time_limit() {
                None => {
                    let outcome = op().await;
                    let verdict = self.classify.classify(&outcome);
                    run.after(verdict, outcome)
                }
                Some(limit) => match race(op(), sleep(limit)).await {
                    Some(outcome) => {
                        let verdict = self.classify.classify(&outcome);
                        run.after(verdict, outcome)
                    }
                    None => run.timed_out(limit),
                },
            };
            match step {
                Step::Return(r) => return r,
                Step::Sleep(d) => sleep(d).await,
            }
        }
    }

    /// [`retry_async_with`](RetryPolicy::retry_async_with) on tokio's
    /// timer. Pair it with `TokioClock`(crate::TokioClock) so that the
    /// deadline and tokio's paused clock agree in tests.
    ///
    /// ```
    /// use ops_resilience::{Backoff, RetryPolicy, TokioClock};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let policy = RetryPolicy::builder()
    ///     .backoff(Backoff::constant(Duration::from_millis(10)))
    ///     .attempt_timeout(Duration::from_secs(2))
    ///     .clock(TokioClock::new())
    ///     .build()?;
    /// let mut calls = 0;
    /// let n = policy
    ///     .retry_async(|| {
    ///         calls += 1;
    ///         let c = calls;
    ///         async move { if c < 2 { Err(std::io::Error::other("timeout")) } else { Ok(c) } }
    ///     })
    ///     .await?;
    /// assert_eq!(n, 2);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tokio")]
    pub async fn retry_async<T, E, F, Fut>(&self, op: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: Classify<T, E>,
        E: fmt::Display,
    {
        self.retry_async_with(tokio::time::sleep, op).await
    }
}

/// Polls `a` and `b` together: `Some` with `a`'s output if it finishes
/// first, `None` if `b` does.
async fn race<A: Future, B: Future<Output = ()>>(a: A, b: B) -> Option<A::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(v));
        }
        b.as_mut().poll(cx).map(|()| None)
    })
    .await
}

enum Step<T, E> {
    Return(Result<T, RetryError<E>>),
    Sleep(Duration),
}

/// The state of one retried call, shared by the blocking and async loops.
struct Run<'a> {
    cfg: &'a Config,
    delays: Delays,
    attempt: u32,
    /// When the first attempt started; read only when something needs it
    /// (a deadline or a listener), so a first-time success reads no clock.
    start: Option<Duration>,
}

impl<'a> Run<'a> {
    fn start(cfg: &'a Config) -> Run<'a> {
        if let Some(b) = &cfg.budget {
            b.deposit();
        }
        let timed = cfg.max_elapsed.is_some() || !cfg.listeners.is_empty();
        Run {
            cfg,
            delays: cfg.backoff.delays(cfg.jitter, cfg.seed),
            attempt: 1,
            start: timed.then(|| cfg.clock.now()),
        }
    }

    /// Time since the first attempt started (zero when it was not taken:
    /// no deadline and no listener).
    fn elapsed(&self) -> Duration {
        self.start
            .map_or(Duration::ZERO, |s| self.cfg.clock.now().saturating_sub(s))
    }

    /// The time the next attempt may take (async): the per-attempt
    /// timeout, or less if the deadline is nearer.
    fn time_limit(&self) -> Option<Duration> {
        let left = self
            .cfg
            .max_elapsed
            .map(|m| m.saturating_sub(self.elapsed()));
        match (self.cfg.attempt_timeout, left) {
            (Some(t), Some(l)) => Some(t.min(l)),
            (t, l) => t.or(l),
        }
    }

    fn timed_out<T, E>(&mut self, limit: Duration) -> Step<T, E> {
        let attempts = self.attempt;
        match self.next(Verdict::Retry, AttemptOutcome::TimedOut, None) {
            Ok(delay) => Step::Sleep(delay),
            Err(reason) => Step::Return(Err(RetryError::TimedOut {
                attempts,
                limit,
                reason,
            })),
        }
    }

    fn after<T, E: fmt::Display>(&mut self, verdict: Verdict, outcome: Result<T, E>) -> Step<T, E> {
        let attempts = self.attempt;
        let (kind, error) = match &outcome {
            Ok(_) => (AttemptOutcome::Ok, None),
            Err(e) => (AttemptOutcome::Err, Some(e as &dyn fmt::Display)),
        };
        match self.next(verdict, kind, error) {
            Ok(delay) => Step::Sleep(delay),
            Err(reason) => Step::Return(outcome.map_err(|error| RetryError::Failed {
                error,
                attempts,
                reason,
            })),
        }
    }

    /// Decides after an attempt: `Ok(delay)` to try again, `Err(reason)` to
    /// stop (`Permanent` also stands for "return as it is").
    fn next(
        &mut self,
        verdict: Verdict,
        outcome: AttemptOutcome,
        error: Option<&dyn fmt::Display>,
    ) -> Result<Duration, GiveUp> {
        let elapsed = self.elapsed();
        let decided = self.decide(verdict, outcome, elapsed);
        let next = match decided {
            Ok((delay, hinted)) => NextStep::Retry { delay, hinted },
            Err(None) => NextStep::Return,
            Err(Some(reason)) => NextStep::GiveUp(reason),
        };
        let event = AttemptEvent {
            attempt: self.attempt,
            outcome,
            verdict,
            error,
            elapsed,
            next,
        };
        self.emit(&event);
        match decided {
            Ok((delay, _)) => {
                self.attempt += 1;
                Ok(delay)
            }
            Err(reason) => Err(reason.unwrap_or(GiveUp::Permanent)),
        }
    }

    fn decide(
        &mut self,
        verdict: Verdict,
        outcome: AttemptOutcome,
        elapsed: Duration,
    ) -> Result<(Duration, bool), Option<GiveUp>> {
        let hint = match verdict {
            Verdict::Done if outcome == AttemptOutcome::Ok => return Err(None),
            Verdict::Done => return Err(Some(GiveUp::Permanent)),
            Verdict::Retry => None,
            Verdict::RetryAfter(h) => Some(h.min(self.cfg.max_retry_after)),
        };
        if self.attempt >= self.cfg.max_attempts {
            return Err(Some(GiveUp::MaxAttempts));
        }
        // The schedule advances on every retry, hinted or not, so that the
        // n-th retry always has the n-th delay's bounds.
        let scheduled = self.delays.next().unwrap_or(Duration::ZERO);
        let delay = hint.unwrap_or(scheduled);
        if let Some(max) = self.cfg.max_elapsed {
            // Never sleep past the deadline, nor start an attempt at it.
            if elapsed.saturating_add(delay) >= max {
                return Err(Some(GiveUp::Deadline));
            }
        }
        if let Some(b) = &self.cfg.budget
            && !b.try_withdraw(self.cfg.clock.now())
        {
            return Err(Some(GiveUp::Budget));
        }
        Ok((delay, hint.is_some()))
    }

    fn emit(&self, event: &AttemptEvent<'_>) {
        match event.next {
            NextStep::Return => {}
            NextStep::Retry { delay, hinted } => tracing::debug!(
                attempt = event.attempt,
                ?delay,
                hinted,
                error = event.error.map(tracing::field::display),
                "retrying"
            ),
            NextStep::GiveUp(reason) => tracing::debug!(
                attempt = event.attempt,
                %reason,
                error = event.error.map(tracing::field::display),
                "giving up"
            ),
        }
        for l in &self.cfg.listeners {
            l.on_attempt(event);
        }
    }
}

/// Builds a [`RetryPolicy`]; [`build`](RetryPolicyBuilder::build) checks
/// the settings.
#[derive(Debug)]
pub struct RetryPolicyBuilder<C = RetryErrors> {
    cfg: Config,
    classify: C,
}

impl<C> RetryPolicyBuilder<C> {
    /// Attempts in all, the first call included (at least 1; 1 means no
    /// retry). Default 3.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.cfg.max_attempts = n;
        self
    }

    /// The delay schedule. Default: exponential from 100 ms, doubling, up
    /// to 10 s.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.cfg.backoff = backoff;
        self
    }

    /// The jitter on the schedule. Default [`Jitter::Full`].
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.cfg.jitter = jitter;
        self
    }

    /// A deadline for the whole call, from the first attempt's start: no
    /// sleep ends at or past it, and async attempts are cut off at it.
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.cfg.max_elapsed = Some(limit);
        self
    }

    /// A time limit for each async attempt; an attempt that runs over is
    /// cancelled and retried.
    pub fn attempt_timeout(mut self, limit: Duration) -> Self {
        self.cfg.attempt_timeout = Some(limit);
        self
    }

    /// The cap on server-suggested delays ([`Verdict::RetryAfter`]), so a
    /// hostile `Retry-After: 99999999` cannot park a caller. Default 60 s.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.cfg.max_retry_after = cap;
        self
    }

    /// A retry budget, shared with every policy holding a clone of it.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.cfg.budget = Some(budget);
        self
    }

    /// The clock to measure and sleep on. Default [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.cfg.clock = Arc::new(clock);
        self
    }

    /// Adds a listener for attempt events (there may be several).
    pub fn listener(mut self, listener: impl RetryListener + 'static) -> Self {
        self.cfg.listeners.push(Arc::new(listener));
        self
    }

    /// A fixed seed for the jitter, for reproducible delays. Default: a
    /// random seed per call.
    pub fn seed(mut self, seed: u64) -> Self {
        self.cfg.seed = Some(seed);
        self
    }

    /// What to retry: a [`Classify`], such as a closure
    /// `|r: &Result<T, E>| -> Verdict`. Default [`RetryErrors`].
    pub fn classify<C2>(self, classify: C2) -> RetryPolicyBuilder<C2> {
        RetryPolicyBuilder {
            cfg: self.cfg,
            classify,
        }
    }

    /// Checks the settings.
    pub fn build(self) -> Result<RetryPolicy<C>, ConfigError> {
        if self.cfg.max_attempts == 0 {
            return Err(ConfigError::invalid(
                "max_attempts",
                "0: at least the first call is made",
            ));
        }
        if self.cfg.max_elapsed == Some(Duration::ZERO) {
            return Err(ConfigError::invalid(
                "max_elapsed",
                "0s leaves no time for a call",
            ));
        }
        if self.cfg.attempt_timeout == Some(Duration::ZERO) {
            return Err(ConfigError::invalid(
                "attempt_timeout",
                "0s leaves no time for a call",
            ));
        }
        Ok(RetryPolicy {
            cfg: Arc::new(self.cfg),
            classify: self.classify,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use proptest::prelude::*;
    use std::sync::Mutex;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);
    impl RetryListener for Record {
        fn on_attempt(&self, e: &AttemptEvent<'_>) {
            let err = e.error.map(|e| e.to_string()).unwrap_or_default();
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {:?} {err} {:?}", e.attempt, e.outcome, e.next));
        }
    }

    #[test]
    fn objects_are_object_safe() {
        fn _listener(_: &dyn RetryListener) {}
        fn _classify(_: &dyn Classify<u16, String>) {}
        let b: Box<dyn Classify<u16, String>> = Box::new(RetryErrors);
        assert_eq!(b.classify(&Err("x".into())), Verdict::Retry);
    }

    #[test]
    fn policy_is_send_sync() {
        fn is<T: Send + Sync + Clone>() {}
        is::<RetryPolicy>();
        is::<RetryError<String>>();
    }

    #[test]
    fn events_for_every_attempt() {
        let clock = ManualClock::new();
        let rec = Arc::new(Record::default());
        let policy = RetryPolicy::builder()
            .max_attempts(3)
            .backoff(Backoff::linear(ms(10), ms(10), ms(100)).unwrap())
            .jitter(Jitter::None)
            .clock(clock.clone())
            .listener(Arc::clone(&rec))
            .build()
            .unwrap();
        let err = policy.retry(|| Err::<(), _>("refused")).unwrap_err();
        assert_eq!(err.attempts(), 3);
        assert_eq!(err.reason(), GiveUp::MaxAttempts);
        assert_eq!(
            err.to_string(),
            "refused (after 3 attempts, attempts exhausted)"
        );
        assert_eq!(clock.slept(), ms(30));
        let got = rec.0.lock().unwrap().clone();
        assert_eq!(
            got,
            [
                "1 Err refused Retry { delay: 10ms, hinted: false }",
                "2 Err refused Retry { delay: 20ms, hinted: false }",
                "3 Err refused GiveUp(MaxAttempts)",
            ]
        );
    }

    #[test]
    fn permanent_errors_and_results_are_not_retried() {
        let clock = ManualClock::new();
        let policy = RetryPolicy::builder()
            .clock(clock.clone())
            .classify(|r: &Result<u16, String>| match r {
                Ok(s) if *s >= 500 => Verdict::Retry,
                Ok(_) => Verdict::Done,
                Err(e) if e.starts_with("bug") => Verdict::Done,
                Err(_) => Verdict::Retry,
            })
            .build()
            .unwrap();
        let mut calls = 0;
        let e = policy.retry(|| {
            calls += 1;
            Err::<u16, _>("bug: bad request".to_string())
        });
        assert_eq!(calls, 1);
        assert_eq!(e.unwrap_err().reason(), GiveUp::Permanent);
        // A retryable result that never improves is returned as it is.
        let mut calls = 0;
        let r = policy.retry(|| {
            calls += 1;
            Ok::<u16, String>(503)
        });
        assert_eq!((r, calls), (Ok(503), 3));
    }

    #[test]
    fn hints_replace_the_schedule_and_are_capped() {
        let clock = ManualClock::new();
        let rec = Arc::new(Record::default());
        let policy = RetryPolicy::builder()
            .max_attempts(3)
            .backoff(Backoff::constant(ms(1)))
            .max_retry_after(Duration::from_secs(5))
            .clock(clock.clone())
            .listener(Arc::clone(&rec))
            .classify(|r: &Result<(), u64>| match r {
                Err(s) => Verdict::RetryAfter(Duration::from_secs(*s)),
                Ok(()) => Verdict::Done,
            })
            .build()
            .unwrap();
        let mut hints = [2u64, 3600].into_iter();
        let r = policy.retry(|| hints.next().map_or(Ok(()), Err));
        assert_eq!(r, Ok(()));
        assert_eq!(clock.slept(), Duration::from_secs(7));
        assert!(rec.0.lock().unwrap()[1].ends_with("Retry { delay: 5s, hinted: true }"));
    }

    #[test]
    fn the_budget_stops_a_storm() {
        let clock = ManualClock::new();
        let budget = RetryBudget::new(0.1, 0).unwrap();
        let policy = RetryPolicy::builder()
            .max_attempts(10)
            .backoff(Backoff::constant(ms(1)))
            .clock(clock)
            .budget(budget.clone())
            .build()
            .unwrap();
        let mut calls = 0u32;
        for _ in 0..100 {
            let _ = policy.retry(|| {
                calls += 1;
                Err::<(), _>("down")
            });
        }
        // 100 calls earn 10 retries: 110 attempts, not 1000.
        assert!((100..=110).contains(&calls), "{calls} attempts");
        assert_eq!(
            policy.retry(|| Err::<(), _>("down")).unwrap_err().reason(),
            GiveUp::Budget
        );
    }

    #[test]
    fn invalid_settings_are_errors() {
        let e = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
        assert_eq!(e.setting(), "max_attempts");
        assert!(
            RetryPolicy::builder()
                .max_elapsed(Duration::ZERO)
                .build()
                .is_err()
        );
        assert!(
            RetryPolicy::builder()
                .attempt_timeout(Duration::ZERO)
                .build()
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn the_deadline_is_never_exceeded(
            max_ms in 1u64..10_000,
            initial in 0u64..2_000,
            factor in 1.0f64..4.0,
            cost_ms in 0u64..500,
            attempts in 1u32..50,
            seed in any::<u64>(),
            jitter in prop_oneof![Just(Jitter::None), Just(Jitter::Full), Just(Jitter::Equal), Just(Jitter::Decorrelated)],
        ) {
            let clock = ManualClock::new();
            let policy = RetryPolicy::builder()
                .max_attempts(attempts)
                .backoff(Backoff::exponential(ms(initial), factor, ms(initial * 10)).unwrap())
                .jitter(jitter)
                .max_elapsed(ms(max_ms))
                .seed(seed)
                .clock(clock.clone())
                .build()
                .unwrap();
            let mut starts = Vec::new();
            let r = policy.retry(|| {
                starts.push(clock.now());
                clock.advance(ms(cost_ms));
                Err::<(), _>("x")
            });
            prop_assert!(r.is_err());
            prop_assert!(starts.len() as u32 <= attempts);
            // Every attempt starts before the deadline, and no sleep ends
            // at or past it.
            for s in &starts {
                prop_assert!(*s < ms(max_ms), "attempt at {s:?}, deadline {max_ms} ms");
            }
            let sleeps = clock.slept();
            prop_assert!(sleeps < ms(max_ms) || starts.len() == 1);
            let attempted_work = ms(cost_ms) * (starts.len() as u32 - 1);
            prop_assert!(sleeps + attempted_work < ms(max_ms) || starts.len() == 1);
        }

        #[test]
        fn retries_count_attempts_exactly(attempts in 1u32..20, fail_first in 0u32..25) {
            let clock = ManualClock::new();
            let policy = RetryPolicy::builder().max_attempts(attempts).clock(clock).build().unwrap();
            let mut calls = 0;
            let r = policy.retry(|| {
                calls += 1;
                if calls <= fail_first { Err("x") } else { Ok(calls) }
            });
            if fail_first < attempts {
                prop_assert_eq!(r, Ok(fail_first + 1));
            } else {
                prop_assert_eq!(r.unwrap_err().attempts(), attempts);
                prop_assert_eq!(calls, attempts);
            }
        }
    }
}
