//! Command-line parsing for `cargo xtask` (lexopt: small, no proc macros).

use std::ffi::OsString;

use std::path::PathBuf;

use anyhow::{Result, bail};

/// Printed for `--help` and after usage errors.
pub const USAGE: &str = "\
usage:
  cargo xtask bench [--quick|--full] [-p CRATE]... [--bench SUITE]... [--filter REGEX]
                    [--save-baseline NAME] [--baseline NAME] [--threshold PCT]
                    [--export bmf=PATH] [--export github=PATH] [--budgets PATH] [--repeat N]
                    [--no-fail] [--force] [--strict] [--gate-deterministic] [--no-wait]
                    [--against REV]
                    [--rounds N] [--setups N] [--instructions] [--ir-threshold PCT]
                    [--explain REGEX] [--history PATH] [--no-history]
  cargo xtask compare A B [--threshold PCT] [--ir-threshold PCT] [--explain REGEX] [--no-fail]
  cargo xtask report [RUN]
  cargo xtask history [--history PATH] [--bench REGEX] [--window N] [--max-p P]
                      [--min-change PCT] [--include-dirty] [--out DIR]
  cargo xtask history import DIR... [--history PATH]
  cargo xtask bisect BENCH --good REV --bad REV [--instructions] [--quick|--full]
                     [--rounds N] [--max-rounds N]

bench     runs the workspace's Criterion suites, checks budgets.toml, compares with a baseline,
          and writes target/ggen-bench/<run-id>/report.{md,json,html} (target/ggen-bench/latest
          names the newest run)
compare   compares two saved baselines or runs (names, run ids or report.json paths)
report    re-renders a run's report (default: the latest) from its results and budgets.toml
history   every bench's series over commits from the run history (each `bench` run is recorded
          in target/ggen-bench/history.sqlite), its change points (E-divisive means, t-test),
          written to target/ggen-bench/history/history.{md,json,html}; `--against REF` runs
          also give paired-ratio series (one per REF commit, steadier than plain means);
          `history import DIR` records saved run folders
