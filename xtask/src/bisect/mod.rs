//! `cargo xtask bisect BENCH --good REV --bad REV [--instructions]`: the first commit between
//! two revisions where one bench got slower.
//!
//! The commits are the first-parent path from `--good` to `--bad`. Each probed commit is checked
//! out into one worktree (`<bench dir>/bisect/tree`, removed at the end, also when stopped) and
//! measured by this xtask run as a child in it, its runs under `<bench dir>/bisect/runs` and its
//! builds in one target folder (`<bench dir>/bisect/target`), so each probe rebuilds only what
//! the commit changed:
//!
//! - `--instructions`: `bench --instructions` on the one bench: its exact instruction count per
//!   iteration (deterministic, single-threaded benches only).
//! - otherwise `bench --against GOOD` on the one bench: its wall-time ratio to the good end, from
//!   the paired engine, with `--rounds` rounds, doubled while the verdict is undecided.
//!
//! The search itself is [`search`]. Each child takes the machine lock like any run, so another
//! benchmark cannot run during a probe (it can between two).

pub mod search;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::BisectArgs;
use crate::runner::Outcome;
use crate::workspace::Workspace;
use search::{Found, Measurement, Measurer, NoSlowdown, Probe};

/// A commit of the range: its sha and subject line.
#[derive(Debug, Clone)]
pub struct Commit {
    pub sha: String,
    pub subject: String,
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The good end, then every commit on the first-parent path to the bad end, in order.
fn commits(root: &Path, good: &str, bad: &str) -> Result<Vec<Commit>> {
    let ok = Command::new("git")
        .current_dir(root)
        .args(["merge-base", "--is-ancestor", good, bad])
        .status()
        .context("running git merge-base")?;
    if !ok.success() {
        bail!("--good {good} is not an ancestor of --bad {bad}: nothing to bisect between them");
    }
    let log = git(
        root,
        &[
            "log",
            "--first-parent",
            "--ancestry-path",
            "--reverse",
            "--format=%H %s",
            &format!("{good}..{bad}"),
        ],
    )?;
    let subject = git(root, &["log", "-1", "--format=%s", good])?;
    let mut out = vec![Commit {
        sha: good.to_owned(),
        subject,
    }];
    for line in log.lines() {
        let (sha, subject) = line.split_once(' ').unwrap_or((line, ""));
        out.push(Commit {
            sha: sha.to_owned(),
            subject: subject.to_owned(),
        });
    }
    Ok(out)
}

/// The probe worktree: removed (and pruned) on drop.
struct Tree {
    root: PathBuf,
    path: PathBuf,
}

impl Tree {
    fn new(root: &Path, path: &Path, sha: &str) -> Result<Self> {
        let _ = std::fs::remove_dir_all(path);
        let _ = git(root, &["worktree", "prune"]);
        std::fs::create_dir_all(path.parent().unwrap_or(root))?;
        git(
            root,
            &[
                "worktree",
                "add",
                "--detach",
                "--force",
                &path.display().to_string(),
                sha,
            ],
        )?;
        Ok(Self {
            root: root.to_owned(),
            path: path.to_owned(),
        })
    }

    fn checkout(&self, sha: &str) -> Result<()> {
        git(
            &self.path,
            &["checkout", "--quiet", "--detach", "--force", sha],
        )
        .map(drop)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = git(
            &self.root,
            &[
                "worktree",
                "remove",
                "--force",
                &self.path.display().to_string(),
            ],
        );
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = git(&self.root, &["worktree", "prune"]);
    }
}

/// Measures commits by running this xtask in the probe worktree.
struct Child<'a> {
    args: &'a BisectArgs,
    commits: &'a [Commit],
    tree: &'a Tree,
    dir: PathBuf,
    probes: usize,
}

