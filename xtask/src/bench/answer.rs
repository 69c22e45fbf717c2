//! The answers the tools print, read back and compared.
//!
//! Task 1 (failed logins): the peers implement the seed script's rule, "the
//! first IPv4 address of every line containing `Failed password`", while
//! `logscan auth --ips` reports the source address (IPv4 or IPv6) of every
//! sshd failure (`Failed password`, `Failed publickey`, `Failed none`,
//! `Failed keyboard-interactive/pam`, repeated-message lines included). So
//! [`reference_auth`] reads the log once, independently of ops-logscan, and
//! computes both sets: the peers must print the first exactly, logscan the
//! second (which contains the first).
//!
//! Task 2 (access log): on generated logs without quirks every line is a
//! well-formed combined line, so field 1 and field 9 are the client and the
//! status for every tool, and the peers are compared with logscan's own
//! report: the status histogram, and the top 10 (count descending, then IP
//! in byte order).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::json::{self, Value};

/// Status histogram and top clients of an access log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct AccessAnswer {
    pub(crate) status: BTreeMap<String, u64>,
    /// `(ip, count)`, count descending then IP ascending.
    pub(crate) top: Vec<(String, u64)>,
}

impl AccessAnswer {
    /// Every count multiplied by `factor` (the same file read `factor` times).
    pub(crate) fn times(&self, factor: u64) -> AccessAnswer {
        AccessAnswer {
            status: self
                .status
                .iter()
                .map(|(k, v)| (k.clone(), v * factor))
                .collect(),
            top: self
                .top
                .iter()
                .map(|(k, v)| (k.clone(), v * factor))
                .collect(),
        }
    }
}

/// An IP set, one address per line (blank lines ignored).
pub(crate) fn parse_ip_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `logscan access --json`: the `status` map and `top_ips` list.
pub(crate) fn parse_logscan_access(text: &str) -> Result<AccessAnswer, String> {
    let v = json::parse(text)?;
    let mut answer = AccessAnswer::default();
    let status = v
        .get("status")
        .and_then(Value::as_object)
        .ok_or("no `status` object")?;
    for (code, n) in status {
        let n = n
            .as_u64()
            .ok_or_else(|| format!("status {code}: bad count"))?;
        answer.status.insert(code.clone(), n);
    }
    let top = v
        .get("top_ips")
        .and_then(Value::as_array)
        .ok_or("no `top_ips` array")?;
    for entry in top {
        let ip = entry
            .get("ip")
            .and_then(Value::as_str)
            .ok_or("top_ips: no ip")?;
        let n = entry
            .get("count")
            .and_then(Value::as_u64)
            .ok_or("top_ips: no count")?;
        answer.top.push((ip.to_owned(), n));
    }
    Ok(answer)
}

/// What the Python and awk peers print: `status CODE COUNT` lines and
/// `COUNT IP` lines (the top clients, in any order: awk's pipe to sort may
/// flush after the status lines or before).
pub(crate) fn parse_peer_access(text: &str) -> Result<AccessAnswer, String> {
    let mut answer = AccessAnswer::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["status", code, n] => {
                let n = n.parse().map_err(|_| format!("bad count in `{line}`"))?;
                answer.status.insert((*code).to_owned(), n);
            }
            [n, ip] => {
                let n = n.parse().map_err(|_| format!("bad count in `{line}`"))?;
                answer.top.push(((*ip).to_owned(), n));
            }
            _ => return Err(format!("unexpected line `{line}`")),
        }
    }
    sort_top(&mut answer.top);
    Ok(answer)
}

/// goaccess's JSON report: the status codes (items such as `"200 - OK: ..."`
/// grouped by class) and every host with its hits. goaccess keeps at most a
/// few hundred hosts per panel, so the host list is only good for looking
/// up the top clients, not for computing them.
pub(crate) fn parse_goaccess(text: &str) -> Result<(AccessAnswer, BTreeMap<String, u64>), String> {
    let v = json::parse(text)?;
    let mut answer = AccessAnswer::default();
    let classes = v
        .get("status_codes")
        .and_then(|s| s.get("data"))
        .and_then(Value::as_array)
        .ok_or("no status_codes.data")?;
    for class in classes {
        let items = class
            .get("items")
            .and_then(Value::as_array)
            .ok_or("status class without items")?;
        for item in items {
            let label = item.get("data").and_then(Value::as_str).ok_or("no data")?;
            let code = label.split_whitespace().next().unwrap_or_default();
            let n = hits(item).ok_or("status item without hits")?;
            *answer.status.entry(code.to_owned()).or_insert(0) += n;
        }
    }
    let hosts = v
        .get("hosts")
        .and_then(|s| s.get("data"))
        .and_then(Value::as_array)
        .ok_or("no hosts.data")?;
    let mut by_ip = BTreeMap::new();
    for host in hosts {
        let ip = host.get("data").and_then(Value::as_str).ok_or("no host")?;
        by_ip.insert(ip.to_owned(), hits(host).ok_or("host without hits")?);
    }
    Ok((answer, by_ip))
}

