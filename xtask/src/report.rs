//! The run report: its JSON model (`"schema": 1`), baseline comparison, and renderings (markdown,
//! HTML with inline SVG, Bencher Metric Format, github-action-benchmark JSON).
//!
//! A saved baseline is a report JSON file: self-contained, with every bench's raw per-iteration
//! samples, so two runs can be compared long after Criterion's directories are gone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::budgets::{Evaluation, Verdict};
use crate::results::{Bench, Unit};
use crate::stats::{Change, RatioCi, ratio_ci, ratio_ci_runs, verdict};
use crate::units::{format, format_throughput};

/// Where, when and how a run happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub run_id: String,
    /// UTC, RFC 3339.
    pub timestamp: String,
    pub host_cpu: String,
    pub cores: usize,
    pub os: String,
    pub rustc: String,
    pub git_rev: String,
    pub git_dirty: bool,
    pub profile: String,
    /// Suites that were run.
    pub suites: Vec<String>,
    /// The `--filter` regex, if any.
    pub filter: Option<String>,
    /// Wall time of the bench runs, excluding compilation.
    pub duration_s: f64,
    /// How many times each suite was run (`--repeat`).
    #[serde(default = "one")]
    pub repeat: usize,
}

fn one() -> usize {
    1
}

/// One bench compared with a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub id: String,
    pub unit: Unit,
    pub base_mean: f64,
    pub new_mean: f64,
    /// `new / base` with its 95% bootstrap interval.
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
    /// What the intervals were computed over: `"runs"` (per-run means, both sides repeated) or
    /// `"samples"` (per-iteration samples of single runs; between-run drift not included).
    #[serde(default)]
    pub unit: String,
    pub deltas: Vec<Delta>,
    /// Benches in both runs that could not be compared, and why (different units, a zero
    /// baseline, no usable interval). Each one fails the comparison: a bench that cannot be
    /// checked must not pass as "unchanged".
    #[serde(default)]
    pub unusable: Vec<Unusable>,
    /// Ids in only one of the two runs.
    pub only_in_baseline: Vec<String>,
    pub only_in_new: Vec<String>,
}

/// A bench present on both sides that no verdict could be computed for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unusable {
    pub id: String,
    pub why: String,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.deltas
            .iter()
            .filter(|d| d.change == Change::Regressed)
            .count()
    }

    /// Whether the comparison fails: a regression, or a bench that could not be compared.
    pub fn failed(&self) -> bool {
        self.regressions() > 0 || !self.unusable.is_empty()
    }
}

/// A whole run: the content of `report.json` and of saved baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub header: Header,
    pub benches: Vec<Bench>,
    /// Every bench id the workspace's suites define (from `--list`), run or not.
    pub known_ids: Vec<String>,
    pub evaluations: Vec<Evaluation>,
    #[serde(default)]
    pub comparison: Option<Comparison>,
}

impl Report {
    /// Whether the run should exit 1: a failed or data-less claim, or a regression.
    pub fn failed(&self) -> bool {
        self.evaluations.iter().any(|e| e.verdict.fails())
            || self.comparison.as_ref().is_some_and(Comparison::failed)
    }

    pub fn known(&self) -> BTreeSet<String> {
        self.known_ids.iter().cloned().collect()
    }
}

/// Reads a report or baseline file, validating its schema.
pub fn load(path: &Path) -> Result<Report> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: invalid or truncated JSON", path.display()))?;
    match value.get("schema").and_then(|v| v.as_u64()) {
        Some(1) => {}
        Some(n) => bail!(
            "{}: unsupported schema {n} (this xtask reads schema 1)",
            path.display()
        ),
        None => bail!(
            "{}: not a ggen bench report (no \"schema\" field)",
            path.display()
        ),
    }
    let report: Report = serde_json::from_value(value)
        .with_context(|| format!("{}: does not match report schema 1", path.display()))?;
    check_benches(&report).with_context(|| format!("{}: unusable", path.display()))?;
    Ok(report)
}

