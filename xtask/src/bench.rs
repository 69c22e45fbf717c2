//! `cargo xtask bench`: logscan against its peers (the seed's Python,
//! ripgrep, grep, awk, goaccess) on the same generated files, in the same
//! run, with every answer checked.
//!
//! `measure` times pipelines with GNU time, `answer` reads and compares what
//! the tools print, `report` writes the table and the SVG chart, `json` is
//! the small JSON reader the answers need.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ops_loggen::{GenOptions, Kind, Quirks, generate};

mod answer;
mod config;
mod exec;
mod json;
mod measure;
mod metrics;
mod opts;
mod report;
mod suite;

use answer::AccessAnswer;
use opts::Opts;
use report::{Row, Section, Verdict};

pub(crate) const USAGE: &str = "\
usage: cargo xtask bench [--suite logs] [--quick] [--size SIZE] [--runs N] [--scale]
       cargo xtask bench --suite exec [...]      (ops-exec vs std and Python; --suite exec --help)
       cargo xtask bench --suite metrics [...]   (sysexporter vs node_exporter; --suite metrics --help)

Generates an auth and an access log in bench-data/ (once; ops-loggen, seed 42,
no quirks), builds logscan in release, and times logscan and its peers
(python3, rg, grep, mawk, gawk, goaccess, wc) on them: one checked warm-up run,
then N timed runs under /usr/bin/time. Prints the table; without --quick also
rewrites docs/benchmarks.md and docs/bench-throughput.svg.

  --size SIZE   size of each generated log (default 1GiB)
  --runs N      timed runs per command (default 5; 2 with --quick)
  --quick       50MB files, few runs, docs untouched (what CI runs)
  --scale       also time logscan on a log 4 times as large (generated once)
  -h, --help    show this help

--suite config runs the config benchmark instead (confmerge against the
Python original; see `cargo xtask bench --suite config --help`).

Missing peers are reported and skipped. Exit status: 0 when every answer is
right, 1 when one is wrong or a command fails, 2 on a usage error.
";

/// Seed of every generated input, so that runs compare the same bytes.
const SEED: u64 = 42;
const QUICK_SIZE: u64 = 50_000_000;
const QUICK_RUNS: usize = 2;
const DEFAULT_RUNS: usize = 5;
/// goaccess reads this much of the access log: it is too slow for all of it.
const SLICE_BYTES: u64 = 100_000_000;
const QUICK_SLICE_BYTES: u64 = 10_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Args {
    size: u64,
    runs: usize,
    quick: bool,
    scale: bool,
}

fn parse(args: Vec<OsString>) -> Result<Option<Args>, String> {
    let mut size = None;
    let mut runs = None;
    let mut quick = false;
    let mut scale = false;
    let mut opts = Opts::new(args);
    while let Some(name) = opts.next_name()? {
        match name {
            "-h" | "--help" => return Ok(None),
            "--quick" => quick = true,
            "--scale" => scale = true,
            "--size" => size = Some(opts.size()?),
            "--runs" => runs = Some(opts.number(1..=1000)? as usize),
            _ => return Err(opts.unknown()),
        }
    }
    let default_size = if quick { QUICK_SIZE } else { 1 << 30 };
    let size = size.unwrap_or(default_size);
    if size == 0 {
        return Err("--size must be more than 0".to_owned());
    }
    Ok(Some(Args {
        size,
        runs: runs.unwrap_or(if quick { QUICK_RUNS } else { DEFAULT_RUNS }),
        quick,
        scale,
    }))
}

/// Entry point from `main`.
pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    let args = match suite::take_suite(args) {
        Ok((suite::Suite::Config, rest)) => return config::run(rest),
        Ok((suite::Suite::Exec, rest)) => return exec::run(rest),
        Ok((suite::Suite::Metrics, rest)) => return metrics::run(rest),
        Ok((suite::Suite::Logs, rest)) => rest,
        Err(msg) => {
            eprintln!("xtask bench: {msg}");
            return ExitCode::from(2);
        }
    };
    suite::Suite::Logs.main(USAGE, parse(args), |a| execute(&a))
}

/// Everything a row needs to run.
struct Ctx {
    root: PathBuf,
    out_dir: PathBuf,
    runs: usize,
    /// `PATH` for the commands: logscan's directory first.
    path: OsString,
}

