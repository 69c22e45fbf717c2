//! The process collector: client_golang's `process_*` metrics, which
//! prometheus-client does not have.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::registry::Unit;

use crate::Error;
use crate::encode::{Desc, single};
use crate::procfs::{self, Limit};
use crate::system::{clock_ticks, read_proc};

/// Which process to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Pid {
    /// The process doing the collecting (`/proc/self`).
    #[default]
    Current,
    /// Another process by id.
    Id(u32),
}

/// What one collection of a process read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProcessSnapshot {
    /// User and system CPU time, in seconds; never below an earlier value.
    pub cpu_seconds: f64,
    /// Resident set size, in bytes.
    pub resident_bytes: u64,
    /// Virtual memory size, in bytes.
    pub virtual_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// The soft limit of open file descriptors; `None` when unlimited.
    pub max_fds: Option<u64>,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

/// Builds a [`ProcessCollector`].
#[derive(Debug, Clone)]
pub struct ProcessCollectorBuilder {
    root: PathBuf,
    pid: Pid,
    clock_ticks: Option<u64>,
    page_size: Option<u64>,
}

impl ProcessCollectorBuilder {
    /// Where /proc is (default `/proc`).
    pub fn procfs(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = root.into();
        self
    }

    /// Which process (default [`Pid::Current`]).
    pub fn pid(mut self, pid: Pid) -> Self {
        self.pid = pid;
        self
    }

    /// Clock ticks per second (default: the kernel's `USER_HZ`).
    pub fn clock_ticks(mut self, ticks: u64) -> Self {
        self.clock_ticks = Some(ticks);
        self
    }

    /// Bytes per page of the RSS (default: the kernel's page size).
    pub fn page_size(mut self, bytes: u64) -> Self {
        self.page_size = Some(bytes);
        self
    }

    /// The collector; an error for zero clock ticks or page size.
    pub fn build(self) -> Result<ProcessCollector, Error> {
        let clock_ticks = self.clock_ticks.unwrap_or_else(clock_ticks);
        let page_size = self
            .page_size
            .unwrap_or_else(|| rustix::param::page_size() as u64);
        if clock_ticks == 0 || page_size == 0 {
            return Err(Error::Option(
                "clock ticks and page size must be more than 0".to_owned(),
            ));
        }
        let dir = match self.pid {
            Pid::Current => "self".to_owned(),
            Pid::Id(id) => id.to_string(),
        };
        Ok(ProcessCollector {
            root: self.root,
            dir,
            clock_ticks,
            page_size,
            cpu_max: Mutex::new(0.0),
            latest: RwLock::new(None),
        })
    }
}

/// Collects `process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`
/// and `process_start_time_seconds`, the names client_golang (and so
/// node_exporter and Prometheus itself) expose, from /proc/PID.
///
/// As with [`SystemCollector`](crate::SystemCollector),
/// [`refresh`](Self::refresh) reads and the [`Collector`] implementation
/// writes the last reading.
#[derive(Debug)]
pub struct ProcessCollector {
    root: PathBuf,
    dir: String,
    clock_ticks: u64,
    page_size: u64,
    cpu_max: Mutex<f64>,
    latest: RwLock<Option<Arc<ProcessSnapshot>>>,
}

impl ProcessCollector {
    /// A collector of the current process.
    pub fn new() -> ProcessCollector {
        ProcessCollector {
            root: PathBuf::from("/proc"),
            dir: "self".to_owned(),
            clock_ticks: clock_ticks(),
            page_size: rustix::param::page_size() as u64,
            cpu_max: Mutex::new(0.0),
            latest: RwLock::new(None),
        }
    }

    /// A builder, for another process or another /proc.
    pub fn builder() -> ProcessCollectorBuilder {
        ProcessCollectorBuilder {
            root: PathBuf::from("/proc"),
            pid: Pid::Current,
            clock_ticks: None,
            page_size: None,
        }
    }

    /// Reads the process's files and keeps the result. On an error the last
    /// good reading is dropped, so no stale values are exposed.
    pub fn refresh(&self) -> Result<Arc<ProcessSnapshot>, Error> {
        let result = self.read().map(Arc::new);
        *self.latest.write().unwrap_or_else(PoisonError::into_inner) =
            result.as_ref().ok().cloned();
        result
    }

