//! `cargo xtask bench --suite config`: confmerge against the Python
//! original (PyYAML `safe_load` + the recursive `deep_merge` +
//! jsonschema, `benches/peers/config_merge.py`) on the same generated
//! base/overlay pair, in the same run, with the merged documents compared.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::opts::Opts;
use super::suite::Suite;

use super::report::{Section, Verdict};
use super::{
    Ctx, Spec, build_release, display_path, file_len, installed, json, measure_row, report, version,
};

pub(crate) const USAGE: &str = "\
usage: cargo xtask bench --suite config [--quick] [--size SIZE] [--runs N]

Generates a base config and an overlay in bench-data/ (YAML, SIZE in all,
60% base and 40% overlay, seed 42), builds confmerge in release, and times
`confmerge --schema S --format json BASE OVERLAY` against
benches/peers/config_merge.py (PyYAML safe_load, deep_merge, jsonschema),
also with libyaml's CSafeLoader: one checked run each (every merged
document must equal confmerge's), then N timed runs under /usr/bin/time.
Prints the table; without --quick also rewrites docs/benchmarks-config.md.

  --size SIZE   bytes of the pair (default 10MB)
  --runs N      timed runs per command (default 5; 2 with --quick)
  --quick       a 1MB pair, few runs, docs untouched
  -h, --help    show this help
";

const SEED: u64 = 42;
const DEFAULT_SIZE: u64 = 10_000_000;
const QUICK_SIZE: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Args {
    size: u64,
    runs: usize,
    quick: bool,
}

fn parse(args: Vec<OsString>) -> Result<Option<Args>, String> {
    let mut size = None;
    let mut runs = None;
    let mut quick = false;
    let mut opts = Opts::new(args);
    while let Some(name) = opts.next_name()? {
        match name {
            "-h" | "--help" => return Ok(None),
            "--quick" => quick = true,
            "--size" => size = Some(opts.size()?),
            "--runs" => runs = Some(opts.number(1..=1000)? as usize),
            _ => return Err(opts.unknown()),
        }
    }
    let size = size.unwrap_or(if quick { QUICK_SIZE } else { DEFAULT_SIZE });
    if size < 10_000 {
        return Err("--size must be at least 10kB".to_owned());
    }
    Ok(Some(Args {
        size,
        runs: runs.unwrap_or(if quick { 2 } else { 5 }),
        quick,
    }))
}

/// Entry point from `bench::run`.
pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    Suite::Config.main(USAGE, parse(args), |a| execute(&a))
}

