//! The ready-made metric sets: what they record, in both formats.

mod common;

use std::time::Duration;

use common::promtool_check_metrics;
use ops_logscan::{AuthAnalyzer, Scanner};
use ops_metrics::{
    AttemptOutcome, BreakerMetrics, CallResult, CommandMetrics, CommandOutcome, Format,
    LogScanMetrics, RetryMetrics, encode,
};
use ops_resilience::State;
use prometheus_client::registry::Registry;

fn all_sets() -> (
    Registry,
    LogScanMetrics,
    RetryMetrics,
    BreakerMetrics,
    CommandMetrics,
) {
    let mut registry = Registry::default();
    let logscan = LogScanMetrics::default();
    let retry = RetryMetrics::default();
    let breaker = BreakerMetrics::default();
    let commands = CommandMetrics::default();
    let sub = registry.sub_registry_with_prefix("opskit");
    logscan.register(sub);
    retry.register(sub);
    breaker.register(sub);
    commands.register(sub);
    (registry, logscan, retry, breaker, commands)
}

#[test]
fn every_set_records_and_passes_promtool() {
    let (registry, logscan, retry, breaker, commands) = all_sets();
    let log = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ops-logscan/testdata/OpenSSH_2k.log"
    ))
    .unwrap_or_else(|_| {
        b"Nov 20 10:00:01 web1 sshd[812]: Failed password for root from 203.0.113.7 port 1 ssh2\n"
            .to_vec()
    });
    let stats = Scanner::new().scan_bytes(&AuthAnalyzer::new(), &log);
    logscan.record_auth(&stats);
    logscan.record_auth(&stats);
    retry.record_attempt("fetch", AttemptOutcome::Retry);
    retry.record_backoff("fetch", Duration::from_millis(150));
    retry.record_attempt("fetch", AttemptOutcome::GaveUp);
    breaker.record_state("db", State::HalfOpen);
    breaker.record_call("db", CallResult::Success);
    commands.record(
        "rsync",
        CommandOutcome::Failure,
        Duration::from_millis(2500),
    );

    let mut text = String::new();
    encode(&mut text, &registry, Format::Text004).unwrap();
    let lines = stats.totals.lines * 2;
    let bytes = stats.totals.bytes * 2;
    for want in [
        "# TYPE opskit_logscan_lines_total counter".to_owned(),
        format!("opskit_logscan_lines_total{{log=\"auth\"}} {lines}"),
        format!("opskit_logscan_bytes_total{{log=\"auth\"}} {bytes}"),
        format!(
            "opskit_logscan_malformed_lines_total{{log=\"auth\"}} {}",
            stats.malformed * 2
        ),
        "opskit_logscan_scans_total{log=\"auth\"} 2".to_owned(),
        "opskit_retry_attempts_total{operation=\"fetch\",outcome=\"gave_up\"} 1".to_owned(),
        "opskit_retry_backoff_seconds_bucket{operation=\"fetch\",le=\"0.256\"} 1".to_owned(),
        "opskit_circuit_breaker_state{breaker=\"db\",state=\"half_open\"} 1".to_owned(),
        "opskit_circuit_breaker_state{breaker=\"db\",state=\"open\"} 0".to_owned(),
        "opskit_circuit_breaker_transitions_total{breaker=\"db\",state=\"half_open\"} 1".to_owned(),
        "opskit_circuit_breaker_calls_total{breaker=\"db\",result=\"success\"} 1".to_owned(),
        "opskit_commands_total{program=\"rsync\",outcome=\"failure\"} 1".to_owned(),
        "opskit_command_duration_seconds_sum{program=\"rsync\"} 2.5".to_owned(),
        "opskit_command_duration_seconds_count{program=\"rsync\"} 1".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == want),
            "missing `{want}` in\n{text}"
        );
    }
    assert!(lines > 0);
    assert_eq!(promtool_check_metrics(&text), Vec::<String>::new());

    let mut om = String::new();
    encode(&mut om, &registry, Format::OpenMetrics).unwrap();
    assert!(om.contains("# TYPE opskit_logscan_lines counter\n"));
    assert!(om.contains("# UNIT opskit_command_duration_seconds seconds\n"));
    assert_eq!(common::samples(&text), common::samples(&om));
}