impl Ctx {
    fn env(&self) -> measure::Env<'_> {
        measure::Env {
            dir: &self.root,
            path: &self.path,
        }
    }
}

/// Runs the whole suite; `Ok(false)` when an answer is wrong or a command
/// failed.
fn execute(args: &Args) -> Result<bool, String> {
    let root = crate::ci::workspace_root();
    let load_at_start = load_average();
    for needed in ["bash", "/usr/bin/time"] {
        if !installed(needed) {
            return Err(format!(
                "`{needed}` is required to time commands (Debian: apt-get install bash time)"
            ));
        }
    }
    let data = root.join("bench-data");
    let out_dir = data.join("out");
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;

    let logscan = build_release(&root, "logscan")?;
    let auth = ensure_log(&root, Kind::Auth, args.size)?;
    let access = ensure_log(&root, Kind::Access, args.size)?;
    let slice_bytes = if args.quick {
        QUICK_SLICE_BYTES
    } else {
        SLICE_BYTES
    };
    let slice = ensure_slice(&root, &access, slice_bytes)?;
    let big = if args.scale {
        Some(ensure_log(
            &root,
            Kind::Access,
            args.size.saturating_mul(4),
        )?)
    } else {
        None
    };
    let gz = if installed("gzip") {
        Some(ensure_gzip(&root, &access)?)
    } else {
        eprintln!("xtask bench: gzip is not installed; skipping the gzip rows");
        None
    };

    let mut dirs: Vec<PathBuf> = logscan
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    dirs.extend(
        std::env::var_os("PATH").map_or_else(Vec::new, |p| std::env::split_paths(&p).collect()),
    );
    let path = std::env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
    let ctx = Ctx {
        root: root.clone(),
        out_dir,
        runs: args.runs,
        path,
    };
    let ls = "logscan";
    let mut sections = vec![
        auth_section(&ctx, ls, &auth)?,
        access_section(&ctx, ls, &access, &slice)?,
    ];
    sections.push(scale_section(
        &ctx,
        ls,
        &access,
        big.as_deref(),
        gz.as_deref(),
    )?);

    let mut all_right = true;
    for section in &sections {
        println!("\n## {}\n", section.title);
        print!("{}", report::table(section));
        for note in report::notes(section) {
            println!("\n{note}");
        }
        all_right &= section
            .rows
            .iter()
            .all(|r| !matches!(r.verdict, Verdict::Wrong(_) | Verdict::Failed(_)));
    }
    if args.quick {
        eprintln!("\nxtask bench: --quick, docs/benchmarks.md left as it is");
    } else if !all_right {
        eprintln!("\nxtask bench: a wrong or failed row; docs/benchmarks.md left as it is");
    } else {
        let load = [load_at_start, load_average()];
        write_docs(&root, args, &sections, &logscan, &load)?;
        eprintln!("\nxtask bench: wrote docs/benchmarks.md and docs/bench-throughput.svg");
    }
    Ok(all_right)
}

/// `cargo build --release -p PACKAGE`; its binary (of the same name)
/// under `CARGO_TARGET_DIR` (or `target/`).
pub(crate) fn build_release(root: &Path, package: &str) -> Result<PathBuf, String> {
    eprintln!("xtask bench: cargo build --release -p {package}");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "-p", package])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --release -p {package} failed ({status})"
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release").join(package);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} not found after the build", bin.display()))
    }
}

/// The generated log of `kind` and `size` in bench-data/, written once.
fn ensure_log(root: &Path, kind: Kind, size: u64) -> Result<PathBuf, String> {
    let path = root
        .join("bench-data")
        .join(format!("{}-{size}-seed{SEED}.log", kind.name()));
    if path.is_file() {
        return Ok(path);
    }
    eprintln!("xtask bench: generating {}", path.display());
    let opts = GenOptions::builder(kind)
        .size_bytes(size)
        .seed(SEED)
        .quirks(Quirks::none())
        .build()
        .map_err(|e| format!("generator options: {e}"))?;
    let tmp = path.with_extension("log.partial");
    let file = File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    generate(&opts, &mut writer).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    writer
        .flush()
        .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    fs::rename(&tmp, &path).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    Ok(path)
}