/// Checks that every bench's numbers can be trusted: samples present, finite and non-negative
/// (positive for time), run means consistent with the recorded repeats, no duplicate ids. A
/// damaged baseline must be an error, never a comparison that quietly finds nothing.
pub fn check_benches(r: &Report) -> Result<()> {
    let mut seen = BTreeSet::new();
    for b in &r.benches {
        let id = &b.id;
        if !seen.insert(id.as_str()) {
            bail!("bench {id} appears twice");
        }
        let ok = |v: f64| {
            v.is_finite()
                && match b.unit {
                    Unit::Ns => v > 0.0,
                    Unit::Bytes => v >= 0.0,
                }
        };
        let need = match b.unit {
            Unit::Ns => "positive",
            Unit::Bytes => "non-negative",
        };
        if b.samples.is_empty() {
            bail!("bench {id}: `samples` is empty");
        }
        if let Some((i, v)) = b.samples.iter().enumerate().find(|(_, v)| !ok(**v)) {
            bail!("bench {id}: samples[{i}] is {v}; every sample must be a finite, {need} number");
        }
        if let Some((i, v)) = b.run_means.iter().enumerate().find(|(_, v)| !ok(**v)) {
            bail!(
                "bench {id}: run_means[{i}] is {v}; every run mean must be a finite, {need} number"
            );
        }
        let repeat = r.header.repeat;
        let expected = if repeat > 1 { repeat } else { 0 };
        if b.run_means.len() != expected {
            bail!(
                "bench {id}: {} run_means, but the run has repeat = {repeat} (expected {expected})",
                b.run_means.len()
            );
        }
        if !ok(b.mean.point) {
            bail!(
                "bench {id}: mean {} is not a finite, {need} number",
                b.mean.point
            );
        }
    }
    Ok(())
}

/// The bootstrap's fixed seed: the same two runs always give the same report.
const BOOTSTRAP_SEED: u64 = 0x6767_656e_2d62_656e;

