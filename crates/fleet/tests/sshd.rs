//! `fleet` against a real sshd on 127.0.0.1, started by the test on a free
//! port with keys the test generates; plus hosts that refuse connections,
//! do not resolve, or accept TCP and never speak ssh.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// An sshd for one test, killed on drop.
struct Sshd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "opskit-test", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "ssh-keygen failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    fn start() -> Sshd {
        // sshd's privilege-separation directory; CI runs as root.
        fs::create_dir_all("/run/sshd").expect("cannot create /run/sshd (the test needs root)");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("id"));
        fs::copy(d.join("id.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        let host_pub = fs::read_to_string(d.join("host_key.pub")).unwrap();
        fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_pub}"),
        )
        .unwrap();
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {dir}/host_key\n\
             AuthorizedKeysFile {dir}/authorized_keys\nPidFile {dir}/sshd.pid\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
            dir = d.display()
        );
        fs::write(d.join("sshd_config"), config).unwrap();
        let log = fs::File::create(d.join("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut sshd = Sshd { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = sshd.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = fs::read_to_string(sshd.path("sshd.log")).unwrap_or_default();
                panic!("sshd did not start ({exited:?}): {log}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn host(&self) -> String {
        let user = Command::new("id").arg("-un").output().unwrap();
        format!(
            "{}@127.0.0.1:{}",
            String::from_utf8_lossy(&user.stdout).trim(),
            self.port
        )
    }

    /// `fleet` with this server's keys, and `inventory` written first.
    fn fleet(&self, inventory: &str, args: &[&str]) -> Output {
        fs::write(self.path("inventory"), inventory).unwrap();
        Command::new(env!("CARGO_BIN_EXE_fleet"))
            .arg("-H")
            .arg(self.path("inventory"))
            .args(["-F", "/dev/null", "-i"])
            .arg(self.path("id"))
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.path("known_hosts").display()
            ))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn runs_everywhere_and_lists_the_unreachable() {
    let sshd = Sshd::start();
    // Accepts TCP (the kernel's backlog) and never says a word of ssh.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let closed = free_port();
    let inventory = format!(
        "# the one real server, twice, and three that cannot be reached\n[web]\n{h}\n{h}\n[broken]\n127.0.0.1:{closed}\nno-such-host.invalid\n127.0.0.1:{silent_port}\n",
        h = sshd.host()
    );
    let started = Instant::now();
    let out = sshd.fleet(
        &inventory,
        &[
            "--json",
            "--connect-timeout",
            "2",
            "--",
            "printf",
            "%s|",
            "hello",
            "two words",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let v = json(&out);
    let kinds: Vec<&str> = (0..5)
        .map(|i| v[i]["verdict"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["ok", "ok", "unreachable", "unreachable", "unreachable"]
    );
    // The words arrived as words, through the remote shell.
    assert_eq!(v[0]["stdout"]["text"], "hello|two words|");
    let reason = |i: usize| v[i]["verdict"]["reason"].as_str().unwrap().to_owned();
    assert!(reason(2).contains("Connection refused"), "{}", reason(2));
    assert!(reason(3).contains("no-such-host.invalid"), "{}", reason(3));
    assert!(reason(4).contains("timed out"), "{}", reason(4));
    assert_eq!(v[0]["host"]["group"], "web");

    // The text report: output under each host, a table, the unreachable.
    let out = sshd.fleet(&inventory, &["--group", "web", "--", "echo", "up"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("== {}\nup\n", sshd.host())),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains(" ok ")).count(),
        2,
        "{text}"
    );
    let out = sshd.fleet(
        &inventory,
        &["--group", "broken", "--connect-timeout", "2", "--", "true"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "unreachable: 127.0.0.1:{closed}, no-such-host.invalid, 127.0.0.1:{silent_port}"
        )),
        "{text}"
    );
    drop(silent);
}

#[test]
fn remote_failures_are_not_unreachable_and_concurrency_is_bounded() {
    let sshd = Sshd::start();
    let h = sshd.host();
    let out = sshd.fleet(
        &format!("{h}\n"),
        &["--json", "--", "sh", "-c", "echo oops >&2; exit 3"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(
        v[0]["verdict"],
        serde_json::json!({"kind": "failed", "code": 3})
    );
    assert_eq!(v[0]["stderr"]["text"], "oops\n");

    // Four runs of one second, two at a time, take at least two seconds.
    let started = Instant::now();
    let out = sshd.fleet(
        &format!("{h}\n{h}\n{h}\n{h}\n"),
        &["-p", "2", "--json", "--", "sleep", "1"],
    );
    let elapsed = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out).as_array().unwrap().len(), 4);
    assert!(
        elapsed >= Duration::from_secs(2),
        "more than two at a time: {elapsed:?}"
    );
}
