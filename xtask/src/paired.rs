//! The paired engine: two bench processes in serve mode (`bench_format::harness`), one bench
//! each, measured sample by sample in turn (A B, B A, A B, ...), so that whatever the machine does
//! in between hits both sides of each pair. Used by `--against REV` (the same bench in two
//! revisions) and by the claims of every run (two benches of one suite, [`claims`]).
//!
//! Per bench: both sides set up; the iteration count is calibrated once (on side B) so that one
//! sample lasts about [`Settings::sample_ns`], and both sides use it; a few warm-up pairs are
//! discarded; then pairs are taken until [`Settings::pairs`] or the time budget is reached. Every
//! timed sample of several iterations follows one untimed iteration of its own, so it does not
//! start in caches the other side just filled. With `--against`, a cheap single-threaded bench is set up several times per
//! round ([`Settings::setups`]), its pairs shared among the set-ups. The verdicts come from the
//! log-ratios: per pair for claims ([`crate::stats::ratio_ci_paired`]), per round for `--against`
//! ([`crate::stats::ratio_ci_signed_rank`] over the rounds' Hodges–Lehmann ratios).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bench_format::harness::{MODE_ENV, MODE_SERVE};

use crate::cli::Profile;
use crate::interrupt;

/// How long samples are and how many pairs a bench gets.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Target duration of one sample (one side, one call), in ns.
    pub sample_ns: f64,
    /// Discarded pairs after calibration.
    pub warmup_pairs: usize,
    /// Pairs taken at most, and at least (when the budget runs out first).
    pub pairs: usize,
    pub min_pairs: usize,
    /// Time budget for one bench's measured pairs, in ns.
    pub budget_ns: f64,
    /// Fresh process pairs per bench (`--against`), or per multi-threaded claim: the verdict's
    /// unit is a round.
    pub rounds: usize,
    /// Set-ups of a single-threaded bench per round (`--against`), its pairs shared among them;
    /// multi-threaded benches are set up once.
    pub setups: usize,
}

impl Settings {
    /// The settings for a run's claims: samples about as long as Criterion's (10 ms with
    /// `--quick`); single-threaded pairs get more pairs in one process, multi-threaded ones 8
    /// rounds of fresh processes (12 full).
    pub fn claims(profile: Profile) -> Self {
        match profile {
            Profile::Quick => Self {
                sample_ns: 10e6,
                pairs: 30,
                min_pairs: 10,
                budget_ns: 0.5e9,
                rounds: 8,
                setups: 1,
                ..Self::of(profile)
            },
            Profile::Full => Self {
                sample_ns: 30e6,
                pairs: 100,
                min_pairs: 20,
                budget_ns: 4e9,
                rounds: 12,
                setups: 1,
                ..Self::of(profile)
            },
        }
    }

    /// The settings of a profile (`--against`).
    pub fn of(profile: Profile) -> Self {
        match profile {
            // Most of a round's noise is its two processes' placement in memory, not the
            // samples: within a round 10 pairs give ±0.7–1%, between rounds ±2–3%
            // (docs/BENCHMARKS.md). So a round is short and there are many.
            Profile::Quick => Self {
                sample_ns: 1e6,
                warmup_pairs: 2,
                pairs: 10,
                min_pairs: 4,
                budget_ns: 0.1e9,
                rounds: 48,
                setups: SETUPS,
            },
            Profile::Full => Self {
                sample_ns: 2e6,
                warmup_pairs: 2,
                pairs: 10,
                min_pairs: 4,
                budget_ns: 0.2e9,
                rounds: 64,
                setups: SETUPS,
            },
        }
    }
}

/// Set-ups per round of a single-threaded bench (`--against`), where they are cheap.
const SETUPS: usize = 5;

