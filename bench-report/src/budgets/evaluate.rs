//! Verdicts: each entry checked against one run's results, with what the run selected.

use std::collections::BTreeSet;

use super::{Budget, Check, Entry, Evaluation, Metric, PairedRatio, Pairing, Stat, Verdict};
use crate::results::Bench;
use crate::stats::{loglog_fit, ratio_ci_runs};
use crate::units::format;

/// Every entry SKIPPED, with `why`.
pub fn skip_all(entries: &[Entry], why: &str) -> Vec<Evaluation> {
    entries
        .iter()
        .map(|entry| Evaluation {
            entry: entry.clone(),
            verdict: Verdict::Skipped,
            detail: why.to_owned(),
            measured: None,
        })
        .collect()
}

/// Evaluates every entry without paired ratios (the tests' shorthand).
#[cfg(test)]
pub fn evaluate(
    entries: &[Entry],
    benches: &[Bench],
    known: &BTreeSet<String>,
    selected: &dyn Fn(&str) -> bool,
) -> Vec<Evaluation> {
    evaluate_with(entries, benches, known, selected, &[], 2)
}

/// Evaluates every entry. `selected(id)` says whether the run was meant to measure `id`; a
/// claim with a [`PairedRatio`] in `paired` is judged on it; an entry needing more CPUs than
/// `cpus` (the machine's) is SKIPPED with that reason.
pub fn evaluate_with(
    entries: &[Entry],
    benches: &[Bench],
    known: &BTreeSet<String>,
    selected: &dyn Fn(&str) -> bool,
    paired: &[PairedRatio],
    cpus: usize,
) -> Vec<Evaluation> {
    let find = |id: &str| benches.iter().find(|b| b.id == id);
    entries
        .iter()
        .map(|entry| {
            let ids = entry.ids(known);
            let chosen: Vec<&str> = ids.iter().copied().filter(|id| selected(id)).collect();
            let not_judged = skip_reason(entry, &ids, &chosen, cpus)
                .map(|detail| (Verdict::Skipped, detail))
                .or_else(|| {
                    no_data_reason(entry, &chosen, &find, paired)
                        .map(|d| unproven_envelope(entry, &find).unwrap_or((Verdict::NoData, d)))
                });
            match not_judged {
                Some((verdict, detail)) => Evaluation {
                    entry: entry.clone(),
                    verdict,
                    detail,
                    measured: None,
                },
                None => evaluate_one(entry, &find, &chosen, paired),
            }
        })
        .collect()
}

/// Why this run does not check `entry` (SKIPPED), if it does not: filtered out, too few CPUs,
/// one side of a claim left out, one point of a series.
fn skip_reason(entry: &Entry, ids: &[&str], chosen: &[&str], cpus: usize) -> Option<String> {
    let scaling = matches!(entry.check, Check::Scaling { .. });
    if chosen.is_empty() {
        return Some("filtered out of this run".into());
    }
    if let Some(need) = entry.cpus.filter(|&n| n > cpus) {
        return Some(format!(
            "needs {need} CPUs; this machine has {cpus}, so it cannot show what the claim is about"
        ));
    }
    // A claim needs both of its sides; a filter that keeps one side skips it (the run was not
    // meant to check it). A scaling series is fitted over its selected points.
    if !scaling && chosen.len() < ids.len() {
        let left_out: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !chosen.contains(id))
            .collect();
        return Some(format!(
            "partly filtered out of this run: {} not selected",
            left_out.join(", ")
        ));
    }
    if scaling && chosen.len() < 2 {
        return Some(format!(
            "only {} point of the series selected; a fit needs two",
            chosen.len()
        ));
    }
    None
}

/// Why a selected entry has no data to judge (NO_DATA), if so: a bench produced no result, or
/// a contended bench's samples are unproven (contenders not seen running, even after retakes,
/// so its mean is of something else) and the claim was not measured in turn on its own rounds.
fn no_data_reason<'a>(
    entry: &Entry,
    chosen: &[&str],
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    paired: &[PairedRatio],
) -> Option<String> {
    let missing: Vec<&str> = chosen
        .iter()
        .copied()
        .filter(|id| find(id).is_none())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "selected for this run, but no result was produced: missing {}",
            missing.join(", ")
        ));
    }
    let in_turn = paired.iter().any(|p| {
        chosen.contains(&p.numerator.as_str()) && chosen.contains(&p.denominator.as_str())
    });
    let unproven: Vec<String> = chosen
        .iter()
        .filter_map(|id| {
            let n = find(id)?.counters.get(UNPROVEN).copied().unwrap_or(0.0);
            (n > 0.0).then(|| format!("{id} ({n} samples)"))
        })
        .collect();
    (!unproven.is_empty() && !in_turn && !entry.deterministic()).then(|| {
        format!(
            "unproven samples: {}: their contenders were not seen running throughout, even after retakes, so the mean is not judged",
            unproven.join(", ")
        )
    })
}