bisect    finds the first commit between --good and --bad where BENCH (suite/group/function/
          parameter) got slower: exact instruction counts with --instructions, otherwise the
          paired engine against --good, with more rounds where a verdict is undecided

  --quick             quick profile (GGEN_BENCH_PROFILE=quick: 10 samples, ~0.4 s per bench)
  --full              full profile (the default: Criterion's 100 samples, 3 s + 5 s per bench)
  -p, --package       only the suites of this crate (repeatable)
  --bench SUITE       only this suite (bench target name; repeatable)
  --filter REGEX      only benches whose group/function/parameter matches (passed to Criterion)
  --save-baseline N   save this run as baseline N (target/ggen-bench/baselines/N.json)
  --baseline N        compare with baseline N (or a run id)
  --threshold PCT     smallest relative change flagged as a regression (default 10)
  --export KIND=PATH  also write bmf (Bencher Metric Format) or github (github-action-benchmark
                      customSmallerIsBetter) JSON
  --repeat N          run every suite N times, interleaved, in separate processes; comparisons
                      then use whole-run means, which see between-run drift (default 1)
  --budgets PATH      budgets file to check (default: budgets.toml at the workspace root)
  --no-fail           report failures without failing
  --force             let --save-baseline replace an existing baseline of that name
  --strict            an UNSURE claim (its interval straddles the limit) fails the run
  --gate-deterministic
                      only deterministic entries (instruction counts, bytes) and entries
                      marked `gate = true` fail the run; wall-clock verdicts are reported (the
                      pull-request gate: a shared runner's timings are not the code's)
  --no-wait           if another benchmark run holds the machine, stop at once (exit 2)
                      instead of waiting for it; one run at a time, machine-wide
  --against REV       measure REV (built in a reusable git worktree) and the working tree
                      sample by sample in turn, bench by bench (threshold default 0.5%); the
                      system suite and allocation benches are left out
  --rounds N          with --against: fresh process pairs per bench, 6 or more (default 48
                      with --quick, 64 full); more rounds, narrower intervals, proportionally
                      longer
  --setups N          with --against: set-ups per round of each single-threaded bench, 1 to
                      20 (default 5), its pairs shared among them; each set-up is a new draw of
                      where the bench's data lands in memory
  --instructions      also count instructions and estimated cycles per iteration under
                      valgrind's callgrind, for every deterministic single-threaded bench
                      (needs valgrind); a baseline with counts is then compared on them too
  --ir-threshold PCT  smallest change in instructions per iteration flagged (default 1)
  --explain REGEX     with counts on both sides: the functions whose cost changed, also for
                      the benches (suite/group/function/parameter) it matches that did not
                      regress (every regressed or improved bench gets them anyway)
  --history PATH      the run history file (default target/ggen-bench/history.sqlite)
  --no-history        do not record this run in the history
  -h, --help          this text

history: --bench REGEX (bench ids), --window N (points per window, default 50), --max-p P
  (largest t-test p-value of a change, default 0.001), --min-change PCT (smallest change of
  the mean listed, default 0), --include-dirty (also runs of a dirty tree), --out DIR
bisect: --good/--bad REV (the slowdown must be between them), --instructions (count under
  callgrind: exact, for deterministic single-threaded benches), --rounds N (paired rounds per
  probe, default 24 quick / 32 full), --max-rounds N (most rounds an undecided probe grows to,
  default 4x --rounds)

environment: GGEN_BENCH_DIR moves runs and baselines out of target/ggen-bench

exit status: 0 all good, 1 a claim failed or a bench regressed, 2 usage or input error (nothing
written), 130/143 interrupted by SIGINT/SIGTERM (the run folder is marked INCOMPLETE)";

pub use bench_format::Profile;

mod history;
pub use history::{BisectArgs, HistoryArgs};

/// An export requested with `--export`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    Bmf(PathBuf),
    Github(PathBuf),
}

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchArgs {
    pub profile: Profile,
    pub packages: Vec<String>,
    pub suites: Vec<String>,
    pub filter: Option<String>,
    pub save_baseline: Option<String>,
    pub baseline: Option<String>,
    /// Relative threshold (0.10 = 10%).
    pub threshold: f64,
    pub exports: Vec<Export>,
    pub no_fail: bool,
    /// Budgets file (default: `budgets.toml` at the workspace root).
    pub budgets: Option<PathBuf>,
    /// Runs of each suite, interleaved (`--repeat`, at least 1).
    pub repeat: usize,
    /// `--force`: `--save-baseline` may replace an existing baseline.
    pub force: bool,
    /// `--strict`: UNSURE claims fail the run.
    pub strict: bool,
    /// `--gate-deterministic`: only deterministic entries, and those marked `gate = true`,
    /// fail the run.
    pub gate_deterministic: bool,
    /// `--no-wait`: exit 2 instead of waiting when another run holds the machine.
    pub no_wait: bool,
    /// `--against REV`: paired A/B against a revision.
    pub against: Option<String>,
    /// Whether `--threshold` / `--repeat` were given (their defaults differ with `--against`).
    pub threshold_given: bool,
    pub repeat_given: bool,
    /// `--rounds N` with `--against`: fresh process pairs per bench (default by profile).
    pub rounds: Option<usize>,
    /// `--setups N` with `--against`: set-ups per round of single-threaded benches.
    pub setups: Option<usize>,
    /// `--instructions`: also count instructions under callgrind.
    pub instructions: bool,
    /// Relative threshold for instruction counts (0.01 = 1%).
    pub ir_threshold: f64,
    /// `--explain REGEX`: function tables also for the counted benches it matches.
    pub explain: Option<String>,
    /// `--history PATH`: the history file (default in the bench folder).
    pub history: Option<PathBuf>,
    /// `--no-history`: do not record the run.
    pub no_history: bool,
}

/// Default `--threshold`, as a fraction.
pub const DEFAULT_THRESHOLD: f64 = 0.10;

/// A parsed command line.
#[derive(Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only add noise to every match"
)]
pub enum Command {
    Help,
    Bench(BenchArgs),
    Compare {
        a: String,
        b: String,
        threshold: f64,
        ir_threshold: f64,
        explain: Option<String>,
        no_fail: bool,
    },
    Report {
        run: Option<String>,
    },
    History(HistoryArgs),
    HistoryImport {
        dirs: Vec<PathBuf>,
        history: Option<PathBuf>,
    },
    Bisect(BisectArgs),
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let sub = match p.next()? {
        None | Some(Short('h') | Long("help")) => return Ok(Command::Help),
        Some(Value(v)) => v.string()?,
        Some(other) => bail!("expected a subcommand, found {}", other.unexpected()),
    };
    match sub.as_str() {
        "bench" => parse_bench(&mut p),
        "compare" => parse_compare(&mut p),
        "report" => {
            let mut run = None;
            while let Some(arg) = p.next()? {
                match arg {
                    Short('h') | Long("help") => return Ok(Command::Help),
                    Value(v) if run.is_none() => run = Some(v.string()?),
                    other => bail!("{}", other.unexpected()),
                }
            }
            Ok(Command::Report { run })
        }
        "history" => history::parse_history(&mut p),
        "bisect" => history::parse_bisect(&mut p),
        "help" => Ok(Command::Help),
        other => bail!(
            "unknown subcommand {other:?} (expected bench, compare, report, history or bisect)"
        ),
    }
}

