//! Rules generated from an SLO spec, checked and unit-tested by promtool.

mod common;

use std::process::Command;

use common::testdata;
use ops_metrics::{SloSpec, WORKBOOK_ALERTS};

fn promtool(args: &[&str]) -> (bool, String) {
    let out = Command::new("promtool").args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn generated() -> (tempfile::TempDir, std::path::PathBuf) {
    let path = testdata().join("slo/services.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = SloSpec::parse("services.yml", &text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("slo_rules.yml");
    std::fs::write(&rules, spec.rules(&WORKBOOK_ALERTS)).unwrap();
    (dir, rules)
}

#[test]
fn generated_rules_pass_promtool_check() {
    let (_dir, rules) = generated();
    let (ok, out) = promtool(&["check", "rules", rules.to_str().unwrap()]);
    assert!(ok, "{out}");
    // Two SLOs: eight windows, the budget, two alerts each.
    assert!(out.contains("SUCCESS: 22 rules found"), "{out}");
}

/// promtool's rule unit tests on generated rules: a healthy hour (0.05%
/// errors, half the 99.9% budget's rate) fires nothing; an hour at 2%
/// errors (20x) pages and files a ticket.
#[test]
fn generated_alerts_fire_on_a_fast_burn_only() {
    let (dir, rules) = generated();
    let test = r#"
rule_files: [slo_rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # 6000 requests a minute: 3 errors a minute for an hour, then 120.
      - series: 'http_requests_total{job="api",code="500"}'
        values: '0+3x60 300+120x60'
      - series: 'http_requests_total{job="api",code="200"}'
        values: '0+5997x60 359700+5880x60'
    promql_expr_test:
      - expr: count(ALERTS{alertstate="firing"}) or vector(0)
        eval_time: 55m
        exp_samples:
          - labels: '{}'
            value: 0
      - expr: round(slo:sli_error:ratio_rate5m{slo="api-availability"}, 0.0001)
        eval_time: 55m
        exp_samples:
          - labels: '{slo="api-availability",team="payments"}'
            value: 0.0005
      - expr: slo:error_budget_remaining:ratio{slo="api-availability"} > 0
        eval_time: 55m
        exp_samples:
          - labels: 'slo:error_budget_remaining:ratio{slo="api-availability",team="payments"}'
            value: 0.5
      - expr: round(slo:sli_error:ratio_rate5m{slo="api-availability"}, 0.0001)
        eval_time: 115m
        exp_samples:
          - labels: '{slo="api-availability",team="payments"}'
            value: 0.02
      - expr: count by (severity, slo, team) (ALERTS{alertname="SLOErrorBudgetBurn",alertstate="firing"})
        eval_time: 115m
        exp_samples:
          - labels: '{severity="page",slo="api-availability",team="payments"}'
            value: 1
          - labels: '{severity="ticket",slo="api-availability",team="payments"}'
            value: 1
"#;
    let test_path = dir.path().join("slo_test.yml");
    std::fs::write(&test_path, test).unwrap();
    assert!(rules.exists());
    let (ok, out) = promtool(&["test", "rules", test_path.to_str().unwrap()]);
    assert!(ok, "{out}");
}

#[test]
fn spec_file_round_trip() {
    let text = std::fs::read_to_string(testdata().join("slo/services.yml")).unwrap();
    let spec = SloSpec::parse("services.yml", &text).unwrap();
    assert_eq!(spec.slos.len(), 2);
    let login = &spec.slos[1];
    assert_eq!(login.name, "login.success");
    assert_eq!(login.window.as_secs(), 28 * 86_400);
    assert_eq!(login.objective.error_budget(), 0.0001);
    assert_eq!(login.labels["tier"], "1");
    let rules = spec.rules(&WORKBOOK_ALERTS);
    assert!(rules.contains("slo:sli_error:ratio_rate4w"), "{rules}");
    assert!(rules.contains("(14.4 * 0.0001)"));
}
