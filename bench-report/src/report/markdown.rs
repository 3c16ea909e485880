//! The markdown report: what `cargo xtask bench` prints and what a PR comment shows.

use std::fmt::Write as _;

use super::table::{Cell, Table};

use super::compare::IntervalsOver;
use super::{Comparison, Report, threshold_pct};
use crate::budgets::Verdict;
use crate::results::{Bench, Unit};
use crate::stats::Change;
use crate::units::{format, format_throughput};

pub(super) fn bench_extra(b: &Bench) -> String {
    let mut parts = Vec::new();
    if let (Some(e), Unit::Ns) = (b.elements, b.unit) {
        parts.push(format_throughput(e, b.mean.point));
    }
    if let Some(l) = b.latency {
        parts.push(format!(
            "per-op latency p50 {} / p95 {} / p99 {} (n={})",
            format(l.p50 as f64, Unit::Ns),
            format(l.p95 as f64, Unit::Ns),
            format(l.p99 as f64, Unit::Ns),
            l.count
        ));
    }
    for (k, v) in &b.counters {
        parts.push(format!("{k} {v:.3}"));
    }
    parts.join("; ")
}

/// One sentence saying what a comparison's intervals were computed over.
pub(super) fn comparison_method(c: &Comparison) -> &'static str {
    if c.intervals_over == IntervalsOver::Pairs {
        "A/B measured in rounds, each a fresh pair of processes (serve mode) sampled in turn (A B, B A, ...), so drift between samples cancels: intervals are signed-rank (Hodges–Lehmann) intervals over the rounds' log-ratios, so one unlucky process cannot decide a verdict."
    } else if c.intervals_over == IntervalsOver::Runs {
        "Intervals are Welch t-intervals over whole-run means (`--repeat`): they include between-run drift."
    } else {
        "Intervals are bootstraps over one run's samples on each side: **between-run drift is not included**; on a noisy machine compare runs made with `--repeat 3` (see docs/BENCHMARKS.md)."
    }
}

/// The markdown section comparing a run with a baseline (also what `cargo xtask compare` prints).
pub fn markdown_comparison(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Compared with `{}` (threshold {}%): {} regressed, {} unusable, {} improved, {} unchanged\n",
        c.baseline,
        threshold_pct(c.threshold),
        c.regressions(),
        c.unusable.len(),
        c.deltas
            .iter()
            .filter(|d| d.change == Change::Improved)
            .count(),
        c.deltas
            .iter()
            .filter(|d| d.change == Change::Unchanged)
            .count()
    );
    let _ = writeln!(s, "{}\n", comparison_method(c));
    if c.nothing_in_common() {
        let _ = writeln!(s, "**FAIL: {}.**\n", c.nothing_in_common_message());
    }
    if c.intervals_over == IntervalsOver::Samples && c.regressions() > 0 {
        let _ = writeln!(
            s,
            "**Not failing on these regressions:** single runs cannot see between-run drift. Confirm with `--repeat 3` on both sides, which fails on regressions.\n"
        );
    }
    let table = super::table::comparison(c).markdown();
    s.push_str(table.trim_end());
    s.push('\n');
    if !c.unusable.is_empty() {
        let _ = writeln!(
            s,
            "\n**Could not be compared (each fails the comparison):**\n"
        );
        for u in &c.unusable {
            let _ = writeln!(s, "- `{}`: {}", u.id, u.why);
        }
    }
    for (label, ids) in [
        ("only in baseline", &c.only_in_baseline),
        ("only in this run", &c.only_in_new),
    ] {
        if !ids.is_empty() {
            let _ = writeln!(s, "\n{label}: {}", ids.join(", "));
        }
    }
    if !c.unpaired.is_empty() {
        let _ = writeln!(s, "\nNot paired:\n");
        for u in &c.unpaired {
            let _ = writeln!(s, "- {u}");
        }
    }
    s.push('\n');
    if let Some(ic) = &c.instructions {
        s.push_str(&super::counts::comparison_markdown(ic));
        s.push_str(&super::table::culprits_markdown(ic));
    }
    s
}

