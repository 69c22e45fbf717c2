//! What resilience costs a call that succeeds: the retry wrapper and the
//! closed circuit breaker against a bare call, on one thread and on two
//! threads sharing one breaker. Throughput is in calls (elements) per
//! second; criterion's time per iteration is the cost of one call.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_resilience::{CircuitBreaker, RetryBudget, RetryPolicy, Window};

/// The work being protected: as close to nothing as the optimiser allows.
#[inline(never)]
fn op() -> Result<u64, std::io::Error> {
    Ok(black_box(1))
}

/// Runs `per_call` `iters` times on each of `threads` threads at once; the
/// time of the slowest thread, so time per iteration is one call's cost
/// under contention.
fn on_threads(threads: usize, iters: u64, per_call: &(dyn Fn() + Sync)) -> Duration {
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        per_call();
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .max()
            .unwrap_or_default()
    })
}

/// `iters` calls in a plain loop, as each thread of [`on_threads`] runs
/// them, so that one- and two-thread figures are measured alike (and the
/// baseline does not depend on how criterion's own loop treats a
/// closure's return type).
fn looped<T>(iters: u64, call: impl Fn() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        drop(black_box(call()));
    }
    start.elapsed()
}

fn breaker() -> CircuitBreaker {
    // resilience4j's defaults: the last 100 calls, no slow-call timing.
    CircuitBreaker::builder().build().expect("valid breaker")
}

fn bench_one_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("one_thread");
    g.throughput(Throughput::Elements(1));
    g.bench_function("bare_call", |b| b.iter_custom(|n| looped(n, op)));

    let policy = RetryPolicy::builder().build().expect("valid policy");
    g.bench_function("retry", |b| {
        b.iter_custom(|n| looped(n, || policy.retry(op)))
    });

    let budgeted = RetryPolicy::builder()
        .budget(RetryBudget::new(0.2, 10).expect("valid budget"))
        .build()
        .expect("valid policy");
    g.bench_function("retry_with_budget", |b| {
        b.iter_custom(|n| looped(n, || budgeted.retry(op)))
    });

    let cb = breaker();
    g.bench_function("breaker_closed", |b| {
        b.iter_custom(|n| looped(n, || cb.call(op)))
    });

    let timed = CircuitBreaker::builder()
        .slow_calls(Duration::from_secs(1), 50.0)
        .build()
        .expect("valid breaker");
    g.bench_function("breaker_closed_slow_call_timing", |b| {
        b.iter_custom(|n| looped(n, || timed.call(op)))
    });

    let time_window = CircuitBreaker::builder()
        .window(Window::time(Duration::from_secs(10)))
        .build()
        .expect("valid breaker");
    g.bench_function("breaker_closed_time_window", |b| {
        b.iter_custom(|n| looped(n, || time_window.call(op)))
    });
    g.finish();
}

fn bench_two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("two_threads");
    // Two calls per iteration, one on each thread.
    g.throughput(Throughput::Elements(2));
    g.bench_function("bare_call", |b| {
        b.iter_custom(|iters| {
            on_threads(2, iters, &|| {
                let _ = black_box(op());
            })
        })
    });
    let cb = breaker();
    g.bench_function("breaker_closed", |b| {
        b.iter_custom(|iters| {
            on_threads(2, iters, &|| {
                let _ = black_box(cb.call(op));
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench_one_thread, bench_two_threads);
criterion_main!(benches);
