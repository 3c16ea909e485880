//! The run report: its JSON model (`"schema": 1`), validated on load, and the places it is
//! rendered: [`compare`] (a run against a baseline), [`markdown`], [`html`] (inline SVG) and
//! `export` (Bencher Metric Format, github-action-benchmark JSON).
//!
//! A saved baseline is a report JSON file: self-contained, with every bench's raw per-iteration
//! samples, so two runs can be compared long after Criterion's directories are gone.

mod compare;
mod counts;
mod export;
mod html;
mod markdown;
mod svg;
pub mod table;

pub use compare::{Comparison, compare, compare_paired};
pub use export::{bmf, github};
pub use html::html;
pub use markdown::{markdown, markdown_comparison};

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::budgets::Evaluation;
use crate::results::{Bench, Unit};

/// Where, when and how a run happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// `YYYYMMDD-HHMMSS-mmm`, the run folder's name.
    pub run_id: String,
    /// UTC, RFC 3339.
    pub timestamp: String,
    /// The CPU model (`/proc/cpuinfo`).
    pub host_cpu: String,
    /// CPUs available to the run.
    pub cores: usize,
    /// Operating system and kernel.
    pub os: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Commit the run measured (short hash).
    pub git_rev: String,
    /// Whether the working tree had uncommitted changes.
    pub git_dirty: bool,
    /// `quick` or `full`.
    pub profile: String,
    /// Suites that were run.
    pub suites: Vec<String>,
    /// The `--filter` regex, if any.
    pub filter: Option<String>,
    /// Wall time of the bench runs, excluding compilation.
    pub duration_s: f64,
    /// How many times each suite was run (`--repeat`; 1 with `--against`, whose pairs are
    /// samples).
    #[serde(default = "one")]
    pub repeat: usize,
    /// With `--against REV`: REV and the commit it named (side A of the comparison).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    /// Other processes' CPU use before and during each suite (and the claims measured in turn),
    /// where the OS says (Linux); empty in reports written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load: Vec<crate::load::CpuUse>,
}

impl Header {
    /// The header's "other load" line: the suites measured under load, or that none was.
    pub fn load_line(&self) -> Option<String> {
        if self.load.is_empty() {
            return None;
        }
        let under: Vec<String> = self
            .load
            .iter()
            .filter(|u| u.under_load())
            .map(|u| {
                format!(
                    "{} (other processes used {:.2} CPUs before, {:.2} during)",
                    u.suite, u.others_before, u.others_during
                )
            })
            .collect();
        let most = self
            .load
            .iter()
            .map(|u| u.others_before.max(u.others_during))
            .fold(0.0, f64::max);
        Some(if under.is_empty() {
            format!(
                "no suite measured under load (other processes used at most {most:.2} CPUs; the limit is {})",
                crate::load::UNDER_LOAD_CPUS
            )
        } else {
            format!("MEASURED UNDER LOAD: {}", under.join("; "))
        })
    }
}

fn one() -> usize {
    1
}

/// A whole run: the content of `report.json` and of saved baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Version of this format.
    pub schema: u32,
    /// Where, when and how the run happened.
    pub header: Header,
    /// Every bench measured, by id.
    pub benches: Vec<Bench>,
    /// Every bench id the workspace's suites define (from `--list`), run or not.
    pub known_ids: Vec<String>,
    /// Every entry of `budgets.toml` with its verdict.
    pub evaluations: Vec<Evaluation>,
    #[serde(default)]
    /// The comparison with a baseline or the `--against` side, if any.
    pub comparison: Option<Comparison>,
    /// With `--instructions`: the counting pass (valgrind version, duration, what was not
    /// counted and why). The counts themselves are on each bench (`Bench::counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<crate::instructions::Summary>,
    /// Claims whose two sides were measured in turn (paired engine): the ratios they were
    /// judged on, kept so that `report` re-renders the same verdicts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paired_claims: Vec<crate::budgets::PairedRatio>,
}

impl Report {
    /// Whether the run should exit 1: a failed or data-less claim, or a regression.
    pub fn failed(&self) -> bool {
        self.failed_counting(|_| true)
    }

    /// [`Report::failed`], counting only the evaluations `counts` keeps (`--gate-deterministic`
    /// keeps the deterministic and `gate = true` entries).
    pub fn failed_counting(&self, counts: impl Fn(&Evaluation) -> bool) -> bool {
        self.evaluations
            .iter()
            .any(|e| counts(e) && e.verdict.fails())
            || self.comparison.as_ref().is_some_and(Comparison::failed)
    }

    /// The bench ids the workspace defines, as a set.
    pub fn known(&self) -> BTreeSet<String> {
        self.known_ids.iter().cloned().collect()
    }
}

