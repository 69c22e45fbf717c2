//! The deploy logic of `deployctl`: its configuration, layered through
//! ops-config, and the docker commands each subcommand runs, as
//! `ops_exec::Command`s.
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
//!   staging:    { context: staging, confirm: true }
//!   production: { context: prod }      # always asks for confirmation
//! # Seconds a docker command may take (default 600).
//! timeout_secs: 600
//! ```
//!
//! [`ConfigLoader`] lays, in order: that file, its overlay for the
//! environment deployed to (`deployctl.production.yaml` next to it, when
//! it exists), overlays named with `--overlay`, environment variables
//! (`DEPLOYCTL__TIMEOUT_SECS=900`) and `--set timeout_secs=900`.
//! [`Config::from_document`] then checks the merged document: values of
//! the wrong type, unknown keys (a typo does not silently fall back to a
//! default), names docker could read as options, unknown environments,
//! `confirm: false` on production; each error names the file, line and
//! column (or variable, or `--set`) that set the value.
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
//!
//! let err = deployctl::parse_config(
//!     "registry: reg.example.com/shop\nstack: --rm\nservices: [api]\nenvironments: {}\n",
//!     "deployctl.yaml",
//! )
//! .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid config deployctl.yaml:2:8: /stack: \"--rm\": use letters, digits, `.`, `_` \
//!      and `-`, starting with a letter or digit [docker-name]"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::path::Path;
use std::time::Duration;

use ops_exec::Command;

pub use crate::config::{
    Config, ConfigLoader, DEFAULT_TIMEOUT_SECS, ENV_PREFIX, EnvConfig, overlay_path, parse_config,
};

mod config;

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
    /// Every environment, in promotion order.
    pub const ALL: [Environment; 3] = [
        Environment::Dev,
        Environment::Staging,
        Environment::Production,
    ];

    /// The environment of this name (`dev`, `staging`, `production`).
    pub fn from_name(name: &str) -> Option<Environment> {
        Environment::ALL.into_iter().find(|e| e.name() == name)
    }

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

/// A configuration that cannot be read or is invalid, or a bad name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A config file cannot be read (`cannot read FILE: why`).
    #[error(transparent)]
    Read(ops_config::Error),
    /// The configuration does not parse, holds a value of the wrong type
    /// or an unknown key, or breaks a rule. The message names where each
    /// offending value was set (`file:line:column`, `env NAME`, `--set
    /// EXPR`) and lists every broken rule and unknown key, on one line.
    #[error("invalid config {}", one_line(.0))]
    Config(ops_config::Error),
    /// A name given on the command line is not usable.
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

impl Error {
    fn from_config(e: ops_config::Error) -> Error {
        match e {
            ops_config::Error::Read { .. } => Error::Read(e),
            e => Error::Config(e),
        }
    }
}

/// Every violation, `; `-separated (ops-config's own message gives the
/// first only); other errors as they are.
fn one_line(e: &ops_config::Error) -> String {
    match e.violations() {
        Some(violations) => violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        None => e.to_string(),
    }
}

/// Names that reach docker's command line must not be read as options
/// (a leading `-`) or split (spaces).
fn check_word(what: &'static str, value: &str) -> Result<(), Error> {
    name_error(what, value, word_problem(value))
}

/// An image reference: `[registry/]name[:tag]`.
fn check_reference(what: &'static str, value: &str) -> Result<(), Error> {
    name_error(what, value, reference_problem(value))
}

fn name_error(what: &'static str, value: &str, problem: Option<&str>) -> Result<(), Error> {
    match problem {
        None => Ok(()),
        Some(reason) => Err(Error::Name {
            what,
            value: value.to_owned(),
            reason: reason.to_owned(),
        }),
    }
}

/// Why docker could misread `value` as a name (service, stack, context,
/// version), if it could.
pub(crate) fn word_problem(value: &str) -> Option<&'static str> {
    (!chars_ok(value, b"._-"))
        .then_some("use letters, digits, `.`, `_` and `-`, starting with a letter or digit")
}

/// Why `value` is not an image reference, if it is not.
pub(crate) fn reference_problem(value: &str) -> Option<&'static str> {
    (!chars_ok(value, b"._-/:@")).then_some("not an image reference (`registry/name:tag`)")
}

/// `value` starts with a letter or digit and holds only those and `extra`.
fn chars_ok(value: &str, extra: &[u8]) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

fn env_config(config: &Config, env: Environment) -> Result<&EnvConfig, Error> {
    config
        .environments
        .get(env.name())
        .ok_or_else(|| Error::Name {
            what: "environment",
            value: env.name().to_owned(),
            reason: "not in the configuration's `environments`".to_owned(),
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
    Ok(env == Environment::Production || env_config(config, env)?.confirm == Some(true))
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
    use crate::config::tests::CONFIG;

    #[test]
    fn confirmation_is_production_or_asked_for() {
        let c = parse_config(CONFIG, "d.yaml").unwrap();
        assert!(!needs_confirmation(&c, Environment::Staging).unwrap());
        let asked = CONFIG.replace("context: staging", "context: staging, confirm: true");
        let c = parse_config(&asked, "d.yaml").unwrap();
        assert!(needs_confirmation(&c, Environment::Staging).unwrap());
        assert!(!needs_confirmation(&c, Environment::Dev).unwrap());
        assert!(needs_confirmation(&c, Environment::Production).unwrap());
        for env in Environment::ALL {
            assert_eq!(Environment::from_name(env.name()), Some(env));
        }
        assert_eq!(Environment::from_name("qa"), None);
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