/// The first `bytes` of `log`, extended to the end of that line.
fn ensure_slice(root: &Path, log: &Path, bytes: u64) -> Result<PathBuf, String> {
    let name = log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = root
        .join("bench-data")
        .join(format!("{name}-first{bytes}.log"));
    if path.is_file() {
        return Ok(path);
    }
    let io_err = |e: io::Error| format!("cutting {}: {e}", log.display());
    let mut reader = BufReader::new(File::open(log).map_err(io_err)?);
    let mut head = Vec::new();
    (&mut reader)
        .take(bytes)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    if !head.ends_with(b"\n") {
        reader.read_until(b'\n', &mut head).map_err(io_err)?;
    }
    fs::write(&path, head).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `gzip -1` of `log`, next to it, made once.
fn ensure_gzip(root: &Path, log: &Path) -> Result<PathBuf, String> {
    let mut name = log.as_os_str().to_owned();
    name.push(".gz");
    let path = PathBuf::from(name);
    if path.is_file() {
        return Ok(path);
    }
    eprintln!("xtask bench: gzip -1 {}", log.display());
    let tmp = path.with_extension("gz.partial");
    let out = File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let status = Command::new("gzip")
        .args(["-1", "-c"])
        .arg(log)
        .current_dir(root)
        .stdout(out)
        .status()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !status.success() {
        return Err(format!("gzip -1 {} failed ({status})", log.display()));
    }
    fs::rename(&tmp, &path).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    Ok(path)
}

/// Whether `program` (a name on PATH, or a path) can be run.
fn installed(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// `path` relative to the workspace root when it is inside it (commands
/// run from the root, and read better that way).
fn display_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn file_len(path: &Path) -> Result<u64, String> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("cannot stat {}: {e}", path.display()))
}

/// One command to measure.
struct Spec<'a> {
    tool: &'a str,
    command: String,
    needs: &'a [&'a str],
    bytes: u64,
    baseline: bool,
}

/// Checks, times and summarises one command; also returns its answer (its
/// stdout) for rows that others are compared with.
fn measure_row(
    ctx: &Ctx,
    spec: Spec<'_>,
    check: impl FnOnce(&str) -> Verdict,
) -> (Row, Option<String>) {
    let mut prepared = [prepare_row(ctx, spec, check)];
    time_rows(ctx, &mut prepared);
    let [p] = prepared;
    (p.row, p.answer)
}

/// A row whose command has been checked (and has warmed the page cache),
/// ready to be timed.
struct Prepared {
    row: Row,
    answer: Option<String>,
    time_file: Option<PathBuf>,
}

/// Runs the command once for its answer and checks it; a missing peer or a
/// failed run leaves nothing to time.
fn prepare_row(ctx: &Ctx, spec: Spec<'_>, check: impl FnOnce(&str) -> Verdict) -> Prepared {
    let mut p = Prepared {
        row: Row {
            tool: spec.tool.to_owned(),
            command: spec.command.clone(),
            bytes: spec.bytes,
            stats: None,
            verdict: Verdict::Unchecked,
            baseline: spec.baseline,
        },
        answer: None,
        time_file: None,
    };
    if let Some(missing) = spec.needs.iter().find(|p| !installed(p)) {
        eprintln!(
            "xtask bench: {} skipped: `{missing}` is not installed",
            spec.tool
        );
        p.row.verdict = Verdict::Missing((*missing).to_owned());
        return p;
    }
    eprintln!("xtask bench: {}", spec.command);
    let slug: String = spec
        .tool
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let out = ctx.out_dir.join(format!("{slug}.out"));
    if let Err(e) = measure::run_for_answer(&spec.command, ctx.env(), &out) {
        p.row.verdict = Verdict::Failed(e);
        return p;
    }
    match fs::read(&out) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            p.row.verdict = check(&text);
            p.answer = Some(text);
            p.time_file = Some(ctx.out_dir.join(format!("{slug}.time")));
        }
        Err(e) => p.row.verdict = Verdict::Failed(format!("cannot read {}: {e}", out.display())),
    }
    p
}