/// How many set-ups a bench gets this round: [`Settings::setups`] for a single-threaded bench
/// whose set-up (both sides) took at most a tenth of the round's budget and whose sample holds
/// at least 4 iterations; otherwise one. Each set-up is a new draw of where the bench's data
/// lands in memory, the luck that limits small benches most; benches of a millisecond an
/// iteration, or costly to set up, would double the run's time for little gain.
fn setups_for(s: &Settings, place: Placement, setup_ns: f64, iters: u64) -> usize {
    if place == Placement::OneCpu && setup_ns <= s.budget_ns / 10.0 && iters >= 4 {
        s.setups.max(1)
    } else {
        1
    }
}

/// A bench binary in serve mode.
pub struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    what: String,
}

impl Server {
    /// Starts `exe` in serve mode in `cwd`; its stderr goes to `log`. Where `setarch` exists
    /// (util-linux), address-space randomization is off for it (`setarch -R`): each process keeps
    /// its layout for life, and two pinned processes of one binary measured 0.965–1.026× on
    /// `conflict_detection/indexed/1000` here with it on, 0.983–1.024× with it off.
    pub fn start(exe: &Path, cwd: &Path, log: &std::fs::File, what: &str) -> Result<Self> {
        let mut cmd = if no_aslr_available() {
            let mut c = Command::new("setarch");
            c.arg("-R").arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let mut child = cmd
            .current_dir(cwd)
            .env(MODE_ENV, MODE_SERVE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.try_clone()?)
            .spawn()
            .with_context(|| format!("starting {what} ({})", exe.display()))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Self {
            child,
            stdin,
            stdout,
            what: what.to_owned(),
        })
    }

