//! `cargo xtask bench`, step by step (the order is the contract; see the parent module):
//! [`prepare`] validates every input and output path, [`measure`] runs the suites, [`assemble`]
//! reads and checks the results, [`publish`] writes everything together.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};
use regex::Regex;

use super::{
    INCOMPLETE, Outcome, absolute, add_report_files, bench_root, resolve, rfc3339, run_id, selector,
};
use crate::budgets::{self, Entry};
use crate::catalog::Catalog;
use crate::cli::{BenchArgs, Export};
use crate::instructions;
use crate::interrupt;
use crate::output::Outputs;
use crate::report::{self, Header, Report};
use crate::results::{self, Bench};
use crate::suites::{self, Built};
use crate::workspace::{Suite, SuiteKind, Workspace};

/// Everything `bench` checked before running: nothing has been written yet.
struct Plan {
    ws: Workspace,
    suites: Vec<Built>,
    catalog: Catalog,
    entries: Vec<Entry>,
    /// The baseline's name, report, and folder of callgrind outputs if it kept one.
    baseline: Option<(String, Report, Option<PathBuf>)>,
    filter: Option<Regex>,
    run_id: String,
    run_dir: PathBuf,
    baseline_out: Option<PathBuf>,
    /// `--against REV`: side A, built.
    against: Option<crate::against::SideA>,
    /// `--instructions`: valgrind's version and the benches to count.
    counting: Option<(String, instructions::Planned)>,
    /// The run history file the run is recorded in (checked before anything runs, opened only
    /// to record); `None` with `--no-history`.
    history: Option<PathBuf>,
}

/// Step 1: validate every input and output path. Long (~100 lines) because its order is the
/// contract (cheap checks before the build, every check before the first bench); each step is
/// a call or a few lines with its reason.
fn prepare(args: &BenchArgs) -> Result<Plan> {
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("--filter")?;
    let ws = Workspace::discover()?;
    let mut selected_suites = ws.select(&args.packages, &args.suites)?;
    if args.against.is_some() {
        // The system suite has no A side to pair with.
        selected_suites.retain(|s| s.kind == SuiteKind::Criterion);
    }
    if selected_suites.is_empty() {
        bail!("the workspace has no bench suites (to pair, with --against)");
    }
    let against_sha = args
        .against
        .as_deref()
        .map(|rev| crate::against::resolve(&ws.root, "--against", rev))
        .transpose()?;
    let root = bench_root(&ws);
    let run_id = run_id(SystemTime::now());
    let run_dir = root.join(&run_id);
    if run_dir.exists() {
        bail!("run folder {} already exists", run_dir.display());
    }

    // Output paths first: they are cheap to check and the user should not wait for a build.
    let (baseline_out, history) = super::checks::check_outputs(args, &ws, &root, &run_dir)?;

    let baseline = match &args.baseline {
        Some(name) => {
            let path = resolve(&ws, name)?;
            Some((
                name.clone(),
                report::load(&path)?,
                super::callgrind_dir(&path),
            ))
        }
        None => None,
    };

    if selected_suites.iter().any(|s| s.kind == SuiteKind::System) {
        crate::system::check_tools()?;
    }
    let valgrind = args
        .instructions
        .then(instructions::check_valgrind)
        .transpose()?;
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
    super::checks::check_filter_selects(&catalog, &selected_suites, filter.as_ref(), args)?;
    let mut suites: Vec<Built> = built
        .into_iter()
        .filter(|b| selected_suites.contains(&b.suite))
        .collect();
    let counting = match valgrind {
        Some(version) => {
            let selected_suites: Vec<Suite> = suites.iter().map(|b| b.suite.clone()).collect();
            let sel = selector(&selected_suites, filter.as_ref());
            let planned = instructions::plan(&catalog, &suites, &sel)?;
            if planned.is_empty() {
                bail!(
                    "--instructions: the selected benches are all timed only (threads, timers or \
                     bytes); select a counted one (`GGEN_HARNESS=plan` on a bench binary lists them)"
                );
            }
            Some((version, planned))
        }
        None => None,
    };
    let against = match (&args.against, against_sha) {
        (Some(rev), Some(sha)) => {
            let names: Vec<String> = suites.iter().map(|b| b.suite.name.clone()).collect();
            let a = crate::against::prepare(&ws.root, &bench_root(&ws), rev, &sha, &names)?;
            suites = crate::against::build_b(&ws, &bench_root(&ws), &names)?;
            Some(a)
        }
        _ => None,
    };
    Ok(Plan {
        history,
        counting,
        against,
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
    /// `--instructions`: counts by bench id, and the pass's summary.
    counts: Option<(
        BTreeMap<String, instructions::Counts>,
        instructions::Summary,
    )>,
    /// `--against`: selected benches that were not paired, and why.
    unpaired: Vec<String>,
    /// Claims measured by the paired engine.
    paired_claims: Vec<budgets::PairedRatio>,
    /// Other processes' CPU use around each suite.
    load: Vec<crate::machine::CpuUse>,
}

/// Each selected suite, `--repeat` times, interleaved (suite A, B, ..., then A, B, ... again);
/// a suite that fails is named in `failed`, other processes' CPU use around it goes to `load`.
fn run_suites(
    args: &BenchArgs,
    plan: &Plan,
    roots: &[PathBuf],
    logs: &std::path::Path,
    started: Instant,
    failed: &mut Vec<String>,
    load: &mut Vec<crate::machine::CpuUse>,
) -> Result<()> {
    let n = plan.suites.len();
    let steps = n * roots.len();
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
            let reading = crate::machine::before();
            let ok = built.run(
                &plan.ws,
                args.profile,
                plan.filter.as_ref(),
                &root.join(&suite.name),
                &log,
            )?;
            load.extend(crate::machine::after(&suite.name, reading));
            if !ok {
                eprintln!("suite {} failed; its output: {}", suite.name, log.display());
                failed.push(suite.name.clone());
            }
        }
    }
    Ok(())
}

