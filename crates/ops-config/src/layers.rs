//! Layers in order (files, environment variables, `--set` overrides) and
//! their merge into one [`Document`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::document::Document;
use crate::error::Error;
use crate::load::{self, Format, Limits, yaml};
use crate::merge::{Strategies, merge_owned};
use crate::value::{Map, Node, Origin, Source, Value, parse_path};

/// How environment variable names become keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyCase {
    /// `APP__DB__MAX_CONN` sets `db.max_conn` (the default: config keys are
    /// lowercase, variable names upper).
    #[default]
    Lower,
    /// Names are used as written.
    Keep,
}

/// Environment variables as a layer: `PREFIX__A__B=value` sets `a.b`,
/// with the value typed as a YAML scalar (`5432` an integer, `true` a
/// boolean, `[a, b]` a sequence, empty or `null` deletes the key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnvLayer {
    prefix: String,
    separator: String,
    case: KeyCase,
    vars: Option<Vec<(OsString, OsString)>>,
}

impl EnvLayer {
    /// Variables named `PREFIX__...`, read from the process environment
    /// when the layers are merged.
    pub fn new(prefix: &str) -> EnvLayer {
        EnvLayer {
            prefix: prefix.to_owned(),
            separator: "__".to_owned(),
            case: KeyCase::Lower,
            vars: None,
        }
    }

    /// The nesting separator (default `__`).
    pub fn separator(mut self, separator: &str) -> EnvLayer {
        self.separator = separator.to_owned();
        self
    }

    /// How names become keys (default [`KeyCase::Lower`]).
    pub fn case(mut self, case: KeyCase) -> EnvLayer {
        self.case = case;
        self
    }

    /// Reads these variables instead of the process environment (for
    /// tests, or an environment file read by the caller).
    pub fn vars<I, K, V>(mut self, vars: I) -> EnvLayer
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.vars = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// The layer's tree: one node per variable of the prefix, in name
    /// order; conflicting variables (one sets `db`, another `db.port`; or
    /// `APP__DB` and `APP__db`) are an error naming both.
    pub fn to_node(&self, limits: &Limits) -> Result<Node, Error> {
        let vars = match &self.vars {
            Some(v) => v.clone(),
            None => std::env::vars_os().collect(),
        };
        let head = format!("{}{}", self.prefix, self.separator);
        let mut picked: Vec<(String, OsString)> = Vec::new();
        for (name, value) in vars {
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(&head) {
                picked.push((name.to_owned(), value));
            }
        }
        picked.sort();
        let mut root = Map::new();
        let mut owners: Vec<(Vec<String>, String)> = Vec::new();
        for (name, raw) in picked {
            let origin = Origin::whole(Source::Env(name.as_str().into()));
            let rest = &name[head.len()..];
            let segs: Vec<String> = if self.separator.is_empty() {
                vec![rest.to_owned()]
            } else {
                rest.split(self.separator.as_str())
                    .map(|s| self.key(s))
                    .collect()
            };
            if segs.iter().any(String::is_empty) {
                return Err(Error::layer(origin, format!("empty key in `{name}`")));
            }
            let Some(text) = raw.to_str() else {
                return Err(Error::layer(origin, "value is not UTF-8"));
            };
            let value = yaml::scalar(text, &origin, limits)?;
            for (other, other_name) in &owners {
                let (short, long) = if other.len() <= segs.len() {
                    (other, &segs)
                } else {
                    (&segs, other)
                };
                if long.starts_with(short) {
                    return Err(Error::layer(
                        origin,
                        format!("sets `{}`, which `{other_name}` also sets", segs.join(".")),
                    ));
                }
            }
            insert(&mut root, &segs, Node::new(value, origin.clone()), &origin)?;
            owners.push((segs, name));
        }
        let origin = Origin::whole(Source::Env(format!("{head}*").into()));
        Ok(Node::new(Value::Map(root), origin))
    }

