//! The document tree: values that know where they came from.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A map of a document: keys in sorted order, so output is canonical and
/// iteration deterministic.
pub type Map = BTreeMap<String, Node>;

/// Where a layer's values came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Source {
    /// A file, by the name it was opened with.
    File(Arc<str>),
    /// An environment variable, by its name.
    Env(Arc<str>),
    /// A `--set PATH=VALUE` override, by its text.
    Set(Arc<str>),
    /// Text given in code, by the name the caller chose.
    Inline(Arc<str>),
}

impl Source {
    /// The file, variable, expression or name, without its kind.
    pub fn name(&self) -> &str {
        match self {
            Source::File(n) | Source::Env(n) | Source::Set(n) | Source::Inline(n) => n,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(n) | Source::Inline(n) => f.write_str(n),
            Source::Env(n) => write!(f, "env {n}"),
            Source::Set(n) => write!(f, "--set {n}"),
        }
    }
}

/// The place that set a value: a source and, for text, the 1-based line
/// and column of the value (0 when the source has no lines, as an
/// environment variable).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The layer's source.
    pub source: Source,
    /// 1-based line, or 0.
    pub line: u32,
    /// 1-based column in characters, or 0.
    pub column: u32,
}

impl Origin {
    /// An origin at `line:column` of `source`.
    pub fn new(source: Source, line: u32, column: u32) -> Origin {
        Origin {
            source,
            line,
            column,
        }
    }

    /// An origin without a position, as an environment variable's.
    pub fn whole(source: Source) -> Origin {
        Origin::new(source, 0, 0)
    }
}

impl fmt::Display for Origin {
    /// `file:line:column`, or the source alone when it has no lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}:{}", self.source, self.line, self.column)
        }
    }
}

/// A value of a document. Integers are `i128`, so every YAML, JSON and TOML
/// integer of up to 64 bits, signed or not, is exact.
///
/// Values compare by content: where a nested value came from is not part of
/// its equality (compare [`Node`]s for that).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number (YAML's `.inf` and `.nan` included).
    Float(f64),
    /// A string.
    String(String),
    /// A sequence (array, list).
    Seq(Vec<Node>),
    /// A map (object, table) with string keys.
    Map(Map),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            // Bitwise, so that NaN equals itself and equality stays an
            // equivalence relation (merge laws rely on that).
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value == y.value)
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.value == vb.value)
            }
            _ => false,
        }
    }
}

impl Value {
    /// The kind of value, for messages: `null`, `boolean`, `integer`,
    /// `number`, `string`, `sequence` or `map`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "map",
        }
    }

    /// The map, when this is one.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a scalar (neither a map nor a sequence).
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Value::Seq(_) | Value::Map(_))
    }
}

/// A value with its provenance: the [`Origin`] that set it and, after a
/// merge, the values it replaced (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value was set.
    pub origin: Origin,
    /// The values this one replaced in earlier layers, oldest first, each
    /// with its own origin (and without history of its own).
    pub overridden: Vec<Node>,
}

impl Node {
    /// A node without history.
    pub fn new(value: Value, origin: Origin) -> Node {
        Node {
            value,
            origin,
            overridden: Vec::new(),
        }
    }

    /// The node at `path` below this one: map keys, and indexes into
    /// sequences.
    pub fn get<'a, S: AsRef<str>>(&'a self, path: &[S]) -> Option<&'a Node> {
        let mut node = self;
        for seg in path {
            let seg = seg.as_ref();
            node = match &node.value {
                Value::Map(m) => m.get(seg)?,
                Value::Seq(items) => items.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The node at a JSON Pointer (RFC 6901), as JSON Schema reports
    /// instance paths: `""` is this node, `/a/0/b` a path below it.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let segs: Vec<String> = rest
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        self.get(&segs)
    }

    /// Every leaf (scalar, empty map or empty sequence) below this node,
    /// with its dotted path, in key order.
    pub fn leaves(&self) -> Vec<(String, &Node)> {
        let mut out = Vec::new();
        collect_leaves(self, &mut String::new(), &mut out);
        out
    }
}

