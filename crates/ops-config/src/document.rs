//! A loaded or merged document: lookups, explanations, output, diffs.

use std::fmt;
use std::path::Path;

use crate::error::Error;
use crate::load::{self, Format, Limits};
use crate::merge::{Strategies, merge};
use crate::output::{compact, render};
use crate::value::{Node, Source, Value, parse_path, push_segment};

/// A configuration document: a tree of [`Node`]s, each knowing where it
/// was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    root: Node,
}

impl Document {
    /// A document with this root.
    pub fn new(root: Node) -> Document {
        Document { root }
    }

    /// Parses text; `name` stands for the file in origins.
    pub fn parse(text: &str, format: Format, name: &str) -> Result<Document, Error> {
        let source = Source::Inline(name.into());
        format
            .parse(text, &source, &Limits::default())
            .map(Document::new)
    }

    /// Reads a file in the format its extension says.
    pub fn load(path: impl AsRef<Path>) -> Result<Document, Error> {
        load::load_file(path.as_ref(), None, &Limits::default()).map(Document::new)
    }

    /// Reads a file in `format`.
    pub fn load_as(path: impl AsRef<Path>, format: Format) -> Result<Document, Error> {
        load::load_file(path.as_ref(), Some(format), &Limits::default()).map(Document::new)
    }

    /// The root node.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The root node, by value.
    pub fn into_root(self) -> Node {
        self.root
    }

    /// The node at a dotted path (`db.port`, `servers[0].name`,
    /// `a."b.c"`); `""` is the root. `None` when it is not there or the
    /// path is malformed.
    pub fn get(&self, path: &str) -> Option<&Node> {
        let segs = parse_path(path).ok()?;
        self.root.get(&segs)
    }

    /// Lays `overlay` on this document (see [`merge`](crate::merge)).
    pub fn merge(&self, overlay: &Document, strategies: &Strategies) -> Document {
        Document::new(merge(&self.root, &overlay.root, strategies))
    }

    /// Writes the document canonically: keys sorted, one layout per
    /// format. Fails on what the format cannot hold (a null in TOML, an
    /// infinite float in JSON), naming its path and origin.
    pub fn to_string(&self, format: Format) -> Result<String, Error> {
        render(&self.root, format)
    }

    /// The document as a `serde_json::Value`.
    pub fn to_json(&self) -> Result<serde_json::Value, Error> {
        crate::value::to_json(&self.root).map_err(|message| Error::Output {
            format: "json",
            message,
        })
    }

    /// Where the value at `path` came from, and what it replaced; for a map
    /// or sequence, the same for every leaf below it. Fails with a message
    /// on a malformed path; `Ok(None)` when nothing is at the path.
    pub fn explain(&self, path: &str) -> Result<Option<Explanation>, Error> {
        let segs = parse_path(path).map_err(|m| {
            Error::layer(crate::value::Origin::whole(Source::Inline("key".into())), m)
        })?;
        let Some(node) = self.root.get(&segs) else {
            return Ok(None);
        };
        let mut base = String::new();
        for s in &segs {
            push_segment(&mut base, s);
        }
        let leaves = node
            .leaves()
            .into_iter()
            .map(|(sub, n)| {
                let path = match (base.is_empty(), sub.is_empty()) {
                    (_, true) => base.clone(),
                    (true, false) => sub,
                    (false, false) if sub.starts_with('[') => format!("{base}{sub}"),
                    (false, false) => format!("{base}.{sub}"),
                };
                (path, n.clone())
            })
            .collect();
        Ok(Some(Explanation { leaves }))
    }

    /// What changed from this document to `other`: keys added, removed and
    /// changed, by dotted path in key order. Sequences are compared whole.
    pub fn diff(&self, other: &Document) -> Vec<Change> {
        let mut out = Vec::new();
        diff_nodes(&self.root, &other.root, &mut String::new(), &mut out);
        out
    }
}

/// The provenance of the leaves at a path: what [`Document::explain`]
/// returns and `confmerge explain` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Each leaf's dotted path and node (with the values it overrode).
    pub leaves: Vec<(String, Node)>,
}