    fn key(&self, seg: &str) -> String {
        match self.case {
            KeyCase::Lower => seg.to_lowercase(),
            KeyCase::Keep => seg.to_owned(),
        }
    }
}

/// Puts `node` at `path` in `map`, creating maps on the way.
fn insert(map: &mut Map, path: &[String], node: Node, origin: &Origin) -> Result<(), Error> {
    let Some((last, parents)) = path.split_last() else {
        return Err(Error::layer(origin.clone(), "empty path"));
    };
    let mut cur = map;
    for seg in parents {
        let entry = cur
            .entry(seg.clone())
            .or_insert_with(|| Node::new(Value::Map(Map::new()), origin.clone()));
        cur = match &mut entry.value {
            Value::Map(m) => m,
            _ => {
                return Err(Error::layer(
                    origin.clone(),
                    format!("`{seg}` is already set to a value"),
                ));
            }
        };
    }
    cur.insert(last.clone(), node);
    Ok(())
}

/// One `--set PATH=VALUE` override as a layer's tree: `PATH` is dotted
/// (`db.port`, `a."b.c"`), `VALUE` typed as a YAML scalar.
pub fn set_layer(expr: &str, limits: &Limits) -> Result<Node, Error> {
    let origin = Origin::whole(Source::Set(expr.into()));
    let Some((path, value)) = expr.split_once('=') else {
        return Err(Error::layer(origin, "expected `PATH=VALUE`"));
    };
    let segs = parse_path(path.trim()).map_err(|m| Error::layer(origin.clone(), m))?;
    if segs.is_empty() {
        return Err(Error::layer(origin, "empty path"));
    }
    if path.contains('[') {
        return Err(Error::layer(
            origin,
            "cannot set an item of a sequence; set the whole sequence, as `PATH=[a, b]`",
        ));
    }
    let value = yaml::scalar(value, &origin, limits)?;
    let mut root = Map::new();
    insert(&mut root, &segs, Node::new(value, origin.clone()), &origin)?;
    Ok(Node::new(Value::Map(root), origin))
}

#[derive(Debug, Clone, PartialEq)]
enum Layer {
    File(PathBuf, Option<Format>),
    Text {
        name: String,
        text: String,
        format: Format,
    },
    Env(EnvLayer),
    Set(String),
    Node(Node),
}

/// Config layers, merged in the order they were added: later layers
/// override earlier ones (see [`merge`](crate::merge) for the rules).
///
/// Nothing is read until [`Layers::merge`]: a missing file or a bad
/// variable is an error then, naming it.
///
/// ```
/// use ops_config::{EnvLayer, Format, Layers};
///
/// let doc = Layers::new()
///     .text("base.yaml", "db: {host: localhost, port: 5432}\nlog: info\n", Format::Yaml)
///     .env(EnvLayer::new("APP").vars([("APP__DB__PORT", "6432")]))
///     .set("log=debug")
///     .merge()?;
/// assert_eq!(doc.get("db.port").map(|n| n.origin.to_string()).as_deref(), Some("env APP__DB__PORT"));
/// assert_eq!(doc.to_string(Format::Json)?, r#"{
///   "db": {
///     "host": "localhost",
///     "port": 6432
///   },
///   "log": "debug"
/// }
/// "#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layers {
    layers: Vec<Layer>,
    strategies: Strategies,
    limits: Limits,
}

impl Layers {
    /// No layers yet.
    pub fn new() -> Layers {
        Layers::default()
    }

    /// A file, in the format its extension says.
    pub fn file(mut self, path: impl AsRef<Path>) -> Layers {
        self.layers
            .push(Layer::File(path.as_ref().to_path_buf(), None));
        self
    }

    /// Files, in order.
    pub fn files<P: AsRef<Path>>(mut self, paths: impl IntoIterator<Item = P>) -> Layers {
        for p in paths {
            self = self.file(p);
        }
        self
    }

