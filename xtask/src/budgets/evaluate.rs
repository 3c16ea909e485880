//! Verdicts: each entry checked against one run's results, with what the run selected.

use std::collections::BTreeSet;

use super::{Budget, Check, Entry, Evaluation, Stat, Verdict};
use crate::results::Bench;
use crate::stats::loglog_fit;
use crate::units::format;

/// Evaluates every entry. `selected(id)` says whether the run was meant to measure `id`.
pub fn evaluate(
    entries: &[Entry],
    benches: &[Bench],
    known: &BTreeSet<String>,
    selected: &dyn Fn(&str) -> bool,
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
            evaluate_one(entry, &find, &chosen)
        })
        .collect()
}

fn evaluate_one<'a>(
    entry: &Entry,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    ids: &[&str],
) -> Evaluation {
    let pass = |ok: bool| if ok { Verdict::Pass } else { Verdict::Fail };
    let (verdict, detail, measured) = match &entry.check {
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
                };
                match value {
                    Some(v) => (
                        pass(v <= *max),
                        format!(
                            "{}: {} (limit {})",
                            stat.name(),
                            format(v, b.unit),
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
        Check::Faster { fast, slow, factor } => {
            let (f, s) = (find(fast).expect("present"), find(slow).expect("present"));
            let ratio = s.mean.point / f.mean.point;
            (
                pass(ratio >= *factor),
                format!(
                    "{} vs {}: {ratio:.2}× (need ≥ {factor}×)",
                    format(f.mean.point, f.unit),
                    format(s.mean.point, s.unit)
                ),
                Some(ratio),
            )
        }
        Check::Within { id, of, factor } => {
            let (a, b) = (find(id).expect("present"), find(of).expect("present"));
            let ratio = a.mean.point / b.mean.point;
            (
                pass(ratio <= *factor),
                format!(
                    "{} vs {}: {ratio:.2}× (need ≤ {factor}×)",
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
