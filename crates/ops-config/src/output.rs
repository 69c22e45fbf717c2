//! Canonical output: sorted keys, one layout per format, so that two
//! equal documents are equal text and diffs show only real changes.

use std::fmt::Write as _;

use crate::error::Error;
use crate::load::Format;
use crate::value::{Map, Node, Value, push_segment};

/// Writes `node` in `format`, canonically.
pub(crate) fn render(node: &Node, format: Format) -> Result<String, Error> {
    let mut out = String::new();
    match format {
        Format::Json => {
            json(node, 0, &mut out, &mut String::new())?;
            out.push('\n');
        }
        Format::Yaml => yaml_document(node, &mut out),
        Format::Toml => match &node.value {
            Value::Map(m) => toml_table(m, &mut Vec::new(), &mut out, &mut String::new())?,
            v => {
                return Err(Error::Output {
                    format: "toml",
                    message: format!("the document is a {}, not a table", v.kind()),
                });
            }
        },
    }
    Ok(out)
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push_str("  ");
    }
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str, out: &mut String) {
    quoted(s, out, |c| (c as u32) < 0x20 || c == '\u{7f}');
}

/// `s` in double quotes with JSON's escapes (which YAML's double-quoted
/// style shares), and `\uXXXX` for the other characters `escape` picks.
fn quoted(s: &str, out: &mut String, escape: fn(char) -> bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite float as JSON writes it (shortest round-trip, with a `.0` or
/// an exponent so it reads back as a float).
fn finite_float(f: f64, out: &mut String) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-5..1e16).contains(&abs) {
        // `1.0e+300`: a point and a signed exponent, which YAML 1.1
        // readers (PyYAML) need to see a float.
        let text = format!("{f:e}");
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        out.push('e');
        if !exp.starts_with('-') {
            out.push('+');
        }
        out.push_str(exp);
    } else {
        let text = format!("{f}");
        out.push_str(&text);
        if !text.contains('.') {
            out.push_str(".0");
        }
    }
}

fn json(node: &Node, depth: usize, out: &mut String, path: &mut String) -> Result<(), Error> {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            if i64::try_from(*i).is_err() && u64::try_from(*i).is_err() {
                return Err(unrepresentable(
                    "json",
                    path,
                    node,
                    "an integer wider than 64 bits",
                ));
            }
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => finite_float(*f, out),
        Value::Float(_) => return Err(unrepresentable("json", path, node, "a non-finite number")),
        Value::String(s) => json_string(s, out),
        Value::Seq(items) if items.is_empty() => out.push_str("[]"),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                let len = path.len();
                let _ = write!(path, "[{i}]");
                json(item, depth + 1, out, path)?;
                path.truncate(len);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Map(m) if m.is_empty() => out.push_str("{}"),
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                json_string(k, out);
                out.push_str(": ");
                let len = path.len();
                push_segment(path, k);
                json(v, depth + 1, out, path)?;
                path.truncate(len);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
    Ok(())
}

fn unrepresentable(format: &'static str, path: &str, node: &Node, what: &str) -> Error {
    let at = if path.is_empty() { "(root)" } else { path };
    Error::Output {
        format,
        message: format!("{at} ({}) is {what}", node.origin),
    }
}

/// Whether a string may be written as a plain YAML scalar and read back as
/// the same string, by YAML 1.2 and by YAML 1.1 readers (PyYAML) alike.
fn yaml_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() || "-?:,[]{}#&*!|>'\"%@`+.~ ".contains(first) {
        return false;
    }
    if s.ends_with([' ', ':']) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if s.chars().any(|c| {
        c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}'
    }) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "=" | "<<"
    )
}

fn yaml_scalar(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_nan() => out.push_str(".nan"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { ".inf" } else { "-.inf" }),
        Value::Float(f) => finite_float(*f, out),
        Value::String(s) => yaml_str(s, out),
        Value::Seq(_) => out.push_str("[]"),
        Value::Map(_) => out.push_str("{}"),
    }
}

fn yaml_str(s: &str, out: &mut String) {
    if yaml_plain(s) {
        out.push_str(s);
        return;
    }
    // Double-quoted, with JSON's escapes, and escapes for what YAML
    // readers take as line breaks or reject raw (C1 controls, U+2028,
    // U+2029, the byte-order mark).
    quoted(s, out, |c| {
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
    });
}

