//! The claims of every run measured in turn ([`claims`]): two benches of one suite, the two sides
//! of a mean claim or the end points of a scaling series. Single-threaded pairs share one process
//! and one CPU, sample by sample; multi-threaded pairs run each side alone in its own fresh
//! process, round by round ([`alone`]).

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::{Iters, Placement, Server, Settings, calibrate, measure_with};

/// Samples of one side of a multi-threaded claim in its own process, after a warm-up of
/// [`ALONE_WARMUP`] samples' time.
const ALONE_SAMPLES: usize = 3;
const ALONE_WARMUP: usize = 2;

/// One side of a multi-threaded claim, alone: a fresh process on all CPUs sets bench `id` up,
/// warms it up, and takes [`ALONE_SAMPLES`] samples of `iters` iterations (calibrated to about
/// [`Settings::sample_ns`] when `None`, in the side's first round); returns their median per
/// iteration (ns) and the iterations used.
fn alone(mut server: Server, id: &str, iters: Option<u64>, s: &Settings) -> Result<(f64, u64)> {
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

/// Whether the suite's serve mode can run bench `id` (`suite/group/function/parameter`): its
/// plan lists it as counted or uncounted, not as part of an allocation group.
fn served(catalog: &crate::catalog::Catalog, id: &str) -> bool {
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
        // Both benches in one suite, and served (time benches of a Criterion suite; an
        // allocation group's bytes are exact and keep their own verdict).
        if suite_of(num) != suite_of(den) || !served(catalog, num) || !served(catalog, den) {
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

    #[test]
    fn only_benches_a_plan_lists_are_served() {
        use bench_format::harness::PlanLine;
        let mut catalog = crate::catalog::Catalog::default();
        catalog.plans.insert(
            "s".into(),
            vec![
                PlanLine::Counted {
                    id: "g/a/1".into(),
                    iterations: 10,
                },
                PlanLine::Excluded {
                    id: "g/b/1".into(),
                    reason: "threads".into(),
                },
                PlanLine::Group {
                    group: "memory_pressure".into(),
                    reason: "bytes".into(),
                },
            ],
        );
        assert!(served(&catalog, "s/g/a/1"));
        assert!(served(&catalog, "s/g/b/1"));
        // An allocation group's benches, another suite (`system`), a malformed id: not served.
        assert!(!served(&catalog, "s/memory_pressure/global/1"));
        assert!(!served(&catalog, "system/startup/version/1"));
        assert!(!served(&catalog, "nosuite"));
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
}
