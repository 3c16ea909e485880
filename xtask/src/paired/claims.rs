//! The claims of every run measured in turn ([`claims`]): two benches of one suite, the two sides
//! of a mean claim or the end points of a scaling series. Single-threaded pairs share one process
//! and one CPU, sample by sample; so do multi-threaded pairs a claim marked `one_process`, on all
//! CPUs; other multi-threaded pairs run each side alone in its own fresh process, round by round
//! ([`alone`]).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::{Iters, Placement, Server, Settings, calibrate, measure_with};

#[path = "claims_plan.rs"]
mod plan;
use plan::{Pair, local, plan, suite_of};

/// Samples of one side of a multi-threaded claim in its own process, after a warm-up of
/// [`ALONE_WARMUP`] samples' time.
const ALONE_SAMPLES: usize = 3;
const ALONE_WARMUP: usize = 1;

/// One side of a multi-threaded claim, alone: a fresh process on all CPUs sets bench `id` up,
/// warms it up, and takes [`ALONE_SAMPLES`] samples of `iters` iterations (calibrated to about
/// [`Settings::sample_ns`] when `None`, in the side's first round); returns their median per
/// iteration (ns), the iterations used, and whether every measured sample was proven (a
/// contended bench's contenders seen running throughout it).
fn alone(
    mut server: Server,
    id: &str,
    iters: Option<u64>,
    s: &Settings,
) -> Result<(f64, u64, bool)> {
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
    let before = server.unproven();
    let mut v = Vec::with_capacity(ALONE_SAMPLES);
    for _ in 0..ALONE_SAMPLES {
        v.push(server.run(iters)?.max(f64::MIN_POSITIVE) / iters as f64);
    }
    let proven = server.unproven() == before;
    server.finish()?;
    Ok((crate::stats::median(&v), iters, proven))
}

/// Whether interval `ci` of `num / den` decides every claim on the pair, PASS or FAIL, none
/// UNSURE; `limits` are `(true, f)` for "at least `f`" and `(false, f)` for "at most `f`".
fn decides(limits: &[(bool, f64)], ci: &crate::stats::RatioCi) -> bool {
    limits.iter().all(|&(at_least, f)| {
        let good = |x: f64| if at_least { x >= f } else { x <= f };
        crate::claim::Verdict::of_interval(ci.lower, ci.upper, good)
            != crate::claim::Verdict::Unsure
    })
}

/// The rounds of one multi-threaded pair so far: per round, the sides' per-iteration ns
/// (`num`, `den`, and the machine's `parallel`, `serial` for an efficiency claim).
#[derive(Default)]
struct Rounds {
    v: [Vec<f64>; 6],
    iters: [Option<u64>; 6],
    invalid: usize,
    done: usize,
    want: usize,
}

/// The interval a multi-threaded pair's rounds give: the time ratio `num / den`, and for an
/// efficiency claim the machine's speedup `serial / parallel` and the efficiency
/// `(den / num) / (machine serial / machine parallel)`, each a signed-rank interval over the
/// rounds' log-ratios.
fn round_intervals(
    r: &Rounds,
    efficiency: bool,
) -> Option<(
    crate::stats::RatioCi,
    Option<crate::stats::RatioCi>,
    Option<crate::stats::RatioCi>,
)> {
    use crate::stats::ratio_ci_signed_rank as ci;
    let [vn, vd, vmp, vms, _, _] = &r.v;
    let ratio = ci(vd, vn)?;
    if !efficiency {
        return Some((ratio, None, None));
    }
    let machine = ci(vmp, vms)?;
    // eff = (d / n) / (ms / mp) = (d · mp) / (n · ms).
    let top: Vec<f64> = vd.iter().zip(vmp).map(|(d, mp)| d * mp).collect();
    let bottom: Vec<f64> = vn.iter().zip(vms).map(|(n, ms)| n * ms).collect();
    let eff = ci(&bottom, &top)?;
    Some((ratio, Some(machine), Some(eff)))
}

/// Whether a multi-threaded pair's rounds decide its claims (see [`decides`]); an efficiency
/// claim is decided on the efficiency's interval.
fn rounds_decide(p: &Pair<'_>, r: &Rounds) -> bool {
    match round_intervals(r, p.machine.is_some()) {
        Some((_, _, Some(eff))) => decides(&[(true, p.machine.expect("efficiency").2)], &eff),
        Some((ratio, _, None)) => decides(&p.limits, &ratio),
        None => false,
    }
}

