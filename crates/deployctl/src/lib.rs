//! The deploy logic of `deployctl`: its configuration file, and the docker
//! commands each subcommand runs, as `ops_exec::Command`s.
//!
//! The binary only parses options, asks for confirmation, runs these
//! commands with their output streamed, and prints.
//!
//! # Configuration (`deployctl.yaml`)
//!
//! ```yaml
//! # Images are REGISTRY/SERVICE:VERSION.
//! registry: registry.example.com/shop
//! # Swarm stack: the service S is `STACK_S` in docker.
//! stack: shop
//! # Services that may be deployed.
//! services: [api, worker]
//! environments:
//!   dev:        { context: dev }       # `docker --context dev ...`
//!   staging:    { context: staging }
//!   production: { context: prod }      # always asks for confirmation
//! # Seconds a docker command may take (default 600).
//! timeout_secs: 600
//! ```
//!
//! Unknown keys are errors, so a typo does not silently fall back to a
//! default. An environment may add `confirm: true` to be confirmed like
//! production.
//!
//! # Example
//!
//! ```
//! use deployctl::{Config, Environment};
//!
//! let config: Config = deployctl::parse_config(
//!     "registry: reg.example.com/shop\nstack: shop\nservices: [api]\n\
//!      environments:\n  production: { context: prod }\n",
//!     "deployctl.yaml",
//! )?;
//! let cmd = deployctl::deploy_command(&config, Environment::Production, "api", "1.4.2")?;
//! assert_eq!(
//!     cmd.command_line(),
//!     "docker --context prod service update --with-registry-auth --image reg.example.com/shop/api:1.4.2 shop_api"
//! );
//! assert!(deployctl::needs_confirmation(&config, Environment::Production)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use ops_exec::Command;
use serde::Deserialize;

/// The deploy targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    /// `dev`.
    Dev,
    /// `staging`.
    Staging,
    /// `production`: always confirmed.
    Production,
}

impl Environment {
    /// The name in the configuration and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The contents of `deployctl.yaml` (see the crate docs for the format).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Registry and namespace that images live under.
    pub registry: String,
    /// Swarm stack name: service `S` is `STACK_S`.
    pub stack: String,
    /// The services that may be deployed.
    pub services: Vec<String>,
    /// Settings per environment, by name.
    pub environments: BTreeMap<String, EnvConfig>,
    /// Seconds one docker command may run.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// One environment's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// The docker context (`docker --context NAME`) that reaches it.
    pub context: String,
    /// Whether to ask before deploying (production always asks).
    #[serde(default)]
    pub confirm: bool,
}

fn default_timeout() -> u64 {
    600
}

/// A bad configuration, a bad name, or a refused deploy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file does not parse as a `Config`.
    #[error("invalid config {path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong, with the line.
        reason: String,
    },
    /// A name given on the command line or in the file is not usable.
    #[error("invalid {what} {value:?}: {reason}")]
    Name {
        /// Which name: image, service, version, environment.
        what: &'static str,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
}

/// Reads and checks the config file.
///
/// The one place that knows where configuration comes from: once
/// ops-config exists (layering, schema validation), this is the function
/// to swap.
pub fn load_config(path: &Path) -> Result<Config, Error> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    parse_config(&text, &shown)
}

/// Parses and checks config text; `path` names it in errors.
pub fn parse_config(text: &str, path: &str) -> Result<Config, Error> {
    let config: Config = serde_saphyr::from_str(text).map_err(|e| Error::Config {
        path: path.to_owned(),
        reason: e.to_string().replace('\n', " "),
    })?;
    check_reference("registry", &config.registry)?;
    check_word("stack", &config.stack)?;
    for s in &config.services {
        check_word("service", s)?;
    }
    for (name, env) in &config.environments {
        if !["dev", "staging", "production"].contains(&name.as_str()) {
            return Err(Error::Config {
                path: path.to_owned(),
                reason: format!(
                    "unknown environment {name:?} (expected dev, staging or production)"
                ),
            });
        }
        check_word("docker context", &env.context)?;
    }
    Ok(config)
}