/// Times the prepared rows `ctx.runs` times each, in turns (a run of each,
/// then again), so that a slow spell of a shared machine falls on all of
/// them rather than on one; rows compared with each other are timed
/// together this way.
fn time_rows(ctx: &Ctx, rows: &mut [Prepared]) {
    let mut samples: Vec<Vec<measure::Sample>> = rows.iter().map(|_| Vec::new()).collect();
    for _ in 0..ctx.runs {
        for (p, samples) in rows.iter_mut().zip(&mut samples) {
            let Some(time_file) = &p.time_file else {
                continue;
            };
            match measure::run_timed(&p.row.command, ctx.env(), time_file) {
                Ok(s) => samples.push(s),
                Err(e) => {
                    p.row.verdict = Verdict::Failed(e);
                    p.time_file = None;
                }
            }
        }
    }
    for (p, samples) in rows.iter_mut().zip(&samples) {
        if p.time_file.is_some() {
            p.row.stats = measure::summarize(samples);
        }
    }
}

fn verdict(result: Result<(), String>) -> Verdict {
    match result {
        Ok(()) => Verdict::Ok,
        Err(why) => Verdict::Wrong(why),
    }
}

const IPV4_PCRE: &str = r"\d{1,3}(?:\.\d{1,3}){3}";

/// Task 1: unique IPs with a failed sshd login.
fn auth_section(ctx: &Ctx, ls: &str, log: &Path) -> Result<Section, String> {
    eprintln!(
        "xtask bench: reading {} for the expected answers",
        log.display()
    );
    let want = answer::reference_auth(log)?;
    let a = display_path(&ctx.root, log);
    let bytes = file_len(log)?;
    let spec = |tool, command: String, needs, baseline| Spec {
        tool,
        command,
        needs,
        bytes,
        baseline,
    };
    let peer_check = |text: &str| {
        verdict(answer::compare_sets(
            &answer::parse_ip_lines(text),
            &want.password_v4,
        ))
    };
    let mut rows = Vec::new();
    rows.push(
        measure_row(
            ctx,
            spec("logscan", format!("{ls} auth --ips {a}"), &[], true),
            |text| {
                let got = answer::parse_ip_lines(text);
                verdict(
                    answer::compare_sets(&got, &want.any_failure).and_then(|()| {
                        if want.password_v4.is_subset(&got) {
                            Ok(())
                        } else {
                            Err("misses a `Failed password` IPv4".to_owned())
                        }
                    }),
                )
            },
        )
        .0,
    );
    let peers: [(&str, String, &[&str]); 4] = [
        (
            "python3 (seed script)",
            format!("python3 benches/peers/extract_failed_ips.py {a}"),
            &["python3"],
        ),
        (
            "rg | sort -u",
            format!("rg -o -N -r '$1' 'Failed password.*?({IPV4_PCRE})' {a} | sort -u"),
            &["rg", "sort"],
        ),
        (
            "grep | grep | sort -u",
            format!(
                "grep -F 'Failed password' {a} | grep -oE '[0-9]{{1,3}}(\\.[0-9]{{1,3}}){{3}}' | sort -u"
            ),
            &["grep", "sort"],
        ),
        (
            "mawk | sort",
            format!(
                "mawk '/Failed password/ {{ if (match($0, /[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/)) ips[substr($0, RSTART, RLENGTH)] = 1 }} END {{ for (ip in ips) print ip }}' {a} | sort"
            ),
            &["mawk", "sort"],
        ),
    ];
    for (tool, command, needs) in peers {
        rows.push(measure_row(ctx, spec(tool, command, needs, false), peer_check).0);
    }
    rows.push(
        measure_row(
            ctx,
            spec(
                "rg -c (floor)",
                format!("rg -c -F 'Failed password' {a}"),
                &["rg"],
                false,
            ),
            |_| Verdict::Unchecked,
        )
        .0,
    );
    rows.push(
        measure_row(
            ctx,
            spec("wc -l (floor)", format!("wc -l {a}"), &["wc"], false),
            |_| Verdict::Unchecked,
        )
        .0,
    );
    Ok(Section {
        title: format!("Task 1: unique failed-login IPs, auth log of {bytes} bytes"),
        rows,
    })
}