/// The order multi-threaded rounds are taken in: round 1 of every pair, then round 2 of every
/// pair, and so on, so each claim's rounds are spread over the whole claims phase (a change in
/// the machine's state during the phase widens every claim's interval instead of shifting one
/// claim's rounds wholesale). `want[i]` is the rounds pair `i` wants; returns `(pair, round)`.
fn interleaved(want: &[usize]) -> Vec<(usize, usize)> {
    let most = want.iter().copied().max().unwrap_or(0);
    (0..most)
        .flat_map(|r| {
            want.iter()
                .enumerate()
                .filter(move |(_, w)| r < **w)
                .map(move |(i, _)| (i, r))
        })
        .collect()
}

/// Measures the two sides of every mean claim (`faster`/`within`), the end points of every
/// scaling series, and the four benches of every efficiency claim, whose benches are selected
/// and served by one suite; returns the ratios the claims are judged on. Single-threaded pairs:
/// both benches set up in one process, on one CPU, sampled in turn (no difference of CPU or
/// memory placement between the sides), a t-interval over the per-pair log-ratios.
/// Multi-threaded pairs: each side alone in its own fresh process on all CPUs, in turn, for
/// [`Settings::rounds`] rounds ([`alone`]), the rounds of all pairs interleaved
/// ([`interleaved`]); a round in which a contended bench's sample was unproven is not used; a
/// signed-rank interval over the rounds' log-ratios. Entries needing more CPUs than `cpus` are
/// not measured (they are SKIPPED). Claims across suites keep their unpaired verdict.
#[allow(clippy::too_many_arguments)]
pub fn claims(
    ws: &crate::workspace::Workspace,
    suites: &[crate::suites::Built],
    entries: &[crate::claim::Entry],
    catalog: &crate::catalog::Catalog,
    selected: &dyn Fn(&str) -> bool,
    s: &Settings,
    logs: &Path,
    cpus: usize,
) -> Result<Vec<crate::claim::PairedRatio>> {
    let pairs = plan(entries, catalog, selected, cpus);
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let run = Run {
        ws,
        suites,
        s,
        log: std::fs::File::create(logs.join("claims-paired.log"))
            .context("creating the paired claims' log")?,
        started: Instant::now(),
    };
    let (mut out, multi) = run.one_process(&pairs, catalog)?;
    let rounds = run.multi_threaded(&pairs, &multi, logs)?;
    out.extend(multi_results(&pairs, &multi, &rounds));
    eprintln!(
        "paired {} claim(s) in {:.1} s",
        out.len(),
        run.started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// Shared by the measuring steps.
struct Run<'a> {
    ws: &'a crate::workspace::Workspace,
    suites: &'a [crate::suites::Built],
    s: &'a Settings,
    log: std::fs::File,
    started: Instant,
}

impl Run<'_> {
    fn exe_of(&self, id: &str) -> Option<std::path::PathBuf> {
        self.suites
            .iter()
            .find(|b| Some(&b.suite.name) == suite_of(id).as_ref())
            .map(|b| b.exe.clone())
    }

    /// The pairs measured in one process, sample by sample: single-threaded ones on one CPU, and
    /// those a claim marked `one_process` on all CPUs. Returns their ratios and the indices of
    /// the pairs left for [`Run::multi_threaded`] (a `one_process` pair with an unproven sample
    /// goes there too, where rounds with unproven samples are left out one by one). A
    /// `one_process` pair whose interval leaves a claim UNSURE gets a second look: a second
    /// process, its pairs pooled with the first's (as a multi-threaded pair's rounds get 8
    /// more), because a stretch of the host can slow part of one process's pairs.
    fn one_process(
        &self,
        pairs: &[Pair<'_>],
        catalog: &crate::catalog::Catalog,
    ) -> Result<(Vec<crate::claim::PairedRatio>, Vec<usize>)> {
        use crate::claim::{PairedRatio, Pairing};
        let mut out = Vec::new();
        let mut multi: Vec<usize> = Vec::new();
        for (k, p) in pairs.iter().enumerate() {
            let single = p.machine.is_none()
                && catalog.single_threaded(p.num)
                && catalog.single_threaded(p.den);
            if !single && !p.one_process {
                multi.push(k);
                continue;
            }
            let Some(exe) = self.exe_of(p.num) else {
                continue;
            };
            let cpus = if single { "" } else { " on all CPUs" };
            eprintln!(
                "[claim {}/{}] {} vs {}, paired in one process{cpus} ({:.1} s elapsed)",
                k + 1,
                pairs.len(),
                p.num,
                p.den,
                self.started.elapsed().as_secs_f64()
            );
            let Some((mut vn, mut vd)) = self.in_one_process(&exe, p, single)? else {
                multi.push(k);
                continue;
            };
            let mut ratio = crate::stats::ratio_ci_paired(&vd, &vn);
            if !single && ratio.as_ref().is_some_and(|r| !decides(&p.limits, r)) {
                eprintln!("  second look: {} more pairs in a second process", vn.len());
                let Some((n2, d2)) = self.in_one_process(&exe, p, single)? else {
                    multi.push(k);
                    continue;
                };
                vn.extend(n2);
                vd.extend(d2);
                ratio = crate::stats::ratio_ci_paired(&vd, &vn);
            }
            if let Some(ratio) = ratio {
                out.push(PairedRatio {
                    numerator: p.num.to_owned(),
                    denominator: p.den.to_owned(),
                    ratio,
                    machine: None,
                    machine_benches: None,
                    efficiency: None,
                    shared_line: None,
                    invalid: 0,
                    pairs: vn.len(),
                    how: Pairing::OneProcess,
                });
            }
        }
        Ok((out, multi))
    }

    /// Pair `p` sampled in turn in one fresh process (on one CPU when `single`, else on all):
    /// per-iteration ns of the numerator and the denominator, pair by pair; `None` when a
    /// sample was unproven.
    fn in_one_process(
        &self,
        exe: &Path,
        p: &Pair<'_>,
        single: bool,
    ) -> Result<Option<(Vec<f64>, Vec<f64>)>> {
        let (num, den) = (p.num, p.den);
        let (ln, ld) = (local(num), local(den));
        // Both in one process, so nothing about CPU or memory placement differs between the
        // sides; a single-threaded pair also on one CPU.
        let mut server = Server::start(
            exe,
            &self.ws.root,
            &self.log,
            &format!("claim {num} vs {den}"),
        )?;
        let place = if single {
            Placement::OneCpu
        } else {
            Placement::AllCpus
        };
        server.pin(&place.cpus());
        server.setup(&ln)?;
        server.setup(&ld)?;
        let (vn, vd, _) = measure_with(
            &mut |side_d, n| server.run_id(n, if side_d { &ld } else { &ln }),
            self.s,
            Iters::EachSide,
        )?;
        let unproven = server.unproven();
        server.finish()?;
        if unproven > 0 {
            eprintln!(
                "  {unproven} sample(s) of {num} vs {den} not proven in one process: measured in fresh processes instead"
            );
            return Ok(None);
        }
        Ok(Some((vn, vd)))
    }

    /// One round of one multi-threaded pair: each side (and the machine's benches) alone in a
    /// fresh process, the order alternating between rounds; the round is logged, and used only
    /// if every sample was proven.
    fn round(
        &self,
        p: &Pair<'_>,
        r: &mut Rounds,
        rounds_log: &mut impl std::io::Write,
    ) -> Result<()> {
        let (s, log) = (self.s, &self.log);
        let Some(exe) = self.exe_of(p.num) else {
            return Ok(());
        };
        let what = format!("claim {} vs {}", p.num, p.den);
        let mut ids = vec![local(p.num), local(p.den)];
        if let Some((mp, ms, _)) = p.machine {
            ids.extend([local(mp), local(ms)]);
        }
        if let Some((sp, ss)) = &p.shared {
            ids.extend([local(sp), local(ss)]);
        }
        let mut values = [0.0f64; 6];
        let mut proven = true;
        // Which side runs first alternates between rounds.
        let order: Vec<usize> = if r.done.is_multiple_of(2) {
            (0..ids.len()).collect()
        } else {
            (0..ids.len()).rev().collect()
        };
        for j in order {
            let server = Server::start(&exe, &self.ws.root, log, &what)?;
            let (v, n, ok) = alone(server, &ids[j], r.iters[j], s)?;
            r.iters[j] = Some(n);
            values[j] = v;
            proven &= ok;
        }
        r.done += 1;
        writeln!(
            rounds_log,
            "{}",
            serde_json::json!({"numerator": p.num, "denominator": p.den, "round": r.done,
                "num_ns": values[0], "den_ns": values[1],
                "machine_parallel_ns": p.machine.map(|_| values[2]),
                "machine_serial_ns": p.machine.map(|_| values[3]),
                "shared_line_parallel_ns": p.shared.as_ref().map(|_| values[4]),
                "shared_line_serial_ns": p.shared.as_ref().map(|_| values[5]),
                "proven": proven})
        )
        .context("writing logs/claims-rounds.jsonl")?;
        if !proven {
            r.invalid += 1;
            return Ok(());
        }
        for (j, v) in values.iter().enumerate().take(ids.len()) {
            r.v[j].push(*v);
        }
        Ok(())
    }

    /// The multi-threaded pairs, each side alone in a fresh process, round after round, in two
    /// looks; returns each pair's rounds (in the order of `multi`).
    fn multi_threaded(
        &self,
        pairs: &[Pair<'_>],
        multi: &[usize],
        logs: &Path,
    ) -> Result<Vec<Rounds>> {
        let (s, started) = (self.s, self.started);
        // Each round of a multi-threaded claim as measured.
        let mut rounds_log = std::io::BufWriter::new(
            std::fs::File::create(logs.join("claims-rounds.jsonl"))
                .context("creating logs/claims-rounds.jsonl")?,
        );
        // Multi-threaded benches measured in turn in one process, or in two that live side by
        // side, are not what they are alone (`pipeline/ready_driven/6` read 1.10-1.22x of
        // `sequential/6` that way, 0.93-0.99x alone; docs/BENCHMARKS.md, "Claims"). So each side
        // runs alone in its own fresh process, in turn, round after round, and drift over seconds
        // hits both sides; the rounds of all pairs are interleaved.
        let mut rounds: Vec<Rounds> = multi
            .iter()
            .map(|_| Rounds {
                want: s.rounds,
                ..Rounds::default()
            })
            .collect();
        // Two looks: the default rounds; where their interval leaves a claim UNSURE, as many more
        // (not more: the second look must fit the quick profile's time budget), interleaved again
        // among the pairs that need them.
        for look in 0..2 {
            let want: Vec<usize> = rounds
                .iter()
                .map(|r| r.want.saturating_sub(r.done))
                .collect();
            let order = interleaved(&want);
            if order.is_empty() {
                break;
            }
            eprintln!(
                "[claims] look {}: {} round(s) of {} multi-threaded claim(s), each side in a fresh process ({:.1} s elapsed)",
                look + 1,
                order.len(),
                want.iter().filter(|w| **w > 0).count(),
                started.elapsed().as_secs_f64()
            );
            for (i, _) in order {
                self.round(&pairs[multi[i]], &mut rounds[i], &mut rounds_log)?;
            }
            for (i, r) in rounds.iter_mut().enumerate() {
                if look == 0 && !rounds_decide(&pairs[multi[i]], r) {
                    r.want = 2 * s.rounds;
                }
            }
        }
        Ok(rounds)
    }
}

/// The multi-threaded pairs' ratios (and machine figures) from their rounds.
fn multi_results(
    pairs: &[Pair<'_>],
    multi: &[usize],
    rounds: &[Rounds],
) -> Vec<crate::claim::PairedRatio> {
    use crate::claim::{PairedRatio, Pairing};
    let mut out = Vec::new();
    for (i, r) in rounds.iter().enumerate() {
        let p = &pairs[multi[i]];
        // A pair whose every round was unproven is still reported (NaN ratio, no pairs), so
        // its claims say why they have no data.
        let nan = crate::stats::RatioCi {
            point: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        };
        let (ratio, machine, efficiency) = match round_intervals(r, p.machine.is_some()) {
            Some(found) => found,
            None if r.invalid > 0 => (nan, None, None),
            None => continue,
        };
        out.push(PairedRatio {
            numerator: p.num.to_owned(),
            denominator: p.den.to_owned(),
            ratio,
            machine,
            machine_benches: p.machine.map(|(mp, ms, _)| (mp.to_owned(), ms.to_owned())),
            efficiency,
            // Time per operation on one shared line, N threads over 1 (information).
            shared_line: p
                .shared
                .as_ref()
                .and_then(|_| crate::stats::ratio_ci_signed_rank(&r.v[5], &r.v[4])),
            invalid: r.invalid,
            pairs: r.v[0].len(),
            how: Pairing::FreshProcesses,
        });
    }
    out
}

#[cfg(test)]
#[path = "claims_tests.rs"]
mod tests;
