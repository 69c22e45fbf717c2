//! Metrics of subprocesses.
//!
//! Plain `record` calls with this crate's own outcome enum, so that
//! ops-exec (or any code that runs commands) can feed them without this
//! crate depending on ops-exec.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandOutcome {
    /// Exit status 0.
    Success,
    /// A non-zero exit status.
    Failure,
    /// Killed by a signal.
    Signal,
    /// Killed after its deadline.
    Timeout,
    /// It could not be started.
    SpawnError,
}

impl CommandOutcome {
    /// The label value: `success`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Success => "success",
            CommandOutcome::Failure => "failure",
            CommandOutcome::Signal => "signal",
            CommandOutcome::Timeout => "timeout",
            CommandOutcome::SpawnError => "spawn_error",
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
/// `command_duration_seconds{program}`. Label by the program's name
/// (`rsync`), never by its arguments: every distinct label value is a
/// series Prometheus keeps.
///
/// ```
/// use ops_metrics::{CommandMetrics, CommandOutcome};
/// use prometheus_client::registry::Registry;
/// use std::time::Duration;
///
/// let commands = CommandMetrics::default();
/// let mut registry = Registry::default();
/// commands.register(&mut registry);
/// commands.record("rsync", CommandOutcome::Success, Duration::from_secs(3));
/// commands.record("rsync", CommandOutcome::Timeout, Duration::from_secs(60));
/// assert_eq!(commands.count("rsync", CommandOutcome::Timeout), 1);
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
        let key = Outcome {
            program: program.to_owned(),
            outcome,
        };
        self.commands.get_or_create(&key).inc();
        let key = Program {
            program: program.to_owned(),
        };
        self.duration
            .get_or_create(&key)
            .observe(elapsed.as_secs_f64());
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