fn execute(args: &Args) -> Result<bool, String> {
    let root = crate::ci::workspace_root();
    for needed in ["bash", "/usr/bin/time"] {
        if !installed(needed) {
            return Err(format!("`{needed}` is required to time commands"));
        }
    }
    let data = root.join("bench-data");
    let out_dir = data.join("out");
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let bin = build_release(&root, "confmerge")?;
    let (base, overlay) = ensure_pair(&data, args.size)?;
    let schema = data.join("config-schema.json");
    fs::write(&schema, SCHEMA).map_err(|e| format!("cannot write {}: {e}", schema.display()))?;

    let mut dirs: Vec<PathBuf> = bin.parent().map(Path::to_path_buf).into_iter().collect();
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
    let (b, o, s) = (
        display_path(&root, &base),
        display_path(&root, &overlay),
        display_path(&root, &schema),
    );
    let bytes = file_len(&base)? + file_len(&overlay)?;
    let (row, text) = measure_row(
        &ctx,
        Spec {
            tool: "confmerge",
            command: format!("confmerge --schema {s} --format json {b} {o}"),
            needs: &[],
            bytes,
            baseline: true,
        },
        |text| match json::parse(text) {
            Ok(v) if v.get("services").is_some() => Verdict::Ok,
            Ok(_) => Verdict::Wrong("no `services` in the merged document".to_owned()),
            Err(e) => Verdict::Wrong(format!("not JSON: {e}")),
        },
    );
    let want = text.as_deref().map(json::parse).and_then(Result::ok);
    let mut rows = vec![row];
    let peers: [(&str, String); 2] = [
        (
            "python3 (original)",
            format!("python3 benches/peers/config_merge.py {b} {o} {s}"),
        ),
        (
            "python3, libyaml loader",
            format!("python3 benches/peers/config_merge.py --c-loader {b} {o} {s}"),
        ),
    ];
    for (tool, command) in peers {
        let spec = Spec {
            tool,
            command,
            needs: &["python3"],
            bytes,
            baseline: false,
        };
        let row = measure_row(&ctx, spec, |text| match (&want, json::parse(text)) {
            (None, _) => Verdict::Wrong("confmerge gave no document to compare with".to_owned()),
            (_, Err(e)) => Verdict::Wrong(format!("not JSON: {e}")),
            (Some(want), Ok(got)) if &got == want => Verdict::Ok,
            (Some(_), Ok(_)) => {
                Verdict::Wrong("merged document differs from confmerge's".to_owned())
            }
        });
        rows.push(row.0);
    }
    let section = Section {
        title: format!(
            "Load, merge and validate a {} MB YAML base/overlay pair",
            bytes / 1_000_000
        ),
        rows,
    };
    println!("\n## {}\n", section.title);
    print!("{}", report::table(&section));
    let notes = report::notes(&section);
    for n in &notes {
        println!("\n{n}");
    }
    let all_right = section
        .rows
        .iter()
        .all(|r| !matches!(r.verdict, Verdict::Wrong(_) | Verdict::Failed(_)));
    if args.quick {
        eprintln!("\nxtask bench: --quick, docs/benchmarks-config.md left as it is");
    } else if !all_right {
        eprintln!("\nxtask bench: a wrong or failed row; docs/benchmarks-config.md left as it is");
    } else {
        write_docs(&root, args, &section, &bin, &[&base, &overlay])?;
        eprintln!("\nxtask bench: wrote docs/benchmarks-config.md");
    }
    Ok(all_right)
}

/// A small xorshift generator: the same seed gives the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const REGIONS: [&str; 4] = ["eu-west-1", "us-east-1", "ap-south-1", "sa-east-1"];
const TIERS: [&str; 3] = ["frontend", "backend", "batch"];
const LEVELS: [&str; 3] = ["debug", "info", "warn"];

/// One service of the base: every kind of value the configs of a fleet
/// hold (strings, integers, floats, booleans, lists, nested maps), and
/// nothing that YAML 1.1 and 1.2 read differently, so PyYAML and
/// serde-saphyr see the same document.
fn base_service(out: &mut String, i: u64, rng: &mut Rng) {
    let team = rng.below(40);
    let _ = write!(
        out,
        "  svc-{i:06}:\n    image: registry.example.com/team-{team}/svc-{i:06}:1.{}.{}\n    replicas: {}\n    port: {}\n    cpu: {}\n    memory: {}Mi\n    enabled: {}\n    env:\n      LOG_LEVEL: {}\n      REGION: {}\n      UPSTREAM: http://svc-{:06}.internal:8080/api\n    ports: [{}, {}]\n    labels:\n      team: team-{team}\n      tier: {}\n    healthcheck:\n      path: /healthz\n      interval: {}\n",
        rng.below(20),
        rng.below(50),
        1 + rng.below(8),
        8000 + rng.below(1000),
        [0.25, 0.5, 1.5, 2.0][rng.below(4) as usize],
        128 << rng.below(4),
        rng.below(5) != 0,
        LEVELS[rng.below(3) as usize],
        REGIONS[rng.below(4) as usize],
        rng.below(i + 1),
        8000 + rng.below(1000),
        9000 + rng.below(1000),
        TIERS[rng.below(3) as usize],
        5 * (1 + rng.below(6)),
    );
}

