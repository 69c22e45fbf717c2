//! Environment variables, `--set` expressions, strategy files and dotted
//! paths from arbitrary text: errors, never panics; and what they accept
//! merges.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_config::{EnvLayer, Layers, Limits, Strategies, parse_path, set_layer};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits::default().max_depth(32).max_alias_events(1_000);
    let mut parts = text.split('\u{0}');
    let env_text = parts.next().unwrap_or("");
    let sets = parts.next().unwrap_or("");
    let strategies = parts.next().unwrap_or("");
    let _ = parse_path(env_text);
    let vars: Vec<(String, String)> = env_text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (format!("APP__{k}"), v.to_owned()))
        .collect();
    let env = EnvLayer::new("APP").vars(vars);
    let _ = env.to_node(&limits);
    for expr in sets.lines() {
        let _ = set_layer(expr, &limits);
    }
    let st = Strategies::parse(strategies, "fuzz.strategies").unwrap_or_default();
    let mut layers = Layers::new().limits(limits).env(env).strategies(st);
    for expr in sets.lines().take(8) {
        layers = layers.set(expr);
    }
    let _ = layers.merge();
});
