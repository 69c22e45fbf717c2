//! YAML through serde-saphyr, with a span for every node.
//!
//! serde-saphyr does the YAML: the 1.2 core schema (with
//! `strict_booleans`, `on`/`yes`/`off` are strings), duplicate keys as
//! errors, budgets on events, depth, nodes and alias replay. Its
//! `Spanned<T>` gives a node's line and column through serde, so the tree
//! is read by a visitor that asks for `Spanned<YamlNode>` at every map
//! value and sequence item: no second parser, and no rules of our own
//! about what a scalar means.

use std::collections::btree_map::Entry;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::Error;
use crate::load::{Limits, Lines};
use crate::value::{Map, Node, Origin, Source, Value};

/// A node whose origin has a position but not yet a source (serde's
/// `Deserialize` cannot carry one); `attach` fills it in.
struct YamlNode(Value);

/// Line and column of a span, clamped into `u32`.
fn position(loc: &serde_saphyr::Location) -> (u32, u32) {
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    (clamp(loc.line()), clamp(loc.column()))
}

fn node_of(spanned: Spanned<YamlNode>, source: &Source, lines: Option<&Lines<'_>>) -> Node {
    let (line, column) = position(&spanned.defined);
    let mut node = Node::new(spanned.value.0, Origin::new(source.clone(), line, column));
    attach(&mut node, source, lines);
    node
}

/// The raw tree keeps spanned children as `Node`s whose source is a
/// placeholder; this gives them the real one, and types the scalars that
/// serde-saphyr 1.1 reads otherwise than the YAML 1.2 core schema.
fn attach(node: &mut Node, source: &Source, lines: Option<&Lines<'_>>) {
    if let Some(lines) = lines {
        core_schema(node, lines);
    }
    let fix = |n: &mut Node| {
        n.origin.source = source.clone();
        attach(n, source, lines);
    };
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(fix),
        Value::Map(m) => m.values_mut().for_each(fix),
        _ => {}
    }
}

/// Two corrections to the core schema (YAML 1.2.2, section 10.3.2), read
/// from the scalar's own text at its position: an integer with leading
/// zeros (`0755`, which serde-saphyr 1.1 gives as a float) is an integer,
/// and `.inf`/`.nan` in every spelling are floats (serde-saphyr gives them
/// as strings when not told to reject them). Quoted scalars start with a
/// quote, so they stay strings.
fn core_schema(node: &mut Node, lines: &Lines<'_>) {
    let suspect = match &node.value {
        Value::Float(f) => f.fract() == 0.0,
        Value::String(s) => s.len() <= 5 && s.contains(['i', 'n', 'I', 'N']) && s.contains('.'),
        _ => false,
    };
    if !suspect {
        return;
    }
    let Some(at) = lines.offset(node.origin.line, node.origin.column) else {
        return;
    };
    let token = plain_token(&lines.text[at..]);
    let digits = token.strip_prefix(['-', '+']).unwrap_or(token);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = token.parse::<i128>()
            && (i64::try_from(i).is_ok() || u64::try_from(i).is_ok())
        {
            node.value = Value::Int(i);
        }
        return;
    }
    let float = match token {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => f64::INFINITY,
        "-.inf" | "-.Inf" | "-.INF" => f64::NEG_INFINITY,
        ".nan" | ".NaN" | ".NAN" => f64::NAN,
        _ => return,
    };
    if matches!(node.value, Value::String(_)) {
        node.value = Value::Float(float);
    }
}

/// The plain scalar at the start of `text`, after any anchor or tag.
fn plain_token(mut text: &str) -> &str {
    while let Some(rest) = text.strip_prefix(['&', '!']) {
        let end = rest.find([' ', '\t', '\n']).unwrap_or(rest.len());
        text = rest[end..].trim_start_matches([' ', '\t']);
    }
    let end = text
        .find([' ', '\t', '\r', '\n', ',', ']', '}', '#'])
        .unwrap_or(text.len());
    &text[..end]
}

fn placeholder() -> Source {
    Source::Inline("".into())
}

