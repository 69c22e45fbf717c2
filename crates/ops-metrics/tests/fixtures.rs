//! The collectors on /proc fixtures: exact samples, both formats, promtool.

mod common;

use common::{FsTable, promtool_check_metrics, samples, testdata};
use ops_metrics::{Format, ProcessCollector, SystemCollector, encode};
use prometheus_client::registry::Registry;

fn fixture_registry(machine: &str) -> (Registry, Vec<ops_metrics::Error>) {
    let root = testdata().join("proc").join(machine);
    let system = SystemCollector::builder()
        .procfs(&root)
        .fs_stat(FsTable::load(
            &testdata().join("proc").join(format!("{machine}.statvfs")),
        ))
        .clock_ticks(100)
        .build()
        .unwrap();
    let process = ProcessCollector::builder()
        .procfs(&root)
        .clock_ticks(100)
        .page_size(4096)
        .build()
        .unwrap();
    let errors = system.refresh();
    process.refresh().unwrap();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(system));
    registry.register_collector(Box::new(process));
    (registry, errors)
}

fn render(registry: &Registry, format: Format) -> String {
    let mut out = String::new();
    encode(&mut out, registry, format).unwrap();
    out
}

#[test]
fn fixture_gives_the_expected_exposition() {
    let (registry, errors) = fixture_registry("debian-2cpu");
    assert!(errors.is_empty(), "{errors:?}");
    let text = render(&registry, Format::Text004);
    let expected_path = testdata().join("proc/debian-2cpu.prom");
    if std::env::var_os("OPS_METRICS_BLESS").is_some() {
        std::fs::write(&expected_path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    assert_eq!(
        text,
        expected,
        "set OPS_METRICS_BLESS=1 to rewrite {}",
        expected_path.display()
    );
}

#[test]
fn fixture_samples_computed_by_hand() {
    let (registry, _) = fixture_registry("debian-2cpu");
    let text = render(&registry, Format::Text004);
    let has = |line: &str| {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    };
    // /proc/stat `cpu0 28298 0 3486 61845 424 0 91 311 0 0` at 100 ticks/s.
    has(r#"node_cpu_seconds_total{cpu="0",mode="user"} 282.98"#);
    has(r#"node_cpu_seconds_total{cpu="0",mode="idle"} 618.45"#);
    has(r#"node_cpu_seconds_total{cpu="1",mode="steal"} 3.08"#);
    has(r#"node_cpu_guest_seconds_total{cpu="1",mode="user"} 0.0"#);
    has("node_boot_time_seconds 1796155710.0");
    has("node_context_switches_total 634370.0");
    has("node_forks_total 21321.0");
    has("node_intr_total 478799.0");
    // meminfo in kB, times 1024; a count stays a count.
    let mem_total: u64 = std::fs::read_to_string(testdata().join("proc/debian-2cpu/meminfo"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap();
    has(&format!(
        "node_memory_MemTotal_bytes {}.0",
        mem_total * 1024
    ));
    has("node_memory_HugePages_Total 0.0");
    assert!(text.contains("node_memory_Active_anon_bytes "));
    // The escaped mount point, read-only; the duplicate root once; the
    // NFS mount whose statvfs failed only as a device error.
    has(
        r#"node_filesystem_size_bytes{device="/dev/vdb1",fstype="xfs",mountpoint="/srv/my data"} 1073741824000.0"#,
    );
    has(
        r#"node_filesystem_readonly{device="/dev/vdb1",fstype="xfs",mountpoint="/srv/my data"} 1.0"#,
    );
    has(
        r#"node_filesystem_avail_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"} 55825276928.0"#,
    );
    assert_eq!(
        text.matches(r#"node_filesystem_size_bytes{device="/dev/vda1""#)
            .count(),
        1
    );
    has(
        r#"node_filesystem_device_error{device="nas:/export",fstype="nfs4",mountpoint="/mnt/nas"} 1.0"#,
    );
    assert!(!text.contains(r#"node_filesystem_size_bytes{device="nas:/export""#));
    // Excluded by node_exporter's defaults.
    for gone in [
        "/proc",
        "/sys",
        "/dev/shm",
        "/var/lib/docker",
        "/snap/core22",
        "cgroup2",
    ] {
        assert!(!text.contains(&format!("mountpoint=\"{gone}")), "{gone}");
    }
    has(r#"node_network_receive_bytes_total{device="eth0"} 196499402.0"#);
    has(r#"node_network_transmit_packets_total{device="eth0"} 8744.0"#);
    has("node_load1 1.39");
    has(r#"node_scrape_collector_success{collector="filesystem"} 1.0"#);
    // /proc/self/stat: utime 1250 + stime 375 ticks, rss 1530 pages.
    has("process_cpu_seconds_total 16.25");
    has(&format!("process_resident_memory_bytes {}.0", 1530 * 4096));
    has("process_virtual_memory_bytes 21037056.0");
    has("process_open_fds 7.0");
    has("process_max_fds 20000.0");
    has(&format!(
        "process_start_time_seconds {}",
        1796155710.0 + 947.09
    ));
}

#[test]
fn both_formats_carry_the_same_samples() {
    let (registry, _) = fixture_registry("debian-2cpu");
    let text = render(&registry, Format::Text004);
    let om = render(&registry, Format::OpenMetrics);
    assert_eq!(samples(&text), samples(&om));
    assert!(om.ends_with("# EOF\n"));
    assert!(!text.contains("# EOF"));
    assert!(om.contains("# TYPE node_cpu_seconds counter\n# UNIT node_cpu_seconds seconds\n"));
    assert!(text.contains("# TYPE node_cpu_seconds_total counter\n"));
    assert!(!text.contains("# UNIT"));
}

#[test]
fn fixture_passes_promtool() {
    let (registry, _) = fixture_registry("debian-2cpu");
    let problems = promtool_check_metrics(&render(&registry, Format::Text004));
    assert_eq!(problems, Vec::<String>::new());
    // The check can fail: a broken exposition is reported.
    assert!(!promtool_check_metrics("node_load1{a=\"b} 1\n").is_empty());
}

#[test]
fn a_missing_file_fails_only_its_subsystem() {
    let dir = tempfile::tempdir().unwrap();
    let src = testdata().join("proc/debian-2cpu");
    std::fs::copy(src.join("stat"), dir.path().join("stat")).unwrap();
    std::fs::write(dir.path().join("loadavg"), "0.5 oops 0.1 1/2 3\n").unwrap();
    let system = SystemCollector::builder()
        .procfs(dir.path())
        .build()
        .unwrap();
    let errors: Vec<String> = system.refresh().iter().map(ToString::to_string).collect();
    let root = dir.path().display();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!("cannot read {root}/meminfo: ")),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        format!("{root}/loadavg:1: 5-minute: \"oops\" is not a load average")
    );
    let mut registry = Registry::default();
    registry.register_collector(Box::new(system));
    let text = render(&registry, Format::Text004);
    assert!(text.contains("node_scrape_collector_success{collector=\"cpu\"} 1.0"));
    assert!(text.contains("node_scrape_collector_success{collector=\"loadavg\"} 0.0"));
    assert!(text.contains("node_cpu_seconds_total{cpu=\"1\""));
    assert!(!text.contains("node_load1"));
}

#[test]
fn cpu_time_stepping_back_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let stat = |iowait: u64, idle: u64| {
        format!("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 100 0 50 {idle} {iowait} 0 0 0 0 0\nbtime 1\n")
    };
    let system = SystemCollector::builder()
        .procfs(dir.path())
        .clock_ticks(100)
        .build()
        .unwrap();
    let read = |text: String| {
        std::fs::write(dir.path().join("stat"), text).unwrap();
        system.refresh();
        let snap = system.snapshot();
        snap.stat.as_ref().unwrap().cpus[0].1
    };
    assert_eq!(read(stat(500, 10_000)).iowait, 500);
    // iowait steps back 2 ticks: held at 500.
    assert_eq!(read(stat(498, 10_100)).iowait, 500);
    assert_eq!(read(stat(510, 10_200)).iowait, 510);
    // idle falls 3 s: the CPU was replugged, its counters start over.
    let replugged = read(stat(3, 9_900));
    assert_eq!((replugged.iowait, replugged.idle), (3, 9_900));
}

/// statvfs is asked under the root filesystem given; labels keep the
/// mount table's paths.
#[test]
fn rootfs_prefixes_statvfs_paths_only() {
    #[derive(Debug, Default)]
    struct Recorder(std::sync::Mutex<Vec<String>>);
    impl ops_metrics::FsStat for Recorder {
        fn usage(&self, mountpoint: &std::path::Path) -> std::io::Result<ops_metrics::FsUsage> {
            self.0
                .lock()
                .unwrap()
                .push(mountpoint.display().to_string());
            Ok(ops_metrics::FsUsage::default())
        }
    }
    let recorder = std::sync::Arc::new(Recorder::default());
    let system = SystemCollector::builder()
        .procfs(testdata().join("proc/debian-2cpu"))
        .rootfs("/host")
        .fs_stat(std::sync::Arc::clone(&recorder))
        .build()
        .unwrap();
    assert!(system.refresh().is_empty());
    let asked = recorder.0.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            "/host/run",
            "/host/",
            "/host/boot/efi",
            "/host/srv/my data",
            "/host/mnt/nas"
        ]
    );
    let snap = system.snapshot();
    let mountpoints: Vec<&str> = snap
        .filesystems
        .iter()
        .map(|f| f.mountpoint.as_str())
        .collect();
    assert_eq!(
        mountpoints,
        ["/run", "/", "/boot/efi", "/srv/my data", "/mnt/nas"]
    );
}

/// The mount table of PID 1 (the host's, in a container given the host's
/// /proc) comes first; the process's own when PID 1's cannot be read.
#[test]
fn pid_one_mounts_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("self")).unwrap();
    std::fs::write(dir.path().join("self/mounts"), "/dev/a /self ext4 rw 0 0\n").unwrap();
    let system = SystemCollector::builder()
        .procfs(dir.path())
        .build()
        .unwrap();
    system.refresh();
    assert_eq!(system.snapshot().filesystems[0].mountpoint, "/self");
    std::fs::create_dir_all(dir.path().join("1")).unwrap();
    std::fs::write(dir.path().join("1/mounts"), "/dev/b /one ext4 rw 0 0\n").unwrap();
    system.refresh();
    assert_eq!(system.snapshot().filesystems[0].mountpoint, "/one");
}
