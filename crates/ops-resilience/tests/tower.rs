//! The tower layers around a real `Service`, on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use ops_resilience::{
    Backoff, BreakerError, BreakerLayer, CircuitBreaker, Jitter, RetryError, RetryLayer,
    RetryPolicy, State, TokioClock, Verdict, Window,
};
use tower_layer::Layer;
use tower_service::Service;

/// Fails its first `fail` calls, then echoes.
#[derive(Clone)]
struct Flaky {
    calls: Arc<AtomicU32>,
    fail: u32,
}

impl Service<&'static str> for Flaky {
    type Response = String;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<String, std::io::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: &'static str) -> Self::Future {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        std::future::ready(if n <= self.fail {
            Err(std::io::Error::other(format!("failure {n}")))
        } else {
            Ok(req.to_uppercase())
        })
    }
}

async fn call<S: Service<&'static str>>(
    svc: &mut S,
    req: &'static str,
) -> Result<S::Response, S::Error> {
    std::future::poll_fn(|cx| svc.poll_ready(cx)).await?;
    svc.call(req).await
}

#[tokio::test(start_paused = true)]
async fn retry_layer_retries_the_service() {
    let calls = Arc::new(AtomicU32::new(0));
    let policy = RetryPolicy::builder()
        .max_attempts(4)
        .backoff(Backoff::constant(Duration::from_secs(1)))
        .jitter(Jitter::None)
        .clock(TokioClock::new())
        .build()
        .unwrap();
    let mut svc = RetryLayer::new(policy).layer(Flaky {
        calls: Arc::clone(&calls),
        fail: 2,
    });
    let start = tokio::time::Instant::now();
    assert_eq!(call(&mut svc, "ping").await.unwrap(), "PING");
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn breaker_layer_rejects_once_open() {
    let calls = Arc::new(AtomicU32::new(0));
    let breaker = CircuitBreaker::builder()
        .window(Window::Count(3))
        .minimum_calls(3)
        .clock(TokioClock::new())
        .build()
        .unwrap();
    let mut svc = BreakerLayer::new(breaker.clone()).layer(Flaky {
        calls: Arc::clone(&calls),
        fail: 100,
    });
    for _ in 0..3 {
        assert!(matches!(
            call(&mut svc, "x").await,
            Err(BreakerError::Inner(_))
        ));
    }
    assert_eq!(breaker.state(), State::Open);
    match call(&mut svc, "x").await {
        Err(BreakerError::Rejected(r)) => assert_eq!(r.retry_in, Some(Duration::from_secs(60))),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::Relaxed),
        3,
        "a rejected call does not reach the service"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_over_breaker_stops_at_the_rejection() {
    let calls = Arc::new(AtomicU32::new(0));
    let breaker = CircuitBreaker::builder()
        .window(Window::Count(2))
        .minimum_calls(2)
        .clock(TokioClock::new())
        .build()
        .unwrap();
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .backoff(Backoff::constant(Duration::from_millis(10)))
        .clock(TokioClock::new())
        .classify(|r: &Result<String, BreakerError<std::io::Error>>| match r {
            Err(BreakerError::Inner(_)) => Verdict::Retry,
            _ => Verdict::Done,
        })
        .build()
        .unwrap();
    let inner = Flaky {
        calls: Arc::clone(&calls),
        fail: 100,
    };
    let mut svc = RetryLayer::new(policy).layer(BreakerLayer::new(breaker).layer(inner));
    match call(&mut svc, "x").await {
        Err(RetryError::Failed {
            error: BreakerError::Rejected(_),
            attempts: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::Relaxed), 2);
}
