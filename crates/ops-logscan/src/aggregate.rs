//! Mergeable aggregation state shared by the analyzers.
//!
//! Everything here obeys one law: scanning the parts of an input and merging
//! their states in order gives exactly the state of scanning the whole.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// State that can be combined with the state of the input that follows it.
///
/// `a.merge(b)` must equal the state of scanning `a`'s input followed by
/// `b`'s. Counters add; line references in `b` that are still relative to the
/// start of `b`'s part are shifted by `a`'s line count.
pub trait Aggregate: Default + Send {
    /// Counters common to every analyzer.
    fn totals(&self) -> &Totals;
    /// Mutable access to the common counters, for the scanning driver.
    fn totals_mut(&mut self) -> &mut Totals;
    /// Appends the state of the input that follows this one.
    fn merge(&mut self, later: Self);
    /// Pins line references that are still relative to this part to the
    /// named input, once that input has been scanned whole.
    fn attribute(&mut self, source: &str);
}

/// Counters every analyzer keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Totals {
    /// Lines seen, oversized ones included.
    pub lines: u64,
    /// Bytes read (after decompression), line terminators included.
    pub bytes: u64,
    /// Lines longer than the configured maximum: counted, not parsed.
    pub oversized: u64,
}

impl Totals {
    /// Adds another part's counters.
    pub fn add(&mut self, other: &Totals) {
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.oversized += other.oversized;
    }
}

