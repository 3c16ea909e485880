//! `budgets.toml`: every performance claim the project makes, checked on every run.
//!
//! ```toml
//! [[budget]]                      # an absolute limit on one bench
//! id = "suite/group/function/parameter"
//! stat = "mean"                   # mean | median | p50 | p95 | p99 (the last three need latency)
//! max = "1ms"                     # ns, us/µs, ms, s, B, KiB, MiB, GiB
//!
//! [[claim]]                       # A is at least k times faster than B, in the same run
//! faster = "suite/g/a/1"
//! than = "suite/g/b/1"
//! by_at_least = 100.0
//!
//! [[claim]]                       # A costs at most k times B, in the same run
//! id = "suite/g/a/1"
//! within = 1.5
//! of = "suite/g/floor/1"
//!
//! [[scaling]]                     # log-log slope of mean over the numeric parameter
//! series = "suite/group/function"
//! max_exponent = 1.09
//! ```
//!
//! Every entry may have a `note`. Verdicts: PASS, FAIL, NO_DATA (an entry whose benches were
//! selected for the run but produced no result — a failure), SKIPPED (the run was filtered to
//! exclude them, or one side of a claim, or all but one point of a series). Unknown ids, unknown fields and bad units are input errors that name the entry
//! and suggest the closest existing id.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::results::{Bench, Unit};
use crate::stats::loglog_fit;
use crate::units::{format, parse_quantity};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    budget: Vec<BudgetEntry>,
    #[serde(default)]
    claim: Vec<ClaimEntry>,
    #[serde(default)]
    scaling: Vec<ScalingEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetEntry {
    id: String,
    #[serde(default = "default_stat")]
    stat: String,
    max: String,
    note: Option<String>,
}

fn default_stat() -> String {
    "mean".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimEntry {
    faster: Option<String>,
    than: Option<String>,
    by_at_least: Option<f64>,
    id: Option<String>,
    within: Option<f64>,
    of: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScalingEntry {
    series: String,
    max_exponent: f64,
    note: Option<String>,
}

/// Which statistic a budget limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    Mean,
    Median,
    P50,
    P95,
    P99,
}

impl Stat {
    /// The name `budgets.toml` uses.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Median => "median",
            Stat::P50 => "p50",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
        }
    }
}

/// A validated check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Check {
    /// `stat(id) <= max`.
    Budget {
        id: String,
        stat: Stat,
        max: f64,
        unit: Unit,
    },
    /// `mean(slow) / mean(fast) >= factor`.
    Faster {
        fast: String,
        slow: String,
        factor: f64,
    },
    /// `mean(id) / mean(of) <= factor`.
    Within { id: String, of: String, factor: f64 },
    /// Log-log slope of `mean` over the numeric parameter of `series/*` is at most `max_exponent`.
    Scaling { series: String, max_exponent: f64 },
}

/// A check and its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub check: Check,
    pub note: Option<String>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Pass,
    Fail,
    NoData,
    Skipped,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NoData => "NO_DATA",
            Verdict::Skipped => "SKIPPED",
        }
    }

    /// Whether this verdict makes the run fail.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::NoData)
    }
}

/// An evaluated check, ready for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub entry: Entry,
    pub verdict: Verdict,
    /// What was measured, in words (`"global 57.7 ns vs raw_block_on 46.1 ns: 1.25×"`).
    pub detail: String,
    /// The measured figure the check compares (ratio, exponent or value), when there is one.
    pub measured: Option<f64>,
}

impl Entry {
    /// A one-line description of the claim.
    pub fn describe(&self) -> String {
        match &self.check {
            Check::Budget {
                id,
                stat,
                max,
                unit,
            } => {
                format!("{id}: {} ≤ {}", stat.name(), format(*max, *unit))
            }
            Check::Faster { fast, slow, factor } => {
                format!("{fast} ≥ {factor}× faster than {slow}")
            }
            Check::Within { id, of, factor } => format!("{id} ≤ {factor}× {of}"),
            Check::Scaling {
                series,
                max_exponent,
            } => {
                format!("{series}: scaling exponent ≤ {max_exponent}")
            }
        }
    }

