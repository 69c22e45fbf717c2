//! The auth analyzer on real logs, checked against the oracle in
//! `common/auth_oracle.rs` and against facts found with grep.

mod common;

use common::auth_oracle::{check, scan, testdata};

#[test]
fn elastic_auth_log() {
    let (got, want) = check(&testdata("auth.log"));
    // Known by grep: 632 `Failed` lines and 85 `message repeated N times:
    // [ Failed ...]` lines standing for 410 failures.
    assert_eq!(want.repeated_lines, 85);
    assert_eq!(got.failed, 632 + 410);
    assert_eq!(got.failed_by_ip.len(), 105);
    assert_eq!(got.invalid_user, 178);
    assert_eq!(got.accepted, 226);
    assert_eq!(got.failed_by_method.get(b"publickey"), 4);
    assert_eq!(got.malformed, 0);
    // `grep -c 'sshd\['`: the other 3,026 lines are CRON, sudo, systemd...
    assert_eq!(got.sshd_lines, 4095);
}

#[test]
fn loghub_openssh() {
    let (got, want) = check(&testdata("OpenSSH_2k.log"));
    // 522 `Failed` lines (4 of them `Failed none`), 2 repeated 5 times.
    assert_eq!(want.repeated_lines, 2);
    assert_eq!(got.failed, 522 + 10);
    assert_eq!(got.failed_by_method.get(b"none"), 4);
    assert_eq!(got.failed_by_ip.len(), 24);
    assert_eq!(got.invalid_user, 113);
    assert_eq!(got.accepted, 1);
    assert_eq!(got.accepted_by_user.get(b"fztu"), 1);
    assert_eq!(got.sshd_lines, 2000);
    assert_eq!(got.malformed, 0);
}

#[test]
fn loghub_linux_has_no_sshd_failures() {
    let (got, _) = check(&testdata("Linux_2k.log"));
    // Its failures come from `sshd(pam_unix)`, which is not `sshd`.
    assert_eq!(got.totals.lines, 2000);
    assert_eq!(got.failed, 0);
    assert!(got.failed_by_ip.is_empty());
    assert_eq!(got.sshd_lines, 0);
    assert_eq!(got.report(10).top, []);
}

#[test]
fn report_on_a_real_log() {
    let got = scan(&testdata("OpenSSH_2k.log"), 2, 50_000, 1 << 16);
    let r = got.report(3);
    assert_eq!(r.top.len(), 3);
    assert!(r.top.windows(2).all(|w| w[0].count >= w[1].count));
    assert_eq!(r.top[0].count, got.failed_by_ip.top(1)[0].1);
    let text = r.to_string();
    assert!(
        text.contains(&format!("failed logins: {}", got.failed)),
        "{text}"
    );
    assert!(text.contains(&r.top[0].ip));
}
