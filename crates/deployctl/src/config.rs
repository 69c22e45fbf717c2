//! Where deployctl's configuration comes from (the layers, through
//! ops-config), its typed form, and the rules it must keep.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ops_config::{Document, EnvLayer, Format, Layers, Node, Origin, Report, Source, Typed, Value};
use serde::Deserialize;

use crate::{Environment, Error, reference_problem, word_problem};

/// The prefix of the environment variables that set configuration values:
/// `DEPLOYCTL__REGISTRY=...` sets `registry`,
/// `DEPLOYCTL__ENVIRONMENTS__PRODUCTION__CONTEXT=...` sets
/// `environments.production.context`.
pub const ENV_PREFIX: &str = "DEPLOYCTL";

/// Seconds a docker command may run when `timeout_secs` is not set.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// The configuration (see the crate docs for the file format).
///
/// Unknown keys are refused by [`Config::from_document`], with the place
/// that set them, rather than by serde: serde would name only the map
/// that holds them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// Registry and namespace that images live under.
    pub registry: String,
    /// Swarm stack name: service `S` is `STACK_S`.
    pub stack: String,
    /// The services that may be deployed.
    pub services: Vec<String>,
    /// Settings per environment, by name (`dev`, `staging`, `production`).
    pub environments: BTreeMap<String, EnvConfig>,
    /// Seconds one docker command may run.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// One environment's settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
pub struct EnvConfig {
    /// The docker context (`docker --context NAME`) that reaches it.
    pub context: String,
    /// Whether to ask before deploying. Production always asks, so
    /// `false` there is refused rather than silently ignored.
    #[serde(default)]
    pub confirm: Option<bool>,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

impl Config {
    /// Checks a merged document and reads it as a `Config`: a value of the
    /// wrong type, every unknown key and every broken rule are errors
    /// naming where the value was set (`file:line:column`, `env NAME` or
    /// `--set EXPR`).
    pub fn from_document(doc: &Document) -> Result<Config, Error> {
        checks()
            .load(doc)
            .map(|loaded| loaded.value)
            .map_err(Error::from_config)
    }
}

/// Parses and checks config text as YAML; `name` stands for the file in
/// errors. No other layer applies: this is [`ConfigLoader`] for one text.
pub fn parse_config(text: &str, name: &str) -> Result<Config, Error> {
    let doc = Layers::new()
        .text(name, text, Format::Yaml)
        .merge()
        .map_err(Error::from_config)?;
    Config::from_document(&with_defaults(doc))
}

/// The configuration's layers, lowest first:
///
/// 1. the config file (`deployctl.yaml`);
/// 2. its overlay for the environment being deployed to, when that file
///    exists: `deployctl.production.yaml` next to `deployctl.yaml` (see
///    [`overlay_path`]);
/// 3. overlays named explicitly ([`ConfigLoader::overlay`], `--overlay`),
///    which must exist;
/// 4. environment variables `DEPLOYCTL__KEY__SUBKEY=value` (values typed
///    as YAML scalars: `900` is a number);
/// 5. `--set key.subkey=value` overrides, in order.
///
/// Maps merge key by key, other values are replaced, `null` deletes
/// (ops-config's RFC 7396 merge). Files are YAML unless their extension
/// says `.json` or `.toml`. A default (`timeout_secs`) fills in what no
/// layer sets, with the origin `built-in default`.
///
/// ```
/// use deployctl::{ConfigLoader, Environment};
///
/// let dir = tempfile::tempdir()?;
/// let base = dir.path().join("deployctl.yaml");
/// std::fs::write(&base, "registry: reg.example.com/shop\nstack: shop\nservices: [api]\n\
///     environments:\n  production: { context: prod }\n")?;
/// std::fs::write(dir.path().join("deployctl.production.yaml"), "timeout_secs: 1200\n")?;
///
/// let loader = ConfigLoader::new(&base)
///     .environment(Environment::Production)
///     .env_vars([("DEPLOYCTL__REGISTRY", "mirror.example.com/shop")])
///     .set("stack=shop2");
/// let config = loader.load()?;
/// assert_eq!(config.timeout_secs, 1200);
/// assert_eq!(config.registry, "mirror.example.com/shop");
/// assert_eq!(config.stack, "shop2");
///
/// let doc = loader.document()?;
/// let why = doc.explain("timeout_secs")?.unwrap().to_string();
/// assert!(why.contains("deployctl.production.yaml:1:15"), "{why}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLoader {
    file: PathBuf,
    environment: Option<Environment>,
    overlays: Vec<PathBuf>,
    env: EnvLayer,
    sets: Vec<String>,
}