fn collect_leaves<'a>(node: &'a Node, path: &mut String, out: &mut Vec<(String, &'a Node)>) {
    let len = path.len();
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, v) in m {
                push_segment(path, k);
                collect_leaves(v, path, out);
                path.truncate(len);
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                collect_leaves(v, path, out);
                path.truncate(len);
            }
        }
        _ => out.push((path.clone(), node)),
    }
}

/// Appends a key to a dotted path, quoting it when it holds a separator.
pub(crate) fn push_segment(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    if key.is_empty() || key.contains(['.', '[', ']', '"']) {
        path.push('"');
        for c in key.chars() {
            if c == '"' || c == '\\' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push('"');
    } else {
        path.push_str(key);
    }
}

/// Splits a dotted path (`a.b."c.d"[0]`) into segments: keys, and indexes
/// written `[N]` (returned as `N`). Keys with dots or brackets are written
/// in double quotes, with `\"` and `\\` escapes.
pub fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let mut segs = Vec::new();
    let mut chars = path.chars().peekable();
    if path.is_empty() {
        return Ok(segs);
    }
    loop {
        match chars.peek() {
            Some('"') => {
                chars.next();
                let mut key = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => key.push(c),
                            None => return Err(format!("unterminated quote in `{path}`")),
                        },
                        Some(c) => key.push(c),
                        None => return Err(format!("unterminated quote in `{path}`")),
                    }
                }
                segs.push(key);
            }
            Some('[') => {}
            _ => {
                let mut key = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '.' || c == '[' {
                        break;
                    }
                    if c == '"' || c == ']' {
                        return Err(format!("unexpected `{c}` in `{path}`"));
                    }
                    key.push(c);
                    chars.next();
                }
                if key.is_empty() {
                    return Err(format!("empty key in `{path}`"));
                }
                segs.push(key);
            }
        }
        while chars.peek() == Some(&'[') {
            chars.next();
            let mut digits = String::new();
            loop {
                match chars.next() {
                    Some(']') => break,
                    Some(c) if c.is_ascii_digit() => digits.push(c),
                    _ => return Err(format!("bad index in `{path}` (want `[N]`)")),
                }
            }
            if digits.is_empty() {
                return Err(format!("bad index in `{path}` (want `[N]`)"));
            }
            segs.push(digits);
        }
        match chars.next() {
            None => return Ok(segs),
            Some('.') => {}
            Some(c) => return Err(format!("unexpected `{c}` in `{path}`")),
        }
    }
}

/// The node tree as a `serde_json::Value` (for JSON Schema and
/// templates). Fails on a non-finite float, which JSON cannot hold, naming
/// its path.
pub(crate) fn to_json(node: &Node) -> Result<serde_json::Value, String> {
    Ok(match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => {
            if let Ok(v) = i64::try_from(*i) {
                v.into()
            } else if let Ok(v) = u64::try_from(*i) {
                v.into()
            } else {
                return Err(format!("{} ({i} does not fit 64 bits)", node.origin));
            }
        }
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => serde_json::Value::Number(n),
            None => return Err(format!("{} ({f} is not a JSON number)", node.origin)),
        },
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Seq(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_with_quotes_and_indexes() {
        assert_eq!(
            parse_path("a.b.c"),
            Ok(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            parse_path(r#"a."b.c"[2].d"#),
            Ok(vec!["a".into(), "b.c".into(), "2".into(), "d".into()])
        );
        assert_eq!(parse_path(""), Ok(vec![]));
        for bad in ["a..b", "a.", ".a", "a[x]", "a[]", "\"a", "a]b", "a\"b\""] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn segments_round_trip_through_dotted_paths() {
        for key in ["plain", "with.dot", "", "q\"uote", "br[0]"] {
            let mut p = String::new();
            push_segment(&mut p, "top");
            push_segment(&mut p, key);
            assert_eq!(parse_path(&p), Ok(vec!["top".to_owned(), key.to_owned()]));
        }
    }
}