/// The markdown report (terminal and PR comments).
pub fn markdown(r: &Report) -> String {
    let h = &r.header;
    let mut s = String::new();
    let _ = writeln!(s, "# ggen bench report `{}`\n", h.run_id);
    s.push_str(&super::table::header(r).markdown());

    let count = |v: Verdict| r.evaluations.iter().filter(|e| e.verdict == v).count();
    let _ = writeln!(
        s,
        "## Claims: {} pass, {} fail, {} unsure, {} no data, {} skipped\n",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Unsure),
        count(Verdict::NoData),
        count(Verdict::Skipped)
    );
    if !r.evaluations.is_empty() {
        s.push_str(&super::table::claims(r).markdown());
    }

    if let Some((stable, noisy)) = super::gate_stability(r) {
        let _ = writeln!(
            s,
            "Run-to-run CV under {:.0}% (stable enough to gate on): {stable} of {} benches.{}\n",
            super::GATE_CV * 100.0,
            r.benches.len(),
            if noisy.is_empty() {
                String::new()
            } else {
                format!(
                    " Too noisy: {}.",
                    noisy
                        .iter()
                        .map(|(id, cv)| format!("`{id}` {:.1}%", cv * 100.0))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    if let Some(c) = &r.comparison {
        s.push_str(&markdown_comparison(c));
    }

    s.push_str(&super::counts::markdown(r));
    let _ = writeln!(s, "## Benches ({})\n", r.benches.len());
    let _ = writeln!(
        s,
        "Mean per iteration with its 95% interval (Criterion's bootstrap; for the `system` suite, whose iteration is one whole process run, a t-interval over the runs); figures are means of samples, not latency percentiles (those appear only where a suite recorded single operations).\n"
    );
    let rows = super::display_order(&r.benches)
        .into_iter()
        .map(|b| {
            vec![
                Cell::Bench(b.id.clone()),
                Cell::Text(format(b.mean.point, b.unit)),
                Cell::Text(format!(
                    "[{}, {}]",
                    format(b.mean.lower, b.unit),
                    format(b.mean.upper, b.unit)
                )),
                Cell::Text(bench_extra(b)),
            ]
        })
        .collect();
    let table = Table {
        head: vec!["bench", "mean", "95% CI", "details"],
        rows,
    };
    // The table's blank line ends the report.
    s.push_str(table.markdown().trim_end_matches('\n'));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_report;

    #[test]
    fn markdown_has_header_claims_and_readable_units() {
        let md = markdown(&sample_report());
        for needle in [
            "Test CPU",
            "abc1234 (dirty)",
            "quick",
            "1 pass, 0 fail, 0 unsure",
            "100 ns",
            "2.00 KiB",
            "1.00 Gelem/s",
            "100 Melem/s",
            "p99 990 ns",
            "near-linear",
        ] {
            assert!(md.contains(needle), "missing {needle:?} in\n{md}");
        }
    }

    #[test]
    fn a_pipe_in_a_bench_detail_does_not_split_its_row() {
        let mut r = crate::testing::sample_report();
        r.benches[0].counters.insert("a|b".into(), 1.0);
        let md = markdown(&r);
        let row = md
            .lines()
            .find(|l| l.starts_with("| `s/det/indexed/10` |"))
            .unwrap();
        assert!(row.ends_with("a\\|b 1.000 |"), "{row}");
    }

    #[test]
    fn thresholds_are_said_as_given() {
        // 0.5% was shown as "0%" with a whole-number format.
        assert_eq!(threshold_pct(0.005), "0.5");
        assert_eq!(threshold_pct(0.10), "10");
        assert_eq!(threshold_pct(0.01), "1");
        assert_eq!(threshold_pct(0.0125), "1.25");
        assert_eq!(threshold_pct(0.0), "0");
    }
}
