//! The paired engine: two bench processes in serve mode (`bench_format::harness`), one bench
//! each, measured sample by sample in turn (A B, B A, A B, ...), so that whatever the machine does
//! in between hits both sides of each pair. Used by `--against REV` (the same bench in two
//! revisions) and by the claims of every run (two benches of one suite, `claims`).
//!
//! Per bench: both sides set up; the iteration count is calibrated once (on side B) so that one
//! sample lasts about [`Settings::sample_ns`], and both sides use it; a few warm-up pairs are
//! discarded; then pairs are taken until [`Settings::pairs`] or the time budget is reached. Every
//! timed sample of several iterations follows one untimed iteration of its own, so it does not
//! start in caches the other side just filled. With `--against`, a cheap single-threaded bench
//! is set up several times per round ([`Settings::setups`]), its pairs shared among the set-ups.
//! The verdicts come from the log-ratios: per pair for single-threaded claims
//! ([`crate::stats::ratio_ci_paired`]), per round for `--against` and multi-threaded claims
//! ([`crate::stats::ratio_ci_signed_rank`]; an `--against` round's ratio is the Hodges–Lehmann
//! estimate of its pairs).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bench_format::harness::{MODE_ENV, MODE_SERVE};
use bench_format::serve::{Reply, Request};

use crate::interrupt;
use bench_format::Profile;

mod claims;
pub use claims::claims;

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
                ..Self::against(profile)
            },
            Profile::Full => Self {
                sample_ns: 30e6,
                pairs: 100,
                min_pairs: 20,
                budget_ns: 4e9,
                rounds: 12,
                setups: 1,
                ..Self::against(profile)
            },
        }
    }

    /// The settings of a profile (`--against`).
    pub fn against(profile: Profile) -> Self {
        match profile {
            // Most of a round's noise is its two processes' placement in memory, not the
            // samples (the figures: docs/BENCHMARKS.md, "Paired A/B"). So a round is short and
            // there are many.
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
    /// Samples the bench marked unproven: a contended bench whose contenders were not seen
    /// running throughout, even after its retakes (`benches_common::harness::contention`).
    unproven: usize,
}

impl Server {
    /// Starts `exe` in serve mode in `cwd`; its stderr goes to `log`. Where `setarch` exists
    /// (util-linux), address-space randomization is off for it (`setarch -R`): each process keeps
    /// its layout for life, which narrows the spread between two processes of one binary
    /// (docs/BENCHMARKS.md, "Paired A/B").
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
            unproven: 0,
        })
    }

    fn ask(&mut self, request: &Request) -> Result<Reply> {
        interrupt::check()?;
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| format!("{}: sending \"{request}\" (did it exit?)", self.what))?;
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .with_context(|| format!("{}: reading the reply to \"{request}\"", self.what))?;
        if n == 0 {
            bail!(
                "{} exited while answering \"{request}\" (a panic in the bench? see its log)",
                self.what
            );
        }
        let line = line.trim_end();
        match Reply::parse(line) {
            Some(Reply::Error(e)) => bail!("{}: \"{request}\": {e}", self.what),
            Some(reply) => Ok(reply),
            None => bail!("{}: unexpected reply {line:?} to \"{request}\"", self.what),
        }
    }

    /// Sets up bench `id` (group/function/parameter); returns its elements per iteration.
    pub fn setup(&mut self, id: &str) -> Result<Option<u64>> {
        match self.ask(&Request::Setup(id.to_owned()))? {
            Reply::Ready(elements) => Ok(elements),
            other => bail!("{}: unexpected reply \"{other}\" to setup", self.what),
        }
    }

    /// Runs `iters` iterations of the bench set up last; returns the nanoseconds it timed.
    pub fn run(&mut self, iters: u64) -> Result<f64> {
        self.run_request(Request::Run {
            iterations: iters,
            id: None,
        })
    }

    /// Runs `iters` iterations of bench `id` (one of several set up in this process).
    pub fn run_id(&mut self, iters: u64, id: &str) -> Result<f64> {
        self.run_request(Request::Run {
            iterations: iters,
            id: Some(id.to_owned()),
        })
    }

    /// Samples this process marked unproven so far (see the field). A round with any is not
    /// used for a verdict.
    pub fn unproven(&self) -> usize {
        self.unproven
    }

    fn run_request(&mut self, request: Request) -> Result<f64> {
        match self.ask(&request)? {
            Reply::Ran { nanos, proven } => {
                self.unproven += usize::from(!proven);
                Ok(nanos as f64)
            }
            other => bail!(
                "{}: unexpected reply \"{other}\" to \"{request}\"",
                self.what
            ),
        }
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
        match self.ask(&Request::Finish)? {
            Reply::Done => Ok(()),
            other => bail!("{}: unexpected reply \"{other}\" to finish", self.what),
        }
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
/// inherits its CPU's speed (the same binary against itself measured far apart:
/// docs/BENCHMARKS.md, "Paired A/B"). Both sides
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
/// a set-up is not timed: it pays for cold caches and page faults, and when it was timed it alone
/// decided the count (a bench of ~0.45 ms an iteration got 1 iteration per 1 ms sample in most
/// rounds, where 3 fit).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Settings {
        Settings::against(Profile::Quick)
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