    /// Every bench id this entry needs (for a scaling entry: the series' ids in `known`).
    pub fn ids<'a>(&'a self, known: &'a BTreeSet<String>) -> Vec<&'a str> {
        match &self.check {
            Check::Budget { id, .. } => vec![id],
            Check::Faster { fast, slow, .. } => vec![fast, slow],
            Check::Within { id, of, .. } => vec![id, of],
            Check::Scaling { series, .. } => series_ids(series, known),
        }
    }
}

/// The ids of a scaling series: `series/<parameter>` where the parameter is a positive number
/// (the same rule as [`Bench::parameter_value`]; other parameters cannot be fitted).
fn series_ids<'a>(series: &str, known: &'a BTreeSet<String>) -> Vec<&'a str> {
    let prefix = format!("{series}/");
    known
        .iter()
        .filter(|id| {
            id.strip_prefix(&prefix).is_some_and(|rest| {
                !rest.contains('/') && rest.parse::<f64>().is_ok_and(|v| v.is_finite() && v > 0.0)
            })
        })
        .map(String::as_str)
        .collect()
}

fn unit_word(u: Unit) -> &'static str {
    match u {
        Unit::Ns => "time (ns)",
        Unit::Bytes => "bytes",
    }
}

/// Levenshtein distance (for suggestions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known id closest to `id`.
pub fn closest<'a>(id: &str, known: impl IntoIterator<Item = &'a String>) -> Option<&'a String> {
    known.into_iter().min_by_key(|k| distance(id, k))
}

fn check_id(path: &Path, what: &str, id: &str, known: &BTreeSet<String>) -> Result<()> {
    if known.contains(id) {
        return Ok(());
    }
    match closest(id, known) {
        Some(s) => bail!(
            "{}: {what}: unknown bench id {id:?}; did you mean {s:?}?",
            path.display()
        ),
        None => bail!(
            "{}: {what}: unknown bench id {id:?} (no benches are known)",
            path.display()
        ),
    }
}

/// Parses and validates `budgets.toml` against the benches the suites define.
pub fn load(path: &Path, catalog: &Catalog) -> Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    parse(path, &text, catalog)
}

