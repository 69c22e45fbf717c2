//! Metrics of subprocesses, fed by ops-exec's command listener.

use std::path::Path;
use std::time::Duration;

use ops_exec::{CommandEvent, CommandListener, ErrorKind, Status};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandOutcome {
    /// It exited with a status its check accepts (0 by default).
    Success,
    /// It exited with a status its check refuses.
    Failure,
    /// Killed by a signal.
    Signal,
    /// Killed after its deadline.
    Timeout,
    /// Ended by its cancel handle (such as Ctrl-C).
    Cancelled,
    /// Not run: dry-run mode.
    DryRun,
    /// It could not be started.
    SpawnError,
    /// It started, but talking to it failed (reading its output).
    IoError,
}

impl CommandOutcome {
    /// The label value: `success`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Success => "success",
            CommandOutcome::Failure => "failure",
            CommandOutcome::Signal => "signal",
            CommandOutcome::Timeout => "timeout",
            CommandOutcome::Cancelled => "cancelled",
            CommandOutcome::DryRun => "dry_run",
            CommandOutcome::SpawnError => "spawn_error",
            CommandOutcome::IoError => "io_error",
        }
    }

    /// How the run told in `event` ended.
    pub fn of(event: &CommandEvent<'_>) -> CommandOutcome {
        match (event.status, event.error) {
            (Some(Status::TimedOut), _) => CommandOutcome::Timeout,
            (Some(Status::Cancelled), _) => CommandOutcome::Cancelled,
            (Some(Status::Signaled { .. }), _) => CommandOutcome::Signal,
            (Some(Status::DryRun), _) => CommandOutcome::DryRun,
            (Some(_), None) => CommandOutcome::Success,
            (Some(_), Some(_)) => CommandOutcome::Failure,
            (None, Some(ErrorKind::Io)) => CommandOutcome::IoError,
            (None, _) => CommandOutcome::SpawnError,
        }
    }
}

label_value!(CommandOutcome);

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Outcome {
    program: String,
    outcome: CommandOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Program {
    program: String,
}

fn duration_histogram() -> Histogram {
    // 1 ms to about 4.5 hours.
    Histogram::new(exponential_buckets(0.001, 4.0, 12))
}

/// Subprocess metrics, by program: `commands_total{program,outcome}` and
/// `command_duration_seconds{program}` (runs that started). Labelled by
/// the program's name (`rsync`, also for `/usr/bin/rsync`), never by its
/// arguments: every distinct label value is a series Prometheus keeps.
///
/// It is an ops-exec [`CommandListener`]: attach a clone to each command,
/// one line per command.
///
/// ```
/// use ops_exec::Command;
/// use ops_metrics::{CommandMetrics, CommandOutcome, Format, encode};
/// use prometheus_client::registry::Registry;
///
/// let commands = CommandMetrics::default();
/// let mut registry = Registry::default();
/// commands.register(&mut registry);
///
/// Command::new("/bin/sh").args(["-c", "exit 0"]).listener(commands.clone()).run()?;
/// let _ = Command::new("sh").args(["-c", "exit 3"]).listener(commands.clone()).run();
/// assert_eq!(commands.count("sh", CommandOutcome::Failure), 1);
///
/// let mut text = String::new();
/// encode(&mut text, &registry, Format::Text004)?;
/// assert!(text.contains("commands_total{program=\"sh\",outcome=\"success\"} 1\n"));
/// assert!(text.contains("command_duration_seconds_count{program=\"sh\"} 2\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CommandMetrics {
    commands: Family<Outcome, Counter>,
    duration: Family<Program, Histogram, fn() -> Histogram>,
}

impl Default for CommandMetrics {
    fn default() -> CommandMetrics {
        CommandMetrics {
            commands: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
        }
    }
}

impl CommandMetrics {
    /// Registers the families in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "commands",
            "Commands run, by how they ended",
            self.commands.clone(),
        );
        registry.register_with_unit(
            "command_duration",
            "Wall-clock time of commands, from start to exit",
            Unit::Seconds,
            self.duration.clone(),
        );
    }

    /// Records one command run of `program`, which took `elapsed`.
    pub fn record(&self, program: &str, outcome: CommandOutcome, elapsed: Duration) {
        self.record_count(program, outcome);
        let key = Program {
            program: program.to_owned(),
        };
        self.duration
            .get_or_create(&key)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one run of `program` that did not start (or did not run),
    /// without a duration.
    fn record_count(&self, program: &str, outcome: CommandOutcome) {
        let key = Outcome {
            program: program.to_owned(),
            outcome,
        };
        self.commands.get_or_create(&key).inc();
    }

    /// Commands of `program` recorded with `outcome` so far.
    pub fn count(&self, program: &str, outcome: CommandOutcome) -> u64 {
        let key = Outcome {
            program: program.to_owned(),
            outcome,
        };
        self.commands.get(&key).map_or(0, |c| c.get())
    }
}

impl CommandListener for CommandMetrics {
    fn on_finish(&self, event: &CommandEvent<'_>) {
        let name = Path::new(event.program)
            .file_name()
            .unwrap_or(event.program)
            .to_string_lossy();
        let outcome = CommandOutcome::of(event);
        match event.status {
            Some(Status::DryRun) | None => self.record_count(&name, outcome),
            Some(_) => self.record(&name, outcome, event.duration),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_a_listener() {
        fn listener(_: &dyn CommandListener) {}
        listener(&CommandMetrics::default());
    }
}
