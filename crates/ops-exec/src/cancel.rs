//! Ending runs from elsewhere: another thread, or a signal to this process.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use rustix::event::{EventfdFlags, eventfd};

/// A handle that ends the runs watching it ([`Command::cancel_on`]) as
/// their timeout would: SIGTERM to the process group, SIGKILL after the
/// grace period. The run then returns [`Status::Cancelled`] (an
/// [`Error::Cancelled`] in check mode). Clones share one state; cancelling
/// is for good.
///
/// A command in its own process group does not get the terminal's Ctrl-C:
/// a tool that should pass it on makes its handle with
/// `Cancel::on_signals` (feature `signals`).
///
/// [`Command::cancel_on`]: crate::Command::cancel_on
/// [`Status::Cancelled`]: crate::Status::Cancelled
/// [`Error::Cancelled`]: crate::Error::Cancelled
#[derive(Clone)]
pub struct Cancel(Arc<Inner>);

struct Inner {
    cancelled: AtomicBool,
    /// The signal that cancelled, 0 for none.
    signal: AtomicI32,
    /// Readable once cancelled: what the blocking engine polls.
    fd: OwnedFd,
    #[cfg(feature = "tokio")]
    notify: tokio::sync::Notify,
}

impl Cancel {
    /// A handle not cancelled yet. Fails only when the process is out of
    /// file descriptors.
    pub fn new() -> io::Result<Cancel> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Cancel(Arc::new(Inner {
            cancelled: AtomicBool::new(false),
            signal: AtomicI32::new(0),
            fd,
            #[cfg(feature = "tokio")]
            notify: tokio::sync::Notify::new(),
        })))
    }

    /// Ends every run watching this handle, now and from now on.
    pub fn cancel(&self) {
        if self.0.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        // Cannot fail short of a counter overflow, which one write cannot
        // cause; the flag is set either way.
        let _ = rustix::io::write(&self.0.fd, &1u64.to_ne_bytes());
        #[cfg(feature = "tokio")]
        self.0.notify.notify_waiters();
    }

    /// Whether [`cancel`](Cancel::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// The signal that cancelled the handle, for one made by
    /// `Cancel::on_signals` (feature `signals`).
    pub fn signal(&self) -> Option<i32> {
        match self.0.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.0.fd
    }

    /// Blocks until cancelled or `timeout` has passed; whether cancelled.
    #[cfg(feature = "resilience")]
    pub(crate) fn wait_timeout(&self, timeout: std::time::Duration) -> bool {
        use rustix::event::{PollFd, PollFlags, poll};
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.is_cancelled() {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            let left = crate::blocking::timespec(left);
            // The eventfd stays readable once cancelled; an interrupted or
            // failed poll is retried until the deadline.
            let mut fds = [PollFd::new(&self.0.fd, PollFlags::IN)];
            if poll(&mut fds, Some(&left)).is_err() {
                std::thread::yield_now();
            }
        }
    }

    /// Waits until cancelled.
    #[cfg(feature = "tokio")]
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// A handle cancelled by the first SIGINT, SIGTERM or SIGHUP this
    /// process receives, which then no longer ends the process by itself:
    /// the runs end their process groups and return, and the tool exits
    /// (by convention with 128 + [`signal`](Cancel::signal)). Install it
    /// once, when the tool starts its commands, not before a prompt.
    #[cfg(feature = "signals")]
    pub fn on_signals() -> io::Result<Cancel> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let cancel = Cancel::new()?;
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let handle = cancel.clone();
        std::thread::Builder::new()
            .name("ops-exec-signals".to_owned())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    handle.0.signal.store(signal, Ordering::SeqCst);
                    tracing::info!(signal, "signal received; cancelling runs");
                    handle.cancel();
                }
            })?;
        Ok(cancel)
    }
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// Equal when it is the same handle.
impl PartialEq for Cancel {
    fn eq(&self, other: &Cancel) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_is_shared_and_for_good() {
        let a = Cancel::new().unwrap();
        let b = a.clone();
        assert!(!b.is_cancelled() && a == b);
        a.cancel();
        a.cancel();
        assert!(b.is_cancelled());
        assert_eq!(b.signal(), None);
        assert_ne!(a, Cancel::new().unwrap());
        let mut buf = [0u8; 8];
        assert_eq!(rustix::io::read(b.fd(), &mut buf), Ok(8));
        assert_eq!(u64::from_ne_bytes(buf), 1);
    }
}