/// Parses `text` (read from `path`, named in errors). Beyond syntax and ids, every entry must be
/// one that a run can evaluate: a limit in the bench's own unit, a latency statistic only for a
/// bench that records latency, the two sides of a claim in one unit, a scaling series with at
/// least two numeric parameters in one unit.
pub fn parse(path: &Path, text: &str, catalog: &Catalog) -> Result<Vec<Entry>> {
    let known = &catalog.ids;
    let file: File = toml::from_str(text)
        .with_context(|| format!("{}: invalid budgets file", path.display()))?;
    let mut out = Vec::new();
    for (i, b) in file.budget.iter().enumerate() {
        let what = format!("[[budget]] #{} ({})", i + 1, b.id);
        check_id(path, &what, &b.id, known)?;
        let stat = match b.stat.as_str() {
            "mean" => Stat::Mean,
            "median" => Stat::Median,
            "p50" => Stat::P50,
            "p95" => Stat::P95,
            "p99" => Stat::P99,
            other => bail!(
                "{}: {what}: stat {other:?} is not one of mean, median, p50, p95, p99",
                path.display()
            ),
        };
        let (max, unit) =
            parse_quantity(&b.max).with_context(|| format!("{}: {what}: max", path.display()))?;
        let measures = catalog.unit(&b.id);
        if unit != measures {
            bail!(
                "{}: {what}: max {:?} is in {}, but the bench measures {}",
                path.display(),
                b.max,
                unit_word(unit),
                unit_word(measures)
            );
        }
        if matches!(stat, Stat::P50 | Stat::P95 | Stat::P99) && !catalog.latency.contains(&b.id) {
            bail!(
                "{}: {what}: stat {:?} needs per-operation latency, which this bench does not record; use mean or median",
                path.display(),
                b.stat
            );
        }
        out.push(Entry {
            check: Check::Budget {
                id: b.id.clone(),
                stat,
                max,
                unit,
            },
            note: b.note.clone(),
        });
    }
    for (i, c) in file.claim.iter().enumerate() {
        let what = format!("[[claim]] #{}", i + 1);
        let check = match (
            c,
            (&c.faster, &c.than, c.by_at_least),
            (&c.id, c.within, &c.of),
        ) {
            (_, (Some(fast), Some(slow), Some(factor)), (None, None, None)) => Check::Faster {
                fast: fast.clone(),
                slow: slow.clone(),
                factor,
            },
            (_, (None, None, None), (Some(id), Some(factor), Some(of))) => Check::Within {
                id: id.clone(),
                of: of.clone(),
                factor,
            },
            _ => bail!(
                "{}: {what}: a claim is either `faster`, `than`, `by_at_least` or `id`, `within`, `of`",
                path.display()
            ),
        };
        let (ids, factor) = match &check {
            Check::Faster { fast, slow, factor } => ([fast, slow], *factor),
            Check::Within { id, of, factor } => ([id, of], *factor),
            _ => unreachable!("claims are Faster or Within"),
        };
        for id in ids {
            check_id(path, &what, id, known)?;
        }
        let (ua, ub) = (catalog.unit(ids[0]), catalog.unit(ids[1]));
        if ua != ub {
            bail!(
                "{}: {what}: {} measures {} but {} measures {}; a ratio of the two means nothing",
                path.display(),
                ids[0],
                unit_word(ua),
                ids[1],
                unit_word(ub)
            );
        }
        if !(factor.is_finite() && factor > 0.0) {
            bail!(
                "{}: {what}: the factor must be a positive number, got {factor}",
                path.display()
            );
        }
        out.push(Entry {
            check,
            note: c.note.clone(),
        });
    }
    for (i, s) in file.scaling.iter().enumerate() {
        let what = format!("[[scaling]] #{} ({})", i + 1, s.series);
        if s.series.split('/').count() != 3 {
            bail!(
                "{}: {what}: series must be suite/group/function",
                path.display()
            );
        }
        let ids = series_ids(&s.series, known);
        if ids.len() < 2 {
            let probe = format!("{}/1", s.series);
            let hint = closest(&probe, known)
                .map(|k| {
                    format!(
                        "; did you mean {:?}?",
                        k.rsplit_once('/').map_or(k.as_str(), |x| x.0)
                    )
                })
                .unwrap_or_default();
            bail!(
                "{}: {what}: needs at least two benches with numeric parameters, found {}{hint}",
                path.display(),
                ids.len()
            );
        }
        let units: BTreeSet<&str> = ids.iter().map(|id| unit_word(catalog.unit(id))).collect();
        if units.len() > 1 {
            bail!(
                "{}: {what}: the series mixes units ({})",
                path.display(),
                units.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        if !(s.max_exponent.is_finite() && s.max_exponent > 0.0) {
            bail!("{}: {what}: max_exponent must be positive", path.display());
        }
        out.push(Entry {
            check: Check::Scaling {
                series: s.series.clone(),
                max_exponent: s.max_exponent,
            },
            note: s.note.clone(),
        });
    }
    Ok(out)
}

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
        Check::Budget {
            id,
            stat,
            max,
            unit,
        } => {
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

    fn bench(id: &str, mean: f64, unit: Unit) -> Bench {
        crate::results::tests::bench_fixture(id, mean, unit)
    }

    fn known() -> Catalog {
        let mut c = Catalog::from_ids(
            [
                "s/g/fast/1",
                "s/g/slow/1",
                "s/mem/x/1",
                "s/scale/f/10",
                "s/scale/f/100",
                "s/scale/f/1000",
                "s/scale/f/huge",
                "s/lat/op/1",
                "s/names/f/alpha",
                "s/names/f/beta",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        c.units.insert("s/mem/x/1".into(), Unit::Bytes);
        c.latency.insert("s/lat/op/1".into());
        c
    }

    const GOOD: &str = r#"
[[budget]]
id = "s/g/fast/1"
max = "20ns"
note = "tiny"

[[budget]]
id = "s/mem/x/1"
max = "1KiB"

[[claim]]
faster = "s/g/fast/1"
than = "s/g/slow/1"
by_at_least = 100

[[claim]]
id = "s/g/fast/1"
within = 1.5
of = "s/g/slow/1"

[[scaling]]
series = "s/scale/f"
max_exponent = 1.1
"#;

    fn results(fast: f64) -> Vec<Bench> {
        vec![
            bench("s/g/fast/1", fast, Unit::Ns),
            bench("s/g/slow/1", 1500.0, Unit::Ns),
            bench("s/mem/x/1", 2048.0, Unit::Bytes),
            bench("s/scale/f/10", 10.0, Unit::Ns),
            bench("s/scale/f/100", 100.0, Unit::Ns),
            bench("s/scale/f/1000", 1000.0, Unit::Ns),
        ]
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
    fn entries_that_can_only_be_no_data_or_meaningless_are_refused_at_load() {
        let k = known();
        let err = |t: &str| format!("{:#}", parse(Path::new("b.toml"), t, &k).unwrap_err());
        // A time limit on a bytes bench.
        let e = err("[[budget]]\nid = \"s/mem/x/1\"\nmax = \"1ms\"\n");
        assert!(
            e.contains("[[budget]] #1") && e.contains("measures bytes"),
            "{e}"
        );
        // A latency percentile on a bench that records none.
        let e = err("[[budget]]\nid = \"s/g/fast/1\"\nstat = \"p99\"\nmax = \"1ms\"\n");
        assert!(e.contains("per-operation latency"), "{e}");
        parse(
            Path::new("b.toml"),
            "[[budget]]\nid = \"s/lat/op/1\"\nstat = \"p99\"\nmax = \"1ms\"\n",
            &k,
        )
        .unwrap();
        // A claim comparing bytes with time.
        let e = err("[[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/mem/x/1\"\nby_at_least = 2\n");
        assert!(e.contains("means nothing"), "{e}");
        // A series whose parameters are not numbers.
        let e = err("[[scaling]]\nseries = \"s/names/f\"\nmax_exponent = 1.0\n");
        assert!(e.contains("numeric parameters, found 0"), "{e}");
        // A non-numeric member of an otherwise numeric series is left out of the fit.
        let entries = parse(
            Path::new("b.toml"),
            "[[scaling]]\nseries = \"s/scale/f\"\nmax_exponent = 1.1\n",
            &k,
        )
        .unwrap();
        assert_eq!(entries[0].ids(&k.ids).len(), 3);
    }

    #[test]
    fn evaluation_still_guards_units_and_latency() {
        let k = known();
        let entries = vec![
            Entry {
                check: Check::Budget {
                    id: "s/mem/x/1".into(),
                    stat: Stat::Mean,
                    max: 1e6,
                    unit: Unit::Ns,
                },
                note: None,
            },
            Entry {
                check: Check::Budget {
                    id: "s/g/fast/1".into(),
                    stat: Stat::P99,
                    max: 1e6,
                    unit: Unit::Ns,
                },
                note: None,
            },
        ];
        let ev = evaluate(&entries, &results(10.0), &k.ids, &|_| true);
        assert_eq!(ev[0].verdict, Verdict::Fail);
        assert!(ev[0].detail.contains("Bytes"), "{}", ev[0].detail);
        assert_eq!(ev[1].verdict, Verdict::NoData);
    }

    #[test]
    fn bad_files_name_the_entry_and_suggest_ids() {
        let k = known();
        let p = Path::new("budgets.toml");
        let err = |t: &str| format!("{:#}", parse(p, t, &k).unwrap_err());
        let e = err("[[budget]]\nid = \"s/g/fats/1\"\nmax = \"1ns\"\n");
        assert!(
            e.contains("budgets.toml") && e.contains("did you mean \"s/g/fast/1\""),
            "{e}"
        );
        let e = err("[[budget]]\nid = \"s/g/fast/1\"\nmax = \"1 parsec\"\n");
        assert!(
            e.contains("[[budget]] #1") && e.contains("unknown unit"),
            "{e}"
        );
        let e = err("[[budget]]\nid = \"s/g/fast/1\"\nmax = \"1ns\"\nstat = \"p42\"\n");
        assert!(e.contains("p42"), "{e}");
        let e = err("[[claim]]\nfaster = \"s/g/fast/1\"\nof = \"s/g/slow/1\"\n");
        assert!(e.contains("[[claim]] #1"), "{e}");
        let e = err("[[budgets]]\nid = \"x\"\n");
        assert!(e.contains("invalid budgets file"), "{e}");
        let e = err("[[scaling]]\nseries = \"s/scale/g\"\nmax_exponent = 1.0\n");
        assert!(e.contains("did you mean \"s/scale/f\""), "{e}");
        let e =
            err("[[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/g/slow/1\"\nby_at_least = -2\n");
        assert!(e.contains("positive"), "{e}");
    }
}
