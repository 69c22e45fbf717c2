//! Mergeable aggregation state shared by the analyzers.
//!
//! Everything here obeys one law: scanning the parts of an input and merging
//! their states in order gives exactly the state of scanning the whole.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

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
///
/// Keys of at most 15 bytes (IPv4 addresses, most IPv6 ones, user names)
/// are held apart, packed with their length into a `u128`: counting
/// client addresses is most of the work of a scan, and a `u128` hashes and
/// compares in a few instructions, where bytes behind a pointer take a
/// hash loop, a `memcmp` call and a cache miss. Every method sees one set
/// of keys: a key lives in exactly one of the two tables.
#[derive(Clone, Default)]
pub struct KeyCounts {
    map: HashMap<Box<[u8]>, u64, Hasher>,
    short: ShortCounts,
}

impl KeyCounts {
    /// An empty set of counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the count of `key`.
    #[inline]
    pub fn add(&mut self, key: &[u8], n: u64) {
        if let Some(k) = ShortKey::new(key) {
            self.short.add(k, n);
            return;
        }
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

    /// Adds `n` to the count of a short key: the fast path of
    /// [`add`](Self::add) for a caller that packed it already.
    #[inline]
    pub(crate) fn add_short(&mut self, key: ShortKey, n: u64) {
        self.short.add(key, n);
    }

    /// Adds 1 to the count of each short key: their table slots are all
    /// loaded first, so that their cache misses overlap instead of each
    /// stalling the parse of a line.
    #[inline]
    pub(crate) fn add_short_batch(&mut self, keys: &[ShortKey]) {
        self.short.add_one_each(keys);
    }

    /// The count of `key` (0 when absent).
    pub fn get(&self, key: &[u8]) -> u64 {
        match ShortKey::new(key) {
            Some(k) => self.short.get(k),
            None => self.map.get(key).copied().unwrap_or(0),
        }
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.map.len() + self.short.len()
    }

    /// Whether no key was counted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.short.len() == 0
    }

    /// The sum of all counts (saturating).
    pub fn total(&self) -> u64 {
        self.iter().fold(0, |a, (_, b)| a.saturating_add(b))
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: KeyCounts) {
        self.short.merge(other.short);
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
        self.map
            .iter()
            .map(|(k, v)| (&**k, *v))
            .chain(self.short.iter())
    }

