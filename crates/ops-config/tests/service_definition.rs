//! The `ServiceDefinition` example: layered, validated, rendered.

#[allow(dead_code, reason = "main is the example's, not the test's")]
#[path = "../examples/service.rs"]
mod service;

use std::path::{Path, PathBuf};

use ops_config::EnvLayer;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/service")
        .join(name)
}

fn no_env() -> EnvLayer {
    EnvLayer::new("SERVICE").vars(Vec::<(String, String)>::new())
}

#[test]
fn production_renders_the_expected_deployment() {
    let svc = service::load(&[data("base.yaml"), data("production.yaml")], no_env()).unwrap();
    assert_eq!(svc.replicas, 3);
    assert_eq!(svc.env["LOG_LEVEL"], "info");
    let manifest = service::deployment(&svc).unwrap();
    let want = std::fs::read_to_string(data("deployment.yaml")).unwrap();
    assert_eq!(manifest, want);
}

#[test]
fn environment_variables_override_the_files() {
    let env = EnvLayer::new("SERVICE").vars([
        ("SERVICE__REPLICAS", "5"),
        ("SERVICE__ENV__REGION", "eu-west-1"),
    ]);
    let svc = service::load(&[data("base.yaml"), data("production.yaml")], env).unwrap();
    assert_eq!(svc.replicas, 5);
    // Keys below `env` are lowercased like every other key.
    assert_eq!(svc.env["region"], "eu-west-1");
}

#[test]
fn a_bad_production_overlay_lists_every_violation_at_its_line() {
    let err =
        service::load(&[data("base.yaml"), data("bad-production.yaml")], no_env()).unwrap_err();
    let file = data("bad-production.yaml").to_string_lossy().into_owned();
    let lines: Vec<String> = err
        .violations()
        .unwrap_or_else(|| panic!("{err}"))
        .iter()
        .map(|v| v.to_string().replace(&file, "bad-production.yaml"))
        .collect();
    assert_eq!(
        lines,
        [
            "bad-production.yaml:2:8: /image: production images need a pinned tag, not :latest [no-latest-in-production]",
            "bad-production.yaml:3:11: /replicas: production needs at least 2 replicas [production-replicas]",
            "bad-production.yaml:5:11: /resources/memory: \"lots\" does not match \"^[0-9]+(Ki|Mi|Gi|K|M|G)?$\"",
            "bad-production.yaml:6:20: /health_check_path: \"healthz\" does not match \"^/\"",
        ]
    );
}
