//! The command: what to run, with which environment, input, limits and
//! checks. Running it lives in `blocking.rs` and `run_async.rs`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cancel::Cancel;
use crate::clock::{Clock, SharedClock};
use crate::error::Error;
use crate::listener::{CommandListener, Listeners};
use crate::secret::{Value, Visibility};
use crate::words::{join_quoted, quote_word, split_words};

/// Where the command's standard input comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// `/dev/null` (the default), so that a command that reads stdin ends
    /// instead of waiting for a terminal.
    #[default]
    Null,
    /// This process's own stdin.
    Inherit,
    /// These bytes, written while the output is read (no deadlock when
    /// the command writes before it has read everything). A command that
    /// stops reading early is not an error.
    Bytes(Vec<u8>),
    /// A file, opened when the command starts.
    File(PathBuf),
}

impl Input {
    /// Stdin from these bytes.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Input {
        Input::Bytes(bytes.into())
    }

    /// Stdin from a file.
    pub fn file(path: impl Into<PathBuf>) -> Input {
        Input::File(path.into())
    }
}

/// Where one output stream of the command goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Output {
    /// Read through a pipe, concurrently with the other stream: kept up to
    /// the capture limit, and handed line by line to the callback of
    /// [`Command::run_with_lines`]. The default.
    #[default]
    Capture,
    /// This process's own stdout or stderr.
    Inherit,
    /// `/dev/null`.
    Null,
}

/// Which environment the command starts from, before
/// [`Command::env`] adds to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvBase {
    /// All of this process's environment (the default).
    #[default]
    Inherit,
    /// Nothing.
    Clear,
    /// Only these variables of this process's environment (those set).
    Allow(Vec<OsString>),
}

/// Which exit statuses are an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// Exit code 0 only (the default): any other code, a signal or a
    /// timeout is an [`Error`] carrying the outcome.
    #[default]
    Success,
    /// These exit codes are success (such as `[0, 1]` for `grep`, which
    /// exits 1 when nothing matched); signals and timeouts are errors.
    Codes(Vec<i32>),
    /// Never an error once the command ran: the [`Outcome`](crate::Outcome)
    /// tells how it ended.
    Never,
}

/// Whether the command runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RunMode {
    /// It runs (the default).
    #[default]
    Execute,
    /// Nothing runs: the command line is logged and the run returns an
    /// outcome with [`Status::DryRun`](crate::Status).
    DryRun,
}

/// The default number of bytes kept of each output stream: the first
/// 15 MiB and the last 1 MiB.
pub const DEFAULT_CAPTURE_LIMIT: usize = 16 << 20;
/// The default time a timed-out command gets between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
/// The default time the run waits, after the command ended, for other
/// processes holding its output pipes to close them.
pub const DEFAULT_WAIT_DELAY: Duration = Duration::from_secs(2);

/// A command to run: a program and its arguments, never a shell unless
/// made with [`Command::shell`].
///
/// The command is a description: running it ([`run`](Command::run),
/// [`run_with_lines`](Command::run_with_lines), and with the `tokio`
/// feature `run_async`) does not change it, so it can run again (retries).
/// Every run:
///
/// - starts the program in a new process group, with stdin from
///   [`Input`] (default `/dev/null`);
/// - drains stdout and stderr concurrently ([`Output::Capture`]), keeping
///   at most [`capture_limit`](Command::capture_limit) bytes of each
///   (head and tail);
/// - on [`timeout`](Command::timeout), sends SIGTERM to the whole group,
///   SIGKILL after the [`grace`](Command::grace) period, and stops waiting
///   for processes outside the group that hold the output pipes after the
///   [`wait_delay`](Command::wait_delay): a run returns at the latest
///   after timeout + grace + wait delay;
/// - kills the group if the run is abandoned (a panicking callback, a
///   dropped future);
/// - in check mode ([`Check`], default: exit code 0 or an error) fails
///   with an [`Error`] that names the command, its status, its duration
///   and the end of its stderr;
/// - logs in a `tracing` span `exec` (program, pid, duration, outcome),
///   with secret arguments and environment values shown as `***`.
///
/// `Debug` and `Display` redact secrets too; `Display` is the command as a
/// shell line (`cd DIR && env -i K=V program args < input`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub(crate) program: OsString,
    pub(crate) args: Vec<Value>,
    pub(crate) env_base: EnvBase,
    /// Set (`Some`) or removed (`None`), in order; the last one of a name
    /// wins.
    pub(crate) env: Vec<(OsString, Option<Value>)>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) stdin: Input,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    pub(crate) capture_limit: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) grace: Duration,
    pub(crate) wait_delay: Duration,
    pub(crate) check: Check,
    pub(crate) mode: RunMode,
    pub(crate) transient_codes: Vec<i32>,
    pub(crate) clock: SharedClock,
    pub(crate) cancel: Option<Cancel>,
    pub(crate) listeners: Listeners,
}

