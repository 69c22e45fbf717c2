//! `cargo xtask gen-logs`: write a synthetic log with `ops-loggen`.
//!
//! Arguments are parsed by hand to keep xtask's dependencies few.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ops_loggen::{GenOptions, Kind, Quirks, Summary, generate, parse_size};

pub(crate) const USAGE: &str = "\
usage: cargo xtask gen-logs --kind auth|access --size SIZE [--seed N]
                            [--quirks | --quirks=LIST] [--long-line-bytes SIZE] OUT

Writes a deterministic synthetic log to OUT (a file path, or - for stdout)
and prints a one-line summary to stderr.

  --kind KIND              auth (sshd/syslog) or access (nginx/Apache combined)
  --size SIZE              stop at the first line end at or after SIZE bytes;
                           123, 50MB, 50MiB, 1GiB, 1.5GB, ...
  --seed N                 seed of the generator (default 0)
  --quirks                 mix in every irregularity (CRLF, NUL, bad UTF-8, ...)
  --quirks=LIST            only these, comma-separated: crlf, no-final-newline,
                           invalid-utf8, nul, long-lines, iso-timestamps,
                           missing-pid, odd-users, decoys, escaped-quotes,
                           empty-requests, extra-fields, malformed, common-format
  --long-line-bytes SIZE   length of long-lines quirk lines (default 128KiB)
  -h, --help               show this help

Exit status: 0 on success, 1 if writing fails, 2 on a usage error.
";

/// Where the log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    Stdout,
    File(PathBuf),
}

