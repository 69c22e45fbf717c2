//! `cargo xtask ci`: every check a change must pass, in the order `.ci/run`
//! runs them. Stops at the first failure.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

pub(crate) const USAGE: &str = "\
usage: cargo xtask ci [--fuzz-seconds N] [--no-fuzz]

Runs, from the workspace root:
  cargo fmt --all --check
  cargo clippy --workspace --all-targets -- -D warnings
  cargo test --workspace                       (the README's test command)
  RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps
  cargo fuzz run --sanitizer S --target-dir target/fuzz TARGET -- -max_total_time=N
                                               (every target of every crates/*/fuzz; S is
                                               none where the crate forbids unsafe code)
  cargo xtask bench --quick                    (the benchmark harness on 50 MB, so it never rots)

  --fuzz-seconds N   seconds per fuzz target (default 10)
  --no-fuzz          skip fuzzing (it needs cargo-fuzz: cargo install cargo-fuzz)

Exit status: 0 when every check passes, 1 when one fails, 2 on a usage error.
";

pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    let mut fuzz_seconds: u64 = 10;
    let mut fuzz = true;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--no-fuzz") => fuzz = false,
            Some("--fuzz-seconds") => match args.next().and_then(|v| v.to_str()?.parse().ok()) {
                Some(n) => fuzz_seconds = n,
                None => return usage_error("--fuzz-seconds needs a whole number"),
            },
            Some("-h" | "--help") => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => return usage_error(&format!("unknown argument `{}`", arg.to_string_lossy())),
        }
    }
    let root = workspace_root();
    let mut steps: Vec<(String, Command)> = vec![
        step(&root, "cargo", &["fmt", "--all", "--check"]),
        step(
            &root,
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        step(&root, "cargo", &["test", "--workspace"]),
        {
            let (name, mut cmd) = step(&root, "cargo", &["doc", "--workspace", "--no-deps"]);
            cmd.env("RUSTDOCFLAGS", "-D warnings");
            (format!("RUSTDOCFLAGS='-D warnings' {name}"), cmd)
        },
    ];
    if fuzz {
        match fuzz_steps(&root, fuzz_seconds) {
            Ok(more) => steps.extend(more),
            Err(e) => {
                eprintln!("xtask ci: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    // Last: it needs the peers (rg, mawk, gawk, goaccess, time, python3),
    // which .ci/run installs, and skips any that are missing.
    steps.push(step(&root, "cargo", &["xtask", "bench", "--quick"]));
    for (name, mut cmd) in steps {
        println!("\n== {name} ==");
        let started = Instant::now();
        match cmd.status() {
            Ok(s) if s.success() => {
                println!("-- ok in {:.0} s", started.elapsed().as_secs_f64());
            }
            Ok(s) => {
                eprintln!("xtask ci: `{name}` failed ({s})");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("xtask ci: cannot run `{name}`: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("\nxtask ci: all checks passed");
    ExitCode::SUCCESS
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("xtask ci: {msg}");
    eprint!("{USAGE}");
    ExitCode::from(2)
}

/// The workspace root: xtask's manifest sits one level below it.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn step(dir: &Path, program: &str, args: &[&str]) -> (String, Command) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    (format!("{program} {}", args.join(" ")), cmd)
}

/// One short fuzzing run per target of every `crates/*/fuzz` folder.
fn fuzz_steps(root: &Path, seconds: u64) -> Result<Vec<(String, Command)>, String> {
    let mut steps = Vec::new();
    let crates = std::fs::read_dir(root.join("crates"))
        .map_err(|e| format!("cannot list {}: {e}", root.join("crates").display()))?;
    let mut dirs: Vec<PathBuf> = crates
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("fuzz/Cargo.toml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let listed = Command::new("cargo")
            .args(["fuzz", "list"])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("cannot run cargo fuzz list: {e}"))?;
        if !listed.status.success() {
            return Err(format!(
                "`cargo fuzz list` failed in {} (is cargo-fuzz installed? `cargo install cargo-fuzz`): {}",
                dir.display(),
                String::from_utf8_lossy(&listed.stderr).trim()
            ));
        }
        // One target dir for every crate's fuzz workspace: the sanitizer
        // flags are the same, so the shared dependencies build once.
        let target_dir = root.join("target/fuzz");
        let target_dir = target_dir.to_string_lossy();
        // AddressSanitizer finds memory errors only where there is
        // `unsafe` code: a crate that forbids it is fuzzed for panics and
        // wrong answers without the sanitizer, which builds and runs
        // faster. A crate with `unsafe` (ops-logscan's mmap) keeps it.
        let sanitizer = if forbids_unsafe(&dir) {
            "none"
        } else {
            "address"
        };
        for target in String::from_utf8_lossy(&listed.stdout).lines() {
            let max_time = format!("-max_total_time={seconds}");
            let (name, mut cmd) = step(
                &dir,
                "cargo",
                &[
                    "fuzz",
                    "run",
                    "--sanitizer",
                    sanitizer,
                    "--target-dir",
                    &target_dir,
                    target,
                    "--",
                    &max_time,
                    "-rss_limit_mb=4096",
                ],
            );
            // cargo-fuzz passes unstable sanitizer flags; the stable
            // toolchain accepts them with RUSTC_BOOTSTRAP.
            cmd.env("RUSTC_BOOTSTRAP", "1");
            let krate = dir
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            steps.push((format!("({krate}) {name}"), cmd));
        }
    }
    Ok(steps)
}

/// Whether the crate in `dir` says `#![forbid(unsafe_code)]` at its root.
fn forbids_unsafe(dir: &Path) -> bool {
    ["src/lib.rs", "src/main.rs"].iter().any(|root| {
        std::fs::read_to_string(dir.join(root))
            .is_ok_and(|text| text.lines().any(|l| l.trim() == "#![forbid(unsafe_code)]"))
    })
}