fn awk_top(awk: &str, file: &str) -> String {
    format!(
        "{awk} '{{ ip[$1]++; st[$9]++ }} END {{ for (s in st) print \"status\", s, st[s]; for (i in ip) print ip[i], i | \"sort -k1,1nr -k2,2 | head -n 10\" }}' {file}"
    )
}

/// Times `logscan access` on the access log: the baseline row of a section,
/// and the answer the other rows are checked against.
fn logscan_access_baseline(
    ctx: &Ctx,
    ls: &str,
    log: &str,
    bytes: u64,
) -> Result<(Row, AccessAnswer), String> {
    let (row, text) = measure_row(
        ctx,
        Spec {
            tool: "logscan",
            command: format!("{ls} access --json --top 10 {log}"),
            needs: &[],
            bytes,
            baseline: true,
        },
        |_| Verdict::Ok,
    );
    match text.as_deref().map(answer::parse_logscan_access) {
        Some(Ok(want)) => Ok((row, want)),
        Some(Err(e)) => Err(format!("logscan access --json: {e}")),
        None => Err("logscan access failed; nothing to compare the other tools with".into()),
    }
}

/// Task 2: status histogram and top-10 clients of the access log.
fn access_section(ctx: &Ctx, ls: &str, log: &Path, slice: &Path) -> Result<Section, String> {
    let b = display_path(&ctx.root, log);
    let bytes = file_len(log)?;
    let (row, want) = logscan_access_baseline(ctx, ls, &b, bytes)?;
    let mut rows = vec![row];
    let peer_check = |text: &str| {
        verdict(answer::parse_peer_access(text).and_then(|got| answer::compare_access(&got, &want)))
    };
    let peers: [(&str, String, &[&str]); 3] = [
        (
            "python3 (seed script)",
            format!("python3 benches/peers/access_top.py {b}"),
            &["python3"],
        ),
        ("mawk", awk_top("mawk", &b), &["mawk", "sort", "head"]),
        ("gawk", awk_top("gawk", &b), &["gawk", "sort", "head"]),
    ];
    for (tool, command, needs) in peers {
        let spec = Spec {
            tool,
            command,
            needs,
            bytes,
            baseline: false,
        };
        rows.push(measure_row(ctx, spec, peer_check).0);
    }

    // goaccess on the slice, checked against logscan on the same slice.
    let s = display_path(&ctx.root, slice);
    let slice_bytes = file_len(slice)?;
    let slice_want = ctx.out_dir.join("logscan-slice.json");
    measure::run_for_answer(
        &format!("{ls} access --json --top 10 {s}"),
        ctx.env(),
        &slice_want,
    )?;
    let slice_want = fs::read_to_string(&slice_want)
        .map_err(|e| format!("cannot read {}: {e}", slice_want.display()))
        .and_then(|t| answer::parse_logscan_access(&t))?;
    let report_path = ctx.out_dir.join("goaccess.json");
    let report_arg = display_path(&ctx.root, &report_path);
    let label = format!("goaccess ({} MB slice)", slice_bytes / 1_000_000);
    let spec = Spec {
        tool: &label,
        command: format!(
            "goaccess {s} --log-format=COMBINED --no-global-config --no-progress -o {report_arg}"
        ),
        needs: &["goaccess"],
        bytes: slice_bytes,
        baseline: false,
    };
    rows.push(
        measure_row(ctx, spec, |_| {
            verdict(
                fs::read_to_string(&report_path)
                    .map_err(|e| format!("cannot read {}: {e}", report_path.display()))
                    .and_then(|t| answer::parse_goaccess(&t))
                    .and_then(|(status, hosts)| {
                        answer::compare_goaccess(&status, &hosts, &slice_want)
                    }),
            )
        })
        .0,
    );
    let spec = Spec {
        tool: "wc -l (floor)",
        command: format!("wc -l {b}"),
        needs: &["wc"],
        bytes,
        baseline: false,
    };
    rows.push(measure_row(ctx, spec, |_| Verdict::Unchecked).0);
    Ok(Section {
        title: format!("Task 2: status histogram and top-10 clients, access log of {bytes} bytes"),
        rows,
    })
}