impl ConfigLoader {
    /// Layers on the config file `file`; the environment variables are
    /// the process's, read when the layers are.
    pub fn new(file: impl AsRef<Path>) -> ConfigLoader {
        ConfigLoader {
            file: file.as_ref().to_path_buf(),
            environment: None,
            overlays: Vec::new(),
            env: EnvLayer::new(ENV_PREFIX),
            sets: Vec::new(),
        }
    }

    /// The environment being deployed to: its overlay file applies when
    /// it exists.
    pub fn environment(mut self, env: Environment) -> ConfigLoader {
        self.environment = Some(env);
        self
    }

    /// An overlay file, laid after the environment's; it must exist.
    pub fn overlay(mut self, path: impl AsRef<Path>) -> ConfigLoader {
        self.overlays.push(path.as_ref().to_path_buf());
        self
    }

    /// Reads these variables instead of the process environment (those
    /// named `DEPLOYCTL__...` apply).
    pub fn env_vars<I, K, V>(mut self, vars: I) -> ConfigLoader
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.env = EnvLayer::new(ENV_PREFIX).vars(vars);
        self
    }

    /// A `key.subkey=value` override, laid last (`--set`).
    pub fn set(mut self, expr: &str) -> ConfigLoader {
        self.sets.push(expr.to_owned());
        self
    }

    /// The ops-config layers, in order. The environment's overlay is among
    /// them when it exists now (a broken link or an unreadable file
    /// counts as existing, so that it is an error, not skipped).
    pub fn layers(&self) -> Layers {
        let mut files = vec![self.file.clone()];
        if let Some(env) = self.environment {
            let overlay = overlay_path(&self.file, env);
            let absent = std::fs::symlink_metadata(&overlay)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
            if !absent {
                files.push(overlay);
            }
        }
        files.extend(self.overlays.iter().cloned());
        let mut layers = Layers::new();
        for file in &files {
            layers = layers.file_as(file, Format::from_path(file).unwrap_or(Format::Yaml));
        }
        layers = layers.env(self.env.clone());
        for expr in &self.sets {
            layers = layers.set(expr);
        }
        layers
    }

    /// Reads and merges the layers, defaults filled in: the document that
    /// `deployctl config show` prints and `config explain` looks into. It
    /// is not checked (see [`Config::from_document`]).
    pub fn document(&self) -> Result<Document, Error> {
        let doc = self.layers().merge().map_err(Error::from_config)?;
        Ok(with_defaults(doc))
    }

    /// Reads, merges and checks the configuration.
    pub fn load(&self) -> Result<Config, Error> {
        Config::from_document(&self.document()?)
    }
}

/// The overlay of `file` for `env`: the environment's name before the
/// extension, in the same directory (`deployctl.yaml` and `production`
/// give `deployctl.production.yaml`).
pub fn overlay_path(file: &Path, env: Environment) -> PathBuf {
    let mut name = file.file_stem().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(env.name());
    if let Some(ext) = file.extension() {
        name.push(".");
        name.push(ext);
    }
    file.with_file_name(name)
}

/// Adds the defaults that no layer set. Done after the merge rather than
/// as a first layer, so the document's root keeps the config file's
/// origin (errors about the whole document point at the file).
fn with_defaults(doc: Document) -> Document {
    let mut root = doc.into_root();
    if let Value::Map(map) = &mut root.value {
        let origin = Origin::whole(Source::Inline("built-in default".into()));
        map.entry("timeout_secs".to_owned()).or_insert_with(|| {
            Node::new(Value::Int(i128::from(DEFAULT_TIMEOUT_SECS)), origin.clone())
        });
    }
    Document::new(root)
}

