//! The crate's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::value::Origin;

/// Everything that can go wrong loading, merging, validating, writing or
/// rendering a configuration.
///
/// [`Error::Invalid`] is a document that was read but breaks its schema or
/// rules (`confmerge` exits 1); every other kind is trouble reading or
/// writing (exit 2), and names the file, line and column, variable or
/// expression involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file or value is not well-formed YAML, JSON or TOML, breaks a
    /// budget, or repeats a key.
    #[error("{origin}: {message}")]
    Parse {
        /// Where the error is (line 0 when unknown).
        origin: Origin,
        /// What is wrong.
        message: String,
        /// The offending line with a caret under the column, when known.
        snippet: Option<String>,
    },
    /// The format of a file cannot be told from its name.
    #[error("{}: unknown config format (want .yaml, .yml, .json or .toml, or name the format)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// An environment variable, `--set` expression, strategy or glob is
    /// malformed, or two layers' keys conflict.
    #[error("{origin}: {message}")]
    Layer {
        /// The variable, expression or file.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// A JSON Schema does not compile (or refers to a remote document).
    #[error("invalid schema {name}: {message}")]
    Schema {
        /// The schema's file or name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The document breaks its schema or rules: every violation, each with
    /// where it was set.
    #[error("{0}")]
    Invalid(Violations),
    /// The document does not deserialize into the typed config.
    #[error("{}{}{message}", origin.as_ref().map(|o| format!("{o}: ")).unwrap_or_default(),
        if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Deserialize {
        /// Dotted path of the value (empty for the root).
        path: String,
        /// Where that value was set, when known.
        origin: Option<Origin>,
        /// What is wrong.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A document cannot be written in the format asked for (such as a
    /// null in TOML, or an infinite float in JSON).
    #[error("cannot output as {format}: {message}")]
    Output {
        /// The format.
        format: &'static str,
        /// What is not representable, and where.
        message: String,
    },
    /// A template does not parse or render.
    #[error("template {name}: {message}")]
    Template {
        /// The template's name.
        name: String,
        /// What is wrong, with the line when known.
        message: String,
    },
}

impl Error {
    /// Whether this is a validation failure (schema or rules), as opposed
    /// to trouble reading or writing.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// The violations of a validation failure.
    pub fn violations(&self) -> Option<&Violations> {
        match self {
            Error::Invalid(v) => Some(v),
            _ => None,
        }
    }

    /// The offending source line with a caret, for parse errors.
    pub fn snippet(&self) -> Option<&str> {
        match self {
            Error::Parse { snippet, .. } => snippet.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn layer(origin: Origin, message: impl Into<String>) -> Error {
        Error::Layer {
            origin,
            message: message.into(),
        }
    }

    /// A parse error at `line:column` of `text`, with its snippet.
    pub(crate) fn parse_at(mut origin: Origin, text: &str, message: impl Into<String>) -> Error {
        let snippet = snippet(text, origin.line, origin.column);
        if snippet.is_none() {
            origin.line = origin.line.min(1);
        }
        Error::Parse {
            origin,
            message: message.into(),
            snippet,
        }
    }
}

/// The line `line` of `text` (1-based) and a caret under `column`, each
/// prefixed with the line number gutter, as compilers print them.
pub(crate) fn snippet(text: &str, line: u32, column: u32) -> Option<String> {
    if line == 0 {
        return None;
    }
    let src = text.lines().nth(line as usize - 1)?;
    // Long lines (minified JSON) are cut around the column.
    let chars: Vec<char> = src.chars().collect();
    let col = (column.max(1) as usize - 1).min(chars.len());
    let start = col.saturating_sub(60);
    let end = (col + 60).min(chars.len());
    let shown: String = chars[start..end].iter().collect();
    let gutter = line.to_string();
    let pad = " ".repeat(gutter.len());
    let lead = if start > 0 { "..." } else { "" };
    let caret_at = col - start + lead.len();
    Some(format!(
        "{pad} |\n{gutter} | {lead}{shown}\n{pad} | {}^",
        " ".repeat(caret_at)
    ))
}

/// One broken schema constraint or rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// JSON Pointer of the offending value (`/spec/replicas`; `""` for the
    /// whole document).
    pub instance_path: String,
    /// What is wrong.
    pub message: String,
    /// Where the offending value was set, when it is in the document.
    pub origin: Option<Origin>,
    /// The rule's name, for a custom rule; `None` for the schema.
    pub rule: Option<String>,
}

impl fmt::Display for Violation {
    /// `file:line:column: /path: message [rule]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.origin {
            write!(f, "{o}: ")?;
        }
        let path = if self.instance_path.is_empty() {
            "(root)"
        } else {
            &self.instance_path
        };
        write!(f, "{path}: {}", self.message)?;
        if let Some(rule) = &self.rule {
            write!(f, " [{rule}]")?;
        }
        Ok(())
    }
}

/// Document order: by where each value was set, then by path.
pub(crate) fn sort(v: &mut [Violation]) {
    v.sort_by(|a, b| {
        (&a.origin, &a.instance_path, &a.message).cmp(&(&b.origin, &b.instance_path, &b.message))
    });
}

/// Every violation of one validation, in document order of their paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// The violations.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Violations {
    /// One line: the count and the first violation (list them all with
    /// [`Violations::iter`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("no violations"),
            [one] => write!(f, "1 violation: {one}"),
            [first, rest @ ..] => write!(f, "{} violations, first: {first}", rest.len() + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserialize_errors_at_the_root_have_no_empty_path() {
        let origin = Origin::new(crate::value::Source::Inline("a.yaml".into()), 1, 1);
        let at = |path: &str| Error::Deserialize {
            path: path.to_owned(),
            origin: Some(origin.clone()),
            message: "missing field `x`".to_owned(),
        };
        assert_eq!(at("").to_string(), "a.yaml:1:1: missing field `x`");
        assert_eq!(at("db").to_string(), "a.yaml:1:1: db: missing field `x`");
    }

    #[test]
    fn snippet_points_at_the_column() {
        let s = snippet("a: 1\nport: x8\n", 2, 7);
        assert_eq!(s.as_deref(), Some("  |\n2 | port: x8\n  |       ^"));
        assert_eq!(snippet("a", 3, 1), None);
        assert_eq!(snippet("a", 0, 1), None);
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = "x".repeat(500);
        let s = snippet(&line, 1, 300).unwrap_or_default();
        let shown = s.lines().nth(1).unwrap_or_default();
        assert!(shown.len() < 140, "{shown}");
        let caret = s.lines().nth(2).unwrap_or_default();
        assert_eq!(caret.find('^'), Some("1 | ...".len() + 60));
    }
}
