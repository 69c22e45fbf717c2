//! Async retries, breaker and limiter on tokio's paused clock: every wait
//! is virtual, and tokio's clock says exactly how long the code waited.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ops_resilience::{
    Backoff, BreakerError, CircuitBreaker, GiveUp, Jitter, RateLimiter, RetryError, RetryPolicy,
    TokioClock, Verdict, Window,
};
use tokio::time::Instant;

fn secs(n: f64) -> Duration {
    Duration::from_secs_f64(n)
}

fn policy() -> ops_resilience::RetryPolicyBuilder {
    RetryPolicy::builder()
        .backoff(Backoff::constant(secs(0.5)))
        .jitter(Jitter::None)
        .clock(TokioClock::new())
}

#[tokio::test(start_paused = true)]
async fn each_attempt_is_cut_at_its_timeout() {
    let p = policy()
        .max_attempts(3)
        .attempt_timeout(secs(1.0))
        .build()
        .unwrap();
    let start = Instant::now();
    let calls = AtomicU32::new(0);
    let r = p
        .retry_async(|| async {
            calls.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(secs(10.0)).await;
            Ok::<(), std::io::Error>(())
        })
        .await;
    match r {
        Err(RetryError::TimedOut {
            attempts,
            limit,
            reason,
        }) => {
            assert_eq!(
                (attempts, limit, reason),
                (3, secs(1.0), GiveUp::MaxAttempts)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    // Three attempts of 1 s and two waits of 0.5 s.
    assert_eq!(start.elapsed(), secs(4.0));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_cuts_the_attempt_in_flight() {
    let p = policy()
        .max_attempts(10)
        .max_elapsed(secs(2.5))
        .build()
        .unwrap();
    let start = Instant::now();
    let r = p
        .retry_async(|| async {
            tokio::time::sleep(secs(10.0)).await;
            Ok::<(), std::io::Error>(())
        })
        .await;
    let e = r.unwrap_err();
    assert_eq!(e.reason(), GiveUp::Deadline);
    assert_eq!(e.attempts(), 1);
    assert_eq!(start.elapsed(), secs(2.5));
}

#[tokio::test(start_paused = true)]
async fn failures_then_success_wait_the_schedule_or_the_hint() {
    let p = policy()
        .max_attempts(5)
        .max_retry_after(secs(30.0))
        .classify(|r: &Result<u16, std::io::Error>| match r {
            Ok(429) => Verdict::RetryAfter(secs(7.0)),
            Ok(503) | Err(_) => Verdict::Retry,
            Ok(_) => Verdict::Done,
        })
        .build()
        .unwrap();
    let start = Instant::now();
    let answers = std::sync::Mutex::new(vec![
        Ok(200),
        Ok(429),
        Ok(503),
        Err(std::io::Error::other("reset")),
    ]);
    let r = p
        .retry_async(|| async { answers.lock().unwrap().pop().unwrap() })
        .await;
    assert_eq!(r.unwrap(), 200);
    // 0.5 s after the error and the 503, 7 s after the 429.
    assert_eq!(start.elapsed(), secs(8.0));
}

#[tokio::test(start_paused = true)]
async fn retry_and_breaker_together() {
    let breaker = CircuitBreaker::builder()
        .window(Window::Count(4))
        .minimum_calls(4)
        .clock(TokioClock::new())
        .build()
        .unwrap();
    let p = policy()
        .max_attempts(10)
        .classify(|r: &Result<(), BreakerError<std::io::Error>>| match r {
            Err(BreakerError::Inner(_)) => Verdict::Retry,
            _ => Verdict::Done,
        })
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let r = p
        .retry_async(|| {
            let calls = Arc::clone(&calls);
            breaker.call_async(async move {
                calls.fetch_add(1, Ordering::Relaxed);
                Err::<(), _>(std::io::Error::other("down"))
            })
        })
        .await;
    // Four failures open the breaker; the fifth attempt is rejected and
    // not retried.
    let e = r.unwrap_err();
    assert_eq!(e.attempts(), 5);
    assert!(matches!(e.into_inner(), Some(BreakerError::Rejected(_))));
    assert_eq!(calls.load(Ordering::Relaxed), 4);
}

#[tokio::test(start_paused = true)]
async fn the_limiter_waits_on_tokio_time() {
    let l = RateLimiter::builder()
        .permits(4)
        .per(secs(1.0))
        .burst(1)
        .clock(TokioClock::new())
        .build()
        .unwrap();
    let start = Instant::now();
    for _ in 0..5 {
        l.acquire_async(secs(1.0)).await.unwrap();
    }
    assert_eq!(start.elapsed(), secs(1.0));
    assert!(l.acquire_async(secs(0.1)).await.is_err());
}
