//! Reading YAML, JSON and TOML into node trees with positions.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::Error;
use crate::value::{Node, Origin, Source};

mod json;
mod toml;
pub(crate) mod yaml;

/// A config file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// YAML 1.2 (core schema), through serde-saphyr.
    Yaml,
    /// JSON (RFC 8259).
    Json,
    /// TOML 1.0.
    Toml,
}

impl Format {
    /// The format a file name's extension says: `.yaml`/`.yml`, `.json`,
    /// `.toml`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// `yaml`, `json` or `toml`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Toml => "toml",
        }
    }

    /// Parses `text` into a node tree whose origins name `source`.
    pub fn parse(self, text: &str, source: &Source, limits: &Limits) -> Result<Node, Error> {
        if text.len() > limits.max_bytes {
            return Err(Error::parse_at(
                Origin::whole(source.clone()),
                text,
                format!(
                    "input of {} bytes is over the limit of {}",
                    text.len(),
                    limits.max_bytes
                ),
            ));
        }
        match self {
            Format::Yaml => yaml::parse(text, source, limits),
            Format::Json => json::parse(text, source, limits),
            Format::Toml => toml::parse(text, source, limits),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Ok(Format::Yaml),
            "json" => Ok(Format::Json),
            "toml" => Ok(Format::Toml),
            _ => Err(format!("unknown format `{s}` (want yaml, json or toml)")),
        }
    }
}

/// Bounds on what one input may cost, against hostile or broken files
/// (YAML alias bombs, deep nesting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    pub(crate) max_bytes: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_nodes: usize,
    pub(crate) max_alias_events: usize,
}

impl Default for Limits {
    /// 256 MiB of text, 128 levels of nesting, 10 million nodes, 100,000
    /// events replayed through YAML aliases.
    fn default() -> Limits {
        Limits {
            max_bytes: 256 << 20,
            max_depth: 128,
            max_nodes: 10_000_000,
            max_alias_events: 100_000,
        }
    }
}

impl Limits {
    /// Largest input, in bytes.
    pub fn max_bytes(mut self, n: usize) -> Limits {
        self.max_bytes = n;
        self
    }

    /// Deepest nesting of maps and sequences.
    pub fn max_depth(mut self, n: usize) -> Limits {
        self.max_depth = n;
        self
    }

    /// Most YAML nodes in one document.
    pub fn max_nodes(mut self, n: usize) -> Limits {
        self.max_nodes = n;
        self
    }

    /// Most YAML events replayed through aliases (`*name`) in one
    /// document: what stops a "billion laughs" document.
    pub fn max_alias_events(mut self, n: usize) -> Limits {
        self.max_alias_events = n;
        self
    }
}

/// Line starts of a text, to turn byte offsets into line and column.
pub(crate) struct Lines<'a> {
    pub(crate) text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(memchr_lines(text));
        Lines { text, starts }
    }

    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        (clamp(line + 1), clamp(column + 1))
    }
}

impl Lines<'_> {
    /// The byte offset of a 1-based line and character column.
    pub(crate) fn offset(&self, line: u32, column: u32) -> Option<usize> {
        let start = *self.starts.get((line as usize).checked_sub(1)?)?;
        let rest = self.text.get(start..)?;
        let skip = (column as usize).checked_sub(1)?;
        match rest.char_indices().nth(skip) {
            Some((i, _)) => Some(start + i),
            None => Some(self.text.len()),
        }
    }
}

fn memchr_lines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

/// Reads and parses a file, in `format` or the one its extension says.
pub(crate) fn load_file(
    path: &Path,
    format: Option<Format>,
    limits: &Limits,
) -> Result<Node, Error> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(Error::UnknownFormat {
                path: path.to_path_buf(),
            });
        }
    };
    let source = Source::File(path.to_string_lossy().into());
    let bytes = std::fs::read(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let text = text_of(bytes, &source)?;
    format.parse(&text, &source, limits)
}

/// Bytes as UTF-8 text: the error names the line of the first bad byte.
pub(crate) fn text_of(bytes: Vec<u8>, source: &Source) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Error::Parse {
            origin: Origin::new(source.clone(), clamp(line), clamp(column)),
            message: "not UTF-8 text".to_owned(),
            snippet: None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension_and_name() {
        assert_eq!(Format::from_path(Path::new("a/b.YML")), Some(Format::Yaml));
        assert_eq!(Format::from_path(Path::new("b.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("b.toml")), Some(Format::Toml));
        assert_eq!(Format::from_path(Path::new("b.conf")), None);
        assert_eq!("TOML".parse::<Format>(), Ok(Format::Toml));
        assert!("ini".parse::<Format>().is_err());
    }

    #[test]
    fn input_over_the_size_limit_is_refused_in_every_format() {
        let limits = Limits::default().max_bytes(8);
        let source = Source::File("big.cfg".into());
        for (format, text) in [
            (Format::Yaml, "a: 1234567"),
            (Format::Json, "{\"a\": 12345}"),
            (Format::Toml, "a = 1234567"),
        ] {
            let err = format
                .parse(text, &source, &limits)
                .unwrap_err()
                .to_string();
            assert!(err.contains("big.cfg"), "{format}: {err}");
            assert!(
                err.contains(&format!(
                    "input of {} bytes is over the limit of 8",
                    text.len()
                )),
                "{format}: {err}"
            );
            let fits = Limits::default().max_bytes(text.len());
            assert!(format.parse(text, &source, &fits).is_ok(), "{format}");
        }
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = text_of(b"a: 1\nb: \xff\n".to_vec(), &Source::File("x.yaml".into()));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("x.yaml:2:4: not UTF-8 text".into())
        );
    }
}
