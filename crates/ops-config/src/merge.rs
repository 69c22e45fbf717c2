//! Deep merge: RFC 7396 JSON Merge Patch, with per-path array strategies
//! and provenance.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::value::{Map, Node, Origin, Source, Value, parse_path};

/// How an overlay's sequence combines with the base's at one path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ArrayStrategy {
    /// The overlay's sequence replaces the base's (RFC 7396).
    #[default]
    Replace,
    /// The overlay's items are added after the base's, except items equal
    /// to one the base already has: so that laying the same overlay twice
    /// gives what laying it once gives.
    Append,
    /// Sequences of maps matched on the value of a key (`name`, as
    /// Kubernetes merges `containers`): an overlay item with the key of a
    /// base item is merged into it, recursively; others are added at the
    /// end (unless an equal item is there).
    MergeByKey(String),
}

impl fmt::Display for ArrayStrategy {
    /// `replace`, `append` or `merge-by-key NAME`, as the strategy file
    /// writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrayStrategy::Replace => f.write_str("replace"),
            ArrayStrategy::Append => f.write_str("append"),
            ArrayStrategy::MergeByKey(k) => write!(f, "merge-by-key {k}"),
        }
    }
}

impl FromStr for ArrayStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<ArrayStrategy, String> {
        let mut words = s.split_whitespace();
        let strategy = match words.next() {
            Some("replace") => ArrayStrategy::Replace,
            Some("append") => ArrayStrategy::Append,
            Some("merge-by-key") => match words.next() {
                Some(key) => ArrayStrategy::MergeByKey(key.to_owned()),
                None => {
                    return Err(
                        "`merge-by-key` needs the key to match on, as `merge-by-key name`".into(),
                    );
                }
            },
            _ => {
                return Err(format!(
                    "unknown strategy `{s}` (want replace, append or merge-by-key KEY)"
                ));
            }
        };
        match words.next() {
            None => Ok(strategy),
            Some(w) => Err(format!("unexpected `{w}` after `{strategy}`")),
        }
    }
}

/// Array strategies by path. Paths are dotted keys (`spec.containers`);
/// `*` stands for any one key (`services.*.ports`). Items of a
/// merge-by-key sequence add no segment: `spec.containers.env` is the `env`
/// of every container. When several rules match a path, the last one
/// added wins. Paths without a rule use [`ArrayStrategy::Replace`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Strategies {
    rules: Vec<(Vec<String>, ArrayStrategy)>,
}

impl Strategies {
    /// No rules: every sequence is replaced, as RFC 7396 does.
    pub fn new() -> Strategies {
        Strategies::default()
    }

    /// Adds a rule; fails on a malformed path.
    pub fn rule(mut self, path: &str, strategy: ArrayStrategy) -> Result<Strategies, Error> {
        let segs = parse_path(path)
            .map_err(|m| Error::layer(Origin::whole(Source::Inline("strategies".into())), m))?;
        self.rules.push((segs, strategy));
        Ok(self)
    }

    /// Reads a strategy file: one rule per line, `PATH = STRATEGY`, where
    /// STRATEGY is `replace`, `append` or `merge-by-key KEY`; blank lines
    /// and lines starting with `#` are skipped.
    ///
    /// ```text
    /// # Kubernetes-style lists
    /// spec.template.spec.containers = merge-by-key name
    /// spec.template.spec.containers.env = merge-by-key name
    /// plugins = append
    /// ```
    pub fn parse(text: &str, name: &str) -> Result<Strategies, Error> {
        let source = Source::File(name.into());
        let mut out = Strategies::new();
        for (i, line) in text.lines().enumerate() {
            let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let at = |offset: usize, msg: String| {
                let col = line[..offset.min(line.len())].chars().count() + 1;
                let origin = Origin::new(source.clone(), lineno, u32::try_from(col).unwrap_or(0));
                Error::parse_at(origin, text, msg)
            };
            let Some((path, strategy)) = trimmed.split_once('=') else {
                return Err(at(indent, "expected `PATH = STRATEGY`".to_owned()));
            };
            let segs = parse_path(path.trim()).map_err(|m| at(indent, m))?;
            if segs.is_empty() {
                return Err(at(indent, "empty path".to_owned()));
            }
            let value_at = indent + path.len() + 1;
            let strategy = strategy
                .trim()
                .parse::<ArrayStrategy>()
                .map_err(|m| at(value_at, m))?;
            out.rules.push((segs, strategy));
        }
        Ok(out)
    }

