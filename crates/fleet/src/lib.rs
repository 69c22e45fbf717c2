//! Running one command on many hosts over ssh: the inventory file, the
//! `ssh` command line for each host, and the fan-out with bounded
//! concurrency that gives each host its outcome.
//!
//! The system `ssh` client does the connecting (its config, agent, known
//! hosts and ciphers are the user's own), always with `BatchMode=yes` (never
//! a password prompt that would hang a worker) and a `ConnectTimeout`; each
//! run has an overall timeout through `ops-exec`, which ends the ssh
//! process group if a host hangs after connecting.
//!
//! # Inventory
//!
//! One host per line, `[user@]host[:port]` (IPv6 in brackets,
//! `[2001:db8::1]:2222`); `#` starts a comment; a line `[name]` starts a
//! group that [`Host::group`] records:
//!
//! ```text
//! # web tier
//! [web]
//! deploy@web1.example.com
//! web2.example.com:2222
//! [db]
//! root@[2001:db8::5]
//! ```
//!
//! # Example
//!
//! ```
//! let hosts = fleet::parse_inventory("[web]\ndeploy@web1:2222\nweb2\n")?;
//! assert_eq!(hosts[0].to_string(), "deploy@web1:2222");
//! assert_eq!(hosts[1].group.as_deref(), Some("web"));
//!
//! let opts = fleet::SshOptions::default();
//! let cmd = fleet::ssh_command(&hosts[0], &opts, &["df".into(), "-h".into(), "/srv/my data".into()]);
//! assert_eq!(
//!     cmd.command_line(),
//!     "ssh -o BatchMode=yes -o ConnectTimeout=10 -p 2222 -l deploy -- web1 'df -h '\\''/srv/my data'\\'''"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ops_exec::{Cancel, Captured, Check, Command, Status};
use serde::Serialize;

/// One host of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Host {
    /// The login name, when given (`user@`).
    pub user: Option<String>,
    /// Host name or address (IPv6 without brackets).
    pub name: String,
    /// The port, when given (`:port`).
    pub port: Option<u16>,
    /// The `[group]` it was listed under.
    pub group: Option<String>,
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        match (self.name.contains(':'), self.port) {
            (true, Some(p)) => write!(f, "[{}]:{p}", self.name),
            (true, None) => write!(f, "[{}]", self.name),
            (false, Some(p)) => write!(f, "{}:{p}", self.name),
            (false, None) => f.write_str(&self.name),
        }
    }
}

/// A line of the inventory that is not a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inventory line {line}: {reason}: {text:?}")]
pub struct InventoryError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
    /// The line.
    pub text: String,
}

/// Parses an inventory (see the crate docs for the format).
pub fn parse_inventory(text: &str) -> Result<Vec<Host>, InventoryError> {
    let mut hosts = Vec::new();
    let mut group = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |reason| InventoryError {
            line: i + 1,
            reason,
            text: raw.to_owned(),
        };
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'))
            && !name.contains(':')
        {
            if !valid_word(name) {
                return Err(err("a group name is letters, digits, `.`, `_` and `-`"));
            }
            group = Some(name.to_owned());
            continue;
        }
        let mut host = parse_host(line).map_err(err)?;
        host.group = group.clone();
        hosts.push(host);
    }
    Ok(hosts)
}

fn parse_host(line: &str) -> Result<Host, &'static str> {
    if line.split_whitespace().nth(1).is_some() {
        return Err("one host per line");
    }
    let (user, rest) = match line.rsplit_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, line),
    };
    if let Some(u) = user
        && !valid_word(u)
    {
        return Err("a user name is letters, digits, `.`, `_` and `-`");
    }
    let (name, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or("`[` without `]`")?;
        match after {
            "" => (addr, None),
            p => (
                addr,
                Some(p.strip_prefix(':').ok_or("expected `:PORT` after `]`")?),
            ),
        }
    } else {
        match rest.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (rest, None),
        }
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or("the port is not a number in 1..=65535")
        })
        .transpose()?;
    let host_chars = |c: char| c.is_ascii_alphanumeric() || ".-_:%".contains(c);
    if name.is_empty() || name.starts_with('-') || !name.chars().all(host_chars) {
        return Err("not a host name or address");
    }
    Ok(Host {
        user: user.map(str::to_owned),
        name: name.to_owned(),
        port,
        group: None,
    })
}

