//! Instruction counts compared with a baseline: a deterministic verdict per bench, with its own
//! threshold (`--ir-threshold`, default [`DEFAULT_THRESHOLD`](super::DEFAULT_THRESHOLD)).
//!
//! Counts repeat exactly between unchanged runs (docs/BENCHMARKS.md, "Instruction counts"), so
//! there is no interval: a bench regressed when its instructions per iteration grew by more than
//! the threshold, improved when they shrank by more. Unlike single-run wall-time comparisons,
//! a regression here fails the comparison.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::results::Bench;
use crate::stats::Change;

/// One counted bench against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountDelta {
    /// `suite/group/function/parameter`.
    pub id: String,
    /// Instructions per iteration, baseline and this run.
    pub base_instructions: f64,
    /// Instructions per iteration in this run.
    pub new_instructions: f64,
    /// Estimated cycles per iteration, baseline and this run (information; not a verdict).
    pub base_estimated_cycles: f64,
    /// Estimated cycles per iteration in this run.
    pub new_estimated_cycles: f64,
    /// Regressed, improved or unchanged at the threshold.
    pub change: Change,
    /// For a bench that regressed or improved: the functions whose cost changed most
    /// ([`explain`]); empty otherwise, or when a side's callgrind output is missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<super::functions::FunctionDelta>,
    /// Why a regressed or improved bench has no function table, when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions_missing: Option<String>,
    /// A differential of folded stacks, `stack before after` per line (instructions per
    /// iteration), for the flame graph of an explained bench; empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub folded_diff: String,
    /// Whether the functions were looked at (the bench changed, or `--explain` chose it): an
    /// explained bench with no rows had no function whose own cost changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explained: bool,
}

impl CountDelta {
    /// `new / base - 1` of instructions.
    pub fn relative(&self) -> f64 {
        self.new_instructions / self.base_instructions - 1.0
    }
}

/// Counts of this run against a baseline's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountComparison {
    /// Relative change of instructions flagged (0.01 = 1%).
    pub threshold: f64,
    /// One row per bench counted on both sides.
    pub deltas: Vec<CountDelta>,
    /// Benches counted on one side only (run without `--instructions`, or newly counted).
    pub only_in_baseline: Vec<String>,
    /// Benches counted in this run only.
    pub only_in_new: Vec<String>,
    /// What was counted when it is not the whole run against a baseline (`--against`: "the
    /// benches that regressed in wall time, side A vs side B").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl CountComparison {
    /// How many benches regressed.
    pub fn regressions(&self) -> usize {
        self.deltas
            .iter()
            .filter(|d| d.change == Change::Regressed)
            .count()
    }
}

/// Compares the counts of `new` with `base`; `None` when neither side has any.
pub fn compare(base: &[Bench], new: &[Bench], threshold: f64) -> Option<CountComparison> {
    let counted = |bs: &[Bench]| -> BTreeMap<String, (f64, f64)> {
        bs.iter()
            .filter_map(|b| {
                let c = b.counts.as_ref()?;
                Some((b.id.clone(), (c.instructions, c.estimated_cycles)))
            })
            .collect()
    };
    let (b, n) = (counted(base), counted(new));
    if b.is_empty() && n.is_empty() {
        return None;
    }
    let deltas = n
        .iter()
        .filter_map(|(id, &(ni, nc))| {
            let &(bi, bc) = b.get(id)?;
            let ratio = ni / bi;
            // Both sides are validated on load (`counts.instructions > 0`).
            let change = if ratio > 1.0 + threshold {
                Change::Regressed
            } else if ratio < 1.0 - threshold {
                Change::Improved
            } else {
                Change::Unchanged
            };
            Some(CountDelta {
                id: id.clone(),
                base_instructions: bi,
                new_instructions: ni,
                base_estimated_cycles: bc,
                new_estimated_cycles: nc,
                change,
                functions: Vec::new(),
                functions_missing: None,
                folded_diff: String::new(),
                explained: false,
            })
        })
        .collect();
    let only = |x: &BTreeMap<String, _>, y: &BTreeMap<String, _>| {
        x.keys().filter(|k| !y.contains_key(*k)).cloned().collect()
    };
    Some(CountComparison {
        threshold,
        deltas,
        only_in_baseline: only(&b, &n),
        only_in_new: only(&n, &b),
        scope: None,
    })
}

