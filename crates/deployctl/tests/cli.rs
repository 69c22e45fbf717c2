//! `deployctl` against a stand-in `docker` (no Docker engine runs here): a
//! script first on PATH that records its arguments and prints what docker
//! would. Dry runs, confirmation on and off a terminal, streamed output,
//! errors; the configuration's layers and `deployctl config`.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const FAKE_DOCKER: &str = r#"#!/bin/sh
# Stand-in for docker: one argument per line, then a `--` line.
for a in "$@"; do printf '%s\n' "$a"; done >> "$DOCKER_LOG"
echo -- >> "$DOCKER_LOG"
case "$*" in
  *"service ls"*)
    printf 'shop_worker\treg.example.com/shop/worker:1.3.0\t0/1\n'
    printf 'shop_api\treg.example.com/shop/api:1.4.2\t2/2\n' ;;
  build*)
    echo "Step 1/2 : FROM scratch"
    if [ -n "$DOCKER_FAIL" ]; then echo "write /var/lib/docker: no space left on device" >&2; exit 1; fi
    echo "Successfully tagged $3" ;;
esac
"#;

/// Staging is not confirmed; production is.
const CONFIG: &str = include_str!("../testdata/deployctl.yaml");

/// Deploying api 1.5.0 to production.
const DEPLOY_API: [&str; 7] = [
    "deploy",
    "--env",
    "production",
    "--service",
    "api",
    "--version",
    "1.5.0",
];

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let docker = bin.join("docker");
        fs::write(&docker, FAKE_DOCKER).unwrap();
        let mut perms = fs::metadata(&docker).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(&docker, perms).unwrap();
        fs::write(dir.path().join("deployctl.yaml"), CONFIG).unwrap();
        Fixture { dir }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("docker.log")
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_of(env!("CARGO_BIN_EXE_deployctl"), args)
    }

    /// `program` in the fixture's directory, the stand-in docker first on
    /// PATH.
    fn command_of(&self, program: &str, args: &[&str]) -> Command {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.dir.path().join("bin")];
        dirs.extend(std::env::split_paths(&path));
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("PATH", std::env::join_paths(dirs).unwrap())
            .env("DOCKER_LOG", self.log_path());
        // Only the variables a test sets configure deployctl.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("DEPLOYCTL__") {
                cmd.env_remove(name);
            }
        }
        cmd
    }

    fn write(&self, name: &str, text: &str) {
        fs::write(self.dir.path().join(name), text).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// The docker invocations so far, each as its list of arguments.
    fn calls(&self) -> Vec<Vec<String>> {
        let Ok(text) = fs::read_to_string(self.log_path()) else {
            return Vec::new();
        };
        text.split("--\n")
            .filter(|c| !c.is_empty())
            .map(|c| c.lines().map(str::to_owned).collect())
            .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn build_and_push_stream_docker_output() {
    let f = Fixture::new();
    let out = f.run(&[
        "build",
        "--image",
        "reg.example.com/shop/api:1.5.0",
        "--push",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        f.calls(),
        [
            vec!["build", "-t", "reg.example.com/shop/api:1.5.0", "."],
            vec!["push", "reg.example.com/shop/api:1.5.0"],
        ]
    );
    assert_eq!(
        text(&out.stdout),
        "Step 1/2 : FROM scratch\nSuccessfully tagged reg.example.com/shop/api:1.5.0\n"
    );
}

#[test]
fn a_failed_build_is_one_clear_error_and_stops_the_push() {
    let f = Fixture::new();
    let out = f
        .command(&["build", "--image", "app:1", "--push"])
        .env("DOCKER_FAIL", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("deployctl: error: `docker build -t app:1 .` exited with code 1 after "),
        "{err}"
    );
    assert!(
        last.ends_with("stderr: write /var/lib/docker: no space left on device"),
        "{err}"
    );
    assert_eq!(f.calls().len(), 1, "push ran after a failed build");
}

#[test]
fn dry_runs_call_nothing() {
    let f = Fixture::new();
    let out = f.run(&["build", "--image", "app:1", "--push", "--dry-run"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "dry run: docker build -t app:1 .\ndry run: docker push app:1\n"
    );
    let out = f.run(&[&DEPLOY_API[..], &["--dry-run"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(
        "service update --with-registry-auth --image reg.example.com/shop/api:1.5.0 shop_api"
    ));
    assert!(!f.log_path().exists(), "docker ran in a dry run");
}

#[test]
fn production_without_a_terminal_needs_yes() {
    let f = Fixture::new();
    let args = DEPLOY_API;
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("stdin is not a terminal (pass --yes)"),
        "{}",
        text(&out.stderr)
    );
    assert!(f.calls().is_empty());

    let out = f.run(&[&args[..], &["--yes"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = "--context prod service update --with-registry-auth --image reg.example.com/shop/api:1.5.0 shop_api";
    assert_eq!(f.calls(), [expected.split(' ').collect::<Vec<_>>()]);

    // Staging is not confirmed.
    let out = f.run(&[
        "deploy",
        "--env",
        "staging",
        "--service",
        "worker",
        "--version",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(f.calls().len(), 2);
}

/// Runs deployctl on a pseudo-terminal through script(1), typing `answer`.
fn on_terminal(f: &Fixture, args: &str, answer: &str) -> Output {
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_deployctl"));
    let mut child = f
        .command_of("script", &["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn production_on_a_terminal_asks_first() {
    let f = Fixture::new();
    let args = "deploy --env production --service api --version 1.5.0";
    let out = on_terminal(&f, args, "n\n");
    let screen = text(&out.stdout);
    assert!(
        screen.contains("Deploy api 1.5.0 to production? [y/N]"),
        "{screen}"
    );
    assert_eq!(out.status.code(), Some(1), "{screen}");
    assert!(f.calls().is_empty());
    let out = on_terminal(&f, args, "y\n");
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(f.calls().len(), 1);
}

#[test]
fn status_prints_an_aligned_table() {
    let f = Fixture::new();
    let out = f.run(&["status", "--env", "staging"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("service")
            && lines[1].starts_with("api ")
            && lines[2].starts_with("worker ")
    );
    let col = |l: &str| l.find("reg.example.com").unwrap();
    assert_eq!(col(lines[1]), col(lines[2]), "{table}");
    assert_eq!(f.calls()[0][..2], ["--context", "staging"]);
}

#[test]
fn config_errors_name_the_file() {
    let f = Fixture::new();
    fs::write(
        f.dir.path().join("bad.yaml"),
        "registry: x\nstack: s\nservices: []\nenvironments: {}\ntimeout: 5\n",
    )
    .unwrap();
    let out = f.run(&["--config", "bad.yaml", "status", "--env", "dev"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("deployctl: error: invalid config bad.yaml:") && err.contains("timeout"),
        "{err}"
    );
    let out = f.run(&["--config", "missing.yaml", "status", "--env", "dev"]);
    assert!(text(&out.stderr).contains("cannot read missing.yaml"));
}

/// The image a dry-run deploy of api 1.5.0 would run, with `args` and
/// `vars` added.
fn deployed_image(f: &Fixture, env: &str, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut all = args.to_vec();
    all.extend([
        "deploy",
        "--env",
        env,
        "--service",
        "api",
        "--version",
        "1.5.0",
    ]);
    all.push("--dry-run");
    let mut cmd = f.command(&all);
    cmd.envs(vars.iter().copied()).stdin(Stdio::null());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let words: Vec<&str> = stdout.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "--image").unwrap();
    words[at + 1].to_owned()
}

#[test]
fn layers_override_in_order_overlay_env_var_set() {
    let f = Fixture::new();
    let base = "reg.example.com/shop/api:1.5.0";
    assert_eq!(deployed_image(&f, "production", &[], &[]), base);
    // The environment's overlay, next to the file.
    f.write(
        "deployctl.production.yaml",
        "registry: prod.example.com/shop\n",
    );
    assert_eq!(
        deployed_image(&f, "production", &[], &[]),
        "prod.example.com/shop/api:1.5.0"
    );
    assert_eq!(deployed_image(&f, "staging", &[], &[]), base);
    // An overlay named on the command line comes after it.
    f.write("hotfix.json", r#"{"registry": "hotfix.example.com/shop"}"#);
    let overlay = ["--overlay", "hotfix.json"];
    assert_eq!(
        deployed_image(&f, "production", &overlay, &[]),
        "hotfix.example.com/shop/api:1.5.0"
    );
    // Then environment variables, then --set.
    let var = [("DEPLOYCTL__REGISTRY", "env.example.com/shop")];
    assert_eq!(
        deployed_image(&f, "production", &overlay, &var),
        "env.example.com/shop/api:1.5.0"
    );
    let set = [
        "--overlay",
        "hotfix.json",
        "--set",
        "registry=set.example.com/shop",
    ];
    assert_eq!(
        deployed_image(&f, "production", &set, &var),
        "set.example.com/shop/api:1.5.0"
    );
    assert!(f.calls().is_empty(), "docker ran in a dry run");

    // `config explain` tells the whole story, newest first.
    let out = f
        .command(
            &[
                &set[..],
                &["config", "explain", "registry", "--env", "production"],
            ]
            .concat(),
        )
        .envs(var)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\
registry = \"set.example.com/shop\"
  set by --set registry=set.example.com/shop
  overrode \"env.example.com/shop\" from env DEPLOYCTL__REGISTRY
  overrode \"hotfix.example.com/shop\" from hotfix.json:1:14
  overrode \"prod.example.com/shop\" from deployctl.production.yaml:1:11
  overrode \"reg.example.com/shop\" from deployctl.yaml:1:11
"
    );
}

/// Runs deployctl for a real (not dry) production deploy with --yes, and
/// returns its one line of stderr, checking it failed with exit code 2
/// before calling docker.
fn refused(f: &Fixture, args: &[&str], vars: &[(&str, &str)]) -> String {
    let all = [args, &DEPLOY_API[..], &["--yes"]].concat();
    let out = f
        .command(&all)
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(f.calls().is_empty(), "docker ran with a bad configuration");
    err.trim_end().to_owned()
}

#[test]
fn a_bad_value_is_one_line_naming_file_line_and_column() {
    let f = Fixture::new();
    f.write(
        "deployctl.production.yaml",
        "# longer for production\ntimeout_secs: soon\n",
    );
    assert_eq!(
        refused(&f, &[], &[]),
        "deployctl: error: invalid config deployctl.production.yaml:2:15: timeout_secs: \
         invalid type: string \"soon\", expected u64"
    );
    f.write("deployctl.production.yaml", "timeout_secs: 0\n");
    assert_eq!(
        refused(&f, &[], &[]),
        "deployctl: error: invalid config deployctl.production.yaml:1:15: /timeout_secs: \
         must be at least 1 second [timeout]"
    );
    fs::remove_file(f.dir.path().join("deployctl.production.yaml")).unwrap();
    // A value docker would read as an option, wherever it comes from.
    assert_eq!(
        refused(
            &f,
            &["--set", "environments.production.context=--host=x"],
            &[]
        ),
        "deployctl: error: invalid config --set environments.production.context=--host=x: \
         /environments/production/context: \"--host=x\": use letters, digits, `.`, `_` and \
         `-`, starting with a letter or digit [docker-name]"
    );
    // Production cannot be made to deploy unasked.
    let var = [("DEPLOYCTL__ENVIRONMENTS__PRODUCTION__CONFIRM", "false")];
    let err = refused(&f, &[], &var);
    assert!(
        err.starts_with(
            "deployctl: error: invalid config env DEPLOYCTL__ENVIRONMENTS__PRODUCTION__CONFIRM: \
             /environments/production/confirm: production is always confirmed"
        ),
        "{err}"
    );
}

#[test]
fn unknown_keys_and_environments_are_errors_with_their_place() {
    let f = Fixture::new();
    f.write(
        "deployctl.yaml",
        &format!("{CONFIG}  qa: {{ context: qa }}\nstak: x\n"),
    );
    assert_eq!(
        refused(&f, &[], &[]),
        "deployctl: error: invalid config \
         deployctl.yaml:8:7: /environments/qa: unknown environment \"qa\" (expected dev, \
         staging or production) [known-environment]; \
         deployctl.yaml:9:7: /stak: unknown key `stak` [unknown-key]"
    );
    f.write("deployctl.yaml", CONFIG);
    assert_eq!(
        refused(&f, &[], &[("DEPLOYCTL__TIMEOUT", "5")]),
        "deployctl: error: invalid config env DEPLOYCTL__TIMEOUT: /timeout: unknown key \
         `timeout` [unknown-key]"
    );
    // An overlay that is named must be there; the environment's may not be.
    assert_eq!(
        refused(&f, &["--overlay", "missing.yaml"], &[]),
        "deployctl: error: cannot read missing.yaml: No such file or directory (os error 2)"
    );
}

#[test]
fn config_show_prints_the_checked_merge() {
    let f = Fixture::new();
    f.write("deployctl.production.yaml", "timeout_secs: 1200\n");
    let out = f.run(&[
        "--set",
        "services=[api]",
        "config",
        "show",
        "--env",
        "production",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\
environments:
  dev:
    context: dev
  production:
    context: prod
  staging:
    context: staging
registry: reg.example.com/shop
services:
  - api
stack: shop
timeout_secs: 1200
"
    );
    // Without --env, no overlay; the default shows where it came from.
    let out = f.run(&["config", "explain", "timeout_secs"]);
    assert_eq!(
        text(&out.stdout),
        "timeout_secs = 600\n  set by built-in default\n"
    );
    let out = f.run(&["config", "explain", "no.such.key"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "deployctl: error: `no.such.key` is not set by any layer\n"
    );
    // An invalid configuration is not shown, but can still be explained.
    let out = f.run(&["--set", "stack=-x", "config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let out = f.run(&["--set", "stack=-x", "config", "explain", "stack"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("stack = \"-x\"\n  set by --set stack=-x\n"));
}
