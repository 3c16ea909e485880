//! DAG workloads for pipeline benches: stages in levels, edges only to the previous level, uneven
//! per-stage costs.
//!
//! Construction (seeded): stage `i` sits in level `i / width`, so there are `ceil(stages / width)`
//! levels. Every stage after the first level depends on between 1 and `fan_in` distinct stages of
//! the level before it (uniformly many, uniformly chosen). Costs are drawn from `{1, 1, 2, 4, 8}`
//! units, so a level's stages finish at different times — the case where starting each stage as
//! soon as its own dependencies finish beats waiting for the whole level.

use crate::rng::SeededRng;

/// One stage of a generated DAG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDesc {
    /// `s000`, `s001`, ...
    pub name: String,
    /// Indices of the stages it depends on (all smaller than its own index).
    pub deps: Vec<usize>,
    /// Relative work, in units (1..=8).
    pub cost: u32,
}

/// Parameters of a generated DAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DagSpec {
    /// Number of stages (at least 1).
    pub stages: usize,
    /// Stages per level (at least 1).
    pub width: usize,
    /// Maximum dependencies per stage (at least 1).
    pub fan_in: usize,
    /// RNG seed.
    pub seed: u64,
}

/// Generates the DAG (see the module docs).
///
/// # Panics
/// If `stages`, `width` or `fan_in` is 0.
pub fn generate(spec: &DagSpec) -> Vec<StageDesc> {
    assert!(
        spec.stages > 0 && spec.width > 0 && spec.fan_in > 0,
        "DagSpec fields must be positive: {spec:?}"
    );
    let mut rng = SeededRng::fork(spec.seed, 6);
    const COSTS: [u32; 5] = [1, 1, 2, 4, 8];
    (0..spec.stages)
        .map(|i| {
            let level = i / spec.width;
            let deps = if level == 0 {
                Vec::new()
            } else {
                let prev_start = (level - 1) * spec.width;
                let prev_len = spec.width;
                let k = 1 + rng.index(spec.fan_in.min(prev_len));
                let mut d: Vec<usize> = rng
                    .distinct(prev_len, k)
                    .into_iter()
                    .map(|j| prev_start + j)
                    .collect();
                d.sort_unstable();
                d
            };
            StageDesc {
                name: format!("s{i:03}"),
                deps,
                cost: COSTS[rng.index(COSTS.len())],
            }
        })
        .collect()
}

/// The realistic 6-stage generate pipeline: parse → analyze → {generate code, generate tests} →
/// validate → package, with costs reflecting that generation dominates.
pub fn generate_pipeline() -> Vec<StageDesc> {
    let s = |name: &str, deps: &[usize], cost| StageDesc {
        name: name.into(),
        deps: deps.to_vec(),
        cost,
    };
    vec![
        s("parse", &[], 1),
        s("analyze", &[0], 2),
        s("generate_code", &[1], 8),
        s("generate_tests", &[1], 4),
        s("validate", &[2, 3], 2),
        s("package", &[4], 1),
    ]
}

/// A deterministic text payload of `len` bytes (lowercase words separated by spaces).
pub fn payload(len: usize, seed: u64) -> String {
    let mut rng = SeededRng::fork(seed, 7);
    let mut s = String::with_capacity(len + 8);
    while s.len() < len {
        let word_len = 2 + rng.index(7);
        for _ in 0..word_len {
            s.push((b'a' + rng.below(26) as u8) as char);
        }
        s.push(' ');
    }
    s.truncate(len);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dags_are_acyclic_layered_and_deterministic() {
        let spec = DagSpec {
            stages: 96,
            width: 8,
            fan_in: 3,
            seed: 4,
        };
        let dag = generate(&spec);
        assert_eq!(dag, generate(&spec));
        assert_eq!(dag.len(), 96);
        for (i, s) in dag.iter().enumerate() {
            let level = i / 8;
            if level == 0 {
                assert!(s.deps.is_empty());
            } else {
                assert!((1..=3).contains(&s.deps.len()), "{s:?}");
                assert!(
                    s.deps.iter().all(|&d| d / 8 == level - 1),
                    "edges go to the previous level: {s:?}"
                );
                assert!(s.deps.windows(2).all(|w| w[0] < w[1]), "distinct, sorted");
            }
            assert!((1..=8).contains(&s.cost));
        }
        let costs: std::collections::BTreeSet<u32> = dag.iter().map(|s| s.cost).collect();
        assert!(costs.len() >= 3, "costs should be uneven: {costs:?}");
        assert_ne!(dag, generate(&DagSpec { seed: 5, ..spec }));
    }

    #[test]
    fn generate_pipeline_is_the_documented_shape() {
        let p = generate_pipeline();
        assert_eq!(p.len(), 6);
        assert_eq!(p[4].deps, vec![2, 3]);
        assert!(
            p.iter()
                .enumerate()
                .all(|(i, s)| s.deps.iter().all(|&d| d < i))
        );
    }

    #[test]
    fn payloads_have_the_requested_length() {
        for len in [0, 1, 100, 4096] {
            let p = payload(len, 1);
            assert_eq!(p.len(), len);
            assert!(p.bytes().all(|b| b == b' ' || b.is_ascii_lowercase()));
        }
        assert_eq!(payload(64, 1), payload(64, 1));
    }
}