/// Baseline names become file names: keep them to a safe alphabet.
pub fn check_name(name: &str) -> Result<String> {
    if name.is_empty()
        || name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        bail!(
            "baseline name {name:?} must be letters, digits, '-', '_' or '.', not starting with '.'"
        );
    }
    Ok(name.to_owned())
}

/// A percentage given to `option` (`--threshold`, `--ir-threshold`), as a fraction.
fn parse_threshold(option: &str, s: &str) -> Result<f64> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| anyhow::anyhow!("{option} {s:?} is not a number"))?;
    if !(0.0..1000.0).contains(&v) {
        bail!("{option} {s:?} must be a percentage between 0 and 1000");
    }
    Ok(v / 100.0)
}

fn parse_compare(p: &mut lexopt::Parser) -> Result<Command> {
    use lexopt::prelude::*;
    let mut names = Vec::new();
    let mut threshold = DEFAULT_THRESHOLD;
    let mut ir_threshold = crate::instructions::DEFAULT_THRESHOLD;
    let mut no_fail = false;
    let mut explain = None;
    while let Some(arg) = p.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(v) => names.push(v.string()?),
            Long("explain") => explain = Some(parse_explain(p.value()?.string()?)?),
            Long("threshold") => threshold = parse_threshold("--threshold", &p.value()?.string()?)?,
            Long("ir-threshold") => {
                ir_threshold = parse_threshold("--ir-threshold", &p.value()?.string()?)?
            }
            Long("no-fail") => no_fail = true,
            other => bail!("{}", other.unexpected()),
        }
    }
    match <[String; 2]>::try_from(names) {
        Ok([a, b]) => Ok(Command::Compare {
            a,
            b,
            threshold,
            ir_threshold,
            explain,
            no_fail,
        }),
        Err(v) => bail!("compare takes two baselines or runs, got {}", v.len()),
    }
}

/// `--explain REGEX`: a valid regex over full bench ids.
fn parse_explain(v: String) -> Result<String> {
    regex::Regex::new(&v).map_err(|e| anyhow::anyhow!("--explain {v:?}: not a regex: {e}"))?;
    Ok(v)
}

