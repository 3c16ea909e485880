//! The commands: `bench` (run, check, compare, report; in [`bench`](mod@bench)), `compare` and
//! `report`, and what they share: where runs live, finding a run or baseline by name.
//!
//! `bench` runs in named steps, and the order is the contract of docs/BENCHMARKS.md ("exit 2 means
//! nothing was written"):
//! 1. `prepare`: every input is validated before the first bench runs: the filter, the suites,
//!    `budgets.toml` (against the `Catalog` the bench binaries list), the baseline, and every
//!    output path (report folder, baseline, exports).
//! 2. `measure`: each selected suite runs with its own `CRITERION_HOME`
//!    (`target/ggen-bench/<run-id>/criterion/<suite>/`), repeats interleaved.
//! 3. `assemble`: all results are read and validated, claims evaluated, the baseline compared.
//! 4. `publish`: report files, baseline, exports and the `latest` pointer are written together
//!    ([`Outputs`]), so `latest` only ever names a complete run.
//!
//! A run that stops between 2 and 4 (an input error in its results, SIGINT, SIGTERM) leaves its
//! folder marked with an `INCOMPLETE` file that says why; `report` refuses such a folder.

mod bench;
mod checks;
mod explain;
pub mod history;

pub use bench::bench;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use regex::Regex;

use crate::budgets::{self, Entry};
use crate::instructions;
use crate::output::Outputs;
use crate::report::{self, Report};
use crate::results::{self, Bench};
use crate::workspace::{Suite, Workspace};

/// How a command ended (input errors are `Err`, exit 2).
pub enum Outcome {
    Success,
    Failed,
}

pub use crate::output::INCOMPLETE;

/// Environment variable that moves runs and baselines out of `target/ggen-bench` (the tests use
/// it to write only under a temporary directory).
pub const BENCH_DIR_ENV: &str = "GGEN_BENCH_DIR";

/// `$GGEN_BENCH_DIR`, else `target/ggen-bench`.
pub(crate) fn bench_root(ws: &Workspace) -> PathBuf {
    match std::env::var_os(BENCH_DIR_ENV) {
        Some(dir) if !dir.is_empty() => absolute(Path::new(&dir)),
        _ => ws.target_dir.join("ggen-bench"),
    }
}

fn baselines_dir(ws: &Workspace) -> PathBuf {
    bench_root(ws).join("baselines")
}

/// Whether the run meant to measure `id`: its suite was selected and the filter matches.
fn selector(suites: &[Suite], filter: Option<&Regex>) -> impl Fn(&str) -> bool {
    let names: BTreeSet<String> = suites.iter().map(|s| s.name.clone()).collect();
    let filter = filter.cloned();
    move |id: &str| {
        let Some((suite, rest)) = id.split_once('/') else {
            return false;
        };
        names.contains(suite) && filter.as_ref().is_none_or(|f| f.is_match(rest))
    }
}

/// Which counted benches `--explain` chooses by id (none without it; the regex was validated
/// when parsed).
fn explain_selector(explain: Option<&str>) -> Result<impl Fn(&str) -> bool + use<>> {
    let regex = explain
        .map(|e| Regex::new(e).with_context(|| format!("--explain {e:?}")))
        .transpose()?;
    Ok(move |id: &str| regex.as_ref().is_some_and(|r| r.is_match(id)))
}

/// Where the callgrind outputs of a resolved report are kept, if anywhere: a run's
/// `callgrind/` folder beside its `report.json`, or `NAME.callgrind/` beside a saved baseline
/// `NAME.json`.
fn callgrind_dir(report: &Path) -> Option<PathBuf> {
    let dir = if report.file_name().is_some_and(|n| n == "report.json") {
        report.parent()?.join("callgrind")
    } else {
        report.with_extension("callgrind")
    };
    dir.is_dir().then_some(dir)
}