/// Benches in reading order: suite, group, function, then the parameter as a number when it is
/// one (8 before 16 before 64), else as text.
pub fn display_order(benches: &[Bench]) -> Vec<&Bench> {
    let mut v: Vec<&Bench> = benches.iter().collect();
    v.sort_by(|a, b| {
        (&a.suite, &a.group, &a.function)
            .cmp(&(&b.suite, &b.group, &b.function))
            .then_with(|| match (a.parameter_value(), b.parameter_value()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.parameter.cmp(&b.parameter),
            })
    });
    v
}

/// A bench whose run-to-run coefficient of variation is at least this is too noisy to gate on
/// (seed 004's "< 5% variance"); known only when the run was repeated.
pub const GATE_CV: f64 = 0.05;

/// With `--repeat`: how many benches have a run-to-run CV under [`GATE_CV`], and the ids of those
/// that do not (noisiest first). `None` for a single run, which cannot tell.
pub fn gate_stability(r: &Report) -> Option<(usize, Vec<(String, f64)>)> {
    if r.header.repeat < 2 {
        return None;
    }
    let mut noisy: Vec<(String, f64)> = r
        .benches
        .iter()
        .map(|b| (b.id.clone(), spread(b).0))
        .filter(|(_, cv)| *cv >= GATE_CV)
        .collect();
    noisy.sort_by(|a, b| b.1.total_cmp(&a.1));
    Some((r.benches.len() - noisy.len(), noisy))
}

/// How noisy a bench is, relative to its mean, and what that figure is: with repeats, the
/// run-to-run coefficient of variation of the run means; otherwise the half-width of Criterion's
/// 95% interval of the mean.
pub fn spread(b: &Bench) -> (f64, &'static str) {
    if b.run_means.len() >= 2 {
        let (m, sd) = crate::stats::mean_and_sd(&b.run_means);
        (if m > 0.0 { sd / m } else { 0.0 }, "run-to-run CV")
    } else if b.mean.point > 0.0 {
        ((b.mean.upper - b.mean.lower) / 2.0 / b.mean.point, "95% CI")
    } else {
        (0.0, "95% CI")
    }
}

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bench id linking to its group's section.
fn bench_link(id: &str) -> String {
    let group = id.rsplitn(3, '/').nth(2).unwrap_or(id);
    format!("<a href=\"#{}\"><code>{}</code></a>", esc(group), esc(id))
}

/// A threshold (a fraction) as a percentage, as short as it can be said: 10, 1, 0.5.
fn threshold_pct(t: f64) -> String {
    let p = (t * 1e5).round() / 1e3;
    format!("{p}")
}

fn pct(r: f64) -> String {
    format!("{:+.1}%", (r - 1.0) * 100.0)
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
        if let Some(c) = &b.counts {
            let fine = |v: f64| v.is_finite() && v >= 0.0;
            if c.iterations == 0
                || !(c.instructions.is_finite() && c.instructions > 0.0)
                || ![c.estimated_cycles, c.l1_hits, c.ll_hits, c.ram_hits]
                    .into_iter()
                    .all(fine)
            {
                bail!(
                    "bench {id}: `counts` must have iterations > 0, instructions > 0 and finite, \
                     non-negative cycles and hits; found {c:?}"
                );
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::write_atomic;
    use crate::testing::{sample_report, temp_dir};

    #[test]
    fn a_failure_counts_only_where_the_filter_keeps_it() {
        let mut r = sample_report();
        assert!(!r.failed());
        r.evaluations[0].verdict = crate::budgets::Verdict::Fail;
        assert!(r.failed());
        assert!(r.failed_counting(|_| true));
        // --gate-deterministic leaves out a wall-clock entry that is not marked `gate`.
        assert!(!r.failed_counting(|e| e.entry.gates()));
        r.evaluations[0].entry.gate = true;
        assert!(r.failed_counting(|e| e.entry.gates()));
    }

    #[test]
    fn report_json_round_trips_and_checks_schema() {
        let dir = temp_dir("report-json");
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
    fn a_damaged_baseline_is_an_error_not_a_silent_pass() {
        let dir = temp_dir("damaged");
        let p = dir.join("base.json");
        let mut r = sample_report();
        r.header.repeat = 3;
        for b in &mut r.benches {
            b.run_means = vec![b.mean.point; 3];
        }
        let good = serde_json::to_value(&r).unwrap();
        write_atomic(&p, good.to_string().as_bytes()).unwrap();
        load(&p).unwrap();
        let counts = |ir: f64| {
            serde_json::json!({"iterations": 10, "instructions": ir, "estimated_cycles": 1.0,
                "l1_hits": 1.0, "ll_hits": 0.0, "ram_hits": 0.0})
        };
        let cases: [(&str, serde_json::Value, &str); 9] = [
            ("counts", counts(0.0), "`counts` must have"),
            ("counts", counts(-5.0), "`counts` must have"),
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
}
