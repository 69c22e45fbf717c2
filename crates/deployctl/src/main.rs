//! `deployctl`: build and push images, deploy a service version to an
//! environment, show what runs where, and what the configuration says.
//!
//! A thin command line over the `deployctl` library (configuration and the
//! docker commands), `ops-config` (the merged document, explanations) and
//! `ops-exec` (running the commands, output streamed line by line, errors
//! that name the command and the end of its stderr).

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use deployctl::{Config, ConfigLoader, Environment};
use ops_cli::{Align, LogArgs, Table};
use ops_exec::{Cancel, Command, Outcome, RunMode, Stream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(name = "deployctl", version, about, max_term_width = 100)]
/// Builds, pushes and deploys docker images.
///
/// Exit code 0 on success, 1 when a deploy was not confirmed, 2 on errors
/// (a failed docker command, a bad option or config).
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    /// The configuration file (for deploy, status and config); with --env
    /// E, the file's overlay for E (`deployctl.E.yaml` next to it) applies
    /// too when it exists.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "deployctl.yaml"
    )]
    config: PathBuf,
    /// An overlay on the configuration, after the environment's (it must
    /// exist); repeat to lay several, in order.
    #[arg(long, global = true, value_name = "FILE")]
    overlay: Vec<PathBuf>,
    /// Set a configuration value, after the files and DEPLOYCTL__*
    /// variables: `timeout_secs=900`, `environments.dev.context=dev2`.
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    sets: Vec<String>,
    #[command(subcommand)]
    command: Cmd,
}

impl Cli {
    /// The configuration's layers as the options give them.
    fn config(&self, env: Option<Environment>) -> ConfigLoader {
        let mut loader = ConfigLoader::new(&self.config);
        if let Some(env) = env {
            loader = loader.environment(env);
        }
        for path in &self.overlay {
            loader = loader.overlay(path);
        }
        for expr in &self.sets {
            loader = loader.set(expr);
        }
        loader
    }
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// `docker build` an image, and `docker push` it with --push.
    Build {
        /// The image to build, NAME:TAG.
        #[arg(long, value_name = "NAME:TAG")]
        image: String,
        /// Push the image once built.
        #[arg(long)]
        push: bool,
        /// The build context directory.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Print the docker commands; run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Deploy a service version to an environment (confirmed for production).
    Deploy {
        #[arg(long, value_enum)]
        env: EnvArg,
        /// The service, one of the config's `services`.
        #[arg(long)]
        service: String,
        /// The image tag to deploy.
        #[arg(long)]
        version: String,
        /// Print the docker command; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (required for production without a
        /// terminal).
        #[arg(long)]
        yes: bool,
    },
    /// The services of an environment: version and replicas.
    Status {
        #[arg(long, value_enum)]
        env: EnvArg,
    },
    /// The merged configuration, and where its values came from.
    #[command(subcommand)]
    Config(ConfigCmd),
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Print the merged configuration as YAML (sorted keys), once it
    /// passes every check.
    Show {
        /// Include this environment's overlay, as deploy --env does.
        #[arg(long, value_enum)]
        env: Option<EnvArg>,
    },
    /// Print a value, the layer that set it and the values it overrode;
    /// every value without KEY. Works on an invalid configuration too.
    Explain {
        /// A dotted key: `timeout_secs`, `environments.production.context`.
        key: Option<String>,
        /// Include this environment's overlay, as deploy --env does.
        #[arg(long, value_enum)]
        env: Option<EnvArg>,
    },
}

/// The environment.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum EnvArg {
    Dev,
    Staging,
    Production,
}

impl From<EnvArg> for Environment {
    fn from(e: EnvArg) -> Environment {
        match e {
            EnvArg::Dev => Environment::Dev,
            EnvArg::Staging => Environment::Staging,
            EnvArg::Production => Environment::Production,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("deployctl", || {
        cli.log.init()?;
        match &cli.command {
            Cmd::Build {
                image,
                push,
                dir,
                dry_run,
            } => {
                let cancel = Cancel::on_signals()?;
                for cmd in deployctl::build_commands(image, dir, *push)? {
                    stream(cmd, *dry_run, &cancel)?;
                }
                Ok(ExitCode::SUCCESS)
            }
            Cmd::Deploy {
                env,
                service,
                version,
                dry_run,
                yes,
            } => {
                let env = Environment::from(*env);
                let config = cli.config(Some(env)).load()?;
                let cmd = deployctl::deploy_command(&config, env, service, version)?;
                if !dry_run && deployctl::needs_confirmation(&config, env)? && !*yes {
                    let question = format!("Deploy {service} {version} to {env}?");
                    if !confirm(&question)? {
                        eprintln!("deployctl: not deployed");
                        return Ok(ExitCode::FAILURE);
                    }
                }
                // After the prompt: from here on, Ctrl-C ends docker's group.
                stream(cmd, *dry_run, &Cancel::on_signals()?)?;
                Ok(ExitCode::SUCCESS)
            }
            Cmd::Status { env } => {
                let env = Environment::from(*env);
                let config = cli.config(Some(env)).load()?;
                let out = deployctl::status_command(&config, env)?.run()?;
                print!(
                    "{}",
                    status_table(&deployctl::parse_status(&config, &out.stdout_text()))
                );
                Ok(ExitCode::SUCCESS)
            }
            Cmd::Config(ConfigCmd::Show { env }) => {
                let doc = cli.config(env.map(Environment::from)).document()?;
                Config::from_document(&doc)?;
                print!("{}", doc.to_string(ops_config::Format::Yaml)?);
                Ok(ExitCode::SUCCESS)
            }
            Cmd::Config(ConfigCmd::Explain { key, env }) => {
                let doc = cli.config(env.map(Environment::from)).document()?;
                let key = key.as_deref().unwrap_or("");
                match doc.explain(key)? {
                    Some(explanation) => print!("{explanation}"),
                    None => return Err(format!("`{key}` is not set by any layer").into()),
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Runs `cmd` with its output streamed through ours, line by line, ended
/// by `cancel` (Ctrl-C); in a dry run, prints it instead.
fn stream(mut cmd: Command, dry_run: bool, cancel: &Cancel) -> Result<Outcome, ops_exec::Error> {
    if dry_run {
        cmd.run_mode(RunMode::DryRun);
        println!("dry run: {cmd}");
    }
    // Only the tail of stderr is kept, for the error message.
    cmd.capture_limit(64 * 1024).cancel_on(cancel);
    cmd.run_with_lines(|line| match line.stream {
        Stream::Stdout => println!("{}", line.text()),
        Stream::Stderr => eprintln!("{}", line.text()),
    })
}

/// Asks on the terminal; refuses when stdin is not one.
fn confirm(question: &str) -> Result<bool, BoxError> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(
            "refusing to deploy without confirmation: stdin is not a terminal (pass --yes)".into(),
        );
    }
    eprint!("{question} [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}

fn status_table(rows: &[deployctl::ServiceStatus]) -> Table {
    let mut t = Table::new(&[
        ("service", Align::Left),
        ("version", Align::Left),
        ("replicas", Align::Right),
        ("image", Align::Left),
    ]);
    for r in rows {
        t.row([
            r.service.clone(),
            r.version.clone(),
            r.replicas.clone(),
            r.image.clone(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
