//! `--against REV`: the same benches of revision REV (side A) and of the working tree as it stands
//! (side B), measured sample by sample in turn.
//!
//! REV is checked out once into a git worktree (`target/ggen-bench/against/<sha>`) and built with
//! its own target directory (`target/ggen-bench/against-target`), both kept between runs so a
//! second run against the same REV builds nothing. Then, suite by suite, one bench binary of each
//! side runs in serve mode and the [`paired`] engine measures every bench both sides
//! define, in rounds of fresh process pairs: A and B alternate sample by sample (about a
//! millisecond each with `--quick`), so drift hits both sides of every pair, and
//! [`crate::stats::ratio_ci_signed_rank`] turns the rounds' log-ratios into the verdict.
//! Allocation benches (bytes, not time) and the `system` suite are not paired and are listed as
//! such.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use bench_format::harness::PlanLine;

use crate::paired::{self, Placement, Server, Settings};
use crate::results::{MeasuredBench, Unit};
use crate::suites::{self, Built};
use crate::workspace::{SuiteKind, Workspace};

/// Default threshold of an `--against` comparison (see docs/BENCHMARKS.md for what it resolves).
pub const DEFAULT_THRESHOLD: f64 = 0.005;

/// Side A: revision REV, built.
pub struct SideA {
    /// REV as given.
    pub rev: String,
    /// The commit it names.
    pub sha: String,
    /// Its Criterion suites, built.
    pub suites: Vec<Built>,
}

/// The commit `rev` (given to `option`: `--against`, `--good`) names in the repository at
/// `root`; an error (exit 2) if it names none.
pub fn resolve(root: &Path, option: &str, rev: &str) -> Result<String> {
    if rev.starts_with('-') {
        bail!("{option} {rev:?}: not a revision");
    }
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])
        .output()
        .context("running git rev-parse")?;
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || sha.is_empty() {
        bail!("{option} {rev:?}: not a revision of this repository");
    }
    Ok(sha)
}

