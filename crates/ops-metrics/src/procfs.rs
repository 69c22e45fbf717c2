//! Parsers of the /proc files the collectors read.
//!
//! Each takes any reader, so tests run on fixtures as well as on the live
//! /proc, and returns the kernel's numbers unchanged (ticks, kB already
//! turned into bytes where the file says kB). Text that is not what the
//! kernel writes is an [`Error::Parse`] naming the file and line, never a
//! panic; lines a parser does not need are skipped, so new kernel fields do
//! not break it.

use std::io::Read;
use std::path::PathBuf;

use crate::Error;

/// The most a parser reads: far above any real /proc file (a /proc/stat of
/// 4096 CPUs is under 1 MiB), so a runaway reader cannot exhaust memory.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Reads all of `reader`, up to [`MAX_FILE_BYTES`]; invalid UTF-8 becomes
/// U+FFFD (interface and device names are bytes to the kernel, label
/// values are UTF-8 to Prometheus).
pub(crate) fn read_text<R: Read>(reader: R, name: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    let limit = MAX_FILE_BYTES as u64 + 1;
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: PathBuf::from(name),
            source,
        })?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: PathBuf::from(name),
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn parse_error(name: &str, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        path: PathBuf::from(name),
        line,
        message: message.into(),
    }
}

fn number(name: &str, line: usize, what: &str, text: &str) -> Result<u64, Error> {
    text.parse().map_err(|_| {
        parse_error(
            name,
            line,
            format!("{what}: {text:?} is not a whole number"),
        )
    })
}

/// CPU time of one CPU (or of all), in clock ticks (`USER_HZ`), in the
/// order of /proc/stat's columns. Columns an old kernel lacks are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CpuTicks {
    /// Normal processes in user mode.
    pub user: u64,
    /// Niced processes in user mode.
    pub nice: u64,
    /// Kernel mode.
    pub system: u64,
    /// Idle.
    pub idle: u64,
    /// Waiting for I/O.
    pub iowait: u64,
    /// Servicing interrupts.
    pub irq: u64,
    /// Servicing softirqs.
    pub softirq: u64,
    /// Stolen by the hypervisor.
    pub steal: u64,
    /// Running a guest (included in `user`).
    pub guest: u64,
    /// Running a niced guest (included in `nice`).
    pub guest_nice: u64,
}

impl CpuTicks {
    /// The modes of `node_cpu_seconds_total`, with their ticks.
    pub fn modes(&self) -> [(&'static str, u64); 8] {
        [
            ("idle", self.idle),
            ("iowait", self.iowait),
            ("irq", self.irq),
            ("nice", self.nice),
            ("softirq", self.softirq),
            ("steal", self.steal),
            ("system", self.system),
            ("user", self.user),
        ]
    }

    fn from_columns(columns: &[u64]) -> CpuTicks {
        let at = |i: usize| columns.get(i).copied().unwrap_or(0);
        CpuTicks {
            user: at(0),
            nice: at(1),
            system: at(2),
            idle: at(3),
            iowait: at(4),
            irq: at(5),
            softirq: at(6),
            steal: at(7),
            guest: at(8),
            guest_nice: at(9),
        }
    }
}

/// What /proc/stat says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcStat {
    /// The `cpu` line: all CPUs together.
    pub total: Option<CpuTicks>,
    /// The `cpuN` lines, in file order, with N as text (`"0"`).
    pub cpus: Vec<(String, CpuTicks)>,
    /// `btime`: boot time, seconds since the Unix epoch.
    pub boot_time: Option<u64>,
    /// `ctxt`: context switches since boot.
    pub context_switches: Option<u64>,
    /// `processes`: forks since boot.
    pub forks: Option<u64>,
    /// First number of `intr`: interrupts serviced since boot.
    pub interrupts: Option<u64>,
    /// `procs_running`.
    pub procs_running: Option<u64>,
    /// `procs_blocked`.
    pub procs_blocked: Option<u64>,
}