fn hits(item: &Value) -> Option<u64> {
    item.get("hits")?.get("count")?.as_u64()
}

/// Count descending, then IP in byte order: the order every tool must use.
pub(crate) fn sort_top(top: &mut [(String, u64)]) {
    top.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
    });
}

/// `Ok` when the sets are equal, else a short description of the difference.
pub(crate) fn compare_sets(got: &BTreeSet<String>, want: &BTreeSet<String>) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let missing: Vec<&String> = want.difference(got).take(3).collect();
    let extra: Vec<&String> = got.difference(want).take(3).collect();
    Err(format!(
        "{} IPs, expected {}; missing {missing:?}, extra {extra:?}",
        got.len(),
        want.len()
    ))
}

/// `Ok` when histogram and top list agree.
pub(crate) fn compare_access(got: &AccessAnswer, want: &AccessAnswer) -> Result<(), String> {
    if got.status != want.status {
        let diff: Vec<String> = want
            .status
            .keys()
            .chain(got.status.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|k| got.status.get(*k) != want.status.get(*k))
            .take(3)
            .map(|k| {
                format!(
                    "{k}: {} vs {}",
                    got.status.get(k).copied().unwrap_or(0),
                    want.status.get(k).copied().unwrap_or(0)
                )
            })
            .collect();
        return Err(format!("status histogram differs ({})", diff.join(", ")));
    }
    if got.top != want.top {
        let at = got
            .top
            .iter()
            .zip(&want.top)
            .position(|(a, b)| a != b)
            .unwrap_or(got.top.len().min(want.top.len()));
        return Err(format!(
            "top clients differ at rank {}: {:?} vs {:?}",
            at + 1,
            got.top.get(at),
            want.top.get(at)
        ));
    }
    Ok(())
}

/// goaccess: same histogram, and every one of `want`'s top clients with the
/// same count in its host list.
pub(crate) fn compare_goaccess(
    status: &AccessAnswer,
    hosts: &BTreeMap<String, u64>,
    want: &AccessAnswer,
) -> Result<(), String> {
    compare_access(
        &AccessAnswer {
            status: status.status.clone(),
            top: Vec::new(),
        },
        &AccessAnswer {
            status: want.status.clone(),
            top: Vec::new(),
        },
    )?;
    for (ip, n) in &want.top {
        if hosts.get(ip) != Some(n) {
            return Err(format!("host {ip}: {:?} hits, expected {n}", hosts.get(ip)));
        }
    }
    Ok(())
}

/// The two expected IP sets of task 1, read from the log without
/// ops-logscan (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct AuthReference {
    /// First IPv4 of each line containing `Failed password` (the peers' rule).
    pub(crate) password_v4: BTreeSet<String>,
    /// Source address of every sshd `Failed <method> for ... from ADDR port`.
    pub(crate) any_failure: BTreeSet<String>,
}

impl AuthReference {
    pub(crate) fn add_line(&mut self, line: &[u8]) {
        let Some(failed) = find(line, b"Failed ") else {
            return;
        };
        if find(line, b"Failed password").is_some()
            && let Some(ip) = first_ipv4(line)
        {
            self.password_v4
                .insert(String::from_utf8_lossy(ip).into_owned());
        }
        if find(line, b"sshd[").is_none() {
            return;
        }
        let rest = &line[failed..];
        let Some(port) = find(rest, b" port ") else {
            return;
        };
        let before = &rest[..port];
        if let Some(from) = rfind(before, b" from ") {
            let addr = &before[from + b" from ".len()..];
            if !addr.is_empty() && !addr.contains(&b' ') {
                self.any_failure
                    .insert(String::from_utf8_lossy(addr).into_owned());
            }
        }
    }
}

/// Reads the auth log at `path` line by line into an [`AuthReference`].
pub(crate) fn reference_auth(path: &Path) -> Result<AuthReference, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut reference = AuthReference::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        reference.add_line(&line);
    }
    Ok(reference)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The leftmost match of the regex `\d{1,3}(?:\.\d{1,3}){3}` with Python's
/// (backtracking, greedy) semantics.
pub(crate) fn first_ipv4(line: &[u8]) -> Option<&[u8]> {
    (0..line.len()).find_map(|start| match_octets(line, start, 0).map(|end| &line[start..end]))
}

