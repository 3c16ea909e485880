//! The claims of every run measured in turn ([`claims`]): two benches of one suite, the two sides
//! of a mean claim or the end points of a scaling series. Single-threaded pairs share one process
//! and one CPU, sample by sample; so do multi-threaded pairs a claim marked `one_process`, on all
//! CPUs; other multi-threaded pairs run each side alone in its own fresh process, round by round
//! ([`alone`]).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::{Iters, Placement, Server, Settings, calibrate, measure_with};

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

/// Whether the suite's serve mode can run bench `id` (`suite/group/function/parameter`): its
/// plan lists it as counted or uncounted, not as part of an allocation group.
fn can_serve(catalog: &crate::catalog::Catalog, id: &str) -> bool {
    use bench_format::harness::PlanLine;
    let Some((suite, rest)) = id.split_once('/') else {
        return false;
    };
    catalog.plans.get(suite).is_some_and(|plan| {
        plan.iter().any(|l| match l {
            PlanLine::Counted { id, .. } | PlanLine::Excluded { id, .. } => id == rest,
            PlanLine::Group { .. } => false,
        })
    })
}

/// The limits the claims on one pair of benches put on their ratio: `(true, f)` for "at least
/// `f`", `(false, f)` for "at most `f`".
type Limits = Vec<(bool, f64)>;

/// Whether interval `ci` of `num / den` decides every claim on the pair, PASS or FAIL, none
/// UNSURE; `limits` are `(true, f)` for "at least `f`" and `(false, f)` for "at most `f`".
fn decides(limits: &[(bool, f64)], ci: &crate::stats::RatioCi) -> bool {
    limits.iter().all(|&(at_least, f)| {
        let good = |x: f64| if at_least { x >= f } else { x <= f };
        crate::claim::Verdict::of_interval(ci.lower, ci.upper, good)
            != crate::claim::Verdict::Unsure
    })
}

/// A pair of benches of one suite measured in turn, with the limits its claims put on
/// `num / den` (`true`: at least; `false`: at most), and for an efficiency claim the machine's
/// benches (`machine_parallel`, `machine_serial`) and the least efficiency.
struct Pair<'a> {
    num: &'a str,
    den: &'a str,
    limits: Limits,
    machine: Option<(&'a str, &'a str, f64)>,
    /// For an efficiency claim, the machine's shared-line benches on the same thread counts
    /// (`machine/shared_line/N`, `/1`) when the suite has them: measured in the same rounds and
    /// reported, not judged.
    shared: Option<(String, String)>,
    /// Measured in one process even if multi-threaded (a claim said `one_process = true`).
    one_process: bool,
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

/// The suite of a full bench id.
fn suite_of(id: &str) -> Option<String> {
    id.split_once('/').map(|(s, _)| s.to_owned())
}

/// A full bench id without its suite (what a suite's serve mode calls it).
fn local(id: &str) -> String {
    id.split_once('/').map_or("", |(_, r)| r).to_owned()
}

/// What one entry asks to measure in turn, if anything: its two benches (numerator,
/// denominator), its limit on their ratio (`true`: at least), and for an efficiency claim the
/// machine's benches and the least efficiency (`None` when they are not selected or served).
#[allow(
    clippy::type_complexity,
    reason = "a private step's tuple, named where it is destructured"
)]
fn sides<'a>(
    e: &'a crate::claim::Entry,
    catalog: &'a crate::catalog::Catalog,
    selected: &dyn Fn(&str) -> bool,
) -> Option<(
    Option<(&'a str, &'a str)>,
    Option<(bool, f64)>,
    Option<(&'a str, &'a str, f64)>,
)> {
    use crate::claim::{Check, Metric};
    Some(match &e.check {
        Check::Scaling { .. } => (ends(e, &catalog.ids, selected), None, None),
        Check::Faster {
            fast,
            slow,
            on: Metric::Mean,
            factor,
        } => (
            Some((slow.as_str(), fast.as_str())),
            Some((true, *factor)),
            None,
        ),
        Check::Within {
            id,
            of,
            on: Metric::Mean,
            factor,
        } => (
            Some((id.as_str(), of.as_str())),
            Some((false, *factor)),
            None,
        ),
        Check::Efficiency {
            parallel,
            serial,
            machine_parallel,
            machine_serial,
            at_least,
            ..
        } => {
            let m = (
                machine_parallel.as_str(),
                machine_serial.as_str(),
                *at_least,
            );
            let both = selected(m.0)
                && selected(m.1)
                && can_serve(catalog, m.0)
                && can_serve(catalog, m.1);
            if !both {
                return None;
            }
            (Some((parallel.as_str(), serial.as_str())), None, Some(m))
        }
        _ => (None, None, None),
    })
}