    fn ask(&mut self, request: &str) -> Result<String> {
        interrupt::check()?;
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| format!("{}: sending {request:?} (did it exit?)", self.what))?;
        let mut reply = String::new();
        let n = self
            .stdout
            .read_line(&mut reply)
            .with_context(|| format!("{}: reading the reply to {request:?}", self.what))?;
        if n == 0 {
            bail!(
                "{} exited while answering {request:?} (a panic in the bench? see its log)",
                self.what
            );
        }
        let reply = reply.trim_end().to_owned();
        if let Some(e) = reply.strip_prefix("error ") {
            bail!("{}: {request:?}: {e}", self.what);
        }
        Ok(reply)
    }

    /// Sets up bench `id` (group/function/parameter); returns its elements per iteration.
    pub fn setup(&mut self, id: &str) -> Result<Option<u64>> {
        let reply = self.ask(&format!("setup {id}"))?;
        match reply.strip_prefix("ready ") {
            Some("-") => Ok(None),
            Some(n) => Ok(n.parse().ok()),
            None => bail!("{}: unexpected reply {reply:?} to setup", self.what),
        }
    }

    /// Runs `iters` iterations of the bench set up last; returns the nanoseconds it timed.
    pub fn run(&mut self, iters: u64) -> Result<f64> {
        self.run_request(&format!("run {iters}"))
    }

    /// Runs `iters` iterations of bench `id` (one of several set up in this process).
    pub fn run_id(&mut self, iters: u64, id: &str) -> Result<f64> {
        self.run_request(&format!("run {iters} {id}"))
    }

    fn run_request(&mut self, request: &str) -> Result<f64> {
        let reply = self.ask(request)?;
        reply
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .with_context(|| format!("{}: unexpected reply {reply:?} to run", self.what))
    }

    /// Restricts every thread of the process to `cpus` (a `taskset` list such as `1` or `0-1`);
    /// threads it starts later inherit that. Returns whether it worked (`taskset` present).
    pub fn pin(&self, cpus: &str) -> bool {
        Command::new("taskset")
            .args(["-a", "-p", "-c", cpus, &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Finishes the bench set up last (its after-run checks run here).
    pub fn finish(&mut self) -> Result<()> {
        self.ask("finish").map(drop)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `setarch -R` can start a program here (checked once).
fn no_aslr_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("setarch")
            .args(["-R", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// One bench measured on both sides: per-iteration nanoseconds of each pair, in order.
#[derive(Debug, Clone)]
pub struct Paired {
    pub iters: u64,
    /// Set-ups the pairs came from (consecutive pairs share one).
    pub setups: usize,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub elements: Option<u64>,
}

/// Where the two sides run. On a machine whose CPUs differ in speed from moment to moment (a
/// VM sharing its host), two processes left to the scheduler sit on different CPUs and each
/// inherits its CPU's speed: the same binary against itself measured 1.09–1.37× here. Both sides
/// of a single-threaded bench therefore run on one CPU (the last); a multi-threaded bench gets
/// them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    OneCpu,
    AllCpus,
}

impl Placement {
    fn cpus(self) -> String {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        match self {
            Placement::OneCpu => (n - 1).to_string(),
            Placement::AllCpus => format!("0-{}", n - 1),
        }
    }
}

/// Measures `a_id` on `a` and `b_id` on `b`, in turn, as described in the module docs, with
/// both processes placed as `place` says (when `taskset` is available).
pub fn measure(
    a: &mut Server,
    a_id: &str,
    b: &mut Server,
    b_id: &str,
    s: &Settings,
    place: Placement,
) -> Result<Paired> {
    let cpus = place.cpus();
    a.pin(&cpus);
    b.pin(&cpus);
    // The first set-up, timed, and the calibration (on side B).
    let set_up = |k: usize, a: &mut Server, b: &mut Server| -> Result<Option<u64>> {
        // Which side is set up first alternates between set-ups.
        if k.is_multiple_of(2) {
            a.setup(a_id)?;
            b.setup(b_id)
        } else {
            let elements = b.setup(b_id)?;
            a.setup(a_id)?;
            Ok(elements)
        }
    };
    let t = Instant::now();
    let elements = set_up(0, a, b)?;
    let setup_ns = t.elapsed().as_nanos() as f64;
    let iters = calibrate(&mut |n| b.run(n), s)?;
    let setups = setups_for(s, place, setup_ns, iters);
    // The pairs and the budget are shared among the set-ups.
    let each = Settings {
        pairs: s.pairs.div_ceil(setups),
        min_pairs: s.min_pairs.div_ceil(setups),
        budget_ns: s.budget_ns / setups as f64,
        warmup_pairs: if setups > 1 { 1 } else { s.warmup_pairs },
        ..*s
    };
    let mut out = Paired {
        iters,
        setups,
        a: Vec::new(),
        b: Vec::new(),
        elements,
    };
    for k in 0..setups {
        if k > 0 {
            set_up(k, a, b)?;
        }
        let (va, vb, _) = measure_with(
            &mut |side_b, n| if side_b { b.run(n) } else { a.run(n) },
            &each,
            Iters::Same(iters),
        )?;
        out.a.extend(va);
        out.b.extend(vb);
    }
    a.finish()?;
    b.finish()?;
    Ok(out)
}

/// Iterations per sample for one side: enough for [`Settings::sample_ns`]. The first call after
/// a set-up is not timed: it pays for cold caches and page faults, and it decided the count
/// alone before (`indexed/10000`, ~0.45 ms an iteration, got 1 iteration per 1 ms sample in 28–39
/// of 48 rounds where 3 fit).
fn calibrate(run: &mut dyn FnMut(u64) -> Result<f64>, s: &Settings) -> Result<u64> {
    run(1)?;
    let mut iters = 1u64;
    loop {
        let t = run(iters)?.max(1.0);
        if t >= s.sample_ns || iters >= 1 << 40 {
            return Ok(iters);
        }
        let want = (iters as f64 * s.sample_ns / t * 1.2).ceil() as u64;
        iters = want.clamp(iters * 2, iters.saturating_mul(100));
    }
}

/// How [`measure_with`] picks each side's iterations per sample.
#[derive(Debug, Clone, Copy)]
pub enum Iters {
    /// The two sides of a claim, each calibrated on its own (they may differ 1000× per
    /// iteration).
    EachSide,
    /// The same bench on both sides, both running this count (calibrated on side B).
    Same(u64),
}

/// The core of the engine: `run(side_b, iterations)` takes one sample of side A (`false`) or B
/// (`true`), with iterations per sample as `iters` says. Then warm-up pairs, then pairs in
/// alternating order until [`Settings::pairs`] or the budget. Returns per-iteration nanoseconds of
/// A and B, pair by pair, and B's iterations.
pub fn measure_with(
    run: &mut dyn FnMut(bool, u64) -> Result<f64>,
    s: &Settings,
    iters: Iters,
) -> Result<(Vec<f64>, Vec<f64>, u64)> {
    let (ia, ib) = match iters {
        Iters::EachSide => {
            let ib = calibrate(&mut |n| run(true, n), s)?;
            (calibrate(&mut |n| run(false, n), s)?, ib)
        }
        Iters::Same(n) => (n, n),
    };
    // Each sample of several iterations follows one untimed iteration of its own: the other side
    // has just run on this CPU, and without it a bench that works on a few MB started each
    // sample with the other's data in the caches (`indexed_fresh/10000` read 27% slower in the
    // sample that followed the other side than in the one that followed itself). A sample of one
    // iteration skips it: that iteration is at least a sample long, the leftovers are a small
    // part of it, and the warm-up would double the bench's time.
    let mut sample = |side_b: bool, n: u64| -> Result<f64> {
        if n > 1 {
            run(side_b, 1)?;
        }
        run(side_b, n)
    };
    for _ in 0..s.warmup_pairs {
        sample(false, ia)?;
        sample(true, ib)?;
    }
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while va.len() < s.pairs
        && (va.len() < s.min_pairs || (started.elapsed().as_nanos() as f64) < s.budget_ns)
    {
        let (ta, tb) = if va.len() % 2 == 0 {
            let ta = sample(false, ia)?;
            (ta, sample(true, ib)?)
        } else {
            let tb = sample(true, ib)?;
            (sample(false, ia)?, tb)
        };
        va.push(ta.max(f64::MIN_POSITIVE) / ia as f64);
        vb.push(tb.max(f64::MIN_POSITIVE) / ib as f64);
    }
    Ok((va, vb, ib))
}

/// Geometric mean.
pub fn geo_mean(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

/// Samples of one side of a multi-threaded claim in its own process, after a warm-up of
/// [`ALONE_WARMUP`] samples' time.
const ALONE_SAMPLES: usize = 3;
const ALONE_WARMUP: usize = 2;

/// One side of a multi-threaded claim, alone: a fresh process on all CPUs sets bench `id` up,
/// warms it up, and takes [`ALONE_SAMPLES`] samples of `iters` iterations (calibrated to about
/// [`Settings::sample_ns`] when `None`, in the side's first round); returns their median per
/// iteration (ns) and the iterations used.
fn alone(server: Server, id: &str, iters: Option<u64>, s: &Settings) -> Result<(f64, u64)> {
    let mut server = server;
    server.pin(&Placement::AllCpus.cpus());
    server.setup(id)?;
    let iters = match iters {
        Some(n) => n,
        None => calibrate(&mut |n| server.run(n), s)?,
    };
    let warm = Instant::now();
    while (warm.elapsed().as_nanos() as f64) < s.sample_ns * ALONE_WARMUP as f64 {
        server.run(iters)?;
    }
    let mut v = Vec::with_capacity(ALONE_SAMPLES);
    for _ in 0..ALONE_SAMPLES {
        v.push(server.run(iters)?.max(f64::MIN_POSITIVE) / iters as f64);
    }
    server.finish()?;
    v.sort_by(f64::total_cmp);
    Ok((v[v.len() / 2], iters))
}

/// The limits the claims on one pair of benches put on their ratio: `(true, f)` for "at least
/// `f`", `(false, f)` for "at most `f`".
type Limits = Vec<(bool, f64)>;

/// Whether interval `ci` of `num / den` decides every claim on the pair, PASS or FAIL, none
/// UNSURE; `limits` are `(true, f)` for "at least `f`" and `(false, f)` for "at most `f`".
fn decides(limits: &[(bool, f64)], ci: &crate::stats::RatioCi) -> bool {
    limits.iter().all(|&(at_least, f)| {
        let good = |x: f64| if at_least { x >= f } else { x <= f };
        crate::budgets::Verdict::of_interval(ci.lower, ci.upper, good)
            != crate::budgets::Verdict::Unsure
    })
}

/// Measures the two sides of every mean claim (`faster`/`within`), and the end points of every
/// scaling series, whose benches are both selected and served by one suite; returns the ratios
/// the claims are judged on. Single-threaded pairs: both benches set up in one process, on one
/// CPU, sampled in turn (no difference of CPU or memory placement between the sides), a
/// t-interval over the per-pair log-ratios. Multi-threaded pairs: each side alone in its own
/// fresh process on all CPUs, in turn, for [`Settings::rounds`] rounds ([`alone`]), a
/// signed-rank interval over the rounds' log-ratios. Claims across suites keep their unpaired
/// verdict.
pub fn claims(
    ws: &crate::workspace::Workspace,
    suites: &[crate::suites::Built],
    entries: &[crate::budgets::Entry],
    catalog: &crate::catalog::Catalog,
    selected: &dyn Fn(&str) -> bool,
    s: &Settings,
    logs: &Path,
) -> Result<Vec<crate::budgets::PairedRatio>> {
    use crate::budgets::{Check, Metric, PairedRatio, Pairing};
    // A scaling series is paired between its end points (smallest and largest parameter).
    fn ends<'a>(
        e: &'a crate::budgets::Entry,
        known: &'a std::collections::BTreeSet<String>,
        selected: &dyn Fn(&str) -> bool,
    ) -> Option<(&'a str, &'a str)> {
        let mut pts: Vec<(&str, f64)> = e
            .ids(known)
            .into_iter()
            .filter(|id| selected(id))
            .filter_map(|id| {
                let p = id.rsplit('/').next()?;
                Some((id, crate::results::numeric_parameter(p)?))
            })
            .collect();
        pts.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (first, last) = (pts.first()?, pts.last()?);
        (last.1 > first.1).then_some((last.0, first.0))
    }
    // Each pair with the limits its claims put on `num / den` (`true`: at least; `false`: at
    // most); a scaling series is judged on an exponent and has none here.
    let mut pairs: Vec<(&str, &str, Limits)> = Vec::new();
    for e in entries {
        let (pair, limit) = match &e.check {
            Check::Scaling { .. } => (ends(e, &catalog.ids, selected), None),
            Check::Faster {
                fast,
                slow,
                on: Metric::Mean,
                factor,
            } => (Some((slow.as_str(), fast.as_str())), Some((true, *factor))),
            Check::Within {
                id,
                of,
                on: Metric::Mean,
                factor,
            } => (Some((id.as_str(), of.as_str())), Some((false, *factor))),
            _ => (None, None),
        };
        let Some((n, d)) = pair.filter(|(n, d)| selected(n) && selected(d)) else {
            continue;
        };
        // Two claims on the same two benches share one measurement.
        match pairs.iter_mut().find(|p| (p.0, p.1) == (n, d)) {
            Some(p) => p.2.extend(limit),
            None => pairs.push((n, d, limit.into_iter().collect())),
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let log = std::fs::File::create(logs.join("claims-paired.log"))
        .context("creating the paired claims' log")?;
    // Each round of a multi-threaded claim as measured.
    let mut rounds_log = std::io::BufWriter::new(
        std::fs::File::create(logs.join("claims-rounds.jsonl"))
            .context("creating logs/claims-rounds.jsonl")?,
    );
    let started = Instant::now();
    let mut out = Vec::new();
    for (k, (num, den, limits)) in pairs.iter().enumerate() {
        let suite_of = |id: &str| id.split_once('/').map(|(s, _)| s.to_owned());
        let Some(i) = suites
            .iter()
            .position(|b| Some(&b.suite.name) == suite_of(num).as_ref())
        else {
            continue;
        };
        if suite_of(num) != suite_of(den) {
            continue;
        }
        let local = |id: &'_ str| id.split_once('/').map_or("", |(_, r)| r).to_owned();
        let (ln, ld) = (local(num), local(den));
        let exe = &suites[i].exe;
        let what = format!("claim {num} vs {den}");
        let single = catalog.counted.contains(*num) && catalog.counted.contains(*den);
        eprintln!(
            "[claim {}/{}] {num} vs {den}, {} ({:.1} s elapsed)",
            k + 1,
            pairs.len(),
            if single {
                "paired in one process"
            } else {
                "in turn in fresh processes"
            },
            started.elapsed().as_secs_f64()
        );
        let measured = if single {
            // Both in one process, on one CPU, so nothing about CPU or memory placement differs
            // between the sides.
            let mut server = Server::start(exe, &ws.root, &log, &what)?;
            server.pin(&Placement::OneCpu.cpus());
            server.setup(&ln)?;
            server.setup(&ld)?;
            let (vn, vd, _) = measure_with(
                &mut |side_d, n| server.run_id(n, if side_d { &ld } else { &ln }),
                s,
                Iters::EachSide,
            )?;
            server.finish()?;
            crate::stats::ratio_ci_paired(&vd, &vn).map(|r| (r, vn.len(), Pairing::OneProcess))
        } else {
            // Multi-threaded benches measured in turn in one process, or in two that live side
            // by side, are not what they are alone: `pipeline/ready_driven/6` read 1.13–1.22×
            // of `sequential/6` in one process (1 to 20 ms of warm-up before each 10 ms sample),
            // 1.10× [1.05, 1.14] in two (run 20261125-235946-644), but 0.93–0.98× measured alone
            // by Criterion in five runs, and 0.93–0.99× in six rounds of fresh processes, one
            // per side and round. So each side runs alone in its own fresh process, in turn,
            // round after round, and drift over seconds hits both sides.
            let (mut vn, mut vd) = (Vec::new(), Vec::new());
            let (mut in_, mut id_) = (None, None);
            // The default rounds; if their interval leaves a claim on the pair UNSURE, twice as
            // many more, once: two looks in all (docs/BENCHMARKS.md, "Claims").
            let (mut r, mut want) = (0, s.rounds);
            while r < want {
                let mut side = |num: bool| -> Result<f64> {
                    let server = Server::start(exe, &ws.root, &log, &what)?;
                    let (id, iters) = if num {
                        (&ln, &mut in_)
                    } else {
                        (&ld, &mut id_)
                    };
                    let (v, n) = alone(server, id, *iters, s)?;
                    *iters = Some(n);
                    Ok(v)
                };
                // Which side runs first alternates between rounds.
                let (n, d) = if r % 2 == 0 {
                    let n = side(true)?;
                    (n, side(false)?)
                } else {
                    let d = side(false)?;
                    (side(true)?, d)
                };
                writeln!(
                    rounds_log,
                    "{}",
                    serde_json::json!({"numerator": num, "denominator": den, "round": r + 1, "num_ns": n, "den_ns": d})
                )
                .context("writing logs/claims-rounds.jsonl")?;
                vn.push(n);
                vd.push(d);
                r += 1;
                if r == s.rounds
                    && crate::stats::ratio_ci_signed_rank(&vd, &vn)
                        .is_some_and(|ci| !decides(limits, &ci))
                {
                    want = 3 * s.rounds;
                }
            }
            crate::stats::ratio_ci_signed_rank(&vd, &vn)
                .map(|r| (r, vn.len(), Pairing::FreshProcesses))
        };
        if let Some((ratio, pairs, how)) = measured {
            out.push(PairedRatio {
                numerator: (*num).to_owned(),
                denominator: (*den).to_owned(),
                ratio,
                pairs,
                how,
            });
        }
    }
    eprintln!(
        "paired {} claim(s) in {:.1} s",
        out.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Settings {
        Settings::of(Profile::Quick)
    }

    #[test]
    fn every_timed_sample_follows_one_untimed_iteration_of_its_own_side() {
        let mut calls: Vec<(bool, u64)> = Vec::new();
        let s = Settings {
            pairs: 6,
            min_pairs: 6,
            ..quick()
        };
        let (va, vb, iters) = measure_with(
            &mut |side_b, n| {
                calls.push((side_b, n));
                // B twice as slow as A per iteration.
                Ok(n as f64 * if side_b { 2.0 } else { 1.0 })
            },
            &s,
            Iters::Same(50),
        )
        .unwrap();
        assert_eq!((va.len(), vb.len(), iters), (6, 6, 50));
        assert!(va.iter().all(|v| *v == 1.0) && vb.iter().all(|v| *v == 2.0));
        // Warm-up pairs, then the pairs: always (side, 1) then (side, 50).
        assert_eq!(calls.len(), 4 * (s.warmup_pairs + 6));
        for c in calls.chunks(2) {
            assert_eq!((c[0].0, c[0].1, c[1].0, c[1].1), (c[1].0, 1, c[0].0, 50));
        }
        // Pairs alternate which side goes first: A B, B A, ...
        let firsts: Vec<bool> = calls[4 * s.warmup_pairs..]
            .chunks(4)
            .map(|p| p[0].0)
            .collect();
        assert_eq!(firsts, [false, true, false, true, false, true]);
    }

    #[test]
    fn calibration_does_not_time_the_first_cold_call() {
        // 0.45 ms an iteration, but the first call after set-up takes 1.2 ms for one.
        let mut first = true;
        let iters = calibrate(
            &mut |n| {
                let t = if first { 1.2e6 } else { 0.45e6 * n as f64 };
                first = false;
                Ok(t)
            },
            &quick(),
        )
        .unwrap();
        assert_eq!(iters, 3);
    }

    #[test]
    fn a_sample_of_one_iteration_has_no_warm_up_iteration() {
        let mut calls = Vec::new();
        measure_with(
            &mut |side_b, n| {
                calls.push((side_b, n));
                Ok(1e6)
            },
            &quick(),
            Iters::Same(1),
        )
        .unwrap();
        assert!(calls.len() >= 2 * (quick().warmup_pairs + quick().min_pairs));
        assert!(calls.iter().all(|c| c.1 == 1));
    }

    #[test]
    fn an_interval_decides_a_pair_only_when_no_claim_on_it_is_unsure() {
        let ci = |lower, upper| crate::stats::RatioCi {
            point: (lower + upper) / 2.0,
            lower,
            upper,
        };
        // At most 1.05: [0.93, 1.04] passes, [1.06, 1.2] fails, [0.93, 1.05] passes (≤ holds at
        // the limit), [0.93, 1.06] is unsure.
        assert!(decides(&[(false, 1.05)], &ci(0.93, 1.04)));
        assert!(decides(&[(false, 1.05)], &ci(1.06, 1.2)));
        assert!(decides(&[(false, 1.05)], &ci(0.93, 1.05)));
        assert!(!decides(&[(false, 1.05)], &ci(0.93, 1.06)));
        // At least 1.6: [1.54, 1.87] is unsure.
        assert!(!decides(&[(true, 1.6)], &ci(1.54, 1.87)));
        assert!(decides(&[(true, 1.6)], &ci(1.61, 1.87)));
        // Two claims on one pair: both must be decided; none (a scaling series) is decided.
        assert!(!decides(&[(true, 1.3), (false, 1.5)], &ci(1.4, 1.6)));
        assert!(decides(&[(true, 1.3), (false, 1.7)], &ci(1.4, 1.6)));
        assert!(decides(&[], &ci(0.1, 10.0)));
    }

    #[test]
    fn extra_set_ups_only_for_cheap_single_threaded_benches() {
        let s = quick();
        let cheap = s.budget_ns / 100.0;
        assert_eq!(setups_for(&s, Placement::OneCpu, cheap, 1000), s.setups);
        assert!(s.setups > 1);
        // Multi-threaded, costly to set up, or a sample of fewer than 4 iterations: once.
        assert_eq!(setups_for(&s, Placement::AllCpus, cheap, 1000), 1);
        assert_eq!(setups_for(&s, Placement::OneCpu, s.budget_ns, 1000), 1);
        assert_eq!(setups_for(&s, Placement::OneCpu, cheap, 3), 1);
        let one = Settings { setups: 1, ..s };
        assert_eq!(setups_for(&one, Placement::OneCpu, cheap, 1000), 1);
    }
}