/// Threads, input size and gzip, all on the access log.
fn scale_section(
    ctx: &Ctx,
    ls: &str,
    log: &Path,
    big: Option<&Path>,
    gz: Option<&Path>,
) -> Result<Section, String> {
    let b = display_path(&ctx.root, log);
    let bytes = file_len(log)?;
    let (row, want) = logscan_access_baseline(ctx, ls, &b, bytes)?;
    let mut rows = vec![row];
    let same = |factor: u64| {
        let want = want.times(factor);
        move |text: &str| {
            verdict(
                answer::parse_logscan_access(text)
                    .and_then(|got| answer::compare_access(&got, &want)),
            )
        }
    };
    // The two thread counts are compared with each other: timed in turns.
    let mut pair = [1, 2].map(|threads| {
        let spec = Spec {
            tool: if threads == 1 {
                "logscan --threads 1"
            } else {
                "logscan --threads 2"
            },
            command: format!("{ls} access --json --top 10 --threads {threads} {b}"),
            needs: &[],
            bytes,
            baseline: false,
        };
        prepare_row(ctx, spec, same(1))
    });
    time_rows(ctx, &mut pair);
    rows.extend(pair.map(|p| p.row));
    if let Some(big) = big {
        let spec = Spec {
            tool: "logscan, 4x input",
            command: format!(
                "{ls} access --json --top 10 {}",
                display_path(&ctx.root, big)
            ),
            needs: &[],
            bytes: file_len(big)?,
            baseline: false,
        };
        // A different generated file: no answer to compare with.
        rows.push(measure_row(ctx, spec, |_| Verdict::Unchecked).0);
    }
    if let Some(gz) = gz {
        let g = display_path(&ctx.root, gz);
        let specs: [(&str, String, u64, bool); 4] = [
            (
                "logscan, .gz",
                format!("{ls} access --json --top 10 {g}"),
                1,
                true,
            ),
            ("gzip -dc", format!("gzip -dc {g}"), 1, false),
            (
                "logscan, 2 x .gz",
                format!("{ls} access --json --top 10 {g} {g}"),
                2,
                true,
            ),
            ("gzip -dc, 2 x .gz", format!("gzip -dc {g} {g}"), 2, false),
        ];
        for (tool, command, factor, checked) in specs {
            let spec = Spec {
                tool,
                command,
                needs: &["gzip"],
                bytes: bytes * factor,
                baseline: false,
            };
            let row = if checked {
                measure_row(ctx, spec, same(factor)).0
            } else {
                measure_row(ctx, spec, |_| Verdict::Unchecked).0
            };
            rows.push(row);
        }
    }
    Ok(Section {
        title: "Scale: threads, input size and gzip (access log; GB/s of uncompressed input)"
            .to_owned(),
        rows,
    })
}

/// First line of `program args` (stdout, else stderr), or "not installed".
fn version(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        }
        Err(_) => "not installed".to_owned(),
    }
}