/// The side-file counter a contended bench writes: samples still unproven after retakes.
pub const UNPROVEN: &str = "samples_unproven";

/// A budget on the mean or median of a bench some of whose samples are unproven: which ones is
/// not recorded, so the proven samples' mean is not known, but it lies within the range of all
/// the samples. When that whole range is on one side of the limit, so is the proven samples'
/// mean (or median), and the verdict is PASS or FAIL, saying so; otherwise `None` (NO_DATA).
/// No figure is recorded for it: the bench's mean has the unproven samples in it.
fn unproven_envelope<'a>(
    entry: &Entry,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
) -> Option<(Verdict, String)> {
    let Check::Budget(Budget {
        id,
        stat: stat @ (Stat::Mean | Stat::Median),
        max,
        unit,
    }) = &entry.check
    else {
        return None;
    };
    let b = find(id)?;
    let unproven = b.counters.get(UNPROVEN).copied().unwrap_or(0.0);
    if unproven <= 0.0 || b.unit != *unit || b.samples.is_empty() {
        return None;
    }
    let lo = b.samples.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = b.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (verdict, side) = if hi <= *max {
        (Verdict::Pass, "within")
    } else if lo > *max {
        (Verdict::Fail, "over")
    } else {
        return None;
    };
    Some((
        verdict,
        format!(
            "{unproven} of its {} samples unproven (contenders not seen running throughout, even after retakes), so the {} itself is not judged; every sample, proven or not, took {}–{} per iteration, all {side} the limit {}, so the {} of the proven ones is too",
            b.samples.len(),
            stat.name(),
            format(lo, b.unit),
            format(hi, b.unit),
            format(*max, *unit),
            stat.name(),
        ),
    ))
}

/// `mean(a) / mean(b)` and its 95% interval: a Welch interval over run means when both were
/// repeated (it sees drift between runs), else the ratio of the ends of Criterion's intervals
/// (conservative: widest ratio both intervals allow).
fn ratio_interval(a: &Bench, b: &Bench) -> (f64, f64, f64) {
    let point = a.mean.point / b.mean.point;
    if let Some(ci) = ratio_ci_runs(&b.run_means, &a.run_means) {
        return (point, ci.lower.min(point), ci.upper.max(point));
    }
    let lo = a.mean.lower / b.mean.upper.max(f64::MIN_POSITIVE);
    let hi = a.mean.upper / b.mean.lower.max(f64::MIN_POSITIVE);
    (point, lo.min(point), hi.max(point))
}

/// A series point: its id and its numeric parameter.
type Point<'a> = crate::claim::SeriesPoint<'a>;

/// The first and last point of a series (smallest and largest numeric parameter), with their
/// parameters.
pub(crate) fn series_ends<'a, 'b>(
    ids: &[&'a str],
    find: &dyn Fn(&str) -> Option<&'b Bench>,
) -> Option<(Point<'a>, Point<'a>)> {
    crate::claim::series_end_points(ids.iter().copied().filter(|id| find(id).is_some()))
}

/// A claim measured in turn whose every round was unproven (a contended bench whose
/// contenders were not seen running): NO_DATA, saying why.
fn all_rounds_invalid(paired: &[PairedRatio], num: &str, den: &str) -> Option<String> {
    paired
        .iter()
        .find(|p| p.numerator == num && p.denominator == den && p.pairs == 0 && p.invalid > 0)
        .map(|p| {
            format!(
                "all {} rounds measured in turn were unproven: a contended bench's contenders were not seen running throughout its samples (is another process using the CPUs?)",
                p.invalid
            )
        })
}

/// The paired ratio `num / den` and its interval, if the run measured one, with a note.
fn paired_interval(
    paired: &[PairedRatio],
    num: &str,
    den: &str,
) -> Option<(f64, f64, f64, String)> {
    paired
        .iter()
        .find(|p| {
            p.numerator == num && p.denominator == den && p.pairs > 0 && p.efficiency.is_none()
        })
        .map(|p| {
            (
                p.ratio.point,
                p.ratio.lower,
                p.ratio.upper,
                match p.how {
                    Pairing::OneProcess => format!("; paired in one process, {} pairs", p.pairs),
                    Pairing::FreshProcesses => {
                        format!(
                            "; in turn in fresh processes, {} rounds{}",
                            p.pairs,
                            p.unused_rounds_note()
                        )
                    }
                },
            )
        })
}

/// A mean claim's detail. From the run's separate means: "a vs b: ratio [lo, hi] (need ...)".
/// Measured in turn (`how` says how), the ratio leads and the separate means follow: they were
/// measured apart, and in a stretch where the machine slowed down they can disagree with it
/// (an example: docs/BENCHMARKS.md, "Claims that hold on any machine").
fn ratio_detail(means: [String; 2], [ratio, lo, hi]: [f64; 3], need: &str, how: &str) -> String {
    let [a, b] = means;
    if how.is_empty() {
        format!("{a} vs {b}: {ratio:.2}× [{lo:.2}, {hi:.2}] (need {need})")
    } else {
        format!(
            "{ratio:.2}× [{lo:.2}, {hi:.2}] in turn (need {need}{how}; separate means {a} vs {b})"
        )
    }
}

fn evaluate_one<'a>(
    entry: &Entry,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    ids: &[&str],
    paired: &[PairedRatio],
) -> Evaluation {
    let judged = match invalid_rounds(entry, paired) {
        Some(detail) => (Verdict::NoData, detail, None),
        None => judge(entry, find, ids, paired),
    };
    let (verdict, detail, measured) = judged;
    Evaluation {
        entry: entry.clone(),
        verdict,
        detail,
        measured,
    }
}