fn yaml_document(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(m) if !m.is_empty() => yaml_map(m, 0, out),
        Value::Seq(s) if !s.is_empty() => yaml_seq(s, 0, out),
        _ => {
            yaml_scalar(node, out);
            out.push('\n');
        }
    }
}

fn yaml_map(m: &Map, depth: usize, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first key of a map that is a sequence item goes on the
        // item's own line, after "- ".
        if i > 0 || depth == 0 || !out.ends_with("- ") {
            indent(out, depth);
        }
        yaml_str(k, out);
        out.push(':');
        yaml_value(v, depth, out);
    }
}

fn yaml_value(v: &Node, depth: usize, out: &mut String) {
    match &v.value {
        Value::Map(inner) if !inner.is_empty() => {
            out.push('\n');
            yaml_map(inner, depth + 1, out);
        }
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            yaml_seq(items, depth + 1, out);
        }
        _ => {
            out.push(' ');
            yaml_scalar(v, out);
            out.push('\n');
        }
    }
}

fn yaml_seq(items: &[Node], depth: usize, out: &mut String) {
    for item in items {
        indent(out, depth);
        out.push_str("- ");
        match &item.value {
            Value::Map(m) if !m.is_empty() => yaml_map(m, depth + 1, out),
            Value::Seq(inner) if !inner.is_empty() => {
                // A sequence in a sequence: its items on the next lines.
                out.truncate(out.len() - 1);
                out.push('\n');
                yaml_seq(inner, depth + 1, out);
            }
            _ => {
                yaml_scalar(item, out);
                out.push('\n');
            }
        }
    }
}

fn toml_key(k: &str, out: &mut String) {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        out.push_str(k);
    } else {
        json_string(k, out);
    }
}

fn toml_header(path: &[&str], out: &mut String) {
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        toml_key(seg, out);
    }
}

/// An array of tables: every item a map (TOML's `[[name]]`).
fn table_array(items: &[Node]) -> bool {
    !items.is_empty() && items.iter().all(|i| matches!(i.value, Value::Map(_)))
}

fn toml_table<'a>(
    m: &'a Map,
    path: &mut Vec<&'a str>,
    out: &mut String,
    dotted: &mut String,
) -> Result<(), Error> {
    // Plain keys first, then sub-tables, then arrays of tables: TOML puts
    // every key of a table before the next header.
    for (k, v) in m {
        match &v.value {
            Value::Map(_) => continue,
            Value::Seq(items) if table_array(items) => continue,
            _ => {}
        }
        let len = dotted.len();
        push_segment(dotted, k);
        toml_key(k, out);
        out.push_str(" = ");
        toml_inline(v, out, dotted)?;
        out.push('\n');
        dotted.truncate(len);
    }
    for (k, v) in m {
        let len = dotted.len();
        push_segment(dotted, k);
        match &v.value {
            Value::Map(inner) => {
                path.push(k);
                let has_plain = inner.values().any(|n| match &n.value {
                    Value::Map(_) => false,
                    Value::Seq(items) => !table_array(items),
                    _ => true,
                });
                if has_plain || inner.is_empty() {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push('[');
                    toml_header(path, out);
                    out.push_str("]\n");
                }
                toml_table(inner, path, out, dotted)?;
                path.pop();
            }
            Value::Seq(items) if table_array(items) => {
                path.push(k);
                for item in items {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str("[[");
                    toml_header(path, out);
                    out.push_str("]]\n");
                    if let Value::Map(inner) = &item.value {
                        // Sub-tables of an array item are written inline:
                        // `[a.b]` after `[[a]]` would be a table of the
                        // last item only, which is right, but inline keeps
                        // each item in one place.
                        for (ik, iv) in inner {
                            toml_key(ik, out);
                            out.push_str(" = ");
                            toml_inline(iv, out, dotted)?;
                            out.push('\n');
                        }
                    }
                }
                path.pop();
            }
            _ => {}
        }
        dotted.truncate(len);
    }
    Ok(())
}