/// Compares `new` with `base`, bench by bench (same id and unit).
pub fn compare(base_name: &str, base: &[Bench], new: &[Bench], threshold: f64) -> Comparison {
    let base_by: BTreeMap<&str, &Bench> = base.iter().map(|b| (b.id.as_str(), b)).collect();
    let new_by: BTreeMap<&str, &Bench> = new.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut deltas = Vec::new();
    let mut unusable = Vec::new();
    for (id, n) in &new_by {
        let Some(b) = base_by.get(id) else { continue };
        let mut skip = |why: String| {
            unusable.push(Unusable {
                id: id.to_string(),
                why,
            })
        };
        if b.unit != n.unit {
            skip(format!(
                "measures {:?} in the baseline but {:?} in this run",
                b.unit, n.unit
            ));
            continue;
        }
        let all_zero = |x: &Bench| x.samples.iter().all(|v| *v == 0.0);
        if n.unit == Unit::Bytes && all_zero(b) && all_zero(n) {
            // Nothing allocated on either side: unchanged, exactly.
            let exact = RatioCi {
                point: 1.0,
                lower: 1.0,
                upper: 1.0,
            };
            deltas.push(Delta {
                id: id.to_string(),
                unit: n.unit,
                base_mean: 0.0,
                new_mean: 0.0,
                min_detectable_change: 0.0,
                change: Change::Unchanged,
                ratio: exact,
            });
            continue;
        }
        // With repeats on both sides the unit is a whole run (its mean), which carries the
        // between-run drift; otherwise the per-iteration samples of the single runs.
        let ci = if b.run_means.len() >= 2 && n.run_means.len() >= 2 {
            ratio_ci_runs(&b.run_means, &n.run_means)
        } else {
            ratio_ci(&b.samples, &n.samples, 10_000, BOOTSTRAP_SEED)
        };
        if let Some(ci) = ci {
            deltas.push(Delta {
                id: id.to_string(),
                unit: n.unit,
                base_mean: b.mean.point,
                new_mean: n.mean.point,
                min_detectable_change: ci.min_detectable_change(),
                change: verdict(&ci, threshold),
                ratio: ci,
            });
        } else {
            skip(format!(
                "no interval for the ratio (baseline mean {}, new mean {})",
                format(b.mean.point, b.unit),
                format(n.mean.point, n.unit)
            ));
        }
    }
    let repeated = |bs: &[Bench]| bs.iter().all(|b| b.run_means.len() >= 2) && !bs.is_empty();
    Comparison {
        baseline: base_name.to_owned(),
        threshold,
        unit: if repeated(base) && repeated(new) {
            "runs".into()
        } else {
            "samples".into()
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

fn bench_extra(b: &Bench) -> String {
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

fn pct(r: f64) -> String {
    format!("{:+.1}%", (r - 1.0) * 100.0)
}

/// One sentence saying what a comparison's intervals were computed over.
fn comparison_method(c: &Comparison) -> &'static str {
    if c.unit == "runs" {
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
        "## Compared with `{}` (threshold {:.0}%): {} regressed, {} unusable, {} improved, {} unchanged\n",
        c.baseline,
        c.threshold * 100.0,
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
    let _ = writeln!(
        s,
        "| bench | baseline | new | change | 95% CI | detectable | verdict |\n|---|---|---|---|---|---|---|"
    );
    for d in &c.deltas {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | [{}, {}] | ±{:.1}% | {:?} |",
            d.id,
            format(d.base_mean, d.unit),
            format(d.new_mean, d.unit),
            pct(d.ratio.point),
            pct(d.ratio.lower),
            pct(d.ratio.upper),
            d.min_detectable_change * 100.0,
            d.change
        );
    }
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
    s.push('\n');
    s
}

/// The markdown report (terminal and PR comments).
pub fn markdown(r: &Report) -> String {
    let h = &r.header;
    let mut s = String::new();
    let _ = writeln!(s, "# ggen bench report `{}`\n", h.run_id);
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| host | {} ({} cores) |", h.host_cpu, h.cores);
    let _ = writeln!(s, "| os | {} |", h.os);
    let _ = writeln!(s, "| rustc | {} |", h.rustc);
    let _ = writeln!(
        s,
        "| git | {}{} |",
        h.git_rev,
        if h.git_dirty { " (dirty)" } else { "" }
    );
    let _ = writeln!(
        s,
        "| profile | {}{} |",
        h.profile,
        if h.repeat > 1 {
            format!(", {} repeats", h.repeat)
        } else {
            String::new()
        }
    );
    let _ = writeln!(s, "| time | {} |", h.timestamp);
    let _ = writeln!(s, "| suites | {} |", h.suites.join(", "));
    if let Some(f) = &h.filter {
        let _ = writeln!(s, "| filter | `{f}` |");
    }
    let _ = writeln!(
        s,
        "| duration | {:.1} s (excluding compilation) |\n",
        h.duration_s
    );

    let count = |v: Verdict| r.evaluations.iter().filter(|e| e.verdict == v).count();
    let _ = writeln!(
        s,
        "## Claims: {} pass, {} fail, {} no data, {} skipped\n",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::NoData),
        count(Verdict::Skipped)
    );
    if !r.evaluations.is_empty() {
        let _ = writeln!(
            s,
            "| verdict | claim | measured | note |\n|---|---|---|---|"
        );
        for e in &r.evaluations {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                e.verdict.label(),
                e.entry.describe(),
                e.detail,
                e.entry.note.as_deref().unwrap_or("")
            );
        }
        s.push('\n');
    }

    if let Some(c) = &r.comparison {
        s.push_str(&markdown_comparison(c));
    }

    let _ = writeln!(s, "## Benches ({})\n", r.benches.len());
    let _ = writeln!(
        s,
        "Mean per iteration with Criterion's 95% bootstrap interval; figures are means of samples, not latency percentiles (those appear only where a suite recorded single operations).\n"
    );
    let _ = writeln!(s, "| bench | mean | 95% CI | details |\n|---|---|---|---|");
    for b in &r.benches {
        let _ = writeln!(
            s,
            "| `{}` | {} | [{}, {}] | {} |",
            b.id,
            format(b.mean.point, b.unit),
            format(b.mean.lower, b.unit),
            format(b.mean.upper, b.unit),
            bench_extra(b)
        );
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of one group's benches (mean, with CI whiskers), log-free linear scale.
fn group_chart(benches: &[&Bench]) -> String {
    let row = 22.0;
    let label_w = 260.0;
    let bar_w = 420.0;
    let height = row * benches.len() as f64 + 10.0;
    let max = benches
        .iter()
        .map(|b| b.mean.upper)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\">",
        label_w + bar_w + 120.0
    );
    for (i, b) in benches.iter().enumerate() {
        let y = i as f64 * row + 5.0;
        let w = b.mean.point / max * bar_w;
        let (lo, hi) = (b.mean.lower / max * bar_w, b.mean.upper / max * bar_w);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}/{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#4e79a7\"><title>{}</title></rect>\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&b.function),
            esc(&b.parameter),
            row - 6.0,
            esc(&b.id),
            label_w + lo,
            label_w + hi,
            y + 8.0,
            y + 8.0,
            label_w + hi.max(w) + 6.0,
            y + 14.0,
            esc(&format(b.mean.point, b.unit))
        );
    }
    s.push_str("</svg>");
    s
}

/// A log-log plot of mean against the numeric parameter, one polyline per function.
fn scaling_chart(series: &BTreeMap<String, Vec<(f64, f64)>>) -> String {
    let (w, h, pad) = (520.0, 300.0, 50.0);
    let all: Vec<(f64, f64)> = series.values().flatten().copied().collect();
    let (x0, x1) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.0.ln()), b.max(p.0.ln()))
    });
    let (y0, y1) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.1.ln()), b.max(p.1.ln()))
    });
    let sx = |x: f64| pad + (x.ln() - x0) / (x1 - x0).max(1e-9) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad - (y.ln() - y0) / (y1 - y0).max(1e-9) * (h - 2.0 * pad);
    let colors = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    ];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\">"
    );
    let _ = write!(
        s,
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#888\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">parameter (log)</text>\
         <text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">mean (log)</text>",
        h - pad,
        w - pad,
        h - pad,
        h - pad,
        w / 2.0,
        h - 12.0,
        h / 2.0,
        h / 2.0
    );
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = colors[i % colors.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for &(x, y) in pts {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{c}\"><title>{name} {x}: {y:.1}</title></circle>",
                sx(x),
                sy(y)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{c}\">{}</text>",
            w - pad + 4.0,
            pad + 14.0 * i as f64,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// One self-contained HTML page: header, claims, baseline deltas, and per group a bar chart, a
/// scaling plot for numeric parameter sweeps, and the table. No scripts, no external resources.
pub fn html(r: &Report) -> String {
    let h = &r.header;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ggen bench report {id}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}}.PASS{{color:#1a7f37}}.FAIL,.NO_DATA,.regressed{{color:#cf222e;font-weight:bold}}\
         .SKIPPED{{color:#888}}.improved{{color:#1a7f37}}code{{font-size:12px}}</style></head><body>\
         <h1>ggen bench report <code>{id}</code></h1><table>",
        id = esc(&h.run_id)
    );
    for (k, v) in [
        ("host", format!("{} ({} cores)", h.host_cpu, h.cores)),
        ("os", h.os.clone()),
        ("rustc", h.rustc.clone()),
        (
            "git",
            format!("{}{}", h.git_rev, if h.git_dirty { " (dirty)" } else { "" }),
        ),
        ("profile", h.profile.clone()),
        ("time", h.timestamp.clone()),
        (
            "duration",
            format!("{:.1} s (excluding compilation)", h.duration_s),
        ),
    ] {
        let _ = write!(s, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    s.push_str("</table><h2>Claims</h2><table><tr><th>verdict</th><th>claim</th><th>measured</th><th>note</th></tr>");
    for e in &r.evaluations {
        let _ = write!(
            s,
            "<tr><td class=\"{v}\">{v}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.entry.describe()),
            esc(&e.detail),
            esc(e.entry.note.as_deref().unwrap_or("")),
            v = e.verdict.label()
        );
    }
    s.push_str("</table>");
    if let Some(c) = &r.comparison {
        let _ = write!(
            s,
            "<h2>Compared with <code>{}</code> (threshold {:.0}%)</h2><p>{}</p><table><tr><th>bench</th><th>baseline</th><th>new</th><th>change</th><th>95% CI</th><th>detectable</th><th>verdict</th></tr>",
            esc(&c.baseline),
            c.threshold * 100.0,
            esc(&comparison_method(c).replace("**", ""))
        );
        for d in &c.deltas {
            let cls = format!("{:?}", d.change).to_lowercase();
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>±{:.1}%</td><td class=\"{cls}\">{cls}</td></tr>",
                esc(&d.id),
                format(d.base_mean, d.unit),
                format(d.new_mean, d.unit),
                pct(d.ratio.point),
                pct(d.ratio.lower),
                pct(d.ratio.upper),
                d.min_detectable_change * 100.0
            );
        }
        s.push_str("</table>");
        for u in &c.unusable {
            let _ = write!(
                s,
                "<p class=\"regressed\">could not be compared: <code>{}</code>: {}</p>",
                esc(&u.id),
                esc(&u.why)
            );
        }
        for (label, ids) in [
            ("only in baseline", &c.only_in_baseline),
            ("only in this run", &c.only_in_new),
        ] {
            if !ids.is_empty() {
                let _ = write!(s, "<p>{label}: {}</p>", esc(&ids.join(", ")));
            }
        }
    }
    let mut groups: BTreeMap<(String, String), Vec<&Bench>> = BTreeMap::new();
    for b in &r.benches {
        groups
            .entry((b.suite.clone(), b.group.clone()))
            .or_default()
            .push(b);
    }
    s.push_str("<h2>Groups</h2>");
    for ((suite, group), benches) in &groups {
        let _ = write!(
            s,
            "<section class=\"group\" id=\"{0}/{1}\"><h3>{0}/{1}</h3>",
            esc(suite),
            esc(group)
        );
        s.push_str(&group_chart(benches));
        let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for b in benches {
            if let Some(x) = b.parameter_value() {
                series
                    .entry(b.function.clone())
                    .or_default()
                    .push((x, b.mean.point));
            }
        }
        series.retain(|_, pts| {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts.len() >= 2
        });
        if !series.is_empty() {
            s.push_str("<h4>Scaling (log-log)</h4>");
            s.push_str(&scaling_chart(&series));
        }
        s.push_str("<table><tr><th>bench</th><th>mean</th><th>95% CI</th><th>details</th></tr>");
        for b in benches {
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>[{}, {}]</td><td>{}</td></tr>",
                esc(&b.id),
                format(b.mean.point, b.unit),
                format(b.mean.lower, b.unit),
                format(b.mean.upper, b.unit),
                esc(&bench_extra(b))
            );
        }
        s.push_str("</table></section>");
    }
    s.push_str("</body></html>\n");
    s
}

/// Bencher Metric Format: `{ id: { measure: { value, lower_value, upper_value } } }`, with measure
/// `latency` (ns) for wall-time benches and `allocated_bytes` for allocation benches.
pub fn bmf(r: &Report) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for b in &r.benches {
        let measure = match b.unit {
            Unit::Ns => "latency",
            Unit::Bytes => "allocated_bytes",
        };
        out.insert(
            b.id.clone(),
            serde_json::json!({ measure: {
                "value": b.mean.point, "lower_value": b.mean.lower, "upper_value": b.mean.upper } }),
        );
    }
    serde_json::Value::Object(out)
}

/// github-action-benchmark `customSmallerIsBetter`: `[{ name, unit, value, range, extra }]`.
pub fn github(r: &Report) -> serde_json::Value {
    serde_json::Value::Array(
        r.benches
            .iter()
            .map(|b| {
                serde_json::json!({
                    "name": b.id,
                    "unit": match b.unit { Unit::Ns => "ns", Unit::Bytes => "bytes" },
                    "value": b.mean.point,
                    "range": format!("± {:.3}", (b.mean.upper - b.mean.lower) / 2.0),
                    "extra": format!("95% CI [{:.3}, {:.3}]; {} samples", b.mean.lower, b.mean.upper, b.samples.len()),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::budgets::{Check, Entry};
    use crate::output::write_atomic;
    use crate::results::{Estimate, Latency};

    pub fn sample_report() -> Report {
        let bench = |id: &str, mean: f64, unit: Unit, samples: Vec<f64>| Bench {
            mean: Estimate {
                point: mean,
                lower: mean * 0.9,
                upper: mean * 1.1,
            },
            std_dev: 1.0,
            elements: Some(100),
            samples,
            ..crate::results::tests::bench_fixture(id, mean, unit)
        };
        let mut with_latency = bench("s/orch/queen/10", 500.0, Unit::Ns, vec![500.0; 10]);
        with_latency.latency = Some(Latency {
            count: 100,
            min: 1,
            p50: 400,
            p95: 900,
            p99: 990,
            max: 1000,
        });
        Report {
            schema: 1,
            header: Header {
                run_id: "20260101-000000-000".into(),
                timestamp: "2026-01-01T00:00:00Z".into(),
                host_cpu: "Test CPU <x>".into(),
                cores: 2,
                os: "TestOS".into(),
                rustc: "rustc 1.95.0".into(),
                git_rev: "abc1234".into(),
                git_dirty: true,
                profile: "quick".into(),
                suites: vec!["s".into()],
                filter: None,
                duration_s: 1.5,
                repeat: 1,
            },
            benches: vec![
                bench("s/det/indexed/10", 100.0, Unit::Ns, vec![100.0; 10]),
                bench("s/det/indexed/100", 1000.0, Unit::Ns, vec![1000.0; 10]),
                bench("s/mem/global/1", 2048.0, Unit::Bytes, vec![2048.0; 10]),
                with_latency,
            ],
            known_ids: vec![],
            evaluations: vec![Evaluation {
                entry: Entry {
                    check: Check::Scaling {
                        series: "s/det/indexed".into(),
                        max_exponent: 1.1,
                    },
                    note: Some("near-linear".into()),
                },
                verdict: Verdict::Pass,
                detail: "exponent 1.000".into(),
                measured: Some(1.0),
            }],
            comparison: None,
        }
    }

    #[test]
    fn markdown_has_header_claims_and_readable_units() {
        let md = markdown(&sample_report());
        for needle in [
            "Test CPU",
            "abc1234 (dirty)",
            "quick",
            "1 pass, 0 fail",
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
    fn report_json_round_trips_and_checks_schema() {
        let dir = crate::results::tests::temp_dir("report-json");
        let r = sample_report();
        let p = dir.join("report.json");
        write_atomic(&p, serde_json::to_string_pretty(&r).unwrap().as_bytes()).unwrap();
        assert_eq!(load(&p).unwrap(), r);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("\"schema\": 1"));
        std::fs::write(&p, text.replace("\"schema\": 1", "\"schema\": 9")).unwrap();
        assert!(format!("{:#}", load(&p).unwrap_err()).contains("unsupported schema 9"));
        std::fs::write(&p, "{\"benches\": []}").unwrap();
        assert!(format!("{:#}", load(&p).unwrap_err()).contains("no \"schema\""));
        std::fs::write(&p, &text[..10]).unwrap();
        assert!(format!("{:#}", load(&p).unwrap_err()).contains("truncated"));
        assert!(
            !dir.join(".report.json.tmp").exists(),
            "temporary file left behind"
        );
    }

    #[test]
    fn comparison_flags_a_real_shift_and_not_noise() {
        let r = sample_report();
        let mut slower = r.benches.clone();
        slower[0].samples = (0..10).map(|i| 115.0 + (i % 3) as f64).collect();
        slower[0].mean.point = 116.0;
        let c = compare("base", &r.benches, &slower, 0.05);
        assert_eq!(c.regressions(), 1);
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
        let fewer = compare("base", &r.benches, &r.benches[1..], 0.05);
        assert_eq!(fewer.only_in_baseline, vec!["s/det/indexed/10".to_string()]);
    }

    #[test]
    fn a_damaged_baseline_is_an_error_not_a_silent_pass() {
        let dir = crate::results::tests::temp_dir("damaged");
        let p = dir.join("base.json");
        let mut r = sample_report();
        r.header.repeat = 3;
        for b in &mut r.benches {
            b.run_means = vec![b.mean.point; 3];
        }
        let good = serde_json::to_value(&r).unwrap();
        write_atomic(&p, good.to_string().as_bytes()).unwrap();
        load(&p).unwrap();
        let cases: [(&str, serde_json::Value, &str); 7] = [
            ("samples", serde_json::json!([]), "`samples` is empty"),
            ("samples", serde_json::json!([0.0, 0.0]), "samples[0] is 0"),
            (
                "samples",
                serde_json::json!([5.0, -1.0]),
                "samples[1] is -1",
            ),
            ("run_means", serde_json::json!([]), "0 run_means"),
            (
                "run_means",
                serde_json::json!([0.0, 1.0, 1.0]),
                "run_means[0] is 0",
            ),
            (
                "run_means",
                serde_json::json!([1.0, -3.0, 1.0]),
                "run_means[1] is -3",
            ),
            ("run_means", serde_json::json!([1.0, 2.0]), "2 run_means"),
        ];
        for (field, value, needle) in cases {
            let mut v = good.clone();
            v["benches"][0][field] = value;
            std::fs::write(&p, v.to_string()).unwrap();
            let e = format!("{:#}", load(&p).unwrap_err());
            assert!(
                e.contains("base.json") && e.contains("s/det/indexed/10") && e.contains(needle),
                "{field}: {e}"
            );
        }
        // Zero bytes is a real measurement; zero time is not.
        let mut v = good.clone();
        v["benches"][2]["samples"] = serde_json::json!([0.0]);
        std::fs::write(&p, v.to_string()).unwrap();
        load(&p).unwrap();
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

    #[test]
    fn exports_follow_their_schemas() {
        let r = sample_report();
        let b = bmf(&r);
        let m = &b["s/det/indexed/10"]["latency"];
        assert_eq!(m["value"], 100.0);
        assert!(m["lower_value"].as_f64().unwrap() <= m["value"].as_f64().unwrap());
        assert!(b["s/mem/global/1"]["allocated_bytes"]["value"].is_number());
        let g = github(&r);
        let arr = g.as_array().unwrap();
        assert_eq!(arr.len(), r.benches.len());
        for e in arr {
            for k in ["name", "unit", "value"] {
                assert!(!e[k].is_null(), "missing {k} in {e}");
            }
            assert!(e["value"].is_number() && e["name"].is_string());
        }
        assert_eq!(arr[2]["unit"], "bytes");
    }

    #[test]
    fn html_is_self_contained_and_shows_every_group() {
        let page = html(&sample_report());
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script"), "no scripts");
        assert!(
            !page.contains("http://")
                || page
                    .matches("http://")
                    .all(|_| page.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        );
        for g in ["s/det", "s/mem", "s/orch"] {
            assert!(page.contains(&format!("id=\"{g}\"")), "group {g} missing");
        }
        assert!(page.contains("Scaling (log-log)"));
        assert!(page.contains("Test CPU &lt;x&gt;"), "escaped");
    }
}
