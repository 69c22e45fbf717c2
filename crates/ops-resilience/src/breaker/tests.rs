//! Every transition, on virtual time.

use super::*;
use crate::clock::ManualClock;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl BreakerListener for Log {
    fn on_transition(&self, e: &Transition<'_>) {
        let reason = match e.reason {
            TransitionReason::FailureRate(r) => format!("failure rate {r}"),
            TransitionReason::SlowCallRate(r) => format!("slow rate {r}"),
            other => format!("{other:?}"),
        };
        self.0.lock().unwrap().push(format!(
            "{} {}->{} {reason} at {:?}",
            e.name, e.from, e.to, e.at
        ));
    }
}

impl Log {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn breaker(clock: &ManualClock, log: &Arc<Log>) -> CircuitBreakerBuilder {
    CircuitBreaker::builder()
        .name("db")
        .window(Window::Count(10))
        .minimum_calls(4)
        .failure_rate(50.0)
        .half_open_calls(2)
        .wait_in_open(OpenWait::Fixed(secs(10)))
        .clock(clock.clone())
        .listener(Arc::clone(log))
}

fn fail(b: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    b.call(|| Err("down"))
}

fn ok(b: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    b.call(|| Ok(()))
}

#[test]
fn traits_are_object_safe_and_handles_send_sync() {
    fn _listener(_: &dyn BreakerListener) {}
    fn _classify(_: &dyn ClassifyCall<u16, String>) {}
    fn is<T: Send + Sync + Clone + 'static>() {}
    is::<CircuitBreaker>();
    is::<Rejected>();
    fn send<T: Send>() {}
    send::<OwnedPermit>();
    send::<Permit<'static>>();
}

#[test]
fn closed_opens_at_the_failure_rate_after_minimum_calls() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    // Three failures: below the minimum of four calls.
    for _ in 0..3 {
        assert_eq!(fail(&b), Err(BreakerError::Inner("down")));
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.metrics().failure_rate, None);
    ok(&b).unwrap();
    assert_eq!(
        b.state(),
        State::Closed,
        "three of four is 75% but the rate is judged on failures"
    );
    fail(&b).unwrap_err();
    assert_eq!(b.state(), State::Open);
    assert_eq!(log.take(), ["db closed->open failure rate 80 at 0ns"]);
}

#[test]
fn successes_keep_it_closed_below_the_threshold() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    for i in 0..100 {
        // One failure in three: 33% < 50%.
        let _ = if i % 3 == 2 { fail(&b) } else { ok(&b) };
    }
    assert_eq!(b.state(), State::Closed);
    let m = b.metrics();
    assert_eq!(m.window_calls, 10);
    assert_eq!((m.successful, m.failed), (67, 33));
    assert!(log.take().is_empty());
}

#[test]
fn open_rejects_with_the_time_to_the_next_probe() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    b.open();
    clock.advance(secs(4));
    let mut called = false;
    let r = b.call(|| {
        called = true;
        Ok::<(), &str>(())
    });
    assert!(!called);
    let rejected = *r.unwrap_err().rejected().unwrap();
    assert_eq!(
        rejected,
        Rejected {
            state: State::Open,
            retry_in: Some(secs(6))
        }
    );
    assert_eq!(
        rejected.to_string(),
        "circuit breaker open, next probe in 6s"
    );
    assert_eq!(b.metrics().rejected, 1);
}

#[test]
fn open_moves_to_half_open_when_the_wait_is_over() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    b.open();
    clock.advance(secs(10));
    assert_eq!(b.state(), State::Open, "moves on the next call");
    let p = b.try_acquire().unwrap();
    assert_eq!(p.state(), State::HalfOpen);
    assert_eq!(b.state(), State::HalfOpen);
    p.success();
    assert_eq!(
        log.take(),
        [
            "db closed->open Manual at 0ns",
            "db open->half_open WaitElapsed at 10s"
        ]
    );
}

#[test]
fn half_open_closes_after_good_probes() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    b.half_open();
    log.take();
    ok(&b).unwrap();
    assert_eq!(b.state(), State::HalfOpen);
    ok(&b).unwrap();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(log.take(), ["db half_open->closed ProbesSucceeded at 0ns"]);
    // The window starts empty.
    assert_eq!(b.metrics().window_calls, 0);
}

