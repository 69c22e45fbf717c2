//! The system collector: node_exporter's cpu, stat, meminfo, loadavg,
//! filesystem and netdev metrics.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::Error;
use crate::encode::{Desc, desc_family, family, single};
use crate::filesystem::{FsStat, FsUsage, MountFilter, Statvfs};
use crate::procfs::{
    self, CpuTicks, LoadAvg, MemField, MemUnit, NetDev, ProcStat, RECEIVE_COLUMNS, TRANSMIT_COLUMNS,
};

/// Opens `root/name` and parses it; errors name the real path.
pub(crate) fn read_proc<T>(
    root: &Path,
    name: &str,
    parse: impl FnOnce(File) -> Result<T, Error>,
) -> Result<T, Error> {
    let path = root.join(name);
    let file = File::open(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    parse(file).map_err(|e| e.at(path))
}

/// The clock ticks per second of /proc's CPU times (`USER_HZ`).
pub(crate) fn clock_ticks() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

/// A part of the system collector, named as node_exporter names its
/// collectors in `node_scrape_collector_success{collector}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Subsystem {
    /// CPU times, from /proc/stat.
    Cpu,
    /// Boot time, context switches, forks, interrupts, from /proc/stat.
    Stat,
    /// /proc/meminfo.
    Meminfo,
    /// /proc/loadavg.
    Loadavg,
    /// Mounts and statvfs.
    Filesystem,
    /// /proc/net/dev.
    Netdev,
}

impl Subsystem {
    /// node_exporter's name of the collector.
    pub fn name(self) -> &'static str {
        match self {
            Subsystem::Cpu => "cpu",
            Subsystem::Stat => "stat",
            Subsystem::Meminfo => "meminfo",
            Subsystem::Loadavg => "loadavg",
            Subsystem::Filesystem => "filesystem",
            Subsystem::Netdev => "netdev",
        }
    }
}

/// One reported filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filesystem {
    /// What is mounted.
    pub device: String,
    /// Where.
    pub mountpoint: String,
    /// Its type.
    pub fstype: String,
    /// Mounted read-only (`ro` among the mount options).
    pub read_only: bool,
    /// Its usage, or `None` when statvfs failed (`node_filesystem_device_error 1`).
    pub usage: Option<FsUsage>,
}

/// Everything one collection read, after the counter guard.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SystemSnapshot {
    /// /proc/stat, with CPU times that never go backwards (see
    /// [`SystemCollector`]).
    pub stat: Option<ProcStat>,
    /// /proc/meminfo.
    pub memory: Vec<MemField>,
    /// /proc/loadavg.
    pub load: Option<LoadAvg>,
    /// The mounts the filter kept, without duplicates.
    pub filesystems: Vec<Filesystem>,
    /// /proc/net/dev.
    pub network: Vec<NetDev>,
    /// Whether each subsystem was read.
    pub success: Vec<(Subsystem, bool)>,
    /// Clock ticks per second of the CPU times.
    pub clock_ticks: u64,
}

/// Builds a [`SystemCollector`].
#[derive(Debug)]
pub struct SystemCollectorBuilder {
    root: PathBuf,
    rootfs: PathBuf,
    fs: Arc<dyn FsStat>,
    filter: MountFilter,
    clock_ticks: Option<u64>,
}

impl SystemCollectorBuilder {
    /// Where /proc is (default `/proc`): a fixture directory in tests, or
    /// the host's /proc mounted into a container.
    pub fn procfs(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = root.into();
        self
    }

    /// Where the host's root filesystem is (default `/`): the mount points
    /// of the mount table are looked up under it for statvfs, and reported
    /// as the table says. For a container that mounts the host's `/` at
    /// `/host` and its /proc at `/host/proc` (node_exporter's
    /// `--path.rootfs`).
    pub fn rootfs(mut self, root: impl Into<PathBuf>) -> Self {
        self.rootfs = root.into();
        self
    }

    /// Where filesystem usage comes from (default [`Statvfs`]).
    pub fn fs_stat(mut self, fs: impl FsStat + 'static) -> Self {
        self.fs = Arc::new(fs);
        self
    }