/// Step 2: run every selected suite, `--repeat` times, interleaved (suite A, B, ..., then A, B,
/// ... again) so that each repeat runs at a different moment and in a fresh process.
fn measure(args: &BenchArgs, plan: &Plan) -> Result<Measured> {
    let started = Instant::now();
    let mut failed = Vec::new();
    let roots = results::criterion_roots(&plan.run_dir, args.repeat);
    let n = plan.suites.len();
    let logs = plan.run_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let mut unpaired = Vec::new();
    let mut load = Vec::new();
    if let Some(a) = &plan.against {
        let selected_suites: Vec<Suite> = plan.suites.iter().map(|b| b.suite.clone()).collect();
        unpaired = crate::against::measure(
            &plan.ws,
            a,
            &plan.suites,
            &selector(&selected_suites, plan.filter.as_ref()),
            &{
                let d = crate::paired::Settings::against(args.profile);
                crate::paired::Settings {
                    rounds: args.rounds.unwrap_or(d.rounds),
                    setups: args.setups.unwrap_or(d.setups),
                    ..d
                }
            },
            &plan.run_dir,
            &logs,
        )?
        .lines;
    }
    if plan.against.is_none() {
        run_suites(args, plan, &roots, &logs, started, &mut failed, &mut load)?;
    }
    let claims_reading = crate::machine::before();
    let paired_claims = if plan.against.is_none() {
        let selected_suites: Vec<Suite> = plan.suites.iter().map(|b| b.suite.clone()).collect();
        crate::paired::claims(
            &plan.ws,
            &plan.suites,
            &plan.entries,
            &plan.catalog,
            &selector(&selected_suites, plan.filter.as_ref()),
            &crate::paired::Settings::claims(args.profile),
            &logs,
            crate::host::cores(),
        )?
    } else {
        Vec::new()
    };
    if !paired_claims.is_empty() {
        load.extend(crate::machine::after("claims in turn", claims_reading));
    }
    let duration_s = started.elapsed().as_secs_f64();
    eprintln!("ran {n} suite(s) in {duration_s:.1} s (excluding compilation)");
    let counts = match &plan.counting {
        Some((valgrind, planned)) => Some(instructions::measure(
            &plan.ws,
            &plan.suites,
            planned,
            valgrind.clone(),
            &plan.run_dir.join("callgrind"),
            &logs.join("callgrind.log"),
        )?),
        None => None,
    };
    Ok(Measured {
        failed,
        duration_s,
        roots,
        counts,
        unpaired,
        paired_claims,
        load,
    })
}