impl Command {
    /// A command running `program` (looked up on `PATH` unless it holds a
    /// `/`) with no arguments.
    pub fn new(program: impl Into<OsString>) -> Command {
        Command {
            program: program.into(),
            args: Vec::new(),
            env_base: EnvBase::Inherit,
            env: Vec::new(),
            cwd: None,
            stdin: Input::Null,
            stdout: Output::Capture,
            stderr: Output::Capture,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            timeout: None,
            grace: DEFAULT_GRACE,
            wait_delay: DEFAULT_WAIT_DELAY,
            check: Check::Success,
            mode: RunMode::Execute,
            transient_codes: Vec::new(),
            clock: SharedClock::default(),
            cancel: None,
            listeners: Listeners::default(),
        }
    }

    /// A command from a command line split into words with shell quoting
    /// rules ([`split_words`](crate::split_words)): the first word is the
    /// program. No shell runs, and nothing is expanded.
    ///
    /// ```
    /// let cmd = ops_exec::Command::parse("grep -c 'two words' notes.txt")?;
    /// assert_eq!(cmd.to_string(), "grep -c 'two words' notes.txt");
    /// # Ok::<(), ops_exec::Error>(())
    /// ```
    pub fn parse(line: &str) -> Result<Command, Error> {
        let mut words = split_words(line)?.into_iter();
        let program = words.next().ok_or_else(|| Error::Invalid {
            reason: format!("command line {line:?} holds no program"),
        })?;
        let mut cmd = Command::new(program);
        cmd.args(words);
        Ok(cmd)
    }