/// An overlay entry: a few changed scalars, a replaced list, a new env
/// key and label, as an environment's overlay changes a fleet.
fn overlay_service(out: &mut String, i: u64, rng: &mut Rng) {
    let _ = write!(
        out,
        "  svc-{i:06}:\n    image: registry.example.com/prod/svc-{i:06}:2.{}.{}\n    replicas: {}\n    cpu: {}\n    env:\n      LOG_LEVEL: warn\n      REGION: {}\n      TRACE_SAMPLE: \"0.{}\"\n    ports: [{}]\n    labels:\n      environment: production\n    healthcheck:\n      interval: {}\n",
        rng.below(20),
        rng.below(50),
        2 + rng.below(20),
        [1.0, 2.5, 4.0][rng.below(3) as usize],
        REGIONS[rng.below(4) as usize],
        1 + rng.below(9),
        8000 + rng.below(1000),
        10 + 5 * rng.below(4),
    );
}

/// The base and overlay of `size` bytes in all (60% and 40%), written once.
fn ensure_pair(data: &Path, size: u64) -> Result<(PathBuf, PathBuf), String> {
    let base = data.join(format!("config-{size}-seed{SEED}-base.yaml"));
    let overlay = data.join(format!("config-{size}-seed{SEED}-overlay.yaml"));
    if base.is_file() && overlay.is_file() {
        return Ok((base, overlay));
    }
    eprintln!(
        "xtask bench: generating {} and {}",
        base.display(),
        overlay.display()
    );
    let (b, o) = generate(size);
    for (path, text) in [(&base, b), (&overlay, o)] {
        let tmp = path.with_extension("yaml.partial");
        fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        fs::rename(&tmp, path).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    }
    Ok((base, overlay))
}

fn generate(size: u64) -> (String, String) {
    let mut rng = Rng(SEED.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut base =
        String::from("# generated by cargo xtask bench --suite config\nversion: 3\nservices:\n");
    let mut i = 0;
    while (base.len() as u64) < size * 6 / 10 {
        base_service(&mut base, i, &mut rng);
        i += 1;
    }
    let services = i;
    let mut overlay =
        String::from("# generated by cargo xtask bench --suite config\nversion: 4\nservices:\n");
    let mut j = 0;
    while (overlay.len() as u64) < size * 4 / 10 {
        // Mostly services of the base, some new ones past its end.
        let id = if rng.below(10) < 8 {
            j % services
        } else {
            services + j
        };
        overlay_service(&mut overlay, id, &mut rng);
        j += 1;
    }
    (base, overlay)
}

/// What every service must look like: the schema both sides validate with.
const SCHEMA: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["version", "services"],
  "properties": {
    "version": {"type": "integer", "minimum": 1},
    "services": {
      "type": "object",
      "propertyNames": {"pattern": "^svc-[0-9]{6}$"},
      "additionalProperties": {
        "type": "object",
        "required": ["image", "replicas"],
        "additionalProperties": false,
        "properties": {
          "image": {"type": "string", "pattern": "^[a-z0-9.-]+(/[a-z0-9.-]+)*:[0-9]+\\.[0-9]+\\.[0-9]+$"},
          "replicas": {"type": "integer", "minimum": 1, "maximum": 100},
          "port": {"type": "integer", "minimum": 1, "maximum": 65535},
          "cpu": {"type": "number", "exclusiveMinimum": 0},
          "memory": {"type": "string", "pattern": "^[0-9]+Mi$"},
          "enabled": {"type": "boolean"},
          "env": {"type": "object", "additionalProperties": {"type": "string"}},
          "ports": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}, "minItems": 1},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "healthcheck": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "interval": {"type": "integer", "minimum": 1}}
          }
        }
      }
    }
  }
}
"#;

