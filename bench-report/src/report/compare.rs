//! A run compared with a baseline, bench by bench: the ratio of means with a 95% interval, and a
//! verdict. The interval's unit is recorded (`intervals_over`): whole-run means when both sides
//! were repeated (Welch), otherwise the per-iteration samples of single runs (bootstrap), which
//! cannot see drift between runs. A bench on both sides that cannot be compared is listed as
//! unusable and fails the comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::results::{Bench, Unit};
use crate::stats::{Change, RatioCi, ratio_ci, ratio_ci_runs, ratio_ci_signed_rank, verdict};
use crate::units::format;

/// One bench compared with a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub id: String,
    pub unit: Unit,
    pub base_mean: f64,
    pub new_mean: f64,
    /// `new / base` with its 95% interval: a Welch t-interval over run means or a bootstrap over
    /// samples, as the comparison's `intervals_over` says.
    pub ratio: RatioCi,
    /// Half-width of the interval: smaller changes cannot be told from noise here.
    pub min_detectable_change: f64,
    pub change: Change,
}

/// A comparison of this run with a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Baseline name or run id.
    pub baseline: String,
    /// Relative change below which nothing is flagged (0.05 = 5%).
    pub threshold: f64,
    /// What the intervals were computed over (`"intervals_over"` in JSON; reports written before
    /// the rename call it `"unit"`).
    #[serde(default, alias = "unit")]
    pub intervals_over: IntervalsOver,
    /// One row per bench compared.
    pub deltas: Vec<Delta>,
    /// Benches in both runs that could not be compared, and why (different units, a zero
    /// baseline, no usable interval). Each one fails the comparison: a bench that cannot be
    /// checked must not pass as "unchanged".
    #[serde(default)]
    pub unusable: Vec<Unusable>,
    /// Ids in only one of the two runs.
    pub only_in_baseline: Vec<String>,
    /// Ids in this run only.
    pub only_in_new: Vec<String>,
    /// Instruction counts against the baseline's, when either side has counts
    /// (`--instructions`). Deterministic, so a regression here always fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<crate::instructions::compare::CountComparison>,
    /// `--against`: selected benches that were not paired (`id: why`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unpaired: Vec<String>,
}

/// The unit a comparison's intervals are computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalsOver {
    /// Per-run means, both sides repeated (`--repeat`): Welch t-intervals that include
    /// between-run drift.
    Runs,
    /// Per-iteration samples of single runs: bootstrap intervals that cannot see between-run
    /// drift.
    #[default]
    Samples,
    /// Paired rounds (`--against REV`): each round a fresh process pair measured sample by
    /// sample in turn, so drift hits both sides; a signed-rank interval over the rounds'
    /// log-ratios ([`crate::stats::ratio_ci_signed_rank`]).
    Pairs,
}

/// A bench present on both sides that no verdict could be computed for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unusable {
    pub id: String,
    pub why: String,
}

impl Comparison {
    /// How many benches regressed.
    pub fn regressions(&self) -> usize {
        self.deltas
            .iter()
            .filter(|d| d.change == Change::Regressed)
            .count()
    }

    /// Whether the two sides share no bench while at least one has some: the comparison compared
    /// nothing, which must not read as "0 regressed" (it fails).
    pub fn nothing_in_common(&self) -> bool {
        self.deltas.is_empty()
            && self.unusable.is_empty()
            && (!self.only_in_baseline.is_empty() || !self.only_in_new.is_empty())
    }

    /// One sentence for [`Comparison::nothing_in_common`].
    pub fn nothing_in_common_message(&self) -> String {
        format!(
            "nothing compared: the baseline `{}` and this run have no bench in common ({} only in the baseline, {} only in this run); check --filter and --bench, or the baseline's name",
            self.baseline,
            self.only_in_baseline.len(),
            self.only_in_new.len()
        )
    }

    /// Whether the comparison fails: a bench that could not be compared, no bench in common, or a regression seen by
    /// intervals that include between-run drift (repeated runs on both sides). Regressions found
    /// by single runs are reported but never fail: two unchanged single runs on a shared VM
    /// differ by more than their within-run intervals show.
    pub fn failed(&self) -> bool {
        (self.intervals_over != IntervalsOver::Samples && self.regressions() > 0)
            || !self.unusable.is_empty()
            || self.nothing_in_common()
            || self
                .instructions
                .as_ref()
                .is_some_and(|c| c.regressions() > 0)
    }
}

