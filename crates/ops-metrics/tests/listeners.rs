//! The metric sets fed by the crates they measure: a real ops-resilience
//! policy and breaker on virtual time, and real processes run by ops-exec.
//! The registry's exposition holds exactly the expected samples.

mod common;

use std::time::Duration;

use ops_exec::{Check, Command, RunMode};
use ops_metrics::{BreakerMetrics, CommandMetrics, Format, RetryMetrics, encode};
use ops_resilience::{
    Backoff, BreakerError, CircuitBreaker, Jitter, ManualClock, OpenWait, RetryPolicy, Verdict,
    Window,
};
use prometheus_client::registry::Registry;

/// The registry in both formats; the samples must agree, and promtool must
/// accept the text format.
fn expose(registry: &Registry) -> String {
    let mut text = String::new();
    encode(&mut text, registry, Format::Text004).unwrap();
    let mut om = String::new();
    encode(&mut om, registry, Format::OpenMetrics).unwrap();
    assert_eq!(common::samples(&text), common::samples(&om));
    assert_eq!(common::promtool_check_metrics(&text), Vec::<String>::new());
    text
}

/// The samples of `family` (and its `_bucket`, `_sum`, ... series), sorted.
fn family(text: &str, family: &str) -> Vec<String> {
    common::samples(text)
        .into_iter()
        .filter(|l| l.starts_with(family))
        .collect()
}

#[test]
fn a_policy_and_a_breaker_feed_their_metrics() {
    let clock = ManualClock::new();
    let retries = RetryMetrics::default();
    let breakers = BreakerMetrics::default();
    let mut registry = Registry::default();
    retries.register(&mut registry);
    breakers.register(&mut registry);

    let breaker = CircuitBreaker::builder()
        .name("db")
        .window(Window::Count(4))
        .minimum_calls(4)
        .failure_rate(50.0)
        .half_open_calls(2)
        .wait_in_open(OpenWait::Fixed(Duration::from_secs(10)))
        .clock(clock.clone())
        .listener(breakers.listener("db"))
        .build()
        .unwrap();
    // Retry what the breaker let through and failed; never a rejection.
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::constant(Duration::from_millis(125)))
        .jitter(Jitter::None)
        .clock(clock.clone())
        .listener(retries.listener("fetch"))
        .classify(|r: &Result<u32, BreakerError<&str>>| match r {
            Err(BreakerError::Inner(_)) => Verdict::Retry,
            _ => Verdict::Done,
        })
        .build()
        .unwrap();

    // Before any call: the breaker is closed, and every series is at 0.
    let text = expose(&registry);
    assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"closed\"} 1\n"));
    assert!(text.contains("retry_attempts_total{operation=\"fetch\",outcome=\"retry\"} 0\n"));

    // Two failures, then a success: the window holds 3 of its 4 calls.
    let mut calls = 0;
    let got = policy.retry(|| {
        breaker.call(|| {
            calls += 1;
            if calls <= 2 {
                Err("refused")
            } else {
                Ok(calls)
            }
        })
    });
    assert_eq!(got, Ok(3));
    // A fourth call fails: 3 failures of 4 open the breaker, and the retry
    // is rejected (and not retried again).
    let got = policy.retry(|| breaker.call(|| Err::<u32, _>("refused")));
    assert!(got.unwrap_err().into_inner().unwrap().rejected().is_some());
    // The wait in open passes; two probes succeed and close it.
    clock.advance(Duration::from_secs(10));
    for _ in 0..2 {
        assert_eq!(breaker.call(|| Ok::<_, &str>(1)), Ok(1));
    }

    let text = expose(&registry);
    assert_eq!(
        family(&text, "retry_attempts_total"),
        [
            "retry_attempts_total{operation=\"fetch\",outcome=\"gave_up\"} 1",
            "retry_attempts_total{operation=\"fetch\",outcome=\"retry\"} 3",
            "retry_attempts_total{operation=\"fetch\",outcome=\"success\"} 1",
        ]
    );
    let backoff = family(&text, "retry_backoff_seconds");
    for want in [
        "retry_backoff_seconds_count{operation=\"fetch\"} 3",
        "retry_backoff_seconds_sum{operation=\"fetch\"} 0.375",
        "retry_backoff_seconds_bucket{le=\"0.064\",operation=\"fetch\"} 0",
        "retry_backoff_seconds_bucket{le=\"0.256\",operation=\"fetch\"} 3",
    ] {
        assert!(
            backoff.iter().any(|l| l == want),
            "no `{want}` in {backoff:#?}"
        );
    }
    assert_eq!(
        family(&text, "circuit_breaker_calls_total"),
        [
            "circuit_breaker_calls_total{breaker=\"db\",result=\"failure\"} 3",
            "circuit_breaker_calls_total{breaker=\"db\",result=\"ignored\"} 0",
            "circuit_breaker_calls_total{breaker=\"db\",result=\"rejected\"} 1",
            "circuit_breaker_calls_total{breaker=\"db\",result=\"success\"} 3",
        ]
    );
    assert_eq!(
        family(&text, "circuit_breaker_transitions_total"),
        [
            "circuit_breaker_transitions_total{breaker=\"db\",state=\"closed\"} 1",
            "circuit_breaker_transitions_total{breaker=\"db\",state=\"half_open\"} 1",
            "circuit_breaker_transitions_total{breaker=\"db\",state=\"open\"} 1",
        ]
    );
    assert_eq!(
        family(&text, "circuit_breaker_state"),
        [
            "circuit_breaker_state{breaker=\"db\",state=\"closed\"} 1",
            "circuit_breaker_state{breaker=\"db\",state=\"disabled\"} 0",
            "circuit_breaker_state{breaker=\"db\",state=\"forced_open\"} 0",
            "circuit_breaker_state{breaker=\"db\",state=\"half_open\"} 0",
            "circuit_breaker_state{breaker=\"db\",state=\"metrics_only\"} 0",
            "circuit_breaker_state{breaker=\"db\",state=\"open\"} 0",
        ]
    );
    // A manual transition is one too.
    breaker.force_open();
    let text = expose(&registry);
    assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"forced_open\"} 1\n"));
    assert!(text.contains("circuit_breaker_state{breaker=\"db\",state=\"closed\"} 0\n"));
}

