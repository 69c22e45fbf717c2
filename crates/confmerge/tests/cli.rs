//! The `confmerge` binary, run as a user runs it.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn confmerge(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confmerge"));
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("confmerge runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("base.yaml"),
        "service: web\nreplicas: 2\nimage: web:1.4\ndb:\n  host: localhost\n  port: 5432\n\
         containers:\n  - name: app\n    cpu: 100m\n  - name: proxy\n    cpu: 50m\n",
    )
    .unwrap();
    fs::write(
        p.join("prod.json"),
        r#"{"replicas": 1, "db": {"port": 6432}, "containers": [{"name": "app", "cpu": "500m"}]}"#,
    )
    .unwrap();
    fs::write(p.join("extra.toml"), "[db]\npool = 10\n").unwrap();
    fs::write(p.join("strategies.txt"), "containers = merge-by-key name\n").unwrap();
    fs::write(
        p.join("schema.yaml"),
        "type: object\nproperties:\n  replicas: {type: integer, minimum: 2}\n  image:\n    type: string\n    pattern: '^[^:]+:[0-9]'\n  db:\n    type: object\n    properties:\n      port: {type: integer, maximum: 6000}\n",
    )
    .unwrap();
    dir
}

#[test]
fn merges_files_env_and_set_in_order() {
    let dir = setup();
    let out = confmerge(
        dir.path(),
        &[
            "--env-prefix",
            "APP",
            "--set",
            "service=api",
            "--strategies",
            "strategies.txt",
            "base.yaml",
            "prod.json",
            "extra.toml",
        ],
        &[("APP__DB__HOST", "db.internal"), ("APP__REPLICAS", "4")],
    );
    assert_eq!(text(&out.stderr), "");
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "containers:\n  - cpu: \"500m\"\n    name: app\n  - cpu: \"50m\"\n    name: proxy\ndb:\n  host: db.internal\n  pool: 10\n  port: 6432\nimage: web:1.4\nreplicas: 4\nservice: api\n"
    );
    let json = confmerge(
        dir.path(),
        &["--format", "json", "base.yaml", "prod.json"],
        &[],
    );
    assert!(text(&json.stdout).starts_with("{\n  \"containers\": [\n    {\n      \"cpu\": \"500m\",\n      \"name\": \"app\"\n    }\n  ],"), "{}", text(&json.stdout));
}

