//! Parameter ladders: the sizes a scaling bench sweeps over.
//!
//! A ladder is a short, sorted list of sizes. Geometric ladders (`1, 10, 100, ...`) suit log-log
//! scaling fits, which is how `budgets.toml` checks "scales near-linearly".

/// `start, start*factor, ...` up to and including `max` (sorted, deduplicated).
///
/// # Panics
/// If `start == 0` or `factor < 2`: such a ladder would never grow.
pub fn geometric(start: u64, factor: u64, max: u64) -> Vec<u64> {
    assert!(
        start > 0 && factor >= 2,
        "geometric ladder needs start > 0 and factor >= 2"
    );
    let mut out = Vec::new();
    let mut v = start;
    while v <= max {
        out.push(v);
        match v.checked_mul(factor) {
            Some(n) => v = n,
            None => break,
        }
    }
    out
}

/// Powers of two from `lo` to `hi` inclusive (both rounded into the ladder).
pub fn powers_of_two(lo: u64, hi: u64) -> Vec<u64> {
    geometric(lo.max(1).next_power_of_two(), 2, hi)
}

/// Keeps the ladder entries at most `cap` — e.g. to stop an O(n²) twin early in a quick profile.
pub fn capped(ladder: &[u64], cap: u64) -> Vec<u64> {
    ladder.iter().copied().filter(|&v| v <= cap).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_ladders() {
        assert_eq!(geometric(10, 10, 10_000), vec![10, 100, 1000, 10_000]);
        assert_eq!(geometric(1, 4, 64), vec![1, 4, 16, 64]);
        assert_eq!(geometric(5, 2, 4), Vec::<u64>::new());
        assert_eq!(geometric(u64::MAX / 2, 4, u64::MAX), vec![u64::MAX / 2]);
        assert_eq!(powers_of_two(3, 40), vec![4, 8, 16, 32]);
        assert_eq!(capped(&[100, 1000, 10_000], 1000), vec![100, 1000]);
    }

    #[test]
    #[should_panic(expected = "factor >= 2")]
    fn geometric_rejects_a_ladder_that_cannot_grow() {
        let _ = geometric(1, 1, 10);
    }
}
