//! `deployctl` against a stand-in `docker` (no Docker engine runs here): a
//! script first on PATH that records its arguments and prints what docker
//! would. Dry runs, confirmation on and off a terminal, streamed output,
//! errors.

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

const CONFIG: &str = "\
registry: reg.example.com/shop
stack: shop
services: [api, worker]
environments:
  dev: { context: dev }
  staging: { context: staging }
  production: { context: prod }
";

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
        cmd
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
