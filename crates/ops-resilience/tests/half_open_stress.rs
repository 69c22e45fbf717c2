//! Many threads hammer one breaker that keeps cycling through open,
//! half-open and closed on virtual time: half-open never has more than
//! its permitted calls in flight, never admits more per period, and every
//! call is counted exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ops_resilience::{
    BreakerListener, CallEvent, CircuitBreaker, ManualClock, OpenWait, State, Transition, Window,
};

const PERMITTED: u32 = 3;
const THREADS: u64 = 8;
const CALLS: u64 = 20_000;

#[derive(Default)]
struct Periods {
    half_open_periods: AtomicU64,
    half_open_calls: AtomicU64,
    calls: AtomicU64,
    rejections: AtomicU64,
}

impl BreakerListener for Periods {
    fn on_transition(&self, e: &Transition<'_>) {
        if e.to == State::HalfOpen {
            self.half_open_periods.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn on_call(&self, e: &CallEvent<'_>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if e.state == State::HalfOpen {
            self.half_open_calls.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn on_rejected(&self, _: &str, _: &ops_resilience::Rejected) {
        self.rejections.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn half_open_admission_under_many_threads() {
    let clock = ManualClock::new();
    let periods = Arc::new(Periods::default());
    let breaker = CircuitBreaker::builder()
        .window(Window::Count(20))
        .minimum_calls(5)
        .failure_rate(50.0)
        .half_open_calls(PERMITTED)
        .wait_in_open(OpenWait::Fixed(Duration::from_millis(10)))
        .clock(clock.clone())
        .listener(Arc::clone(&periods))
        .build()
        .unwrap();
    breaker.half_open();

    let in_flight = AtomicU64::new(0);
    let max_in_flight = AtomicU64::new(0);
    let (admitted, rejected, failed) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (breaker, clock) = (&breaker, &clock);
            let (in_flight, max_in_flight) = (&in_flight, &max_in_flight);
            let (admitted, rejected, failed) = (&admitted, &rejected, &failed);
            s.spawn(move || {
                let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t + 1);
                for _ in 0..CALLS {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    match breaker.try_acquire() {
                        Ok(permit) => {
                            admitted.fetch_add(1, Ordering::Relaxed);
                            let half = permit.state() == State::HalfOpen;
                            if half {
                                let now = in_flight.fetch_add(1, Ordering::AcqRel) + 1;
                                max_in_flight.fetch_max(now, Ordering::AcqRel);
                                std::hint::spin_loop();
                                in_flight.fetch_sub(1, Ordering::AcqRel);
                            }
                            // Six in ten calls fail: the breaker keeps
                            // opening, and sometimes closes.
                            if rng % 10 < 6 {
                                failed.fetch_add(1, Ordering::Relaxed);
                                permit.failure();
                            } else {
                                permit.success();
                            }
                        }
                        Err(r) => {
                            rejected.fetch_add(1, Ordering::Relaxed);
                            if let Some(wait) = r.retry_in {
                                clock.advance(wait);
                            }
                        }
                    }
                }
            });
        }
    });

    let (admitted, rejected, failed) = (
        admitted.into_inner(),
        rejected.into_inner(),
        failed.into_inner(),
    );
    assert!(max_in_flight.into_inner() <= u64::from(PERMITTED));
    // Counts add up: every call admitted or rejected, each counted once.
    assert_eq!(admitted + rejected, THREADS * CALLS);
    let m = breaker.metrics();
    assert_eq!(m.successful + m.failed, admitted);
    assert_eq!(m.failed, failed);
    assert_eq!(m.rejected, rejected);
    assert_eq!(m.ignored, 0);
    assert_eq!(periods.calls.load(Ordering::Relaxed), admitted);
    assert_eq!(periods.rejections.load(Ordering::Relaxed), rejected);
    // No period admits more than the permitted probes; every finished
    // period admitted exactly that many.
    let n = periods.half_open_periods.load(Ordering::Relaxed);
    let probes = periods.half_open_calls.load(Ordering::Relaxed);
    assert!(
        n > 10,
        "only {n} half-open periods: the test exercised little"
    );
    assert!(
        probes <= n * u64::from(PERMITTED),
        "{probes} probes in {n} periods"
    );
    assert!(
        probes >= (n - 1) * u64::from(PERMITTED),
        "{probes} probes in {n} periods"
    );
}

/// The closed path without a listener takes its shortcut (no permit, a
/// success in an all-success window only counted): with more threads than
/// the breaker has counter slots, every call is still counted once.
#[test]
fn closed_path_counts_add_up_across_threads() {
    let breaker = CircuitBreaker::builder()
        .window(Window::Count(100))
        .minimum_calls(100)
        .failure_rate(50.0)
        .build()
        .unwrap();
    const THREADS: u64 = 40;
    const CALLS: u64 = 5_000;
    let failed = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (breaker, failed) = (&breaker, &failed);
            s.spawn(move || {
                for i in 0..CALLS {
                    // One call in a hundred fails: the window keeps
                    // leaving and re-entering its all-success state.
                    let fail = (i + t) % 100 == 0;
                    if fail {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    let r = breaker.call(|| if fail { Err("down") } else { Ok(i) });
                    assert!(r.is_ok() != fail);
                }
            });
        }
    });
    let m = breaker.metrics();
    assert_eq!(m.state, State::Closed);
    assert_eq!(m.successful + m.failed, THREADS * CALLS);
    assert_eq!(m.failed, failed.into_inner());
    assert_eq!(m.window_calls, 100);
    assert!(m.window_failures <= 100);
}