    /// A shell script run by `sh -c SCRIPT`: pipes, redirections and
    /// expansions work, and so does everything else a shell does with
    /// text. Prefer [`Command::new`] with arguments for anything that
    /// holds input from outside.
    pub fn shell(script: impl Into<OsString>) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl Into<OsString>) -> &mut Command {
        self.args.push(Value::new(arg, Visibility::Plain));
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args
            .extend(args.into_iter().map(|a| Value::new(a, Visibility::Plain)));
        self
    }

    /// Adds an argument that logs, errors and dry-run output show as `***`,
    /// and that is scrubbed from the stderr tail errors carry.
    pub fn secret_arg(&mut self, arg: impl Into<OsString>) -> &mut Command {
        self.args.push(Value::new(arg, Visibility::Secret));
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> &mut Command {
        self.env
            .push((key.into(), Some(Value::new(value, Visibility::Plain))));
        self
    }

    /// Sets an environment variable whose value is secret (shown as `***`,
    /// scrubbed from error messages).
    pub fn secret_env(
        &mut self,
        key: impl Into<OsString>,
        value: impl Into<OsString>,
    ) -> &mut Command {
        self.env
            .push((key.into(), Some(Value::new(value, Visibility::Secret))));
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl Into<OsString>) -> &mut Command {
        self.env.push((key.into(), None));
        self
    }

    /// Which environment to start from (default: all of this process's).
    pub fn env_base(&mut self, base: EnvBase) -> &mut Command {
        self.env_base = base;
        self
    }

    /// Starts from an empty environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.env_base(EnvBase::Clear)
    }

    /// Starts from only these variables of this process's environment.
    pub fn env_allow<I, S>(&mut self, keys: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.env_base(EnvBase::Allow(keys.into_iter().map(Into::into).collect()))
    }

    /// The working directory of the command.
    pub fn current_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Command {
        self.cwd = Some(dir.into());
        self
    }

    /// Where stdin comes from (default `/dev/null`).
    pub fn stdin(&mut self, input: Input) -> &mut Command {
        self.stdin = input;
        self
    }

    /// Where stdout goes (default: captured).
    pub fn stdout(&mut self, output: Output) -> &mut Command {
        self.stdout = output;
        self
    }

    /// Where stderr goes (default: captured).
    pub fn stderr(&mut self, output: Output) -> &mut Command {
        self.stderr = output;
        self
    }

    /// How many bytes of each captured stream are kept: the last half of
    /// that (at most 1 MiB, so that capture stays fast) and the first
    /// bytes for the rest; what lies between is counted. 0 keeps
    /// nothing (for streaming to a callback only). Default
    /// [`DEFAULT_CAPTURE_LIMIT`].
    pub fn capture_limit(&mut self, bytes: usize) -> &mut Command {
        self.capture_limit = bytes;
        self
    }

    /// Ends the command's process group when it runs longer than this
    /// (SIGTERM, then SIGKILL after the grace period). Default: none.
    pub fn timeout(&mut self, timeout: Duration) -> &mut Command {
        self.timeout = Some(timeout);
        self
    }

    /// Time between SIGTERM and SIGKILL after a timeout (default
    /// [`DEFAULT_GRACE`]).
    pub fn grace(&mut self, grace: Duration) -> &mut Command {
        self.grace = grace;
        self
    }

    /// How long the run waits, once the command ended, for stray processes
    /// that still hold its stdout or stderr open (default
    /// [`DEFAULT_WAIT_DELAY`]); then it stops reading them and returns
    /// with [`Outcome::pipes_left_open`](crate::Outcome::pipes_left_open)
    /// set.
    pub fn wait_delay(&mut self, delay: Duration) -> &mut Command {
        self.wait_delay = delay;
        self
    }

    /// Which exit statuses are an error (default [`Check::Success`]).
    pub fn check(&mut self, check: Check) -> &mut Command {
        self.check = check;
        self
    }

    /// Whether the command runs or is only logged (default
    /// [`RunMode::Execute`]).
    pub fn run_mode(&mut self, mode: RunMode) -> &mut Command {
        self.mode = mode;
        self
    }

    /// Exit codes that mean "try again later" for this program (such as
    /// 75, `EX_TEMPFAIL`): a failure with one of them is
    /// [transient](Error::is_transient).
    pub fn transient_exit_codes(&mut self, codes: impl IntoIterator<Item = i32>) -> &mut Command {
        self.transient_codes = codes.into_iter().collect();
        self
    }

    /// The clock for deadlines and durations (default
    /// [`SystemClock`](crate::SystemClock)).
    pub fn clock(&mut self, clock: Arc<dyn Clock>) -> &mut Command {
        self.clock = SharedClock(clock);
        self
    }

    /// Ends the run when `cancel` is cancelled (from another thread, or by
    /// a signal with `Cancel::on_signals`, feature `signals`), as a
    /// timeout would.
    pub fn cancel_on(&mut self, cancel: &Cancel) -> &mut Command {
        self.cancel = Some(cancel.clone());
        self
    }

    /// Adds a listener told about the end of every run of this command
    /// (there may be several): how it ended and how long it took, never
    /// its arguments or output. ops-metrics' `CommandMetrics` is one.
    pub fn listener(&mut self, listener: impl CommandListener + 'static) -> &mut Command {
        self.listeners.push(Arc::new(listener));
        self
    }

    /// The program as given.
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// The program and arguments as a shell line, secrets as `***`.
    pub fn command_line(&self) -> String {
        join_quoted(
            std::iter::once(quote_word(&self.program)).chain(self.args.iter().map(Value::shown)),
        )
    }

    /// Every secret value of the command: arguments and environment.
    pub(crate) fn secrets(&self) -> Vec<&OsStr> {
        let args = self.args.iter().filter(|a| a.is_secret());
        let env = self.env.iter().filter_map(|(_, v)| v.as_ref());
        args.chain(env.filter(|v| v.is_secret()))
            .map(|v| v.raw.as_os_str())
            .collect()
    }

    /// Refuses a command that cannot start whatever the system.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.program.is_empty() {
            return Err(Error::Invalid {
                reason: "the program name is empty".to_owned(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(dir) = &self.cwd {
            write!(f, "cd {} && ", quote_word(dir.as_os_str()))?;
        }
        let mut env_words: Vec<String> = Vec::new();
        match &self.env_base {
            EnvBase::Inherit => {}
            EnvBase::Clear => env_words.push("-i".to_owned()),
            EnvBase::Allow(keys) => {
                env_words.push("-i".to_owned());
                for k in keys {
                    env_words.push(format!("{}=${}", quote_word(k), quote_word(k)));
                }
            }
        }
        for (k, v) in &self.env {
            match v {
                Some(v) => env_words.push(format!("{}={}", quote_word(k), v.shown())),
                None => env_words.push(format!("-u {}", quote_word(k))),
            }
        }
        if !env_words.is_empty() {
            write!(f, "env {} ", env_words.join(" "))?;
        }
        f.write_str(&self.command_line())?;
        match &self.stdin {
            Input::Null | Input::Inherit => Ok(()),
            Input::Bytes(b) => write!(f, " <<< ({} bytes)", b.len()),
            Input::File(p) => write!(f, " < {}", quote_word(p.as_os_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_redacts_and_quotes() {
        let mut cmd = Command::new("curl");
        cmd.args(["-H", "Accept: text/plain"])
            .secret_arg("token=hunter2")
            .env("LANG", "C")
            .secret_env("API_KEY", "hunter3")
            .env_remove("HTTP_PROXY")
            .current_dir("/srv/my app")
            .stdin(Input::bytes("abc"));
        let shown = cmd.to_string();
        assert_eq!(
            shown,
            "cd '/srv/my app' && env LANG=C API_KEY=*** -u HTTP_PROXY \
             curl -H 'Accept: text/plain' *** <<< (3 bytes)"
        );
        let debug = format!("{cmd:?}");
        assert!(!debug.contains("hunter"), "{debug}");
        assert_eq!(cmd.command_line(), "curl -H 'Accept: text/plain' ***");
        assert_eq!(
            cmd.secrets(),
            [OsStr::new("token=hunter2"), OsStr::new("hunter3")]
        );
    }

    #[test]
    fn parse_and_shell() {
        let cmd = Command::parse("ls -l 'My Documents'").unwrap();
        assert_eq!(cmd.get_program(), "ls");
        assert_eq!(cmd.args.len(), 2);
        assert!(Command::parse("   ").is_err());
        assert!(Command::parse("echo 'open").is_err());
        assert_eq!(
            Command::shell("echo $HOME | wc").to_string(),
            "sh -c 'echo $HOME | wc'"
        );
        let mut allowed = Command::new("env");
        allowed.env_allow(["PATH"]);
        assert_eq!(allowed.to_string(), "env -i PATH=$PATH env");
        assert!(Command::new("").validate().is_err());
    }

    #[test]
    fn commands_are_send_sync_and_comparable() {
        fn check<T: Send + Sync + Clone + PartialEq>() {}
        check::<Command>();
        let a = Command::new("true");
        assert_eq!(a, a.clone());
    }
}