/// The run's comparison: with `--against`, side A's paired results against this side's (and
/// the culprit tables of its wall-clock regressions); with `--baseline`, the baseline's.
fn compare(
    args: &BenchArgs,
    plan: &Plan,
    m: &Measured,
    benches: &[Bench],
) -> Result<Option<report::Comparison>> {
    let explained = super::explain_selector(args.explain.as_deref())?;
    Ok(match &plan.against {
        Some(a) => {
            let side_a = results::read_repeats(&[crate::against::root(&plan.run_dir)])
                .context("--against: side A's results")?;
            let name = format!("{} ({})", a.rev, &a.sha[..a.sha.len().min(12)]);
            let mut c = report::compare_paired(&name, &side_a, benches, args.threshold);
            c.unpaired = m.unpaired.clone();
            super::explain::against(
                super::explain::Sides {
                    ws: &plan.ws,
                    suites: &plan.suites,
                    catalog: &plan.catalog,
                    run_dir: &plan.run_dir,
                },
                a,
                &mut c,
                &side_a,
                benches,
                args.ir_threshold,
            )?;
            Some(c)
        }
        None => plan.baseline.as_ref().map(|(name, base, base_callgrind)| {
            let mut c = report::compare(name, &base.benches, benches, args.threshold);
            c.instructions =
                instructions::compare::compare(&base.benches, benches, args.ir_threshold);
            if let Some(ic) = &mut c.instructions {
                let here = plan.run_dir.join("callgrind");
                instructions::compare::explain(
                    ic,
                    base_callgrind.as_deref(),
                    here.is_dir().then_some(here.as_path()),
                    &base.benches,
                    benches,
                    &explained,
                );
            }
            c
        }),
    })
}