/// Parses /proc/stat.
///
/// ```
/// let text = "cpu  10 0 5 100 1 0 0 0 0 0\ncpu0 10 0 5 100 1 0 0 0 0 0\nbtime 1700000000\n";
/// let stat = ops_metrics::parse_proc_stat(text.as_bytes())?;
/// assert_eq!(stat.cpus[0].0, "0");
/// assert_eq!(stat.cpus[0].1.idle, 100);
/// assert_eq!(stat.boot_time, Some(1_700_000_000));
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_proc_stat<R: Read>(reader: R) -> Result<ProcStat, Error> {
    const NAME: &str = "/proc/stat";
    let text = read_text(reader, NAME)?;
    let mut stat = ProcStat::default();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut fields = line.split_ascii_whitespace();
        let Some(key) = fields.next() else { continue };
        if let Some(id) = key.strip_prefix("cpu") {
            let mut columns = [0u64; 10];
            let mut count = 0;
            for field in fields {
                // Columns past the tenth are from a future kernel: ignored.
                if count < columns.len() {
                    columns[count] = number(NAME, n, key, field)?;
                }
                count += 1;
            }
            if count < 4 {
                return Err(parse_error(
                    NAME,
                    n,
                    format!("{key}: {count} columns, want at least 4"),
                ));
            }
            let ticks = CpuTicks::from_columns(&columns[..count.min(columns.len())]);
            if id.is_empty() {
                stat.total = Some(ticks);
            } else if id.bytes().all(|b| b.is_ascii_digit()) {
                stat.cpus.push((id.to_owned(), ticks));
            } else {
                return Err(parse_error(NAME, n, format!("{key:?} is not cpu<N>")));
            }
            continue;
        }
        let slot = match key {
            "btime" => &mut stat.boot_time,
            "ctxt" => &mut stat.context_switches,
            "processes" => &mut stat.forks,
            "intr" => &mut stat.interrupts,
            "procs_running" => &mut stat.procs_running,
            "procs_blocked" => &mut stat.procs_blocked,
            _ => continue,
        };
        let value = fields
            .next()
            .ok_or_else(|| parse_error(NAME, n, format!("{key}: no value")))?;
        *slot = Some(number(NAME, n, key, value)?);
    }
    Ok(stat)
}

/// The unit of a /proc/meminfo field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemUnit {
    /// Bytes (the file says kB; the value is already multiplied by 1024).
    Bytes,
    /// A plain count, such as `HugePages_Total`.
    Count,
}

/// One line of /proc/meminfo.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemField {
    /// The field's name as node_exporter spells it in metric names:
    /// `Active(anon)` becomes `Active_anon`.
    pub name: String,
    /// The value, in bytes for [`MemUnit::Bytes`].
    pub value: u64,
    /// Bytes or a count.
    pub unit: MemUnit,
}

/// Parses /proc/meminfo into its fields, in file order.
///
/// ```
/// let text = "MemTotal:       16314332 kB\nActive(anon):     1024 kB\nHugePages_Total:       0\n";
/// let fields = ops_metrics::parse_meminfo(text.as_bytes())?;
/// assert_eq!(fields[0].value, 16314332 * 1024);
/// assert_eq!(fields[1].name, "Active_anon");
/// assert_eq!(fields[2].unit, ops_metrics::MemUnit::Count);
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_meminfo<R: Read>(reader: R) -> Result<Vec<MemField>, Error> {
    const NAME: &str = "/proc/meminfo";
    let text = read_text(reader, NAME)?;
    let mut fields = Vec::with_capacity(64);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let (key, rest) = line
            .split_once(':')
            .ok_or_else(|| parse_error(NAME, n, "no `:` after the field name"))?;
        let mut parts = rest.split_ascii_whitespace();
        let value = parts
            .next()
            .ok_or_else(|| parse_error(NAME, n, format!("{key}: no value")))?;
        let value = number(NAME, n, key, value)?;
        let (value, unit) = match parts.next() {
            None => (value, MemUnit::Count),
            Some("kB") => (
                value
                    .checked_mul(1024)
                    .ok_or_else(|| parse_error(NAME, n, format!("{key}: {value} kB overflows")))?,
                MemUnit::Bytes,
            ),
            Some(other) => {
                return Err(parse_error(
                    NAME,
                    n,
                    format!("{key}: unknown unit {other:?}"),
                ));
            }
        };
        let name = metric_safe(key.trim());
        if name.is_empty() {
            return Err(parse_error(NAME, n, "empty field name"));
        }
        fields.push(MemField { name, value, unit });
    }
    Ok(fields)
}

