//! Arbitrary bytes as YAML, JSON and TOML: the readers never panic; what
//! they accept merges with itself idempotently, and its canonical YAML
//! and JSON read back as the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_config::{Document, Format, Limits, Source, Strategies, Value, merge};

fn has_nan(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.is_nan(),
        Value::Seq(items) => items.iter().any(|n| has_nan(&n.value)),
        Value::Map(m) => m.values().any(|n| has_nan(&n.value)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let format = match selector % 3 {
        0 => Format::Yaml,
        1 => Format::Json,
        _ => Format::Toml,
    };
    // Small limits keep each run fast; the budgets are part of what is tested.
    let limits = Limits::default().max_depth(64).max_nodes(100_000).max_alias_events(10_000);
    let Ok(node) = format.parse(text, &Source::Inline("fuzz".into()), &limits) else { return };
    let st = Strategies::new();
    let once = merge(&node, &node, &st);
    let twice = merge(&once, &node, &st);
    assert_eq!(once.value, twice.value, "idempotence");
    if has_nan(&node.value) {
        return;
    }
    let doc = Document::new(once);
    for out in [Format::Yaml, Format::Json] {
        // JSON cannot hold infinities: an error, not a panic.
        let Ok(rendered) = doc.to_string(out) else { continue };
        let back = Document::parse(&rendered, out, "back").unwrap_or_else(|e| panic!("{out} output does not read back: {e}\n{rendered}"));
        let empty_yaml = out == Format::Yaml && matches!(doc.root().value, Value::Null);
        if !empty_yaml {
            assert_eq!(back.root().value, doc.root().value, "{out}:\n{rendered}");
        }
    }
});
