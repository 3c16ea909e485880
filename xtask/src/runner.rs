//! The commands: `bench` (run, check, compare, report), `compare` and `report`.
//!
//! `bench` runs in named steps, and the order is the contract of docs/BENCHMARKS.md ("exit 2 means
//! nothing was written"):
//! 1. [`prepare`]: every input is validated before the first bench runs: the filter, the suites,
//!    `budgets.toml` (against the [`Catalog`] the bench binaries list), the baseline, and every
//!    output path (report folder, baseline, exports).
//! 2. [`measure`]: each selected suite runs with its own `CRITERION_HOME`
//!    (`target/ggen-bench/<run-id>/criterion/<suite>/`), repeats interleaved.
//! 3. [`assemble`]: all results are read and validated, claims evaluated, the baseline compared.
//! 4. [`publish`]: report files, baseline, exports and the `latest` pointer are written together
//!    ([`Outputs`]), so `latest` only ever names a complete run.
//!
//! A run that stops between 2 and 4 (an input error in its results, SIGINT, SIGTERM) leaves its
//! folder marked with an `INCOMPLETE` file that says why; `report` refuses such a folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use regex::Regex;

use crate::budgets::{self, Entry};
use crate::catalog::Catalog;
use crate::cli::{BenchArgs, Export};
use crate::interrupt;
use crate::output::{Outputs, check_target};
use crate::report::{self, Header, Report};
use crate::results::{self, Bench};
use crate::suites::{self, Built};
use crate::workspace::{Suite, Workspace};

/// How a command ended (input errors are `Err`, exit 2).
pub enum Outcome {
    Success,
    Failed,
}

/// Name of the marker file in a run folder that did not finish.
pub const INCOMPLETE: &str = "INCOMPLETE";

/// Environment variable that moves runs and baselines out of `target/ggen-bench` (the tests use
/// it to write only under a temporary directory).
pub const BENCH_DIR_ENV: &str = "GGEN_BENCH_DIR";