/// The `key: value` line of a /proc file.
fn proc_field(path: &str, key: &str) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn write_docs(
    root: &Path,
    args: &Args,
    sections: &[Section],
    logscan: &Path,
    load: &[String; 2],
) -> Result<(), String> {
    let docs = root.join("docs");
    let svg_path = docs.join("bench-throughput.svg");
    // The chart shows the two tasks; the scale rows are in the table.
    let tasks: Vec<Section> = sections.iter().take(2).cloned().collect();
    fs::write(&svg_path, report::svg(&tasks))
        .map_err(|e| format!("cannot write {}: {e}", svg_path.display()))?;

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib: u64 = proc_field("/proc/meminfo", "MemTotal")
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or(0);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned());
    let date = version("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let logscan = logscan.to_string_lossy().into_owned();
    let tools = [
        ("logscan", version(&logscan, &["--version"])),
        ("python3", version("python3", &["--version"])),
        ("ripgrep", version("rg", &["--version"])),
        ("grep", version("grep", &["--version"])),
        ("mawk", version("mawk", &["-W", "version"])),
        ("gawk", version("gawk", &["--version"])),
        ("goaccess", version("goaccess", &["--version"])),
        ("gzip", version("gzip", &["--version"])),
        ("coreutils", version("sort", &["--version"])),
        // GNU time 1.9 in Debian prints "UNKNOWN" for --version.
        (
            "GNU time",
            version("dpkg-query", &["-W", "-f=${Version}", "time"]),
        ),
    ];
    let mut invocation = String::from("cargo xtask bench");
    if args.size != 1 << 30 {
        invocation.push_str(&format!(" --size {}", human_size(args.size)));
    }
    if args.runs != DEFAULT_RUNS {
        invocation.push_str(&format!(" --runs {}", args.runs));
    }
    if args.scale {
        invocation.push_str(" --scale");
    }

    let mut md = String::new();
    md.push_str("# Benchmarks\n\n");
    md.push_str(&format!(
        "Written by `{invocation}` on {date}; rerun it to refresh this page \
         (it rewrites this file and `bench-throughput.svg`).\n\n"
    ));
    md.push_str("![Throughput per tool](bench-throughput.svg)\n\n");
    md.push_str("## Machine\n\n");
    md.push_str(&format!(
        "- CPU: {} ({cores} cores available)\n",
        proc_field("/proc/cpuinfo", "model name")
    ));
    md.push_str(&format!(
        "- Memory: {:.1} GiB\n",
        mem_kib as f64 / 1024.0 / 1024.0
    ));
    md.push_str(&format!("- Kernel: Linux {kernel}\n"));
    md.push_str(&format!(
        "- Load average (1, 5, 15 min) at the start / end of the run: {} / {} \
         (the first is taken before any tool runs: well above 0, other processes \
         shared the cores, wall times are inflated and the CPU column is the \
         steadier figure)\n",
        load[0], load[1]
    ));
    for (name, v) in &tools {
        md.push_str(&format!("- {name}: {v}\n"));
    }
    md.push_str(METHOD);
    for section in sections {
        md.push_str(&format!("\n## {}\n\n", section.title));
        md.push_str(&report::table(section));
        let notes = report::notes(section);
        if !notes.is_empty() {
            md.push('\n');
            for n in notes {
                md.push_str(&format!("- {n}\n"));
            }
        }
    }
    md.push_str(PEER_NOTES);
    let path = docs.join("benchmarks.md");
    fs::write(&path, md).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The first three fields of /proc/loadavg.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// `1GiB`, `4GiB`, `50MB` or a byte count: as `--size` accepts it.
fn human_size(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{}GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{}MiB", bytes / MIB)
    } else if bytes >= 1_000_000 && bytes.is_multiple_of(1_000_000) {
        format!("{}MB", bytes / 1_000_000)
    } else {
        bytes.to_string()
    }
}

const METHOD: &str = "
## Method

- Inputs: an sshd auth log and a combined access log from `ops-loggen`
  (seed 42, no quirks), written once to `bench-data/` (git-ignored) and
  reused. Every tool reads the same files in the same run.
- Each command runs once untimed (it warms the page cache, and its output is
  the answer that is checked), then N times as
  `/usr/bin/time -f '%e %U %S %M' bash -o pipefail -c 'COMMAND > /dev/null'`
  with `LC_ALL=C`, from the workspace root. The table shows the median wall
  time, the median CPU time (user + system, summed over every process of the
  pipeline), and the largest peak RSS (of the largest single process).
  `--threads 1` and `--threads 2`, which are compared with each other, are
  timed in turns (one run of each, N times), so that a slow spell of the
  machine falls on both.
- GB/s is input bytes (uncompressed) / median wall time, in 10^9 bytes.
  The ratio is logscan's throughput / the row's throughput, i.e. time of the
  row / time of logscan on the same input; goaccess reads only the first
  100 MB (whole lines) of the access log, so its ratio compares throughputs.
