//! Real servers on 127.0.0.1 for the healthcheck tests: a small HTTP
//! server that injects faults, and sshd.

#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An HTTP/1.1 server whose paths say what fault to inject:
///
/// - `/ok`: 200 with body `all good`
/// - `/body/TEXT`: 200 with body TEXT
/// - `/status/CODE`: always CODE
/// - `/flaky/KEY/N`: 500 for the first N requests of KEY, then 200
/// - `/drop/KEY/N`: closes the connection without answering the first N
///   requests of KEY, then 200
/// - `/retry-after/KEY/CODE/SECS`: CODE (503, 429) with `Retry-After: SECS`
///   on the first request of KEY, then 200
/// - `/retry-date/KEY/SECS`: 503 with `Retry-After` as an HTTP-date SECS
///   seconds ahead on the first request, then 200
/// - `/slow/MS`: waits MS milliseconds, then 200
///
/// Every request is logged with its arrival time. Stopped on drop.
pub struct FaultServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    hits: Mutex<HashMap<String, u32>>,
    log: Mutex<Vec<(String, Instant)>>,
    active: AtomicUsize,
    max_active: AtomicUsize,
}

impl FaultServer {
    pub fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = Arc::clone(&state);
                    std::thread::spawn(move || serve(conn, &state));
                }
            })
        };
        FaultServer {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests seen for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.arrivals(path).len()
    }

    /// The most requests that were being answered at once.
    pub fn max_concurrent(&self) -> usize {
        self.state.max_active.load(Ordering::Acquire)
    }

    /// Every request seen.
    pub fn total_hits(&self) -> usize {
        self.state.log.lock().unwrap().len()
    }

    /// Arrival times of the requests for `path`.
    pub fn arrivals(&self, path: &str) -> Vec<Instant> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| *t)
            .collect()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, state: &State) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut conn = conn;
    // One request per connection keeps the fault per request simple.
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request.split(' ').nth(1).unwrap_or("/").to_string();
    state
        .log
        .lock()
        .unwrap()
        .push((path.clone(), Instant::now()));
    let now = state.active.fetch_add(1, Ordering::AcqRel) + 1;
    state.max_active.fetch_max(now, Ordering::AcqRel);
    let answer = respond(&mut conn, &path, state);
    // Done before the answer is written: the client cannot have it, and
    // start another request, while this one still counts as active.
    state.active.fetch_sub(1, Ordering::AcqRel);
    if let Some(answer) = answer {
        write_answer(&mut conn, answer);
    }
}

type Answer = (u16, String, Option<String>);

/// The answer to `path`; `None` when the fault is a dropped connection.
fn respond(conn: &mut TcpStream, path: &str, state: &State) -> Option<Answer> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let nth = |key: &str| {
        let mut hits = state.hits.lock().unwrap();
        let n = hits.entry(key.to_string()).or_insert(0);
        *n += 1;
        *n
    };
    let ok = (200, "all good".to_string(), None);
    let (code, body, retry_after): Answer = match parts.as_slice() {
        ["ok"] => ok,
        ["body", text] => (200, text.to_string(), None),
        ["status", code] => (code.parse().unwrap_or(500), format!("status {code}"), None),
        ["flaky", key, n] => {
            if nth(key) <= n.parse().unwrap_or(0) {
                (500, "not yet".to_string(), None)
            } else {
                ok
            }
        }
        ["drop", key, n] => {
            if nth(key) <= n.parse().unwrap_or(0) {
                let _ = conn.shutdown(Shutdown::Both);
                return None;
            }
            ok
        }
        ["retry-after", key, code, secs] => {
            if nth(key) == 1 {
                (
                    code.parse().unwrap_or(503),
                    "later".to_string(),
                    Some(secs.to_string()),
                )
            } else {
                ok
            }
        }
        ["retry-date", key, secs] => {
            if nth(key) == 1 {
                let at = SystemTime::now() + Duration::from_secs(secs.parse().unwrap_or(1));
                (503, "later".to_string(), Some(http_date(at)))
            } else {
                ok
            }
        }
        ["slow", ms] => {
            // The server's own behaviour, not synchronisation.
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(0)));
            ok
        }
        _ => (404, "no such fault".to_string(), None),
    };
    Some((code, body, retry_after))
}

fn write_answer(conn: &mut TcpStream, (code, body, retry_after): Answer) {
    let mut head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(code),
        body.len()
    );
    if let Some(v) = retry_after {
        head.push_str(&format!("Retry-After: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
    let _ = conn.flush();
    // Drain what the client may still send, then close.
    let _ = conn.shutdown(Shutdown::Write);
    let mut sink = [0u8; 256];
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = conn.read(&mut sink);
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// An IMF-fixdate, written independently of the crate under test.
fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, tod) = (secs / 86_400, secs % 86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil date by counting years and months forward from 1970.
    let (mut year, mut left) = (1970u64, days);
    loop {
        let len = if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) {
            366
        } else {
            365
        };
        if left < len {
            break;
        }
        left -= len;
        year += 1;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let months = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut m = 0;
    while left >= months[m] {
        left -= months[m];
        m += 1;
    }
    format!(
        "{weekday}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
        left + 1,
        names[m],
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// A free port on 127.0.0.1 (bound, then released for the server).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Polls until `addr` accepts connections, or panics at the deadline.
pub fn wait_for_port(
    addr: SocketAddr,
    deadline: Duration,
    mut alive: impl FnMut() -> Result<(), String>,
) {
    let end = Instant::now() + deadline;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Err(why) = alive() {
            panic!("{why}");
        }
        assert!(
            Instant::now() < end,
            "nothing listens on {addr} after {deadline:?}"
        );
        std::thread::yield_now();
    }
}

/// A real OpenSSH server on a free port of 127.0.0.1, with a fresh host
/// key and a minimal config in a temporary directory. Killed on drop.
pub struct Sshd {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Sshd {
    pub fn start() -> Sshd {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.exists(),
            "/usr/sbin/sshd is missing: install Debian's openssh-server"
        );
        // sshd refuses to start without its privilege-separation directory.
        let privsep = Path::new("/run/sshd");
        if !privsep.is_dir()
            && let Err(e) = std::fs::create_dir_all(privsep)
        {
            panic!(
                "sshd needs {} and it cannot be created ({e}): run `mkdir -p /run/sshd` as root",
                privsep.display()
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("host_key");
        let keygen = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(&key)
            .output()
            .expect("run ssh-keygen (openssh-client)");
        assert!(
            keygen.status.success(),
            "ssh-keygen: {}",
            String::from_utf8_lossy(&keygen.stderr)
        );
        let port = free_port();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nPidFile {}\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n",
                key.display(),
                dir.path().join("sshd.pid").display()
            ),
        )
        .expect("write sshd_config");
        let child = Command::new(sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start /usr/sbin/sshd");
        let mut server = Sshd {
            port,
            child,
            _dir: dir,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for_port(addr, Duration::from_secs(15), || {
            match server.child.try_wait() {
                Ok(Some(status)) => {
                    let mut err = String::new();
                    if let Some(mut e) = server.child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    Err(format!("sshd exited ({status}): {err}"))
                }
                _ => Ok(()),
            }
        });
        server
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