fn valid_word(w: &str) -> bool {
    !w.is_empty()
        && !w.starts_with('-')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// How hosts are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SshOptions {
    /// The `ssh` program.
    pub program: OsString,
    /// `ConnectTimeout`: how long connecting (and the ssh handshake) may
    /// take before the host counts as unreachable.
    pub connect_timeout: Duration,
    /// How long the whole run on one host may take.
    pub timeout: Duration,
    /// More `ssh` arguments before the host (`-F FILE`, `-i KEY`,
    /// `-o Option=value`).
    pub extra_args: Vec<OsString>,
    /// Ends every run still going when cancelled (such as by Ctrl-C, with
    /// `Cancel::on_signals`).
    pub cancel: Option<Cancel>,
}

impl Default for SshOptions {
    fn default() -> SshOptions {
        SshOptions {
            program: "ssh".into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
            extra_args: Vec::new(),
            cancel: None,
        }
    }
}

/// The `ssh` command that runs `remote` on `host`.
///
/// ssh hands the remote shell one string; the words of `remote` are quoted
/// so that they arrive as the same words (to run a shell line, pass
/// `["sh", "-c", "LINE"]`).
pub fn ssh_command(host: &Host, opts: &SshOptions, remote: &[OsString]) -> Command {
    let mut cmd = Command::new(&opts.program);
    let connect = opts.connect_timeout.as_secs().max(1);
    cmd.args(["-o", "BatchMode=yes", "-o"])
        .arg(format!("ConnectTimeout={connect}"));
    if let Some(p) = host.port {
        cmd.arg("-p").arg(p.to_string());
    }
    if let Some(u) = &host.user {
        cmd.args(["-l", u]);
    }
    cmd.args(&opts.extra_args)
        .arg("--")
        .arg(&host.name)
        .arg(remote_line(remote))
        .timeout(opts.timeout)
        .grace(Duration::from_secs(2))
        .check(Check::Never);
    if let Some(c) = &opts.cancel {
        cmd.cancel_on(c);
    }
    cmd
}

fn remote_line(words: &[OsString]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| ops_exec::quote_word(OsStr::new(w)).into_owned())
        .collect();
    quoted.join(" ")
}

/// How the command went on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The command ran and exited 0.
    Ok,
    /// The command ran and exited with this code.
    Failed {
        /// Its exit code.
        code: i32,
    },
    /// ssh could not connect or log in (it exited 255); the reason is its
    /// last line on stderr.
    Unreachable {
        /// Why, as ssh said it.
        reason: String,
    },
    /// The run took longer than the timeout.
    TimedOut,
    /// `ssh` itself could not run.
    Error {
        /// Why.
        reason: String,
    },
}

/// One host's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostOutcome {
    /// The host.
    pub host: Host,
    /// How it went.
    pub verdict: Verdict,
    /// What the command printed on stdout.
    pub stdout: Captured,
    /// What it (or ssh) printed on stderr.
    pub stderr: Captured,
    /// How long the run took, in seconds.
    #[serde(rename = "duration_s", serialize_with = "seconds")]
    pub duration: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// ssh's own failures (connection, authentication) exit 255; a remote
/// command that exits 255 reads as unreachable too, as with ssh itself.
const SSH_FAILURE: i32 = 255;

/// Runs `remote` on every host, at most `concurrency` at a time; the
/// outcomes in inventory order. An unreachable host is an outcome, never an
/// error: the others go on.
pub fn run_on_hosts(
    hosts: &[Host],
    remote: &[OsString],
    opts: &SshOptions,
    concurrency: usize,
) -> Vec<HostOutcome> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<HostOutcome>>> = hosts.iter().map(|_| Mutex::new(None)).collect();
    let workers = concurrency.clamp(1, hosts.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(host) = hosts.get(i) else { break };
                    let outcome = run_on_host(host, remote, opts);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(outcome);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .zip(hosts)
        .map(|(slot, host)| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| HostOutcome {
                    host: host.clone(),
                    verdict: Verdict::Error {
                        reason: "the worker thread panicked".to_owned(),
                    },
                    stdout: Captured::default(),
                    stderr: Captured::default(),
                    duration: Duration::ZERO,
                })
        })
        .collect()
}