#[test]
fn validation_failures_list_every_violation_and_exit_1() {
    let dir = setup();
    let out = confmerge(
        dir.path(),
        &[
            "validate",
            "--schema",
            "schema.yaml",
            "base.yaml",
            "prod.json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "prod.json:1:14: /replicas: 1 is less than the minimum of 2\n\
         prod.json:1:32: /db/port: 6432 is greater than the maximum of 6000\n\
         confmerge: 2 violation(s)\n"
    );
    let ok = confmerge(
        dir.path(),
        &["validate", "--schema", "schema.yaml", "base.yaml"],
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    // The merge itself refuses to print an invalid document.
    let out = confmerge(
        dir.path(),
        &["--schema", "schema.yaml", "base.yaml", "prod.json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn parse_errors_exit_2_with_position_and_snippet() {
    let dir = setup();
    fs::write(
        dir.path().join("bad.json"),
        "{\n  \"a\": 1,\n  \"a\": 2\n}\n",
    )
    .unwrap();
    let out = confmerge(dir.path(), &["base.yaml", "bad.json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "confmerge: error: bad.json:3:3: duplicate key `a`\n  |\n3 |   \"a\": 2\n  |   ^\n"
    );
    let out = confmerge(dir.path(), &["missing.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("confmerge: error: cannot read missing.yaml: "));
    let out = confmerge(dir.path(), &["--set", "novalue", "base.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "confmerge: error: --set novalue: expected `PATH=VALUE`\n"
    );
    let out = confmerge(dir.path(), &["--bogus"], &[]);
    assert_eq!(out.status.code(), Some(2));
    // YAML says it as JSON does, without serde-saphyr's option names.
    fs::write(dir.path().join("dup.yaml"), "a: 1\nb: 2\na: 3\n").unwrap();
    let out = confmerge(dir.path(), &["dup.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "confmerge: error: dup.yaml:3:1: duplicate key `a`\n  |\n3 | a: 3\n  | ^\n"
    );
    // Options before a command make the command a file name: say so.
    let out = confmerge(
        dir.path(),
        &["--set", "a=1", "explain", "a", "base.yaml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(
            "confmerge: error: `explain` is not a file; a command comes before the options"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn explain_names_the_layer_and_what_it_overrode() {
    let dir = setup();
    let out = confmerge(
        dir.path(),
        &[
            "explain",
            "db.port",
            "--env-prefix",
            "APP",
            "base.yaml",
            "prod.json",
        ],
        &[("APP__DB__PORT", "7000")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "db.port = 7000\n  set by env APP__DB__PORT\n  overrode 6432 from prod.json:1:32\n  overrode 5432 from base.yaml:6:9\n"
    );
    let missing = confmerge(dir.path(), &["explain", "db.nope", "base.yaml"], &[]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn diff_lists_changes_and_exits_1_on_drift() {
    let dir = setup();
    let out = confmerge(dir.path(), &["diff", "base.yaml", "prod.json"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "~ containers: [{\"cpu\": \"100m\", \"name\": \"app\"}, {\"cpu\": \"50m\", \"name\": \"proxy\"}] -> [{\"cpu\": \"500m\", \"name\": \"app\"}]\n\
         - db.host: \"localhost\"\n~ db.port: 5432 -> 6432\n- image: \"web:1.4\"\n~ replicas: 2 -> 1\n- service: \"web\"\n"
    );
    let same = confmerge(dir.path(), &["diff", "base.yaml", "base.yaml"], &[]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(text(&same.stdout), "");
}

#[test]
fn render_fills_a_template() {
    let dir = setup();
    fs::write(
        dir.path().join("t.j2"),
        "upstream {{ service }} {\n{% for c in containers %}  # {{ c.name }}\n{% endfor %}  server {{ db.host }}:{{ db.port }};\n}\n",
    )
    .unwrap();
    let out = confmerge(
        dir.path(),
        &["render", "t.j2", "base.yaml", "prod.json"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "upstream web {\n  # app\n  server localhost:6432;\n}\n"
    );
    fs::write(dir.path().join("bad.j2"), "{{ nope.x }}\n").unwrap();
    let out = confmerge(dir.path(), &["render", "bad.j2", "base.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("template bad.j2: line 1"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn output_is_written_atomically_with_a_backup_and_only_when_valid() {
    let dir = setup();
    let p = dir.path();
    let first = confmerge(
        p,
        &["-o", "out.yaml", "--backup", "numbered", "base.yaml"],
        &[],
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    let before = fs::read_to_string(p.join("out.yaml")).unwrap();
    let second = confmerge(
        p,
        &[
            "-o",
            "out.yaml",
            "--backup",
            "numbered",
            "base.yaml",
            "extra.toml",
        ],
        &[],
    );
    assert!(second.status.success());
    assert_eq!(fs::read_to_string(p.join("out.yaml.~1~")).unwrap(), before);
    assert!(
        fs::read_to_string(p.join("out.yaml"))
            .unwrap()
            .contains("pool: 10")
    );
    // Invalid: the file stays as it was.
    let now = fs::read_to_string(p.join("out.yaml")).unwrap();
    let bad = confmerge(
        p,
        &[
            "-o",
            "out.yaml",
            "--schema",
            "schema.yaml",
            "base.yaml",
            "prod.json",
        ],
        &[],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(fs::read_to_string(p.join("out.yaml")).unwrap(), now);
}

#[test]
fn include_discovers_files_in_sorted_order() {
    let dir = setup();
    let conf = dir.path().join("conf.d");
    fs::create_dir(&conf).unwrap();
    fs::write(conf.join("20-late.yaml"), "replicas: 9\n").unwrap();
    fs::write(conf.join("10-early.yaml"), "replicas: 5\nimage: web:2\n").unwrap();
    fs::write(conf.join("notes.txt"), "replicas: 0\n").unwrap();
    let out = confmerge(
        dir.path(),
        &["--include", "conf.d/*.yaml", "explain", "replicas"],
        &[],
    );
    // `explain` is a subcommand: options before it are the merge's; use it as intended.
    assert_eq!(out.status.code(), Some(2));
    let out = confmerge(
        dir.path(),
        &[
            "explain",
            "replicas",
            "--include",
            "conf.d/*.yaml",
            "base.yaml",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "replicas = 9\n  set by conf.d/20-late.yaml:1:11\n  overrode 5 from conf.d/10-early.yaml:1:11\n  overrode 2 from base.yaml:2:11\n"
    );
}
