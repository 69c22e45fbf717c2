//! A mergeable log-linear histogram of latencies.

use serde::{Deserialize, Serialize};

/// Linear sub-buckets per power of two: a bucket is at most 1/128 (0.78%)
/// of its lower bound wide.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// The bucket holding `v`. Values below `2 * SUB` have a bucket each;
/// above, each power of two `[2^e, 2^(e+1))`, `e` in `8..=63`, has `SUB`
/// buckets.
#[inline]
fn index(v: u64) -> usize {
    if v < 2 * SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    let shift = e - SUB_BITS;
    ((u64::from(e - SUB_BITS + 1)) * SUB + ((v >> shift) - SUB)) as usize
}

/// The smallest value and the width of bucket `i`.
fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < 2 * SUB {
        return (i, 1);
    }
    let shift = i / SUB - 1;
    let sub = i % SUB + SUB;
    (sub << shift, 1 << shift)
}

/// Latencies in microseconds, in log-linear buckets: exact below 256 µs,
/// and above that in buckets no wider than 1/128 of their lower bound, so
/// any quantile is within 0.4% of a recorded value (1% promised).
///
/// Merging adds bucket counts, so merging the histograms of the parts of
/// an input gives exactly the histogram of the whole. Memory grows with the
/// largest value, to at most 7,424 counters (59 KiB); a histogram of
/// latencies up to a minute holds about 3,300.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HistogramRepr", into = "HistogramRepr")]
pub struct LatencyHistogram {
    /// Counts by bucket, up to the last non-zero one: so that equal
    /// contents compare equal.
    counts: Vec<u64>,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
}

impl LatencyHistogram {
    /// The largest relative width of a bucket (1/128): a quantile's
    /// relative error is at most half of it.
    pub const MAX_RELATIVE_ERROR: f64 = 1.0 / SUB as f64;

    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one latency, in microseconds.
    #[inline]
    pub fn record(&mut self, micros: u64) {
        let i = index(micros);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        if self.count == 0 || micros < self.min {
            self.min = micros;
        }
        self.max = self.max.max(micros);
        self.count += 1;
        self.sum = self.sum.saturating_add(micros);
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The smallest latency recorded, exactly.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// The largest latency recorded, exactly.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The sum of all latencies (saturating at `u64::MAX` µs, some 584,000
    /// years).
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// The mean latency.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The latency below or at which a fraction `q` (0 to 1, clamped) of the
    /// recorded ones fall: the middle of the bucket holding the
    /// `ceil(q * count)`-th smallest, kept within the recorded minimum and
    /// maximum. `quantile(0.0)` is the minimum and `quantile(1.0)` the
    /// maximum. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        if q == 0.0 {
            return Some(self.min);
        }
        if q == 1.0 {
            return Some(self.max);
        }
        // `as` saturates; the clamp keeps the rank within the count.
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = bounds(i);
                let mid = low + (width - 1) / 2;
                return Some(mid.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The non-empty buckets in increasing order, as `(low, high, count)`
    /// with both bounds inclusive, in microseconds.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &c)| {
                let (low, width) = bounds(i);
                (low, low + (width - 1), c)
            })
    }

    /// Adds every latency recorded in `other`.
    pub fn merge(&mut self, other: LatencyHistogram) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other;
            return;
        }
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// The serialized form: non-empty buckets as `[low, count]` pairs, so the
/// data stays readable and does not depend on the bucket numbering.
#[derive(Serialize, Deserialize)]
struct HistogramRepr {
    count: u64,
    sum: u64,
    min: Option<u64>,
    max: Option<u64>,
    buckets: Vec<[u64; 2]>,
}

impl From<LatencyHistogram> for HistogramRepr {
    fn from(h: LatencyHistogram) -> Self {
        HistogramRepr {
            count: h.count,
            sum: h.sum,
            min: h.min(),
            max: h.max(),
            buckets: h.buckets().map(|(low, _, c)| [low, c]).collect(),
        }
    }
}

impl TryFrom<HistogramRepr> for LatencyHistogram {
    type Error = String;