    /// Which mounts to report (default [`MountFilter::default`]).
    pub fn mount_filter(mut self, filter: MountFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Clock ticks per second of /proc's CPU times (default: the running
    /// kernel's `USER_HZ`, 100 on every mainstream Linux).
    pub fn clock_ticks(mut self, ticks: u64) -> Self {
        self.clock_ticks = Some(ticks);
        self
    }

    /// The collector; an error for zero clock ticks.
    pub fn build(self) -> Result<SystemCollector, Error> {
        let clock_ticks = self.clock_ticks.unwrap_or_else(clock_ticks);
        if clock_ticks == 0 {
            return Err(Error::Option(
                "clock ticks per second must be more than 0".to_owned(),
            ));
        }
        Ok(SystemCollector {
            root: self.root,
            rootfs: self.rootfs,
            fs: self.fs,
            filter: self.filter,
            clock_ticks,
            cpus: Mutex::new(HashMap::new()),
            latest: RwLock::new(Arc::new(SystemSnapshot {
                clock_ticks,
                ..SystemSnapshot::default()
            })),
        })
    }
}

/// Collects node_exporter's system metrics from /proc and statvfs.
///
/// [`refresh`](Self::refresh) reads the files and keeps the result; the
/// [`Collector`] implementation writes the last result, so registering the
/// collector with a [`Registry`](prometheus_client::registry::Registry)
/// never does I/O during encoding, and one refresh can serve many scrapes
/// (collection on an interval) or each scrape can refresh first.
///
/// Families, with node_exporter's names, labels and help:
/// `node_cpu_seconds_total{cpu,mode}`, `node_cpu_guest_seconds_total{cpu,mode}`,
/// `node_boot_time_seconds`, `node_context_switches_total`,
/// `node_forks_total`, `node_intr_total`, `node_procs_running`,
/// `node_procs_blocked`, `node_memory_<Field>_bytes` (or without `_bytes`
/// for counts), `node_load1`, `node_load5`, `node_load15`,
/// `node_filesystem_{size,free,avail}_bytes{device,fstype,mountpoint}`,
/// `node_filesystem_{files,files_free,readonly,device_error}`,
/// `node_network_{receive,transmit}_<counter>_total{device}` and
/// `node_scrape_collector_success{collector}`.
///
/// CPU times never go backwards: a value below the last one reported (the
/// kernel's per-CPU iowait and idle are known to step back a little) is
/// reported as the last one, the maximum so far, as node_exporter's cpu
/// collector does. A CPU whose idle time falls by 3 seconds or more was taken
/// offline and back (hotplug), and its counters start over from the new
/// values, which Prometheus sees as a counter reset. Network counters are
/// passed through: they fall only when an interface is recreated, a real
/// reset that `rate()` handles, and clamping would flatten the new
/// interface's traffic until it passed the old total.
#[derive(Debug)]
pub struct SystemCollector {
    root: PathBuf,
    rootfs: PathBuf,
    fs: Arc<dyn FsStat>,
    filter: MountFilter,
    clock_ticks: u64,
    cpus: Mutex<HashMap<String, CpuTicks>>,
    latest: RwLock<Arc<SystemSnapshot>>,
}

/// Idle time that falls this much means the CPU restarted its counters.
const JUMP_BACK_SECONDS: u64 = 3;

/// The guarded value of one CPU's times: the field-wise maximum of `last`
/// and `new`, or `new` when idle fell by `reset_ticks` or more.
pub(crate) fn guard_cpu(last: Option<&CpuTicks>, new: CpuTicks, reset_ticks: u64) -> CpuTicks {
    let Some(last) = last else { return new };
    if last.idle >= new.idle.saturating_add(reset_ticks) {
        return new;
    }
    CpuTicks {
        user: last.user.max(new.user),
        nice: last.nice.max(new.nice),
        system: last.system.max(new.system),
        idle: last.idle.max(new.idle),
        iowait: last.iowait.max(new.iowait),
        irq: last.irq.max(new.irq),
        softirq: last.softirq.max(new.softirq),
        steal: last.steal.max(new.steal),
        guest: last.guest.max(new.guest),
        guest_nice: last.guest_nice.max(new.guest_nice),
    }
}

impl SystemCollector {
    /// A collector of the live system with the defaults.
    pub fn new() -> SystemCollector {
        SystemCollector {
            root: PathBuf::from("/proc"),
            rootfs: PathBuf::from("/"),
            fs: Arc::new(Statvfs),
            filter: MountFilter::default(),
            clock_ticks: clock_ticks(),
            cpus: Mutex::new(HashMap::new()),
            latest: RwLock::new(Arc::new(SystemSnapshot::default())),
        }
    }

    /// A builder, to read another /proc or choose the mounts.
    pub fn builder() -> SystemCollectorBuilder {
        SystemCollectorBuilder {
            root: PathBuf::from("/proc"),
            rootfs: PathBuf::from("/"),
            fs: Arc::new(Statvfs),
            filter: MountFilter::default(),
            clock_ticks: None,
        }
    }