    /// Reads a strategy file from disk (see [`Strategies::parse`]).
    pub fn load(path: &std::path::Path) -> Result<Strategies, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
        Strategies::parse(&text, &path.to_string_lossy())
    }

    /// The strategy for the sequence at `path`.
    pub fn get<S: AsRef<str>>(&self, path: &[S]) -> &ArrayStrategy {
        self.rules
            .iter()
            .rev()
            .find(|(pattern, _)| {
                pattern.len() == path.len()
                    && pattern
                        .iter()
                        .zip(path)
                        .all(|(p, s)| p == "*" || p == s.as_ref())
            })
            .map_or(&ArrayStrategy::Replace, |(_, s)| s)
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Lays `overlay` on `base` and returns the result; neither input changes.
///
/// Maps merge key by key, recursively; a `null` in the overlay deletes the
/// key; scalars, and sequences without a rule in `strategies`, are
/// replaced. With no strategies this is exactly RFC 7396 JSON Merge Patch
/// (`base` the target, `overlay` the patch). Every node of the result
/// keeps its [`Origin`]; a replaced value is kept in the new node's
/// [`Node::overridden`].
pub fn merge(base: &Node, overlay: &Node, strategies: &Strategies) -> Node {
    merge_owned(base.clone(), overlay.clone(), strategies)
}

/// [`merge`] taking its inputs by value, so that nothing is copied.
pub fn merge_owned(base: Node, overlay: Node, strategies: &Strategies) -> Node {
    let mut path = Vec::new();
    patch(Some(base), overlay, strategies, &mut path)
}

fn replaced(base: Option<Node>, mut overlay: Node) -> Node {
    if let Some(mut old) = base {
        let mut history = std::mem::take(&mut old.overridden);
        history.push(old);
        history.append(&mut overlay.overridden);
        overlay.overridden = history;
    }
    overlay
}

fn patch(base: Option<Node>, overlay: Node, st: &Strategies, path: &mut Vec<String>) -> Node {
    match overlay.value {
        Value::Map(entries) => {
            let (mut target, origin, overridden) = match base {
                Some(Node {
                    value: Value::Map(m),
                    origin,
                    overridden,
                }) => (m, origin, overridden),
                // Not a map: RFC 7396 starts from an empty one.
                other => {
                    let history = replaced(other, Node::new(Value::Null, overlay.origin.clone()));
                    (Map::new(), overlay.origin, history.overridden)
                }
            };
            for (key, value) in entries {
                if matches!(value.value, Value::Null) {
                    target.remove(&key);
                    continue;
                }
                let old = target.remove(&key);
                path.push(key);
                let merged = patch(old, value, st, path);
                let key = path.pop().unwrap_or_default();
                target.insert(key, merged);
            }
            Node {
                value: Value::Map(target),
                origin,
                overridden,
            }
        }
        Value::Seq(items) => {
            let strategy = if st.is_empty() {
                &ArrayStrategy::Replace
            } else {
                st.get(path)
            };
            if *strategy == ArrayStrategy::Replace {
                return replaced(
                    base,
                    Node {
                        value: Value::Seq(items),
                        ..overlay
                    },
                );
            }
            // Appending to nothing, or merging into nothing, is still
            // appending or merging: the overlay's items go through the same
            // rules (nulls in keyed items deleted, duplicates dropped), or
            // laying the overlay again would change the result.
            let (have, origin, overridden) = match base {
                Some(Node {
                    value: Value::Seq(have),
                    origin,
                    overridden,
                }) => (have, origin, overridden),
                other => {
                    let history = replaced(other, Node::new(Value::Null, overlay.origin.clone()));
                    (Vec::new(), overlay.origin, history.overridden)
                }
            };
            let have = match strategy {
                ArrayStrategy::MergeByKey(key) => merge_by_key(have, items, key, st, path),
                _ => append(have, items),
            };
            Node {
                value: Value::Seq(have),
                origin,
                overridden,
            }
        }
        scalar => replaced(
            base,
            Node {
                value: scalar,
                ..overlay
            },
        ),
    }
}

fn append(mut have: Vec<Node>, items: Vec<Node>) -> Vec<Node> {
    let fresh: Vec<Node> = items
        .into_iter()
        .filter(|item| !have.iter().any(|h| h.value == item.value))
        .collect();
    have.extend(fresh);
    have
}

/// The scalar a map item is identified by.
fn id_of<'a>(item: &'a Node, key: &str) -> Option<&'a Value> {
    let id = &item.value.as_map()?.get(key)?.value;
    id.is_scalar().then_some(id)
}

fn merge_by_key(
    mut have: Vec<Node>,
    items: Vec<Node>,
    key: &str,
    st: &Strategies,
    path: &mut Vec<String>,
) -> Vec<Node> {
    for item in items {
        let found =
            id_of(&item, key).and_then(|id| have.iter().position(|h| id_of(h, key) == Some(id)));
        match found {
            Some(i) => {
                let placeholder = Node::new(Value::Null, item.origin.clone());
                let old = std::mem::replace(&mut have[i], placeholder);
                have[i] = patch(Some(old), item, st, path);
            }
            None => {
                let item = patch(None, item, st, path);
                if !have.iter().any(|h| h.value == item.value) {
                    have.push(item);
                }
            }
        }
    }
    have
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_parse_and_match() {
        let text = "# comment\n\nspec.containers = merge-by-key name\nservices.*.ports = append\n\
                    services.web.ports = replace\n";
        let st = Strategies::parse(text, "s.txt").unwrap();
        assert_eq!(
            st.get(&["spec", "containers"]),
            &ArrayStrategy::MergeByKey("name".into())
        );
        assert_eq!(st.get(&["services", "db", "ports"]), &ArrayStrategy::Append);
        assert_eq!(
            st.get(&["services", "web", "ports"]),
            &ArrayStrategy::Replace
        );
        assert_eq!(st.get(&["other"]), &ArrayStrategy::Replace);
    }

    #[test]
    fn strategy_file_errors_have_positions() {
        for (text, line, column, want) in [
            ("a = append\nb append\n", 2, 1, "PATH = STRATEGY"),
            ("  a..b = append\n", 1, 3, "empty key"),
            ("a = merge-by-key\n", 1, 4, "needs the key"),
            ("a = prepend\n", 1, 4, "unknown strategy"),
            ("a = append twice\n", 1, 4, "unexpected `twice`"),
            (" = append\n", 1, 2, "empty path"),
        ] {
            match Strategies::parse(text, "s.txt") {
                Err(Error::Parse {
                    origin, message, ..
                }) => {
                    assert_eq!((origin.line, origin.column), (line, column), "{text:?}");
                    assert!(message.contains(want), "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