// A scaling series is paired between its end points (smallest and largest parameter).
fn ends<'a>(
    e: &'a crate::claim::Entry,
    known: &'a std::collections::BTreeSet<String>,
    selected: &dyn Fn(&str) -> bool,
) -> Option<(&'a str, &'a str)> {
    // Numerator the largest parameter, denominator the smallest.
    crate::claim::series_end_points(e.ids(known).into_iter().filter(|id| selected(id)))
        .map(|(first, last)| (last.0, first.0))
}

/// The pairs to measure: every selected claim that compares two served benches of one suite
/// (for a scaling series its end points; for an efficiency claim with the machine's benches),
/// two claims on the same two benches sharing one pair.
fn plan<'a>(
    entries: &'a [crate::claim::Entry],
    catalog: &'a crate::catalog::Catalog,
    selected: &dyn Fn(&str) -> bool,
    cpus: usize,
) -> Vec<Pair<'a>> {
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    for e in entries {
        if e.cpus.is_some_and(|n| n > cpus) {
            continue;
        }
        let Some((pair, limit, machine)) = sides(e, catalog, selected) else {
            continue;
        };
        let Some((n, d)) = pair.filter(|(n, d)| selected(n) && selected(d)) else {
            continue;
        };
        // Both benches in one suite, and served (time benches of a Criterion suite; an
        // allocation group's bytes are exact and keep their own verdict).
        if suite_of(n) != suite_of(d) || !can_serve(catalog, n) || !can_serve(catalog, d) {
            continue;
        }
        // Two claims on the same two benches share one measurement (an efficiency claim is
        // measured on its own: it has two more benches per round).
        match pairs
            .iter_mut()
            .find(|p| (p.num, p.den) == (n, d) && p.machine.is_none() && machine.is_none())
        {
            Some(p) => {
                p.limits.extend(limit);
                p.one_process |= e.one_process;
            }
            None => pairs.push(Pair {
                one_process: e.one_process && machine.is_none(),
                num: n,
                den: d,
                limits: limit.into_iter().collect(),
                machine,
                shared: machine.and_then(|(mp, ms, _)| {
                    let line = |id: &str| id.replacen("/independent/", "/shared_line/", 1);
                    let (sp, ss) = (line(mp), line(ms));
                    let usable = |id: &str| {
                        id != mp
                            && id != ms
                            && catalog.ids.contains(id)
                            && selected(id)
                            && can_serve(catalog, id)
                    };
                    (usable(&sp) && usable(&ss)).then_some((sp, ss))
                }),
            }),
        }
    }
    pairs
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
    /// goes there too, where rounds with unproven samples are left out one by one).
    fn one_process(
        &self,
        pairs: &[Pair<'_>],
        catalog: &crate::catalog::Catalog,
    ) -> Result<(Vec<crate::claim::PairedRatio>, Vec<usize>)> {
        use crate::claim::{PairedRatio, Pairing};
        let (s, started, log) = (self.s, self.started, &self.log);
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
            let (num, den) = (p.num, p.den);
            let (ln, ld) = (local(num), local(den));
            let cpus = if single { "" } else { " on all CPUs" };
            eprintln!(
                "[claim {}/{}] {num} vs {den}, paired in one process{cpus} ({:.1} s elapsed)",
                k + 1,
                pairs.len(),
                started.elapsed().as_secs_f64()
            );
            // Both in one process, so nothing about CPU or memory placement differs between the
            // sides; a single-threaded pair also on one CPU.
            let mut server =
                Server::start(&exe, &self.ws.root, log, &format!("claim {num} vs {den}"))?;
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
                s,
                Iters::EachSide,
            )?;
            let unproven = server.unproven();
            server.finish()?;
            if unproven > 0 {
                eprintln!(
                    "  {unproven} sample(s) of {num} vs {den} not proven in one process: measured in fresh processes instead"
                );
                multi.push(k);
                continue;
            }
            if let Some(ratio) = crate::stats::ratio_ci_paired(&vd, &vn) {
                out.push(PairedRatio {
                    numerator: num.to_owned(),
                    denominator: den.to_owned(),
                    ratio,
                    machine: None,
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