/// Runs `remote` on one host.
pub fn run_on_host(host: &Host, remote: &[OsString], opts: &SshOptions) -> HostOutcome {
    if opts.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
        return HostOutcome {
            host: host.clone(),
            verdict: Verdict::Error {
                reason: "cancelled before it started".to_owned(),
            },
            stdout: Captured::default(),
            stderr: Captured::default(),
            duration: Duration::ZERO,
        };
    }
    let cmd = ssh_command(host, opts, remote);
    let (verdict, stdout, stderr, duration) = match cmd.run() {
        Ok(out) => {
            let verdict = match out.status {
                Status::Exited { code: 0 } => Verdict::Ok,
                Status::Exited { code: SSH_FAILURE } => Verdict::Unreachable {
                    reason: last_line(&out.stderr),
                },
                Status::Exited { code } => Verdict::Failed { code },
                Status::TimedOut => Verdict::TimedOut,
                other => Verdict::Error {
                    reason: format!("ssh {other}"),
                },
            };
            (verdict, out.stdout, out.stderr, out.duration)
        }
        Err(e) => (
            Verdict::Error {
                reason: e.to_string(),
            },
            Captured::default(),
            Captured::default(),
            Duration::ZERO,
        ),
    };
    HostOutcome {
        host: host.clone(),
        verdict,
        stdout,
        stderr,
        duration,
    }
}

fn last_line(c: &Captured) -> String {
    c.text()
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("ssh failed without a message")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn inventory_lines() {
        let hosts = parse_inventory(
            "# hosts\n\n[web]\nweb1\ndeploy@web2.example.com:2222  # comment\n[db]\nroot@[2001:db8::5]:22\n[::1]\n",
        )
        .unwrap();
        let shown: Vec<String> = hosts.iter().map(Host::to_string).collect();
        assert_eq!(
            shown,
            [
                "web1",
                "deploy@web2.example.com:2222",
                "root@[2001:db8::5]:22",
                "[::1]"
            ]
        );
        assert_eq!(hosts[1].group.as_deref(), Some("web"));
        assert_eq!(hosts[2].group.as_deref(), Some("db"));
        assert_eq!(hosts[3].name, "::1");
    }

    #[test]
    fn inventory_errors_name_the_line() {
        for (text, line) in [
            ("web1\nweb2:http\n", 2),
            ("-oProxyCommand=evil\n", 1),
            ("a b\n", 1),
            ("[web group]\n", 1),
            ("[2001:db8::1\n", 1),
            ("host:0\n", 1),
        ] {
            let e = parse_inventory(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("inventory line {line}: "))
            );
        }
    }

    #[test]
    fn remote_words_arrive_as_words() {
        let words: Vec<OsString> = ["printf", "%s|", "a b", "it's"]
            .iter()
            .map(OsString::from)
            .collect();
        let line = remote_line(&words);
        assert_eq!(
            ops_exec::split_words(&line).unwrap(),
            ["printf", "%s|", "a b", "it's"]
        );
    }

    #[test]
    fn hosts_after_a_cancel_do_not_start() {
        let cancel = Cancel::new().unwrap();
        cancel.cancel();
        let opts = SshOptions {
            cancel: Some(cancel),
            ..SshOptions::default()
        };
        let hosts = parse_inventory("a\nb\n").unwrap();
        let out = run_on_hosts(&hosts, &["true".into()], &opts, 1);
        assert!(out.iter().all(
            |o| matches!(&o.verdict, Verdict::Error { reason } if reason.contains("cancelled"))
        ));
    }

    #[test]
    fn a_missing_ssh_is_an_error_outcome() {
        let opts = SshOptions {
            program: "no-such-ssh-opskit".into(),
            ..SshOptions::default()
        };
        let hosts = parse_inventory("a\nb\n").unwrap();
        let out = run_on_hosts(&hosts, &["true".into()], &opts, 8);
        assert_eq!(out.len(), 2);
        assert!(
            matches!(&out[1].verdict, Verdict::Error { reason } if reason.contains("no-such-ssh-opskit"))
        );
    }

    proptest! {
        #[test]
        fn hosts_read_back_from_their_display(
            user in proptest::option::of("[a-z][a-z0-9_]{0,6}"),
            name in "[a-z][a-z0-9.-]{0,12}|[0-9a-f]{1,4}(:[0-9a-f]{1,4}){2,7}",
            port in proptest::option::of(1u16..),
        ) {
            let host = Host { user, name, port, group: None };
            let back = parse_inventory(&host.to_string()).unwrap();
            prop_assert_eq!(&back[0], &host);
        }
    }
}
