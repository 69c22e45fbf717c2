//! Compatibility with the real node_exporter: the same families, types,
//! series and (for what does not change between two reads) values, on this
//! machine.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Exporter, free_port, get};

/// node_exporter, restricted to sysexporter's collectors and with the
/// upstream defaults that Debian's package changes (Debian also leaves out
/// /run, /mnt, /media and the loopback interface).
struct NodeExporter {
    child: Child,
    addr: SocketAddr,
}

impl NodeExporter {
    fn start() -> NodeExporter {
        for _ in 0..3 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            let mut child = Command::new("prometheus-node-exporter")
                .arg(format!("--web.listen-address={addr}"))
                .args([
                    "--collector.disable-defaults",
                    "--collector.cpu",
                    "--collector.meminfo",
                    "--collector.loadavg",
                    "--collector.filesystem",
                    "--collector.netdev",
                    "--collector.stat",
                    "--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)",
                    "--collector.netdev.device-exclude=",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("node_exporter is installed (Debian package prometheus-node-exporter)");
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if TcpStream::connect(addr).is_ok() {
                    return NodeExporter { child, addr };
                }
                if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                    // The port was taken meanwhile, or it did not come up.
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("node_exporter did not start");
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An exposition: family name to type, and series (`name{labels}`) to value.
struct Exposition {
    types: BTreeMap<String, String>,
    series: BTreeMap<String, f64>,
}

fn read(text: &str) -> Exposition {
    let mut types = BTreeMap::new();
    let mut series = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            types.insert(name.to_owned(), kind.to_owned());
        } else if !line.starts_with('#') && !line.is_empty() {
            let (name, value) = line.rsplit_once(' ').unwrap();
            series.insert(name.to_owned(), value.parse().unwrap());
        }
    }
    Exposition { types, series }
}

fn of_family<'a>(e: &'a Exposition, family: &str) -> BTreeSet<&'a str> {
    e.series
        .keys()
        .filter(|k| k.split('{').next() == Some(family))
        .map(String::as_str)
        .collect()
}

#[test]
fn same_families_series_and_values_as_node_exporter() {
    let node = NodeExporter::start();
    let ours = Exporter::start(&[]);
    let theirs = read(&get(node.addr, "/metrics", None).body);
    let mine = read(&get(ours.addr, "/metrics", None).body);

    // Families node_exporter has and sysexporter does not, and why:
    // its build info; rx_nohandler, which it reads over netlink (not in
    // /proc/net/dev); per-collector durations, which measure time.
    let only_theirs = [
        "node_exporter_build_info",
        "node_network_receive_nohandler_total",
        "node_scrape_collector_duration_seconds",
    ];
    let node_families = |e: &Exposition| -> BTreeMap<String, String> {
        e.types
            .iter()
            .filter(|(n, _)| n.starts_with("node_") && !only_theirs.contains(&n.as_str()))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect()
    };
    assert_eq!(node_families(&mine), node_families(&theirs));
    // client_golang's process families, with the same types.
    for family in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert_eq!(mine.types.get(family), theirs.types.get(family), "{family}");
    }

    // The same series.
    for family in [
        "node_cpu_seconds_total",
        "node_cpu_guest_seconds_total",
        "node_filesystem_size_bytes",
        "node_filesystem_readonly",
        "node_network_receive_bytes_total",
        "node_network_transmit_drop_total",
        "node_scrape_collector_success",
    ] {
        assert_eq!(
            of_family(&mine, family),
            of_family(&theirs, family),
            "{family}"
        );
    }

    // The same values where they do not move between the two reads.
    let mut stable: Vec<&str> = vec!["node_memory_MemTotal_bytes", "node_boot_time_seconds"];
    stable.extend(of_family(&theirs, "node_filesystem_size_bytes"));
    stable.extend(of_family(&theirs, "node_filesystem_files"));
    for key in stable {
        assert_eq!(mine.series.get(key), theirs.series.get(key), "{key}");
    }
}