    fn try_from(r: HistogramRepr) -> Result<Self, String> {
        let mut counts: Vec<u64> = Vec::new();
        let mut total: u64 = 0;
        for [low, c] in r.buckets {
            let i = index(low);
            if bounds(i).0 != low {
                return Err(format!("{low} is not the lower bound of a latency bucket"));
            }
            if i < counts.len() {
                return Err("latency buckets are not in increasing order".into());
            }
            if c == 0 {
                return Err("empty latency bucket".into());
            }
            counts.resize(i + 1, 0);
            counts[i] = c;
            total = total
                .checked_add(c)
                .ok_or("latency bucket counts overflow")?;
        }
        if total != r.count {
            return Err(format!(
                "latency count {} is not the sum of the bucket counts {total}",
                r.count
            ));
        }
        let (min, max) = match (r.min, r.max) {
            (Some(min), Some(max)) if total > 0 && min <= max => (min, max),
            (None, None) if total == 0 => (0, 0),
            _ => return Err("latency min and max do not fit the counts".into()),
        };
        Ok(LatencyHistogram {
            counts,
            count: r.count,
            sum: r.sum,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BUCKETS: usize = (2 * SUB + (63 - SUB_BITS as u64) * SUB) as usize;

    #[test]
    fn buckets_are_contiguous_and_narrow() {
        assert_eq!(BUCKETS, 7424);
        assert_eq!(index(u64::MAX), BUCKETS - 1);
        let mut next = 0u64;
        for i in 0..BUCKETS {
            let (low, width) = bounds(i);
            assert_eq!(low, next, "bucket {i}");
            assert_eq!(index(low), i);
            assert_eq!(index(low + (width - 1)), i);
            assert!(width == 1 || (width as f64) / (low as f64) <= 1.0 / 128.0);
            next = low.wrapping_add(width);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn quantiles_are_within_one_percent() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            // xorshift: values spread over every magnitude.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let v = seed >> (seed % 64);
            let mut h = LatencyHistogram::new();
            h.record(v);
            h.record(v.saturating_add(v / 1000));
            let got = h.quantile(0.5).unwrap_or(0);
            let err = (got as f64 - v as f64).abs() / (v as f64).max(1.0);
            assert!(err <= 0.01, "{v}: {got}");
        }
    }

    #[test]
    fn known_quantiles() {
        let mut h = LatencyHistogram::new();
        assert_eq!(h.quantile(0.5), None);
        assert_eq!(h.mean(), None);
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        assert_eq!(h.count(), 1000);
        assert_eq!(h.min(), Some(1000));
        assert_eq!(h.max(), Some(1_000_000));
        assert_eq!(h.quantile(0.0), Some(1000));
        assert_eq!(h.quantile(1.0), Some(1_000_000));
        assert_eq!(h.quantile(f64::NAN), Some(1000));
        for (q, want) in [(0.5, 500_000.0), (0.9, 900_000.0), (0.99, 990_000.0)] {
            let got = h.quantile(q).unwrap_or(0) as f64;
            assert!((got - want).abs() / want < 0.005, "{q}: {got}");
        }
        assert_eq!(h.mean(), Some(500_500.0));
        // Exact below 256.
        let mut small = LatencyHistogram::new();
        for v in [3, 200, 255] {
            small.record(v);
        }
        assert_eq!(small.quantile(0.5), Some(200));
        assert_eq!(small.buckets().count(), 3);
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let mut h = LatencyHistogram::new();
        for v in [0, 7, 300, 123_456, u64::MAX] {
            h.record(v);
        }
        let json = serde_json::to_string(&h).unwrap_or_default();
        let back: Result<LatencyHistogram, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(h));
        let empty: Result<LatencyHistogram, _> =
            serde_json::from_str(r#"{"count":0,"sum":0,"min":null,"max":null,"buckets":[]}"#);
        assert_eq!(empty.ok(), Some(LatencyHistogram::new()));
        for bad in [
            r#"{"count":1,"sum":0,"min":257,"max":257,"buckets":[[257,1]]}"#,
            r#"{"count":2,"sum":0,"min":1,"max":1,"buckets":[[1,1]]}"#,
            r#"{"count":2,"sum":0,"min":1,"max":2,"buckets":[[2,1],[1,1]]}"#,
            r#"{"count":1,"sum":0,"min":null,"max":null,"buckets":[[1,1]]}"#,
        ] {
            assert!(
                serde_json::from_str::<LatencyHistogram>(bad).is_err(),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn merge_is_exact(
            a in proptest::collection::vec(any::<u64>(), 0..50),
            b in proptest::collection::vec(0u64..10_000_000, 0..50),
        ) {
            let hist = |vs: &[u64]| {
                let mut h = LatencyHistogram::new();
                for &v in vs {
                    h.record(v);
                }
                h
            };
            let mut merged = hist(&a);
            merged.merge(hist(&b));
            let mut all = a.clone();
            all.extend(&b);
            prop_assert_eq!(&merged, &hist(&all));
            let mut other_way = hist(&b);
            other_way.merge(hist(&a));
            prop_assert_eq!(&other_way, &merged);
            if let (Some(lo), Some(hi)) = (all.iter().min(), all.iter().max()) {
                prop_assert_eq!(merged.min(), Some(*lo));
                prop_assert_eq!(merged.max(), Some(*hi));
                for q in [0.01, 0.5, 0.9, 0.99] {
                    let got = merged.quantile(q).unwrap_or(0);
                    prop_assert!(got >= *lo && got <= *hi);
                }
            }
        }
    }
}
