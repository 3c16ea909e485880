//! Run history: every `cargo xtask bench` run recorded in an SQLite file ([`store`]), read back
//! as one series per bench, figure, machine, profile and mode, and searched for change points
//! ([`crate::changepoint`]); `cargo xtask history` renders the result ([`render`]).
//!
//! A series holds one kind of figure measured one way on one machine: wall-time means and
//! instruction counts are separate series (counts are deterministic, a moved count is a change
//! however small), and so are quick and full runs, plain, `--repeat` and `--against` runs, and
//! two machines (CPU model, cores, OS and kernel, rustc). Runs of a dirty tree measured no commit
//! and are left out unless asked for.
//!
//! `--against REF` runs also give a third kind ([`PAIRED`]): each bench's paired ratio, the
//! commit measured over REF sample by sample in turn, one series per reference commit. Measured
//! against a fixed reference, it is the wall-time figure steady enough for small steps: the
//! drift between runs that hides them in plain runs' means hits both sides of a pair alike
//! (docs/BENCHMARKS.md, "History").

pub mod render;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use regex::Regex;
use serde::Serialize;

use crate::changepoint::{self, Settings};
use crate::report::Report;
pub use store::Store;

/// The history file's name in the bench folder (`target/ggen-bench/history.sqlite`).
pub const FILE: &str = "history.sqlite";

/// The metric of a paired-ratio series (unit `ratio`; mode `against COMMIT`).
pub const PAIRED: &str = "paired_ratio";

/// Whether a metric is a count (deterministic): `instructions`, `estimated_cycles`.
fn counted(metric: &str) -> bool {
    matches!(metric, "instructions" | "estimated_cycles")
}

/// The reference commit of an `--against` run, from its header's `REV (commit)`.
fn reference(against: &str) -> &str {
    against
        .rsplit_once('(')
        .and_then(|(_, c)| c.strip_suffix(')'))
        .unwrap_or(against)
}

/// What a series is of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SeriesKey {
    pub bench: String,
    /// `mean` (wall time or bytes, as `unit` says), `instructions`, `estimated_cycles`, or
    /// [`PAIRED`] (`--against` runs' ratios, unit `ratio`).
    pub metric: String,
    pub unit: String,
    pub machine: String,
    pub profile: String,
    /// `plain`, `repeat` or `against`; `against COMMIT` for a paired-ratio series.
    pub mode: String,
}

/// One point of a series: a run's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub run_id: String,
    pub timestamp: String,
    pub git_rev: String,
    pub git_dirty: bool,
    pub value: f64,
}

/// A series and the change points found in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub key: SeriesKey,
    pub points: Vec<SeriesPoint>,
    pub changes: Vec<Change>,
}

/// A change point, named by the first run after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Index of the first point after the change.
    pub index: usize,
    pub run_id: String,
    pub git_rev: String,
    /// The last commit before it, when it differs (the change lies between the two).
    pub previous_rev: Option<String>,
    pub before: f64,
    pub after: f64,
    /// `after / before − 1`.
    pub change: f64,
    pub p: f64,
    /// Whether a counted figure (deterministic) moved, rather than a wall time.
    pub deterministic: bool,
    /// Series of the same figure, machine, profile and mode with a change point within
    /// [`NEAR`] runs of this one (this one included), and how many such series there are: a
    /// change every bench shows at once is more likely the host than a commit.
    pub shared: (usize, usize),
}

/// How many runs apart two change points may be and still count as the same moment.
pub const NEAR: usize = 2;

/// What `cargo xtask history` reads and how.
#[derive(Debug, Clone)]
pub struct Query {
    /// Only benches whose id this matches.
    pub bench: Option<Regex>,
    pub settings: Settings,
    /// Also runs of a dirty tree.
    pub include_dirty: bool,
}

