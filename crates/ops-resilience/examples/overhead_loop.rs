//! A plain loop of successful calls, for counting instructions per call
//! (repeatable where wall-clock time on a busy machine is not):
//!
//! ```sh
//! cargo build --release -p ops-resilience --example overhead_loop
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/overhead_loop breaker 1000000
//! ```
//!
//! Run it with `none` too and subtract: the difference divided by the
//! count is the cost of one call. The criterion bench `overhead` times
//! the same calls.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ops_resilience::{CircuitBreaker, RetryBudget, RetryPolicy, Window};

#[inline(never)]
fn op() -> Result<u64, std::io::Error> {
    Ok(black_box(1))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: overhead_loop none|bare|retry|retry_with_budget|breaker|breaker_slow_call_timing|breaker_time_window COUNT";
    let variant = args.next().ok_or(usage)?;
    let n: u64 = args.next().ok_or(usage)?.parse()?;
    let retry = RetryPolicy::builder().build()?;
    let budgeted = RetryPolicy::builder()
        .budget(RetryBudget::new(0.2, 10)?)
        .build()?;
    let breaker = CircuitBreaker::builder().build()?;
    let timed = CircuitBreaker::builder()
        .slow_calls(Duration::from_secs(1), 50.0)
        .build()?;
    let time_window = CircuitBreaker::builder()
        .window(Window::time(Duration::from_secs(10)))
        .build()?;
    let start = Instant::now();
    match variant.as_str() {
        "none" => {}
        "bare" => (0..n).for_each(|_| drop(black_box(op()))),
        "retry" => (0..n).for_each(|_| drop(black_box(retry.retry(op)))),
        "retry_with_budget" => (0..n).for_each(|_| drop(black_box(budgeted.retry(op)))),
        "breaker" => (0..n).for_each(|_| drop(black_box(breaker.call(op)))),
        "breaker_slow_call_timing" => (0..n).for_each(|_| drop(black_box(timed.call(op)))),
        "breaker_time_window" => (0..n).for_each(|_| drop(black_box(time_window.call(op)))),
        _ => return Err(usage.into()),
    }
    let per_call = start.elapsed().as_nanos() as f64 / n.max(1) as f64;
    eprintln!("{variant}: {per_call:.1} ns per call");
    Ok(())
}