/// The rules a configuration must keep beyond its types; each names the
/// offending value's path, so the error says where it was set.
fn checks() -> Typed<Config> {
    Typed::without_schema()
        .rule("docker-name", |c: &Config, r: &mut Report| {
            let mut check = |path: &str, value: &str, problem: Option<&str>| {
                if let Some(why) = problem {
                    r.fail(path, format!("{value:?}: {why}"));
                }
            };
            check("registry", &c.registry, reference_problem(&c.registry));
            check("stack", &c.stack, word_problem(&c.stack));
            for (i, s) in c.services.iter().enumerate() {
                check(&format!("services[{i}]"), s, word_problem(s));
            }
            for (name, env) in &c.environments {
                let path = format!("{}.context", env_path(name));
                check(&path, &env.context, word_problem(&env.context));
            }
        })
        .rule("known-environment", |c: &Config, r: &mut Report| {
            for name in c.environments.keys() {
                if Environment::from_name(name).is_none() {
                    r.fail(
                        &env_path(name),
                        format!("unknown environment {name:?} (expected dev, staging or production)"),
                    );
                }
            }
        })
        .rule("production-confirmed", |c: &Config, r: &mut Report| {
            let prod = c.environments.get(Environment::Production.name());
            if prod.and_then(|e| e.confirm) == Some(false) {
                r.fail(
                    "environments.production.confirm",
                    "production is always confirmed: remove `confirm: false` (`deploy --yes` skips the question)",
                );
            }
        })
        .rule("timeout", |c: &Config, r: &mut Report| {
            if c.timeout_secs == 0 {
                r.fail("timeout_secs", "must be at least 1 second");
            }
        })
}