fn match_octets(s: &[u8], at: usize, group: usize) -> Option<usize> {
    let run = s[at.min(s.len())..]
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    for len in (1..=run).rev() {
        let end = at + len;
        if group == 3 {
            return Some(end);
        }
        if s.get(end) == Some(&b'.')
            && let Some(found) = match_octets(s, end + 1, group + 1)
        {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ipv4_regex_semantics() {
        let ip =
            |s: &str| first_ipv4(s.as_bytes()).map(|b| String::from_utf8_lossy(b).into_owned());
        assert_eq!(ip("from 10.0.0.1 port 22"), Some("10.0.0.1".into()));
        assert_eq!(ip("from 1.2.3.164 port"), Some("1.2.3.164".into()));
        // Backtracking: `1234.5.6.7` matches from its second digit.
        assert_eq!(ip("x1234.5.6.7"), Some("234.5.6.7".into()));
        assert_eq!(ip("1.2.3.4567"), Some("1.2.3.456".into()));
        assert_eq!(ip("v1.2.3 and 9.9.9.9"), Some("9.9.9.9".into()));
        assert_eq!(ip("2001:db8::1"), None);
        assert_eq!(ip("1.2.3."), None);
    }

    #[test]
    fn reference_sets_follow_each_rule() {
        let mut r = AuthReference::default();
        for line in [
            "Sep 13 13:35:42 h sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
            "Sep 13 13:35:42 h sshd[1]: Failed publickey for bob from 5.6.7.8 port 22 ssh2: RSA x",
            "Sep 13 13:35:42 h sshd[1]: Failed password for invalid user a from 2001:db8::1 port 2 ssh2",
            "Sep 13 13:35:42 h sshd[1]: message repeated 3 times: [ Failed password for x from 9.9.9.9 port 1 ssh2]",
            "Sep 13 13:35:42 h sshd[1]: Accepted password for bob from 4.4.4.4 port 22 ssh2",
            "Sep 13 13:35:42 h sudo: Failed password in a decoy from 7.7.7.7 port 1",
        ] {
            r.add_line(line.as_bytes());
        }
        assert_eq!(r.password_v4, set(&["1.2.3.4", "9.9.9.9", "7.7.7.7"]));
        assert_eq!(
            r.any_failure,
            set(&["1.2.3.4", "5.6.7.8", "2001:db8::1", "9.9.9.9"])
        );
    }

    #[test]
    fn set_comparison_names_the_difference() {
        assert_eq!(compare_sets(&set(&["a", "b"]), &set(&["b", "a"])), Ok(()));
        let err = compare_sets(&set(&["a", "c"]), &set(&["a", "b"])).err();
        let err = err.unwrap_or_default();
        assert!(
            err.contains("missing [\"b\"]") && err.contains("extra [\"c\"]"),
            "{err}"
        );
    }

    #[test]
    fn peers_and_logscan_agree_on_the_same_answer() {
        let logscan = parse_logscan_access(
            r#"{"lines":5,"status":{"200":3,"404":2},"top_ips":[{"ip":"9.9.9.9","count":3},{"ip":"1.1.1.1","count":1},{"ip":"2.2.2.2","count":1}]}"#,
        );
        let peer =
            parse_peer_access("1 2.2.2.2\nstatus 404 2\n3 9.9.9.9\nstatus 200 3\n1 1.1.1.1\n");
        let (Ok(logscan), Ok(peer)) = (logscan, peer) else {
            panic!("parse failed");
        };
        assert_eq!(compare_access(&peer, &logscan), Ok(()));

        let mut swapped = peer.clone();
        swapped.top.swap(1, 2);
        let err = compare_access(&swapped, &logscan).err().unwrap_or_default();
        assert!(err.contains("rank 2"), "{err}");

        let mut histogram = peer.clone();
        histogram.status.insert("500".into(), 1);
        let err = compare_access(&histogram, &logscan)
            .err()
            .unwrap_or_default();
        assert!(err.contains("500: 1 vs 0"), "{err}");

        assert_eq!(peer.times(2).top[0], ("9.9.9.9".to_owned(), 6));
        assert!(parse_peer_access("what is this line").is_err());
        assert!(parse_logscan_access("{}").is_err());
    }

    #[test]
    fn goaccess_report_is_read_by_status_code_and_host() {
        let text = r#"{"general":{},"hosts":{"data":[{"hits":{"count":3},"data":"9.9.9.9"},{"hits":{"count":1},"data":"1.1.1.1"}]},
            "status_codes":{"data":[{"hits":{"count":3},"data":"2xx Success","items":[{"hits":{"count":3},"data":"200 - OK: fine"}]},
            {"hits":{"count":2},"data":"4xx","items":[{"hits":{"count":2},"data":"404 - Not Found: gone"}]}]}}"#;
        let Ok((status, hosts)) = parse_goaccess(text) else {
            panic!("goaccess report not parsed");
        };
        let want = AccessAnswer {
            status: [("200".to_owned(), 3), ("404".to_owned(), 2)].into(),
            top: vec![("9.9.9.9".to_owned(), 3), ("1.1.1.1".to_owned(), 1)],
        };
        assert_eq!(compare_goaccess(&status, &hosts, &want), Ok(()));
        let mut more = want.clone();
        more.top.push(("3.3.3.3".to_owned(), 1));
        assert!(compare_goaccess(&status, &hosts, &more).is_err());
    }
}