impl fmt::Display for Explanation {
    /// ```text
    /// db.port = 6432
    ///   set by env APP__DB__PORT
    ///   overrode 5433 from prod.yaml:3:9
    ///   overrode 5432 from base.yaml:4:9
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, node) in &self.leaves {
            let shown = if path.is_empty() { "(root)" } else { path };
            writeln!(f, "{shown} = {}", compact(node, 200))?;
            writeln!(f, "  set by {}", node.origin)?;
            for old in node.overridden.iter().rev() {
                writeln!(f, "  overrode {} from {}", compact(old, 80), old.origin)?;
            }
        }
        Ok(())
    }
}

/// One difference between two documents.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// In the second document only.
    Added {
        /// Dotted path.
        path: String,
        /// The value.
        value: Node,
    },
    /// In the first document only.
    Removed {
        /// Dotted path.
        path: String,
        /// The value.
        value: Node,
    },
    /// In both, with different values.
    Changed {
        /// Dotted path.
        path: String,
        /// The first document's value.
        from: Node,
        /// The second document's value.
        to: Node,
    },
}

impl fmt::Display for Change {
    /// `+ path: value`, `- path: value`, or `~ path: old -> new`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let root = |p: &str| {
            if p.is_empty() {
                "(root)".to_owned()
            } else {
                p.to_owned()
            }
        };
        match self {
            Change::Added { path, value } => write!(f, "+ {}: {}", root(path), compact(value, 200)),
            Change::Removed { path, value } => {
                write!(f, "- {}: {}", root(path), compact(value, 200))
            }
            Change::Changed { path, from, to } => write!(
                f,
                "~ {}: {} -> {}",
                root(path),
                compact(from, 100),
                compact(to, 100)
            ),
        }
    }
}

fn diff_nodes(a: &Node, b: &Node, path: &mut String, out: &mut Vec<Change>) {
    match (&a.value, &b.value) {
        (Value::Map(ma), Value::Map(mb)) => {
            let len = path.len();
            let mut ia = ma.iter().peekable();
            let mut ib = mb.iter().peekable();
            loop {
                let order = match (ia.peek(), ib.peek()) {
                    (None, None) => break,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
                };
                match order {
                    std::cmp::Ordering::Less => {
                        if let Some((k, v)) = ia.next() {
                            push_segment(path, k);
                            out.push(Change::Removed {
                                path: path.clone(),
                                value: v.clone(),
                            });
                        }
                    }
                    std::cmp::Ordering::Greater => {
                        if let Some((k, v)) = ib.next() {
                            push_segment(path, k);
                            out.push(Change::Added {
                                path: path.clone(),
                                value: v.clone(),
                            });
                        }
                    }
                    std::cmp::Ordering::Equal => {
                        if let (Some((k, va)), Some((_, vb))) = (ia.next(), ib.next()) {
                            push_segment(path, k);
                            diff_nodes(va, vb, path, out);
                        }
                    }
                }
                path.truncate(len);
            }
        }
        (va, vb) if va != vb => out.push(Change::Changed {
            path: path.clone(),
            from: a.clone(),
            to: b.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_added_removed_and_changed_keys() {
        let a = Document::parse("a: 1\nb: {c: 2, d: [1]}\nx: y\n", Format::Yaml, "a").unwrap();
        let b = Document::parse("a: 1\nb: {c: 3, d: [1], e: z}\n", Format::Yaml, "b").unwrap();
        let lines: Vec<String> = a.diff(&b).iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["~ b.c: 2 -> 3", "+ b.e: \"z\"", "- x: \"y\""]);
        assert!(a.diff(&a).is_empty());
    }

    #[test]
    fn explain_lists_origin_and_overridden_layers() {
        let base =
            Document::parse("db:\n  port: 5432\n  host: h\n", Format::Yaml, "base.yaml").unwrap();
        let prod = Document::parse("db:\n  port: 5433\n", Format::Yaml, "prod.yaml").unwrap();
        let env = Document::parse("{\"db\": {\"port\": 6432}}", Format::Json, "env.json").unwrap();
        let st = Strategies::new();
        let doc = base.merge(&prod, &st).merge(&env, &st);
        let text = doc.explain("db.port").unwrap().unwrap().to_string();
        assert_eq!(
            text,
            "db.port = 6432\n  set by env.json:1:17\n  overrode 5433 from prod.yaml:2:9\n  overrode 5432 from base.yaml:2:9\n"
        );
        let all = doc.explain("db").unwrap().unwrap();
        assert_eq!(
            all.leaves
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>(),
            ["db.host", "db.port"]
        );
        assert!(doc.explain("db.nope").unwrap().is_none());
        assert!(doc.explain("db..x").is_err());
    }
}