impl Child<'_> {
    fn run(&mut self, index: usize, rounds: usize) -> Result<PathBuf> {
        let c = &self.commits[index];
        self.tree.checkout(&c.sha)?;
        let (suite, rest) = self.args.bench.split_once('/').expect("checked id");
        let filter = format!("^{}$", regex::escape(rest));
        let exe = std::env::current_exe().context("finding this xtask's executable")?;
        let mut cmd = Command::new(exe);
        cmd.current_dir(&self.tree.path)
            .env(crate::runner::BENCH_DIR_ENV, self.dir.join("runs"))
            .env("CARGO_TARGET_DIR", self.dir.join("target"))
            .args([
                "bench",
                &format!("--{}", self.args.profile.name()),
                "--bench",
                suite,
                "--filter",
                &filter,
                "--no-fail",
                "--no-history",
            ]);
        if self.args.instructions {
            cmd.arg("--instructions");
        } else {
            cmd.args([
                "--against",
                &self.commits[0].sha,
                "--rounds",
                &rounds.to_string(),
            ]);
        }
        self.probes += 1;
        let log_path = self.dir.join("logs").join(format!(
            "{:02}-{}.log",
            self.probes,
            &c.sha[..12.min(c.sha.len())]
        ));
        std::fs::create_dir_all(log_path.parent().expect("has a parent"))?;
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        cmd.stdout(log.try_clone()?).stderr(log);
        let done = crate::interrupt::run(&mut cmd, false, "the probe's bench run")?;
        if !done.status.success() {
            bail!(
                "measuring {} ({}) failed ({}); see {}",
                &c.sha[..12.min(c.sha.len())],
                c.subject,
                done.status,
                log_path.display()
            );
        }
        let runs = self.dir.join("runs");
        let id = std::fs::read_to_string(runs.join("latest"))
            .with_context(|| format!("reading {}", runs.join("latest").display()))?;
        Ok(runs.join(id.trim()))
    }
}

impl Measurer for Child<'_> {
    fn good(&self) -> Option<f64> {
        (!self.args.instructions).then_some(1.0)
    }

    fn measure(&mut self, index: usize, rounds: usize) -> Result<Measurement> {
        let started = Instant::now();
        let run = self.run(index, rounds)?;
        let report = crate::report::load(&run.join("report.json"))?;
        let id = &self.args.bench;
        let (point, lower, upper, rounds) = if self.args.instructions {
            let b = report
                .benches
                .iter()
                .find(|b| b.id == *id)
                .with_context(|| {
                    format!("{id}: not measured at this commit (is it defined there?)")
                })?;
            let c = b.counts.as_ref().with_context(|| {
                format!(
                    "{id}: not counted (a multi-threaded, timed or allocation bench); bisect it \
                     without --instructions"
                )
            })?;
            (c.instructions, c.instructions, c.instructions, 0)
        } else {
            let cmp = report
                .comparison
                .as_ref()
                .context("the probe run has no comparison")?;
            match cmp.deltas.iter().find(|d| d.id == *id) {
                Some(d) => (d.ratio.point, d.ratio.lower, d.ratio.upper, rounds),
                None => bail!(
                    "{id}: not paired at this commit ({})",
                    if cmp.unpaired.is_empty() {
                        "no reason given".to_owned()
                    } else {
                        cmp.unpaired.join("; ")
                    }
                ),
            }
        };
        Ok(Measurement {
            point,
            lower,
            upper,
            rounds,
            took: started.elapsed(),
            run: Some(run),
        })
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

/// A subject line cut to `n` characters.
fn subject(c: &Commit, n: usize) -> String {
    if c.subject.chars().count() <= n {
        c.subject.clone()
    } else {
        format!("{}…", c.subject.chars().take(n - 1).collect::<String>())
    }
}

fn figure(args: &BisectArgs, m: &Measurement) -> String {
    if args.instructions {
        format!("{:.0} instructions", m.point)
    } else {
        format!(
            "{:.4}× [{:.4}, {:.4}] of the good end",
            m.point, m.lower, m.upper
        )
    }
}

/// The verdict table, probes in the order of the range.
fn table(args: &BisectArgs, commits: &[Commit], found: &Found) -> String {
    let mut probes: Vec<&Probe> = found.probes.iter().collect();
    probes.sort_by_key(|p| p.index);
    let mut s = String::from(
        "| # | commit | subject | measured | rounds | verdict | took |\n|---|---|---|---|---|---|---|\n",
    );
    for p in probes {
        let c = &commits[p.index];
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {}{} | {:.0} s |\n",
            p.index,
            short(&c.sha),
            subject(c, 60).replace('|', "\\|"),
            figure(args, &p.m),
            if args.instructions {
                "exact".to_owned()
            } else {
                p.attempts
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" → ")
            },
            p.verdict.word(),
            if p.index == found.first_bad {
                " (first bad)"
            } else {
                ""
            },
            p.m.took.as_secs_f64()
        ));
    }
    s
}

/// The range to bisect, checked: both ends resolve, the bench's suite exists, `--good` is an
/// ancestor of `--bad`.
fn range(ws: &Workspace, args: &BisectArgs) -> Result<Vec<Commit>> {
    let good = crate::against::resolve(&ws.root, "--good", &args.good)?;
    let bad = crate::against::resolve(&ws.root, "--bad", &args.bad)?;
    let (suite, _) = args.bench.split_once('/').expect("checked id");
    if !ws.suites.iter().any(|s| s.name == suite) {
        let names: Vec<&str> = ws.suites.iter().map(|s| s.name.as_str()).collect();
        bail!(
            "bisect {}: no suite {suite:?} in this workspace (suites: {})",
            args.bench,
            names.join(", ")
        );
    }
    let commits = commits(&ws.root, &good, &bad)?;
    if commits.len() < 2 {
        bail!(
            "--good {} and --bad {} name the same commit: nothing to bisect",
            args.good,
            args.bad
        );
    }
    Ok(commits)
}

