//! Typed configs: deserialization with unknown keys reported, custom
//! rules, and (feature `schema`) validation against the schema schemars
//! derives, in one call.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::de::{UnknownKey, deserialize};
use crate::document::Document;
use crate::error::{Error, Violation, Violations};
#[cfg(feature = "schema")]
use crate::schema::Schema;
use crate::value::parse_path;

/// What to do with keys of the document that the typed config has no
/// field for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UnknownKeys {
    /// A violation, like a schema's: the load fails (the default; a
    /// misspelt key is a bug).
    #[default]
    Deny,
    /// Listed in [`Loaded::unknown_keys`] for the caller to warn about.
    Warn,
}

/// A typed config and what the load noticed.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// The config.
    pub value: T,
    /// Keys the type has no field for ([`UnknownKeys::Warn`]).
    pub unknown_keys: Vec<UnknownKey>,
}

/// Where a rule records what is wrong: dotted paths of the document, so
/// that each violation gets the origin of the value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    failures: Vec<(String, String)>,
}

impl Report {
    /// The value at `path` (dotted, `""` for the root) breaks the rule.
    pub fn fail(&mut self, path: &str, message: impl Into<String>) {
        self.failures.push((path.to_owned(), message.into()));
    }
}

/// A check of a typed config beyond what its schema says (no `:latest`
/// image in production, at least 2 replicas in production).
///
/// Object-safe: rules of different types live in one list.
pub trait Rule<T>: Send + Sync {
    /// A short name, shown with each violation.
    fn name(&self) -> &str;
    /// Records in `report` what is wrong with `config`.
    fn check(&self, config: &T, report: &mut Report);
}

struct FnRule<F> {
    name: String,
    f: F,
}

impl<T, F: Fn(&T, &mut Report) + Send + Sync> Rule<T> for FnRule<F> {
    fn name(&self) -> &str {
        &self.name
    }
    fn check(&self, config: &T, report: &mut Report) {
        (self.f)(config, report)
    }
}

/// Loads a typed config from a [`Document`]: deserializes it, reports
/// keys the type has no field for, runs the rules, and reports every
/// violation at once, each with its source position. With [`Typed::new`]
/// (feature `schema`) it first validates the document against `T`'s JSON
/// Schema, derived by `schemars`.
///
/// ```
/// use ops_config::{Document, Format, Typed};
///
/// #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
/// struct Service {
///     image: String,
///     #[schemars(range(min = 1))]
///     replicas: u32,
/// }
///
/// let doc = Document::parse("image: web:latest\nreplicas: 1\n", Format::Yaml, "svc.yaml")?;
/// let typed = Typed::<Service>::new().rule("no-latest", |s: &Service, r| {
///     if s.image.ends_with(":latest") {
///         r.fail("image", "pin the image to a version, not :latest");
///     }
/// });
/// let err = typed.load(&doc).unwrap_err();
/// let v = err.violations().map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
/// assert_eq!(v, Some(vec![
///     "svc.yaml:1:8: /image: pin the image to a version, not :latest [no-latest]".to_owned(),
/// ]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Without the `schema` feature (or when serde's own type checks are
/// enough), [`Typed::without_schema`] does the same without JSON Schema:
/// a value of the wrong type is then serde's first error, with its path
/// and origin, rather than every schema violation.
///
/// ```
/// use ops_config::{Document, Format, Typed};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Service {
///     replicas: u32,
/// }
///
/// let doc = Document::parse("replicas: 1\nreplica: 2\n", Format::Yaml, "svc.yaml")?;
/// let typed = Typed::<Service>::without_schema().rule("ha", |s: &Service, r| {
///     if s.replicas < 2 {
///         r.fail("replicas", "run at least 2 replicas");
///     }
/// });
/// let err = typed.load(&doc).unwrap_err();
/// let v: Vec<String> = err.violations().into_iter().flatten().map(ToString::to_string).collect();
/// assert_eq!(v, [
///     "svc.yaml:1:11: /replicas: run at least 2 replicas [ha]",
///     "svc.yaml:2:10: /replica: unknown key `replica` [unknown-key]",
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Typed<T> {
    unknown: UnknownKeys,
    rules: Vec<Box<dyn Rule<T>>>,
    /// `T`'s schema, compiled when a document is loaded; `None` without.
    #[cfg(feature = "schema")]
    schema: Option<fn() -> Result<Schema, Error>>,
    _t: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.rules.iter().map(|r| r.name()).collect();
        let mut d = f.debug_struct("Typed");
        d.field("unknown", &self.unknown).field("rules", &names);
        #[cfg(feature = "schema")]
        d.field("schema", &self.schema.is_some());
        d.finish()
    }
}

