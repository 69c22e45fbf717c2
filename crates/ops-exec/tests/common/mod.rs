//! Looking at real processes through /proc, for the tests.

#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::time::{Duration, Instant};

/// State letter and process group of `pid`, from /proc/PID/stat.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

/// Whether `pid` is a live process (a zombie is dead: it only waits to be
/// reaped).
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// The live processes of process group `pgid`.
pub fn live_members(pgid: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|(s, g)| g == pgid && s != 'Z' && s != 'X'))
        .collect()
}

/// Polls `done` until it holds or `limit` passes; whether it held.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether all of `pids` are dead within a few seconds. A killed process
/// closes its files before /proc shows it as a zombie, so a run that saw
/// its pipes close may return a moment before: the processes were sent
/// their signal by then, and death is awaited with a deadline.
pub fn all_dead(pids: &[u32]) -> bool {
    eventually(Duration::from_secs(5), || pids.iter().all(|&p| !alive(p)))
}

/// Whether process group `pgid` has no live process within a few seconds
/// (see [`all_dead`]).
pub fn group_dead(pgid: u32) -> bool {
    eventually(Duration::from_secs(5), || live_members(pgid).is_empty())
}

/// Kills what a test left behind, whatever happened.
pub struct Reaper(pub Vec<u32>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for &pid in &self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// The pids a command printed, one per line.
pub fn pids(text: &str) -> Vec<u32> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}