    /// All keys, sorted in byte order.
    pub fn sorted_keys(&self) -> Vec<&[u8]> {
        let mut keys: Vec<&[u8]> = self.iter().map(|(k, _)| k).collect();
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
        self.map == other.map && self.short == other.short
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

/// A key of at most 15 bytes, zero-padded to 16, its length in the last
/// byte: distinct keys (NUL bytes included) pack to distinct values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ShortKey(u128);

impl ShortKey {
    /// The longest key that packs.
    pub(crate) const MAX: usize = 15;

    /// Packs `key`, if it is short enough.
    #[inline]
    pub(crate) fn new(key: &[u8]) -> Option<ShortKey> {
        if key.len() > Self::MAX {
            return None;
        }
        let mut b = [0u8; 16];
        b[..key.len()].copy_from_slice(key);
        b[15] = key.len() as u8;
        Some(ShortKey(u128::from_le_bytes(b)))
    }

    /// The packed value: distinct keys have distinct values, none 0.
    #[inline]
    pub(crate) fn packed(self) -> u128 {
        self.0 | USED
    }

    /// Packs the first `len` bytes of `chunk` (`len <= 15`): no copy, a
    /// mask.
    #[inline]
    pub(crate) fn from_prefix(chunk: [u8; 16], len: usize) -> ShortKey {
        debug_assert!(len <= Self::MAX);
        let len = len.min(Self::MAX);
        let mask = (1u128 << (8 * len)) - 1;
        ShortKey(u128::from_le_bytes(chunk) & mask | (len as u128) << 120)
    }
}

/// Counts keyed by [`ShortKey`]s: an open-addressing table with linear
/// probing, key and count side by side in each slot, so that a lookup
/// touches one cache line (the table outgrows the L1 cache, and a scan
/// looks up a key per line).
#[derive(Clone, Default)]
struct ShortCounts {
    /// A power of two long (or empty). A slot holds the packed key's bytes
    /// with bit 7 of the length byte set, so that no key is all zeros: an
    /// empty slot is.
    slots: Vec<([u8; 16], u64)>,
    /// `64 - log2(slots.len())`: the hash's top bits pick the slot.
    shift: u32,
    /// Random per table, so that crafted keys cannot all collide.
    seeds: (u64, u64),
    len: usize,
}

/// The most keys [`ShortCounts::add_one_each`] takes at once.
pub(crate) const BATCH: usize = 16;

/// Marks a slot as used; above any length.
const USED: u128 = 0x80 << 120;

impl ShortCounts {
    #[inline]
    fn hash(&self, key: u128) -> u64 {
        // A folded multiply of the seeded halves, as foldhash's.
        let m =
            u128::from(key as u64 ^ self.seeds.0) * u128::from((key >> 64) as u64 ^ self.seeds.1);
        (m as u64) ^ ((m >> 64) as u64)
    }

    /// The slot of `key` (marked [`USED`]), whether it holds it (`Ok`) or
    /// is the empty one where it would go (`Err`).
    #[inline]
    fn find(&self, key: u128) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = (self.hash(key) >> self.shift) as usize;
        loop {
            let k = u128::from_le_bytes(self.slots[i].0);
            if k == key {
                return Ok(i);
            }
            if k == 0 {
                return Err(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds 1 to the count of each of up to [`BATCH`] keys. Their home
    /// slots are hashed and loaded first, back to back, so that the cache
    /// misses overlap; then each probe starts from its home slot.
    #[inline]
    fn add_one_each(&mut self, keys: &[ShortKey]) {
        if self.slots.is_empty() || keys.len() > BATCH {
            for &k in keys {
                self.add(k, 1);
            }
            return;
        }
        let mut home = [0usize; BATCH];
        let mut loaded = 0u64;
        for (h, k) in home.iter_mut().zip(keys) {
            *h = (self.hash(k.0 | USED) >> self.shift) as usize;
            // Loads whose values are kept: the compiler cannot drop them,
            // and nothing waits on them.
            loaded = loaded.wrapping_add(self.slots[*h].1);
        }
        std::hint::black_box(loaded);
        let mask = self.slots.len() - 1;
        for (n, (&h, k)) in home.iter().zip(keys).enumerate() {
            let key = k.0 | USED;
            let mut i = h;
            loop {
                let slot = u128::from_le_bytes(self.slots[i].0);
                if slot == key {
                    let c = &mut self.slots[i].1;
                    *c = c.saturating_add(1);
                    break;
                }
                if slot == 0 {
                    // A new key: the table may grow, which moves every
                    // slot, so the rest go the ordinary way.
                    self.insert(key, 1);
                    for &rest in &keys[n + 1..] {
                        self.add(rest, 1);
                    }
                    return;
                }
                i = (i + 1) & mask;
            }
        }
    }

    #[inline]
    fn add(&mut self, key: ShortKey, n: u64) {
        let key = key.0 | USED;
        if !self.slots.is_empty()
            && let Ok(i) = self.find(key)
        {
            let c = &mut self.slots[i].1;
            *c = c.saturating_add(n);
            return;
        }
        self.insert(key, n);
    }

    #[cold]
    fn insert(&mut self, key: u128, n: u64) {
        // At most three quarters full, so that probe runs stay short.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        if let Err(i) = self.find(key) {
            self.slots[i] = (key.to_le_bytes(), n);
            self.len += 1;
        }
    }

    fn grow(&mut self) {
        if self.slots.is_empty() {
            let s = foldhash::fast::RandomState::default();
            self.seeds = (s.hash_one(1u64), s.hash_one(2u64));
        }
        let len = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![([0; 16], 0); len]);
        self.shift = 64 - len.trailing_zeros();
        for (k, n) in old {
            let k = u128::from_le_bytes(k);
            if k != 0
                && let Err(i) = self.find(k)
            {
                self.slots[i] = (k.to_le_bytes(), n);
            }
        }
    }

    fn get(&self, key: ShortKey) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        self.find(key.0 | USED).map_or(0, |i| self.slots[i].1)
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The used slots: key bytes (without the mark) and count.
    fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.slots
            .iter()
            .filter(|(k, _)| k[15] != 0)
            .map(|(k, n)| (&k[..usize::from(k[15] & 0x7f)], *n))
    }

    fn merge(&mut self, mut other: ShortCounts) {
        if self.len < other.len {
            std::mem::swap(self, &mut other);
        }
        for (k, n) in other.slots {
            let k = u128::from_le_bytes(k);
            if k != 0 {
                self.add(ShortKey(k & !USED), n);
            }
        }
    }
}

impl PartialEq for ShortCounts {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.slots.iter().all(|(k, n)| {
                let k = u128::from_le_bytes(*k);
                k == 0 || other.get(ShortKey(k & !USED)) == *n
            })
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
    fn short_keys_pack_their_length() {
        let k = |b: &[u8]| ShortKey::new(b);
        assert_ne!(k(b"a"), k(b"a\0"));
        assert_ne!(k(b""), k(b"\0"));
        assert_eq!(k(b"0123456789abcdef"), None);
        let chunk = *b"10.0.0.1 - - [17";
        assert_eq!(Some(ShortKey::from_prefix(chunk, 8)), k(b"10.0.0.1"));
        assert_eq!(Some(ShortKey::from_prefix(chunk, 0)), k(b""));
        assert_eq!(Some(ShortKey::from_prefix(chunk, 15)), k(&chunk[..15]));
    }

    proptest::proptest! {
        #[test]
        fn counts_with_short_keys_act_as_one_map(
            ops in proptest::collection::vec((0usize..6, 1u64..5, proptest::bool::ANY), 0..200),
        ) {
            const KEYS: [&str; 6] =
                ["10.0.0.1", "10.0.0.2", "::1", "2001:db8::1:2:3:4", "x\0", "255.255.255.255"];
            let mut a = KeyCounts::new();
            let mut b = KeyCounts::new();
            let mut want: HashMap<&str, u64> = HashMap::new();
            for (k, n, second) in ops {
                let key = KEYS[k];
                if second { b.add(key.as_bytes(), n) } else { a.add(key.as_bytes(), n) }
                *want.entry(key).or_default() += n;
            }
            let mut whole = KeyCounts::new();
            for (k, n) in &want {
                whole.add(k.as_bytes(), *n);
            }
            a.merge(b);
            proptest::prop_assert_eq!(&a, &whole);
            proptest::prop_assert_eq!(a.len(), want.len());
            proptest::prop_assert_eq!(a.total(), want.values().sum::<u64>());
            for (k, n) in &want {
                proptest::prop_assert_eq!(a.get(k.as_bytes()), *n);
            }
            let json = serde_json::to_string(&a).expect("serialize");
            let back: KeyCounts = serde_json::from_str(&json).expect("deserialize");
            proptest::prop_assert_eq!(back, a);
        }
    }

    #[test]
    fn many_short_keys_grow_the_table() {
        let mut c = KeyCounts::new();
        for i in 0..10_000u32 {
            let ip = i.wrapping_mul(2_654_435_761);
            c.add(
                std::net::Ipv4Addr::from(ip).to_string().as_bytes(),
                u64::from(i % 7) + 1,
            );
        }
        assert_eq!(c.len(), 10_000);
        for i in (0..10_000u32).step_by(97) {
            let ip = i.wrapping_mul(2_654_435_761);
            assert_eq!(
                c.get(std::net::Ipv4Addr::from(ip).to_string().as_bytes()),
                u64::from(i % 7) + 1
            );
        }
        let top = c.top(1);
        assert_eq!(top[0].1, 7);
        let keys = c.sorted_keys();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
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