/// The bootstrap's fixed seed: the same two runs always give the same report.
const BOOTSTRAP_SEED: u64 = 0x6767_656e_2d62_656e;

/// Compares `new` with `base`, bench by bench (same id and unit).
pub fn compare(base_name: &str, base: &[Bench], new: &[Bench], threshold: f64) -> Comparison {
    compare_with(base_name, base, new, threshold, false)
}

/// Compares two sides measured in pairs (`samples[k]` of each side from pair `k`).
pub fn compare_paired(
    base_name: &str,
    base: &[Bench],
    new: &[Bench],
    threshold: f64,
) -> Comparison {
    compare_with(base_name, base, new, threshold, true)
}

/// One bench's change from `b` (baseline) to `n`, or why it cannot be compared.
fn delta(id: &str, b: &Bench, n: &Bench, threshold: f64, paired: bool) -> Result<Delta, String> {
    if b.unit != n.unit {
        return Err(format!(
            "measures {:?} in the baseline but {:?} in this run",
            b.unit, n.unit
        ));
    }
    let all_zero = |x: &Bench| x.samples.iter().all(|v| *v == 0.0);
    if n.unit == Unit::Bytes && all_zero(b) && all_zero(n) {
        // Nothing allocated on either side: unchanged, exactly.
        let exact = RatioCi {
            point: 1.0,
            lower: 1.0,
            upper: 1.0,
        };
        return Ok(Delta {
            id: id.to_string(),
            unit: n.unit,
            base_mean: 0.0,
            new_mean: 0.0,
            min_detectable_change: 0.0,
            change: Change::Unchanged,
            ratio: exact,
        });
    }
    // With repeats on both sides the unit is a whole run (its mean), which carries the
    // between-run drift; otherwise the per-iteration samples of the single runs.
    let ci = if paired {
        ratio_ci_signed_rank(&b.samples, &n.samples)
    } else if b.run_means.len() >= 2 && n.run_means.len() >= 2 {
        ratio_ci_runs(&b.run_means, &n.run_means)
    } else {
        ratio_ci(&b.samples, &n.samples, 10_000, BOOTSTRAP_SEED)
    };
    match ci {
        Some(ci) => Ok(Delta {
            id: id.to_string(),
            unit: n.unit,
            base_mean: b.mean.point,
            new_mean: n.mean.point,
            min_detectable_change: ci.min_detectable_change(),
            change: verdict(&ci, threshold),
            ratio: ci,
        }),
        None => Err(format!(
            "no interval for the ratio (baseline mean {}, new mean {})",
            format(b.mean.point, b.unit),
            format(n.mean.point, n.unit)
        )),
    }
}

