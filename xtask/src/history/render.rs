//! `cargo xtask history`'s outputs: the change points as one table (markdown and HTML through the
//! report's table model), the whole analysis as JSON, and an HTML page with one trend plot per
//! series, its change points marked and linked to their rows.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Change, Series};
use crate::changepoint::Settings;
use crate::report::table::{Cell, Table};

/// The JSON document (`history.json`).
#[derive(Serialize)]
pub struct Document<'a> {
    pub schema: u32,
    pub database: String,
    /// The history file's schema version (`PRAGMA user_version`).
    pub database_schema: i64,
    pub window: usize,
    pub max_p: f64,
    pub min_change: f64,
    pub include_dirty: bool,
    pub series: &'a [Series],
}

fn short(rev: &str) -> &str {
    &rev[..rev.len().min(10)]
}

/// A figure as the series' unit says: counts as integers, times in ns/µs/ms, bytes as bytes,
/// paired ratios to four decimals.
fn value(v: f64, s: &Series) -> String {
    match s.key.unit.as_str() {
        "ns" => crate::units::format(v, crate::results::Unit::Ns),
        "bytes" => crate::units::format(v, crate::results::Unit::Bytes),
        "ratio" => format!("{v:.4}×"),
        _ => format!("{v:.0}"),
    }
}

fn change_row(s: &Series, c: &Change, commits: Option<&str>) -> Vec<Cell> {
    let commit = match &c.previous_rev {
        Some(p) => format!("{}..{}", short(p), short(&c.git_rev)),
        None => short(&c.git_rev).to_owned(),
    };
    let bench = Cell::Link {
        code: s.key.bench.clone(),
        href: format!("#{}", anchor(s)),
    };
    vec![
        match commits {
            Some(url) => Cell::Link {
                code: commit,
                href: format!("{url}{}", c.git_rev),
            },
            None => Cell::Code(commit),
        },
        bench,
        Cell::Text(s.key.metric.clone()),
        Cell::Text(format!("{} → {}", value(c.before, s), value(c.after, s))),
        Cell::Class {
            text: format!("{:+.2}%", c.change * 100.0),
            class: if c.change > 0.0 {
                "regressed"
            } else {
                "improved"
            }
            .into(),
        },
        Cell::Text(match (c.deterministic, c.p == 0.0) {
            (true, true) => "0 (exact)".into(),
            // `1 − cdf` rounds to 0 below about 1e-16 (changepoint::welch_p).
            (false, true) => "< 1e-16".into(),
            _ => format!("{:.1e}", c.p),
        }),
        Cell::Text(format!("{} of {}", c.shared.0, c.shared.1)),
        Cell::Text(format!("{} ({})", s.key.profile, s.key.mode)),
        Cell::Code(c.run_id.clone()),
    ]
}