/// Every series in the store that `q` selects, each with its change points.
pub fn analyze(store: &Store, q: &Query) -> Result<Vec<Series>> {
    // `runs()` is in time order, which the row ids need not be (imports come in any order).
    let list = store.runs()?;
    let order: BTreeMap<i64, usize> = list.iter().enumerate().map(|(k, r)| (r.id, k)).collect();
    let runs: BTreeMap<i64, store::RunRow> = list.into_iter().map(|r| (r.id, r)).collect();
    let mut by_key: BTreeMap<SeriesKey, Vec<(usize, SeriesPoint)>> = BTreeMap::new();
    let mut add = |run_row: i64,
                   bench: String,
                   metric: &str,
                   unit: String,
                   mode: Option<String>,
                   value: f64| {
        let Some(run) = runs.get(&run_row) else {
            return;
        };
        if (run.git_dirty && !q.include_dirty)
            || q.bench.as_ref().is_some_and(|r| !r.is_match(&bench))
        {
            return;
        }
        let key = SeriesKey {
            bench,
            metric: metric.to_owned(),
            unit,
            machine: run.machine.clone(),
            profile: run.profile.clone(),
            mode: mode.unwrap_or_else(|| run.mode.clone()),
        };
        by_key.entry(key).or_default().push((
            order[&run.id],
            SeriesPoint {
                run_id: run.run_id.clone(),
                timestamp: run.timestamp.clone(),
                git_rev: run.git_rev.clone(),
                git_dirty: run.git_dirty,
                value,
            },
        ));
    };
    for p in store.points()? {
        add(p.run, p.bench, &p.metric, p.unit, None, p.value);
    }
    for p in store.paired_points()? {
        let mode = format!("against {}", reference(&p.against));
        add(p.run, p.bench, PAIRED, "ratio".into(), Some(mode), p.ratio);
    }
    let mut out = Vec::new();
    for (key, mut pts) in by_key {
        pts.sort_by_key(|(k, _)| *k);
        let points: Vec<SeriesPoint> = pts.into_iter().map(|(_, p)| p).collect();
        let changes = changes_of(&key, &points, &q.settings);
        out.push(Series {
            key,
            points,
            changes,
        });
    }
    mark_shared(&mut out);
    Ok(out)
}

/// Fills each change point's [`Change::shared`]: among the series of its figure, machine,
/// profile and mode, those with a change point within [`NEAR`] runs of it.
fn mark_shared(series: &mut [Series]) {
    // A series' group is its key without the bench.
    let group = |k: &SeriesKey| SeriesKey {
        bench: String::new(),
        ..k.clone()
    };
    let mut indices: BTreeMap<SeriesKey, Vec<Vec<usize>>> = BTreeMap::new();
    for s in series.iter() {
        indices
            .entry(group(&s.key))
            .or_default()
            .push(s.changes.iter().map(|c| c.index).collect());
    }
    for s in series.iter_mut() {
        let others = &indices[&group(&s.key)];
        for c in &mut s.changes {
            let near = others
                .iter()
                .filter(|o| o.iter().any(|&i| i.abs_diff(c.index) <= NEAR))
                .count();
            c.shared = (near, others.len());
        }
    }
}

/// The change points of one series, named by their runs and commits.
pub fn changes_of(key: &SeriesKey, points: &[SeriesPoint], s: &Settings) -> Vec<Change> {
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    changepoint::detect(&values, s)
        .into_iter()
        .map(|c| {
            let at = &points[c.index];
            let prev = &points[c.index - 1];
            Change {
                index: c.index,
                run_id: at.run_id.clone(),
                git_rev: at.git_rev.clone(),
                previous_rev: (prev.git_rev != at.git_rev).then(|| prev.git_rev.clone()),
                before: c.before,
                after: c.after,
                change: c.change,
                p: c.p,
                deterministic: counted(&key.metric),
                shared: (1, 1),
            }
        })
        .collect()
}

