//! Weighted sampling in O(1): Walker's alias method, plus Zipf weights.
//!
//! Every discrete choice in the generators (which attacker, which path, which
//! status code, which kind of line) goes through [`Alias`], so one sample costs
//! one random number, one table load and one comparison.
//!
//! Only IEEE-754 basic operations and `sqrt` (all correctly rounded) are used
//! to build the tables, so they are identical on every platform; `powf` would
//! not be.

use crate::rng::Rng;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Keep the slot's own index when the 32-bit coin is below this.
    threshold: u32,
    /// The index taken otherwise.
    alias: u32,
}

/// A table for drawing indices `0..n` with probabilities proportional to
/// fixed weights.
#[derive(Debug, Clone)]
pub(crate) struct Alias {
    slots: Box<[Slot]>,
}

impl Alias {
    /// Builds the table with Vose's variant of the alias method.
    ///
    /// `weights` must be non-empty, finite, non-negative and not all zero;
    /// callers pass constant tables or [`zipf_weights`], so a violation is a
    /// bug in this crate.
    pub(crate) fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        assert!(
            n > 0 && n <= u32::MAX as usize,
            "alias table needs 1..2^32 weights"
        );
        let total: f64 = weights.iter().sum();
        assert!(
            total > 0.0 && total.is_finite(),
            "alias weights must sum to a positive number"
        );

        // Scale so that the average slot holds exactly 1.0.
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut small = Vec::with_capacity(n);
        let mut large = Vec::with_capacity(n);
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 {
                small.push(i);
            } else {
                large.push(i);
            }
        }
        let mut slots = vec![
            Slot {
                threshold: u32::MAX,
                alias: 0
            };
            n
        ];
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            slots[s] = Slot {
                threshold: to_threshold(scaled[s]),
                alias: l as u32,
            };
            // The large entry gives away what filled the small slot.
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left is 1.0 up to rounding: such slots always keep
        // their own index.
        for i in small.into_iter().chain(large) {
            slots[i] = Slot {
                threshold: u32::MAX,
                alias: i as u32,
            };
        }
        Self {
            slots: slots.into_boxed_slice(),
        }
    }

    /// Draws an index; consumes exactly one random number.
    #[inline]
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        // Low half picks the slot (multiply-high), high half is the coin.
        let i = ((r & 0xFFFF_FFFF) * self.slots.len() as u64) >> 32;
        let slot = self.slots[i as usize];
        if ((r >> 32) as u32) < slot.threshold {
            i as usize
        } else {
            slot.alias as usize
        }
    }

    /// Number of outcomes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

fn to_threshold(p: f64) -> u32 {
    // `p` is in [0, 1); the product fits in u64 and the cast saturates.
    let t = (p * 4_294_967_296.0) as u64;
    t.min(u64::from(u32::MAX)) as u32
}

/// The skew of a Zipf law, `P(rank k) ∝ 1 / k^s`.
///
/// Limited to exponents computable with `sqrt`, so that tables are portable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skew {
    /// `s = 1`: the classic Zipf law (web clients, paths).
    One,
    /// `s = 1.25`: a heavier head (a few attackers send most attempts).
    FiveQuarters,
}

/// Weights `1 / k^s` for ranks `k = 1..=n`.
pub(crate) fn zipf_weights(n: usize, skew: Skew) -> Vec<f64> {
    (1..=n)
        .map(|k| {
            let k = k as f64;
            let denom = match skew {
                Skew::One => k,
                Skew::FiveQuarters => k * k.sqrt().sqrt(),
            };
            1.0 / denom
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(table: &Alias, draws: usize, seed: u64) -> Vec<u32> {
        let mut rng = Rng::new(seed);
        let mut counts = vec![0u32; table.len()];
        for _ in 0..draws {
            counts[table.sample(&mut rng)] += 1;
        }
        counts
    }

    #[test]
    fn frequencies_follow_weights() {
        let table = Alias::new(&[1.0, 2.0, 3.0, 4.0]);
        let counts = histogram(&table, 100_000, 3);
        for (i, &c) in counts.iter().enumerate() {
            let expected = 10_000.0 * (i + 1) as f64;
            let err = (f64::from(c) - expected).abs() / expected;
            assert!(
                err < 0.05,
                "outcome {i}: {c} draws, expected about {expected}"
            );
        }
    }

    #[test]
    fn zero_weight_is_never_drawn() {
        let table = Alias::new(&[0.0, 5.0, 0.0, 1.0]);
        let counts = histogram(&table, 20_000, 4);
        assert_eq!(counts[0], 0);
        assert_eq!(counts[2], 0);
        assert!(counts[1] > 4 * counts[3]);
    }

    #[test]
    fn single_outcome() {
        let table = Alias::new(&[0.5]);
        assert!(histogram(&table, 100, 5).iter().all(|&c| c == 100));
    }

    #[test]
    fn zipf_head_dominates() {
        let table = Alias::new(&zipf_weights(1000, Skew::One));
        let counts = histogram(&table, 200_000, 6);
        // P(1) = 1 / H(1000) ≈ 0.1336; P(2) is half of it.
        let p1 = f64::from(counts[0]) / 200_000.0;
        assert!((0.125..0.142).contains(&p1), "rank 1 share {p1}");
        let ratio = f64::from(counts[0]) / f64::from(counts[1]);
        assert!((1.8..2.2).contains(&ratio), "rank1/rank2 = {ratio}");
        let heavier = zipf_weights(1000, Skew::FiveQuarters);
        assert!((heavier[15] - 1.0 / 32.0).abs() < 1e-12, "16^1.25 = 32");
    }
}
