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

/// Rows of this run's counts: id, instructions, estimated cycles, iterations.
fn rows(r: &Report) -> Vec<[String; 4]> {
    super::display_order(&r.benches)
        .into_iter()
        .filter_map(|b| {
            let c = b.counts.as_ref()?;
            Some([
                b.id.clone(),
                count(c.instructions),
                count(c.estimated_cycles),
                c.iterations.to_string(),
            ])
        })
        .collect()
}

const WHAT: &str = "Per iteration, from callgrind (setup and warm-up excluded; estimated cycles = L1 hits + 5 × LL hits + 35 × RAM, on a fixed cache model). Counts repeat exactly between runs of the same binary; they do not see waiting, contention or system calls.";

pub fn markdown(r: &Report) -> String {
    let Some(summary) = &r.instructions else {
        return String::new();
    };
    let mut s = String::new();
    let rows = rows(r);
    let _ = writeln!(s, "## Instruction counts ({})\n\n{WHAT}\n", rows.len());
    let _ = writeln!(
        s,
        "| bench | instructions | est. cycles | iterations |\n|---|---|---|---|"
    );
    for [id, ir, cy, n] in &rows {
        let _ = writeln!(s, "| `{id}` | {ir} | {cy} | {n} |");
    }
    if !summary.uncounted.is_empty() {
        let _ = writeln!(s, "\nNot counted (timed only):\n");
        for u in &summary.uncounted {
            let _ = writeln!(s, "- `{}`: {}", u.id, u.reason);
        }
    }
    s.push('\n');
    s
}

pub fn html(r: &Report) -> String {
    let Some(summary) = &r.instructions else {
        return String::new();
    };
    let rows = rows(r);
    let mut s = format!(
        "<h2>Instruction counts ({})</h2><p>{}</p><table><tr><th>bench</th><th>instructions</th><th>est. cycles</th><th>iterations</th></tr>",
        rows.len(),
        esc(WHAT)
    );
    for [id, ir, cy, n] in &rows {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{ir}</td><td>{cy}</td><td>{n}</td></tr>",
            super::bench_link(id)
        );
    }
    s.push_str("</table>");
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
}
