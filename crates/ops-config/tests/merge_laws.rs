//! The merge laws, on random documents: RFC 7396 exactly when no strategy
//! is set, inputs never change, overlays are idempotent, merging is
//! associative where it can be, and provenance follows the values.

use ops_config::{ArrayStrategy, Document, Format, Node, Strategies, Value, merge};
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

/// Documents over a few keys, so that overlays hit the base's keys.
fn doc() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        (-3i64..3).prop_map(Json::from),
        "[a-c]{0,2}".prop_map(Json::from),
        (-2.0f64..2.0).prop_map(|f| json!((f * 4.0).round() / 4.0)),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["a", "b", "c", "k", "on"]),
                inner,
                0..4
            )
            .prop_map(|m| Json::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
            // Lists of keyed maps, for merge-by-key.
            prop::collection::vec((0i64..3, prop::option::of(any::<bool>())), 0..3).prop_map(
                |items| {
                    Json::Array(
                        items
                            .into_iter()
                            .map(|(k, v)| json!({"k": k, "v": v}))
                            .collect(),
                    )
                }
            ),
        ]
    })
}

fn node(json: &Json, name: &str) -> Node {
    Document::parse(&json.to_string(), Format::Json, name)
        .unwrap()
        .into_root()
}

/// RFC 7396 section 2, as written there.
fn merge_patch(target: &Json, patch: &Json) -> Json {
    match patch {
        Json::Object(p) => {
            let mut t = match target {
                Json::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    let merged = merge_patch(t.get(k).unwrap_or(&Json::Null), v);
                    t.insert(k.clone(), merged);
                }
            }
            Json::Object(t)
        }
        other => other.clone(),
    }
}

fn to_json(n: &Node) -> Json {
    Document::new(n.clone()).to_json().unwrap()
}

fn strategy_sets() -> Vec<Strategies> {
    let st = |rules: &[(&str, ArrayStrategy)]| {
        rules
            .iter()
            .fold(Strategies::new(), |s, (p, r)| s.rule(p, r.clone()).unwrap())
    };
    vec![
        Strategies::new(),
        st(&[("a", ArrayStrategy::Append), ("*.a", ArrayStrategy::Append)]),
        st(&[
            ("b", ArrayStrategy::MergeByKey("k".into())),
            ("c.b", ArrayStrategy::MergeByKey("k".into())),
        ]),
        st(&[
            ("*", ArrayStrategy::Append),
            ("*.*", ArrayStrategy::MergeByKey("k".into())),
        ]),
    ]
}

