//! Task streams for scheduler benches: a priority (lane 0 = critical .. 3 = low) and a cost per
//! task, drawn with a given mix.

use crate::rng::SeededRng;

/// Relative weights of the four priorities, critical first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorityMix(pub [f64; 4]);

impl PriorityMix {
    /// A plausible swarm: 5% critical, 20% high, 50% normal, 25% low.
    pub const TYPICAL: PriorityMix = PriorityMix([0.05, 0.20, 0.50, 0.25]);

    /// The weights normalised to probabilities; `None` if any is negative or all are zero.
    pub fn probabilities(&self) -> Option<[f64; 4]> {
        let total: f64 = self.0.iter().sum();
        if self.0.iter().any(|w| *w < 0.0 || !w.is_finite()) || total <= 0.0 {
            return None;
        }
        Some(self.0.map(|w| w / total))
    }
}

/// One generated task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDesc {
    /// 0 = critical, 1 = high, 2 = normal, 3 = low.
    pub priority: u8,
    /// Cost in arbitrary units, 1..=100.
    pub cost: u32,
}

/// `n` tasks with priorities drawn from `mix`.
///
/// # Panics
/// If the mix has a negative weight or sums to zero.
pub fn task_stream(n: usize, mix: PriorityMix, seed: u64) -> Vec<TaskDesc> {
    let probs = mix
        .probabilities()
        .expect("priority mix needs non-negative weights, not all zero");
    let mut rng = SeededRng::fork(seed, 5);
    (0..n)
        .map(|_| {
            let u = rng.unit_f64();
            let mut acc = 0.0;
            let mut priority = 3u8;
            for (i, p) in probs.iter().enumerate() {
                acc += p;
                if u < acc {
                    priority = i as u8;
                    break;
                }
            }
            TaskDesc {
                priority,
                cost: rng.range_inclusive(1, 100) as u32,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_frequencies_match_within_five_sigma() {
        let n = 20_000;
        let tasks = task_stream(n, PriorityMix::TYPICAL, 11);
        assert_eq!(tasks, task_stream(n, PriorityMix::TYPICAL, 11));
        let mut counts = [0usize; 4];
        for t in &tasks {
            counts[t.priority as usize] += 1;
            assert!((1..=100).contains(&t.cost));
        }
        for (i, p) in PriorityMix::TYPICAL.0.iter().enumerate() {
            let got = counts[i] as f64 / n as f64;
            let sigma = (p * (1.0 - p) / n as f64).sqrt();
            assert!((got - p).abs() < 5.0 * sigma, "lane {i}: {got} vs {p}");
        }
    }

    #[test]
    fn degenerate_mixes() {
        assert!(PriorityMix([0.0; 4]).probabilities().is_none());
        assert!(PriorityMix([1.0, -1.0, 0.0, 0.0]).probabilities().is_none());
        let only_low = task_stream(100, PriorityMix([0.0, 0.0, 0.0, 2.0]), 1);
        assert!(only_low.iter().all(|t| t.priority == 3));
    }
}