/// Checks out `sha` into a reusable worktree under `bench_root` and builds its suites named in
/// `wanted` (Criterion suites only). A revision that does not build is an error (exit 2).
pub fn prepare(
    root: &Path,
    bench_root: &Path,
    rev: &str,
    sha: &str,
    wanted: &[String],
) -> Result<SideA> {
    let tree: PathBuf = bench_root.join("against").join(sha);
    // A worktree made by this call is removed again if REV turns out unusable (exit 2 writes
    // nothing); one kept from an earlier run is a cache and stays.
    let mut made: Option<MadeWorktree> = None;
    if !tree.join("Cargo.toml").is_file() {
        let _ = std::fs::remove_dir_all(&tree);
        let _ = Command::new("git")
            .current_dir(root)
            .args(["worktree", "prune"])
            .status();
        std::fs::create_dir_all(tree.parent().unwrap_or(bench_root))?;
        let out = Command::new("git")
            .current_dir(root)
            .args(["worktree", "add", "--detach", "--force"])
            .arg(&tree)
            .arg(sha)
            .output()
            .context("running git worktree add")?;
        made = Some(MadeWorktree {
            root: root.to_owned(),
            tree: tree.clone(),
        });
        if !out.status.success() {
            bail!(
                "--against {rev}: cannot check out {sha}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let target = bench_root.join("against-target");
    let mut ws = Workspace::discover_in(&tree, Some(&target))
        .with_context(|| format!("--against {rev}: reading the workspace at {sha}"))?;
    ws.remap_root = true;
    ws.suites
        .retain(|s| s.kind == SuiteKind::Criterion && wanted.contains(&s.name));
    if ws.suites.is_empty() {
        bail!("--against {rev}: revision {sha} has none of the selected suites");
    }
    eprintln!(
        "building {} suite(s) of {rev} ({})...",
        ws.suites.len(),
        &sha[..sha.len().min(12)]
    );
    let suites = suites::build(&ws)
        .with_context(|| format!("--against {rev}: revision {sha} does not build"))?;
    if let Some(m) = made.as_mut() {
        m.keep();
    }
    Ok(SideA {
        rev: rev.to_owned(),
        sha: sha.to_owned(),
        suites,
    })
}

/// A worktree this run created: removed on drop (the run failed before it was used) unless
/// [`MadeWorktree::keep`] was called; the `against/` folder goes too when it is left empty.
struct MadeWorktree {
    root: PathBuf,
    tree: PathBuf,
}

impl MadeWorktree {
    fn keep(&mut self) {
        self.tree = PathBuf::new();
    }
}

impl Drop for MadeWorktree {
    fn drop(&mut self) {
        if self.tree.as_os_str().is_empty() {
            return;
        }
        let _ = Command::new("git")
            .current_dir(&self.root)
            .args(["worktree", "remove", "--force"])
            .arg(&self.tree)
            .output();
        let _ = std::fs::remove_dir_all(&self.tree);
        let _ = Command::new("git")
            .current_dir(&self.root)
            .args(["worktree", "prune"])
            .output();
        if let Some(parent) = self.tree.parent() {
            // Only if empty: other revisions' worktrees are a cache.
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// Side B, the working tree, built for pairing: like side A, in its own target directory
/// (`target/ggen-bench/against-target-b`) with the checkout's path remapped, so that the same
/// source gives the same binary on both sides (paths compiled into a binary move its code, which
/// alone made one side 4% slower on some benches here).
pub fn build_b(ws: &Workspace, bench_root: &Path, wanted: &[String]) -> Result<Vec<Built>> {
    let mut b = ws.clone();
    b.target_override = Some(bench_root.join("against-target-b"));
    b.remap_root = true;
    b.suites
        .retain(|s| s.kind == SuiteKind::Criterion && wanted.contains(&s.name));
    eprintln!(
        "building {} suite(s) of the working tree for pairing...",
        b.suites.len()
    );
    suites::build(&b)
}

/// Fresh copies of the two binaries, for one round, at paths of the same length
/// (`<run>/bin/a/<suite>` and `<run>/bin/b/<suite>`).
///
/// Same length: the path is copied onto the new process's stack, so with address-space
/// randomization off a longer path shifts the stack for the whole run (two byte-identical
/// binaries under paths of different lengths measured consistently apart: docs/BENCHMARKS.md,
/// "Paired A/B").
///
/// Fresh: a running program's code and constants are the page-cache pages of its file, the same
/// physical pages for every process started from that file, and where they sit in the caches
/// is luck that lasts as long as the file: byte-identical copies of one binary measure a fixed
/// difference apart that no number of rounds averages out (docs/BENCHMARKS.md, "Paired A/B").
/// A new copy per round turns that luck into round-to-round noise, which the rounds do average
/// out.
fn fresh_copies(run_dir: &Path, suite: &str, a: &Path, b: &Path) -> Result<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for (side, exe) in [("a", a), ("b", b)] {
        let dir = run_dir.join("bin").join(side);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let copy = dir.join(suite);
        // The previous round's copy goes first, so its pages are freed, not reused.
        let _ = std::fs::remove_file(&copy);
        std::fs::copy(exe, &copy)
            .with_context(|| format!("copying {} to {}", exe.display(), copy.display()))?;
        out.push(copy);
    }
    let b = out.pop().expect("two");
    Ok((out.pop().expect("two"), b))
}

/// Where side A's results live in a run folder (side B's are in its `criterion/`).
pub fn root(run_dir: &Path) -> PathBuf {
    run_dir.join("against-a")
}

/// Benches that could not be paired, for the report.
#[derive(Debug, Default)]
pub struct Unpaired {
    /// `id: why` lines.
    pub lines: Vec<String>,
}

/// The benches a plan says a suite serves (every bench but allocation groups).
/// With where each runs: single-threaded (counted) benches on one CPU, the others on all.
fn servable_with_placement(plan: &[PlanLine]) -> Vec<(String, Placement)> {
    plan.iter()
        .filter_map(|l| match l {
            PlanLine::Counted { id, .. } => Some((id.clone(), Placement::OneCpu)),
            PlanLine::Excluded { id, .. } => Some((id.clone(), Placement::AllCpus)),
            PlanLine::Group { .. } => None,
        })
        .collect()
}

/// One round's value on sides A and B, from its pairs: the round's level (the geometric mean of
/// both sides' samples) split by the round's ratio, the Hodges–Lehmann estimate of its pairs'
/// log-ratios, so that B / A is that ratio. A pair or two that caught the machine changing
/// speed (here `indexed/100` went from ~2950 to ~4850 ns per iteration within a round, and a
/// pair across the switch read +57%) barely move it; the geometric mean of each side took them
/// in full. On three whole-workspace A/A runs the rounds' interval was ±0.97% (median half-width)
/// this way, ±1.18% with the ratio of geometric means (docs/BENCHMARKS.md).
fn round_values(a: &[f64], b: &[f64]) -> (f64, f64) {
    let level = (crate::stats::geo_mean(a) * crate::stats::geo_mean(b)).sqrt();
    let r = crate::stats::log_ratios(a, b, 1)
        .and_then(|d| crate::stats::hodges_lehmann(&d))
        .unwrap_or(f64::NAN);
    (level * (-r / 2.0).exp(), level * (r / 2.0).exp())
}

/// One bench's rounds: each round's value per iteration on sides A and B ([`round_values`]), the
/// last round's iterations per sample, and the elements per iteration.
#[derive(Debug, Default)]
struct Rounds {
    a: Vec<f64>,
    b: Vec<f64>,
    iters: u64,
    elements: Option<u64>,
}

/// One suite's share of an `--against` run: both sides built, the benches both define that were
/// selected (with where each runs), and the suite's log.
type Work<'a> = (
    &'a Built,
    &'a Built,
    Vec<(String, Placement)>,
    std::fs::File,
);

/// Which benches of which suites are paired, and which selected ones cannot be (and why).
fn plan<'a>(
    ws: &Workspace,
    a: &'a SideA,
    b_suites: &'a [Built],
    selected: &dyn Fn(&str) -> bool,
    logs: &Path,
) -> Result<(Vec<Work<'a>>, Unpaired)> {
    let mut unpaired = Unpaired::default();
    let mut work = Vec::new();
    for b in b_suites {
        let name = &b.suite.name;
        let Some(a_built) = a.suites.iter().find(|x| x.suite.name == *name) else {
            unpaired
                .lines
                .push(format!("{name}: suite not in {} (nothing to pair)", a.rev));
            continue;
        };
        let b_plan = crate::suites::read_plan(ws, b)?;
        let a_plan = crate::suites::read_plan(ws, a_built).with_context(|| {
            format!(
                "--against {}: suite {name} of that revision has no serve mode (it predates \
                 benches_common::harness); pick a newer revision",
                a.rev
            )
        })?;
        let (a_ids, b_ids) = (
            servable_with_placement(&a_plan),
            servable_with_placement(&b_plan),
        );
        for l in &b_plan {
            if let PlanLine::Group { group, reason } = l {
                unpaired
                    .lines
                    .push(format!("{name}/{group}: not paired ({reason})"));
            }
        }
        let full = |id: &str| format!("{name}/{id}");
        let in_b = |id: &str| b_ids.iter().any(|(b, _)| b == id);
        let in_a = |id: &str| a_ids.iter().any(|(a, _)| a == id);
        for (id, _) in a_ids.iter().filter(|(id, _)| !in_b(id)) {
            if selected(&full(id)) {
                unpaired
                    .lines
                    .push(format!("{}: only in {}", full(id), a.rev));
            }
        }
        let mut ids = Vec::new();
        for (id, place) in b_ids.iter().filter(|(id, _)| selected(&full(id))) {
            if in_a(id) {
                ids.push((id.clone(), *place));
            } else {
                unpaired
                    .lines
                    .push(format!("{}: only in the working tree", full(id)));
            }
        }
        if !ids.is_empty() {
            let log = std::fs::File::create(logs.join(format!("{name}-paired.log")))
                .with_context(|| format!("creating the log of suite {name}"))?;
            work.push((a_built, b, ids, log));
        }
    }
    Ok((work, unpaired))
}

/// Writes each bench's rounds as results: side A's under [`root`]`(run_dir)`, side B's where a
/// plain run's results go.
fn write_rounds(
    rounds: &std::collections::BTreeMap<String, Rounds>,
    run_dir: &Path,
    b_root: &Path,
) -> Result<()> {
    for (full, r) in rounds {
        let (name, id) = full.split_once('/').expect("full ids have a suite");
        for (home, values) in [(root(run_dir).join(name), &r.a), (b_root.join(name), &r.b)] {
            crate::results::write(
                &home,
                &MeasuredBench {
                    rest: id,
                    id: full,
                    unit: Unit::Ns,
                    iters: r.iters,
                    per_iteration: values,
                    elements: r.elements,
                    latency: false,
                },
            )?;
        }
    }
    Ok(())
}

/// One bench on both sides, sample by sample; side B is set up and calibrated first when
/// `b_first` (which alternates between rounds). The pairs come back as A's and B's.
fn in_turn(
    sa: &mut Server,
    sb: &mut Server,
    id: &str,
    b_first: bool,
    settings: &Settings,
    place: Placement,
) -> Result<paired::Paired> {
    if b_first {
        let p = paired::measure(sb, id, sa, id, settings, place)?;
        Ok(paired::Paired {
            a: p.b,
            b: p.a,
            ..p
        })
    } else {
        paired::measure(sa, id, sb, id, settings, place)
    }
}

/// Measures every selected bench on both sides, pair by pair, writing side A's results under
/// [`root`]`(run_dir)` and side B's where a plain run's results go, each suite in its own folder.
/// Long (~90 lines) on purpose: the round loop is the engine's order of events (fresh copies,
/// which process starts first, which side is set up first, unproven rounds dropped), and reads
/// best in one place.
pub fn measure(
    ws: &Workspace,
    a: &SideA,
    b_suites: &[Built],
    selected: &dyn Fn(&str) -> bool,
    settings: &Settings,
    run_dir: &Path,
    logs: &Path,
) -> Result<Unpaired> {
    let b_root = &crate::results::criterion_roots(run_dir, 1)[0];
    let started = std::time::Instant::now();
    let (work, unpaired) = plan(ws, a, b_suites, selected, logs)?;
    let total: usize = work.iter().map(|(_, _, ids, _)| ids.len()).sum();
    // Per bench: each round's geometric mean per iteration on both sides, and its throughput.
    let mut rounds: std::collections::BTreeMap<String, Rounds> = Default::default();
    // Every pair as measured, one JSON line per bench and round, for whoever wants to check the
    // verdicts (or try another statistic) later.
    let mut raw = std::io::BufWriter::new(
        std::fs::File::create(logs.join("paired-pairs.jsonl"))
            .context("creating logs/paired-pairs.jsonl")?,
    );
    // The copies are ~30 MB a suite and side: gone when this returns, whatever happens.
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _copies = Remove(run_dir.join("bin"));
    for r in 0..settings.rounds {
        let mut k = 0;
        for (a_built, b, ids, log) in &work {
            let name = &b.suite.name;
            let (a_exe, b_exe) = fresh_copies(run_dir, name, &a_built.exe, &b.exe)?;
            // Fresh processes every round: each process keeps its own placement in memory
            // for life, which biases one side by a few percent; rounds average that out.
            // Which side starts first alternates too: nothing about the order may favour a side.
            let start_a = || Server::start(&a_exe, &ws.root, log, &format!("{name} of {}", a.rev));
            let start_b =
                || Server::start(&b_exe, &ws.root, log, &format!("{name} (working tree)"));
            let (mut sa, mut sb) = if r % 2 == 0 {
                let sa = start_a()?;
                (sa, start_b()?)
            } else {
                let sb = start_b()?;
                (start_a()?, sb)
            };
            for (id, place) in ids {
                k += 1;
                let full = format!("{name}/{id}");
                eprintln!(
                    "[round {}/{}, pair {k}/{total}] {full} ({:.1} s elapsed)",
                    r + 1,
                    settings.rounds,
                    started.elapsed().as_secs_f64()
                );
                let unproven_before = sa.unproven() + sb.unproven();
                let p = in_turn(&mut sa, &mut sb, id, r % 2 == 1, settings, *place)?;
                writeln!(
                    raw,
                    "{}",
                    serde_json::json!({"id": full, "round": r + 1, "iters": p.iters, "setups": p.setups, "a": p.a, "b": p.b})
                )
                .context("writing logs/paired-pairs.jsonl")?;
                if sa.unproven() + sb.unproven() > unproven_before {
                    // A contended bench whose contender did not run throughout a sample: the
                    // round measured something else and is not used.
                    eprintln!(
                        "  round {} of {full} not used: a sample's contenders were not seen running throughout it",
                        r + 1
                    );
                    continue;
                }
                let (va, vb) = round_values(&p.a, &p.b);
                let e = rounds.entry(full).or_default();
                e.a.push(va);
                e.b.push(vb);
                (e.iters, e.elements) = (p.iters, p.elements);
            }
        }
    }
    write_rounds(&rounds, run_dir, b_root)?;
    eprintln!(
        "paired {total} bench(es) in {:.1} s (excluding compilation)",
        started.elapsed().as_secs_f64()
    );
    Ok(unpaired)
}

/// The benches of an `--against` run that regressed in wall time, counted on both sides under
/// callgrind (side A's binaries and the working tree's), so the report can say which functions
/// changed — or that none did, when the counts are the same (a layout or memory effect). Only
/// benches the catalog counts (deterministic, single-threaded) can be; `Ok(None)` when none of
/// `regressed` is. The outputs go to `<run>/against/callgrind-{a,b}/`.
pub fn count_regressed(
    ws: &Workspace,
    a: &SideA,
    b_suites: &[Built],
    catalog: &crate::catalog::Catalog,
    regressed: &std::collections::BTreeSet<String>,
    run_dir: &Path,
    logs: &Path,
) -> Result<Option<CountedSides>> {
    let wanted = |id: &str| regressed.contains(id) && catalog.counted.contains(id);
    if !regressed.iter().any(|id| wanted(id)) {
        return Ok(None);
    }
    let valgrind = crate::instructions::check_valgrind()?;
    let planned = crate::instructions::plan(catalog, b_suites, &wanted)?;
    let dir = |side: &str| root(run_dir).join(format!("callgrind-{side}"));
    let (a_counts, _) = crate::instructions::measure(
        ws,
        &a.suites,
        &planned,
        valgrind.clone(),
        &dir("a"),
        &logs.join("callgrind-a.log"),
    )
    .context("counting side A's regressed benches")?;
    let (b_counts, _) = crate::instructions::measure(
        ws,
        b_suites,
        &planned,
        valgrind,
        &dir("b"),
        &logs.join("callgrind-b.log"),
    )
    .context("counting side B's regressed benches")?;
    Ok(Some(CountedSides {
        a: a_counts,
        b: b_counts,
        a_dir: dir("a"),
        b_dir: dir("b"),
    }))
}

/// Counts of the same benches on both sides of an `--against` run, and where their callgrind
/// outputs are.
pub struct CountedSides {
    pub a: std::collections::BTreeMap<String, crate::results::Counts>,
    pub b: std::collections::BTreeMap<String, crate::results::Counts>,
    pub a_dir: PathBuf,
    pub b_dir: PathBuf,
}
