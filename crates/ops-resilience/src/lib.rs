//! Retry with backoff and jitter, a circuit breaker and a rate limiter, for
//! blocking and async code, on an injectable clock.
//!
//! - [`RetryPolicy`] retries an operation: [`Backoff`] schedules
//!   (constant, linear, exponential with a cap) with [`Jitter`] (none,
//!   full, equal, decorrelated); stops after a number of attempts, at a
//!   deadline that no sleep overruns, or when a shared [`RetryBudget`] is
//!   empty; retries only what a [`Classify`] calls transient, and honours
//!   server hints ([`Verdict::RetryAfter`], parsed by
//!   [`parse_retry_after`]). One policy value drives
//!   [`retry`](RetryPolicy::retry) (blocking),
//!   `retry_async` (tokio) and
//!   [`retry_async_with`](RetryPolicy::retry_async_with) (any runtime).
//! - [`CircuitBreaker`] stops calling a dependency that keeps failing:
//!   closed, open and half-open, plus disabled, forced-open and
//!   metrics-only; count or time [`Window`]s; failure-rate and slow-call
//!   thresholds; a fixed number of half-open probes; a growing wait in
//!   open ([`OpenWait`]). A rejected call is [`BreakerError::Rejected`],
//!   carrying the time to the next probe.
//! - [`RateLimiter`] is a token bucket: permits per period, a burst, and
//!   waiting with a timeout.
//! - [`RetryListener`] and [`BreakerListener`] receive every attempt,
//!   call, rejection and state transition, for metrics; events also go to
//!   [`tracing`] (`debug` for retries, `info` for state changes).
//!
//! Everything that waits or measures time does it on a [`Clock`]:
//! [`SystemClock`] by default, [`ManualClock`] for tests on virtual time
//! (sleeping on it advances it and returns at once), `TokioClock` for
//! tests under `tokio::time::pause`.
//!
//! # Example
//!
//! A blocking call retried on transient errors, behind a breaker:
//!
//! ```
//! use ops_resilience::{Backoff, BreakerError, CircuitBreaker, Jitter, ManualClock, RetryPolicy, Verdict};
//! use std::io;
//! use std::time::Duration;
//!
//! let clock = ManualClock::new(); // virtual time: this example never sleeps
//! let breaker = CircuitBreaker::builder().name("inventory").clock(clock.clone()).build()?;
//! let policy = RetryPolicy::builder()
//!     .max_attempts(5)
//!     .backoff(Backoff::exponential(Duration::from_millis(100), 2.0, Duration::from_secs(5))?)
//!     .jitter(Jitter::Full)
//!     .max_elapsed(Duration::from_secs(30))
//!     .clock(clock.clone())
//!     // Retry what the breaker let through and failed with a transient
//!     // error; never a rejection, nor a bug.
//!     .classify(|r: &Result<u32, BreakerError<io::Error>>| match r {
//!         Err(BreakerError::Inner(e)) if e.kind() == io::ErrorKind::ConnectionRefused => Verdict::Retry,
//!         _ => Verdict::Done,
//!     })
//!     .build()?;
//!
//! let mut calls = 0;
//! let stock = policy.retry(|| {
//!     breaker.call(|| {
//!         calls += 1;
//!         if calls < 3 { Err(io::Error::from(io::ErrorKind::ConnectionRefused)) } else { Ok(17) }
//!     })
//! })?;
//! assert_eq!(stock, 17);
//! assert_eq!(calls, 3);
//! assert!(clock.slept() <= Duration::from_millis(300)); // two jittered waits
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same policy value retries async code (here on tokio):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ops_resilience::{RetryPolicy, TokioClock};
//! use std::time::Duration;
//!
//! let policy = RetryPolicy::builder()
//!     .max_attempts(3)
//!     .attempt_timeout(Duration::from_secs(2))
//!     .clock(TokioClock::new())
//!     .build()?;
//! let body = policy
//!     .retry_async(|| async { Ok::<_, std::io::Error>("pong") })
//!     .await?;
//! assert_eq!(body, "pong");
//! # Ok(())
//! # }
//! ```
//!
//! And as `tower` middleware (`tower` feature), around any `Service`:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ops_resilience::{BreakerLayer, CircuitBreaker, RetryLayer, RetryPolicy};
//! use std::convert::Infallible;
//! use std::task::{Context, Poll};
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! #[derive(Clone)]
//! struct Echo;
//! impl Service<String> for Echo {
//!     type Response = String;
//!     type Error = Infallible;
//!     type Future = std::future::Ready<Result<String, Infallible>>;
//!     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
//!         Poll::Ready(Ok(()))
//!     }
//!     fn call(&mut self, req: String) -> Self::Future {
//!         std::future::ready(Ok(req))
//!     }
//! }
//!
//! let breaker = CircuitBreaker::builder().name("echo").build()?;
//! let policy = RetryPolicy::builder().max_attempts(3).build()?;
//! let mut svc = RetryLayer::new(policy).layer(BreakerLayer::new(breaker).layer(Echo));
//! std::future::poll_fn(|cx| svc.poll_ready(cx)).await?;
//! assert_eq!(svc.call("hello".to_string()).await?, "hello");
//! # Ok(())
//! # }
//! ```
//!
//! # Crate features
//!
//! None is on by default: the core has no dependency but `thiserror` and
//! `tracing`.
//!
//! - `tokio`: `RetryPolicy::retry_async` and
//!   `RateLimiter::acquire_async` on tokio's timer, and `TokioClock`.
//!   Without it, [`RetryPolicy::retry_async_with`] and
//!   [`RateLimiter::acquire_async_with`] take any runtime's sleep.
//! - `tower`: `RetryLayer` and `BreakerLayer` (on `tower-layer` and
//!   `tower-service` only, not the whole of tower).

// No unsafe anywhere: the lock-free parts are plain atomics.
#![forbid(unsafe_code)]
// Public items are the crate's documentation.
#![warn(missing_docs)]

pub use crate::backoff::{Backoff, Delays, Jitter};
pub use crate::breaker::{
    BreakerError, BreakerListener, BreakerMetrics, CallEvent, CallOutcome, CircuitBreaker,
    CircuitBreakerBuilder, ClassifyCall, ErrorsFail, OpenWait, OwnedPermit, Permit, Rejected,
    Rules, State, Transition, TransitionReason, Window,
};
pub use crate::budget::RetryBudget;
#[cfg(feature = "tokio")]
pub use crate::clock::TokioClock;
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::error::ConfigError;
pub use crate::limiter::{RateLimited, RateLimiter, RateLimiterBuilder};
pub use crate::retry::{
    AttemptEvent, AttemptOutcome, Classify, GiveUp, NextStep, RetryError, RetryErrors,
    RetryListener, RetryPolicy, RetryPolicyBuilder, Verdict,
};
pub use crate::retry_after::{
    RetryAfterError, format_http_date, http_verdict, parse_http_date, parse_retry_after,
};
#[cfg(feature = "tower")]
pub use crate::tower::{BoxFuture, Breaker, BreakerLayer, Retry, RetryLayer};

mod backoff;
mod breaker;
mod budget;
mod clock;
mod error;
mod limiter;
mod retry;
mod retry_after;
mod rng;
#[cfg(feature = "tower")]
mod tower;