    /// A file in the given format, whatever its name.
    pub fn file_as(mut self, path: impl AsRef<Path>, format: Format) -> Layers {
        self.layers
            .push(Layer::File(path.as_ref().to_path_buf(), Some(format)));
        self
    }

    /// Text given in code; `name` stands for the file in origins.
    pub fn text(mut self, name: &str, text: &str, format: Format) -> Layers {
        self.layers.push(Layer::Text {
            name: name.to_owned(),
            text: text.to_owned(),
            format,
        });
        self
    }

    /// Environment variables.
    pub fn env(mut self, env: EnvLayer) -> Layers {
        self.layers.push(Layer::Env(env));
        self
    }

    /// A `PATH=VALUE` override (as `--set`).
    pub fn set(mut self, expr: &str) -> Layers {
        self.layers.push(Layer::Set(expr.to_owned()));
        self
    }

    /// A tree built in code (defaults, or a document loaded before).
    pub fn node(mut self, node: Node) -> Layers {
        self.layers.push(Layer::Node(node));
        self
    }

    /// Array strategies for the merge (default: replace everywhere).
    pub fn strategies(mut self, strategies: Strategies) -> Layers {
        self.strategies = strategies;
        self
    }

    /// Limits on each input (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Layers {
        self.limits = limits;
        self
    }

    /// How many layers there are.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Reads every layer, in order, and returns them unmerged.
    pub fn load(&self) -> Result<Vec<Node>, Error> {
        self.layers.iter().map(|l| self.read(l)).collect()
    }

    /// Reads the layers on up to one thread per core (parsing is most of
    /// the work, and layers are independent until they merge), in order.
    fn read_all(&self) -> Vec<Result<Node, Error>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads < 2 || self.layers.len() < 2 {
            return self.layers.iter().map(|l| self.read(l)).collect();
        }
        let mut out = Vec::with_capacity(self.layers.len());
        for chunk in self.layers.chunks(threads) {
            std::thread::scope(|s| {
                let handles: Vec<_> = chunk.iter().map(|l| s.spawn(|| self.read(l))).collect();
                for (h, layer) in handles.into_iter().zip(chunk) {
                    // A reader that panicked is a bug; read again on this
                    // thread so that the panic surfaces here, with its message.
                    out.push(h.join().unwrap_or_else(|_| self.read(layer)));
                }
            });
        }
        out
    }

    fn read(&self, layer: &Layer) -> Result<Node, Error> {
        match layer {
            Layer::File(path, format) => load::load_file(path, *format, &self.limits),
            Layer::Text { name, text, format } => {
                format.parse(text, &Source::Inline(name.as_str().into()), &self.limits)
            }
            Layer::Env(env) => env.to_node(&self.limits),
            Layer::Set(expr) => set_layer(expr, &self.limits),
            Layer::Node(node) => Ok(node.clone()),
        }
    }

    /// Reads every layer and merges them in order. No layers give an empty
    /// map.
    pub fn merge(&self) -> Result<Document, Error> {
        let mut acc: Option<Node> = None;
        for node in self.read_all() {
            let node = node?;
            acc = Some(match acc {
                None => merge_owned(empty(&node.origin), node, &self.strategies),
                Some(base) => merge_owned(base, node, &self.strategies),
            });
        }
        let root =
            acc.unwrap_or_else(|| empty(&Origin::whole(Source::Inline("(no layers)".into()))));
        Ok(Document::new(root))
    }

    #[cfg(feature = "schema")]
    /// Merges, then validates against `T`'s schema and rules and
    /// deserializes, rejecting unknown keys: see
    /// [`Typed`](crate::Typed) for more control.
    pub fn typed<T>(&self) -> Result<T, Error>
    where
        T: serde::de::DeserializeOwned + schemars::JsonSchema,
    {
        let doc = self.merge()?;
        crate::Typed::<T>::new()
            .load(&doc)
            .map(|loaded| loaded.value)
    }
}

