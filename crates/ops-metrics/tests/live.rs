//! The collectors on this machine's /proc.

mod common;

use common::promtool_check_metrics;
use ops_metrics::{Format, ProcessCollector, Subsystem, SystemCollector, encode};
use prometheus_client::registry::Registry;

#[test]
fn live_system_collects_every_subsystem() {
    let system = SystemCollector::new();
    let errors = system.refresh();
    assert!(errors.is_empty(), "{errors:?}");
    let snap = system.snapshot();
    assert!(snap.success.iter().all(|(_, ok)| *ok));
    assert!(
        snap.success
            .iter()
            .any(|(s, _)| *s == Subsystem::Filesystem)
    );
    let stat = snap.stat.as_ref().unwrap();
    let online = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count();
    assert_eq!(stat.cpus.len(), online);
    let mem = |name: &str| snap.memory.iter().find(|f| f.name == name).map(|f| f.value);
    let (total, available) = (mem("MemTotal").unwrap(), mem("MemAvailable").unwrap());
    assert!(0 < available && available <= total);
    assert!(snap.network.iter().any(|d| d.device == "lo"));
    assert!(snap.load.is_some());
}

#[test]
fn live_counters_do_not_go_backwards() {
    let system = SystemCollector::new();
    let mut last: Option<Vec<u64>> = None;
    for _ in 0..20 {
        system.refresh();
        let snap = system.snapshot();
        let now: Vec<u64> = snap
            .stat
            .as_ref()
            .unwrap()
            .cpus
            .iter()
            .flat_map(|(_, t)| t.modes().map(|(_, v)| v))
            .collect();
        if let Some(prev) = &last {
            assert_eq!(prev.len(), now.len());
            assert!(
                prev.iter().zip(&now).all(|(a, b)| b >= a),
                "{prev:?} -> {now:?}"
            );
        }
        last = Some(now);
    }
}

#[test]
fn live_exposition_passes_promtool_in_both_formats() {
    let system = SystemCollector::new();
    let process = ProcessCollector::new();
    system.refresh();
    process.refresh().unwrap();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(system));
    registry.register_collector(Box::new(process));
    let mut text = String::new();
    encode(&mut text, &registry, Format::Text004).unwrap();
    assert_eq!(promtool_check_metrics(&text), Vec::<String>::new());
    for family in [
        "node_cpu_seconds_total",
        "node_memory_MemAvailable_bytes",
        "node_load1",
        "node_filesystem_avail_bytes",
        "node_network_receive_bytes_total",
        "node_boot_time_seconds",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
    }
    let mut om = String::new();
    encode(&mut om, &registry, Format::OpenMetrics).unwrap();
    assert!(om.ends_with("# EOF\n"));
}
