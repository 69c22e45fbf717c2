//! `confmerge`: merge layered YAML/JSON/TOML configs, validate them,
//! explain where each value came from, diff and render.
//!
//! A thin command line over the `ops-config` crate: options become
//! [`Layers`], one library call does the work, and the result is printed.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ops_cli::LogArgs;
use ops_config::{
    AtomicWriter, Backup, Document, EnvLayer, Error, Format, Layers, Schema, Strategies, discover,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(
    name = "confmerge",
    version,
    about,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
/// Merge layered config files (YAML, JSON, TOML), environment variables and
/// --set overrides, and print the result canonically (sorted keys).
///
/// Layers apply in order: FILEs, then --include matches, then variables of
/// --env-prefix, then each --set. Maps merge, scalars and lists are
/// replaced, null deletes a key (RFC 7396); --strategies sets append or
/// merge-by-key per path.
///
/// Exit status: 0 ok; 1 validation failed (every violation listed) or, for
/// diff, the documents differ; 2 usage, I/O or parse error (with
/// file:line:column and the offending line).
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    merge: MergeCmd,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the merged layers against a JSON Schema; list every violation.
    Validate(ValidateCmd),
    /// Print a key's value, the layer that set it, and the layers it overrode.
    Explain(ExplainCmd),
    /// List keys added, removed and changed from A to B (exit 1 when any).
    Diff(DiffCmd),
    /// Render a Jinja2 template with the merged values.
    Render(RenderCmd),
}

#[derive(Debug, Clone, Args)]
struct LayerOpts {
    /// Config files, merged in order (format by extension).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Also merge the files matching a glob, sorted (`conf.d/*.yaml`,
    /// `conf.d/**/*.{yaml,yml}`), after the FILEs.
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Merge environment variables PREFIX__A__B=value as a.b (values typed
    /// as YAML scalars).
    #[arg(long, value_name = "PREFIX")]
    env_prefix: Option<String>,
    /// Override a value: a.b.c=value (typed as YAML; `null` deletes).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Array strategies, one `PATH = replace|append|merge-by-key KEY` a line.
    #[arg(long, value_name = "FILE")]
    strategies: Option<PathBuf>,
    /// Read FILEs in this format whatever their extension.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<FormatArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Yaml,
    Json,
    Toml,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Json => Format::Json,
            FormatArg::Toml => Format::Toml,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackupArg {
    None,
    Numbered,
    Timestamped,
}

#[derive(Debug, Args)]
struct MergeCmd {
    #[command(flatten)]
    layers: LayerOpts,
    /// Validate the result against this JSON Schema first (JSON or YAML).
    #[arg(long, value_name = "SCHEMA")]
    schema: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Yaml)]
    format: FormatArg,
    /// Write to FILE atomically instead of stdout (replaced only when the
    /// result is valid).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Keep the file --output replaces.
    #[arg(long, value_enum, default_value_t = BackupArg::None, requires = "output")]
    backup: BackupArg,
}

#[derive(Debug, Args)]
struct ValidateCmd {
    /// The JSON Schema (JSON or YAML).
    #[arg(long, value_name = "SCHEMA")]
    schema: PathBuf,
    #[command(flatten)]
    layers: LayerOpts,
}

#[derive(Debug, Args)]
struct ExplainCmd {
    /// Dotted key (`db.port`, `servers[0].name`, `a."b.c"`); a map or list
    /// explains every value below it.
    key: String,
    #[command(flatten)]
    layers: LayerOpts,
}

#[derive(Debug, Args)]
struct DiffCmd {
    /// The first document.
    a: PathBuf,
    /// The second document.
    b: PathBuf,
}

#[derive(Debug, Args)]
struct RenderCmd {
    /// The template (Jinja2 syntax, as minijinja reads it).
    template: PathBuf,
    #[command(flatten)]
    layers: LayerOpts,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("confmerge", || {
        cli.log.init()?;
        let result = match &cli.command {
            None => {
                if let Some(word) = misplaced_command(&cli.merge.layers.files) {
                    return Err(format!(
                        "`{word}` is not a file; a command comes before the options: \
                         confmerge {word} [OPTIONS] ..."
                    )
                    .into());
                }
                merge(&cli.merge)
            }
            Some(Command::Validate(cmd)) => validate(cmd),
            Some(Command::Explain(cmd)) => explain(cmd),
            Some(Command::Diff(cmd)) => diff(cmd),
            Some(Command::Render(cmd)) => render(cmd),
        };
        result.or_else(report)
    })
}

/// The first of `files` that is one of our commands and no file: what
/// `confmerge --set k=v explain k a.yaml` leaves behind, since options
/// before a command belong to the default merge.
fn misplaced_command(files: &[PathBuf]) -> Option<&str> {
    let first = files.first()?;
    let word = first.to_str()?;
    (["validate", "explain", "diff", "render"].contains(&word) && !first.exists()).then_some(word)
}

/// Prints a failure the way the exit codes promise: violations (exit 1),
/// parse errors with their snippet (exit 2); anything else goes back to
/// `ops_cli::run` as one line and exit 2.
fn report(e: Error) -> Result<ExitCode, BoxError> {
    if let Some(violations) = e.violations() {
        for v in violations {
            eprintln!("{v}");
        }
        eprintln!("confmerge: {} violation(s)", violations.len());
        return Ok(ExitCode::FAILURE);
    }
    if let Some(snippet) = e.snippet() {
        eprintln!("confmerge: error: {e}");
        eprintln!("{snippet}");
        return Ok(ExitCode::from(ops_cli::EXIT_TROUBLE));
    }
    Err(e.into())
}

fn layers(opts: &LayerOpts) -> Result<Layers, Error> {
    let mut layers = Layers::new();
    for file in &opts.files {
        layers = match opts.input_format {
            Some(f) => layers.file_as(file, f.into()),
            None => layers.file(file),
        };
    }
    for glob in &opts.include {
        let (dir, pattern) = split_glob(glob);
        let found = discover(dir, pattern)?;
        tracing::info!(glob = %glob, files = found.len(), "discovered");
        layers = layers.files(found);
    }
    if let Some(prefix) = &opts.env_prefix {
        layers = layers.env(EnvLayer::new(prefix));
    }
    for set in &opts.sets {
        layers = layers.set(set);
    }
    if let Some(path) = &opts.strategies {
        layers = layers.strategies(Strategies::load(path)?);
    }
    Ok(layers)
}

/// `conf.d/**/*.yaml` as the directory `conf.d` and the pattern
/// `**/*.yaml`: the fixed leading directories, then the rest.
fn split_glob(glob: &str) -> (&Path, &str) {
    let magic = glob.find(['*', '?', '[', '{']).unwrap_or(glob.len());
    match glob[..magic].rfind('/') {
        Some(slash) => (Path::new(&glob[..slash.max(1)]), &glob[slash + 1..]),
        None => (Path::new("."), glob),
    }
}

fn merge(cmd: &MergeCmd) -> Result<ExitCode, Error> {
    let doc = layers(&cmd.layers)?.merge()?;
    if let Some(schema) = &cmd.schema {
        Schema::load(schema)?.validate(&doc)?;
    }
    let text = doc.to_string(cmd.format.into())?;
    match &cmd.output {
        None => print!("{text}"),
        Some(path) => {
            let backup = match cmd.backup {
                BackupArg::None => Backup::None,
                BackupArg::Numbered => Backup::Numbered,
                BackupArg::Timestamped => Backup::Timestamped,
            };
            let done = AtomicWriter::new()
                .backup(backup)
                .write(path, text.as_bytes())?;
            tracing::info!(path = %done.path.display(), backup = ?done.backup, "written");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(cmd: &ValidateCmd) -> Result<ExitCode, Error> {
    let schema = Schema::load(&cmd.schema)?;
    let layers = layers(&cmd.layers)?;
    schema.validate(&layers.merge()?)?;
    println!("valid: {} layer(s) against {}", layers.len(), schema.name());
    Ok(ExitCode::SUCCESS)
}

fn explain(cmd: &ExplainCmd) -> Result<ExitCode, Error> {
    let doc = layers(&cmd.layers)?.merge()?;
    match doc.explain(&cmd.key)? {
        Some(explanation) => {
            print!("{explanation}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("confmerge: `{}` is not set by any layer", cmd.key);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn diff(cmd: &DiffCmd) -> Result<ExitCode, Error> {
    let a = Document::load(&cmd.a)?;
    let b = Document::load(&cmd.b)?;
    let changes = a.diff(&b);
    for c in &changes {
        println!("{c}");
    }
    Ok(if changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn render(cmd: &RenderCmd) -> Result<ExitCode, Error> {
    let template = std::fs::read_to_string(&cmd.template).map_err(|e| Error::Read {
        path: cmd.template.clone(),
        source: e,
    })?;
    let doc = layers(&cmd.layers)?.merge()?;
    let name = cmd.template.to_string_lossy();
    print!("{}", ops_config::render_template(&template, &name, &doc)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_split_at_the_first_wildcard_directory() {
        assert_eq!(split_glob("conf.d/*.yaml"), (Path::new("conf.d"), "*.yaml"));
        assert_eq!(split_glob("a/b/**/*.yml"), (Path::new("a/b"), "**/*.yml"));
        assert_eq!(split_glob("*.json"), (Path::new("."), "*.json"));
        assert_eq!(
            split_glob("/etc/app/*.toml"),
            (Path::new("/etc/app"), "*.toml")
        );
        assert_eq!(split_glob("/*.toml"), (Path::new("/"), "*.toml"));
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