    /// Reads every subsystem and keeps the result for encoding. A
    /// subsystem that fails is left out (and reported by
    /// `node_scrape_collector_success 0`); its error is returned, the
    /// others are still collected.
    pub fn refresh(&self) -> Vec<Error> {
        let mut errors = Vec::new();
        let mut success = Vec::with_capacity(6);
        let mut ok = |subsystems: &[Subsystem], result: Result<(), Error>| {
            for s in subsystems {
                success.push((*s, result.is_ok()));
            }
            if let Err(e) = result {
                errors.push(e);
            }
        };
        let mut snapshot = SystemSnapshot {
            clock_ticks: self.clock_ticks,
            ..SystemSnapshot::default()
        };
        let stat = read_proc(&self.root, "stat", procfs::parse_proc_stat).map(|mut stat| {
            self.guard(&mut stat);
            snapshot.stat = Some(stat);
        });
        ok(&[Subsystem::Cpu, Subsystem::Stat], stat);
        let memory =
            read_proc(&self.root, "meminfo", procfs::parse_meminfo).map(|m| snapshot.memory = m);
        ok(&[Subsystem::Meminfo], memory);
        let load = read_proc(&self.root, "loadavg", procfs::parse_loadavg)
            .map(|l| snapshot.load = Some(l));
        ok(&[Subsystem::Loadavg], load);
        let fs = self.filesystems().map(|f| snapshot.filesystems = f);
        ok(&[Subsystem::Filesystem], fs);
        let net =
            read_proc(&self.root, "net/dev", procfs::parse_net_dev).map(|n| snapshot.network = n);
        ok(&[Subsystem::Netdev], net);
        snapshot.success = success;
        *self.latest.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        errors
    }