/// node_exporter's spelling of a meminfo key in a metric name: `(` becomes
/// `_`, `)` goes, anything else outside `[A-Za-z0-9_]` becomes `_`.
fn metric_safe(key: &str) -> String {
    key.chars()
        .filter(|&c| c != ')')
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// /proc/loadavg's three load averages.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoadAvg {
    /// Over 1 minute.
    pub one: f64,
    /// Over 5 minutes.
    pub five: f64,
    /// Over 15 minutes.
    pub fifteen: f64,
}

/// Parses /proc/loadavg.
///
/// ```
/// let load = ops_metrics::parse_loadavg(&b"0.20 0.18 0.12 1/80 11206\n"[..])?;
/// assert_eq!(load.five, 0.18);
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_loadavg<R: Read>(reader: R) -> Result<LoadAvg, Error> {
    const NAME: &str = "/proc/loadavg";
    let text = read_text(reader, NAME)?;
    let mut fields = text.split_ascii_whitespace();
    let mut next = |what: &str| -> Result<f64, Error> {
        let field = fields
            .next()
            .ok_or_else(|| parse_error(NAME, 1, format!("no {what} load average")))?;
        field
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| parse_error(NAME, 1, format!("{what}: {field:?} is not a load average")))
    };
    Ok(LoadAvg {
        one: next("1-minute")?,
        five: next("5-minute")?,
        fifteen: next("15-minute")?,
    })
}

/// Names of [`NetDev::receive`]'s columns, in order, as node_exporter
/// spells them in `node_network_receive_<name>_total`.
pub const RECEIVE_COLUMNS: [&str; 8] = [
    "bytes",
    "packets",
    "errs",
    "drop",
    "fifo",
    "frame",
    "compressed",
    "multicast",
];

/// Names of [`NetDev::transmit`]'s columns, in order.
pub const TRANSMIT_COLUMNS: [&str; 8] = [
    "bytes",
    "packets",
    "errs",
    "drop",
    "fifo",
    "colls",
    "carrier",
    "compressed",
];

/// One interface of /proc/net/dev.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetDev {
    /// The interface name.
    pub device: String,
    /// Receive counters, named by [`RECEIVE_COLUMNS`].
    pub receive: [u64; 8],
    /// Transmit counters, named by [`TRANSMIT_COLUMNS`].
    pub transmit: [u64; 8],
}

/// Parses /proc/net/dev (two header lines, then one line per interface).
///
/// ```
/// let text = "Inter-|   Receive                                                |  Transmit
///  face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
///     lo: 2776770   11307    0    0    0     0          0         0  2776770   11307    0    0    0     0       0          0
/// ";
/// let devs = ops_metrics::parse_net_dev(text.as_bytes())?;
/// assert_eq!(devs[0].device, "lo");
/// assert_eq!(devs[0].receive[0], 2776770);
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_net_dev<R: Read>(reader: R) -> Result<Vec<NetDev>, Error> {
    const NAME: &str = "/proc/net/dev";
    let text = read_text(reader, NAME)?;
    let mut devs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if n <= 2 {
            if !line.contains('|') {
                return Err(parse_error(NAME, n, "not the /proc/net/dev header"));
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        // Interface names cannot hold `:` (the kernel refuses them).
        let (device, rest) = line
            .split_once(':')
            .ok_or_else(|| parse_error(NAME, n, "no `:` after the interface name"))?;
        let device = device.trim();
        if device.is_empty() {
            return Err(parse_error(NAME, n, "empty interface name"));
        }
        let mut columns = [0u64; 16];
        let mut count = 0;
        for field in rest.split_ascii_whitespace() {
            let slot = columns
                .get_mut(count)
                .ok_or_else(|| parse_error(NAME, n, format!("{device}: more than 16 counters")))?;
            *slot = number(NAME, n, device, field)?;
            count += 1;
        }
        if count != 16 {
            return Err(parse_error(
                NAME,
                n,
                format!("{device}: {count} counters, want 16"),
            ));
        }
        let mut receive = [0; 8];
        let mut transmit = [0; 8];
        receive.copy_from_slice(&columns[..8]);
        transmit.copy_from_slice(&columns[8..]);
        devs.push(NetDev {
            device: device.to_owned(),
            receive,
            transmit,
        });
    }
    Ok(devs)
}

/// One line of /proc/self/mounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mount {
    /// What is mounted (`/dev/sda1`, `tmpfs`).
    pub device: String,
    /// Where.
    pub mountpoint: String,
    /// The filesystem type (`ext4`).
    pub fstype: String,
    /// Mount options (`rw,relatime`).
    pub options: String,
}