/// One line per probe, as it is taken: its figure, verdict, time and an ETA (the most probes
/// left times the mean probe so far).
fn progress<'a>(args: &'a BisectArgs, commits: &'a [Commit]) -> impl FnMut(&Probe) + 'a {
    let started = Instant::now();
    let last = commits.len() - 1;
    let mut taken = 0usize;
    move |p: &Probe| {
        // An undecided commit measured again with more rounds is the same probe.
        let again = p.attempts.len() > 1;
        taken += usize::from(!again);
        let per = started.elapsed().as_secs_f64() / taken as f64;
        let left = search::max_probes(last).saturating_sub(taken);
        let label = if again {
            format!("probe {taken}, again with {} rounds", p.m.rounds)
        } else {
            format!("probe {taken}")
        };
        // The ends are measured before there is a midpoint to judge by.
        let verdict = match p.index {
            0 => "good end",
            i if i == last => "bad end",
            _ => p.verdict.word(),
        };
        eprintln!(
            "[{label}] #{} {} {}: {} → {verdict} (took {:.0} s; at most {left} more, ETA ≤ {})",
            p.index,
            short(&commits[p.index].sha),
            subject(&commits[p.index], 60),
            figure(args, &p.m),
            p.m.took.as_secs_f64(),
            humantime::format_duration(Duration::from_secs((per * left as f64) as u64))
        );
    }
}

pub fn run(args: &BisectArgs) -> Result<Outcome> {
    crate::interrupt::install()?;
    let ws = Workspace::discover()?;
    let commits = range(&ws, args)?;
    let (good, bad, last) = (
        &commits[0].sha,
        &commits[commits.len() - 1].sha,
        commits.len() - 1,
    );
    let dir = crate::runner::bench_root(&ws).join("bisect");
    eprintln!(
        "bisecting {} over {last} commit(s) after {} ({}): at most {} probes",
        args.bench,
        short(good),
        if args.instructions {
            "instruction counts"
        } else {
            "wall time, paired against the good end"
        },
        search::max_probes(last)
    );
    let tree = Tree::new(&ws.root, &dir.join("tree"), bad)?;
    let mut child = Child {
        args,
        commits: &commits,
        tree: &tree,
        dir: dir.clone(),
        probes: 0,
    };
    let settings = search::Settings {
        rounds: args.rounds,
        max_rounds: args.max_rounds,
        min_change: if args.instructions { 0.001 } else { 0.0 },
    };
    let started = Instant::now();
    let found = match search::bisect(&mut child, last, &settings, &mut progress(args, &commits)) {
        Ok(f) => f,
        Err(e) if e.downcast_ref::<NoSlowdown>().is_some() => {
            eprintln!("{e}");
            println!("bisect {}: {e}", args.bench);
            return Ok(Outcome::Failed);
        }
        Err(e) => return Err(e),
    };
    let culprit = &commits[found.first_bad];
    println!(
        "# bisect {}\n\nfirst bad commit: `{}` {} ({} → {}: {:+.2}% between the ends)\n\n{}\n{} probe(s) in {:.0} s",
        args.bench,
        culprit.sha,
        subject(culprit, 100),
        short(good),
        short(bad),
        (found.bad / found.good - 1.0) * 100.0,
        table(args, &commits, &found),
        found.probes.len(),
        started.elapsed().as_secs_f64()
    );
    drop(tree);
    if args.instructions {
        explain(args, &found)?;
    }
    Ok(Outcome::Success)
}

/// With counts: the functions whose cost changed between the last good probe and the first
/// bad one (the culprit table of `compare --explain`).
fn explain(args: &BisectArgs, found: &Found) -> Result<()> {
    let run_of = |i: usize| {
        found
            .probes
            .iter()
            .find(|p| p.index == i)
            .and_then(|p| p.m.run.clone())
    };
    let (Some(a), Some(b)) = (run_of(found.first_bad - 1), run_of(found.first_bad)) else {
        return Ok(());
    };
    println!("\n## What changed in the culprit\n");
    let explain = format!("^{}$", regex::escape(&args.bench));
    crate::runner::compare(
        &a.join("report.json").display().to_string(),
        &b.join("report.json").display().to_string(),
        crate::cli::DEFAULT_THRESHOLD,
        crate::instructions::DEFAULT_THRESHOLD,
        Some(&explain),
        true,
    )
    .map(drop)
}