impl Output {
    fn describe(&self) -> String {
        match self {
            Output::Stdout => "stdout".to_owned(),
            Output::File(path) => path.display().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Args {
    opts: GenOptions,
    out: Output,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Help,
    Generate(Args),
}

/// Why the command stopped: a message and an exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

/// Entry point from `main`.
pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    match execute(args) {
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(line)) => {
            eprintln!("{line}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            // One line, so that scripts can show it as is.
            let hint = if failure.code == 2 {
                " (see `cargo xtask gen-logs --help`)"
            } else {
                ""
            };
            eprintln!("gen-logs: {}{hint}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Parses, generates, and returns the summary line (`None` for `--help`).
fn execute(args: Vec<OsString>) -> Result<Option<String>, Failure> {
    let args = match parse(args)? {
        Command::Help => return Ok(None),
        Command::Generate(args) => args,
    };
    let start = Instant::now();
    let result = match &args.out {
        Output::Stdout => generate(&args.opts, io::stdout().lock()),
        Output::File(path) => {
            let file = File::create(path).map_err(|e| {
                Failure::usage(format!(
                    "cannot create output file `{}`: {e}",
                    path.display()
                ))
            })?;
            generate(&args.opts, file)
        }
    };
    let summary = result.map_err(|e| Failure {
        code: 1,
        message: match e {
            ops_loggen::Error::Write { written, source } => format!(
                "cannot write `{}` after {written} bytes: {source}",
                args.out.describe()
            ),
            other => format!("{}: {other}", args.out.describe()),
        },
    })?;
    Ok(Some(summary_line(
        &summary,
        args.opts.kind(),
        &args.out,
        start.elapsed(),
    )))
}

/// `gen-logs: wrote 1073741900 bytes, 5123456 lines to /tmp/a.log in 2.51 s (427.8 MB/s)`
fn summary_line(summary: &Summary, kind: Kind, out: &Output, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        format!("{:.1} MB/s", summary.bytes as f64 / secs / 1e6)
    } else {
        "-- MB/s".to_owned()
    };
    let failures = match kind {
        Kind::Auth => format!(" ({} sshd failures)", summary.auth_failures),
        _ => String::new(),
    };
    format!(
        "gen-logs: wrote {} bytes, {} lines{failures} to {} in {secs:.2} s ({rate})",
        summary.bytes,
        summary.lines,
        out.describe(),
    )
}

fn parse(args: Vec<OsString>) -> Result<Command, Failure> {
    let mut kind: Option<Kind> = None;
    let mut size: Option<u64> = None;
    let mut seed: Option<u64> = None;
    let mut quirks: Option<Quirks> = None;
    let mut long_line_bytes: Option<usize> = None;
    let mut out: Option<Output> = None;

    fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), Failure> {
        if slot.is_some() {
            return Err(Failure::usage(format!(
                "option `{name}` given more than once"
            )));
        }
        *slot = Some(value);
        Ok(())
    }

    let mut args = args.into_iter();
    let mut only_positional = false;
    while let Some(raw) = args.next() {
        let arg = raw.to_str();
        if only_positional || arg == Some("-") || !arg.is_some_and(|a| a.starts_with('-')) {
            let target = if arg == Some("-") {
                Output::Stdout
            } else {
                Output::File(PathBuf::from(raw))
            };
            if out.is_some() {
                return Err(Failure::usage("more than one output path given"));
            }
            out = Some(target);
            continue;
        }
        // `arg` is a UTF-8 string starting with '-' here.
        let arg = arg.unwrap_or_default();
        if arg == "--" {
            only_positional = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (arg, None),
        };
        let mut value = || -> Result<String, Failure> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            let next = args
                .next()
                .ok_or_else(|| Failure::usage(format!("option `{name}` needs a value")))?;
            next.into_string()
                .map_err(|_| Failure::usage(format!("value of option `{name}` is not UTF-8")))
        };
        match name {
            "-h" | "--help" => return Ok(Command::Help),
            "--kind" => {
                let v = value()?;
                let k = v
                    .parse::<Kind>()
                    .map_err(|e| Failure::usage(format!("--kind: {e}")))?;
                set(&mut kind, name, k)?;
            }
            "--size" => {
                let v = value()?;
                let s = parse_size(&v).map_err(|e| Failure::usage(format!("--size: {e}")))?;
                set(&mut size, name, s)?;
            }
            "--seed" => {
                let v = value()?;
                let s = v.parse::<u64>().map_err(|_| {
                    Failure::usage(format!("--seed: `{v}` is not an integer in 0..=2^64-1"))
                })?;
                set(&mut seed, name, s)?;
            }
            "--quirks" => {
                let q = match &inline {
                    None => Quirks::all(),
                    Some(list) => list
                        .parse::<Quirks>()
                        .map_err(|e| Failure::usage(format!("--quirks: {e}")))?,
                };
                set(&mut quirks, name, q)?;
            }
            "--long-line-bytes" => {
                let v = value()?;
                let n = parse_size(&v)
                    .map_err(|e| Failure::usage(format!("--long-line-bytes: {e}")))?;
                let n = usize::try_from(n).map_err(|_| {
                    Failure::usage(format!("--long-line-bytes: `{v}` is too large"))
                })?;
                set(&mut long_line_bytes, name, n)?;
            }
            _ => return Err(Failure::usage(format!("unknown option `{name}`"))),
        }
    }

    let kind = kind.ok_or_else(|| Failure::usage("missing `--kind auth|access`"))?;
    let size = size.ok_or_else(|| Failure::usage("missing `--size SIZE`"))?;
    let out = out.ok_or_else(|| Failure::usage("missing output path (use - for stdout)"))?;
    let mut builder = GenOptions::builder(kind)
        .size_bytes(size)
        .seed(seed.unwrap_or(0))
        .quirks(quirks.unwrap_or_default());
    if let Some(n) = long_line_bytes {
        builder = builder.long_line_bytes(n);
    }
    let opts = builder
        .build()
        .map_err(|e| Failure::usage(format!("--long-line-bytes: {e}")))?;
    Ok(Command::Generate(Args { opts, out }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn parsed(list: &[&str]) -> Args {
        match parse(args(list)) {
            Ok(Command::Generate(a)) => a,
            other => panic!("{list:?} gave {other:?}"),
        }
    }

    fn usage_error(list: &[&str]) -> String {
        match parse(args(list)) {
            Err(f) => {
                assert_eq!(f.code, 2, "{list:?}");
                f.message
            }
            Ok(c) => panic!("{list:?} parsed as {c:?}"),
        }
    }

    #[test]
    fn full_command_line() {
        let a = parsed(&[
            "--kind",
            "access",
            "--size",
            "1GiB",
            "--seed",
            "7",
            "--quirks",
            "/tmp/a.log",
        ]);
        assert_eq!(a.opts.kind(), Kind::Access);
        assert_eq!(a.opts.size_bytes(), 1 << 30);
        assert_eq!(a.opts.seed(), 7);
        assert_eq!(a.opts.quirks(), Quirks::all());
        assert_eq!(a.out, Output::File(PathBuf::from("/tmp/a.log")));
    }

    #[test]
    fn inline_values_defaults_and_stdout() {
        let a = parsed(&["--kind=auth", "--size=1.5GB", "-"]);
        assert_eq!(a.opts.kind(), Kind::Auth);
        assert_eq!(a.opts.size_bytes(), 1_500_000_000);
        assert_eq!(a.opts.seed(), 0);
        assert_eq!(a.opts.quirks(), Quirks::none());
        assert_eq!(a.out, Output::Stdout);

        let b = parsed(
            &[
                "--quirks=crlf,nul",
                "--long-line-bytes",
                "4KiB",
                "--kind",
                "auth",
            ]
            .iter()
            .chain(&["--size", "10", "--", "-odd-name"])
            .copied()
            .collect::<Vec<_>>(),
        );
        assert_eq!(b.opts.quirks(), Quirks::CRLF | Quirks::NUL_BYTES);
        assert_eq!(b.opts.long_line_bytes(), 4096);
        assert_eq!(b.out, Output::File(PathBuf::from("-odd-name")));
    }

    #[test]
    fn help() {
        assert_eq!(parse(args(&["--size", "1", "-h"])), Ok(Command::Help));
        assert_eq!(execute(args(&["--help"])), Ok(None));
    }

    #[test]
    fn usage_errors_name_the_problem() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["--kind", "auth", "--size", "1", "--bogus", "x"],
                "unknown option `--bogus`",
            ),
            (
                &["--kind", "syslog", "--size", "1", "x"],
                "unknown log kind `syslog`",
            ),
            (
                &["--kind", "auth", "--size", "12 parsecs", "x"],
                "invalid size `12 parsecs`",
            ),
            (
                &["--kind", "auth", "--size", "1", "--seed", "-3", "x"],
                "--seed: `-3`",
            ),
            (
                &["--kind", "auth", "--size", "1", "--quirks=crlf,zzz", "x"],
                "unknown quirk `zzz`",
            ),
            (&["--size", "1", "x"], "missing `--kind"),
            (&["--kind", "auth", "x"], "missing `--size"),
            (&["--kind", "auth", "--size", "1"], "missing output path"),
            (
                &["--kind", "auth", "--size", "1", "a", "b"],
                "more than one output path",
            ),
            (
                &["--kind", "auth", "--kind", "auth", "--size", "1", "x"],
                "`--kind` given more than once",
            ),
            (&["--kind", "auth", "--size"], "`--size` needs a value"),
            (
                &[
                    "--kind",
                    "auth",
                    "--size",
                    "1",
                    "--long-line-bytes",
                    "10",
                    "x",
                ],
                "`long_line_bytes`",
            ),
        ];
        for &(list, want) in cases {
            let msg = usage_error(list);
            assert!(msg.contains(want), "{list:?}: {msg:?} lacks {want:?}");
        }
    }

    #[test]
    fn unwritable_output_is_a_usage_error() {
        let dir =
            std::env::temp_dir().join(format!("xtask-gen-logs-missing-{}", std::process::id()));
        let path = dir.join("nested").join("a.log");
        let path_str = path.to_string_lossy().into_owned();
        let err = execute(args(&["--kind", "auth", "--size", "1KB", &path_str]));
        let Err(failure) = err else {
            panic!("writing under a missing directory succeeded");
        };
        assert_eq!(failure.code, 2);
        assert!(failure.message.contains(&path_str), "{}", failure.message);
    }

    #[test]
    fn writes_the_file_and_summarises() {
        let path = std::env::temp_dir().join(format!("xtask-gen-logs-{}.log", std::process::id()));
        let path_str = path.to_string_lossy().into_owned();
        let result = execute(args(&[
            "--kind", "access", "--size", "20KB", "--seed", "3", &path_str,
        ]));
        let written = std::fs::read(&path);
        let _ = std::fs::remove_file(&path);
        let line = match result {
            Ok(Some(line)) => line,
            other => panic!("{other:?}"),
        };
        let bytes = written.map(|b| b.len()).unwrap_or(0);
        assert!(bytes >= 20_000, "{bytes} bytes");
        assert!(line.contains(&format!("wrote {bytes} bytes")), "{line}");
        assert!(line.contains(&path_str), "{line}");
        assert!(line.ends_with("MB/s)"), "{line}");
    }

    #[test]
    fn summary_line_reports_rate() {
        let mut summary = Summary::default();
        summary.bytes = 500_000_000;
        summary.lines = 2_000_000;
        summary.auth_failures = 600_000;
        let out = Output::File(PathBuf::from("/tmp/a.log"));
        let line = summary_line(&summary, Kind::Auth, &out, Duration::from_millis(1250));
        assert_eq!(
            line,
            "gen-logs: wrote 500000000 bytes, 2000000 lines (600000 sshd failures) to /tmp/a.log in 1.25 s (400.0 MB/s)"
        );
        let access = summary_line(&summary, Kind::Access, &Output::Stdout, Duration::ZERO);
        assert_eq!(
            access,
            "gen-logs: wrote 500000000 bytes, 2000000 lines to stdout in 0.00 s (-- MB/s)"
        );
    }
}