fn child(spanned: Spanned<YamlNode>) -> Node {
    let (line, column) = position(&spanned.defined);
    Node::new(spanned.value.0, Origin::new(placeholder(), line, column))
}

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<YamlNode, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = YamlNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::Int(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::Int(v.into())))
    }
    // Integers wider than 64 bits are floats, as in the JSON reader.
    fn visit_i128<E>(self, v: i128) -> Result<YamlNode, E> {
        if i64::try_from(v).is_ok() || u64::try_from(v).is_ok() {
            Ok(YamlNode(Value::Int(v)))
        } else {
            Ok(YamlNode(Value::Float(v as f64)))
        }
    }
    fn visit_u128<E>(self, v: u128) -> Result<YamlNode, E> {
        match u64::try_from(v) {
            Ok(v) => Ok(YamlNode(Value::Int(v.into()))),
            Err(_) => Ok(YamlNode(Value::Float(v as f64))),
        }
    }
    fn visit_f64<E>(self, v: f64) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::String(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<YamlNode, E> {
        // `!!binary`: configs keep text, so decoded bytes must be UTF-8.
        String::from_utf8(v.to_vec())
            .map(|s| YamlNode(Value::String(s)))
            .map_err(|_| E::custom("binary value is not UTF-8 text"))
    }
    fn visit_unit<E>(self) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::Null))
    }
    fn visit_none<E>(self) -> Result<YamlNode, E> {
        Ok(YamlNode(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YamlNode, D::Error> {
        YamlNode::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<YamlNode, D::Error> {
        YamlNode::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlNode, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<Spanned<YamlNode>>()? {
            items.push(child(item));
        }
        Ok(YamlNode(Value::Seq(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlNode, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let value = map.next_value::<Spanned<YamlNode>>()?;
            // serde-saphyr rejects duplicates as written; this catches keys
            // that differ in YAML but not as strings (`1` and `"1"`).
            match out.entry(key) {
                Entry::Occupied(e) => {
                    return Err(de::Error::custom(format!("duplicate key `{}`", e.key())));
                }
                Entry::Vacant(e) => {
                    e.insert(child(value));
                }
            }
        }
        Ok(YamlNode(Value::Map(out)))
    }
}

/// A map key: any scalar, as the text JSON would give it.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar map key")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Key, E> {
        Ok(Key(v))
    }
    fn visit_unit<E>(self) -> Result<Key, E> {
        Ok(Key("null".to_owned()))
    }
    fn visit_none<E>(self) -> Result<Key, E> {
        Ok(Key("null".to_owned()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        Key::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        Key::deserialize(d)
    }
}

fn options(limits: &Limits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_reader_input_bytes = Some(limits.max_bytes);
    budget.max_total_scalar_bytes = limits.max_bytes;
    let mut aliases = serde_saphyr::options::AliasLimits::default();
    aliases.max_total_replayed_events = limits.max_alias_events;
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    opts.alias_limits = aliases;
    opts.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::Error;
    // YAML 1.2 core schema: only true/false (any case) are booleans, so
    // `on:` in a GitHub workflow is the string "on".
    opts.strict_booleans = true;
    opts.legacy_octal_numbers = false;
    // `.inf` and `.nan` are floats in the core schema.
    opts.reject_non_finite_typeless_float = false;
    opts.with_snippet = false;
    opts
}

/// Parses YAML text into a node tree; `source` names it in origins.
pub(crate) fn parse(text: &str, source: &Source, limits: &Limits) -> Result<Node, Error> {
    // An empty stream is an empty document: a layer with nothing in it.
    if text.trim().is_empty() || only_comments(text) {
        return Ok(Node::new(
            Value::Map(Map::new()),
            Origin::new(source.clone(), 1, 1),
        ));
    }
    match serde_saphyr::from_str_with_options::<Spanned<YamlNode>>(text, options(limits)) {
        Ok(root) => {
            let lines = Lines::new(text);
            let node = node_of(root, source, Some(&lines));
            Ok(match node.value {
                // `---` alone, or `~`: no content, so no keys.
                Value::Null => Node::new(Value::Map(Map::new()), node.origin),
                _ => node,
            })
        }
        Err(e) => {
            let (line, column) = e.location().map_or((0, 0), |l| position(&l));
            let message = yaml_message(&e);
            Err(Error::parse_at(
                Origin::new(source.clone(), line, column),
                text,
                message,
            ))
        }
    }
}

/// serde-saphyr's message without the location it appends (the origin
/// carries it) and on one line.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    let cut = first
        .rfind(" at line ")
        .map_or(first, |i| &first[..i])
        .trim_end_matches(',');
    // A hint at serde-saphyr's own options means nothing to whoever wrote
    // the file: duplicate keys are always an error here.
    let cut = cut
        .split_once(", set DuplicateKeyPolicy")
        .map_or(cut, |(before, _)| before);
    match cut.strip_prefix("duplicate mapping key: ") {
        Some(key) => format!("duplicate key `{key}`"),
        None if cut == "duplicate mapping key" => "duplicate key".to_owned(),
        None => cut.to_owned(),
    }
}

fn only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// Types one scalar as YAML would (`5432` an integer, `on` a string,
/// `[a, b]` a sequence): for environment variables and `--set` values.
pub(crate) fn scalar(text: &str, origin: &Origin, limits: &Limits) -> Result<Value, Error> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let parsed = serde_saphyr::from_str_with_options::<Spanned<YamlNode>>(text, options(limits))
        .map_err(|e| Error::layer(origin.clone(), format!("bad value: {}", yaml_message(&e))))?;
    let lines = Lines::new(text);
    let node = node_of(parsed, &origin.source, Some(&lines));
    // The value has no lines of its own: every node is the variable's.
    Ok(reorigin(node.value, origin))
}

fn reorigin(value: Value, origin: &Origin) -> Value {
    match value {
        Value::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|n| Node::new(reorigin(n.value, origin), origin.clone()))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, n)| (k, Node::new(reorigin(n.value, origin), origin.clone())))
                .collect(),
        ),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node, Error> {
        parse(text, &Source::File("t.yaml".into()), &Limits::default())
    }

    fn get<'a>(n: &'a Node, path: &str) -> &'a Value {
        let segs: Vec<&str> = path.split('.').collect();
        n.get(&segs).map_or(&Value::Null, |n| &n.value)
    }

    #[test]
    fn yaml_1_2_core_schema_scalars() {
        let doc = load(
            "on: push\nyes: no\nb: True\nc: off\no: 0o17\nh: 0x1F\nd: 0755\ninf: .inf\nninf: -.Inf\n\
             nan: .nan\nnull1: ~\nnull2: null\nnull3:\nts: 2001-12-14\nf: 1.5e3\nq: '5'\n",
        )
        .unwrap();
        assert_eq!(get(&doc, "on"), &Value::String("push".into()));
        assert_eq!(get(&doc, "yes"), &Value::String("no".into()));
        assert_eq!(get(&doc, "b"), &Value::Bool(true));
        assert_eq!(get(&doc, "c"), &Value::String("off".into()));
        assert_eq!(get(&doc, "o"), &Value::Int(15));
        assert_eq!(get(&doc, "h"), &Value::Int(31));
        assert_eq!(get(&doc, "d"), &Value::Int(755));
        assert_eq!(get(&doc, "inf"), &Value::Float(f64::INFINITY));
        assert_eq!(get(&doc, "ninf"), &Value::Float(f64::NEG_INFINITY));
        assert!(matches!(get(&doc, "nan"), Value::Float(f) if f.is_nan()));
        assert_eq!(get(&doc, "null1"), &Value::Null);
        assert_eq!(get(&doc, "null2"), &Value::Null);
        assert_eq!(get(&doc, "null3"), &Value::Null);
        assert_eq!(get(&doc, "ts"), &Value::String("2001-12-14".into()));
        assert_eq!(get(&doc, "f"), &Value::Float(1500.0));
        assert_eq!(get(&doc, "q"), &Value::String("5".into()));
    }

    #[test]
    fn every_node_has_its_line_and_column() {
        let doc = load("a:\n  b: 1\n  list:\n    - x\n    - {k: v}\n").unwrap();
        let at = |p: &[&str]| {
            let n = doc.get(p).unwrap();
            (n.origin.line, n.origin.column)
        };
        assert_eq!(at(&["a", "b"]), (2, 6));
        assert_eq!(at(&["a", "list", "0"]), (4, 7));
        assert_eq!(at(&["a", "list", "1", "k"]), (5, 11));
        assert_eq!(
            doc.get(&["a", "b"]).unwrap().origin.source,
            Source::File("t.yaml".into())
        );
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_position() {
        let err = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        let Error::Parse {
            origin,
            message,
            snippet,
        } = &err
        else {
            panic!("{err:?}")
        };
        // Said in the file's terms, not in serde-saphyr's options.
        assert_eq!(message, "duplicate key `a`");
        assert_eq!(origin.line, 3, "{err}");
        assert!(snippet.as_deref().unwrap_or("").contains("a: 3"));
        // Equal as strings though not as YAML.
        assert!(load("1: a\n'1': b\n").is_err());
    }

    #[test]
    fn alias_bombs_hit_the_budget() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g"])
        {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            bomb.push_str(&format!("{i}: &{i} [{refs}]\n"));
        }
        let err = load(&bomb).unwrap_err();
        assert!(matches!(err, Error::Parse { .. }), "{err}");
        // A modest use of aliases is fine.
        let ok = load("base: &b {x: 1}\nuse: *b\n").unwrap();
        assert_eq!(get(&ok, "use.x"), &Value::Int(1));
    }

    #[test]
    fn deep_nesting_hits_the_depth_limit() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(load(&deep).is_err());
    }

    #[test]
    fn empty_documents_are_empty_maps() {
        for text in ["", "\n# only a comment\n", "---\n", "~\n"] {
            assert_eq!(
                load(text).unwrap().value,
                Value::Map(Map::new()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = load("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("t.yaml:"), "{text}");
        assert!(
            matches!(err, Error::Parse { ref origin, .. } if origin.line >= 2),
            "{text}"
        );
    }

    #[test]
    fn scalars_for_env_and_set() {
        let o = Origin::whole(Source::Env("APP__X".into()));
        let l = Limits::default();
        assert_eq!(scalar("5432", &o, &l).unwrap(), Value::Int(5432));
        assert_eq!(scalar("on", &o, &l).unwrap(), Value::String("on".into()));
        assert_eq!(scalar("", &o, &l).unwrap(), Value::Null);
        assert_eq!(scalar("true", &o, &l).unwrap(), Value::Bool(true));
        let Value::Seq(items) = scalar("[a, 1]", &o, &l).unwrap() else {
            panic!()
        };
        assert_eq!(items[1].origin, o);
        assert!(scalar("[a", &o, &l).is_err());
    }
}
