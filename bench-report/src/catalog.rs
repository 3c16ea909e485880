//! What the suites say about their benches before anything runs: every id (from each bench
//! binary's `--list`), and for each id its unit and whether it records per-operation latency (from
//! the side files the suites' setup code writes while listing), and which ones `--instructions`
//! counts (from each suite's plan). Budgets are validated against it,
//! so an entry that could only ever be NO_DATA or meaningless is an input error (exit 2) before
//! the first bench runs.

use std::collections::{BTreeMap, BTreeSet};

use crate::results::Unit;

/// The benches a workspace defines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// Every bench id, `suite/group/function/parameter`.
    pub ids: BTreeSet<String>,
    /// Benches whose numbers are not nanoseconds (a bench with no entry measures time).
    pub units: BTreeMap<String, Unit>,
    /// Benches that record per-operation latency percentiles.
    pub latency: BTreeSet<String>,
    /// Benches `--instructions` counts (from each suite's plan, `bench_format::harness`). Ask
    /// [`Catalog::single_threaded`] for the other meaning a plan's `counted` line carries.
    pub counted: BTreeSet<String>,
    /// Each Criterion suite's plan, read once while listing, by suite name.
    pub plans: BTreeMap<String, Vec<bench_format::harness::PlanLine>>,
}

impl Catalog {
    /// Whether bench `id` runs on one thread: a plan lists a bench as counted only if it is
    /// deterministic and single-threaded (`benches_common::harness`), so the counted set is
    /// also the single-threaded set. The paired claims put such a pair in one process on one
    /// CPU.
    pub fn single_threaded(&self, id: &str) -> bool {
        self.counted.contains(id)
    }

    /// A catalog of time benches without latency.
    #[cfg(test)]
    pub fn from_ids(ids: impl IntoIterator<Item = String>) -> Self {
        Self {
            ids: ids.into_iter().collect(),
            ..Self::default()
        }
    }

    /// What `id`'s numbers measure.
    pub fn unit(&self, id: &str) -> Unit {
        self.units.get(id).copied().unwrap_or(Unit::Ns)
    }
}