#[test]
fn half_open_reopens_with_a_growing_wait() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let wait = Backoff::exponential(secs(10), 2.0, secs(25)).unwrap();
    let b = breaker(&clock, &log)
        .wait_in_open(OpenWait::Backoff(wait))
        .build()
        .unwrap();
    for _ in 0..4 {
        let _ = fail(&b);
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let r = ok(&b).unwrap_err();
        let w = r.rejected().unwrap().retry_in.unwrap();
        waits.push(w);
        clock.advance(w);
        // One good and one bad probe: 50% reopens.
        ok(&b).unwrap();
        fail(&b).unwrap_err();
        assert_eq!(b.state(), State::Open);
    }
    assert_eq!(waits, [secs(10), secs(20), secs(25)]);
    // Closing resets the growth.
    clock.advance(secs(25));
    ok(&b).unwrap();
    ok(&b).unwrap();
    assert_eq!(b.state(), State::Closed);
    for _ in 0..4 {
        let _ = fail(&b);
    }
    assert_eq!(
        ok(&b).unwrap_err().rejected().unwrap().retry_in,
        Some(secs(10))
    );
}

#[test]
fn half_open_admits_only_the_permitted_probes() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).half_open_calls(3).build().unwrap();
    b.half_open();
    let p1 = b.try_acquire().unwrap();
    let p2 = b.try_acquire().unwrap();
    let p3 = b.try_acquire().unwrap();
    let r = b.try_acquire().unwrap_err();
    assert_eq!(
        r,
        Rejected {
            state: State::HalfOpen,
            retry_in: None
        }
    );
    // An ignored probe, or a dropped permit, frees its slot.
    p1.record(CallOutcome::Ignored);
    let p4 = b.try_acquire().unwrap();
    drop(p2);
    let p5 = b.try_acquire().unwrap();
    assert!(b.try_acquire().is_err());
    p3.success();
    p4.success();
    assert_eq!(b.state(), State::HalfOpen);
    p5.success();
    assert_eq!(b.state(), State::Closed);
    let m = b.metrics();
    assert_eq!((m.successful, m.ignored, m.rejected), (3, 2, 2));
}

#[test]
fn a_late_outcome_from_an_earlier_state_is_not_counted() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    let stale = b.try_acquire().unwrap();
    b.half_open();
    stale.failure();
    let h = b.shared.half.get();
    assert_eq!((h.admitted, h.done), (0, 0));
    assert_eq!(b.state(), State::HalfOpen);
    // A closed-state permit finishing after a reset does not refill the
    // new window.
    b.close();
    let stale = b.try_acquire().unwrap();
    b.reset();
    stale.failure();
    assert_eq!(b.metrics().window_calls, 0);
}

#[test]
fn slow_calls_open_the_breaker() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log)
        .slow_calls(secs(2), 50.0)
        .build()
        .unwrap();
    for i in 0..4 {
        b.call(|| {
            if i % 2 == 1 {
                clock.advance(secs(3));
            }
            Ok::<_, &str>(())
        })
        .unwrap();
    }
    assert_eq!(b.state(), State::Open);
    assert_eq!(log.take(), ["db closed->open slow rate 50 at 6s"]);
    assert_eq!(b.metrics().slow, 2);
}

#[test]
fn the_time_window_forgets_old_failures() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log)
        .window(Window::time(secs(10)))
        .minimum_calls(3)
        .build()
        .unwrap();
    fail(&b).unwrap_err();
    fail(&b).unwrap_err();
    clock.advance(secs(11));
    // The two failures have left the window: one of three is not enough.
    ok(&b).unwrap();
    ok(&b).unwrap();
    fail(&b).unwrap_err();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.metrics().window_calls, 3);
    clock.advance(secs(5));
    fail(&b).unwrap_err();
    assert_eq!(b.state(), State::Open, "two of four within 10 s");
}