#[cfg(feature = "schema")]
impl<T: DeserializeOwned + schemars::JsonSchema> Default for Typed<T> {
    fn default() -> Typed<T> {
        Typed::new()
    }
}

#[cfg(feature = "schema")]
impl<T: DeserializeOwned + schemars::JsonSchema> Typed<T> {
    /// Schema validation on, unknown keys denied, no rules.
    pub fn new() -> Typed<T> {
        Typed {
            schema: Some(Schema::for_type::<T>),
            ..Typed::without_schema()
        }
    }
}

impl<T: DeserializeOwned> Typed<T> {
    /// No JSON Schema validation (serde's type checks only), unknown keys
    /// denied, no rules. Available without the `schema` feature, and
    /// without its dependencies (jsonschema, schemars).
    pub fn without_schema() -> Typed<T> {
        Typed {
            unknown: UnknownKeys::Deny,
            rules: Vec::new(),
            #[cfg(feature = "schema")]
            schema: None,
            _t: PhantomData,
        }
    }

    /// What to do with unknown keys.
    pub fn unknown_keys(mut self, policy: UnknownKeys) -> Typed<T> {
        self.unknown = policy;
        self
    }

    /// Adds a rule from a closure.
    pub fn rule<F>(mut self, name: &str, f: F) -> Typed<T>
    where
        F: Fn(&T, &mut Report) + Send + Sync + 'static,
        T: 'static,
    {
        self.rules.push(Box::new(FnRule {
            name: name.to_owned(),
            f,
        }));
        self
    }

    /// Adds a rule.
    pub fn with_rule(mut self, rule: Box<dyn Rule<T>>) -> Typed<T> {
        self.rules.push(rule);
        self
    }

    /// Validates, deserializes and checks `doc`.
    pub fn load(&self, doc: &Document) -> Result<Loaded<T>, Error> {
        #[cfg(feature = "schema")]
        let mut violations = match self.schema {
            Some(schema) => schema()?.violations(doc)?.0,
            None => Vec::new(),
        };
        #[cfg(not(feature = "schema"))]
        let mut violations = Vec::new();
        let (value, unknown_keys) = match deserialize::<T>(doc) {
            Ok(v) => v,
            // The schema's violations say it better than serde's first error.
            Err(_) if !violations.is_empty() => return Err(Error::Invalid(Violations(violations))),
            Err(e) => return Err(e),
        };
        if self.unknown == UnknownKeys::Deny {
            violations.extend(unknown_keys.iter().map(|k| Violation {
                instance_path: pointer(&k.path),
                message: format!("unknown key `{}`", k.path),
                origin: Some(k.origin.clone()),
                rule: Some("unknown-key".to_owned()),
            }));
        }
        for rule in &self.rules {
            let mut report = Report::default();
            rule.check(&value, &mut report);
            for (path, message) in report.failures {
                let node = parse_path(&path)
                    .ok()
                    .and_then(|s| doc.root().get(&s).cloned());
                violations.push(Violation {
                    instance_path: pointer(&path),
                    message,
                    origin: node.map(|n| n.origin),
                    rule: Some(rule.name().to_owned()),
                });
            }
        }
        if violations.is_empty() {
            Ok(Loaded {
                value,
                unknown_keys,
            })
        } else {
            crate::error::sort(&mut violations);
            Err(Error::Invalid(Violations(violations)))
        }
    }
}