/// The change points, newest run first.
fn table(series: &[Series], commits: Option<&str>) -> Table {
    let mut rows: Vec<(&str, Vec<Cell>)> = Vec::new();
    for s in series {
        for c in &s.changes {
            rows.push((c.run_id.as_str(), change_row(s, c, commits)));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(a.0));
    Table {
        head: vec![
            "commit",
            "bench",
            "figure",
            "mean before → after",
            "change",
            "p",
            "benches within ±2 runs",
            "profile (mode)",
            "first run after",
        ],
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    }
}

fn summary(series: &[Series], s: &Settings, database: &str) -> String {
    let changes: usize = series.iter().map(|x| x.changes.len()).sum();
    let runs: std::collections::BTreeSet<&str> = series
        .iter()
        .flat_map(|x| x.points.iter().map(|p| p.run_id.as_str()))
        .collect();
    format!(
        "{changes} change point(s) in {} series over {} run(s) of {database} (E-divisive means, \
         window {}, t-test p < {}{})",
        series.len(),
        runs.len(),
        s.window,
        s.max_p,
        if s.min_change > 0.0 {
            format!(", changes of at least {:.2}%", s.min_change * 100.0)
        } else {
            String::new()
        }
    )
}

/// `history.md`: the summary line and the table of change points.
pub fn markdown(series: &[Series], s: &Settings, database: &str) -> String {
    let mut out = format!(
        "# Benchmark history\n\n{}\n\n",
        summary(series, s, database)
    );
    if series.iter().any(|x| !x.changes.is_empty()) {
        out.push_str(&table(series, None).markdown());
    }
    out
}

fn anchor(s: &Series) -> String {
    let raw = format!(
        "{}-{}-{}-{}",
        s.key.bench, s.key.metric, s.key.profile, s.key.mode
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.key.machine.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!(
        "{}-{:08x}",
        raw.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-"),
        h as u32
    )
}

/// One series' trend: points in run order, change points as red vertical lines, each point's
/// commit and value in its tooltip.
fn plot(s: &Series) -> String {
    let (w, h, pad) = (720.0, 160.0, 8.0);
    let values: Vec<f64> = s.points.iter().map(|p| p.value).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo {
        hi - lo
    } else {
        hi.abs().max(1.0) * 0.01
    };
    let n = values.len().max(2) - 1;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / n as f64;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v - lo) / span;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fafafa\" stroke=\"#ddd\"/>"
    );
    for c in &s.changes {
        let cx = (x(c.index - 1) + x(c.index)) / 2.0;
        let _ = write!(
            svg,
            "<line x1=\"{cx:.1}\" y1=\"0\" x2=\"{cx:.1}\" y2=\"{h}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"><title>change at {} ({:+.2}%)</title></line>",
            short(&c.git_rev),
            c.change * 100.0
        );
    }
    let line: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
        .collect();
    let _ = write!(
        svg,
        "<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"1.5\" points=\"{}\"/>",
        line.join(" ")
    );
    for (i, p) in s.points.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#36c\"><title>{} {}{}: {}</title></circle>",
            x(i),
            y(p.value),
            p.run_id,
            short(&p.git_rev),
            if p.git_dirty { " (dirty)" } else { "" },
            value(p.value, s)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `history.html`: the summary, the table of change points, and every series' plot (those with
/// change points first).
/// `commits`: where a commit's page is, as a prefix of its sha (a GitHub repository's
/// `…/commit/`), when known; the change table's commits link there.
pub fn html(series: &[Series], s: &Settings, database: &str, commits: Option<&str>) -> String {
    let esc = crate::report::esc;
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Benchmark history</title>\
         <style>body{font-family:sans-serif;margin:2em;max-width:1300px}table{border-collapse:collapse;margin:1em 0}\
         td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.regressed{color:#b00}.improved{color:#070}\
         h3{font-size:1em;margin:1.5em 0 .3em}</style></head><body><h1>Benchmark history</h1>",
    );
    let _ = write!(out, "<p>{}</p>", esc(&summary(series, s, database)));
    if series.iter().any(|x| !x.changes.is_empty()) {
        out.push_str(&table(series, commits).html());
    }
    let mut order: Vec<&Series> = series.iter().collect();
    order.sort_by_key(|x| x.changes.is_empty());
    for x in order {
        let _ = write!(
            out,
            "<h3 id=\"{}\"><code>{}</code> {} — {} ({}), {} run(s), {} change point(s)</h3><p><small>{}</small></p>{}",
            anchor(x),
            esc(&x.key.bench),
            esc(&x.key.metric),
            esc(&x.key.profile),
            esc(&x.key.mode),
            x.points.len(),
            x.changes.len(),
            esc(&x.key.machine),
            plot(x)
        );
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{SeriesKey, SeriesPoint};

    fn series() -> Series {
        let points: Vec<SeriesPoint> = (0..10)
            .map(|k| SeriesPoint {
                run_id: format!("run{k}"),
                timestamp: String::new(),
                git_rev: format!("rev{k:02}aaaaaaaaaaaa"),
                git_dirty: false,
                value: if k < 5 { 100.0 } else { 103.0 },
            })
            .collect();
        let key = SeriesKey {
            bench: "s/g/f/1".into(),
            metric: "instructions".into(),
            unit: "count".into(),
            machine: "cpu, 2 cores".into(),
            profile: "quick".into(),
            mode: "plain".into(),
        };
        let changes = crate::history::changes_of(&key, &points, &Settings::default());
        Series {
            key,
            points,
            changes,
        }
    }

    #[test]
    fn the_table_names_the_commits_around_the_change() {
        let s = [series()];
        let md = markdown(&s, &Settings::default(), "h.sqlite");
        assert!(
            md.contains("1 change point(s) in 1 series over 10 run(s)"),
            "{md}"
        );
        assert!(md.contains("| `rev04aaaaa..rev05aaaaa` | `s/g/f/1` | instructions | 100 → 103 | +3.00% | 0 (exact) | 1 of 1 | quick (plain) | `run5` |"), "{md}");
        let html = html(&s, &Settings::default(), "h.sqlite", None);
        assert!(html.contains("<line"), "the change is marked on the plot");
        assert!(html.contains(&format!("href=\"#{}\"", anchor(&s[0]))));
        assert!(html.contains(&format!("id=\"{}\"", anchor(&s[0]))));
        let linked = super::html(
            &s,
            &Settings::default(),
            "h.sqlite",
            Some("https://github.com/o/r/commit/"),
        );
        assert!(
            linked.contains("<a href=\"https://github.com/o/r/commit/rev05aaaaaaaaaaaa\"><code>rev04aaaaa..rev05aaaaa</code></a>"),
            "{linked}"
        );
    }

    #[test]
    fn no_change_points_no_table() {
        let mut s = series();
        s.changes.clear();
        let md = markdown(&[s], &Settings::default(), "h.sqlite");
        assert!(md.contains("0 change point(s)"));
        assert!(!md.contains("| commit |"));
    }
}