fn toml_inline(node: &Node, out: &mut String, path: &str) -> Result<(), Error> {
    match &node.value {
        Value::Null => {
            return Err(unrepresentable(
                "toml",
                path,
                node,
                "null, which TOML has no way to write",
            ));
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            if i64::try_from(*i).is_err() {
                return Err(unrepresentable(
                    "toml",
                    path,
                    node,
                    "an integer outside the 64-bit signed range",
                ));
            }
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_nan() => out.push_str("nan"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "inf" } else { "-inf" }),
        Value::Float(f) => finite_float(*f, out),
        Value::String(s) => json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                toml_inline(item, out, path)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                out.push_str(if i == 0 { " " } else { ", " });
                toml_key(k, out);
                out.push_str(" = ");
                toml_inline(v, out, path)?;
            }
            out.push_str(if m.is_empty() { "}" } else { " }" });
        }
    }
    Ok(())
}

/// A value on one line, JSON-like (YAML's `.inf` and `.nan` as written),
/// cut to about `max` characters: for explanations and diffs.
pub(crate) fn compact(node: &Node, max: usize) -> String {
    let mut out = String::new();
    compact_into(node, &mut out, max);
    if out.len() > max {
        let mut cut = max.saturating_sub(3);
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

fn compact_into(node: &Node, out: &mut String, max: usize) {
    if out.len() > max {
        return;
    }
    match &node.value {
        Value::String(s) => json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                compact_into(item, out, max);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json_string(k, out);
                out.push_str(": ");
                compact_into(v, out, max);
            }
            out.push('}');
        }
        _ => yaml_scalar(node, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Limits;
    use crate::value::Source;

    fn parse(text: &str, format: Format) -> Node {
        format
            .parse(text, &Source::Inline("t".into()), &Limits::default())
            .unwrap()
    }

    const SAMPLE: &str = r#"{"b": {"z": [1, 2.5, "x"], "a": null}, "a": "on", "n": "123", "e": {}, "l": [],
        "s": "multi\nline: #", "list": [{"k": 1, "j": [true]}, [1, [2]], "- x"], "f": 1e300, "g": 3.0,
        "odd key.x": "", "neg": -0.000001}"#;

    #[test]
    fn every_format_reads_back_as_the_same_value() {
        let doc = parse(SAMPLE, Format::Json);
        for format in [Format::Json, Format::Yaml] {
            let text = render(&doc, format).unwrap();
            let back = parse(&text, format);
            assert_eq!(back.value, doc.value, "{format}:\n{text}");
            // Canonical: rendering the read-back text gives the same text.
            assert_eq!(render(&back, format).unwrap(), text);
        }
    }

    #[test]
    fn toml_round_trips_what_it_can_hold() {
        let doc = parse(
            r#"{"title": "x", "db": {"port": 5432, "hosts": ["a", "b"], "opts": {"tls": true}},
                "srv": [{"name": "a", "ports": [1], "meta": {"k": "v"}}, {"name": "b"}], "r": 0.5,
                "mixed": [1, {"a": 1}], "odd key": 1, "empty": {}}"#,
            Format::Json,
        );
        let text = render(&doc, Format::Toml).unwrap();
        let back = parse(&text, Format::Toml);
        assert_eq!(back.value, doc.value, "{text}");
        let err = render(&parse(r#"{"a": {"b": null}}"#, Format::Json), Format::Toml).unwrap_err();
        assert!(err.to_string().contains("a.b (t:1:13) is null"), "{err}");
    }

    #[test]
    fn yaml_quotes_what_would_read_as_another_type() {
        let doc = parse(
            r#"{"a": "yes", "b": "0755", "c": "1.5", "d": "", "e": "null", "f": ".inf", "g": "plain text"}"#,
            Format::Json,
        );
        let text = render(&doc, Format::Yaml).unwrap();
        assert_eq!(
            text,
            "a: \"yes\"\nb: \"0755\"\nc: \"1.5\"\nd: \"\"\ne: \"null\"\nf: \".inf\"\ng: plain text\n"
        );
    }

    #[test]
    fn json_cannot_hold_infinity() {
        let doc = parse("x: [.inf]\n", Format::Yaml);
        let err = render(&doc, Format::Json).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot output as json: x[0] (t:1:5) is a non-finite number"
        );
    }
}