/// Step 3: read every result, evaluate the claims, compare with the baseline.
fn assemble(args: &BenchArgs, plan: &Plan, m: &Measured) -> Result<Report> {
    let mut benches = results::read_repeats(&m.roots)?;
    if let Some((counts, _)) = &m.counts {
        for (id, c) in counts {
            let Some(b) = benches.iter_mut().find(|b| b.id == *id) else {
                bail!("bench {id} was counted but has no wall-time result in this run");
            };
            b.counts = Some(c.clone());
        }
    }
    let selected_suites: Vec<Suite> = plan.suites.iter().map(|b| b.suite.clone()).collect();
    let selected = selector(&selected_suites, plan.filter.as_ref());
    check_against_catalog(&benches, &plan.catalog, &selected)?;
    let evaluations = if plan.against.is_some() {
        // An A/B run compares revisions; its samples are paired, not Criterion's, so the claims
        // (checked by every plain run) are not judged on them.
        budgets::skip_all(
            &plan.entries,
            "not checked in an --against run (a plain `cargo xtask bench` checks the claims)",
        )
    } else {
        budgets::evaluate_with(
            &plan.entries,
            &benches,
            &plan.catalog.ids,
            &selected,
            &m.paired_claims,
            crate::host::cores(),
        )
    };
    let comparison = compare(args, plan, m, &benches)?;
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
        against: plan
            .against
            .as_ref()
            .map(|a| format!("{} ({})", a.rev, a.sha)),
        load: m.load.clone(),
    };
    let report = Report {
        schema: 1,
        header,
        benches,
        known_ids: plan.catalog.ids.iter().cloned().collect(),
        evaluations,
        comparison,
        instructions: m.counts.as_ref().map(|(_, s)| s.clone()),
        paired_claims: m.paired_claims.clone(),
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

/// Step 4: write the report files, the baseline, the exports and `latest`, together.
fn publish(args: &BenchArgs, plan: &Plan, report: &Report) -> Result<()> {
    let mut out = Outputs::default();
    add_report_files(&mut out, &plan.run_dir, report)?;
    if let Some(path) = &plan.baseline_out {
        out.add(path.clone(), serde_json::to_vec_pretty(report)?);
        // The callgrind outputs go with a baseline (`NAME.callgrind/`), so a later comparison
        // can name the functions whose counts changed.
        let counted = plan.run_dir.join("callgrind");
        for entry in std::fs::read_dir(&counted).into_iter().flatten().flatten() {
            let from = entry.path();
            if from.extension().is_some_and(|e| e == "out") {
                let bytes =
                    std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
                out.add(
                    path.with_extension("callgrind").join(entry.file_name()),
                    bytes,
                );
            }
        }
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

/// How the run ends, said on stderr: UNSURE claims, wall-clock failures reported only
/// (`--gate-deterministic`), failures not failing (`--no-fail`).
fn outcome(args: &BenchArgs, report: &Report, measured: &Measured) -> Outcome {
    // With --gate-deterministic, wall-clock verdicts are information (unless marked `gate`).
    let gating = |e: &&crate::budgets::Evaluation| !args.gate_deterministic || e.entry.gates();
    let unsure = report
        .evaluations
        .iter()
        .filter(gating)
        .filter(|e| e.verdict == crate::budgets::Verdict::Unsure)
        .count();
    let reported_only = report
        .evaluations
        .iter()
        .filter(|e| !gating(e) && e.verdict.fails())
        .count();
    if reported_only > 0 {
        eprintln!(
            "{reported_only} wall-clock claim(s) failed; reported, not failing (--gate-deterministic)"
        );
    }
    if unsure > 0 {
        eprintln!(
            "{unsure} claim(s) UNSURE: their 95% interval straddles the limit, so this run cannot \
             tell{}",
            if args.strict {
                " (failing: --strict)"
            } else {
                "; not a failure without --strict (re-run, or use --repeat 3 for run-level intervals)"
            }
        );
    }
    let bad = report.failed_counting(|e| gating(&e))
        || !measured.failed.is_empty()
        || (args.strict && unsure > 0);
    if bad && args.no_fail {
        eprintln!("failures reported, not failing (--no-fail)");
    }
    if bad && !args.no_fail {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}

pub fn bench(args: &BenchArgs) -> Result<Outcome> {
    interrupt::install()?;
    // One benchmark run per machine: a second waits (or, with --no-wait, stops: exit 2), before
    // it compiles anything.
    let _machine = crate::machine::lock(
        !args.no_wait,
        &format!(
            "cargo xtask bench in {}",
            std::env::current_dir().map_or_else(|_| "?".into(), |d| d.display().to_string())
        ),
    )?;
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
    if let Some(path) = &plan.history {
        // After the report files: a run is in the history only if its report exists.
        crate::history::Store::open(path)
            .and_then(|mut store| store.record(&report))
            .with_context(|| {
                format!(
                    "recording run {} in the history {} (its report is written)",
                    plan.run_id,
                    path.display()
                )
            })?;
    }
    println!("{}", report::markdown(&report));
    eprintln!("report: {}", plan.run_dir.join("report.html").display());
    if !measured.failed.is_empty() {
        eprintln!("failed suites: {}", measured.failed.join(", "));
    }
    Ok(outcome(args, &report, &measured))
}