/// `bench`'s options. Long (~100 lines) on purpose: one flat match arm per option, each a line
/// or two, is easier to check against USAGE than arms spread over helpers; the checks of
/// combinations are [`check_bench_combinations`].
fn parse_bench(p: &mut lexopt::Parser) -> Result<Command> {
    use lexopt::prelude::*;
    let mut args = BenchArgs {
        profile: Profile::Full,
        packages: vec![],
        suites: vec![],
        filter: None,
        save_baseline: None,
        baseline: None,
        threshold: DEFAULT_THRESHOLD,
        exports: vec![],
        no_fail: false,
        budgets: None,
        repeat: 1,
        force: false,
        strict: false,
        gate_deterministic: false,
        no_wait: false,
        against: None,
        threshold_given: false,
        repeat_given: false,
        rounds: None,
        setups: None,
        instructions: false,
        ir_threshold: crate::instructions::DEFAULT_THRESHOLD,
        explain: None,
        history: None,
        no_history: false,
    };
    let mut profile_set: Option<Profile> = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("quick") => set_profile(&mut profile_set, Profile::Quick)?,
            Long("full") => set_profile(&mut profile_set, Profile::Full)?,
            Short('p') | Long("package") => args.packages.push(p.value()?.string()?),
            Long("bench") => args.suites.push(p.value()?.string()?),
            Long("filter") => {
                let f = p.value()?.string()?;
                regex::Regex::new(&f)
                    .map_err(|e| anyhow::anyhow!("--filter {f:?} is not a valid regex: {e}"))?;
                if args.filter.replace(f).is_some() {
                    bail!("--filter given twice");
                }
            }
            Long("save-baseline") => args.save_baseline = Some(check_name(&p.value()?.string()?)?),
            Long("baseline") => args.baseline = Some(check_name(&p.value()?.string()?)?),
            Long("threshold") => {
                args.threshold = parse_threshold("--threshold", &p.value()?.string()?)?;
                args.threshold_given = true;
            }
            Long("against") => {
                let rev = p.value()?.string()?;
                if rev.is_empty() {
                    bail!("--against needs a revision");
                }
                args.against = Some(rev);
            }
            Long("export") => args.exports.push(parse_export(&p.value()?.string()?)?),
            Long("no-fail") => args.no_fail = true,
            Long("budgets") => args.budgets = Some(p.value()?.string()?.into()),
            Long("repeat") => {
                args.repeat = parse_count("--repeat", &p.value()?.string()?, 1, 100)?;
                args.repeat_given = true;
            }
            // 6: the fewest rounds with a 95% signed-rank interval.
            Long("rounds") => {
                args.rounds = Some(parse_count("--rounds", &p.value()?.string()?, 6, 1000)?)
            }
            Long("setups") => {
                args.setups = Some(parse_count("--setups", &p.value()?.string()?, 1, 20)?)
            }
            Long("force") => args.force = true,
            Long("instructions") => args.instructions = true,
            Long("ir-threshold") => {
                args.ir_threshold = parse_threshold("--ir-threshold", &p.value()?.string()?)?
            }
            Long("explain") => args.explain = Some(parse_explain(p.value()?.string()?)?),
            Long("history") => args.history = Some(p.value()?.into()),
            Long("no-history") => args.no_history = true,
            Long("strict") => args.strict = true,
            Long("gate-deterministic") => args.gate_deterministic = true,
            Long("no-wait") => args.no_wait = true,
            Short('h') | Long("help") => return Ok(Command::Help),
            other => bail!("{}", other.unexpected()),
        }
    }
    if let Some(profile) = profile_set {
        args.profile = profile;
    }
    check_bench_combinations(&mut args)?;
    Ok(Command::Bench(args))
}

/// `--quick` or `--full` (either may repeat; both is an error).
fn set_profile(set: &mut Option<Profile>, chosen: Profile) -> Result<()> {
    if set.replace(chosen).is_some_and(|prev| prev != chosen) {
        bail!("--quick and --full are mutually exclusive");
    }
    Ok(())
}

/// `--export KIND=PATH`.
fn parse_export(v: &str) -> Result<Export> {
    match v.split_once('=') {
        Some(("bmf", path)) if !path.is_empty() => Ok(Export::Bmf(path.into())),
        Some(("github", path)) if !path.is_empty() => Ok(Export::Github(path.into())),
        _ => bail!("--export {v:?}: expected bmf=PATH or github=PATH"),
    }
}

/// The options of `bench` that only make sense together, or not at all; and `--against`'s own
/// default threshold.
fn check_bench_combinations(args: &mut BenchArgs) -> Result<()> {
    if args.no_history && args.history.is_some() {
        bail!("--history and --no-history: give one");
    }
    if args.rounds.is_some() && args.against.is_none() {
        bail!("--rounds applies to --against (process pairs per bench)");
    }
    if args.setups.is_some() && args.against.is_none() {
        bail!("--setups applies to --against (set-ups per round)");
    }
    if args.explain.is_some() && !(args.instructions && args.baseline.is_some()) {
        bail!(
            "--explain needs --instructions and --baseline (function tables compare two sides' \
             callgrind outputs); or use `cargo xtask compare A B --explain REGEX` on two runs"
        );
    }
    if args.against.is_some() {
        if args.instructions {
            bail!(
                "--against and --instructions: counts need no pairing; compare counts with \
                 --save-baseline on one revision and --baseline on the other"
            );
        }
        if args.baseline.is_some() {
            bail!("--against and --baseline are two comparisons: give one");
        }
        if !args.threshold_given {
            args.threshold = crate::against::DEFAULT_THRESHOLD;
        }
        if args.repeat_given {
            bail!(
                "--against pairs A and B sample by sample within one run; --repeat does not apply"
            );
        }
    }
    Ok(())
}

/// A whole number from `lo` to `hi` given to `option`.
fn parse_count(option: &str, v: &str, lo: usize, hi: usize) -> Result<usize> {
    match v.parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => bail!("{option} {v:?}: expected a whole number from {lo} to {hi}"),
    }
}

#[cfg(test)]
mod tests;
