//! Typed configs: schema from schemars, validation, custom rules,
//! deserialization with unknown keys reported, in one call.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::de::{UnknownKey, deserialize};
use crate::document::Document;
use crate::error::{Error, Violation, Violations};
use crate::schema::{Schema, sort};
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

/// Loads a typed config from a [`Document`]: validates it against `T`'s
/// JSON Schema (from `schemars`), deserializes it, runs the rules, and
/// reports every violation at once, each with its source position.
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
pub struct Typed<T> {
    unknown: UnknownKeys,
    rules: Vec<Box<dyn Rule<T>>>,
    schema: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.rules.iter().map(|r| r.name()).collect();
        f.debug_struct("Typed")
            .field("unknown", &self.unknown)
            .field("rules", &names)
            .field("schema", &self.schema)
            .finish()
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema> Default for Typed<T> {
    fn default() -> Typed<T> {
        Typed::new()
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema> Typed<T> {
    /// Schema validation on, unknown keys denied, no rules.
    pub fn new() -> Typed<T> {
        Typed {
            unknown: UnknownKeys::Deny,
            rules: Vec::new(),
            schema: true,
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
        let mut violations = if self.schema {
            Schema::for_type::<T>()?.violations(doc)?.0
        } else {
            Vec::new()
        };
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
            sort(&mut violations);
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

    #[derive(Debug, Deserialize, schemars::JsonSchema, PartialEq)]
    struct Db {
        host: String,
        port: u16,
        #[serde(default)]
        mode: Mode,
    }

    #[derive(Debug, Default, Deserialize, schemars::JsonSchema, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        #[default]
        Primary,
        Replica,
    }

    #[derive(Debug, Deserialize, schemars::JsonSchema, PartialEq)]
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

    #[test]
    fn typed_load_collects_schema_unknown_and_rule_violations() {
        let d = doc("db: {host: h, port: 5432}\ntags: [latest]\nextra: x\n");
        let typed = Typed::<App>::new().rule("no-latest", |a: &App, r| {
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
