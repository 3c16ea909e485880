//! The harness's plan and count modes (protocol in `bench_format::harness`): list how each bench
//! is counted, and run the counted ones with their iterations inside the one function callgrind
//! collects in.

use std::time::Duration;

use bench_format::harness::{IDS_ENV, MODE_COUNT, MODE_ENV, MODE_PLAN, MODE_SERVE, PlanLine};

use super::{Counting, Routine, Suite};

pub(super) enum Mode {
    Criterion,
    Plan,
    Count(Vec<String>),
    Serve,
}

/// The mode from the environment; a bad value ends the process with exit 2 and one line.
pub(super) fn mode() -> Mode {
    let fail = |msg: String| -> ! {
        eprintln!("error: {msg}");
        std::process::exit(2)
    };
    match std::env::var(MODE_ENV).ok().as_deref() {
        None | Some("") => Mode::Criterion,
        Some(MODE_PLAN) => Mode::Plan,
        Some(MODE_SERVE) => Mode::Serve,
        Some(MODE_COUNT) => match std::env::var(IDS_ENV) {
            Ok(ids) if !ids.trim().is_empty() => {
                Mode::Count(ids.split(',').map(|s| s.trim().to_owned()).collect())
            }
            _ => fail(format!("{MODE_ENV}={MODE_COUNT} needs {IDS_ENV}=id,id,...")),
        },
        Some(other) => fail(format!(
            "{MODE_ENV}={other:?}: expected {MODE_PLAN:?}, {MODE_COUNT:?} or {MODE_SERVE:?} (or unset)"
        )),
    }
}

pub(super) fn plan(suite: &Suite) {
    for d in &suite.defs {
        let line = match d.counting {
            Counting::Counted(iterations) => PlanLine::Counted {
                id: d.id(),
                iterations,
            },
            Counting::Uncounted(reason) => PlanLine::Excluded {
                id: d.id(),
                reason: reason.to_owned(),
            },
            Counting::Undeclared => unreachable!("checked in Suite::main"),
        };
        println!("{line}");
    }
    for (group, _) in &suite.allocations {
        println!(
            "{}",
            PlanLine::Group {
                group: (*group).to_owned(),
                reason: "measures bytes allocated, not time".to_owned(),
            }
        );
    }
}

/// Runs each named counted bench: setup, one warm-up iteration, then its iterations inside
/// [`ggen_harness_measured`]. An unknown or uncounted id ends the process with exit 2 before
/// anything runs.
pub(super) fn count(suite: Suite, ids: &[String]) {
    let mut defs: Vec<_> = suite.defs.into_iter().map(Some).collect();
    let mut order = Vec::new();
    for id in ids {
        let found = defs
            .iter()
            .position(|d| d.as_ref().is_some_and(|d| d.id() == *id));
        match found.and_then(|i| match defs[i].as_ref().map(|d| &d.counting) {
            Some(Counting::Counted(n)) => Some((i, *n)),
            _ => None,
        }) {
            Some(x) => order.push(x),
            None => {
                eprintln!(
                    "error: {}/{id} is not a counted bench of this suite (see {MODE_ENV}={MODE_PLAN})",
                    suite.name
                );
                std::process::exit(2);
            }
        }
    }
    for (i, iterations) in order {
        let def = defs[i].take().expect("each id once");
        let id = def.id();
        let mut routine = (def.setup)();
        routine.run(1);
        ggen_harness_measured(&mut routine, iterations);
        routine.done(&format!("{}/{id}", suite.name));
        println!("{}", PlanLine::Counted { id, iterations });
    }
}

/// The counted region: callgrind collects only while this function runs (see
/// `bench_format::harness::MEASURED_SYMBOL`). Never inlined, so the symbol exists.
#[inline(never)]
fn ggen_harness_measured(routine: &mut Routine, iterations: u64) -> Duration {
    std::hint::black_box(routine.run(std::hint::black_box(iterations)))
}