/// Names that reach docker's command line must not be read as options
/// (a leading `-`) or split (spaces).
fn check_word(what: &'static str, value: &str) -> Result<(), Error> {
    check_chars(
        what,
        value,
        b"._-",
        "use letters, digits, `.`, `_` and `-`, starting with a letter or digit",
    )
}

/// An image reference: `[registry/]name[:tag]`.
fn check_reference(what: &'static str, value: &str) -> Result<(), Error> {
    check_chars(
        what,
        value,
        b"._-/:@",
        "not an image reference (`registry/name:tag`)",
    )
}

/// `value` starts with a letter or digit and holds only those and `extra`.
fn check_chars(what: &'static str, value: &str, extra: &[u8], reason: &str) -> Result<(), Error> {
    let ok = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        return Ok(());
    }
    Err(Error::Name {
        what,
        value: value.to_owned(),
        reason: reason.to_owned(),
    })
}

fn env_config(config: &Config, env: Environment) -> Result<&EnvConfig, Error> {
    config
        .environments
        .get(env.name())
        .ok_or_else(|| Error::Name {
            what: "environment",
            value: env.name().to_owned(),
            reason: "not in the config file".to_owned(),
        })
}

fn docker(timeout: Duration) -> Command {
    let mut cmd = Command::new("docker");
    cmd.timeout(timeout);
    cmd
}

/// How long a `docker build` or `docker push` may take.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(3600);

/// `docker build -t IMAGE DIR`, and `docker push IMAGE` when `push`.
pub fn build_commands(image: &str, dir: &Path, push: bool) -> Result<Vec<Command>, Error> {
    check_reference("image", image)?;
    if !image
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
    {
        return Err(Error::Name {
            what: "image",
            value: image.to_owned(),
            reason: "give NAME:TAG".to_owned(),
        });
    }
    let mut build = docker(BUILD_TIMEOUT);
    build.args(["build", "-t", image]).arg(dir);
    let mut cmds = vec![build];
    if push {
        let mut p = docker(BUILD_TIMEOUT);
        p.args(["push", image]);
        cmds.push(p);
    }
    Ok(cmds)
}

/// The service update that deploys `service` at `version` to `env`.
pub fn deploy_command(
    config: &Config,
    env: Environment,
    service: &str,
    version: &str,
) -> Result<Command, Error> {
    check_word("service", service)?;
    check_word("version", version)?;
    if !config.services.iter().any(|s| s == service) {
        return Err(Error::Name {
            what: "service",
            value: service.to_owned(),
            reason: format!(
                "not among the configured services ({})",
                config.services.join(", ")
            ),
        });
    }
    let ctx = &env_config(config, env)?.context;
    let mut cmd = docker(Duration::from_secs(config.timeout_secs));
    cmd.args([
        "--context",
        ctx,
        "service",
        "update",
        "--with-registry-auth",
        "--image",
    ])
    .arg(format!("{}/{service}:{version}", config.registry))
    .arg(format!("{}_{service}", config.stack));
    Ok(cmd)
}

/// Whether deploying to `env` must be confirmed.
pub fn needs_confirmation(config: &Config, env: Environment) -> Result<bool, Error> {
    Ok(env == Environment::Production || env_config(config, env)?.confirm)
}

/// The `docker service ls` that [`parse_status`] reads.
pub fn status_command(config: &Config, env: Environment) -> Result<Command, Error> {
    let ctx = &env_config(config, env)?.context;
    let mut cmd = docker(Duration::from_secs(config.timeout_secs));
    cmd.args(["--context", ctx, "service", "ls", "--filter"])
        .arg(format!("label=com.docker.stack.namespace={}", config.stack))
        .args(["--format", "{{.Name}}\t{{.Image}}\t{{.Replicas}}"]);
    Ok(cmd)
}