/// The dotted path of `environments.NAME`, quoted so that any name
/// (`q.a`) addresses its own key.
fn env_path(name: &str) -> String {
    let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
    format!("environments.\"{quoted}\"")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The tests' configuration (the integration tests' too).
    pub(crate) const CONFIG: &str = include_str!("../testdata/deployctl.yaml");

    fn errors(text: &str) -> String {
        parse_config(text, "d.yaml").unwrap_err().to_string()
    }

    #[test]
    fn defaults_fill_in_with_their_origin() {
        let c = parse_config(CONFIG, "d.yaml").unwrap();
        assert_eq!(c.timeout_secs, DEFAULT_TIMEOUT_SECS);
        let doc = with_defaults(
            Layers::new()
                .text("d.yaml", CONFIG, Format::Yaml)
                .merge()
                .unwrap(),
        );
        assert_eq!(
            doc.get("timeout_secs").unwrap().origin.to_string(),
            "built-in default"
        );
        let set = format!("{CONFIG}timeout_secs: 5\n");
        assert_eq!(parse_config(&set, "d.yaml").unwrap().timeout_secs, 5);
    }

    #[test]
    fn unknown_keys_and_bad_types_name_their_place() {
        let typo = CONFIG.replace("stack:", "stak:");
        assert_eq!(
            errors(&typo),
            "invalid config d.yaml:1:1: missing field `stack`"
        );
        let extra = format!("{CONFIG}stak: x\n");
        assert_eq!(
            errors(&extra),
            "invalid config d.yaml:8:7: /stak: unknown key `stak` [unknown-key]"
        );
        let nested = CONFIG.replace("context: dev", "context: dev, confrim: true");
        assert!(
            errors(&nested)
                .starts_with("invalid config d.yaml:5:33: /environments/dev/confrim: unknown key"),
            "{}",
            errors(&nested)
        );
        let bad = format!("{CONFIG}timeout_secs: soon\n");
        assert_eq!(
            errors(&bad),
            "invalid config d.yaml:8:15: timeout_secs: invalid type: string \"soon\", expected u64"
        );
    }

    #[test]
    fn rules_point_at_the_value_and_all_are_listed() {
        let text = CONFIG
            .replace("context: dev", "context: --host=evil")
            .replace("[api, worker]", "[api, -rm]")
            + "  qa: { context: qa }\ntimeout_secs: 0\n";
        let e = errors(&text);
        let parts: Vec<&str> = e
            .strip_prefix("invalid config ")
            .unwrap()
            .split("; ")
            .collect();
        assert_eq!(
            parts,
            [
                "d.yaml:3:17: /services/1: \"-rm\": use letters, digits, `.`, `_` and `-`, starting with a letter or digit [docker-name]",
                "d.yaml:5:19: /environments/dev/context: \"--host=evil\": use letters, digits, `.`, `_` and `-`, starting with a letter or digit [docker-name]",
                "d.yaml:8:7: /environments/qa: unknown environment \"qa\" (expected dev, staging or production) [known-environment]",
                "d.yaml:9:15: /timeout_secs: must be at least 1 second [timeout]",
            ]
        );
        let prod = CONFIG.replace("context: prod", "context: prod, confirm: false");
        assert!(
            errors(&prod).starts_with(
                "invalid config d.yaml:7:41: /environments/production/confirm: production is always confirmed"
            ),
            "{}",
            errors(&prod)
        );
        let odd = format!("{CONFIG}  \"q.a\": {{ context: x }}\n");
        assert!(
            errors(&odd).starts_with("invalid config d.yaml:8:10: /environments/q.a:"),
            "{}",
            errors(&odd)
        );
        let registry = CONFIG.replace("reg.example.com/shop", "-reg");
        assert!(
            errors(&registry).contains("/registry: \"-reg\": not an image reference"),
            "{}",
            errors(&registry)
        );
    }

    #[test]
    fn overlays_sit_next_to_the_file() {
        let p = overlay_path(Path::new("/etc/deployctl/shop.yml"), Environment::Staging);
        assert_eq!(p, Path::new("/etc/deployctl/shop.staging.yml"));
        let p = overlay_path(Path::new("deployctl.yaml"), Environment::Production);
        assert_eq!(p, Path::new("deployctl.production.yaml"));
        let p = overlay_path(Path::new("conf/deploy"), Environment::Dev);
        assert_eq!(p, Path::new("conf/deploy.dev"));
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("deployctl.yaml");
        std::fs::write(&base, format!("{CONFIG}timeout_secs: 1\n")).unwrap();
        std::fs::write(
            dir.path().join("deployctl.production.yaml"),
            "timeout_secs: 2\nstack: prod\n",
        )
        .unwrap();
        let extra = dir.path().join("extra.json");
        std::fs::write(&extra, r#"{"timeout_secs": 3, "registry": "x.io/y"}"#).unwrap();
        let none: [(&str, &str); 0] = [];
        let quiet = ConfigLoader::new(&base).env_vars(none);
        assert_eq!(quiet.load().unwrap().timeout_secs, 1);
        // Another environment's overlay does not apply.
        let staging = quiet.clone().environment(Environment::Staging);
        assert_eq!(staging.load().unwrap().stack, "shop");
        let prod = quiet.clone().environment(Environment::Production);
        assert_eq!(prod.load().unwrap().timeout_secs, 2);
        let c = prod.clone().overlay(&extra).load().unwrap();
        assert_eq!((c.timeout_secs, c.stack.as_str()), (3, "prod"));
        let env = prod.clone().overlay(&extra).env_vars([
            ("DEPLOYCTL__TIMEOUT_SECS", "4"),
            ("OTHER__TIMEOUT_SECS", "9"),
        ]);
        assert_eq!(env.load().unwrap().timeout_secs, 4);
        let set = env.set("timeout_secs=5");
        assert_eq!(set.load().unwrap().timeout_secs, 5);
        let history = set.document().unwrap().explain("timeout_secs").unwrap();
        let overridden: Vec<String> = history.unwrap().leaves[0]
            .1
            .overridden
            .iter()
            .map(|n| n.origin.source.to_string())
            .collect();
        assert_eq!(overridden.len(), 4, "{overridden:?}");
        assert!(overridden[0].ends_with("deployctl.yaml"));
        assert!(overridden[1].ends_with("deployctl.production.yaml"));
        assert!(overridden[2].ends_with("extra.json"));
        assert_eq!(overridden[3], "env DEPLOYCTL__TIMEOUT_SECS");

        let missing = quiet.overlay(dir.path().join("nope.yaml")).load();
        assert!(matches!(missing, Err(Error::Read(_))), "{missing:?}");
    }
}