/// Parses /proc/self/mounts (or /proc/mounts), undoing the kernel's octal
/// escapes (`\040` for a space).
///
/// ```
/// let text = "/dev/sda1 / ext4 rw,relatime 0 0\n/dev/sdb1 /mnt/my\\040disk vfat ro 0 0\n";
/// let mounts = ops_metrics::parse_mounts(text.as_bytes())?;
/// assert_eq!(mounts[1].mountpoint, "/mnt/my disk");
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_mounts<R: Read>(reader: R) -> Result<Vec<Mount>, Error> {
    const NAME: &str = "/proc/self/mounts";
    let text = read_text(reader, NAME)?;
    let mut mounts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_ascii_whitespace();
        let Some(device) = fields.next() else {
            continue;
        };
        let mut field = |what: &str| {
            fields
                .next()
                .map(unescape_octal)
                .ok_or_else(|| parse_error(NAME, i + 1, format!("no {what}")))
        };
        let mountpoint = field("mount point")?;
        let fstype = field("filesystem type")?;
        let options = field("mount options")?;
        mounts.push(Mount {
            device: unescape_octal(device),
            mountpoint,
            fstype,
            options,
        });
    }
    Ok(mounts)
}

/// `\NNN` (three octal digits) to the byte it stands for; anything else
/// as it is.
fn unescape_octal(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_owned();
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .map(|d| d.iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0')));
        match octal.and_then(|v| u8::try_from(v).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fields of /proc/PID/stat the process collector needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PidStat {
    /// CPU time in user mode, in clock ticks.
    pub utime: u64,
    /// CPU time in kernel mode, in clock ticks.
    pub stime: u64,
    /// Start time, in clock ticks after boot.
    pub start_time: u64,
    /// Virtual memory size, in bytes.
    pub vsize: u64,
    /// Resident set size, in pages.
    pub rss: u64,
}

/// Parses /proc/PID/stat. The command name, in parentheses, may itself hold
/// spaces and parentheses: the fields start after the last `)`.
///
/// ```
/// let text = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194304 100 0 0 0 25 7 0 0 20 0 1 0 500 10485760 300 18446744073709551615\n";
/// let stat = ops_metrics::parse_pid_stat(text.as_bytes())?;
/// assert_eq!((stat.utime, stat.stime, stat.start_time), (25, 7, 500));
/// assert_eq!((stat.vsize, stat.rss), (10_485_760, 300));
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_pid_stat<R: Read>(reader: R) -> Result<PidStat, Error> {
    const NAME: &str = "/proc/self/stat";
    let text = read_text(reader, NAME)?;
    let (_, rest) = text
        .rsplit_once(')')
        .ok_or_else(|| parse_error(NAME, 1, "no `)` after the command name"))?;
    // Field 3 (state) is index 0 here: field N is index N - 3.
    let fields: Vec<&str> = rest.split_ascii_whitespace().take(22).collect();
    let at = |field: usize, what: &str| -> Result<u64, Error> {
        let text = fields
            .get(field - 3)
            .ok_or_else(|| parse_error(NAME, 1, format!("no field {field} ({what})")))?;
        number(NAME, 1, what, text)
    };
    Ok(PidStat {
        utime: at(14, "utime")?,
        stime: at(15, "stime")?,
        start_time: at(22, "starttime")?,
        vsize: at(23, "vsize")?,
        rss: at(24, "rss")?,
    })
}

/// A resource limit of /proc/PID/limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// A finite limit.
    Value(u64),
    /// `unlimited`.
    Unlimited,
}

/// Parses the soft limit of `Max open files` from /proc/PID/limits.
///
/// ```
/// let text = "Limit                     Soft Limit           Hard Limit           Units\n\
///             Max open files            1024                 1048576              files\n";
/// let limit = ops_metrics::parse_max_open_files(text.as_bytes())?;
/// assert_eq!(limit, ops_metrics::Limit::Value(1024));
/// # Ok::<(), ops_metrics::Error>(())
/// ```
pub fn parse_max_open_files<R: Read>(reader: R) -> Result<Limit, Error> {
    const NAME: &str = "/proc/self/limits";
    const KEY: &str = "Max open files";
    let text = read_text(reader, NAME)?;
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix(KEY) {
            let soft = rest
                .split_ascii_whitespace()
                .next()
                .ok_or_else(|| parse_error(NAME, i + 1, "no soft limit of open files"))?;
            return if soft == "unlimited" {
                Ok(Limit::Unlimited)
            } else {
                number(NAME, i + 1, KEY, soft).map(Limit::Value)
            };
        }
    }
    Err(parse_error(NAME, 0, "no `Max open files` line"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stat_errors_name_the_line() {
        let err = parse_proc_stat(&b"cpu 1 2 3 4\ncpu0 1 x 3 4\n"[..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proc/stat:2: cpu0: \"x\" is not a whole number"
        );
        let err = parse_proc_stat(&b"cpu0 1 2\n"[..]).unwrap_err();
        assert!(
            err.to_string().contains("2 columns, want at least 4"),
            "{err}"
        );
        let err = parse_proc_stat(&b"cpufreq 1 2 3 4\n"[..]).unwrap_err();
        assert!(err.to_string().contains("is not cpu<N>"), "{err}");
    }

    #[test]
    fn old_kernels_lack_columns() {
        let stat = parse_proc_stat(&b"cpu0 1 2 3 4\n"[..]).unwrap();
        assert_eq!(
            stat.cpus[0].1,
            CpuTicks {
                user: 1,
                nice: 2,
                system: 3,
                idle: 4,
                ..CpuTicks::default()
            }
        );
    }

    #[test]
    fn meminfo_rejects_unknown_units_and_overflow() {
        let err = parse_meminfo(&b"MemTotal: 5 MB\n"[..]).unwrap_err();
        assert!(err.to_string().contains("unknown unit"), "{err}");
        let big = format!("MemTotal: {} kB\n", u64::MAX);
        let err = parse_meminfo(big.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("overflows"), "{err}");
    }

    #[test]
    fn octal_escapes() {
        assert_eq!(unescape_octal(r"a\040b\011c"), "a b\tc");
        assert_eq!(unescape_octal(r"\134"), "\\");
        // Not three octal digits: left alone.
        assert_eq!(unescape_octal(r"a\09b\"), r"a\09b\");
        // Above 255: left alone.
        assert_eq!(unescape_octal(r"\777"), r"\777");
    }

    #[test]
    fn limits_unlimited_and_missing() {
        let text = b"Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_max_open_files(&text[..]).unwrap(), Limit::Unlimited);
        assert!(parse_max_open_files(&b"Max processes 1 1\n"[..]).is_err());
    }

    #[test]
    fn too_large_input_is_an_error() {
        let reader = std::io::repeat(b'1').take(MAX_FILE_BYTES as u64 + 10);
        let err = parse_loadavg(reader).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_proc_stat(&bytes[..]);
            let _ = parse_meminfo(&bytes[..]);
            let _ = parse_loadavg(&bytes[..]);
            let _ = parse_net_dev(&bytes[..]);
            let _ = parse_mounts(&bytes[..]);
            let _ = parse_pid_stat(&bytes[..]);
            let _ = parse_max_open_files(&bytes[..]);
        }

        #[test]
        fn parsers_never_panic_on_near_valid_text(
            lines in proptest::collection::vec(
                "(cpu[0-9]?|btime|intr|[A-Za-z()]{1,8}:|  lo:|/dev/x /mnt[\\\\0-7]{0,5}) ?[0-9 .a-z/\\\\]{0,40}",
                0..8,
            )
        ) {
            let text = format!("a|b\nc|d\n{}", lines.join("\n"));
            let _ = parse_proc_stat(text.as_bytes());
            let _ = parse_meminfo(text.as_bytes());
            let _ = parse_net_dev(text.as_bytes());
            let _ = parse_mounts(text.as_bytes());
            let _ = parse_pid_stat(text.as_bytes());
        }

        #[test]
        fn cpu_lines_round_trip(cols in proptest::collection::vec(any::<u64>(), 10)) {
            let line = format!("cpu7 {}\n", cols.iter().map(u64::to_string).collect::<Vec<_>>().join(" "));
            let stat = parse_proc_stat(line.as_bytes()).unwrap();
            prop_assert_eq!(stat.cpus[0].1, CpuTicks::from_columns(&cols));
        }
    }
}
