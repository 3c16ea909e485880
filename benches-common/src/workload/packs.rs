//! Ontology pack sets for hive benches.
//!
//! Construction (seeded): pack `i` is `pack{i:04}` in namespace `ns:pack{i}` with 4 classes and 2
//! properties of its own, and a version whose major is drawn from `0..version_spread` (minor and
//! patch from `0..10`). Dependencies form chains: pack `i` requires pack `i − 1` (with a caret
//! requirement its version satisfies) unless `i` is a multiple of `dep_depth + 1`, so chains are
//! `dep_depth` long. Conflicts: `round(conflict_rate · n / 2)` disjoint random pairs; the second
//! pack of a pair redefines the first pack's first class — a class collision. So the fraction of
//! packs in a conflict is within `1 / n` of `conflict_rate`.

use crate::rng::SeededRng;

/// A generated pack, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackDesc {
    /// `pack0000`, ...
    pub name: String,
    /// (major, minor, patch).
    pub version: (u64, u64, u64),
    /// `ns:pack{i}`.
    pub namespace: String,
    /// Class names.
    pub classes: Vec<String>,
    /// Property names.
    pub properties: Vec<String>,
    /// (pack name, semver requirement such as `^1.2`).
    pub requires: Vec<(String, String)>,
}

impl PackDesc {
    /// The pack as a JSON document in the format ggen reads packs in (`name`, `version` as a
    /// semver string, `namespace`, `classes`, `properties`, `requires` as name → requirement).
    /// The hive suite and `ggen gen packs` both build their packs from this one form.
    pub fn to_json(&self) -> serde_json::Value {
        let (major, minor, patch) = self.version;
        let requires: serde_json::Map<String, serde_json::Value> = self
            .requires
            .iter()
            .map(|(name, req)| (name.clone(), serde_json::Value::from(req.as_str())))
            .collect();
        serde_json::json!({
            "name": self.name,
            "version": format!("{major}.{minor}.{patch}"),
            "namespace": self.namespace,
            "classes": self.classes,
            "properties": self.properties,
            "requires": requires,
        })
    }
}

/// Parameters of a pack set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackSpec {
    /// Number of packs.
    pub n: usize,
    /// Target fraction of packs in a class collision, in `[0, 1]`.
    pub conflict_rate: f64,
    /// Length of requirement chains (0 = no requirements).
    pub dep_depth: usize,
    /// Majors are drawn from `0..version_spread` (at least 1).
    pub version_spread: u64,
    /// RNG seed.
    pub seed: u64,
}

impl PackSpec {
    /// `n` packs, 10% conflicts, chains of 3, majors 1..=3.
    pub fn new(n: usize, seed: u64) -> Self {
        Self {
            n,
            conflict_rate: 0.10,
            dep_depth: 3,
            version_spread: 3,
            seed,
        }
    }
}

/// Generates the pack set (see the module docs).
///
/// # Panics
/// If `conflict_rate` is outside `[0, 1]`.
pub fn generate(spec: &PackSpec) -> Vec<PackDesc> {
    assert!(
        (0.0..=1.0).contains(&spec.conflict_rate),
        "conflict_rate {} not in [0, 1]",
        spec.conflict_rate
    );
    let mut rng = SeededRng::fork(spec.seed, 8);
    let mut pair_rng = SeededRng::fork(spec.seed, 9);
    let mut packs: Vec<PackDesc> = Vec::with_capacity(spec.n);
    for i in 0..spec.n {
        let version = (
            1 + rng.below(spec.version_spread.max(1)),
            rng.below(10),
            rng.below(10),
        );
        let mut requires = Vec::new();
        if i > 0 && spec.dep_depth > 0 && i % (spec.dep_depth + 1) != 0 {
            let (maj, min, _) = packs[i - 1].version;
            requires.push((packs[i - 1].name.clone(), format!("^{maj}.{min}")));
        }
        packs.push(PackDesc {
            name: format!("pack{i:04}"),
            version,
            namespace: format!("ns:pack{i}"),
            classes: (0..4).map(|j| format!("C{i}_{j}")).collect(),
            properties: (0..2).map(|j| format!("p{i}_{j}")).collect(),
            requires,
        });
    }
    let pairs = ((spec.conflict_rate * spec.n as f64) / 2.0).round() as usize;
    let chosen = pair_rng.distinct(spec.n, (pairs * 2).min(spec.n - spec.n % 2));
    for pair in chosen.chunks_exact(2) {
        let shared = packs[pair[0]].classes[0].clone();
        packs[pair[1]].classes[0] = shared;
    }
    packs
}

/// Fraction of packs whose classes collide with another pack's: an independent check.
pub fn measured_conflict_rate(packs: &[PackDesc]) -> f64 {
    use std::collections::HashMap;
    if packs.is_empty() {
        return 0.0;
    }
    let mut owners: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in packs.iter().enumerate() {
        for c in &p.classes {
            owners.entry(c).or_default().push(i);
        }
    }
    let mut involved = vec![false; packs.len()];
    for o in owners.values().filter(|o| o.len() > 1) {
        for &i in o {
            involved[i] = true;
        }
    }
    involved.iter().filter(|&&b| b).count() as f64 / packs.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_conflict_rate_within_one_over_n() {
        for (n, rate) in [(10, 0.2), (100, 0.1), (1000, 0.3), (999, 0.0), (50, 1.0)] {
            let spec = PackSpec {
                conflict_rate: rate,
                ..PackSpec::new(n, 3)
            };
            let packs = generate(&spec);
            assert_eq!(packs, generate(&spec));
            let got = measured_conflict_rate(&packs);
            assert!(
                (got - rate).abs() <= 1.0 / n as f64 + 1e-12,
                "n={n} rate={rate} got={got}"
            );
        }
    }

    #[test]
    fn chains_and_versions_follow_the_spec() {
        let spec = PackSpec {
            n: 40,
            conflict_rate: 0.0,
            dep_depth: 3,
            version_spread: 2,
            seed: 1,
        };
        let packs = generate(&spec);
        for (i, p) in packs.iter().enumerate() {
            assert!((1..=2).contains(&p.version.0));
            if i % 4 == 0 {
                assert!(p.requires.is_empty(), "{i}");
            } else {
                let (maj, min, _) = packs[i - 1].version;
                assert_eq!(
                    p.requires,
                    vec![(packs[i - 1].name.clone(), format!("^{maj}.{min}"))]
                );
            }
        }
        let flat = generate(&PackSpec {
            dep_depth: 0,
            ..spec
        });
        assert!(flat.iter().all(|p| p.requires.is_empty()));
    }
}