/// Where a line is: a 1-based line number, in a named input once known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineRef {
    /// The input's name; `None` while the line number is still relative to
    /// the start of the part being scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// 1-based line number.
    pub line: u64,
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(s) => write!(f, "{s}:{}", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// The first few line references of some kind (malformed lines, say), in
/// input order, kept under a fixed cap so that memory does not grow with
/// the input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LineSamples(Vec<LineRef>);

impl LineSamples {
    /// How many references are kept.
    pub const CAP: usize = 5;

    /// Records `line` (relative to the current part) unless the cap is full.
    #[inline]
    pub fn push(&mut self, line: u64) {
        if self.0.len() < Self::CAP {
            self.0.push(LineRef { source: None, line });
        }
    }

    /// Appends `later`'s references, shifting its relative ones by `offset`
    /// lines (the line count of the part before it).
    pub fn merge(&mut self, later: LineSamples, offset: u64) {
        for mut r in later.0 {
            if self.0.len() >= Self::CAP {
                break;
            }
            if r.source.is_none() {
                r.line += offset;
            }
            self.0.push(r);
        }
    }

    /// Names the input of every still-relative reference.
    pub fn attribute(&mut self, source: &str) {
        for r in &mut self.0 {
            if r.source.is_none() {
                r.source = Some(source.to_owned());
            }
        }
    }

    /// The references, in input order.
    pub fn as_slice(&self) -> &[LineRef] {
        &self.0
    }
}

type Hasher = foldhash::fast::RandomState;

/// Occurrence counts keyed by byte strings (IP addresses, user names, paths).
///
/// Keys are raw bytes as they appear in the log, so invalid UTF-8 is kept
/// and never panics. Serialized as a map from string to count, where bytes
/// that are not UTF-8, and the backslash itself, are written `\xNN` and
/// `\\`, so that deserializing gives back the same keys.
#[derive(Clone, Default)]
pub struct KeyCounts {
    map: HashMap<Box<[u8]>, u64, Hasher>,
}

impl KeyCounts {
    /// An empty set of counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the count of `key`.
    #[inline]
    pub fn add(&mut self, key: &[u8], n: u64) {
        // Look up by slice first: allocating a key only for new entries keeps
        // the hot path free of allocation.
        // Counts saturate: a crafted `message repeated N times` line must
        // not overflow them.
        match self.map.get_mut(key) {
            Some(c) => *c = c.saturating_add(n),
            None => {
                self.map.insert(key.into(), n);
            }
        }
    }

    /// The count of `key` (0 when absent).
    pub fn get(&self, key: &[u8]) -> u64 {
        self.map.get(key).copied().unwrap_or(0)
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no key was counted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The sum of all counts (saturating).
    pub fn total(&self) -> u64 {
        self.map.values().fold(0, |a, &b| a.saturating_add(b))
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: KeyCounts) {
        if self.map.len() < other.map.len() {
            let mine = std::mem::replace(&mut self.map, other.map);
            for (k, v) in mine {
                let c = self.map.entry(k).or_insert(0);
                *c = c.saturating_add(v);
            }
        } else {
            for (k, v) in other.map {
                let c = self.map.entry(k).or_insert(0);
                *c = c.saturating_add(v);
            }
        }
    }

    /// Iterates over `(key, count)` pairs in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.map.iter().map(|(k, v)| (&**k, *v))
    }

    /// All keys, sorted in byte order.
    pub fn sorted_keys(&self) -> Vec<&[u8]> {
        let mut keys: Vec<&[u8]> = self.map.keys().map(|k| &**k).collect();
        keys.sort_unstable();
        keys
    }

    /// The `n` most frequent keys: by count descending, ties by key in byte
    /// order, so the result does not depend on hashing.
    pub fn top(&self, n: usize) -> Vec<(&[u8], u64)> {
        let mut all: Vec<(&[u8], u64)> = self.iter().collect();
        let order = |a: &(&[u8], u64), b: &(&[u8], u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
        if n < all.len() {
            all.select_nth_unstable_by(n, order);
            all.truncate(n);
        }
        all.sort_unstable_by(order);
        all
    }
}

impl PartialEq for KeyCounts {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl Eq for KeyCounts {}

impl fmt::Debug for KeyCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.sorted_keys();
        f.debug_map()
            .entries(keys.into_iter().map(|k| (escape_bytes(k), self.get(k))))
            .finish()
    }
}

impl Serialize for KeyCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let keys = self.sorted_keys();
        let mut m = serializer.serialize_map(Some(keys.len()))?;
        for k in keys {
            m.serialize_entry(&escape_bytes(k), &self.get(k))?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for KeyCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyCounts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from escaped byte string to count")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<KeyCounts, A::Error> {
                let mut counts = KeyCounts::new();
                while let Some((k, v)) = access.next_entry::<String, u64>()? {
                    let key = unescape_bytes(&k)
                        .ok_or_else(|| de::Error::custom(format!("bad escape in key {k:?}")))?;
                    counts.add(&key, v);
                }
                Ok(counts)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Writes bytes as text: UTF-8 as is, other bytes as `\xNN`, and `\` as
/// `\\`, so that [`unescape_bytes`] reverses it exactly.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The inverse of [`escape_bytes`]; `None` on a malformed escape.
pub fn unescape_bytes(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'x') => {
                let hex = text.get(i + 2..i + 4)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Text for display: invalid UTF-8 replaced by U+FFFD.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_orders_by_count_then_key() {
        let mut c = KeyCounts::new();
        for (k, n) in [("b", 3), ("a", 3), ("c", 5), ("d", 1)] {
            c.add(k.as_bytes(), n);
        }
        let top: Vec<(String, u64)> = c.top(3).into_iter().map(|(k, n)| (lossy(k), n)).collect();
        assert_eq!(top, vec![("c".into(), 5), ("a".into(), 3), ("b".into(), 3)]);
        assert_eq!(c.top(10).len(), 4);
        assert!(c.top(0).is_empty());
    }

    #[test]
    fn escape_round_trips_any_bytes() {
        let cases: [&[u8]; 5] = [
            b"",
            b"plain",
            b"back\\slash",
            b"\xff\xfe\x00x",
            "é\\x41".as_bytes(),
        ];
        for bytes in cases {
            let text = escape_bytes(bytes);
            assert_eq!(unescape_bytes(&text).as_deref(), Some(bytes), "{text}");
        }
        assert_eq!(escape_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(unescape_bytes("\\q"), None);
        assert_eq!(unescape_bytes("\\x4"), None);
    }

    #[test]
    fn key_counts_serde_round_trip() {
        let mut c = KeyCounts::new();
        c.add(b"10.0.0.1", 2);
        c.add(b"\xff", 1);
        let json = serde_json::to_string(&c).expect("serialize");
        assert_eq!(json, r#"{"10.0.0.1":2,"\\xff":1}"#);
        let back: KeyCounts = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, c);
    }

    #[test]
    fn samples_shift_relative_lines_and_cap() {
        let mut a = LineSamples::default();
        a.push(2);
        let mut b = LineSamples::default();
        for l in 1..=10 {
            b.push(l);
        }
        a.merge(b, 100);
        let lines: Vec<u64> = a.as_slice().iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 101, 102, 103, 104]);
        a.attribute("x.log");
        assert_eq!(a.as_slice()[0].to_string(), "x.log:2");
    }
}
