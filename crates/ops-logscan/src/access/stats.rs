//! The access-log aggregates.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::latency::LatencyHistogram;
use crate::{Aggregate, KeyCounts, LineSamples, Totals};

const FIRST: u16 = 100;
const CODES: usize = 900;

/// Response counts by status code, for every code `100..=999`.
///
/// A fixed array inside, allocated at the first count (so that the many
/// empty states of a finely split scan cost nothing); serialized as a map
/// `{"200": 9126, ...}` of the non-zero counts.
#[derive(Clone, Default)]
pub struct StatusCounts {
    counts: Option<Box<[u64]>>,
}

impl StatusCounts {
    /// No counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` responses with status `code`; codes outside `100..=999`
    /// are ignored (no log format yields them).
    #[inline]
    pub fn add(&mut self, code: u16, n: u64) {
        let Some(i) = code.checked_sub(FIRST).map(usize::from) else {
            return;
        };
        let counts = self
            .counts
            .get_or_insert_with(|| vec![0; CODES].into_boxed_slice());
        if let Some(c) = counts.get_mut(i) {
            *c += n;
        }
    }

    /// The count of `code`.
    pub fn get(&self, code: u16) -> u64 {
        let i = code.checked_sub(FIRST).map(usize::from);
        match (&self.counts, i) {
            (Some(c), Some(i)) => c.get(i).copied().unwrap_or(0),
            _ => 0,
        }
    }

    /// The non-zero counts, by increasing code.
    pub fn iter(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.counts
            .iter()
            .flat_map(|c| c.iter().enumerate())
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (FIRST + i as u16, *n))
    }

    /// Counts by class: index `d` holds the `dxx` responses (`1` to `9`;
    /// index 0 is always zero).
    pub fn classes(&self) -> [u64; 10] {
        let mut classes = [0; 10];
        for (code, n) in self.iter() {
            classes[usize::from(code / 100)] += n;
        }
        classes
    }

    /// The sum of all counts.
    pub fn total(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: StatusCounts) {
        let Some(theirs) = other.counts else { return };
        match &mut self.counts {
            None => self.counts = Some(theirs),
            Some(mine) => {
                for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                    *a += b;
                }
            }
        }
    }
}

impl PartialEq for StatusCounts {
    fn eq(&self, other: &Self) -> bool {
        // An allocated array of zeros equals no array.
        self.iter().eq(other.iter())
    }
}

impl Eq for StatusCounts {}

impl fmt::Debug for StatusCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for StatusCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        for (code, n) in self.iter() {
            m.serialize_entry(&code.to_string(), &n)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for StatusCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusCounts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from status code (100 to 999) to count")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StatusCounts, A::Error> {
                let mut counts = StatusCounts::new();
                while let Some((k, v)) = access.next_entry::<String, u64>()? {
                    let code = match k.parse::<u16>() {
                        Ok(c) if (100..=999).contains(&c) => c,
                        _ => return Err(de::Error::custom(format!("bad status code {k:?}"))),
                    };
                    counts.add(code, v);
                }
                Ok(counts)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// What an [`AccessAnalyzer`](crate::AccessAnalyzer) finds.
///
/// Every line is counted once, in exactly one of four ways:
/// `totals.lines == parsed + malformed + filtered + totals.oversized`.
/// A line is *malformed* when it does not match the log format (a blank
/// line included), or when a time range is set and its time cannot be
/// read; *filtered* when its time is outside the range. Everything else
/// describes the parsed lines only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessStats {
    /// Lines and bytes read, oversized lines.
    pub totals: Totals,
    /// Lines that matched the format (and the time range, if any).
    pub parsed: u64,
    /// Lines that did not match the format, or whose time could not be
    /// read while a time range was set.
    pub malformed: u64,
    /// The first few malformed lines.
    pub malformed_lines: LineSamples,
    /// Lines outside the time range.
    pub filtered: u64,
    /// Responses by status code.
    pub status: StatusCounts,
    /// Requests by client address.
    pub by_ip: KeyCounts,
    /// Responses with a 5xx status by request path (query string removed).
    pub paths_5xx: KeyCounts,
    /// Response bytes sent, summed (saturating).
    pub bytes_sent: u64,
    /// Requests by minute: the minute's start in Unix seconds, UTC. Lines
    /// whose time cannot be read are not counted here.
    pub per_minute: BTreeMap<i64, u64>,
    /// Request latencies, when the format logs them.
    pub latency: LatencyHistogram,
}

impl Aggregate for AccessStats {
    fn totals(&self) -> &Totals {
        &self.totals
    }

    fn totals_mut(&mut self) -> &mut Totals {
        &mut self.totals
    }

    fn merge(&mut self, later: Self) {
        // Before the totals change: `later`'s lines follow this part's.
        self.malformed_lines
            .merge(later.malformed_lines, self.totals.lines);
        self.totals.add(&later.totals);
        self.parsed += later.parsed;
        self.malformed += later.malformed;
        self.filtered += later.filtered;
        self.status.merge(later.status);
        self.by_ip.merge(later.by_ip);
        self.paths_5xx.merge(later.paths_5xx);
        self.bytes_sent = self.bytes_sent.saturating_add(later.bytes_sent);
        if self.per_minute.len() < later.per_minute.len() {
            let mine = std::mem::replace(&mut self.per_minute, later.per_minute);
            add_minutes(&mut self.per_minute, mine);
        } else {
            add_minutes(&mut self.per_minute, later.per_minute);
        }
        self.latency.merge(later.latency);
    }

    fn attribute(&mut self, source: &str) {
        self.malformed_lines.attribute(source);
    }
}

fn add_minutes(into: &mut BTreeMap<i64, u64>, from: BTreeMap<i64, u64>) {
    for (m, n) in from {
        *into.entry(m).or_insert(0) += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_counts() {
        let mut s = StatusCounts::new();
        assert_eq!(s, StatusCounts::new());
        s.add(200, 2);
        s.add(503, 1);
        s.add(999, 1);
        s.add(99, 5);
        s.add(1000, 5);
        assert_eq!(s.get(200), 2);
        assert_eq!(s.get(0), 0);
        assert_eq!(s.total(), 4);
        let c = s.classes();
        assert_eq!((c[2], c[5], c[9]), (2, 1, 1));
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(json, r#"{"200":2,"503":1,"999":1}"#);
        let back: Option<StatusCounts> = serde_json::from_str(&json).ok();
        assert_eq!(back, Some(s.clone()));
        assert!(serde_json::from_str::<StatusCounts>(r#"{"42":1}"#).is_err());
        let mut zeros = StatusCounts::new();
        zeros.add(200, 0);
        assert_eq!(zeros, StatusCounts::new());
        zeros.merge(s.clone());
        assert_eq!(zeros, s);
    }
}
