//! A progress bar on stderr for long-running work.

use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows how many bytes a job has done, updated from a counter that the job
/// advances (such as `ops_logscan::Progress`).
///
/// It draws only when stderr is a terminal, so logs and pipes stay clean,
/// and the bar is cleared when the meter is dropped.
#[derive(Debug)]
pub struct Meter {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Meter {
    /// Starts a meter when stderr is a terminal and the job is worth one:
    /// `total` bytes of at least `min_total`, or an unknown total (a
    /// stream). `done` reports the bytes done so far.
    pub fn start<F>(total: Option<u64>, min_total: u64, done: F) -> Meter
    where
        F: Fn() -> u64 + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let wanted = io::stderr().is_terminal() && total.is_none_or(|t| t >= min_total);
        let thread = wanted.then(|| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || draw(total, done, &stop))
        });
        Meter { stop, thread }
    }

    /// A meter that never draws.
    pub fn hidden() -> Meter {
        Meter {
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
        }
    }
}

fn draw(total: Option<u64>, done: impl Fn() -> u64, stop: &AtomicBool) {
    let bar = match total {
        Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let template = if total.is_some() {
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
    } else {
        "{spinner} {bytes} {bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    while !stop.load(Ordering::Relaxed) {
        bar.set_position(done());
        std::thread::park_timeout(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