/// inferno's differential of two folded profiles (`stack before after` lines); empty if it fails
/// (the table stands without the graph).
fn folded_diff(before: &str, after: &str) -> String {
    let mut out = Vec::new();
    let opt = inferno::differential::Options::default();
    match inferno::differential::from_readers(opt, before.as_bytes(), after.as_bytes(), &mut out) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The callgrind output of bench `id` in a folder of outputs (`<run>/callgrind/`).
pub fn output_of(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{}.out", id.replace('/', "__")))
}

/// Attaches a function table to every bench of `c` that regressed or improved, and to those
/// `also` chooses by id (`--explain`), from the callgrind outputs in `base_dir` (the baseline's) and
/// `new_dir` (this run's); a bench whose outputs are missing gets the reason instead. `base` and
/// `new` give the iterations.
pub fn explain(
    c: &mut CountComparison,
    base_dir: Option<&Path>,
    new_dir: Option<&Path>,
    base: &[Bench],
    new: &[Bench],
    also: &dyn Fn(&str) -> bool,
) {
    let iterations = |bs: &[Bench], id: &str| {
        bs.iter()
            .find(|b| b.id == id)
            .and_then(|b| b.counts.as_ref())
            .map(|c| c.iterations)
    };
    let chosen = |d: &CountDelta| d.change != Change::Unchanged || also(&d.id);
    for d in c.deltas.iter_mut().filter(|d| chosen(d)) {
        d.explained = true;
        let side = |dir: Option<&Path>, which: &str| -> Result<_, String> {
            let dir = dir.ok_or_else(|| format!("the {which} kept no callgrind outputs"))?;
            let path = output_of(dir, &d.id);
            if !path.is_file() {
                return Err(format!(
                    "the {which}'s callgrind output {} is missing",
                    path.display()
                ));
            }
            super::functions::read(&path).map_err(|e| format!("{e:#}"))
        };
        match (
            side(base_dir, "baseline"),
            side(new_dir, "run"),
            iterations(base, &d.id),
            iterations(new, &d.id),
        ) {
            (Ok(b), Ok(n), Some(bi), Some(ni)) => {
                d.functions = super::functions::deltas(&b, bi, &n, ni);
                d.folded_diff = folded_diff(
                    &super::functions::folded(&b, bi),
                    &super::functions::folded(&n, ni),
                );
            }
            (Err(why), ..) | (_, Err(why), ..) => d.functions_missing = Some(why),
            _ => d.functions_missing = Some("a side has no iteration count".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instructions::Counts;
    use crate::results::Unit;
    use crate::testing::bench_fixture;

    fn counted(id: &str, instructions: f64) -> Bench {
        Bench {
            counts: Some(Counts {
                iterations: 100,
                instructions,
                estimated_cycles: instructions * 1.2,
                l1_hits: instructions,
                ll_hits: 0.0,
                ram_hits: 0.0,
            }),
            ..bench_fixture(id, 10.0, Unit::Ns)
        }
    }

    #[test]
    fn a_change_past_the_threshold_is_flagged_and_one_below_is_not() {
        let base = [counted("s/g/a/1", 1000.0), counted("s/g/b/1", 1000.0)];
        let new = [
            counted("s/g/a/1", 1011.0),
            counted("s/g/b/1", 1009.0),
            counted("s/g/c/1", 5.0),
        ];
        let c = compare(&base, &new, 0.01).unwrap();
        let by: BTreeMap<_, _> = c.deltas.iter().map(|d| (d.id.as_str(), d)).collect();
        assert_eq!(by["s/g/a/1"].change, Change::Regressed);
        assert!((by["s/g/a/1"].relative() - 0.011).abs() < 1e-12);
        assert_eq!(by["s/g/b/1"].change, Change::Unchanged);
        assert_eq!(c.regressions(), 1);
        assert_eq!(c.only_in_new, ["s/g/c/1"]);
        let faster = [counted("s/g/a/1", 980.0)];
        let c = compare(&base, &faster, 0.01).unwrap();
        assert_eq!(c.deltas[0].change, Change::Improved);
        assert_eq!(c.only_in_baseline, ["s/g/b/1"]);
    }

    #[test]
    fn identical_counts_are_unchanged_and_no_counts_is_no_comparison() {
        let a = [counted("s/g/a/1", 123_456.0)];
        let c = compare(&a, &a, 0.0).unwrap();
        assert_eq!(c.deltas[0].change, Change::Unchanged);
        let plain = [bench_fixture("s/g/a/1", 1.0, Unit::Ns)];
        assert_eq!(compare(&plain, &plain, 0.01), None);
    }

    #[test]
    fn changed_benches_get_a_function_table_from_both_sides_outputs() {
        let (base_dir, new_dir) = (
            crate::testing::temp_dir("explain-base"),
            crate::testing::temp_dir("explain-new"),
        );
        let out = |own: u64| {
            format!(
                "events: Ir\nfl=src/x.rs\nfn=x::hot\n3 {own}\ncfn=x::leaf\ncalls=1 9\n4 100\nfn=x::leaf\n9 100\n"
            )
        };
        // 100 iterations each side: x::hot goes from 9 000 to 10 100 own instructions.
        std::fs::write(output_of(&base_dir, "s/g/a/1"), out(9_000)).unwrap();
        std::fs::write(output_of(&new_dir, "s/g/a/1"), out(10_100)).unwrap();
        let base = [
            counted("s/g/a/1", 91.0),
            counted("s/g/b/1", 91.0),
            counted("s/g/c/1", 91.0),
        ];
        let new = [
            counted("s/g/a/1", 102.0),
            counted("s/g/b/1", 91.0),
            counted("s/g/c/1", 120.0),
        ];
        let mut c = compare(&base, &new, 0.01).unwrap();
        explain(
            &mut c,
            Some(&base_dir),
            Some(&new_dir),
            &base,
            &new,
            &|_| false,
        );
        let by: BTreeMap<_, _> = c.deltas.iter().map(|d| (d.id.as_str(), d)).collect();
        let a = by["s/g/a/1"];
        assert_eq!(a.functions.len(), 1, "{:?}", a.functions);
        assert_eq!(a.functions[0].function, "x::hot");
        assert_eq!(
            (a.functions[0].base_self, a.functions[0].new_self),
            (Some(90.0), Some(101.0))
        );
        assert_eq!(a.functions[0].at, "src/x.rs:3");
        // Unchanged: no table, no reason.
        assert!(!by["s/g/b/1"].explained && by["s/g/b/1"].functions_missing.is_none());
        // Changed but without outputs: the reason names the missing file.
        let why = by["s/g/c/1"].functions_missing.as_deref().unwrap();
        assert!(
            why.contains("s_g_c_1") || why.contains("s__g__c__1"),
            "{why}"
        );
        // A side with no outputs at all.
        let mut c = compare(&base, &new, 0.01).unwrap();
        explain(&mut c, None, Some(&new_dir), &base, &new, &|_| false);
        assert_eq!(
            c.deltas[0].functions_missing.as_deref(),
            Some("the baseline kept no callgrind outputs")
        );
        // --explain: an unchanged bench it chooses is looked at too (here nothing changed, so
        // its table is empty, and it has no missing-output reason).
        let explain_b = || {
            let mut c = compare(&base, &new, 0.01).unwrap();
            let only_b = |id: &str| id.contains("/b/");
            explain(
                &mut c,
                Some(&base_dir),
                Some(&new_dir),
                &base,
                &new,
                &only_b,
            );
            c.deltas.into_iter().find(|d| d.id == "s/g/b/1").unwrap()
        };
        std::fs::write(output_of(&base_dir, "s/g/b/1"), out(9_000)).unwrap();
        std::fs::write(output_of(&new_dir, "s/g/b/1"), out(9_000)).unwrap();
        let b = explain_b();
        assert!(b.explained && b.functions.is_empty() && b.functions_missing.is_none());
        // Without the files, the reason shows that it was looked at.
        std::fs::remove_file(output_of(&new_dir, "s/g/b/1")).unwrap();
        let b = explain_b();
        assert!(b.functions_missing.is_some(), "{b:?}");
    }
}
