//! Proposal batches for conflict detection and aggregation benches.
//!
//! # What "conflict rate" means
//!
//! The fraction of proposals that conflict with at least one other proposal of the batch. The
//! generator builds that exactly (up to rounding to an even count):
//!
//! 1. Every proposal gets `keys_per_proposal` keys, all distinct across the whole batch (drawn
//!    without replacement from `0..key_space`), the first half (rounded down, at least one key
//!    stays a write) as reads and the rest as writes. With disjoint keys, nothing conflicts yet.
//! 2. `round(conflict_rate · n / 2)` disjoint pairs of proposals are chosen at random; in each pair
//!    the second proposal's first read key (or, if it has no reads, an extra read) is replaced by
//!    the first proposal's first write key. A read-write overlap conflicts whatever the kinds, so
//!    each paired proposal conflicts with exactly its partner and nothing else.
//! 3. A `commutative_share` fraction of proposals (chosen independently) become commutative
//!    `Add(delta)`; the rest exclusive.
//!
//! So the measured rate is `2 · round(conflict_rate · n / 2) / n`: within `1 / n` of the target.

use crate::rng::SeededRng;

/// How a generated proposal writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindDesc {
    /// Overwrites its keys.
    Exclusive,
    /// Adds `delta` to each write key.
    CommutativeAdd(i64),
}

/// A generated proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalDesc {
    /// Unique id (the proposal's index).
    pub id: u64,
    /// Proposing agent (`id % 64`).
    pub agent: u32,
    /// Keys read.
    pub reads: Vec<u64>,
    /// Keys written (at least one).
    pub writes: Vec<u64>,
    /// How it writes.
    pub kind: KindDesc,
}

/// Parameters of a proposal batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProposalSpec {
    /// Proposals in the batch.
    pub n: usize,
    /// Keys are drawn from `0..key_space`; must be at least `n * keys_per_proposal`.
    pub key_space: u64,
    /// Keys per proposal (at least 1).
    pub keys_per_proposal: usize,
    /// Target fraction of proposals in a conflict, in `[0, 1]`.
    pub conflict_rate: f64,
    /// Fraction of commutative proposals, in `[0, 1]`.
    pub commutative_share: f64,
    /// RNG seed.
    pub seed: u64,
}

impl ProposalSpec {
    /// A batch of `n` proposals with 4 keys each, a key space of `8 · n · 4`, a 10% conflict rate
    /// and 25% commutative proposals.
    pub fn new(n: usize, seed: u64) -> Self {
        Self {
            n,
            key_space: (n as u64 * 4 * 8).max(64),
            keys_per_proposal: 4,
            conflict_rate: 0.10,
            commutative_share: 0.25,
            seed,
        }
    }
}

/// A spec that cannot be generated.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid proposal spec: {}", self.0)
    }
}

impl std::error::Error for SpecError {}

/// Generates a batch (see the module docs for the construction).
pub fn generate(spec: &ProposalSpec) -> Result<Vec<ProposalDesc>, SpecError> {
    let k = spec.keys_per_proposal;
    if k == 0 {
        return Err(SpecError("keys_per_proposal must be at least 1".into()));
    }
    let needed = spec.n as u64 * k as u64;
    if spec.key_space < needed {
        return Err(SpecError(format!(
            "key_space {} is smaller than n * keys_per_proposal = {needed}",
            spec.key_space
        )));
    }
    for (name, v) in [
        ("conflict_rate", spec.conflict_rate),
        ("commutative_share", spec.commutative_share),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(SpecError(format!("{name} {v} is not in [0, 1]")));
        }
    }
    let mut keys_rng = SeededRng::fork(spec.seed, 1);
    let mut pair_rng = SeededRng::fork(spec.seed, 2);
    let mut kind_rng = SeededRng::fork(spec.seed, 3);

    let keys = distinct_keys(&mut keys_rng, spec.key_space, needed as usize);
    let reads_per = (k / 2).min(k - 1);
    let mut out: Vec<ProposalDesc> = (0..spec.n)
        .map(|i| {
            let mine = &keys[i * k..(i + 1) * k];
            let kind = if kind_rng.chance(spec.commutative_share) {
                KindDesc::CommutativeAdd(kind_rng.range_inclusive(1, 9) as i64)
            } else {
                KindDesc::Exclusive
            };
            ProposalDesc {
                id: i as u64,
                agent: (i % 64) as u32,
                reads: mine[..reads_per].to_vec(),
                writes: mine[reads_per..].to_vec(),
                kind,
            }
        })
        .collect();

    let pairs = ((spec.conflict_rate * spec.n as f64) / 2.0).round() as usize;
    let chosen = pair_rng.distinct(spec.n, (pairs * 2).min(spec.n - spec.n % 2));
    for pair in chosen.chunks_exact(2) {
        let shared = out[pair[0]].writes[0];
        let b = &mut out[pair[1]];
        match b.reads.first_mut() {
            Some(r) => *r = shared,
            None => b.reads.push(shared),
        }
    }
    Ok(out)
}

