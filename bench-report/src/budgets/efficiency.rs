//! Judging an `[[efficiency]]` entry: the code's speedup over the machine's, on the rounds the
//! claims engine measured (or the run's separate means), SKIPPED where the machine's shared
//! cache line costs more than the entry assumes.

use crate::claim::{PairedRatio, Verdict};
use crate::results::Bench;

/// An efficiency claim: judged on its rounds' interval when measured in turn, else on the
/// separate means' point (no interval: PASS or FAIL); SKIPPED on a machine whose shared cache
/// line costs more than `shared_line_at_most` (the whole interval above it).
pub(super) fn judge<'a>(
    [parallel, serial, mp, ms]: [&String; 4],
    at_least: f64,
    shared_line_at_most: Option<f64>,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    paired: &[PairedRatio],
) -> (Verdict, String, Option<f64>) {
    let Efficiency {
        verdict,
        detail,
        line_note,
        measured,
        line,
    } = efficiency_measured([parallel, serial, mp, ms], at_least, find, paired);
    match (shared_line_at_most, line) {
        (Some(limit), Some(line)) if line.lower > limit => (
            Verdict::Skipped,
            format!(
                "needs a machine where one shared cache line costs at most {limit}× per operation on 2 threads as on 1; this one {:.2}× [{:.2}, {:.2}], so moving cache lines dominates what the claim is about (measured, for information: {})",
                line.point, line.lower, line.upper, detail
            ),
            measured,
        ),
        (Some(_), None) if verdict != Verdict::NoData => (
            Verdict::NoData,
            format!(
                "shared_line_at_most needs `machine/shared_line` measured beside the machine's benches; it was not ({detail}{line_note})"
            ),
            measured,
        ),
        _ => (verdict, detail + &line_note, measured),
    }
}

/// The machine's work a bench id names, without suite and parameter: `machine/shared_work`.
fn work_of(id: &str) -> &str {
    id.split_once('/')
        .and_then(|(_, rest)| rest.rsplit_once('/'))
        .map_or(id, |(work, _)| work)
}

/// An efficiency claim judged on its own.
struct Efficiency {
    verdict: Verdict,
    /// What was measured and needed.
    detail: String,
    /// The shared line's cost, for information after the detail (empty when not in the rounds).
    line_note: String,
    measured: Option<f64>,
    /// The shared line's ratio, N threads over 1, where measured.
    line: Option<crate::stats::RatioCi>,
}

/// An efficiency claim judged on the rounds the claims engine measured for it.
fn from_rounds(p: &PairedRatio, at_least: f64, mp: &str) -> Efficiency {
    let (e, m) = (
        p.efficiency.expect("found"),
        p.machine.expect("with efficiency"),
    );
    let speedup = 1.0 / p.ratio.point;
    Efficiency {
        verdict: Verdict::of_interval(e.lower, e.upper, |x| x >= at_least),
        detail: format!(
            "machine {:.2}× [{:.2}, {:.2}] on {}; code {speedup:.2}×: efficiency {:.2} [{:.2}, {:.2}] (need ≥ {at_least}; in turn in fresh processes, {} rounds{})",
            m.point,
            m.lower,
            m.upper,
            work_of(mp),
            e.point,
            e.lower,
            e.upper,
            p.pairs,
            p.unused_rounds_note()
        ),
        line_note: p.shared_line.map_or(String::new(), |l| {
            format!(
                "; one shared cache line: {:.2}× [{:.2}, {:.2}] the time per operation of one thread (information)",
                l.point, l.lower, l.upper
            )
        }),
        measured: Some(e.point),
        line: p.shared_line,
    }
}

/// An efficiency claim's verdict on its own, and the shared line's ratio where measured.
fn efficiency_measured<'a>(
    [parallel, serial, mp, ms]: [&String; 4],
    at_least: f64,
    find: &dyn Fn(&str) -> Option<&'a Bench>,
    paired: &[PairedRatio],
) -> Efficiency {
    // The rounds of this entry: its code's benches and its machine's (reports written before
    // the machine's benches were recorded match on the code's alone).
    let ours = |p: &&PairedRatio| {
        p.numerator == *parallel
            && p.denominator == *serial
            && p.efficiency.is_some()
            && p.machine_benches
                .as_ref()
                .is_none_or(|(a, b)| a == mp && b == ms)
    };
    if let Some(p) = paired.iter().find(ours) {
        return from_rounds(p, at_least, mp);
    }
    let mean = |id: &str| find(id).map(|b| b.mean.point);
    let line = |id: &str| crate::claim::shared_line_twin(id).and_then(|twin| mean(&twin));
    let shared_line = line(mp).zip(line(ms)).map(|(p, s)| crate::stats::RatioCi {
        point: p / s,
        lower: p / s,
        upper: p / s,
    });
    match (mean(parallel), mean(serial), mean(mp), mean(ms)) {
        (Some(p), Some(s), Some(mpar), Some(mser)) => {
            let (code, machine) = (s / p, mser / mpar);
            let e = code / machine;
            Efficiency {
                verdict: if e >= at_least {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                detail: format!(
                    "machine {machine:.2}× on {}; code {code:.2}×: efficiency {e:.2} (need ≥ {at_least}; from the run's separate means, no interval)",
                    work_of(mp)
                ),
                line_note: String::new(),
                measured: Some(e),
                line: shared_line,
            }
        }
        _ => Efficiency {
            verdict: Verdict::NoData,
            detail: "a side of the efficiency claim has no result".into(),
            line_note: String::new(),
            measured: None,
            line: None,
        },
    }
}