/// Every leaf of `n` with its path (indexes included).
fn leaves(n: &Node) -> Vec<(String, Node)> {
    n.leaves()
        .into_iter()
        .map(|(p, n)| (p, n.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn without_strategies_it_is_rfc_7396(base in doc(), patch in doc()) {
        let got = merge(&node(&base, "base"), &node(&patch, "patch"), &Strategies::new());
        prop_assert_eq!(to_json(&got), merge_patch(&base, &patch));
    }

    #[test]
    fn inputs_are_left_alone(base in doc(), patch in doc()) {
        let (b, p) = (node(&base, "base"), node(&patch, "patch"));
        let (b0, p0) = (b.clone(), p.clone());
        for st in strategy_sets() {
            let _ = merge(&b, &p, &st);
            prop_assert_eq!(&b, &b0);
            prop_assert_eq!(&p, &p0);
        }
    }

    #[test]
    fn an_overlay_twice_is_the_overlay_once(base in doc(), patch in doc()) {
        let (b, p) = (node(&base, "base"), node(&patch, "patch"));
        for st in strategy_sets() {
            let once = merge(&b, &p, &st);
            let twice = merge(&once, &p, &st);
            prop_assert_eq!(&twice.value, &once.value, "strategies {:?}", st);
        }
    }

    #[test]
    fn overlay_values_carry_the_overlays_origin(base in doc(), patch in doc()) {
        let (b, p) = (node(&base, "base"), node(&patch, "patch"));
        let got = merge(&b, &p, &Strategies::new());
        for (path, leaf) in leaves(&got) {
            let source = leaf.origin.source.name();
            prop_assert!(source == "base" || source == "patch", "{path}: {}", leaf.origin);
        }
        // A scalar the patch sets through maps only is the patch's, at its
        // line and column.
        for (path, leaf) in leaves(&p) {
            if path.contains('[') || !leaf.value.is_scalar() || matches!(leaf.value, Value::Null) {
                continue;
            }
            if let Some(n) = got.get(&ops_config::parse_path(&path).unwrap()) {
                prop_assert_eq!(&n.origin, &leaf.origin, "{}", path);
            }
        }
    }

    #[test]
    fn canonical_output_reads_back(d in doc()) {
        let doc = Document::new(node(&d, "d"));
        for format in [Format::Json, Format::Yaml] {
            let text = doc.to_string(format).unwrap();
            let back = Document::parse(&text, format, "back").unwrap();
            // YAML has no empty document: `{}` comes back as itself, and a
            // root null comes back as an empty map.
            if format == Format::Yaml && matches!(doc.root().value, Value::Null) {
                continue;
            }
            prop_assert_eq!(&back.root().value, &doc.root().value, "{}:\n{}", format, text);
            prop_assert_eq!(back.to_string(format).unwrap(), text);
        }
    }
}

/// Typed documents: each key always holds one kind (`m*` maps, `s*`
/// scalars, `l*` lists), no nulls. Where types agree and nothing is
/// deleted, merging is associative.
fn typed_doc() -> impl Strategy<Value = Json> {
    let scalar = prop_oneof![
        (-3i64..3).prop_map(Json::from),
        "[a-c]{1,2}".prop_map(Json::from)
    ];
    let list = prop::collection::vec(0i64..4, 0..3)
        .prop_map(|v| Json::Array(v.into_iter().map(Json::from).collect()));
    let leaf_map = (
        prop::option::of(scalar.clone()),
        prop::option::of(list.clone()),
    )
        .prop_map(|(s, l)| {
            let mut m = Map::new();
            if let Some(s) = s {
                m.insert("s1".into(), s);
            }
            if let Some(l) = l {
                m.insert("l1".into(), l);
            }
            Json::Object(m)
        });
    leaf_map.prop_recursive(3, 20, 2, move |inner| {
        (
            prop::option::of(inner.clone()),
            prop::option::of(inner),
            prop::option::of(scalar.clone()),
            prop::option::of(list.clone()),
        )
            .prop_map(|(m1, m2, s, l)| {
                let mut m = Map::new();
                if let Some(v) = m1 {
                    m.insert("m1".into(), v);
                }
                if let Some(v) = m2 {
                    m.insert("m2".into(), v);
                }
                if let Some(v) = s {
                    m.insert("s2".into(), v);
                }
                if let Some(v) = l {
                    m.insert("l2".into(), v);
                }
                Json::Object(m)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn merging_is_associative_for_typed_documents(a in typed_doc(), b in typed_doc(), c in typed_doc()) {
        let (a, b, c) = (node(&a, "a"), node(&b, "b"), node(&c, "c"));
        let append = Strategies::new()
            .rule("l1", ArrayStrategy::Append).unwrap()
            .rule("*.l1", ArrayStrategy::Append).unwrap()
            .rule("*.*.l1", ArrayStrategy::Append).unwrap()
            .rule("*.*.*.l1", ArrayStrategy::Append).unwrap();
        for st in [Strategies::new(), append] {
            let left = merge(&merge(&a, &b, &st), &c, &st);
            let right = merge(&a, &merge(&b, &c, &st), &st);
            prop_assert_eq!(&left.value, &right.value);
        }
    }
}

#[test]
fn merge_by_key_merges_kubernetes_style_lists() {
    let base = node(
        &json!({"containers": [{"name": "app", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
                               {"name": "side", "image": "s:1"}]}),
        "base",
    );
    let over = node(
        &json!({"containers": [{"name": "app", "image": "a:2", "env": [{"name": "Y", "value": "2"}]},
                               {"name": "new", "image": "n:1"}, {"name": "side", "image": null}]}),
        "over",
    );
    let st = Strategies::new()
        .rule("containers", ArrayStrategy::MergeByKey("name".into()))
        .unwrap()
        .rule("containers.env", ArrayStrategy::MergeByKey("name".into()))
        .unwrap();
    let got = to_json(&merge(&base, &over, &st));
    assert_eq!(
        got,
        json!({"containers": [
            {"name": "app", "image": "a:2", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
            {"name": "side"},
            {"name": "new", "image": "n:1"}
        ]})
    );
}