/// `count` distinct keys from `0..space`: a random subset when the space is small enough to
/// shuffle cheaply, otherwise rejection-free striding over a random permutation of blocks.
fn distinct_keys(rng: &mut SeededRng, space: u64, count: usize) -> Vec<u64> {
    if space <= 4 * count as u64 + 1024 {
        let mut all: Vec<u64> = (0..space).collect();
        rng.shuffle(&mut all);
        all.truncate(count);
        all
    } else {
        rng.distinct(space as usize, count)
            .into_iter()
            .map(|k| k as u64)
            .collect()
    }
}

/// Fraction of proposals that share a key with another where at least one of the two writes it:
/// an independent check of the generator (it does not know about commutative exceptions, which
/// the construction never relies on).
pub fn measured_conflict_rate(batch: &[ProposalDesc]) -> f64 {
    use std::collections::HashMap;
    if batch.is_empty() {
        return 0.0;
    }
    let mut by_key: HashMap<u64, Vec<(usize, bool)>> = HashMap::new();
    for (i, p) in batch.iter().enumerate() {
        for &r in &p.reads {
            by_key.entry(r).or_default().push((i, false));
        }
        for &w in &p.writes {
            by_key.entry(w).or_default().push((i, true));
        }
    }
    let mut involved = vec![false; batch.len()];
    for touches in by_key.values() {
        for (x, &(i, wi)) in touches.iter().enumerate() {
            for &(j, wj) in &touches[x + 1..] {
                if i != j && (wi || wj) {
                    involved[i] = true;
                    involved[j] = true;
                }
            }
        }
    }
    involved.iter().filter(|&&b| b).count() as f64 / batch.len() as f64
}

/// `n` commutative updates `(key, delta)` on a small hot key space, for aggregation benches.
pub fn commutative_updates(n: usize, key_space: u64, seed: u64) -> Vec<(u64, i64)> {
    let mut rng = SeededRng::fork(seed, 4);
    (0..n)
        .map(|_| {
            (
                rng.below(key_space.max(1)),
                rng.range_inclusive(1, 9) as i64,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_batch() {
        let spec = ProposalSpec::new(500, 7);
        assert_eq!(generate(&spec).unwrap(), generate(&spec).unwrap());
        let other = ProposalSpec { seed: 8, ..spec };
        assert_ne!(generate(&spec).unwrap(), generate(&other).unwrap());
    }

    #[test]
    fn conflict_rate_matches_the_target_within_one_over_n() {
        for (n, rate) in [
            (100, 0.1),
            (1000, 0.0),
            (1000, 0.25),
            (999, 0.5),
            (200, 1.0),
        ] {
            let spec = ProposalSpec {
                conflict_rate: rate,
                ..ProposalSpec::new(n, 3)
            };
            let batch = generate(&spec).unwrap();
            assert_eq!(batch.len(), n);
            let got = measured_conflict_rate(&batch);
            assert!(
                (got - rate).abs() <= 1.0 / n as f64 + 1e-12,
                "n={n} rate={rate} got={got}"
            );
        }
    }

    #[test]
    fn shape_and_commutative_share() {
        let spec = ProposalSpec {
            commutative_share: 0.3,
            ..ProposalSpec::new(4000, 5)
        };
        let batch = generate(&spec).unwrap();
        assert!(
            batch
                .iter()
                .all(|p| !p.writes.is_empty() && p.reads.len() + p.writes.len() == 4)
        );
        assert!(
            batch
                .iter()
                .flat_map(|p| p.reads.iter().chain(&p.writes))
                .all(|&k| k < spec.key_space)
        );
        let share = batch
            .iter()
            .filter(|p| matches!(p.kind, KindDesc::CommutativeAdd(_)))
            .count() as f64
            / 4000.0;
        // Binomial(4000, 0.3): standard deviation ~0.0072; allow 5 sigma.
        assert!((share - 0.3).abs() < 0.04, "{share}");
    }

    #[test]
    fn invalid_specs_are_rejected_with_the_field_named() {
        let base = ProposalSpec::new(10, 1);
        let e = generate(&ProposalSpec {
            key_space: 5,
            ..base
        })
        .unwrap_err();
        assert!(e.to_string().contains("key_space 5"), "{e}");
        let e = generate(&ProposalSpec {
            conflict_rate: 1.5,
            ..base
        })
        .unwrap_err();
        assert!(e.to_string().contains("conflict_rate"), "{e}");
        let e = generate(&ProposalSpec {
            keys_per_proposal: 0,
            ..base
        })
        .unwrap_err();
        assert!(e.to_string().contains("keys_per_proposal"), "{e}");
        let one_key = generate(&ProposalSpec {
            keys_per_proposal: 1,
            conflict_rate: 1.0,
            ..base
        })
        .unwrap();
        assert!((measured_conflict_rate(&one_key) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn commutative_updates_are_deterministic_and_in_range() {
        let a = commutative_updates(1000, 16, 2);
        assert_eq!(a, commutative_updates(1000, 16, 2));
        assert!(a.iter().all(|&(k, d)| k < 16 && (1..=9).contains(&d)));
    }
}
