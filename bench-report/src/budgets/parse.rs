//! Reading `budgets.toml`: the file's schema, and every check that makes an entry one a run can
//! evaluate (see [`parse`]).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::{Budget, Check, Entry, Metric, Stat, closest, series_ids, unit_word};
use crate::catalog::Catalog;
use crate::units::parse_quantity;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    budget: Vec<BudgetEntry>,
    #[serde(default)]
    claim: Vec<ClaimEntry>,
    #[serde(default)]
    scaling: Vec<ScalingEntry>,
    #[serde(default)]
    efficiency: Vec<EfficiencyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EfficiencyEntry {
    parallel: String,
    serial: String,
    machine_parallel: String,
    machine_serial: String,
    at_least: f64,
    cpus: Option<usize>,
    shared_line_at_most: Option<f64>,
    #[serde(default)]
    gate: bool,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetEntry {
    id: String,
    #[serde(default)]
    gate: bool,
    #[serde(default = "default_stat")]
    stat: String,
    max: Max,
    note: Option<String>,
}

/// A budget's limit: a quantity with its unit (`"1ms"`, `"256KiB"`), or a plain count for
/// `stat = "instructions"` (`max = 1200`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Max {
    Count(f64),
    Quantity(String),
}

fn default_stat() -> String {
    "mean".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimEntry {
    faster: Option<String>,
    than: Option<String>,
    by_at_least: Option<f64>,
    id: Option<String>,
    within: Option<f64>,
    of: Option<String>,
    /// `"mean"` (the default) or `"instructions"`.
    stat: Option<String>,
    /// CPUs the claim needs (SKIPPED on a machine with fewer).
    cpus: Option<usize>,
    #[serde(default)]
    gate: bool,
    /// Measure both sides in turn in one process, even when multi-threaded.
    #[serde(default)]
    one_process: bool,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScalingEntry {
    series: String,
    max_exponent: f64,
    #[serde(default)]
    gate: bool,
    note: Option<String>,
}

/// An instruction-count entry needs a bench that `--instructions` counts.
fn check_counted(path: &Path, what: &str, id: &str, catalog: &Catalog) -> Result<()> {
    if catalog.counted.contains(id) {
        return Ok(());
    }
    bail!(
        "{}: {what}: stat \"instructions\" needs a counted bench, and {id} is timed only \
         (`GGEN_HARNESS=plan` on its bench binary says why)",
        path.display()
    )
}

fn check_id(path: &Path, what: &str, id: &str, known: &BTreeSet<String>) -> Result<()> {
    if known.contains(id) {
        return Ok(());
    }
    match closest(id, known) {
        Some(s) => bail!(
            "{}: {what}: unknown bench id {id:?}; did you mean {s:?}?",
            path.display()
        ),
        None => bail!(
            "{}: {what}: unknown bench id {id:?} (no benches are known)",
            path.display()
        ),
    }
}

/// Parses and validates `budgets.toml` against the benches the suites define.
pub fn load(path: &Path, catalog: &Catalog) -> Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    parse(path, &text, catalog)
}

/// Parses `text` (read from `path`, named in errors). Beyond syntax and ids, every entry must be
/// one that a run can evaluate: a limit in the bench's own unit, a latency statistic only for a
/// bench that records latency, the two sides of a claim in one unit, a scaling series with at
/// least two numeric parameters in one unit.
pub fn parse(path: &Path, text: &str, catalog: &Catalog) -> Result<Vec<Entry>> {
    let file: File = toml::from_str(text)
        .with_context(|| format!("{}: invalid budgets file", path.display()))?;
    let mut out = Vec::new();
    for (i, b) in file.budget.iter().enumerate() {
        out.push(budget(path, i, b, catalog)?);
    }
    for (i, c) in file.claim.iter().enumerate() {
        out.push(claim(path, i, c, catalog)?);
    }
    for (i, s) in file.scaling.iter().enumerate() {
        out.push(scaling(path, i, s, catalog)?);
    }
    for (i, e) in file.efficiency.iter().enumerate() {
        out.push(efficiency(path, i, e, catalog)?);
    }
    Ok(out)
}

/// One `[[budget]]` (the `i`-th), checked against the catalog.
fn budget(path: &Path, i: usize, b: &BudgetEntry, catalog: &Catalog) -> Result<Entry> {
    let known = &catalog.ids;
    let what = format!("[[budget]] #{} ({})", i + 1, b.id);
    check_id(path, &what, &b.id, known)?;
    let stat = match b.stat.as_str() {
        "mean" => Stat::Mean,
        "median" => Stat::Median,
        "p50" => Stat::P50,
        "p95" => Stat::P95,
        "p99" => Stat::P99,
        "instructions" => Stat::Instructions,
        other => bail!(
            "{}: {what}: stat {other:?} is not one of mean, median, p50, p95, p99, instructions",
            path.display()
        ),
    };
    if stat == Stat::Instructions {
        check_counted(path, &what, &b.id, catalog)?;
        let max = match b.max {
            Max::Count(n) if n.is_finite() && n > 0.0 => n,
            _ => bail!(
                "{}: {what}: max must be a positive number of instructions per iteration (max = 1200), got {:?}",
                path.display(),
                b.max
            ),
        };
        return Ok(Entry {
            check: Check::Budget(Budget {
                id: b.id.clone(),
                stat,
                max,
                unit: catalog.unit(&b.id),
            }),
            note: b.note.clone(),
            cpus: None,
            gate: b.gate,
            one_process: false,
        });
    }
    let Max::Quantity(text) = &b.max else {
        bail!(
            "{}: {what}: max needs a unit (\"1ms\", \"256KiB\"); a plain number is only for stat = \"instructions\"",
            path.display()
        );
    };
    let (max, unit) =
        parse_quantity(text).with_context(|| format!("{}: {what}: max", path.display()))?;
    let measures = catalog.unit(&b.id);
    if unit != measures {
        bail!(
            "{}: {what}: max {:?} is in {}, but the bench measures {}",
            path.display(),
            b.max,
            unit_word(unit),
            unit_word(measures)
        );
    }
    if matches!(stat, Stat::P50 | Stat::P95 | Stat::P99) && !catalog.latency.contains(&b.id) {
        bail!(
            "{}: {what}: stat {:?} needs per-operation latency, which this bench does not record; use mean or median",
            path.display(),
            b.stat
        );
    }
    Ok(Entry {
        check: Check::Budget(Budget {
            id: b.id.clone(),
            stat,
            max,
            unit,
        }),
        note: b.note.clone(),
        cpus: None,
        gate: b.gate,
        one_process: false,
    })
}

/// One `[[claim]]` (the `i`-th): `faster … than … by_at_least` or `id … within … of`.
fn claim(path: &Path, i: usize, c: &ClaimEntry, catalog: &Catalog) -> Result<Entry> {
    let known = &catalog.ids;
    let what = format!("[[claim]] #{}", i + 1);
    let on = match c.stat.as_deref() {
        None | Some("mean") => Metric::Mean,
        Some("instructions") => Metric::Instructions,
        Some(other) => bail!(
            "{}: {what}: stat {other:?} is not one of mean, instructions",
            path.display()
        ),
    };
    let check = match (
        c,
        (&c.faster, &c.than, c.by_at_least),
        (&c.id, c.within, &c.of),
    ) {
        (_, (Some(fast), Some(slow), Some(factor)), (None, None, None)) => Check::Faster {
            fast: fast.clone(),
            slow: slow.clone(),
            factor,
            on,
        },
        (_, (None, None, None), (Some(id), Some(factor), Some(of))) => Check::Within {
            id: id.clone(),
            of: of.clone(),
            factor,
            on,
        },
        _ => bail!(
            "{}: {what}: a claim is either `faster`, `than`, `by_at_least` or `id`, `within`, `of`",
            path.display()
        ),
    };
    let (ids, factor) = match &check {
        Check::Faster {
            fast, slow, factor, ..
        } => ([fast, slow], *factor),
        Check::Within { id, of, factor, .. } => ([id, of], *factor),
        _ => unreachable!("claims are Faster or Within"),
    };
    for id in ids {
        check_id(path, &what, id, known)?;
        if on == Metric::Instructions {
            check_counted(path, &what, id, catalog)?;
        }
    }
    let (ua, ub) = (catalog.unit(ids[0]), catalog.unit(ids[1]));
    if ua != ub {
        bail!(
            "{}: {what}: {} measures {} but {} measures {}; a ratio of the two means nothing",
            path.display(),
            ids[0],
            unit_word(ua),
            ids[1],
            unit_word(ub)
        );
    }
    if !(factor.is_finite() && factor > 0.0) {
        bail!(
            "{}: {what}: the factor must be a positive number, got {factor}",
            path.display()
        );
    }
    if ids[0] == ids[1] {
        bail!(
            "{}: {what}: compares {} with itself; a claim needs two different benches",
            path.display(),
            ids[0]
        );
    }
    claim_options(path, &what, c, on)?;
    Ok(Entry {
        check,
        note: c.note.clone(),
        cpus: c.cpus,
        gate: c.gate,
        one_process: c.one_process,
    })
}

/// A claim's options beyond its check: `cpus` and `one_process`.
fn claim_options(path: &Path, what: &str, c: &ClaimEntry, on: Metric) -> Result<()> {
    if c.cpus == Some(0) {
        bail!("{}: {what}: cpus must be at least 1", path.display());
    }
    if c.one_process && on == Metric::Instructions {
        bail!(
            "{}: {what}: one_process says how a wall-clock claim is measured in turn; an \
             instruction count is exact and is not measured in turn",
            path.display()
        );
    }
    Ok(())
}

/// One `[[scaling]]` (the `i`-th): a series of at least two benches with numeric parameters.
fn scaling(path: &Path, i: usize, s: &ScalingEntry, catalog: &Catalog) -> Result<Entry> {
    let known = &catalog.ids;
    let what = format!("[[scaling]] #{} ({})", i + 1, s.series);
    if s.series.split('/').count() != 3 {
        bail!(
            "{}: {what}: series must be suite/group/function",
            path.display()
        );
    }
    let ids = series_ids(&s.series, known);
    if ids.len() < 2 {
        let probe = format!("{}/1", s.series);
        let hint = closest(&probe, known)
            .map(|k| {
                format!(
                    "; did you mean {:?}?",
                    k.rsplit_once('/').map_or(k.as_str(), |x| x.0)
                )
            })
            .unwrap_or_default();
        bail!(
            "{}: {what}: needs at least two benches with numeric parameters, found {}{hint}",
            path.display(),
            ids.len()
        );
    }
    let units: BTreeSet<&str> = ids.iter().map(|id| unit_word(catalog.unit(id))).collect();
    if units.len() > 1 {
        bail!(
            "{}: {what}: the series mixes units ({})",
            path.display(),
            units.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    if !(s.max_exponent.is_finite() && s.max_exponent > 0.0) {
        bail!("{}: {what}: max_exponent must be positive", path.display());
    }
    Ok(Entry {
        check: Check::Scaling {
            series: s.series.clone(),
            max_exponent: s.max_exponent,
        },
        note: s.note.clone(),
        cpus: None,
        gate: s.gate,
        one_process: false,
    })
}

/// One `[[efficiency]]` (the `i`-th): four time benches of one suite.
fn efficiency(path: &Path, i: usize, e: &EfficiencyEntry, catalog: &Catalog) -> Result<Entry> {
    let known = &catalog.ids;
    let what = format!("[[efficiency]] #{} ({})", i + 1, e.parallel);
    let ids = [
        &e.parallel,
        &e.serial,
        &e.machine_parallel,
        &e.machine_serial,
    ];
    for id in ids {
        check_id(path, &what, id, known)?;
        if catalog.unit(id) != crate::results::Unit::Ns {
            bail!("{}: {what}: {id} is not a time bench", path.display());
        }
    }
    let suite = |id: &str| id.split('/').next().unwrap_or("").to_owned();
    if ids.iter().any(|id| suite(id) != suite(&e.parallel)) {
        bail!(
            "{}: {what}: the four benches must be in one suite (they are measured in turn, in fresh processes of its binary)",
            path.display()
        );
    }
    if e.parallel == e.serial || e.machine_parallel == e.machine_serial {
        bail!(
            "{}: {what}: parallel and serial must be different benches",
            path.display()
        );
    }
    if !(e.at_least.is_finite() && e.at_least > 0.0) {
        bail!(
            "{}: {what}: at_least must be a positive number, got {}",
            path.display(),
            e.at_least
        );
    }
    if e.cpus == Some(0) {
        bail!("{}: {what}: cpus must be at least 1", path.display());
    }
    if let Some(x) = e.shared_line_at_most {
        if !(x.is_finite() && x >= 1.0) {
            bail!(
                "{}: {what}: shared_line_at_most must be a number of at least 1 (a ratio of times per operation, N threads over 1), got {x}",
                path.display()
            );
        }
        if crate::claim::shared_line_twin(&e.machine_parallel).is_none() {
            bail!(
                "{}: {what}: shared_line_at_most needs machine_parallel to be a `machine/independent/N` bench (its `machine/shared_line/N` twin is measured beside it), got {}",
                path.display(),
                e.machine_parallel
            );
        }
    }
    Ok(Entry {
        check: Check::Efficiency {
            parallel: e.parallel.clone(),
            serial: e.serial.clone(),
            machine_parallel: e.machine_parallel.clone(),
            machine_serial: e.machine_serial.clone(),
            at_least: e.at_least,
            shared_line_at_most: e.shared_line_at_most,
        },
        note: e.note.clone(),
        cpus: e.cpus,
        gate: e.gate,
        one_process: false,
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