/// A verdict, what was measured in words, and the figure it was judged on.
type Judged = (Verdict, String, Option<f64>);

/// Why a claim measured in turn has no data: every round of its pair was unproven.
fn invalid_rounds(entry: &Entry, paired: &[PairedRatio]) -> Option<String> {
    match &entry.check {
        Check::Faster {
            fast,
            slow,
            on: Metric::Mean,
            ..
        } => all_rounds_invalid(paired, slow, fast),
        Check::Within {
            id,
            of,
            on: Metric::Mean,
            ..
        } => all_rounds_invalid(paired, id, of),
        Check::Efficiency {
            parallel, serial, ..
        } => all_rounds_invalid(paired, parallel, serial),
        _ => None,
    }
}

fn pass(ok: bool) -> Verdict {
    if ok { Verdict::Pass } else { Verdict::Fail }
}

fn uncounted(id: &str) -> Judged {
    (
        Verdict::Skipped,
        format!("{id} has no instruction count in this run (run with --instructions)"),
        None,
    )
}

/// Instructions per iteration of `id`, when the run counted it.
fn instructions<'a>(find: &dyn Fn(&str) -> Option<&'a Bench>, id: &str) -> Option<f64> {
    find(id)
        .and_then(|b| b.counts.as_ref())
        .map(|c| c.instructions)
}

/// A claim on two benches' counts: exact, so PASS or FAIL on the ratio `a / b` itself.
fn count_claim<'a>(
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    [a, b]: [&str; 2],
    good: &dyn Fn(f64) -> bool,
    need: String,
) -> Judged {
    match (instructions(find, a), instructions(find, b)) {
        (Some(x), Some(y)) => {
            let ratio = x / y;
            (
                pass(good(ratio)),
                format!("{x:.1} vs {y:.1} instructions: {ratio:.3}× (need {need})"),
                Some(ratio),
            )
        }
        (None, _) => uncounted(a),
        (_, None) => uncounted(b),
    }
}

/// A claim on two benches' means: the ratio `num / den` measured in turn when the run paired
/// them, else from the separate means; `shown` are the two benches in the order the detail
/// names them.
fn mean_claim<'a>(
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    paired: &[PairedRatio],
    [num, den]: [&str; 2],
    shown: [&str; 2],
    good: &dyn Fn(f64) -> bool,
    need: String,
) -> Judged {
    let (n, d) = (find(num).expect("present"), find(den).expect("present"));
    let (ratio, lo, hi, how) = paired_interval(paired, num, den).unwrap_or_else(|| {
        let (r, l, h) = ratio_interval(n, d);
        (r, l, h, String::new())
    });
    let mean = |id: &str| {
        let b = find(id).expect("present");
        format(b.mean.point, b.unit)
    };
    (
        Verdict::of_interval(lo, hi, good),
        ratio_detail(
            [mean(shown[0]), mean(shown[1])],
            [ratio, lo, hi],
            &need,
            &how,
        ),
        Some(ratio),
    )
}

