//! The example Prometheus configuration and its recording rules.

mod common;

use common::{examples_dir, promtool};

#[test]
fn example_config_and_rules_are_valid() {
    let dir = examples_dir();
    let config = dir.join("prometheus.yml");
    let (ok, out) = promtool(&["check", "config", config.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS: 1 rule files found"), "{out}");
    let rules = dir.join("rules.yml");
    let (ok, out) = promtool(&["check", "rules", rules.to_str().unwrap()]);
    assert!(ok, "{out}");
}

#[test]
fn recording_rules_aggregate_across_servers() {
    let tests = examples_dir().join("rules_test.yml");
    let (ok, out) = promtool(&["test", "rules", tests.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}