    /// The last collection's result.
    pub fn snapshot(&self) -> Arc<SystemSnapshot> {
        Arc::clone(&self.latest.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn guard(&self, stat: &mut ProcStat) {
        let reset = JUMP_BACK_SECONDS.saturating_mul(self.clock_ticks);
        let mut last = self.cpus.lock().unwrap_or_else(PoisonError::into_inner);
        for (cpu, ticks) in &mut stat.cpus {
            *ticks = guard_cpu(last.get(cpu.as_str()), *ticks, reset);
            last.insert(cpu.clone(), *ticks);
        }
    }

    fn filesystems(&self) -> Result<Vec<Filesystem>, Error> {
        // The mounts of PID 1, as node_exporter reads them: in a container
        // given the host's /proc, those are the host's. Our own when PID 1's
        // are not readable.
        let mounts = read_proc(&self.root, "1/mounts", procfs::parse_mounts)
            .or_else(|_| read_proc(&self.root, "self/mounts", procfs::parse_mounts))?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for m in mounts {
            if !self.filter.includes(&m.mountpoint, &m.fstype) {
                continue;
            }
            if !seen.insert((m.device.clone(), m.mountpoint.clone(), m.fstype.clone())) {
                continue;
            }
            let path = self.rootfs.join(m.mountpoint.trim_start_matches('/'));
            let usage = self.fs.usage(&path).ok();
            out.push(Filesystem {
                read_only: m.options.split(',').any(|o| o == "ro"),
                device: m.device,
                mountpoint: m.mountpoint,
                fstype: m.fstype,
                usage,
            });
        }
        Ok(out)
    }
}

impl Default for SystemCollector {
    fn default() -> SystemCollector {
        SystemCollector::new()
    }
}

const CPU: Desc = Desc::counter(
    "node_cpu",
    "Seconds the CPUs spent in each mode.",
    Some(Unit::Seconds),
);
const CPU_GUEST: Desc = Desc::counter(
    "node_cpu_guest",
    "Seconds the CPUs spent in guests (VMs) for each mode.",
    Some(Unit::Seconds),
);
const BOOT_TIME: Desc = Desc::gauge(
    "node_boot_time",
    "Node boot time, in unixtime.",
    Some(Unit::Seconds),
);
const CONTEXT_SWITCHES: Desc = Desc::counter(
    "node_context_switches",
    "Total number of context switches.",
    None,
);
const FORKS: Desc = Desc::counter("node_forks", "Total number of forks.", None);
const INTERRUPTS: Desc = Desc::counter("node_intr", "Total number of interrupts serviced.", None);
const PROCS_RUNNING: Desc = Desc::gauge(
    "node_procs_running",
    "Number of processes in runnable state.",
    None,
);
const PROCS_BLOCKED: Desc = Desc::gauge(
    "node_procs_blocked",
    "Number of processes blocked waiting for I/O to complete.",
    None,
);
const LOAD: [Desc; 3] = [
    Desc::gauge("node_load1", "1m load average.", None),
    Desc::gauge("node_load5", "5m load average.", None),
    Desc::gauge("node_load15", "15m load average.", None),
];
const FS_SIZE: Desc = Desc::gauge(
    "node_filesystem_size",
    "Filesystem size in bytes.",
    Some(Unit::Bytes),
);
const FS_FREE: Desc = Desc::gauge(
    "node_filesystem_free",
    "Filesystem free space in bytes.",
    Some(Unit::Bytes),
);
const FS_AVAIL: Desc = Desc::gauge(
    "node_filesystem_avail",
    "Filesystem space available to non-root users in bytes.",
    Some(Unit::Bytes),
);
const FS_FILES: Desc = Desc::gauge(
    "node_filesystem_files",
    "Filesystem total file nodes.",
    None,
);
const FS_FILES_FREE: Desc = Desc::gauge(
    "node_filesystem_files_free",
    "Filesystem total free file nodes.",
    None,
);
const FS_READONLY: Desc = Desc::gauge(
    "node_filesystem_readonly",
    "Filesystem read-only status.",
    None,
);
const FS_DEVICE_ERROR: Desc = Desc::gauge(
    "node_filesystem_device_error",
    "Whether an error occurred while getting statistics for the given device.",
    None,
);
const SCRAPE_SUCCESS: Desc = Desc::gauge(
    "node_scrape_collector_success",
    "Whether a collector succeeded.",
    None,
);

/// Network family names and help, built once: `node_network_receive_bytes`
/// and "Network device statistic receive_bytes.".
fn network_descs() -> &'static [(String, String); 16] {
    static DESCS: std::sync::OnceLock<[(String, String); 16]> = std::sync::OnceLock::new();
    DESCS.get_or_init(|| {
        std::array::from_fn(|i| {
            let stat = if i < 8 {
                format!("receive_{}", RECEIVE_COLUMNS[i])
            } else {
                format!("transmit_{}", TRANSMIT_COLUMNS[i - 8])
            };
            (
                format!("node_network_{stat}"),
                format!("Network device statistic {stat}."),
            )
        })
    })
}

impl SystemSnapshot {
    /// Writes the snapshot's families.
    pub(crate) fn encode_into(
        &self,
        mut enc: DescriptorEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        let ticks = self.clock_ticks.max(1) as f64;
        if let Some(stat) = &self.stat {
            let cpu_samples = stat.cpus.iter().flat_map(|(cpu, t)| {
                t.modes().into_iter().map(move |(mode, v)| {
                    ([("cpu", cpu.as_str()), ("mode", mode)], v as f64 / ticks)
                })
            });
            desc_family(&mut enc, &CPU, cpu_samples)?;
            let guest = stat.cpus.iter().flat_map(|(cpu, t)| {
                [("nice", t.guest_nice), ("user", t.guest)]
                    .into_iter()
                    .map(move |(mode, v)| {
                        ([("cpu", cpu.as_str()), ("mode", mode)], v as f64 / ticks)
                    })
            });
            desc_family(&mut enc, &CPU_GUEST, guest)?;
            let f = |v: Option<u64>| v.map(|v| v as f64);
            single(&mut enc, &BOOT_TIME, f(stat.boot_time))?;
            single(&mut enc, &CONTEXT_SWITCHES, f(stat.context_switches))?;
            single(&mut enc, &FORKS, f(stat.forks))?;
            single(&mut enc, &INTERRUPTS, f(stat.interrupts))?;
            single(&mut enc, &PROCS_BLOCKED, f(stat.procs_blocked))?;
            single(&mut enc, &PROCS_RUNNING, f(stat.procs_running))?;
        }
        for field in &self.memory {
            let name = format!("node_memory_{}", field.name);
            let help = match field.unit {
                MemUnit::Bytes => format!("Memory information field {}_bytes.", field.name),
                MemUnit::Count => format!("Memory information field {}.", field.name),
            };
            let unit = (field.unit == MemUnit::Bytes).then_some(Unit::Bytes);
            let sample = [([] as [(&str, &str); 0], field.value as f64)];
            family(
                &mut enc,
                &name,
                &help,
                unit.as_ref(),
                MetricType::Gauge,
                sample,
            )?;
        }
        if let Some(load) = &self.load {
            for (desc, v) in LOAD.iter().zip([load.one, load.five, load.fifteen]) {
                single(&mut enc, desc, Some(v))?;
            }
        }
        let fs_labels = |f: &'_ Filesystem| {
            [
                ("device", f.device.clone()),
                ("fstype", f.fstype.clone()),
                ("mountpoint", f.mountpoint.clone()),
            ]
        };
        let usage_family = |enc: &mut DescriptorEncoder<'_>,
                            desc: &Desc,
                            get: fn(&FsUsage) -> u64|
         -> Result<(), std::fmt::Error> {
            let samples = self
                .filesystems
                .iter()
                .filter_map(|f| f.usage.as_ref().map(|u| (fs_labels(f), get(u) as f64)));
            desc_family(enc, desc, samples)
        };
        usage_family(&mut enc, &FS_AVAIL, |u| u.avail_bytes)?;
        let errors = self
            .filesystems
            .iter()
            .map(|f| (fs_labels(f), if f.usage.is_none() { 1.0 } else { 0.0 }));
        desc_family(&mut enc, &FS_DEVICE_ERROR, errors)?;
        usage_family(&mut enc, &FS_FILES, |u| u.files)?;
        usage_family(&mut enc, &FS_FILES_FREE, |u| u.files_free)?;
        usage_family(&mut enc, &FS_FREE, |u| u.free_bytes)?;
        let readonly = self
            .filesystems
            .iter()
            .map(|f| (fs_labels(f), if f.read_only { 1.0 } else { 0.0 }));
        desc_family(&mut enc, &FS_READONLY, readonly)?;
        usage_family(&mut enc, &FS_SIZE, |u| u.size_bytes)?;
        for (i, (name, help)) in network_descs().iter().enumerate() {
            let samples = self.network.iter().map(|d| {
                let v = if i < 8 {
                    d.receive[i]
                } else {
                    d.transmit[i - 8]
                };
                ([("device", d.device.as_str())], v as f64)
            });
            family(&mut enc, name, help, None, MetricType::Counter, samples)?;
        }
        let success = self
            .success
            .iter()
            .map(|(s, ok)| ([("collector", s.name())], if *ok { 1.0 } else { 0.0 }));
        desc_family(&mut enc, &SCRAPE_SUCCESS, success)
    }
}

impl Collector for SystemCollector {
    fn encode(&self, encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        self.snapshot().encode_into(encoder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ticks(v: [u64; 10]) -> CpuTicks {
        CpuTicks {
            user: v[0],
            nice: v[1],
            system: v[2],
            idle: v[3],
            iowait: v[4],
            irq: v[5],
            softirq: v[6],
            steal: v[7],
            guest: v[8],
            guest_nice: v[9],
        }
    }

    fn fields(t: &CpuTicks) -> [u64; 10] {
        [
            t.user,
            t.nice,
            t.system,
            t.idle,
            t.iowait,
            t.irq,
            t.softirq,
            t.steal,
            t.guest,
            t.guest_nice,
        ]
    }

    #[test]
    fn small_steps_back_are_clamped_and_hotplug_resets() {
        let a = ticks([100, 0, 50, 1000, 20, 0, 0, 0, 0, 0]);
        // iowait steps back by 2 ticks: reported as before.
        let b = ticks([110, 0, 55, 1100, 18, 0, 0, 0, 0, 0]);
        let g = guard_cpu(Some(&a), b, 300);
        assert_eq!(g.iowait, 20);
        assert_eq!(g.user, 110);
        // Idle falls by 3 s (300 ticks): the CPU came back, start over.
        let c = ticks([5, 0, 5, 800, 1, 0, 0, 0, 0, 0]);
        assert_eq!(guard_cpu(Some(&g), c, 300), c);
    }

    proptest! {
        /// Across any sequence of readings, every reported CPU counter is
        /// at least the last one reported, unless that CPU's idle time
        /// fell by the reset threshold or more (a hotplug reset).
        #[test]
        fn cpu_counters_never_go_backwards(
            readings in proptest::collection::vec(proptest::array::uniform10(0u64..2000), 1..20)
        ) {
            let reset = 300;
            let mut last: Option<CpuTicks> = None;
            for r in readings {
                let new = ticks(r);
                let reported = guard_cpu(last.as_ref(), new, reset);
                if let Some(prev) = &last {
                    if prev.idle >= new.idle + reset {
                        prop_assert_eq!(reported, new);
                    } else {
                        for (p, n) in fields(prev).iter().zip(fields(&reported)) {
                            prop_assert!(n >= *p);
                        }
                        // Never more than what was read.
                        for ((p, n), raw) in fields(prev).iter().zip(fields(&reported)).zip(r) {
                            prop_assert_eq!(n, (*p).max(raw));
                        }
                    }
                } else {
                    prop_assert_eq!(reported, new);
                }
                last = Some(reported);
            }
        }
    }
}
