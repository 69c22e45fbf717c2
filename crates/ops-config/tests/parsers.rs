//! Property tests of the readers of untrusted text: JSON (our own reader,
//! checked against serde_json), YAML on the same documents, dotted paths,
//! `--set` expressions, environment variables and strategy files.

use ops_config::{
    ArrayStrategy, Document, EnvLayer, Format, Limits, Strategies, Value, parse_path, set_layer,
};
use proptest::prelude::*;
use serde_json::Value as Json;

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        (-1e6f64..1e6).prop_map(Json::from),
        "\\PC{0,8}".prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..5)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// Our tree as serde_json sees values (to compare readers).
fn as_json(text: &str, format: Format) -> Json {
    Document::parse(text, format, "t")
        .unwrap()
        .to_json()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn json_reader_agrees_with_serde_json(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        prop_assert_eq!(as_json(&text, Format::Json), v);
    }

    #[test]
    fn json_text_reads_the_same_as_yaml(v in json_value()) {
        // JSON is YAML 1.2; as a YAML stream, an empty or null document is
        // an empty map, so compare only maps and lists with content.
        prop_assume!(matches!(&v, Json::Object(m) if !m.is_empty()) || matches!(&v, Json::Array(a) if !a.is_empty()));
        let text = serde_json::to_string_pretty(&v).unwrap();
        prop_assert_eq!(as_json(&text, Format::Yaml), v);
    }

    #[test]
    fn json_positions_point_at_the_values(v in json_value()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        let doc = Document::parse(&text, Format::Json, "t").unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (path, leaf) in doc.root().leaves() {
            let line = lines[leaf.origin.line as usize - 1];
            let at: String = line.chars().skip(leaf.origin.column as usize - 1).collect();
            let want = serde_json::to_string(&Document::new(leaf.clone()).to_json().unwrap()).unwrap();
            prop_assert!(at.starts_with(&want[..want.len().min(1)]), "{path}: {at:?} for {want}");
        }
    }

    #[test]
    fn readers_never_panic(text in any::<String>(), format in prop::sample::select(vec![Format::Yaml, Format::Json, Format::Toml])) {
        let _ = Document::parse(&text, format, "t");
    }

    #[test]
    fn dotted_paths_round_trip(keys in prop::collection::vec("[a-z.\\[\\]\"\\\\ ]{0,6}", 1..5)) {
        let mut path = String::new();
        for k in &keys {
            if !path.is_empty() { path.push('.'); }
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == ' ') {
                path.push_str(k);
            } else {
                path.push('"');
                for c in k.chars() {
                    if c == '"' || c == '\\' { path.push('\\'); }
                    path.push(c);
                }
                path.push('"');
            }
        }
        prop_assert_eq!(parse_path(&path).unwrap(), keys);
    }

    #[test]
    fn set_puts_the_value_at_the_path(keys in prop::collection::vec("[a-z_]{1,5}", 1..4), n in any::<i64>(), s in "[a-z]{1,8}") {
        let path = keys.join(".");
        let limits = Limits::default();
        let node = set_layer(&format!("{path}={n}"), &limits).unwrap();
        prop_assert_eq!(&node.get(&keys).unwrap().value, &Value::Int(n.into()));
        let node = set_layer(&format!("{path}='{s}'"), &limits).unwrap();
        prop_assert_eq!(&node.get(&keys).unwrap().value, &Value::String(s));
    }

    #[test]
    fn set_and_env_never_panic(expr in any::<String>(), name in "[A-Za-z_]{0,12}", value in any::<String>()) {
        let limits = Limits::default();
        let _ = set_layer(&expr, &limits);
        let _ = EnvLayer::new("APP").vars([(format!("APP__{name}"), value)]).to_node(&limits);
    }

    #[test]
    fn env_vars_land_at_their_lowercased_paths(keys in prop::collection::vec("[A-Z][A-Z0-9_]{0,6}", 1..4), n in 0u32..100_000) {
        prop_assume!(keys.iter().all(|k| !k.contains("__") && !k.ends_with('_')));
        let name = format!("APP__{}", keys.join("__"));
        let node = EnvLayer::new("APP").vars([(name.clone(), n.to_string())]).to_node(&Limits::default()).unwrap();
        let lower: Vec<String> = keys.iter().map(|k| k.to_lowercase()).collect();
        let leaf = node.get(&lower).unwrap();
        prop_assert_eq!(&leaf.value, &Value::Int(n.into()));
        prop_assert_eq!(leaf.origin.to_string(), format!("env {name}"));
    }

    #[test]
    fn strategy_files_round_trip(rules in prop::collection::vec(("[a-z*]{1,4}(\\.[a-z*]{1,4}){0,2}", 0..3u8, "[a-z]{1,5}"), 0..6)) {
        let mut text = String::from("# rules\n");
        let mut want = Strategies::new();
        for (path, kind, key) in &rules {
            let strategy = match kind {
                0 => ArrayStrategy::Replace,
                1 => ArrayStrategy::Append,
                _ => ArrayStrategy::MergeByKey(key.clone()),
            };
            text.push_str(&format!("{path} = {strategy}\n\n"));
            want = want.rule(path, strategy).unwrap();
        }
        prop_assert_eq!(Strategies::parse(&text, "s").unwrap(), want);
    }

    #[test]
    fn strategy_parser_never_panics(text in any::<String>()) {
        let _ = Strategies::parse(&text, "s");
    }
}