- Answers. Task 1: the peers implement the seed script's rule, \"the first
  IPv4 address of each line containing `Failed password`\"; `logscan auth
  --ips` prints the source address of every sshd failure (password,
  publickey, none, keyboard-interactive, repeated-message lines; IPv4 and
  IPv6), which the generated logs contain. xtask reads the log itself,
  without ops-logscan, and computes both sets: each peer must print the
  first exactly, logscan the second (which contains the first). Task 2: on
  quirk-free generated logs every line is a well-formed combined line, so
  field 1 (client) and field 9 (status) mean the same for every tool; each
  peer's status histogram and top 10 (count descending, then IP in byte
  order) must equal logscan's. goaccess's status codes must equal logscan's
  on the same slice, and each of logscan's top 10 must have the same hit
  count in goaccess's host panel. The scale rows must give the task 2
  answer (doubled for the file read twice). A wrong answer marks the row
  WRONG and the command exits 1. Floors (`wc -l`, `rg -c`, `gzip -dc`) are
  not checked.
- `logscan` is `target/release/logscan` (under `CARGO_TARGET_DIR` when set),
  built by the command first and put at the front of `PATH`. The peer
  scripts are in `benches/peers/`; every command is in the tables.
";

const PEER_NOTES: &str = "
## Notes on the peers

- mawk 1.3.4 (20200120) returns a too-short match for a trailing optional
  atom: `match(\"1.2.3.164\", /[0-9][0-9]?[0-9]?\\.[0-9][0-9]?[0-9]?\\.[0-9][0-9]?[0-9]?\\.[0-9][0-9]?[0-9]?/)`
  matches `1.2.3.16`, where POSIX requires the longest match (gawk gives
  `1.2.3.164`). The mawk one-liner therefore uses `[0-9]+` for each octet,
  which gives the same set on these logs (the answer check confirms it).
- ripgrep and logscan memory-map a regular file, so their peak RSS counts
  mapped pages of the log (shared with the page cache), not heap. logscan
  releases each part's pages once it is scanned, so its figure is the parts
  in flight; reading the same log from stdin (`logscan access -`), its
  peak RSS stays about 10 MiB at any input size (a test checks < 64 MiB).
- The awk one-liners split on runs of blanks and Python on single spaces;
  both give the client and status fields of a combined line.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn defaults_quick_and_overrides() {
        assert_eq!(
            parse(args(&[])),
            Ok(Some(Args {
                size: 1 << 30,
                runs: 5,
                quick: false,
                scale: false
            }))
        );
        assert_eq!(
            parse(args(&["--quick"])),
            Ok(Some(Args {
                size: QUICK_SIZE,
                runs: QUICK_RUNS,
                quick: true,
                scale: false
            }))
        );
        assert_eq!(
            parse(args(&["--size=2MB", "--runs", "3", "--scale"])),
            Ok(Some(Args {
                size: 2_000_000,
                runs: 3,
                quick: false,
                scale: true
            }))
        );
        assert_eq!(parse(args(&["--runs", "1", "-h"])), Ok(None));
    }

    #[test]
    fn usage_errors() {
        for (list, want) in [
            (&["--runs", "0"][..], "--runs"),
            (&["--runs"][..], "needs a value"),
            (&["--size", "lots"][..], "--size"),
            (&["--size", "0"][..], "more than 0"),
            (&["--fast"][..], "unknown argument `--fast`"),
        ] {
            let err = parse(args(list)).err().unwrap_or_default();
            assert!(err.contains(want), "{list:?}: {err:?}");
        }
    }

    #[test]
    fn slice_ends_at_a_line_end() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-slice-{}", std::process::id()));
        let _ = fs::create_dir_all(dir.join("bench-data"));
        let log = dir.join("bench-data").join("a.log");
        let written = fs::write(&log, "aaaa\nbbbb\ncccc\n");
        let slice = ensure_slice(&dir, &log, 7).map(fs::read_to_string);
        let _ = fs::remove_dir_all(&dir);
        assert!(written.is_ok());
        assert_eq!(
            slice.ok().and_then(Result::ok).as_deref(),
            Some("aaaa\nbbbb\n")
        );
    }

    #[test]
    fn sizes_are_written_as_typed() {
        assert_eq!(human_size(1 << 30), "1GiB");
        assert_eq!(human_size(4 << 30), "4GiB");
        assert_eq!(human_size(3 << 20), "3MiB");
        assert_eq!(human_size(50_000_000), "50MB");
        assert_eq!(human_size(1234), "1234");
    }

    #[test]
    fn paths_inside_the_root_are_shown_relative() {
        let root = Path::new("/w/repo");
        assert_eq!(
            display_path(root, Path::new("/w/repo/bench-data/a.log")),
            "bench-data/a.log"
        );
        assert_eq!(
            display_path(root, Path::new("/t/release/logscan")),
            "/t/release/logscan"
        );
    }
}