fn compare_with(
    base_name: &str,
    base: &[Bench],
    new: &[Bench],
    threshold: f64,
    paired: bool,
) -> Comparison {
    let base_by: BTreeMap<&str, &Bench> = base.iter().map(|b| (b.id.as_str(), b)).collect();
    let new_by: BTreeMap<&str, &Bench> = new.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut deltas = Vec::new();
    let mut unusable = Vec::new();
    for (id, n) in &new_by {
        let Some(b) = base_by.get(id) else { continue };
        match delta(id, b, n, threshold, paired) {
            Ok(d) => deltas.push(d),
            Err(why) => unusable.push(Unusable {
                id: id.to_string(),
                why,
            }),
        }
    }
    let repeated = |bs: &[Bench]| bs.iter().all(|b| b.run_means.len() >= 2) && !bs.is_empty();
    Comparison {
        instructions: None,
        unpaired: Vec::new(),
        baseline: base_name.to_owned(),
        threshold,
        intervals_over: if paired {
            IntervalsOver::Pairs
        } else if repeated(base) && repeated(new) {
            IntervalsOver::Runs
        } else {
            IntervalsOver::Samples
        },
        deltas,
        unusable,
        only_in_baseline: base_by
            .keys()
            .filter(|k| !new_by.contains_key(*k))
            .map(|k| k.to_string())
            .collect(),
        only_in_new: new_by
            .keys()
            .filter(|k| !base_by.contains_key(*k))
            .map(|k| k.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown_comparison;
    use crate::testing::sample_report;

    #[test]
    fn comparison_flags_a_real_shift_and_not_noise() {
        let r = sample_report();
        let mut slower = r.benches.clone();
        slower[0].samples = (0..10).map(|i| 115.0 + (i % 3) as f64).collect();
        slower[0].mean.point = 116.0;
        let c = compare("base", &r.benches, &slower, 0.05);
        assert_eq!(c.regressions(), 1);
        assert!(
            !c.failed(),
            "single runs report a regression but do not fail on it"
        );
        assert_eq!(c.deltas[0].change, Change::Regressed, "{:?}", c.deltas);
        assert_eq!(c.deltas[1].change, Change::Unchanged, "{:?}", c.deltas);
        let same = compare("base", &r.benches, &r.benches, 0.05);
        assert_eq!(same.regressions(), 0);
        // With repeats, whole-run means are compared: a shift the runs disagree on is noise.
        let mut base_r = r.benches.clone();
        let mut new_r = r.benches.clone();
        base_r[0].run_means = vec![100.0, 130.0, 95.0];
        new_r[0].run_means = vec![125.0, 98.0, 132.0];
        new_r[0].samples = vec![130.0; 10];
        let c = compare("base", &base_r, &new_r, 0.05);
        assert_eq!(c.deltas[0].change, Change::Unchanged, "{:?}", c.deltas[0]);
        new_r[0].run_means = vec![160.0, 161.0, 162.0];
        base_r[0].run_means = vec![100.0, 101.0, 102.0];
        assert_eq!(
            compare("base", &base_r, &new_r, 0.05).deltas[0].change,
            Change::Regressed
        );
        for b in base_r.iter_mut().chain(new_r.iter_mut()) {
            if b.run_means.is_empty() {
                b.run_means = vec![b.mean.point; 3];
            }
        }
        assert!(
            compare("base", &base_r, &new_r, 0.05).failed(),
            "a regression between repeated runs fails"
        );
        let fewer = compare("base", &r.benches, &r.benches[1..], 0.05);
        assert_eq!(fewer.only_in_baseline, vec!["s/det/indexed/10".to_string()]);
    }

    #[test]
    fn a_comparison_with_no_bench_in_common_fails_and_says_so() {
        let bench = |id: &str| crate::testing::bench_fixture(id, 10.0, crate::results::Unit::Ns);
        let base = vec![bench("s/scheduler/lanes/100")];
        let new = vec![bench("s/scheduler/heap/100")];
        let c = compare("base", &base, &new, 0.1);
        assert!(c.nothing_in_common());
        assert!(c.failed());
        assert_eq!(
            c.nothing_in_common_message(),
            "nothing compared: the baseline `base` and this run have no bench in common (1 only in the baseline, 1 only in this run); check --filter and --bench, or the baseline's name"
        );
        // Sharing one bench is a comparison; two empty runs compare nothing and fail nothing.
        let both = vec![base[0].clone(), new[0].clone()];
        assert!(!compare("base", &both, &new, 0.1).nothing_in_common());
        assert!(!compare("base", &[], &[], 0.1).failed());
    }

    #[test]
    fn intervals_over_reads_the_old_field_name() {
        let c = compare("base", &[], &[], 0.1);
        let mut v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["intervals_over"], "samples");
        let o = v.as_object_mut().unwrap();
        o.remove("intervals_over");
        o.insert("unit".into(), "runs".into());
        let back: Comparison = serde_json::from_value(v).unwrap();
        assert_eq!(back.intervals_over, IntervalsOver::Runs);
    }

    #[test]
    fn benches_that_cannot_be_compared_fail_the_comparison() {
        let r = sample_report();
        let mut other = r.benches.clone();
        other[0].unit = Unit::Bytes;
        let c = compare("base", &r.benches, &other, 0.05);
        assert!(c.failed(), "{c:?}");
        assert_eq!(c.unusable[0].id, "s/det/indexed/10");
        assert!(markdown_comparison(&c).contains("Could not be compared"));
        // A zero-byte baseline against an allocating run has no ratio: unusable, not unchanged.
        let (mut base, mut new) = (r.benches.clone(), r.benches.clone());
        base[2].samples = vec![0.0; 3];
        base[2].mean.point = 0.0;
        let c = compare("base", &base, &new, 0.05);
        assert!(c.failed() && c.unusable[0].id == "s/mem/global/1", "{c:?}");
        // Zero on both sides is exactly unchanged.
        new[2] = base[2].clone();
        let c = compare("base", &base, &new, 0.05);
        assert!(!c.failed(), "{c:?}");
        assert!(c.deltas.iter().any(|d| d.id == "s/mem/global/1"));
    }
}