fn empty(origin: &Origin) -> Node {
    Node::new(Value::Map(Map::new()), origin.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Result<Node, Error> {
        EnvLayer::new("APP")
            .vars(vars.iter().map(|(k, v)| (*k, *v)))
            .to_node(&Limits::default())
    }

    #[test]
    fn env_vars_nest_and_are_typed() {
        let n = env(&[
            ("APP__DB__PORT", "5432"),
            ("APP__DB__MAX_CONN", "10"),
            ("APP__DEBUG", "on"),
            ("APP__TAGS", "[a, b]"),
            ("OTHER__X", "1"),
            ("APPX__Y", "1"),
        ])
        .unwrap();
        assert_eq!(n.get(&["db", "port"]).unwrap().value, Value::Int(5432));
        assert_eq!(n.get(&["db", "max_conn"]).unwrap().value, Value::Int(10));
        assert_eq!(n.get(&["debug"]).unwrap().value, Value::String("on".into()));
        assert_eq!(
            n.get(&["tags", "1"]).unwrap().value,
            Value::String("b".into())
        );
        assert_eq!(
            n.get(&["db", "port"]).unwrap().origin.to_string(),
            "env APP__DB__PORT"
        );
        assert_eq!(n.value.as_map().map(Map::len), Some(3));
    }

    #[test]
    fn env_conflicts_and_bad_names_are_errors() {
        let err = env(&[("APP__DB", "x"), ("APP__DB__PORT", "1")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "env APP__DB__PORT: sets `db.port`, which `APP__DB` also sets"
        );
        assert!(env(&[("APP__DB", "x"), ("APP__db", "y")]).is_err());
        let err = env(&[("APP__A____B", "1")]).unwrap_err();
        assert!(err.to_string().contains("empty key"), "{err}");
        let err = env(&[("APP__A", "[1")]).unwrap_err();
        assert!(
            err.to_string().starts_with("env APP__A: bad value"),
            "{err}"
        );
    }

    #[test]
    fn set_expressions() {
        let l = Limits::default();
        let n = set_layer("a.\"b.c\".d=[1, 2]", &l).unwrap();
        assert!(matches!(
            n.get(&["a", "b.c", "d"]).unwrap().value,
            Value::Seq(_)
        ));
        assert_eq!(
            set_layer("x=", &l).unwrap().get(&["x"]).unwrap().value,
            Value::Null
        );
        for bad in ["novalue", "=1", "a..b=1", "a[0]=1", "a=[1"] {
            assert!(set_layer(bad, &l).is_err(), "{bad}");
        }
        assert_eq!(
            set_layer("a.b", &l).unwrap_err().to_string(),
            "--set a.b: expected `PATH=VALUE`"
        );
    }

    #[test]
    fn layers_merge_in_order_with_provenance() {
        let doc = Layers::new()
            .text("base.yaml", "a: 1\nb: {c: 2, d: 3}\n", Format::Yaml)
            .text(
                "over.json",
                "{\"b\": {\"c\": 20, \"d\": null}}",
                Format::Json,
            )
            .set("a=10")
            .merge()
            .unwrap();
        let c = doc.get("b.c").unwrap();
        assert_eq!(c.value, Value::Int(20));
        assert_eq!(c.origin.to_string(), "over.json:1:13");
        assert_eq!(c.overridden.len(), 1);
        assert_eq!(c.overridden[0].origin.to_string(), "base.yaml:2:8");
        assert!(doc.get("b.d").is_none());
        assert_eq!(doc.get("a").unwrap().origin.to_string(), "--set a=10");
    }

    #[test]
    fn missing_files_are_errors_naming_them() {
        let err = Layers::new()
            .file("/nonexistent/x.yaml")
            .merge()
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot read /nonexistent/x.yaml");
        let err = Layers::new().file("x.ini").merge().unwrap_err();
        assert!(matches!(err, Error::UnknownFormat { .. }));
    }
}
