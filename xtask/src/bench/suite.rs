//! `--suite NAME`: which comparison `cargo xtask bench` runs. Each suite
//! but the default one lives in a module of its own and parses the rest of
//! the arguments itself.

use std::ffi::OsString;

/// A comparison `cargo xtask bench` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suite {
    /// logscan against grep, ripgrep, awk, goaccess and Python (the default).
    Logs,
    /// confmerge against the Python original (PyYAML, deep_merge, jsonschema).
    Config,
    /// ops-exec against std::process and Python's subprocess.run.
    Exec,
    /// sysexporter against node_exporter.
    Metrics,
}

const NAMES: &str = "logs, config, exec or metrics";

/// Takes `--suite NAME` (or `--suite=NAME`) out of `args`; the last one
/// given wins.
pub(crate) fn take_suite(args: Vec<OsString>) -> Result<(Suite, Vec<OsString>), String> {
    let mut suite = Suite::Logs;
    let mut rest = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let name = match arg.to_str() {
            Some("--suite") => args.next().and_then(|v| v.into_string().ok()),
            Some(s) if s.starts_with("--suite=") => Some(s["--suite=".len()..].to_owned()),
            _ => {
                rest.push(arg);
                continue;
            }
        };
        suite = match name.as_deref() {
            Some("logs") => Suite::Logs,
            Some("config") => Suite::Config,
            Some("exec") => Suite::Exec,
            Some("metrics") => Suite::Metrics,
            Some(other) => return Err(format!("unknown suite `{other}` ({NAMES})")),
            None => return Err(format!("option `--suite` needs a value ({NAMES})")),
        };
    }
    Ok((suite, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn suite_is_taken_out_of_the_arguments() {
        assert_eq!(
            take_suite(args(&["--quick"])),
            Ok((Suite::Logs, args(&["--quick"])))
        );
        assert_eq!(
            take_suite(args(&["--suite", "metrics", "--quick"])),
            Ok((Suite::Metrics, args(&["--quick"])))
        );
        assert_eq!(
            take_suite(args(&["--suite", "config"])),
            Ok((Suite::Config, args(&[])))
        );
        assert_eq!(
            take_suite(args(&["--suite=exec"])),
            Ok((Suite::Exec, args(&[])))
        );
        assert_eq!(
            take_suite(args(&["--runs", "3", "--suite=logs"])),
            Ok((Suite::Logs, args(&["--runs", "3"])))
        );
        assert!(take_suite(args(&["--suite", "disks"])).is_err());
        assert!(take_suite(args(&["--suite"])).is_err());
    }
}