/// Finds a saved baseline or a run by name, id or path.
fn resolve(ws: &Workspace, name: &str) -> Result<PathBuf> {
    let candidates = [
        baselines_dir(ws).join(format!("{name}.json")),
        bench_root(ws).join(name).join("report.json"),
        PathBuf::from(name),
    ];
    if let Some(p) = candidates.iter().find(|p| p.is_file()) {
        return Ok(p.clone());
    }
    let run = bench_root(ws).join(name);
    if run.is_dir() {
        incomplete_run_error(&run)?;
    }
    let mut known: Vec<String> = std::fs::read_dir(baselines_dir(ws))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    known.sort();
    bail!(
        "no baseline or run named {name:?} (looked for {}); saved baselines: {}",
        candidates[0].display(),
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}

/// The error for a run folder without a report: interrupted (with its reason) or unfinished.
fn incomplete_run_error(run: &Path) -> Result<()> {
    let marker = run.join(INCOMPLETE);
    if let Ok(why) = std::fs::read_to_string(&marker) {
        bail!(
            "run {} is incomplete ({}): it has no report; run `cargo xtask bench` again",
            run.display(),
            why.trim()
        );
    }
    if !run.join("report.json").is_file() {
        bail!(
            "run {} has no report.json: it did not finish; run `cargo xtask bench` again",
            run.display()
        );
    }
    Ok(())
}

/// Report files rendered in memory, for [`Outputs`].
fn add_report_files(out: &mut Outputs, run_dir: &Path, report: &Report) -> Result<()> {
    out.add(
        run_dir.join("report.json"),
        serde_json::to_vec_pretty(report)?,
    );
    out.add(
        run_dir.join("report.md"),
        report::markdown(report).into_bytes(),
    );
    out.add(
        run_dir.join("report.html"),
        report::html(report).into_bytes(),
    );
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

pub fn compare(
    a: &str,
    b: &str,
    threshold: f64,
    ir_threshold: f64,
    explain: Option<&str>,
    no_fail: bool,
) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let (a_path, b_path) = (resolve(&ws, a)?, resolve(&ws, b)?);
    let base = report::load(&a_path)?;
    let new = report::load(&b_path)?;
    let mut c = report::compare(a, &base.benches, &new.benches, threshold);
    c.instructions = instructions::compare::compare(&base.benches, &new.benches, ir_threshold);
    if let Some(ic) = &mut c.instructions {
        instructions::compare::explain(
            ic,
            callgrind_dir(&a_path).as_deref(),
            callgrind_dir(&b_path).as_deref(),
            &base.benches,
            &new.benches,
            &explain_selector(explain)?,
        );
    }
    println!("{}", report::markdown_comparison(&c).trim_end());
    Ok(if c.failed() && !no_fail {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// Re-renders a run from its own recorded inputs: the claims it was checked with (stored in its
/// report.json, so a run made with `--budgets OTHER` keeps them) and its Criterion files, which
/// must still hold every bench the report had, in the same unit.
pub fn rerender(run: Option<&str>) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let root = bench_root(&ws);
    let run_id = match run {
        Some(r) => r.to_owned(),
        None => std::fs::read_to_string(root.join("latest"))
            .context(
                "no run yet (target/ggen-bench/latest is missing); run `cargo xtask bench` first",
            )?
            .trim()
            .to_owned(),
    };
    let run_dir = root.join(&run_id);
    if !run_dir.is_dir() {
        bail!("no run {run_id:?} in {}", root.display());
    }
    incomplete_run_error(&run_dir)?;
    let old = report::load(&run_dir.join("report.json"))?;
    let roots = results::criterion_roots(&run_dir, old.header.repeat);
    let mut benches = results::read_repeats(&roots)?;
    check_same_benches(&old.benches, &benches, &roots[0])?;
    // Instruction counts are results of the run kept in its report (raw callgrind outputs are
    // in its `callgrind/` folder); they carry over as recorded.
    for b in &mut benches {
        b.counts = old
            .benches
            .iter()
            .find(|o| o.id == b.id)
            .and_then(|o| o.counts.clone());
    }
    let entries: Vec<Entry> = old.evaluations.iter().map(|e| e.entry.clone()).collect();
    let known = old.known();
    let suites: Vec<Suite> = old
        .header
        .suites
        .iter()
        .map(|s| Suite {
            package: String::new(),
            name: s.clone(),
            kind: Default::default(),
        })
        .collect();
    let filter = old
        .header
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("stored filter")?;
    let evaluations = if old.header.against.is_some() {
        // As recorded: an --against run does not judge claims on its paired samples.
        old.evaluations.clone()
    } else {
        budgets::evaluate_with(
            &entries,
            &benches,
            &known,
            &selector(&suites, filter.as_ref()),
            &old.paired_claims,
            old.header.cores,
        )
    };
    let report = Report {
        benches,
        evaluations,
        ..old
    };
    report::check_benches(&report).context("this run's results")?;
    let mut out = Outputs::default();
    add_report_files(&mut out, &run_dir, &report)?;
    out.commit()?;
    println!("{}", report::markdown(&report));
    Ok(if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// A re-read run must hold the benches its report recorded, each in the same unit and with the
/// same kind of data; anything else is a damaged run folder, named precisely.
fn check_same_benches(recorded: &[Bench], read: &[Bench], home: &Path) -> Result<()> {
    let dir = |b: &Bench| {
        home.join(&b.suite)
            .join(&b.group)
            .join(&b.function)
            .join(&b.parameter)
    };
    for old in recorded {
        let Some(new) = read.iter().find(|b| b.id == old.id) else {
            bail!(
                "bench {} is in the report but its results are gone: {} is missing",
                old.id,
                dir(old).join("new").join("benchmark.json").display()
            );
        };
        let side = dir(old).join(results::SIDE_FILE);
        if new.unit != old.unit {
            bail!(
                "bench {} was recorded in {:?} but now reads as {:?}: {} is missing or changed",
                old.id,
                old.unit,
                new.unit,
                side.display()
            );
        }
        if new.latency.is_some() != old.latency.is_some() {
            bail!(
                "bench {} had per-operation latency in the report, but {} no longer says so",
                old.id,
                side.display()
            );
        }
    }
    if let Some(extra) = read.iter().find(|b| !recorded.iter().any(|o| o.id == b.id)) {
        bail!(
            "bench {} has results in {} but is not in the run's report",
            extra.id,
            home.display()
        );
    }
    Ok(())
}
/// A sortable UTC run id, `YYYYMMDD-HHMMSS-mmm`.
pub fn run_id(t: SystemTime) -> String {
    // `2026-11-23T08:59:22.500Z`
    let stamp = humantime::format_rfc3339_millis(t).to_string();
    let (date, rest) = stamp.split_once('T').unwrap_or((&stamp, ""));
    let (time, millis) = rest
        .trim_end_matches('Z')
        .split_once('.')
        .unwrap_or((rest, "000"));
    format!(
        "{}-{}-{millis}",
        date.replace('-', ""),
        time.replace(':', "")
    )
}

/// `2026-11-23T08:59:22Z`.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn run_ids_are_utc_and_sortable() {
        assert_eq!(run_id(UNIX_EPOCH), "19700101-000000-000");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_424_362_500);
        assert_eq!(run_id(t), "20261123-085922-500");
        assert_eq!(rfc3339(t), "2026-11-23T08:59:22Z");
        let leap = UNIX_EPOCH + Duration::from_secs(11_016 * 86_400);
        assert_eq!(run_id(leap), "20000229-000000-000");
        assert!(run_id(t) < run_id(t + Duration::from_millis(1)));
    }
    #[test]
    fn selection_follows_suites_and_filter() {
        let suites = vec![Suite {
            package: "p".into(),
            name: "s".into(),
            kind: Default::default(),
        }];
        let f = Regex::new("^g/a/").unwrap();
        let sel = selector(&suites, Some(&f));
        assert!(sel("s/g/a/1"));
        assert!(!sel("s/g/b/1"));
        assert!(!sel("t/g/a/1"));
        assert!(!sel("nonsense"));
        let all = selector(&suites, None);
        assert!(all("s/x/y/z"));
    }
}