/// A budget on a bench's mean, median or latency percentile.
fn budget<'a>(find: &dyn Fn(&str) -> Option<&'a Bench>, budget: &Budget) -> Judged {
    let Budget {
        id,
        stat,
        max,
        unit,
    } = budget;
    let b = find(id).expect("checked present");
    if b.unit != *unit {
        return (
            Verdict::Fail,
            format!(
                "{id} measures {:?}, but the budget is in {:?}",
                b.unit, unit
            ),
            None,
        );
    }
    let value = match stat {
        Stat::Mean => Some(b.mean.point),
        Stat::Median => Some(b.median.point),
        Stat::P50 => b.latency.map(|l| l.p50 as f64),
        Stat::P95 => b.latency.map(|l| l.p95 as f64),
        Stat::P99 => b.latency.map(|l| l.p99 as f64),
        Stat::Instructions => unreachable!("instruction budgets are judged on counts"),
    };
    // The mean has a 95% interval; a percentile or median is judged on its value.
    let (lo, hi) = match stat {
        Stat::Mean => (b.mean.lower, b.mean.upper),
        _ => value.map_or((0.0, 0.0), |v| (v, v)),
    };
    match value {
        Some(v) => (
            Verdict::of_interval(lo, hi, |x| x <= *max),
            format!(
                "{}: {}{} (limit {})",
                stat.name(),
                format(v, b.unit),
                if *stat == Stat::Mean {
                    format!(" [{}, {}]", format(lo, b.unit), format(hi, b.unit))
                } else {
                    String::new()
                },
                format(*max, *unit)
            ),
            Some(v),
        ),
        None => (
            Verdict::NoData,
            format!("{id} recorded no per-operation latency, so {stat:?} is unknown"),
            None,
        ),
    }
}

/// A scaling series: with its end points measured in turn (paired), the exponent between them
/// has an interval (PASS, FAIL or UNSURE like a claim; for parameters spaced evenly on a log
/// scale, 10, 100, 1000, it is also the least-squares slope over all points); otherwise the
/// log-log fit of the run's means, judged on its value.
fn scaling<'a>(
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    ids: &[&str],
    paired: &[PairedRatio],
    max_exponent: f64,
) -> Judged {
    let ends = series_ends(ids, find);
    let paired_k = ends.and_then(|((first, x0), (last, x1))| {
        let (r, lo, hi, how) = paired_interval(paired, last, first)?;
        let span = (x1 / x0).ln();
        Some((r.ln() / span, lo.ln() / span, hi.ln() / span, how))
    });
    if let Some((k, lo, hi, how)) = paired_k {
        return (
            Verdict::of_interval(lo, hi, |x| x <= max_exponent),
            format!(
                "exponent {k:.3} [{lo:.3}, {hi:.3}] between the end points (need ≤ {max_exponent}{how})"
            ),
            Some(k),
        );
    }
    let points: Vec<(f64, f64)> = ids
        .iter()
        .filter_map(|id| find(id))
        .filter_map(|b| b.parameter_value().map(|x| (x, b.mean.point)))
        .collect();
    match loglog_fit(&points) {
        Some((k, r2)) => (
            pass(k <= max_exponent),
            format!(
                "exponent {k:.3} over {} points (r² {r2:.3}; need ≤ {max_exponent})",
                points.len()
            ),
            Some(k),
        ),
        None => (
            Verdict::NoData,
            "fewer than two numeric points to fit".into(),
            None,
        ),
    }
}

/// The verdict of one entry whose data is there.
fn judge<'a>(
    entry: &Entry,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    ids: &[&str],
    paired: &[PairedRatio],
) -> Judged {
    match &entry.check {
        Check::Budget(b) if b.stat == Stat::Instructions => match instructions(find, &b.id) {
            Some(v) => (
                pass(v <= b.max),
                format!("instructions: {v:.1} per iteration (limit {})", b.max),
                Some(v),
            ),
            None => uncounted(&b.id),
        },
        Check::Budget(b) => budget(find, b),
        Check::Faster {
            fast,
            slow,
            factor,
            on: Metric::Instructions,
        } => count_claim(
            find,
            [slow, fast],
            &|r| r >= *factor,
            format!("≥ {factor}×"),
        ),
        Check::Within {
            id,
            of,
            factor,
            on: Metric::Instructions,
        } => count_claim(find, [id, of], &|r| r <= *factor, format!("≤ {factor}×")),
        Check::Faster {
            fast,
            slow,
            factor,
            on: Metric::Mean,
        } => mean_claim(
            find,
            paired,
            [slow, fast],
            [fast, slow],
            &|x| x >= *factor,
            format!("≥ {factor}×"),
        ),
        Check::Within {
            id,
            of,
            factor,
            on: Metric::Mean,
        } => mean_claim(
            find,
            paired,
            [id, of],
            [id, of],
            &|x| x <= *factor,
            format!("≤ {factor}×"),
        ),
        Check::Efficiency {
            parallel,
            serial,
            machine_parallel,
            machine_serial,
            at_least,
            shared_line_at_most,
        } => super::efficiency::judge(
            [parallel, serial, machine_parallel, machine_serial],
            *at_least,
            *shared_line_at_most,
            find,
            paired,
        ),
        Check::Scaling { max_exponent, .. } => scaling(find, ids, paired, *max_exponent),
    }
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "evaluate_unproven_tests.rs"]
mod unproven_tests;
