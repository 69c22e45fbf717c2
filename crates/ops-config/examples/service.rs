//! The typed-model pattern: a `ServiceDefinition` loaded from layered
//! files and the environment, validated (its JSON Schema from `schemars`,
//! plus two production rules), and rendered to a Kubernetes Deployment.
//!
//! ```text
//! cargo run -p ops-config --example service -- \
//!     crates/ops-config/testdata/service/base.yaml \
//!     crates/ops-config/testdata/service/production.yaml
//! ```
//!
//! Variables `SERVICE__REPLICAS=5` and the like override the files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use ops_config::{Document, EnvLayer, Error, Format, Layers, Typed};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// One service, as a team describes it.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub(crate) struct ServiceDefinition {
    /// A DNS label: it names the Deployment, its pods and containers.
    #[schemars(pattern(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub(crate) name: String,
    /// Container image, `repository:tag`.
    #[schemars(length(min = 1))]
    pub(crate) image: String,
    /// Where it runs.
    pub(crate) environment: Environment,
    /// Pods to run.
    #[schemars(range(min = 1, max = 100))]
    pub(crate) replicas: u32,
    /// Requests (and limits) per pod.
    pub(crate) resources: Resources,
    /// Environment variables of the container.
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
    /// The port the container listens on.
    #[schemars(range(min = 1))]
    pub(crate) port: u16,
    /// The HTTP path of the readiness and liveness probes.
    #[schemars(pattern(r"^/"))]
    pub(crate) health_check_path: String,
}

/// Deployment environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Environment {
    /// Anything goes.
    Development,
    /// Like production, without its guarantees.
    Staging,
    /// Real traffic.
    Production,
}

/// Kubernetes quantities, as written in a manifest (`250m`, `512Mi`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub(crate) struct Resources {
    /// CPU, in cores or millicores.
    #[schemars(pattern(r"^[0-9]+(\.[0-9]+)?m?$"))]
    pub(crate) cpu: String,
    /// Memory, with a binary or decimal suffix.
    #[schemars(pattern(r"^[0-9]+(Ki|Mi|Gi|K|M|G)?$"))]
    pub(crate) memory: String,
}

/// The schema, and the rules a schema cannot say.
pub(crate) fn typed() -> Typed<ServiceDefinition> {
    Typed::new()
        .rule("no-latest-in-production", |s: &ServiceDefinition, r| {
            let tag = s.image.rsplit_once(':').map(|(_, t)| t);
            if s.environment == Environment::Production && matches!(tag, None | Some("latest")) {
                r.fail("image", "production images need a pinned tag, not :latest");
            }
        })
        .rule("production-replicas", |s: &ServiceDefinition, r| {
            if s.environment == Environment::Production && s.replicas < 2 {
                r.fail("replicas", "production needs at least 2 replicas");
            }
        })
}

/// Files, then `SERVICE__*` variables; validated and typed.
pub(crate) fn load(files: &[PathBuf], env: EnvLayer) -> Result<ServiceDefinition, Error> {
    let doc = Layers::new().files(files).env(env).merge()?;
    typed().load(&doc).map(|loaded| loaded.value)
}

/// The Deployment manifest of a service, as canonical YAML.
pub(crate) fn deployment(s: &ServiceDefinition) -> Result<String, Error> {
    let labels = json!({"app": s.name, "environment": s.environment_name()});
    let probe = json!({"httpGet": {"path": s.health_check_path, "port": s.port}});
    let env: Vec<_> = s
        .env
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    let manifest = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": s.name, "labels": labels},
        "spec": {
            "replicas": s.replicas,
            "selector": {"matchLabels": {"app": s.name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{
                    "name": s.name,
                    "image": s.image,
                    "ports": [{"containerPort": s.port}],
                    "env": env,
                    "resources": {
                        "requests": {"cpu": s.resources.cpu, "memory": s.resources.memory},
                        "limits": {"memory": s.resources.memory},
                    },
                    "readinessProbe": probe,
                    "livenessProbe": probe,
                }]},
            },
        },
    });
    Document::parse(&manifest.to_string(), Format::Json, "deployment")?.to_string(Format::Yaml)
}

impl ServiceDefinition {
    fn environment_name(&self) -> &'static str {
        match self.environment {
            Environment::Development => "development",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

#[allow(
    dead_code,
    reason = "the tests include this file as a module and call the functions, not main"
)]
fn main() -> ExitCode {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    match load(&files, EnvLayer::new("SERVICE")).and_then(|s| deployment(&s)) {
        Ok(manifest) => {
            print!("{manifest}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            match e.violations() {
                Some(violations) => violations.iter().for_each(|v| eprintln!("{v}")),
                None => eprintln!("service: {e}"),
            }
            ExitCode::FAILURE
        }
    }
}
