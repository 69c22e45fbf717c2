//! End to end: a real Prometheus on loopback scrapes sysexporter, and the
//! samples come back through its HTTP query API.

mod common;

use std::fs;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Exporter, examples_dir, free_port, get};

/// Prometheus as a child process, killed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
    dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        fs::copy(
            examples_dir().join("rules.yml"),
            dir.path().join("rules.yml"),
        )
        .unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: [rules.yml]\n\
             scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [\"{target}\"]\n"
        );
        fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let log = dir.path().join("prometheus.log");
        let (child, addr) = Self::spawn(dir.path(), &log);
        Prometheus {
            child,
            addr,
            log,
            dir,
        }
    }

    /// Starts Prometheus on a port that was free a moment ago.
    fn spawn(dir: &std::path::Path, log: &std::path::Path) -> (Child, SocketAddr) {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let log_file = fs::File::create(log).unwrap();
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("prometheus is installed (Debian package prometheus)");
        (child, addr)
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs an instant query until it returns at least one sample, or the
    /// deadline passes; the `data.result` array.
    fn query_until_found(&mut self, query: &str, deadline: Instant) -> Vec<serde_json::Value> {
        let path = format!("/api/v1/query?query={}", encode_query(query));
        let mut restarts = 0;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Another process took the port between free_port() and
                // Prometheus binding it: try another.
                if restarts < 3 && self.log().contains("address already in use") {
                    restarts += 1;
                    let dir = self.dir.path().to_path_buf();
                    (self.child, self.addr) = Self::spawn(&dir, &self.log);
                    continue;
                }
                panic!("prometheus exited ({status}):\n{}", self.log());
            }
            // Prometheus may not listen yet: a refused connection is a retry.
            if std::net::TcpStream::connect(self.addr).is_ok() {
                let resp = get(self.addr, &path, None);
                if resp.status == 200 {
                    let v: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
                    assert_eq!(v["status"], "success", "{}", resp.body);
                    let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
                    if !result.is_empty() {
                        return result;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "no sample for {query} in time; prometheus log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn encode_query(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn value(sample: &serde_json::Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

#[test]
fn prometheus_scrapes_the_exporter() {
    let exporter = Exporter::start(&["--interval", "1s"]);
    let mut prometheus = Prometheus::start(exporter.addr);
    // Prometheus on a loaded 2-core machine can take several seconds to
    // start; a scrape follows within a scrape interval.
    let deadline = Instant::now() + Duration::from_secs(90);

    let up = prometheus.query_until_found("up{job=\"node\"} == 1", deadline);
    assert_eq!(up[0]["metric"]["instance"], exporter.addr.to_string());

    let mem = prometheus.query_until_found("node_memory_MemAvailable_bytes", deadline);
    let total = prometheus.query_until_found("node_memory_MemTotal_bytes", deadline);
    let (available, total) = (value(&mem[0]), value(&total[0]));
    assert!(
        0.0 < available && available <= total,
        "{available} of {total}"
    );

    let cpu = prometheus.query_until_found("node_cpu_seconds_total", deadline);
    let cpus = fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count();
    // Eight modes per CPU.
    assert_eq!(cpu.len(), cpus * 8, "{cpu:?}");
    assert!(cpu.iter().all(|s| s["metric"]["mode"].is_string()));

    // The example's recording rule aggregates across servers (one here).
    let sum = prometheus.query_until_found("job:node_memory_MemAvailable_bytes:sum", deadline);
    assert_eq!(sum[0]["metric"]["job"], "node");
    assert!(value(&sum[0]) > 0.0);
}