/// The run folders under `dir`: `dir` itself if it holds a `report.json`, else its
/// subfolders that do (and are complete), in name order (run ids sort by time).
pub fn run_folders(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.join("report.json").is_file() {
        return Ok(vec![dir.to_owned()]);
    }
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("history import {}: cannot read the folder", dir.display()))?;
    let mut out = Vec::new();
    for e in entries {
        let path = e?.path();
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link
            && path.join("report.json").is_file()
            && !path.join(crate::output::INCOMPLETE).exists()
        {
            out.push(path);
        }
    }
    out.sort();
    if out.is_empty() {
        bail!(
            "history import {}: no run folder (a folder with a report.json) in it",
            dir.display()
        );
    }
    Ok(out)
}

/// Reads every run under `dirs`; one bad report is an error naming it (and then nothing is
/// recorded: the caller records all of them in one transaction, after this).
pub fn read_runs(dirs: &[PathBuf]) -> Result<Vec<Report>> {
    let mut reports: Vec<Report> = Vec::new();
    for d in dirs {
        for f in run_folders(d)? {
            reports.push(crate::report::load(&f.join("report.json"))?);
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Unit;
    use crate::testing::{bench_fixture, sample_report};

    fn run(k: usize, rev: &str, value: f64, dirty: bool) -> Report {
        let mut r = sample_report();
        r.header.run_id = format!("20261207-{k:06}-000");
        r.header.timestamp = format!("2026-12-07T{:02}:{:02}:00Z", k / 60, k % 60);
        r.header.git_rev = rev.into();
        r.header.git_dirty = dirty;
        r.benches = vec![bench_fixture("s/g/f/1", value, Unit::Ns)];
        r.evaluations.clear();
        r
    }

    fn store(name: &str) -> Store {
        let dir = crate::testing::temp_dir(&format!("history-store-{name}"));
        Store::open(&dir.join(FILE)).unwrap()
    }

    #[test]
    fn a_step_in_the_history_is_named_by_its_commit() {
        let mut s = store("step");
        for k in 0..24 {
            let v = if k < 12 { 100.0 } else { 110.0 } + (k % 3) as f64 * 0.1;
            s.record(&run(k, &format!("c{k:02}"), v, false)).unwrap();
        }
        let q = Query {
            bench: None,
            settings: Settings::default(),
            include_dirty: false,
        };
        let series = analyze(&s, &q).unwrap();
        assert_eq!(series.len(), 1);
        let c = &series[0].changes;
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].git_rev, "c12");
        assert_eq!(c[0].previous_rev.as_deref(), Some("c11"));
        assert!((c[0].change - 0.1).abs() < 0.01);
    }

    #[test]
    fn dirty_runs_and_other_benches_are_left_out_unless_asked() {
        let mut s = store("dirty");
        for k in 0..10 {
            s.record(&run(k, "c", 1.0, k % 2 == 0)).unwrap();
        }
        let mut q = Query {
            bench: None,
            settings: Settings::default(),
            include_dirty: false,
        };
        assert_eq!(analyze(&s, &q).unwrap()[0].points.len(), 5);
        q.include_dirty = true;
        assert_eq!(analyze(&s, &q).unwrap()[0].points.len(), 10);
        q.bench = Some(Regex::new("^other/").unwrap());
        assert!(analyze(&s, &q).unwrap().is_empty());
    }

    /// An `--against REF` run whose tree measured `ratio` × REF on bench `s/g/f/1`.
    fn paired_run(k: usize, rev: &str, reference: &str, ratio: f64) -> Report {
        let mut r = run(k, rev, 100.0 * ratio, false);
        r.header.against = Some(format!("ref ({reference})"));
        let side = |v: f64| {
            vec![crate::results::Bench {
                samples: vec![v; 20],
                ..bench_fixture("s/g/f/1", v, Unit::Ns)
            }]
        };
        r.comparison = Some(crate::report::compare_paired(
            "against",
            &side(100.0),
            &side(100.0 * ratio),
            0.01,
        ));
        r
    }

    #[test]
    fn paired_ratios_are_a_series_per_reference_commit() {
        let mut s = store("paired");
        for k in 0..24 {
            // A 3% step at commit c12, under ±0.2% of noise.
            let ratio = if k < 12 { 1.0 } else { 1.03 } + [0.0, 0.002, -0.002][k % 3];
            s.record(&paired_run(k, &format!("c{k:02}"), "aaaa", ratio))
                .unwrap();
        }
        // Another reference is another series, however close its ratios.
        for k in 24..30 {
            s.record(&paired_run(k, "c23", "bbbb", 1.0)).unwrap();
        }
        let q = Query {
            bench: None,
            settings: Settings::default(),
            include_dirty: false,
        };
        let series = analyze(&s, &q).unwrap();
        let paired: Vec<&Series> = series.iter().filter(|s| s.key.metric == PAIRED).collect();
        let modes: Vec<&str> = paired.iter().map(|s| s.key.mode.as_str()).collect();
        assert_eq!(modes, ["against aaaa", "against bbbb"]);
        assert_eq!(paired[0].points.len(), 24);
        assert_eq!(paired[0].key.unit, "ratio");
        let c = &paired[0].changes;
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].git_rev, "c12");
        assert!(!c[0].deterministic, "a paired ratio is a wall time");
        assert!((c[0].change - 0.03).abs() < 0.005, "{c:?}");
        // The runs' own means are their series too (mode `against`), apart from the ratios.
        assert!(
            series
                .iter()
                .any(|s| s.key.metric == "mean" && s.key.mode == "against")
        );
    }

    #[test]
    fn a_change_every_bench_shows_at_once_says_so() {
        let mut s = store("shared");
        // Three benches; two step up at run 12 and 13 (the host, say), one stays.
        for k in 0..24 {
            let mut r = run(k, &format!("c{k:02}"), 1.0, false);
            let v = |at: usize| if k < at { 100.0 } else { 120.0 } + (k % 3) as f64 * 0.1;
            r.benches = vec![
                bench_fixture("s/g/a/1", v(12), Unit::Ns),
                bench_fixture("s/g/b/1", v(13), Unit::Ns),
                bench_fixture("s/g/c/1", 100.0 + (k % 3) as f64 * 0.1, Unit::Ns),
            ];
            s.record(&r).unwrap();
        }
        let q = Query {
            bench: None,
            settings: Settings::default(),
            include_dirty: false,
        };
        let series = analyze(&s, &q).unwrap();
        let shared: Vec<(usize, usize)> = series
            .iter()
            .flat_map(|s| s.changes.iter().map(|c| c.shared))
            .collect();
        assert_eq!(shared, [(2, 3), (2, 3)], "{series:?}");
    }

    #[test]
    fn machines_and_profiles_are_separate_series() {
        let mut s = store("machines");
        let mut a = run(1, "c", 1.0, false);
        a.header.host_cpu = "CPU A".into();
        let mut b = run(2, "c", 2.0, false);
        b.header.host_cpu = "CPU B".into();
        let mut c = run(3, "c", 3.0, false);
        c.header.profile = "full".into();
        for r in [a, b, c] {
            s.record(&r).unwrap();
        }
        let q = Query {
            bench: None,
            settings: Settings::default(),
            include_dirty: false,
        };
        assert_eq!(analyze(&s, &q).unwrap().len(), 3);
    }

    #[test]
    fn import_reads_every_run_first_and_records_once() {
        let root = crate::testing::temp_dir("history-import");
        for k in 0..3 {
            let d = root.join(format!("run{k}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("report.json"),
                serde_json::to_string(&run(k, "c", 1.0, false)).unwrap(),
            )
            .unwrap();
        }
        let mut s = store("import");
        let runs = read_runs(std::slice::from_ref(&root)).unwrap();
        assert_eq!(runs.len(), 3);
        assert_eq!(s.record_all(&runs).unwrap(), 3);
        assert_eq!(s.record_all(&runs).unwrap(), 0, "recorded once");
        // An unfinished run is skipped; a damaged report is an error naming it.
        let d = root.join("run8");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("report.json"), "{").unwrap();
        std::fs::write(d.join(crate::output::INCOMPLETE), "SIGINT").unwrap();
        assert_eq!(read_runs(std::slice::from_ref(&root)).unwrap().len(), 3);
        let d = root.join("run9");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("report.json"), "{").unwrap();
        let e = read_runs(&[root]).unwrap_err();
        assert!(format!("{e:#}").contains("run9"), "{e:#}");
    }
}

