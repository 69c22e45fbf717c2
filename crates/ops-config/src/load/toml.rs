//! TOML through the `toml` crate's spanned document tree.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Error;
use crate::load::{Limits, Lines};
use crate::value::{Map, Node, Origin, Source, Value};

/// Parses TOML text into a node tree.
pub(crate) fn parse(text: &str, source: &Source, limits: &Limits) -> Result<Node, Error> {
    let lines = Lines::new(text);
    let table = DeTable::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| lines.position(s.start));
        let message = e.message().trim().to_owned();
        Error::parse_at(Origin::new(source.clone(), line, column), text, message)
    })?;
    let cx = Cx {
        lines: &lines,
        source,
        max_depth: limits.max_depth,
    };
    let (line, column) = lines.position(table.span().start);
    let value = cx.table(table.into_inner(), 0)?;
    Ok(Node::new(value, Origin::new(source.clone(), line, column)))
}

struct Cx<'a> {
    lines: &'a Lines<'a>,
    source: &'a Source,
    max_depth: usize,
}

impl Cx<'_> {
    fn origin(&self, offset: usize) -> Origin {
        let (line, column) = self.lines.position(offset);
        Origin::new(self.source.clone(), line, column)
    }

    fn table(&self, table: DeTable<'_>, depth: usize) -> Result<Value, Error> {
        let mut map = Map::new();
        for (key, value) in table {
            map.insert(key.into_inner().into_owned(), self.node(value, depth + 1)?);
        }
        Ok(Value::Map(map))
    }

    fn node(&self, spanned: Spanned<DeValue<'_>>, depth: usize) -> Result<Node, Error> {
        let origin = self.origin(spanned.span().start);
        if depth > self.max_depth {
            return Err(Error::parse_at(
                origin,
                self.lines.text,
                format!("nesting deeper than {} levels", self.max_depth),
            ));
        }
        let value = match spanned.into_inner() {
            DeValue::String(s) => Value::String(s.into_owned()),
            DeValue::Boolean(b) => Value::Bool(b),
            DeValue::Datetime(d) => Value::String(d.to_string()),
            DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
                Ok(v) => Value::Int(v),
                Err(_) => {
                    return Err(Error::parse_at(
                        origin,
                        self.lines.text,
                        "integer out of range",
                    ));
                }
            },
            DeValue::Float(f) => Value::Float(toml_float(f.as_str()).ok_or_else(|| {
                Error::parse_at(origin.clone(), self.lines.text, "float out of range")
            })?),
            DeValue::Array(items) => Value::Seq(
                items
                    .into_iter()
                    .map(|v| self.node(v, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            DeValue::Table(t) => self.table(t, depth)?,
        };
        Ok(Node::new(value, origin))
    }
}

/// A TOML float's text (`inf`, `-nan`, `1e3`; the parser has removed
/// underscores) as an `f64`.
fn toml_float(text: &str) -> Option<f64> {
    match text.trim_start_matches('+') {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        t => t
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node, Error> {
        parse(text, &Source::File("t.toml".into()), &Limits::default())
    }

    #[test]
    fn values_and_positions() {
        let doc = load(
            "title = \"x\"\n[db]\nport = 5_432\nhosts = [\"a\", \"b\"]\nratio = inf\nhex = 0xff\n\
             when = 1979-05-27T07:32:00Z\n[[srv]]\nname = \"é\"\n",
        )
        .unwrap();
        let port = doc.get(&["db", "port"]).unwrap();
        assert_eq!(port.value, Value::Int(5432));
        assert_eq!((port.origin.line, port.origin.column), (3, 8));
        assert_eq!(doc.get(&["db", "hex"]).unwrap().value, Value::Int(255));
        assert_eq!(
            doc.get(&["db", "ratio"]).unwrap().value,
            Value::Float(f64::INFINITY)
        );
        let b = doc.get(&["db", "hosts", "1"]).unwrap();
        assert_eq!((b.origin.line, b.origin.column), (4, 15));
        assert_eq!(
            doc.get(&["db", "when"]).unwrap().value,
            Value::String("1979-05-27T07:32:00Z".into())
        );
        assert_eq!(
            doc.get(&["srv", "0", "name"]).unwrap().value,
            Value::String("é".into())
        );
    }

    #[test]
    fn errors_have_positions() {
        let err = load("a = 1\na = 2\n").unwrap_err();
        let Error::Parse { origin, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(origin.line, 2, "{err}");
        assert!(load("a = [1,\n").is_err());
    }
}
