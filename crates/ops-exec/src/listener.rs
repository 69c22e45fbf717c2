//! The end of every run, told to listeners: the seam for metrics.

use std::ffi::OsStr;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::command::Command;
use crate::error::{Error, ErrorKind};
use crate::outcome::{Outcome, Status};

/// One finished run of a [`Command`], as a [`CommandListener`] sees it.
///
/// It holds no argument, environment value or output of the command, so
/// no secret can reach a listener through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandEvent<'a> {
    /// The program as given to [`Command::new`] (a name looked up on
    /// `PATH`, or a path).
    pub program: &'a OsStr,
    /// How the command ended; `None` when it did not start (the error
    /// tells why).
    pub status: Option<Status>,
    /// From just before the spawn to the end of the run, by the command's
    /// clock; zero when it did not start, and for a dry run.
    pub duration: Duration,
    /// The kind of error the run returned, `None` when it returned an
    /// [`Outcome`].
    pub error: Option<ErrorKind>,
}

/// Told about the end of every run of the commands it is attached to
/// ([`Command::listener`]): blocking and async runs, each attempt of a
/// retried run, dry runs and commands that could not start. A run that is
/// abandoned (a panic in a line callback, a dropped future) is not told.
///
/// Called synchronously on the thread or task that ran the command, after
/// the run's last log line; keep it cheap. Object-safe; `Arc<L>` is a
/// listener too, so one value can serve many commands. ops-metrics'
/// `CommandMetrics` is one.
///
/// ```
/// use ops_exec::{Command, CommandEvent, CommandListener};
/// use std::sync::Mutex;
///
/// #[derive(Debug, Default)]
/// struct Slowest(Mutex<std::time::Duration>);
///
/// impl CommandListener for Slowest {
///     fn on_finish(&self, event: &CommandEvent<'_>) {
///         let mut slowest = self.0.lock().unwrap();
///         *slowest = (*slowest).max(event.duration);
///     }
/// }
///
/// let slowest = std::sync::Arc::new(Slowest::default());
/// Command::new("true").listener(slowest.clone()).run()?;
/// assert!(*slowest.0.lock().unwrap() > std::time::Duration::ZERO);
/// # Ok::<(), ops_exec::Error>(())
/// ```
pub trait CommandListener: Send + Sync {
    /// A run of the command ended.
    fn on_finish(&self, event: &CommandEvent<'_>);
}

impl<L: CommandListener + ?Sized> CommandListener for Arc<L> {
    fn on_finish(&self, event: &CommandEvent<'_>) {
        (**self).on_finish(event);
    }
}

/// The listeners of a command; equal when they are the same listeners.
#[derive(Clone, Default)]
pub(crate) struct Listeners(Vec<Arc<dyn CommandListener>>);

impl Listeners {
    pub(crate) fn push(&mut self, listener: Arc<dyn CommandListener>) {
        self.0.push(listener);
    }

    /// Tells every listener how the run of `cmd` ended.
    pub(crate) fn finished(&self, cmd: &Command, result: &Result<Outcome, Error>) {
        if self.0.is_empty() {
            return;
        }
        let (outcome, error) = match result {
            Ok(o) => (Some(o), None),
            Err(e) => (e.outcome(), Some(e.kind())),
        };
        let event = CommandEvent {
            program: &cmd.program,
            status: outcome.map(|o| o.status),
            duration: outcome.map_or(Duration::ZERO, |o| o.duration),
            error,
        };
        for l in &self.0 {
            l.on_finish(&event);
        }
    }
}

impl fmt::Debug for Listeners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} listener(s)", self.0.len())
    }
}

impl PartialEq for Listeners {
    fn eq(&self, other: &Listeners) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Eq for Listeners {}

#[cfg(test)]
mod tests {
    use super::*;

    fn _object_safe(_: &dyn CommandListener) {}

    #[test]
    fn listeners_compare_by_identity() {
        struct Nothing;
        impl CommandListener for Nothing {
            fn on_finish(&self, _: &CommandEvent<'_>) {}
        }
        let one: Arc<dyn CommandListener> = Arc::new(Nothing);
        let mut a = Listeners::default();
        a.push(Arc::clone(&one));
        let mut b = Listeners::default();
        b.push(one);
        assert_eq!(a, b);
        let mut c = Listeners::default();
        c.push(Arc::new(Nothing));
        assert_ne!(a, c);
        assert_eq!(format!("{a:?}"), "1 listener(s)");
    }
}
