//! `cargo xtask`: workspace automation.
//!
//! `main` only dispatches; each subcommand lives in its own module with a
//! `run(args) -> ExitCode` entry point. Exit codes: 0 success, 1 failure
//! while working, 2 usage error.

use std::ffi::OsString;
use std::process::ExitCode;

mod bench;
mod ci;
mod gen_logs;

const USAGE: &str = "\
usage: cargo xtask <command> [args...]

commands:
  bench      time logscan against its peers on generated logs (see `cargo xtask bench --help`)
  ci         every check of .ci/run: fmt, clippy, tests, docs, fuzzing
  gen-logs   generate a synthetic auth or access log (see `cargo xtask gen-logs --help`)
";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest: Vec<OsString> = args.collect();
    match command.to_str() {
        Some("bench") => bench::run(rest),
        Some("ci") => ci::run(rest),
        Some("gen-logs") => gen_logs::run(rest),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("xtask: unknown command `{}`", command.to_string_lossy());
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
