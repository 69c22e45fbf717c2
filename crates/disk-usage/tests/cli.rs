//! `disk-usage` on this machine's real `df`.

use std::process::Command;

fn disk_usage(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_disk-usage"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn threshold_zero_lists_the_root_mount_and_exits_one() {
    let out = disk_usage(&["--threshold", "0", "/"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("mounted on"), "{text}");
    assert!(lines.next().unwrap().starts_with("/ "), "{text}");
}

#[test]
fn nothing_above_one_hundred_and_json() {
    // Only a full filesystem can be at 100%: / is not, here.
    let out = disk_usage(&["--threshold", "100", "--json", "/"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!([]));
    let out = disk_usage(&["--threshold", "0", "--json", "/"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["mounted_on"], "/");
    assert!(v[0]["size_kib"].as_u64().unwrap() > 0);
}

#[test]
fn a_missing_path_is_one_error_line() {
    let out = disk_usage(&["/no/such/path/opskit"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.starts_with("disk-usage: error: `df -P -k /no/such/path/opskit` exited with code 1"),
        "{text}"
    );
}
