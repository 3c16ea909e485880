//! The instruction-count parts of a report (`--instructions`), in markdown and HTML: the counts
//! of this run, what was not counted and why, and counts against a baseline.

use std::fmt::Write as _;

use super::table::{Cell, Table};
use super::{Report, esc};
use crate::instructions::compare::CountComparison;
use crate::stats::Change;

/// `1 234 567`-style grouping keeps 8-digit counts readable; one decimal below 1000.
fn count(v: f64) -> String {
    if v < 1000.0 {
        return format!("{v:.1}");
    }
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// This run's counts as a table: bench, instructions, estimated cycles, iterations.
fn table(r: &Report) -> Table {
    let rows = super::display_order(&r.benches)
        .into_iter()
        .filter_map(|b| {
            let c = b.counts.as_ref()?;
            Some(vec![
                Cell::Bench(b.id.clone()),
                Cell::Text(count(c.instructions)),
                Cell::Text(count(c.estimated_cycles)),
                Cell::Text(c.iterations.to_string()),
            ])
        })
        .collect();
    Table {
        head: vec!["bench", "instructions", "est. cycles", "iterations"],
        rows,
    }
}

const WHAT: &str = "Per iteration, from callgrind (setup and warm-up excluded; estimated cycles = L1 hits + 5 × LL hits + 35 × RAM, on a fixed cache model). Counts repeat exactly between runs of the same binary; they do not see waiting, contention or system calls.";

pub fn markdown(r: &Report) -> String {
    let Some(summary) = &r.instructions else {
        return String::new();
    };
    let table = table(r);
    let mut s = format!("## Instruction counts ({})\n\n{WHAT}\n\n", table.rows.len());
    s.push_str(&table.markdown());
    if !summary.uncounted.is_empty() {
        let _ = writeln!(s, "Not counted (timed only):\n");
        for u in &summary.uncounted {
            let _ = writeln!(s, "- `{}`: {}", u.id, u.reason);
        }
        s.push('\n');
    }
    s
}

pub fn html(r: &Report) -> String {
    let Some(summary) = &r.instructions else {
        return String::new();
    };
    let table = table(r);
    let mut s = format!(
        "<h2>Instruction counts ({})</h2><p>{}</p>",
        table.rows.len(),
        esc(WHAT)
    );
    s.push_str(&table.html());
    if !summary.uncounted.is_empty() {
        s.push_str("<details><summary>Not counted (timed only)</summary><ul>");
        for u in &summary.uncounted {
            let _ = write!(
                s,
                "<li><code>{}</code>: {}</li>",
                esc(&u.id),
                esc(&u.reason)
            );
        }
        s.push_str("</ul></details>");
    }
    s
}

fn comparison_title(c: &CountComparison) -> String {
    let n = |ch: Change| c.deltas.iter().filter(|d| d.change == ch).count();
    // One side counted, the other not: nothing was compared, which is not "0 regressed".
    if c.deltas.is_empty() && c.only_in_new.is_empty() && !c.only_in_baseline.is_empty() {
        return "Instruction counts not compared: this run has none (add `--instructions`)".into();
    }
    if c.deltas.is_empty() && c.only_in_baseline.is_empty() && !c.only_in_new.is_empty() {
        return "Instruction counts not compared: the baseline has none (save it with `--instructions`)".into();
    }
    format!(
        "Instruction counts {} (threshold {}%): {} regressed, {} improved, {} unchanged",
        c.scope.as_deref().unwrap_or("against the baseline"),
        super::threshold_pct(c.threshold),
        n(Change::Regressed),
        n(Change::Improved),
        n(Change::Unchanged)
    )
}

/// The comparison of counts as a table: bench, instructions per iteration on both sides, the
/// change, the verdict.
fn deltas_table(c: &CountComparison) -> Table {
    Table {
        head: vec!["bench", "baseline", "new", "change", "verdict"],
        rows: c
            .deltas
            .iter()
            .map(|d| {
                vec![
                    Cell::Bench(d.id.clone()),
                    Cell::Text(count(d.base_instructions)),
                    Cell::Text(count(d.new_instructions)),
                    Cell::Text(format!("{:+.3}%", d.relative() * 100.0)),
                    super::table::change_cell(d.change),
                ]
            })
            .collect(),
    }
}

pub fn comparison_markdown(c: &CountComparison) -> String {
    let mut s = format!(
        "## {}\n\nCounts are exact: any change beyond the threshold fails the comparison.\n\n",
        comparison_title(c)
    );
    s.push_str(deltas_table(c).markdown().trim_end());
    s.push('\n');
    for (label, ids) in [
        ("counted in the baseline only", &c.only_in_baseline),
        ("counted in this run only", &c.only_in_new),
    ] {
        if !ids.is_empty() {
            let _ = writeln!(s, "\n{label}: {}", ids.join(", "));
        }
    }
    s.push('\n');
    s
}

pub fn comparison_html(c: &CountComparison) -> String {
    let mut s = format!("<h2>{}</h2>", esc(&comparison_title(c)));
    s.push_str(&deltas_table(c).html());
    for (label, ids) in [
        ("counted in the baseline only", &c.only_in_baseline),
        ("counted in this run only", &c.only_in_new),
    ] {
        if !ids.is_empty() {
            let _ = write!(s, "<p>{label}: {}</p>", esc(&ids.join(", ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_on_one_side_only_say_they_were_not_compared() {
        let c = |base: &[&str], new: &[&str]| CountComparison {
            threshold: 0.01,
            deltas: Vec::new(),
            only_in_baseline: base.iter().map(|s| s.to_string()).collect(),
            only_in_new: new.iter().map(|s| s.to_string()).collect(),
            scope: None,
        };
        let md = comparison_markdown(&c(&["s/g/f/1"], &[]));
        assert!(
            md.starts_with(
                "## Instruction counts not compared: this run has none (add `--instructions`)"
            ),
            "{md}"
        );
        assert!(!md.contains("0 regressed"), "{md}");
        let md = comparison_markdown(&c(&[], &["s/g/f/1"]));
        assert!(md.contains("not compared: the baseline has none"), "{md}");
        assert!(comparison_html(&c(&["s/g/f/1"], &[])).contains("this run has none"));
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(83.0), "83.0");
        assert_eq!(count(1000.0), "1 000");
        assert_eq!(count(104_475_652.0), "104 475 652");
    }

    #[test]
    fn this_runs_counts_render_the_same_in_both_formats() {
        let mut r = crate::testing::sample_report();
        r.benches[1].counts = Some(crate::results::Counts {
            iterations: 200,
            instructions: 1_234_567.0,
            estimated_cycles: 2_345_678.9,
            l1_hits: 0.0,
            ll_hits: 0.0,
            ram_hits: 0.0,
        });
        r.instructions = Some(crate::instructions::Summary {
            valgrind: "valgrind-3.19.0".into(),
            duration_s: 1.0,
            counted: 1,
            uncounted: vec![crate::instructions::Uncounted {
                id: "s/g/threads/2".into(),
                reason: "starts threads".into(),
            }],
        });
        // Pinned from the renderers before the table model (identical output).
        let got = format!("{}{}", markdown(&r), html(&r));
        assert_eq!(
            got,
            include_str!("golden_counts.txt"),
            "if on purpose, update bench-report/src/report/golden_counts.txt to:\n{got}"
        );
    }
}
