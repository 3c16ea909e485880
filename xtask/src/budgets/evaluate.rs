//! Verdicts: each entry checked against one run's results, with what the run selected.

use std::collections::BTreeSet;

use super::{Budget, Check, Entry, Evaluation, Metric, PairedRatio, Stat, Verdict};
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
    evaluate_with(entries, benches, known, selected, &[])
}

/// Evaluates every entry. `selected(id)` says whether the run was meant to measure `id`; a
/// claim with a [`PairedRatio`] in `paired` is judged on it.
pub fn evaluate_with(
    entries: &[Entry],
    benches: &[Bench],
    known: &BTreeSet<String>,
    selected: &dyn Fn(&str) -> bool,
    paired: &[PairedRatio],
) -> Vec<Evaluation> {
    let find = |id: &str| benches.iter().find(|b| b.id == id);
    entries
        .iter()
        .map(|entry| {
            let ids = entry.ids(known);
            let skipped = |detail: String| Evaluation {
                entry: entry.clone(),
                verdict: Verdict::Skipped,
                detail,
                measured: None,
            };
            let chosen: Vec<&str> = ids.iter().copied().filter(|id| selected(id)).collect();
            let scaling = matches!(entry.check, Check::Scaling { .. });
            if chosen.is_empty() {
                return skipped("filtered out of this run".into());
            }
            // A claim needs both of its sides; a filter that keeps one side skips it (the run
            // was not meant to check it). A scaling series is fitted over its selected points.
            if !scaling && chosen.len() < ids.len() {
                let left_out: Vec<&str> = ids.iter().copied().filter(|id| !selected(id)).collect();
                return skipped(format!(
                    "partly filtered out of this run: {} not selected",
                    left_out.join(", ")
                ));
            }
            if scaling && chosen.len() < 2 {
                return skipped(format!(
                    "only {} point of the series selected; a fit needs two",
                    chosen.len()
                ));
            }
            let missing: Vec<&str> = chosen
                .iter()
                .copied()
                .filter(|id| find(id).is_none())
                .collect();
            if !missing.is_empty() {
                return Evaluation {
                    entry: entry.clone(),
                    verdict: Verdict::NoData,
                    detail: format!(
                        "selected for this run, but no result was produced: missing {}",
                        missing.join(", ")
                    ),
                    measured: None,
                };
            }
            evaluate_one(entry, &find, &chosen, paired)
        })
        .collect()
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
type Point<'a> = (&'a str, f64);

