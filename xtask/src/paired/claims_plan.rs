//! Which claims of a run are measured in turn, and how they pair up ([`plan`]): the two benches
//! of a mean claim, the end points of a scaling series, an efficiency claim with the machine's
//! benches; two claims on the same two benches share one pair.

/// Whether the suite's serve mode can run bench `id` (`suite/group/function/parameter`): its
/// plan lists it as counted or uncounted, not as part of an allocation group.
pub(super) fn can_serve(catalog: &crate::catalog::Catalog, id: &str) -> bool {
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
pub(super) type Limits = Vec<(bool, f64)>;

/// A pair of benches of one suite measured in turn, with the limits its claims put on
/// `num / den` (`true`: at least; `false`: at most), and for an efficiency claim the machine's
/// benches (`machine_parallel`, `machine_serial`) and the least efficiency.
pub(super) struct Pair<'a> {
    pub(super) num: &'a str,
    pub(super) den: &'a str,
    pub(super) limits: Limits,
    pub(super) machine: Option<(&'a str, &'a str, f64)>,
    /// For an efficiency claim, the machine's shared-line benches on the same thread counts
    /// (`machine/shared_line/N`, `/1`) when the suite has them: measured in the same rounds and
    /// reported, not judged.
    pub(super) shared: Option<(String, String)>,
    /// Measured in one process even if multi-threaded (a claim said `one_process = true`).
    pub(super) one_process: bool,
}

/// The suite of a full bench id.
pub(super) fn suite_of(id: &str) -> Option<String> {
    id.split_once('/').map(|(s, _)| s.to_owned())
}

/// A full bench id without its suite (what a suite's serve mode calls it).
pub(super) fn local(id: &str) -> String {
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
pub(super) fn plan<'a>(
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
                    let usable = |id: &String| {
                        catalog.ids.contains(id) && selected(id) && can_serve(catalog, id)
                    };
                    let line = crate::claim::shared_line_twin;
                    let (sp, ss) = (line(mp)?, line(ms)?);
                    (usable(&sp) && usable(&ss)).then_some((sp, ss))
                }),
            }),
        }
    }
    pairs
}
