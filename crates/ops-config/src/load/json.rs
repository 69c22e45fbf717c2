//! A JSON reader (RFC 8259) that records the line and column of every
//! value.
//!
//! serde_json does not report positions of values, only of errors, and no
//! maintained crate gives spans per node without a tree type of its own
//! to convert from. JSON is small enough to read here: one pass over the
//! bytes, line and column counted as it goes (columns in characters, as
//! the YAML and TOML readers give them), recursion bounded by
//! [`Limits::max_depth`], duplicate keys rejected as in YAML.

use crate::error::Error;
use crate::load::Limits;
use crate::value::{Map, Node, Origin, Source, Value};

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    column: u32,
    source: &'a Source,
    max_depth: usize,
}

/// Parses JSON text into a node tree.
pub(crate) fn parse(text: &str, source: &Source, limits: &Limits) -> Result<Node, Error> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
        column: 1,
        source,
        max_depth: limits.max_depth,
    };
    // A byte-order mark is allowed before the text (RFC 8259 section 8.1
    // lets parsers ignore it).
    if text.starts_with('\u{feff}') {
        r.pos = 3;
    }
    r.skip_ws();
    let root = r.value(0)?;
    r.skip_ws();
    if r.pos < r.bytes.len() {
        return Err(r.error("trailing characters after the JSON value"));
    }
    Ok(root)
}

impl Reader<'_> {
    fn origin(&self) -> Origin {
        Origin::new(self.source.clone(), self.line, self.column)
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::parse_at(self.origin(), self.text, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Moves past one byte, counting lines and characters.
    fn bump(&mut self) {
        if let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.bump();
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Error> {
        if self.peek() == Some(b) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{}`", b as char)))
        }
    }

    fn unexpected(&self, wanted: &str) -> Error {
        match self.text[self.pos..].chars().next() {
            Some(c) => self.error(format!("expected {wanted}, found `{}`", c.escape_debug())),
            None => self.error(format!("expected {wanted}, found the end of the input")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Error> {
        if depth > self.max_depth {
            return Err(self.error(format!("nesting deeper than {} levels", self.max_depth)));
        }
        let origin = self.origin();
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            _ => return Err(self.unexpected("a JSON value")),
        };
        Ok(Node::new(value, origin))
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(value)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        self.bump();
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Value::Map(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key"));
            }
            let key_at = self.origin();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            if map.contains_key(&key) {
                return Err(Error::parse_at(
                    key_at,
                    self.text,
                    format!("duplicate key `{key}`"),
                ));
            }
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return Ok(Value::Map(map));
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(Value::Seq(items));
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn string(&mut self) -> Result<String, Error> {
        self.bump();
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, escape or control byte.
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("control character in a string (escape it)")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.bump();
                let hi = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if !self.bytes[self.pos..].starts_with(b"\\u") {
                        return Err(self.error("lone surrogate in a \\u escape"));
                    }
                    self.bump();
                    self.bump();
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.error("lone surrogate in a \\u escape"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let c = char::from_u32(code)
                    .ok_or_else(|| self.error("lone surrogate in a \\u escape"))?;
                out.push(c);
                return Ok(());
            }
            _ => return Err(self.unexpected("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)")),
        };
        self.bump();
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.unexpected("four hex digits"))?;
            v = v * 16 + d;
            self.bump();
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let mut n = 0;
        while let Some(b'0'..=b'9') = self.peek() {
            self.bump();
            n += 1;
        }
        n
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let at = self.origin();
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.bump();
            if self.digits() == 0 {
                return Err(self.unexpected("a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            if self.digits() == 0 {
                return Err(self.unexpected("a digit"));
            }
        }
        let text = &self.text[start..self.pos];
        // Integers of 64 bits (signed or not) are exact; wider ones are
        // floats, as serde_json and most JSON readers take them.
        if integer
            && let Ok(i) = text.parse::<i128>()
            && (i64::try_from(i).is_ok() || u64::try_from(i).is_ok())
        {
            return Ok(Value::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(Error::parse_at(
                at,
                self.text,
                format!("number {text} is out of range"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node, Error> {
        parse(text, &Source::File("t.json".into()), &Limits::default())
    }

    #[test]
    fn values_and_positions() {
        let doc = load("{\n  \"a\": [1, -2.5e1, \"x\\u00e9\\ud83d\\ude00\"],\n  \"é\": {\"b\": null, \"c\": true}\n}").unwrap();
        let a = doc.get(&["a"]).unwrap();
        assert_eq!((a.origin.line, a.origin.column), (2, 8));
        let Value::Seq(items) = &a.value else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Int(1));
        assert_eq!(items[1].value, Value::Float(-25.0));
        assert_eq!(items[2].value, Value::String("xé😀".into()));
        assert_eq!((items[2].origin.line, items[2].origin.column), (2, 20));
        let c = doc.get(&["é", "c"]).unwrap();
        assert_eq!(c.value, Value::Bool(true));
        // Columns count characters: `é` is one.
        assert_eq!((c.origin.line, c.origin.column), (3, 25));
    }

    #[test]
    fn big_integers_stay_exact() {
        let doc = load("[18446744073709551615, -9223372036854775808, 1e400]");
        assert!(doc.is_err());
        let doc =
            load("[18446744073709551615, -9223372036854775808, 18446744073709551616]").unwrap();
        assert_eq!(doc.get(&["0"]).unwrap().value, Value::Int(u64::MAX.into()));
        assert_eq!(doc.get(&["1"]).unwrap().value, Value::Int(i64::MIN.into()));
        assert_eq!(
            doc.get(&["2"]).unwrap().value,
            Value::Float(18446744073709551616.0)
        );
    }

    #[test]
    fn malformed_json_is_an_error_at_its_place() {
        for (text, line, column) in [
            ("{\"a\": 1,}", 1, 9),
            ("{\"a\": 1, \"a\": 2}", 1, 10),
            ("[1 2]", 1, 4),
            ("\n\n  tru", 3, 3),
            ("\"a\tb\"", 1, 3),
            ("01", 1, 2),
            ("[1.]", 1, 4),
            ("\"\\ud800\"", 1, 8),
            ("{} x", 1, 4),
            ("", 1, 1),
        ] {
            match load(text) {
                Err(Error::Parse { origin, .. }) => {
                    assert_eq!((origin.line, origin.column), (line, column), "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(load(&deep).is_err());
        let fine = format!("{}{}", "[".repeat(50), "]".repeat(50));
        assert!(load(&fine).is_ok());
    }
}