/// The first and last point of a series (smallest and largest numeric parameter), with their
/// parameters.
pub(crate) fn series_ends<'a, 'b>(
    ids: &[&'a str],
    find: &dyn Fn(&str) -> Option<&'b Bench>,
) -> Option<(Point<'a>, Point<'a>)> {
    let mut pts: Vec<(&str, f64)> = ids
        .iter()
        .filter_map(|id| Some((*id, find(id)?.parameter_value()?)))
        .collect();
    pts.sort_by(|a, b| a.1.total_cmp(&b.1));
    match (pts.first(), pts.last()) {
        (Some(&a), Some(&b)) if b.1 > a.1 => Some((a, b)),
        _ => None,
    }
}

/// The paired ratio `num / den` and its interval, if the run measured one, with a note.
fn paired_interval(
    paired: &[PairedRatio],
    num: &str,
    den: &str,
) -> Option<(f64, f64, f64, String)> {
    paired
        .iter()
        .find(|p| p.numerator == num && p.denominator == den)
        .map(|p| {
            (
                p.ratio.point,
                p.ratio.lower,
                p.ratio.upper,
                format!("; paired in one process, {} pairs", p.pairs),
            )
        })
}

fn evaluate_one<'a>(
    entry: &Entry,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    ids: &[&str],
    paired: &[PairedRatio],
) -> Evaluation {
    let pass = |ok: bool| if ok { Verdict::Pass } else { Verdict::Fail };
    let uncounted = |id: &str| {
        (
            Verdict::Skipped,
            format!("{id} has no instruction count in this run (run with --instructions)"),
            None,
        )
    };
    let ir = |id: &str| {
        find(id)
            .and_then(|b| b.counts.as_ref())
            .map(|c| c.instructions)
    };
    // Counts are exact: a claim on them is PASS or FAIL on the ratio itself.
    let count_claim =
        |a: &str, b: &str, good: &dyn Fn(f64) -> bool, need: String| match (ir(a), ir(b)) {
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
        };
    let (verdict, detail, measured) = match &entry.check {
        Check::Budget(Budget {
            id,
            stat: Stat::Instructions,
            max,
            ..
        }) => match ir(id) {
            Some(v) => (
                pass(v <= *max),
                format!("instructions: {v:.1} per iteration (limit {max})"),
                Some(v),
            ),
            None => uncounted(id),
        },
        Check::Faster {
            fast,
            slow,
            factor,
            on: Metric::Instructions,
        } => count_claim(slow, fast, &|r| r >= *factor, format!("≥ {factor}×")),
        Check::Within {
            id,
            of,
            factor,
            on: Metric::Instructions,
        } => count_claim(id, of, &|r| r <= *factor, format!("≤ {factor}×")),
        Check::Budget(Budget {
            id,
            stat,
            max,
            unit,
        }) => {
            let b = find(id).expect("checked present");
            if b.unit != *unit {
                (
                    Verdict::Fail,
                    format!(
                        "{id} measures {:?}, but the budget is in {:?}",
                        b.unit, unit
                    ),
                    None,
                )
            } else {
                let value = match stat {
                    Stat::Mean => Some(b.mean.point),
                    Stat::Median => Some(b.median.point),
                    Stat::P50 => b.latency.map(|l| l.p50 as f64),
                    Stat::P95 => b.latency.map(|l| l.p95 as f64),
                    Stat::P99 => b.latency.map(|l| l.p99 as f64),
                    Stat::Instructions => unreachable!("matched above"),
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
        }
        Check::Faster {
            fast,
            slow,
            factor,
            on: Metric::Mean,
        } => {
            let (f, s) = (find(fast).expect("present"), find(slow).expect("present"));
            let (ratio, lo, hi, how) = paired_interval(paired, slow, fast).unwrap_or_else(|| {
                let (r, l, h) = ratio_interval(s, f);
                (r, l, h, String::new())
            });
            (
                Verdict::of_interval(lo, hi, |x| x >= *factor),
                format!(
                    "{} vs {}: {ratio:.2}× [{lo:.2}, {hi:.2}] (need ≥ {factor}×{how})",
                    format(f.mean.point, f.unit),
                    format(s.mean.point, s.unit)
                ),
                Some(ratio),
            )
        }
        Check::Within {
            id,
            of,
            factor,
            on: Metric::Mean,
        } => {
            let (a, b) = (find(id).expect("present"), find(of).expect("present"));
            let (ratio, lo, hi, how) = paired_interval(paired, id, of).unwrap_or_else(|| {
                let (r, l, h) = ratio_interval(a, b);
                (r, l, h, String::new())
            });
            (
                Verdict::of_interval(lo, hi, |x| x <= *factor),
                format!(
                    "{} vs {}: {ratio:.2}× [{lo:.2}, {hi:.2}] (need ≤ {factor}×{how})",
                    format(a.mean.point, a.unit),
                    format(b.mean.point, b.unit)
                ),
                Some(ratio),
            )
        }
        Check::Scaling { max_exponent, .. } => {
            let points: Vec<(f64, f64)> = ids
                .iter()
                .filter_map(|id| find(id))
                .filter_map(|b| b.parameter_value().map(|x| (x, b.mean.point)))
                .collect();
            // With the series' end points measured in turn (paired), the exponent between them
            // has an interval: PASS, FAIL or UNSURE like a claim. For parameters spaced evenly
            // on a log scale (10, 100, 1000) it is also the least-squares slope over all points.
            let ends = series_ends(ids, find);
            let paired_k = ends.and_then(|((first, x0), (last, x1))| {
                let (r, lo, hi, how) = paired_interval(paired, last, first)?;
                let span = (x1 / x0).ln();
                Some((r.ln() / span, lo.ln() / span, hi.ln() / span, how))
            });
            if let Some((k, lo, hi, how)) = paired_k {
                return Evaluation {
                    entry: entry.clone(),
                    verdict: Verdict::of_interval(lo, hi, |x| x <= *max_exponent),
                    detail: format!(
                        "exponent {k:.3} [{lo:.3}, {hi:.3}] between the end points (need ≤ {max_exponent}{how})"
                    ),
                    measured: Some(k),
                };
            }
            match loglog_fit(&points) {
                Some((k, r2)) => (
                    pass(k <= *max_exponent),
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
    };
    Evaluation {
        entry: entry.clone(),
        verdict,
        detail,
        measured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budgets::fixtures::*;
    use crate::budgets::parse::parse;
    use crate::results::Unit;
    use std::path::Path;

    fn with_interval(id: &str, mean: f64, half: f64) -> Bench {
        let mut b = bench(id, mean, Unit::Ns);
        b.mean.lower = mean - half;
        b.mean.upper = mean + half;
        b
    }

    #[test]
    fn instruction_entries_are_exact_and_skipped_without_counts() {
        let k = known();
        let counted = |id: &str, ir: f64| {
            let mut b = bench(id, 100.0, crate::results::Unit::Ns);
            b.counts = Some(crate::instructions::Counts {
                iterations: 10,
                instructions: ir,
                estimated_cycles: ir,
                l1_hits: ir,
                ll_hits: 0.0,
                ram_hits: 0.0,
            });
            b
        };
        let entries = crate::budgets::parse::parse(
            std::path::Path::new("b.toml"),
            "[[budget]]\nid = \"s/g/fast/1\"\nstat = \"instructions\"\nmax = 1000\n\n\
             [[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/g/slow/1\"\nby_at_least = 10\nstat = \"instructions\"\n",
            &k,
        )
        .unwrap();
        let verdicts = |benches: &[Bench]| -> Vec<Verdict> {
            evaluate(&entries, benches, &k.ids, &|_| true)
                .iter()
                .map(|e| e.verdict)
                .collect()
        };
        // 900 ≤ 1000; 9500 / 900 = 10.6× ≥ 10×. The wall-time means (equal) do not matter.
        let ok = [counted("s/g/fast/1", 900.0), counted("s/g/slow/1", 9500.0)];
        assert_eq!(verdicts(&ok), [Verdict::Pass, Verdict::Pass]);
        let bad = [counted("s/g/fast/1", 1001.0), counted("s/g/slow/1", 9500.0)];
        assert_eq!(verdicts(&bad), [Verdict::Fail, Verdict::Fail]);
        let plain = [
            bench("s/g/fast/1", 1.0, crate::results::Unit::Ns),
            bench("s/g/slow/1", 100.0, crate::results::Unit::Ns),
        ];
        assert_eq!(verdicts(&plain), [Verdict::Skipped, Verdict::Skipped]);
    }

    #[test]
    fn a_paired_ratio_decides_the_claim_when_the_run_has_one() {
        let k = known();
        let entry = Entry {
            check: Check::Faster {
                fast: "s/g/fast/1".into(),
                slow: "s/g/slow/1".into(),
                factor: 1.5,
                on: Metric::Mean,
            },
            note: None,
        };
        // The separate means say 1.0× (FAIL); measured in turn, slow/fast is 2.0× [1.9, 2.1].
        let data = [
            with_interval("s/g/fast/1", 100.0, 1.0),
            with_interval("s/g/slow/1", 100.0, 1.0),
        ];
        let unpaired = evaluate(std::slice::from_ref(&entry), &data, &k.ids, &|_| true);
        assert_eq!(unpaired[0].verdict, Verdict::Fail);
        let paired = [PairedRatio {
            numerator: "s/g/slow/1".into(),
            denominator: "s/g/fast/1".into(),
            ratio: crate::stats::RatioCi {
                point: 2.0,
                lower: 1.9,
                upper: 2.1,
            },
            pairs: 6,
        }];
        let ev = evaluate_with(&[entry], &data, &k.ids, &|_| true, &paired);
        assert_eq!(ev[0].verdict, Verdict::Pass, "{}", ev[0].detail);
        assert!(
            ev[0].detail.contains("paired in one process, 6 pairs"),
            "{}",
            ev[0].detail
        );
    }

    #[test]
    fn a_series_with_paired_end_points_gets_an_exponent_interval() {
        let k = known();
        let entry = |max: f64| Entry {
            check: Check::Scaling {
                series: "s/scale/f".into(),
                max_exponent: max,
            },
            note: None,
        };
        let data = [
            bench("s/scale/f/10", 10.0, crate::results::Unit::Ns),
            bench("s/scale/f/100", 100.0, crate::results::Unit::Ns),
            bench("s/scale/f/1000", 1000.0, crate::results::Unit::Ns),
        ];
        // 1000 / 10 measured in turn: 110× [105×, 115×] → exponent ln(110)/ln(100) = 1.021,
        // interval [1.011, 1.030].
        let paired = [PairedRatio {
            numerator: "s/scale/f/1000".into(),
            denominator: "s/scale/f/10".into(),
            ratio: crate::stats::RatioCi {
                point: 110.0,
                lower: 105.0,
                upper: 115.0,
            },
            pairs: 30,
        }];
        let v = |max: f64| evaluate_with(&[entry(max)], &data, &k.ids, &|_| true, &paired);
        let ev = v(1.05);
        assert_eq!(ev[0].verdict, Verdict::Pass, "{}", ev[0].detail);
        assert!((ev[0].measured.unwrap() - 110f64.ln() / 100f64.ln()).abs() < 1e-12);
        assert_eq!(v(1.02)[0].verdict, Verdict::Unsure);
        assert_eq!(v(1.0)[0].verdict, Verdict::Fail);
        // Without the paired ratio the means' fit decides: exponent 1.0 exactly.
        let plain = evaluate(&[entry(1.0)], &data, &k.ids, &|_| true);
        assert_eq!(plain[0].verdict, Verdict::Pass, "{}", plain[0].detail);
    }

    #[test]
    fn claims_are_judged_on_the_interval_of_the_ratio() {
        let k = known();
        let within = |factor: f64| Entry {
            check: Check::Within {
                id: "s/g/fast/1".into(),
                of: "s/g/slow/1".into(),
                factor,
                on: Metric::Mean,
            },
            note: None,
        };
        // 150 ± 3 over 100 ± 2: ratio 1.5, interval about [1.44, 1.56].
        let data = [
            with_interval("s/g/fast/1", 150.0, 3.0),
            with_interval("s/g/slow/1", 100.0, 2.0),
        ];
        let verdict = |f: f64| evaluate(&[within(f)], &data, &k.ids, &|_| true)[0].verdict;
        assert_eq!(verdict(1.6), Verdict::Pass, "whole interval below 1.6");
        assert_eq!(verdict(1.5), Verdict::Unsure, "straddles 1.5");
        assert_eq!(verdict(1.4), Verdict::Fail, "whole interval above 1.4");
        assert!(!Verdict::Unsure.fails(), "UNSURE fails only with --strict");
        let ev = evaluate(&[within(1.5)], &data, &k.ids, &|_| true);
        assert!(
            ev[0].detail.contains("1.50× [1.44, 1.56]"),
            "{}",
            ev[0].detail
        );
        // With repeats, the interval is a Welch interval over the run means.
        let mut runs = data.clone();
        runs[0].run_means = vec![150.0, 151.0, 149.0];
        runs[1].run_means = vec![100.0, 100.5, 99.5];
        assert_eq!(
            evaluate(&[within(1.6)], &runs, &k.ids, &|_| true)[0].verdict,
            Verdict::Pass
        );
        // A budget on a mean uses the mean's interval.
        let budget = |max: f64| Entry {
            check: Check::Budget(Budget {
                id: "s/g/fast/1".into(),
                stat: Stat::Mean,
                max,
                unit: Unit::Ns,
            }),
            note: None,
        };
        let v = |max: f64| evaluate(&[budget(max)], &data, &k.ids, &|_| true)[0].verdict;
        assert_eq!(
            (v(160.0), v(150.0), v(140.0)),
            (Verdict::Pass, Verdict::Unsure, Verdict::Fail)
        );
    }

    #[test]
    fn evaluates_every_kind() {
        let k = known();
        let entries = parse(Path::new("budgets.toml"), GOOD, &k).unwrap();
        assert_eq!(entries.len(), 5);
        let ev = evaluate(&entries, &results(10.0), &k.ids, &|_| true);
        let verdicts: Vec<Verdict> = ev.iter().map(|e| e.verdict).collect();
        // 10 ns ≤ 20 ns; 2 KiB > 1 KiB; 150× ≥ 100×; 10/1500 ≤ 1.5; exponent 1.0 ≤ 1.1
        assert_eq!(
            verdicts,
            [
                Verdict::Pass,
                Verdict::Fail,
                Verdict::Pass,
                Verdict::Pass,
                Verdict::Pass
            ]
        );
        assert!(ev[2].detail.contains("150.00×"), "{}", ev[2].detail);
        assert!((ev[4].measured.unwrap() - 1.0).abs() < 1e-9);
        let ev = evaluate(&entries, &results(30.0), &k.ids, &|_| true);
        assert_eq!(ev[0].verdict, Verdict::Fail);
        assert_eq!(ev[2].verdict, Verdict::Fail, "50× < 100×");
    }

    #[test]
    fn missing_data_fails_and_filtered_data_is_skipped() {
        let k = known();
        let entries = parse(Path::new("b.toml"), GOOD, &k).unwrap();
        let partial: Vec<Bench> = results(10.0)
            .into_iter()
            .filter(|b| b.id != "s/g/slow/1")
            .collect();
        let ev = evaluate(&entries, &partial, &k.ids, &|_| true);
        assert_eq!(ev[2].verdict, Verdict::NoData);
        assert!(ev[2].verdict.fails());
        assert!(ev[2].detail.contains("s/g/slow/1"), "{}", ev[2].detail);
        let only_mem = |id: &str| id.starts_with("s/mem/");
        let ev = evaluate(
            &entries,
            &[bench("s/mem/x/1", 10.0, Unit::Bytes)],
            &k.ids,
            &only_mem,
        );
        let v: Vec<Verdict> = ev.iter().map(|e| e.verdict).collect();
        assert_eq!(
            v,
            [
                Verdict::Skipped,
                Verdict::Pass,
                Verdict::Skipped,
                Verdict::Skipped,
                Verdict::Skipped
            ]
        );
        assert!(!Verdict::Skipped.fails());
        // A filter that keeps only one side of a claim skips it, naming the side left out.
        let ev = evaluate(&entries, &results(10.0), &k.ids, &|id| id != "s/g/slow/1");
        assert_eq!(ev[2].verdict, Verdict::Skipped);
        assert!(
            ev[2].detail.contains("s/g/slow/1 not selected"),
            "{}",
            ev[2].detail
        );
        // A selected point of a series without a result is missing data, not a smaller fit.
        let no_mid: Vec<Bench> = results(10.0)
            .into_iter()
            .filter(|b| b.id != "s/scale/f/100")
            .collect();
        let ev = evaluate(&entries, &no_mid, &k.ids, &|_| true);
        assert_eq!(ev[4].verdict, Verdict::NoData, "{}", ev[4].detail);
        let ev = evaluate(&entries, &no_mid, &k.ids, &|id| id != "s/scale/f/100");
        assert_eq!(ev[4].verdict, Verdict::Pass, "{}", ev[4].detail);
    }

    #[test]
    fn evaluation_still_guards_units_and_latency() {
        let k = known();
        let entries = vec![
            Entry {
                check: Check::Budget(Budget {
                    id: "s/mem/x/1".into(),
                    stat: Stat::Mean,
                    max: 1e6,
                    unit: Unit::Ns,
                }),
                note: None,
            },
            Entry {
                check: Check::Budget(Budget {
                    id: "s/g/fast/1".into(),
                    stat: Stat::P99,
                    max: 1e6,
                    unit: Unit::Ns,
                }),
                note: None,
            },
        ];
        let ev = evaluate(&entries, &results(10.0), &k.ids, &|_| true);
        assert_eq!(ev[0].verdict, Verdict::Fail);
        assert!(ev[0].detail.contains("Bytes"), "{}", ev[0].detail);
        assert_eq!(ev[1].verdict, Verdict::NoData);
    }
}
