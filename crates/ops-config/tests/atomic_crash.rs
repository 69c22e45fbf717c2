//! A writer killed at any moment leaves the old file or the new one, never
//! a partial one.
//!
//! This file is its own harness (`harness = false` in Cargo.toml): run
//! with `--writer PATH`, it is the writer, replacing PATH with numbered
//! versions of a 1 MiB file in a loop and printing each version number
//! once written. The test starts that writer as a real child process,
//! kills it with SIGKILL at varied moments after it reports progress, and
//! checks the file (and every backup) is exactly one whole version: at
//! least 40 times, and until 5 of the kills have hit a write in progress.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use ops_config::{AtomicWriter, Backup};

const SIZE: usize = 1 << 20;
/// Kills at least this many times, and until at least `MID_WRITE` of them
/// have hit a write in progress (a temporary file was left), but never more
/// than `MAX_KILLS` times.
const KILLS: u64 = 40;
const MID_WRITE: u64 = 5;
const MAX_KILLS: u64 = 400;

/// Version `v` of the file: a header naming it, then one of two bodies
/// (by the parity of `v`), so that consecutive versions differ everywhere
/// and a mix of two is never mistaken for one. The bodies are made once,
/// so the writer spends its time writing.
fn content(v: u64) -> Vec<u8> {
    static BODIES: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    let bodies = BODIES.get_or_init(|| [body(1), body(2)]);
    let mut out = format!("version {v:020}\n").into_bytes();
    out.extend_from_slice(&bodies[(v % 2) as usize]);
    out
}

fn body(seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(SIZE);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// The version a file holds, when it is exactly one.
fn version_of(bytes: &[u8]) -> Option<u64> {
    let line = bytes.split(|&b| b == b'\n').next()?;
    let v = std::str::from_utf8(line)
        .ok()?
        .strip_prefix("version ")?
        .parse()
        .ok()?;
    (content(v) == bytes).then_some(v)
}

fn writer(path: &Path, backup: Backup) -> ExitCode {
    let writer = AtomicWriter::new().backup(backup);
    let mut stdout = std::io::stdout();
    for v in 1.. {
        if let Err(e) = writer.write(path, &content(v)) {
            eprintln!("writer: {e}");
            return ExitCode::FAILURE;
        }
        if writeln!(stdout, "{v}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

fn killed_writers_leave_old_or_new_content() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut mid_write = 0;
    let mut round = 0;
    while round < KILLS || (mid_write < MID_WRITE && round < MAX_KILLS) {
        round += 1;
        let backup = if round % 2 == 0 { "none" } else { "numbered" };
        let path = dir.path().join(format!("config-{round}.yaml"));
        let mut child = Command::new(&exe)
            .args(["--writer", &path.to_string_lossy(), backup])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the writer: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let reports = 1 + rng % 3;
        let mut last = 0;
        for _ in 0..reports {
            match lines.next() {
                Some(Ok(l)) => last = l.trim().parse::<u64>().map_err(|e| e.to_string())?,
                other => return Err(format!("round {round}: the writer stopped: {other:?}")),
            }
        }
        // Spin for up to 4 ms so that the kill lands at a different point of
        // the next write each round.
        let spin = Duration::from_micros(rng % 4000);
        let start = Instant::now();
        while start.elapsed() < spin {
            std::hint::spin_loop();
        }
        child.kill().map_err(|e| e.to_string())?;
        let _ = child.wait();
        // Reports still in the pipe: the writer may have finished more
        // versions while we spun.
        for line in lines.map_while(Result::ok) {
            if let Ok(v) = line.trim().parse::<u64>() {
                last = last.max(v);
            }
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("round {round}: {e}"))?;
        let got = version_of(&bytes)
            .ok_or_else(|| format!("round {round}: the file is not one whole version"))?;
        if got != last && got != last + 1 {
            return Err(format!(
                "round {round}: version {got}, but the writer had reported {last}"
            ));
        }
        for entry in std::fs::read_dir(dir.path()).map_err(|e| e.to_string())? {
            let p = entry.map_err(|e| e.to_string())?.path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with(&format!("config-{round}.yaml.~")) {
                let b = std::fs::read(&p).map_err(|e| e.to_string())?;
                version_of(&b).ok_or_else(|| {
                    format!("round {round}: backup {name} is not one whole version")
                })?;
            }
        }
        let temps = temp_files(dir.path());
        if !temps.is_empty() {
            mid_write += 1;
        }
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    }
    // The kills must have hit writes in progress, or nothing was tested.
    if mid_write < MID_WRITE {
        return Err(format!(
            "only {mid_write} of {round} kills interrupted a write"
        ));
    }
    println!("{mid_write} of {round} kills interrupted a write in progress");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--writer") {
        let backup = match args.get(3).map(String::as_str) {
            Some("numbered") => Backup::Numbered,
            _ => Backup::None,
        };
        return match args.get(2) {
            Some(path) => writer(Path::new(path), backup),
            None => ExitCode::FAILURE,
        };
    }
    // `cargo test -- --list` and filters: this file has one test.
    if args.iter().any(|a| a == "--list") {
        println!("killed_writers_leave_old_or_new_content: test");
        return ExitCode::SUCCESS;
    }
    let name = "killed_writers_leave_old_or_new_content";
    match killed_writers_leave_old_or_new_content() {
        Ok(()) => {
            println!("test {name} ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!(
                "test {name} ... FAILED\n{e}\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored"
            );
            ExitCode::FAILURE
        }
    }
}