#[test]
fn commands_feed_their_metrics() {
    let commands = CommandMetrics::default();
    let mut registry = Registry::default();
    commands.register(&mut registry);
    let run = |cmd: &mut Command| {
        let _ = cmd.listener(commands.clone()).run();
    };
    run(Command::new("/bin/sh").args(["-c", "exit 0"]));
    run(Command::new("sh").args(["-c", "exit 3"]));
    run(Command::new("sh").args(["-c", "kill -9 $$"]));
    run(Command::new("sleep")
        .arg("100")
        .timeout(Duration::from_millis(100)));
    run(Command::new("rm").arg("-rf").run_mode(RunMode::DryRun));
    run(&mut Command::new("no-such-program-opskit"));
    // Accepted by its check: grep's "nothing matched" is a success here.
    run(Command::new("grep")
        .arg("x")
        .check(Check::Codes(vec![0, 1])));

    let text = expose(&registry);
    assert_eq!(
        family(&text, "commands_total"),
        [
            "commands_total{outcome=\"dry_run\",program=\"rm\"} 1",
            "commands_total{outcome=\"failure\",program=\"sh\"} 1",
            "commands_total{outcome=\"signal\",program=\"sh\"} 1",
            "commands_total{outcome=\"spawn_error\",program=\"no-such-program-opskit\"} 1",
            "commands_total{outcome=\"success\",program=\"grep\"} 1",
            "commands_total{outcome=\"success\",program=\"sh\"} 1",
            "commands_total{outcome=\"timeout\",program=\"sleep\"} 1",
        ]
    );
    // Durations of the runs that started: three of sh, the sleep, grep.
    assert_eq!(
        family(&text, "command_duration_seconds_count"),
        [
            "command_duration_seconds_count{program=\"grep\"} 1",
            "command_duration_seconds_count{program=\"sh\"} 3",
            "command_duration_seconds_count{program=\"sleep\"} 1",
        ]
    );
    // The timed-out sleep ran at least its 100 ms: not in the 64 ms bucket.
    let under_64ms = "command_duration_seconds_bucket{le=\"0.064\",program=\"sleep\"} 0";
    let buckets = family(&text, "command_duration_seconds_bucket");
    assert!(buckets.iter().any(|l| l == under_64ms), "{buckets:#?}");
}