#[test]
fn manual_states() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();

    b.disable();
    for _ in 0..20 {
        fail(&b).unwrap_err();
    }
    assert_eq!(b.state(), State::Disabled);
    assert_eq!(b.metrics().failed, 0, "disabled records nothing");

    b.force_open();
    clock.advance(secs(3600));
    assert_eq!(
        ok(&b).unwrap_err().rejected(),
        Some(&Rejected {
            state: State::ForcedOpen,
            retry_in: None
        })
    );

    b.metrics_only();
    for _ in 0..20 {
        fail(&b).unwrap_err();
    }
    assert_eq!(b.state(), State::MetricsOnly);
    assert_eq!(b.metrics().failure_rate, Some(100.0));

    b.close();
    assert_eq!(b.metrics().window_calls, 0);
    b.open();
    b.reset();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(
        log.take(),
        [
            "db closed->disabled Manual at 0ns",
            "db disabled->forced_open Manual at 0ns",
            "db forced_open->metrics_only Manual at 3600s",
            "db metrics_only->closed Manual at 3600s",
            "db closed->open Manual at 3600s",
            "db open->closed Manual at 3600s",
        ]
    );
}

#[test]
fn rules_classify_calls() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).build().unwrap();
    let rules = Rules::<u16, &str>::new()
        .record_result(|s| *s >= 500)
        .ignore_error(|e| *e == "cancelled");
    for _ in 0..10 {
        let _ = b.call_with(&rules, || Err("cancelled"));
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.metrics().ignored, 10);
    for _ in 0..4 {
        assert_eq!(b.call_with(&rules, || Ok(503)), Ok(503));
    }
    assert_eq!(b.state(), State::Open);
}

#[test]
fn listeners_see_calls_and_rejections() {
    #[derive(Default)]
    struct Count(Mutex<(u32, u32)>);
    impl BreakerListener for Count {
        fn on_call(&self, e: &CallEvent<'_>) {
            assert_eq!(e.name, "db");
            assert_eq!(e.duration, None);
            self.0.lock().unwrap().0 += 1;
        }
        fn on_rejected(&self, _: &str, r: &Rejected) {
            assert_eq!(r.state, State::ForcedOpen);
            self.0.lock().unwrap().1 += 1;
        }
    }
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let count = Arc::new(Count::default());
    let b = breaker(&clock, &log)
        .listener(Arc::clone(&count))
        .build()
        .unwrap();
    ok(&b).unwrap();
    fail(&b).unwrap_err();
    b.force_open();
    ok(&b).unwrap_err();
    assert_eq!(*count.0.lock().unwrap(), (2, 1));
}

#[test]
fn invalid_settings_are_errors() {
    let bad = [
        CircuitBreaker::builder().failure_rate(0.0).build(),
        CircuitBreaker::builder().failure_rate(101.0).build(),
        CircuitBreaker::builder().failure_rate(f64::NAN).build(),
        CircuitBreaker::builder().slow_calls(secs(1), 0.0).build(),
        CircuitBreaker::builder().minimum_calls(0).build(),
        CircuitBreaker::builder().half_open_calls(0).build(),
        CircuitBreaker::builder().half_open_calls(1001).build(),
        CircuitBreaker::builder().window(Window::Count(0)).build(),
        CircuitBreaker::builder()
            .window(Window::Count(40_000))
            .build(),
        CircuitBreaker::builder()
            .window(Window::Time {
                length: secs(1),
                buckets: 0,
            })
            .build(),
    ];
    for b in bad {
        assert!(b.is_err());
    }
    let e = CircuitBreaker::builder()
        .window(Window::Count(0))
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid window: a count window of 0 calls is not between 1 and 32767"
    );
}

#[test]
fn async_calls_and_cancelled_futures() {
    use std::task::{Context, Poll, Waker};
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let b = breaker(&clock, &log).half_open_calls(1).build().unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let fut = std::pin::pin!(b.call_async(async { Err::<(), _>("down") }));
    assert_eq!(
        fut.poll(&mut cx),
        Poll::Ready(Err(BreakerError::Inner("down")))
    );
    b.half_open();
    {
        // Polled once (the permit taken), then dropped: the slot is freed.
        let mut fut = Box::pin(b.call_async(std::future::pending::<Result<(), &str>>()));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(b.try_acquire().is_err());
    }
    assert!(b.try_acquire().is_ok());
}