fn write_docs(
    root: &Path,
    args: &Args,
    section: &Section,
    bin: &Path,
    inputs: &[&Path],
) -> Result<(), String> {
    let date = version("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let cpu = super::proc_field("/proc/cpuinfo", "model name");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let py_mod = |m: &str| {
        version(
            "python3",
            &[
                "-c",
                &format!("import importlib.metadata as m; print(m.version('{m}'))"),
            ],
        )
    };
    let mut md = String::from("# Benchmark: confmerge against the Python original\n\n");
    let mut invocation = String::from("cargo xtask bench --suite config");
    if args.size != DEFAULT_SIZE {
        invocation.push_str(&format!(" --size {}", args.size));
    }
    if args.runs != 5 {
        invocation.push_str(&format!(" --runs {}", args.runs));
    }
    let _ = writeln!(
        md,
        "Written by `{invocation}` on {date}; rerun it to refresh this page.\n"
    );
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "- CPU: {cpu} ({cores} cores available)");
    let _ = writeln!(
        md,
        "- Load average at the end of the run: {}",
        super::load_average()
    );
    let _ = writeln!(
        md,
        "- confmerge: {}",
        version(&bin.to_string_lossy(), &["--version"])
    );
    let _ = writeln!(md, "- python3: {}", version("python3", &["--version"]));
    let _ = writeln!(
        md,
        "- PyYAML: {}, jsonschema: {}",
        py_mod("PyYAML"),
        py_mod("jsonschema")
    );
    let _ = writeln!(md, "\n## Inputs\n");
    for p in inputs {
        let _ = writeln!(md, "- `{}`: {} bytes", display_path(root, p), file_len(p)?);
    }
    let _ = writeln!(
        md,
        "- `bench-data/config-schema.json`: the JSON Schema (draft-07) of a service\n"
    );
    md.push_str(METHOD);
    let _ = writeln!(md, "\n## {}\n", section.title);
    md.push_str(&report::table(section));
    let path = root.join("docs/benchmarks-config.md");
    fs::write(&path, md).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

const METHOD: &str = "## Method

- The pair comes from a seeded generator in `xtask/src/bench/config.rs`:
  a fleet of services (strings, integers, floats, booleans, lists, nested
  maps), and an overlay that changes most of them and adds some. It holds
  nothing that YAML 1.1 (PyYAML) and YAML 1.2 (confmerge) read
  differently, and no nulls, since the classic `deep_merge` does not
  delete keys.
- Each command runs once untimed (warm-up; its output is checked: the
  merged document of every Python row, read as JSON, must equal
  confmerge's), then N times under
  `/usr/bin/time -f '%e %U %S %M' bash -o pipefail -c 'COMMAND > /dev/null'`.
  The table shows the median wall and CPU time and the largest peak RSS.
- GB/s is the pair's bytes / median wall time; the ratio is the row's
  time / confmerge's.
- Both sides do the same work: read both files, merge (maps recursively,
  everything else replaced), validate against the schema, print the
  merged document as JSON with sorted keys. confmerge also records the
  file, line and column of every value.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_parse() {
        assert_eq!(
            parse(args(&[])),
            Ok(Some(Args {
                size: DEFAULT_SIZE,
                runs: 5,
                quick: false
            }))
        );
        assert_eq!(
            parse(args(&["--quick"])),
            Ok(Some(Args {
                size: QUICK_SIZE,
                runs: 2,
                quick: true
            }))
        );
        assert_eq!(
            parse(args(&["--size=2MB", "--runs", "3"])),
            Ok(Some(Args {
                size: 2_000_000,
                runs: 3,
                quick: false
            }))
        );
        assert!(parse(args(&["--size", "1"])).is_err());
        assert!(parse(args(&["--fast"])).is_err());
    }

    #[test]
    fn the_pair_is_deterministic_and_sized() {
        let (b1, o1) = generate(100_000);
        let (b2, o2) = generate(100_000);
        assert_eq!((&b1, &o1), (&b2, &o2));
        assert!((60_000..62_000).contains(&b1.len()), "{}", b1.len());
        assert!((40_000..42_000).contains(&o1.len()), "{}", o1.len());
        // Nothing YAML 1.1 reads otherwise than 1.2: no yes/no/on/off words,
        // no leading zeros in plain numbers.
        for word in [": yes", ": no\n", ": on\n", ": off"] {
            assert!(!b1.contains(word) && !o1.contains(word), "{word}");
        }
        for text in [&b1, &o1] {
            let leading_zero = text
                .as_bytes()
                .windows(4)
                .any(|w| w[..3] == *b": 0" && w[3].is_ascii_digit());
            assert!(!leading_zero);
        }
    }
}