/// `$GGEN_BENCH_DIR`, else `target/ggen-bench`.
fn bench_root(ws: &Workspace) -> PathBuf {
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

/// Everything `bench` checked before running: nothing has been written yet.
struct Plan {
    ws: Workspace,
    suites: Vec<Built>,
    catalog: Catalog,
    entries: Vec<Entry>,
    baseline: Option<(String, Report)>,
    filter: Option<Regex>,
    run_id: String,
    run_dir: PathBuf,
    baseline_out: Option<PathBuf>,
}

/// Step 1: validate every input and output path.
fn prepare(args: &BenchArgs) -> Result<Plan> {
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("--filter")?;
    let ws = Workspace::discover()?;
    let selected_suites = ws.select(&args.packages, &args.suites)?;
    if selected_suites.is_empty() {
        bail!("the workspace has no bench suites");
    }
    let root = bench_root(&ws);
    let run_id = run_id(SystemTime::now());
    let run_dir = root.join(&run_id);
    if run_dir.exists() {
        bail!("run folder {} already exists", run_dir.display());
    }

    // Output paths first: they are cheap to check and the user should not wait for a build.
    check_target(&run_dir.join("report.json"), "the run folder")?;
    let baseline_out = match &args.save_baseline {
        Some(name) => {
            let path = baselines_dir(&ws).join(format!("{name}.json"));
            if path.is_file() && !args.force {
                bail!(
                    "--save-baseline {name}: {} exists; add --force to replace it",
                    path.display()
                );
            }
            check_target(&path, &format!("--save-baseline {name}"))?;
            Some(path)
        }
        None => None,
    };
    for export in &args.exports {
        let (kind, path) = match export {
            Export::Bmf(p) => ("bmf", p),
            Export::Github(p) => ("github", p),
        };
        check_target(&absolute(path), &format!("--export {kind}"))?;
    }
    check_target(&root.join("latest"), "target/ggen-bench/latest")?;

    let baseline = match &args.baseline {
        Some(name) => Some((name.clone(), report::load(&resolve(&ws, name)?)?)),
        None => None,
    };

    eprintln!("compiling {} suite(s)...", ws.suites.len());
    let built = suites::build(&ws)?;
    eprintln!("listing bench ids...");
    let scratch = std::env::temp_dir().join(format!("ggen-bench-list-{}", std::process::id()));
    let catalog = suites::catalog(&ws, &built, &scratch)?;
    let budgets_path = args
        .budgets
        .as_deref()
        .map_or_else(|| ws.root.join("budgets.toml"), absolute);
    let entries = budgets::load(&budgets_path, &catalog)?;
    if !catalog
        .ids
        .iter()
        .any(|id| selector(&selected_suites, filter.as_ref())(id))
    {
        let examples: Vec<&str> = catalog
            .ids
            .iter()
            .filter(|id| {
                selected_suites
                    .iter()
                    .any(|s| id.starts_with(&format!("{}/", s.name)))
            })
            .take(5)
            .map(String::as_str)
            .collect();
        bail!(
            "--filter {:?} selects no bench of the selected suites (it is matched against group/function/parameter); some ids: {}",
            args.filter.as_deref().unwrap_or(""),
            examples.join(", ")
        );
    }
    let suites = built
        .into_iter()
        .filter(|b| selected_suites.contains(&b.suite))
        .collect();
    Ok(Plan {
        ws,
        suites,
        catalog,
        entries,
        baseline,
        filter,
        run_id,
        run_dir,
        baseline_out,
    })
}

/// What step 2 produced.
struct Measured {
    failed: Vec<String>,
    duration_s: f64,
    roots: Vec<PathBuf>,
}

/// Step 2: run every selected suite, `--repeat` times, interleaved (suite A, B, ..., then A, B,
/// ... again) so that each repeat runs at a different moment and in a fresh process.
fn measure(args: &BenchArgs, plan: &Plan) -> Result<Measured> {
    let started = Instant::now();
    let mut failed = Vec::new();
    let roots = results::criterion_roots(&plan.run_dir, args.repeat);
    let n = plan.suites.len();
    let steps = n * roots.len();
    let logs = plan.run_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    for (k, root) in roots.iter().enumerate() {
        for (i, built) in plan.suites.iter().enumerate() {
            let suite = &built.suite;
            let rep = if roots.len() > 1 {
                format!(", repeat {}/{}", k + 1, roots.len())
            } else {
                String::new()
            };
            eprintln!(
                "[{}/{steps}] {}::{} ({} profile{rep}, {:.1} s elapsed)",
                k * n + i + 1,
                suite.package,
                suite.name,
                args.profile.name(),
                started.elapsed().as_secs_f64()
            );
            let log = logs.join(if roots.len() > 1 {
                format!("{}-r{}.log", suite.name, k + 1)
            } else {
                format!("{}.log", suite.name)
            });
            let ok = built.run(
                &plan.ws,
                args.profile.name(),
                args.filter.as_deref(),
                &root.join(&suite.name),
                &log,
            )?;
            if !ok {
                eprintln!("suite {} failed; its output: {}", suite.name, log.display());
                failed.push(suite.name.clone());
            }
        }
    }
    let duration_s = started.elapsed().as_secs_f64();
    eprintln!("ran {n} suite(s) in {duration_s:.1} s (excluding compilation)");
    Ok(Measured {
        failed,
        duration_s,
        roots,
    })
}

/// Step 3: read every result, evaluate the claims, compare with the baseline.
fn assemble(args: &BenchArgs, plan: &Plan, m: &Measured) -> Result<Report> {
    let benches = results::read_repeats(&m.roots)?;
    let selected_suites: Vec<Suite> = plan.suites.iter().map(|b| b.suite.clone()).collect();
    let selected = selector(&selected_suites, plan.filter.as_ref());
    check_against_catalog(&benches, &plan.catalog, &selected)?;
    let evaluations = budgets::evaluate(&plan.entries, &benches, &plan.catalog.ids, &selected);
    let comparison = plan
        .baseline
        .as_ref()
        .map(|(name, base)| report::compare(name, &base.benches, &benches, args.threshold));
    let (git_rev, git_dirty) = crate::host::git();
    let header = Header {
        timestamp: rfc3339(SystemTime::now()),
        run_id: plan.run_id.clone(),
        host_cpu: crate::host::cpu(),
        cores: crate::host::cores(),
        os: crate::host::os(),
        rustc: crate::host::rustc(),
        git_rev,
        git_dirty,
        profile: args.profile.name().to_owned(),
        suites: selected_suites.iter().map(|s| s.name.clone()).collect(),
        filter: args.filter.clone(),
        duration_s: m.duration_s,
        repeat: args.repeat,
    };
    let report = Report {
        schema: 1,
        header,
        benches,
        known_ids: plan.catalog.ids.iter().cloned().collect(),
        evaluations,
        comparison,
    };
    report::check_benches(&report).context("this run's results")?;
    Ok(report)
}

/// Results must be what the suites declared: a listed id, in its declared unit.
fn check_against_catalog(
    benches: &[Bench],
    catalog: &Catalog,
    selected: &dyn Fn(&str) -> bool,
) -> Result<()> {
    for b in benches {
        if !catalog.ids.contains(&b.id) || !selected(&b.id) {
            bail!("result for {} was not expected from this run", b.id);
        }
        if b.unit != catalog.unit(&b.id) {
            bail!(
                "bench {} measured {:?} but its suite declared {:?} (side file {})",
                b.id,
                b.unit,
                catalog.unit(&b.id),
                results::SIDE_FILE
            );
        }
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

/// Step 4: write the report files, the baseline, the exports and `latest`, together.
fn publish(args: &BenchArgs, plan: &Plan, report: &Report) -> Result<()> {
    let mut out = Outputs::default();
    add_report_files(&mut out, &plan.run_dir, report)?;
    if let Some(path) = &plan.baseline_out {
        out.add(path.clone(), serde_json::to_vec_pretty(report)?);
    }
    for export in &args.exports {
        let (path, value) = match export {
            Export::Bmf(p) => (p, report::bmf(report)),
            Export::Github(p) => (p, report::github(report)),
        };
        out.add(absolute(path), serde_json::to_vec_pretty(&value)?);
    }
    out.add(
        bench_root(&plan.ws).join("latest"),
        format!("{}\n", plan.run_id).into_bytes(),
    );
    interrupt::check()?;
    out.commit()?;
    if let Some(path) = &plan.baseline_out {
        eprintln!("saved baseline: {}", path.display());
    }
    Ok(())
}

pub fn bench(args: &BenchArgs) -> Result<Outcome> {
    interrupt::install()?;
    let plan = prepare(args)?;
    let finished: Result<(Measured, Report)> = (|| {
        let measured = measure(args, &plan)?;
        let report = assemble(args, &plan, &measured)?;
        publish(args, &plan, &report)?;
        Ok((measured, report))
    })();
    let (measured, report) = match finished {
        Ok(done) => done,
        Err(e) => {
            let why = match e.downcast_ref::<interrupt::Interrupted>() {
                Some(i) => i.to_string(),
                None => format!("{e:#}"),
            };
            if plan.run_dir.is_dir() {
                let _ = std::fs::write(plan.run_dir.join(INCOMPLETE), format!("{why}\n"));
                eprintln!(
                    "run {} stopped ({why}); its folder is marked {INCOMPLETE}",
                    plan.run_id
                );
            }
            return Err(e);
        }
    };
    println!("{}", report::markdown(&report));
    eprintln!("report: {}", plan.run_dir.join("report.html").display());
    if !measured.failed.is_empty() {
        eprintln!("failed suites: {}", measured.failed.join(", "));
    }
    let bad = report.failed() || !measured.failed.is_empty();
    if bad && args.no_fail {
        eprintln!("failures reported, not failing (--no-fail)");
    }
    Ok(if bad && !args.no_fail {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

pub fn compare(a: &str, b: &str, threshold: f64, no_fail: bool) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let base = report::load(&resolve(&ws, a)?)?;
    let new = report::load(&resolve(&ws, b)?)?;
    let c = report::compare(a, &base.benches, &new.benches, threshold);
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
pub fn report_cmd(run: Option<&str>) -> Result<Outcome> {
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
    let benches = results::read_repeats(&roots)?;
    check_same_benches(&old.benches, &benches, &roots[0])?;
    let entries: Vec<Entry> = old.evaluations.iter().map(|e| e.entry.clone()).collect();
    let known = old.known();
    let suites: Vec<Suite> = old
        .header
        .suites
        .iter()
        .map(|s| Suite {
            package: String::new(),
            name: s.clone(),
        })
        .collect();
    let filter = old
        .header
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("stored filter")?;
    let evaluations = budgets::evaluate(
        &entries,
        &benches,
        &known,
        &selector(&suites, filter.as_ref()),
    );
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
    let (y, mo, d, h, mi, s, ms) = civil(t);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}-{ms:03}")
}

/// `2026-11-23T08:59:22Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, _) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

fn civil(t: SystemTime) -> (i64, u32, u32, u64, u64, u64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    (
        y,
        m,
        day,
        s / 3600,
        (s / 60) % 60,
        s % 60,
        d.subsec_millis(),
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn run_ids_are_utc_and_sortable() {
        assert_eq!(run_id(UNIX_EPOCH), "19700101-000000-000");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_424_362_500);
        assert_eq!(run_id(t), "20261123-085922-500");
        assert_eq!(rfc3339(t), "2026-11-23T08:59:22Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn selection_follows_suites_and_filter() {
        let suites = vec![Suite {
            package: "p".into(),
            name: "s".into(),
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