/// One service as `docker service ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceStatus {
    /// The service name, without the stack prefix.
    pub service: String,
    /// The image reference it runs.
    pub image: String,
    /// The tag of that image (`-` when none).
    pub version: String,
    /// Running over desired replicas, such as `2/3`.
    pub replicas: String,
}

/// Reads the tab-separated lines of [`status_command`]; lines that do not
/// have three fields are skipped.
pub fn parse_status(config: &Config, text: &str) -> Vec<ServiceStatus> {
    let prefix = format!("{}_", config.stack);
    let mut rows: Vec<ServiceStatus> = text
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let (name, image, replicas) = (f.next()?, f.next()?, f.next()?);
            let without_digest = image.split('@').next().unwrap_or(image);
            let version = match without_digest.rsplit_once(':') {
                Some((_, tag)) if !tag.contains('/') => tag,
                _ => "-",
            };
            Some(ServiceStatus {
                service: name.strip_prefix(&prefix).unwrap_or(name).to_owned(),
                image: image.to_owned(),
                version: version.to_owned(),
                replicas: replicas.trim().to_owned(),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.service.cmp(&b.service));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
registry: reg.example.com/shop
stack: shop
services: [api, worker]
environments:
  dev: { context: dev }
  staging: { context: staging, confirm: true }
  production: { context: prod }
";

    #[test]
    fn config_parses_and_names_its_errors() {
        let c = parse_config(CONFIG, "d.yaml").unwrap();
        assert_eq!(c.timeout_secs, 600);
        assert!(needs_confirmation(&c, Environment::Staging).unwrap());
        assert!(!needs_confirmation(&c, Environment::Dev).unwrap());
        let typo = CONFIG.replace("stack:", "stak:");
        let e = parse_config(&typo, "d.yaml").unwrap_err().to_string();
        assert!(
            e.starts_with("invalid config d.yaml:") && e.contains("stak"),
            "{e}"
        );
        let bad_env = format!("{CONFIG}  qa: {{ context: qa }}\n");
        assert!(
            parse_config(&bad_env, "d.yaml")
                .unwrap_err()
                .to_string()
                .contains("\"qa\"")
        );
        let option = CONFIG.replace("context: dev", "context: --host=evil");
        assert!(parse_config(&option, "d.yaml").is_err());
    }

    #[test]
    fn commands_refuse_names_that_docker_would_misread() {
        let c = parse_config(CONFIG, "d.yaml").unwrap();
        assert!(deploy_command(&c, Environment::Dev, "api", "--rm").is_err());
        assert!(
            deploy_command(&c, Environment::Dev, "db", "1.0")
                .unwrap_err()
                .to_string()
                .contains("api, worker")
        );
        assert!(build_commands("app", Path::new("."), false).is_err());
        assert!(build_commands("-q:1", Path::new("."), false).is_err());
        let cmds = build_commands("reg:5000/app:1.0", Path::new("."), true).unwrap();
        let lines: Vec<String> = cmds.iter().map(Command::command_line).collect();
        assert_eq!(
            lines,
            [
                "docker build -t reg:5000/app:1.0 .",
                "docker push reg:5000/app:1.0"
            ]
        );
    }

    #[test]
    fn status_lines_are_read_and_sorted() {
        let c = parse_config(CONFIG, "d.yaml").unwrap();
        let text = "shop_worker\treg.example.com/shop/worker:2.0@sha256:abc\t1/1\nshop_api\treg:5000/shop/api\t2/3\nbroken line\n";
        let rows = parse_status(&c, text);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].service.as_str(),
                rows[0].version.as_str(),
                rows[0].replicas.as_str()
            ),
            ("api", "-", "2/3")
        );
        assert_eq!(
            (rows[1].service.as_str(), rows[1].version.as_str()),
            ("worker", "2.0")
        );
    }
}