    /// The last good reading, if any.
    pub fn snapshot(&self) -> Option<Arc<ProcessSnapshot>> {
        self.latest
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn read(&self) -> Result<ProcessSnapshot, Error> {
        let dir = self.root.join(&self.dir);
        let stat = read_proc(&dir, "stat", procfs::parse_pid_stat)?;
        let limit = read_proc(&dir, "limits", procfs::parse_max_open_files)?;
        let boot = read_proc(&self.root, "stat", procfs::parse_proc_stat)?
            .boot_time
            .unwrap_or(0);
        let fd_dir = dir.join("fd");
        let open_fds = std::fs::read_dir(&fd_dir)
            .map_err(|source| Error::Io {
                path: fd_dir.clone(),
                source,
            })?
            .count() as u64;
        let ticks = self.clock_ticks as f64;
        let cpu = (stat.utime.saturating_add(stat.stime)) as f64 / ticks;
        let cpu_seconds = {
            let mut max = self.cpu_max.lock().unwrap_or_else(PoisonError::into_inner);
            *max = max.max(cpu);
            *max
        };
        Ok(ProcessSnapshot {
            cpu_seconds,
            resident_bytes: stat.rss.saturating_mul(self.page_size),
            virtual_bytes: stat.vsize,
            open_fds,
            max_fds: match limit {
                Limit::Value(v) => Some(v),
                Limit::Unlimited => None,
            },
            start_time_seconds: boot as f64 + stat.start_time as f64 / ticks,
        })
    }
}

impl Default for ProcessCollector {
    fn default() -> ProcessCollector {
        ProcessCollector::new()
    }
}

const CPU: Desc = Desc::counter(
    "process_cpu",
    "Total user and system CPU time spent in seconds.",
    Some(Unit::Seconds),
);
const RESIDENT: Desc = Desc::gauge(
    "process_resident_memory",
    "Resident memory size in bytes.",
    Some(Unit::Bytes),
);
const VIRTUAL: Desc = Desc::gauge(
    "process_virtual_memory",
    "Virtual memory size in bytes.",
    Some(Unit::Bytes),
);
const OPEN_FDS: Desc = Desc::gauge("process_open_fds", "Number of open file descriptors.", None);
const MAX_FDS: Desc = Desc::gauge(
    "process_max_fds",
    "Maximum number of open file descriptors.",
    None,
);
const START_TIME: Desc = Desc::gauge(
    "process_start_time",
    "Start time of the process since unix epoch in seconds.",
    Some(Unit::Seconds),
);

impl Collector for ProcessCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(s) = self.snapshot() else {
            return Ok(());
        };
        single(&mut enc, &CPU, Some(s.cpu_seconds))?;
        single(&mut enc, &MAX_FDS, s.max_fds.map(|v| v as f64))?;
        single(&mut enc, &OPEN_FDS, Some(s.open_fds as f64))?;
        single(&mut enc, &RESIDENT, Some(s.resident_bytes as f64))?;
        single(&mut enc, &START_TIME, Some(s.start_time_seconds))?;
        single(&mut enc, &VIRTUAL, Some(s.virtual_bytes as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_process() {
        let c = ProcessCollector::new();
        let s = c.refresh().unwrap();
        assert!(s.resident_bytes > 0);
        assert!(s.virtual_bytes >= s.resident_bytes);
        assert!(s.open_fds >= 3, "{}", s.open_fds);
        assert!(s.max_fds.is_none_or(|m| m >= s.open_fds));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        // Started before now, after the machine booted, within a day of
        // this test (boot time has 1 s resolution, so allow for it).
        assert!(
            s.start_time_seconds <= now + 1.0,
            "{} {now}",
            s.start_time_seconds
        );
        assert!(s.start_time_seconds > now - 86_400.0);
    }

    #[test]
    fn bad_options_and_missing_process() {
        assert!(ProcessCollector::builder().clock_ticks(0).build().is_err());
        let c = ProcessCollector::builder()
            .pid(Pid::Id(u32::MAX))
            .build()
            .unwrap();
        let err = c.refresh().unwrap_err();
        assert!(err.to_string().contains("/proc/4294967295/stat"), "{err}");
        assert!(c.snapshot().is_none());
    }
}