/// A dotted path as a JSON Pointer.
fn pointer(path: &str) -> String {
    match parse_path(path) {
        Ok(segs) => segs
            .iter()
            .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
            .collect(),
        Err(_) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Format;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    struct Db {
        host: String,
        port: u16,
        #[serde(default)]
        mode: Mode,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        #[default]
        Primary,
        Replica,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    struct App {
        db: Db,
        tags: Vec<String>,
        timeout: Option<f64>,
    }

    fn doc(text: &str) -> Document {
        Document::parse(text, Format::Yaml, "app.yaml").unwrap()
    }

    #[test]
    fn deserializes_and_lists_unknown_keys() {
        let d = doc("db: {host: h, port: 5432, mode: replica, extra: 1}\ntags: [a]\ntypo: 2\n");
        let (app, unknown) = deserialize::<App>(&d).unwrap();
        assert_eq!(app.db.mode, Mode::Replica);
        assert_eq!(app.timeout, None);
        let keys: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        assert_eq!(
            keys,
            [
                "app.yaml:1:49: unknown key `db.extra`",
                "app.yaml:3:7: unknown key `typo`"
            ]
        );
    }

    #[test]
    fn type_errors_name_path_and_origin() {
        let d = doc("db:\n  host: h\n  port: 70000\ntags: []\n");
        let err = deserialize::<App>(&d).unwrap_err();
        assert_eq!(
            err.to_string(),
            "app.yaml:3:9: db.port: invalid value: integer `70000`, expected u16"
        );
        let err = deserialize::<App>(&doc("db: {host: h, port: 1}\ntags: [a, [b]]\n")).unwrap_err();
        assert!(
            err.to_string().starts_with("app.yaml:2:11: tags[1]:"),
            "{err}"
        );
    }

    /// Loads a document with a latest tag and an unknown key through
    /// `typed` with a rule against latest tags, and checks both are
    /// reported with their origins.
    fn reports_rule_and_unknown_key(typed: Typed<App>) -> Document {
        let d = doc("db: {host: h, port: 5432}\ntags: [latest]\nextra: x\n");
        let typed = typed.rule("no-latest", |a: &App, r| {
            if a.tags.iter().any(|t| t == "latest") {
                r.fail("tags[0]", "no latest tag");
            }
        });
        let err = typed.load(&d).unwrap_err();
        let lines: Vec<String> = err
            .violations()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "app.yaml:2:8: /tags/0: no latest tag [no-latest]",
                "app.yaml:3:8: /extra: unknown key `extra` [unknown-key]",
            ]
        );
        d
    }

    #[test]
    fn without_schema_collects_unknown_and_rule_violations() {
        reports_rule_and_unknown_key(Typed::without_schema());
        // A wrong type is serde's error, naming the path and origin.
        let err = Typed::<App>::without_schema()
            .load(&doc("db: {host: h, port: x}\ntags: []\n"))
            .unwrap_err();
        assert!(!err.is_invalid());
        assert!(
            err.to_string().starts_with("app.yaml:1:21: db.port:"),
            "{err}"
        );
        let ok = Typed::<App>::without_schema()
            .load(&doc("db: {host: h, port: 1}\ntags: []\n"))
            .unwrap();
        assert_eq!(ok.value.db.port, 1);
    }

    #[cfg(feature = "schema")]
    #[test]
    fn typed_load_collects_schema_unknown_and_rule_violations() {
        let d = reports_rule_and_unknown_key(Typed::new());
        let warn = Typed::<App>::new()
            .unknown_keys(UnknownKeys::Warn)
            .load(&d)
            .unwrap();
        assert_eq!(warn.unknown_keys.len(), 1);
        // The schema speaks first: a wrong type is a violation, not a serde error.
        let err = Typed::<App>::new()
            .load(&doc("db: {host: h, port: x}\ntags: []\n"))
            .unwrap_err();
        assert!(err.is_invalid(), "{err}");
    }

    #[test]
    fn rules_are_object_safe() {
        fn _obj_safe(_: &dyn Rule<App>) {}
        fn _send_sync<T: Send + Sync>() {}
        _send_sync::<Typed<App>>();
    }
}