/// The detector measured on real runs (docs/BENCHMARKS.md, "History"): every series of at
/// least 12 runs in the history file `GGEN_HISTORY_DB` as recorded (A/A: unchanged code, so
/// every change point is a false alarm), then with a 3% step after the middle run, then with a
/// creep of 0.5% per run over the 10 runs after the first quarter. `GGEN_HISTORY_DB=target/ggen-bench/history.sqlite cargo test -p xtask --bin xtask --
/// --ignored detector_on_real_runs --nocapture`
#[cfg(test)]
mod real_runs {
    use super::*;

    #[test]
    #[ignore = "needs a history of unchanged runs in GGEN_HISTORY_DB"]
    fn detector_on_real_runs() {
        let db = std::env::var("GGEN_HISTORY_DB").expect("GGEN_HISTORY_DB=path of a history");
        let store = Store::open(Path::new(&db)).unwrap();
        let q = Query {
            bench: None,
            settings: Settings::default(),
            include_dirty: true,
        };
        let series: Vec<Series> = analyze(&store, &q)
            .unwrap()
            .into_iter()
            .filter(|s| s.points.len() >= 12)
            .collect();
        assert!(!series.is_empty(), "no series of 12 runs in {db}");
        let (mut aa, mut step_hits, mut creep_found) = (0, 0, Vec::new());
        for s in &series {
            let values: Vec<f64> = s.points.iter().map(|p| p.value).collect();
            let (n, from) = (values.len(), values.len() / 4);
            let cv = {
                let (m, sd) = crate::stats::mean_and_sd(&values);
                sd / m
            };
            aa += changepoint::detect(&values, &q.settings).len();
            let step: Vec<f64> = values
                .iter()
                .enumerate()
                .map(|(i, v)| if i >= n / 2 { v * 1.03 } else { *v })
                .collect();
            let found = changepoint::detect(&step, &q.settings);
            let hit = found.len() == 1 && found[0].index == n / 2;
            step_hits += usize::from(hit);
            let creep: Vec<f64> = values
                .iter()
                .enumerate()
                .map(|(i, v)| v * 1.005f64.powi(i.clamp(from, from + 10) as i32 - from as i32))
                .collect();
            let c: Vec<usize> = changepoint::detect(&creep, &q.settings)
                .iter()
                .map(|c| c.index)
                .collect();
            eprintln!(
                "{} ({}, {n} runs): CV {:.2}%; 3% step at {}: {:?}; creep from {from}: {c:?}",
                s.key.bench,
                s.key.metric,
                cv * 100.0,
                n / 2,
                found.iter().map(|c| (c.index, c.p)).collect::<Vec<_>>()
            );
            creep_found.push(c);
            // The smallest of these steps found at its run, alone.
            let smallest = [0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5]
                .into_iter()
                .find(|step| {
                    let xs: Vec<f64> = values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| if i >= n / 2 { v * (1.0 + step) } else { *v })
                        .collect();
                    let f = changepoint::detect(&xs, &q.settings);
                    f.len() == 1 && f[0].index == n / 2
                });
            eprintln!("  smallest step found at its run: {smallest:?}");
        }
        eprintln!(
            "{} series: {aa} change points as recorded; a 3% step found at its run, alone, in \
             {step_hits}; the creep found in {}",
            series.len(),
            creep_found.iter().filter(|c| !c.is_empty()).count()
        );
    }
}
