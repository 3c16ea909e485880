//! What a `budgets.toml` entry says and what judging it gives: budgets, claims and their checks,
//! the ratios the paired engine measures for them, verdicts. Plain data, no I/O: the paired
//! engine (measure) and `budgets` (judge) both speak it, and neither depends on the other for it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::results::{Unit, numeric_parameter};
use crate::units::format;

/// Which statistic a budget limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    /// The mean per iteration.
    Mean,
    /// The median per iteration.
    Median,
    /// The 50th percentile of single operations (a suite's recorded latencies).
    P50,
    /// The 95th percentile of single operations.
    P95,
    /// The 99th percentile of single operations.
    P99,
    /// Instructions per iteration (`--instructions`; exact, no interval).
    Instructions,
}

impl Stat {
    /// The name `budgets.toml` uses.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Median => "median",
            Stat::P50 => "p50",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
            Stat::Instructions => "instructions",
        }
    }
}

/// `stat(id) <= max`, in `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// The bench limited.
    pub id: String,
    /// The statistic limited.
    pub stat: Stat,
    /// The limit, in `unit`.
    pub max: f64,
    /// The limit's unit.
    pub unit: Unit,
}

/// A validated check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Check {
    /// `stat(id) <= max`.
    Budget(Budget),
    /// `mean(slow) / mean(fast) >= factor` (of instructions with `on = instructions`).
    Faster {
        /// The bench that must be faster.
        fast: String,
        /// The bench it must beat.
        slow: String,
        /// How many times faster (`slow / fast`).
        factor: f64,
        #[serde(default, skip_serializing_if = "Metric::is_time")]
        /// Means or instruction counts.
        on: Metric,
    },
    /// `mean(id) / mean(of) <= factor` (of instructions with `on = instructions`).
    Within {
        /// The bench that must stay within `factor` of `of`.
        id: String,
        /// The bench it is measured against.
        of: String,
        /// The largest `id / of` allowed.
        factor: f64,
        #[serde(default, skip_serializing_if = "Metric::is_time")]
        /// Means or instruction counts.
        on: Metric,
    },
    /// Log-log slope of `mean` over the numeric parameter of `series/*` is at most `max_exponent`.
    Scaling {
        /// `suite/group/function`: the benches whose parameters are the sizes.
        series: String,
        /// The largest slope allowed.
        max_exponent: f64,
    },
    /// `(serial / parallel) / (machine_serial / machine_parallel) >= at_least`: the code's
    /// speedup as a share of the machine's own speedup on a reference work (`machine/independent`
    /// or `machine/shared_work`), both measured in the same rounds (by the claims engine).
    Efficiency {
        /// The code on N threads.
        parallel: String,
        /// The same code on one thread.
        serial: String,
        /// The machine's reference work on N threads.
        machine_parallel: String,
        /// The machine's reference work on one thread.
        machine_serial: String,
        /// The least share of the machine's speedup the code must reach.
        at_least: f64,
        /// The claim assumes cross-CPU traffic costs at most this much: the machine's
        /// `machine/shared_line` time per operation on N threads over 1 thread. On a machine whose
        /// whole interval lies above it the claim is SKIPPED, saying so and what was measured.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shared_line_at_most: Option<f64>,
    },
}

/// What a claim compares: the benches' means (time or bytes), or their instruction counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    #[default]
    /// Means per iteration (time or bytes).
    Mean,
    /// Instructions per iteration (`--instructions`).
    Instructions,
}

impl Metric {
    fn is_time(&self) -> bool {
        *self == Metric::Mean
    }

    /// How a description names the metric (nothing for means).
    fn suffix(self) -> &'static str {
        match self {
            Metric::Mean => "",
            Metric::Instructions => " (instructions)",
        }
    }
}

/// A claim's two sides measured in turn by the paired engine:
/// `numerator / denominator` with its 95% interval. When a run has one for a claim, the claim is
/// judged on it instead of on two separate means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedRatio {
    /// The bench whose mean is divided (the claim's slower or limited side).
    pub numerator: String,
    /// The bench it is divided by.
    pub denominator: String,
    /// `numerator / denominator` over the paired rounds.
    pub ratio: crate::stats::RatioCi,
    /// For an efficiency claim: the machine's speedup (`machine_serial / machine_parallel`) and
    /// the efficiency, each over the same rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::stats::RatioCi>,
    /// For an efficiency claim: the machine's benches (`machine_parallel`, `machine_serial`)
    /// the rounds measured, so that two entries on one pair of benches with different machine
    /// references each find their own rounds (absent in reports written before 2026-12-08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_benches: Option<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// For an efficiency claim: the code's speedup over the machine's, over the same rounds.
    pub efficiency: Option<crate::stats::RatioCi>,
    /// For an efficiency claim whose suite has `machine/shared_line`: the time per operation on
    /// one shared cache line, N threads over 1, in the same rounds (reported, not judged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_line: Option<crate::stats::RatioCi>,
    /// Rounds not used: a contended bench's sample whose contenders were not seen running
    /// throughout it.
    #[serde(default)]
    pub invalid: usize,
    /// Pairs of samples ([`Pairing::OneProcess`]) or rounds ([`Pairing::FreshProcesses`]).
    pub pairs: usize,
    /// How the sides were put in turn (reports before it existed: one process).
    #[serde(default)]
    pub how: Pairing,
}

impl PairedRatio {
    /// ", k more not used: …" when some rounds of the pair were unproven (empty otherwise), to
    /// follow the number of rounds used in a verdict's detail.
    pub fn unused_rounds_note(&self) -> String {
        if self.invalid == 0 {
            String::new()
        } else {
            format!(
                ", {} more not used: contenders not seen running throughout",
                self.invalid
            )
        }
    }
}

/// How a claim's two sides were measured in turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Single-threaded: both benches set up in one process on one CPU, sample by sample.
    #[default]
    OneProcess,
    /// Multi-threaded: each side alone in a fresh process, in turn, round by round.
    FreshProcesses,
}

/// A check and its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// What is checked.
    pub check: Check,
    /// The entry's `note` in `budgets.toml`: why the claim holds, shown in the report.
    pub note: Option<String>,
    /// CPUs the entry needs; on a machine with fewer it is SKIPPED, saying so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<usize>,
    /// `gate = true`: a wall-clock entry that fails the run even with `--gate-deterministic`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gate: bool,
    /// `one_process = true` (claims only): its two benches are measured in turn in one process
    /// on all CPUs, sample by sample ([`Pairing::OneProcess`]), even when they are
    /// multi-threaded — for twins that share the runtime and the engine and differ in one
    /// component, so that a state of the host lands on both sides of every pair.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub one_process: bool,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The whole interval satisfies the check.
    Pass,
    /// The whole interval violates it.
    Fail,
    /// The interval straddles the limit: this run cannot tell. Not a failure unless `--strict`.
    Unsure,
    /// Selected, but no result was produced (a failure).
    NoData,
    /// Filtered out of this run.
    Skipped,
}

impl Verdict {
    /// The verdict as the report prints it (`PASS`, `NO_DATA`, …).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Unsure => "UNSURE",
            Verdict::NoData => "NO_DATA",
            Verdict::Skipped => "SKIPPED",
        }
    }

    /// Whether this verdict makes the run fail (UNSURE does only with `--strict`).
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::NoData)
    }

    /// The verdict for a measured interval `[lower, upper]` against a limit: PASS when all of it
    /// is on the good side, FAIL when all of it is on the bad side, UNSURE otherwise.
    /// `good(x)` says whether value `x` satisfies the check.
    pub fn of_interval(lower: f64, upper: f64, good: impl Fn(f64) -> bool) -> Self {
        match (good(lower), good(upper)) {
            (true, true) => Verdict::Pass,
            (false, false) => Verdict::Fail,
            _ => Verdict::Unsure,
        }
    }
}

/// An evaluated check, ready for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The check judged.
    pub entry: Entry,
    /// Its outcome.
    pub verdict: Verdict,
    /// What was measured, in words (`"global 57.7 ns vs raw_block_on 46.1 ns: 1.25×"`).
    pub detail: String,
    /// The measured figure the check compares (ratio, exponent or value), when there is one.
    pub measured: Option<f64>,
}

impl Entry {
    /// Whether the entry is judged on exact figures that repeat on any machine: instruction
    /// counts, or bytes (allocated bytes, binary size). Wall-clock entries are not.
    pub fn deterministic(&self) -> bool {
        match &self.check {
            Check::Budget(b) => b.stat == Stat::Instructions || b.unit == Unit::Bytes,
            Check::Faster { on, .. } | Check::Within { on, .. } => *on == Metric::Instructions,
            Check::Scaling { .. } | Check::Efficiency { .. } => false,
        }
    }

    /// Whether a failure of this entry fails the run under `--gate-deterministic` (the PR gate):
    /// deterministic entries, and those marked `gate = true`.
    pub fn gates(&self) -> bool {
        self.gate || self.deterministic()
    }

    /// A one-line description of the claim.
    pub fn describe(&self) -> String {
        match &self.check {
            Check::Budget(b) if b.stat == Stat::Instructions => {
                format!("{}: instructions ≤ {}", b.id, b.max)
            }
            Check::Budget(b) => format!("{}: {} ≤ {}", b.id, b.stat.name(), format(b.max, b.unit)),
            Check::Faster {
                fast,
                slow,
                factor,
                on,
            } => {
                format!("{fast} ≥ {factor}× faster than {slow}{}", on.suffix())
            }
            Check::Within { id, of, factor, on } => {
                format!("{id} ≤ {factor}× {of}{}", on.suffix())
            }
            Check::Scaling {
                series,
                max_exponent,
            } => {
                format!("{series}: scaling exponent ≤ {max_exponent}")
            }
            Check::Efficiency {
                parallel,
                serial,
                machine_parallel,
                at_least,
                ..
            } => {
                format!(
                    "{parallel} vs {serial}: speedup ≥ {at_least} × the machine's ({machine_parallel})"
                )
            }
        }
    }

    /// Every bench id this entry needs (for a scaling entry: the series' ids in `known`).
    pub fn ids<'a>(&'a self, known: &'a BTreeSet<String>) -> Vec<&'a str> {
        match &self.check {
            Check::Budget(b) => vec![&b.id],
            Check::Faster { fast, slow, .. } => vec![fast, slow],
            Check::Within { id, of, .. } => vec![id, of],
            Check::Scaling { series, .. } => series_ids(series, known),
            Check::Efficiency {
                parallel,
                serial,
                machine_parallel,
                machine_serial,
                ..
            } => vec![parallel, serial, machine_parallel, machine_serial],
        }
    }
}

/// The ids of a scaling series: `series/<parameter>` where the parameter is a positive number
/// ([`numeric_parameter`]; other parameters cannot be fitted).
pub(crate) fn series_ids<'a>(series: &str, known: &'a BTreeSet<String>) -> Vec<&'a str> {
    let prefix = format!("{series}/");
    known
        .iter()
        .filter(|id| {
            id.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/') && numeric_parameter(rest).is_some())
        })
        .map(String::as_str)
        .collect()
}

pub(crate) fn unit_word(u: Unit) -> &'static str {
    match u {
        Unit::Ns => "time (ns)",
        Unit::Bytes => "bytes",
    }
}

/// A bench of a scaling series and its parameter.
pub type SeriesPoint<'a> = (&'a str, f64);

/// The end points of a scaling series: of `ids`, those whose parameter (the last part) is a
/// positive number ([`numeric_parameter`]), the one with the smallest and the one with the
/// largest parameter; `None` unless the two differ. The claims engine measures these two in turn,
/// and the verdict is judged between them.
pub fn series_end_points<'a>(
    ids: impl IntoIterator<Item = &'a str>,
) -> Option<(SeriesPoint<'a>, SeriesPoint<'a>)> {
    let mut pts: Vec<(&str, f64)> = ids
        .into_iter()
        .filter_map(|id| Some((id, numeric_parameter(id.rsplit('/').next()?)?)))
        .collect();
    pts.sort_by(|a, b| a.1.total_cmp(&b.1));
    match (pts.first(), pts.last()) {
        (Some(&a), Some(&b)) if b.1 > a.1 => Some((a, b)),
        _ => None,
    }
}

/// The `machine/shared_line/N` bench measured beside an efficiency entry's machine bench, when
/// that is `machine/independent/N` (the only reference with a shared-line twin): one home for
/// the pairing that the parser, the claims engine and the verdict all rely on.
pub fn shared_line_twin(machine: &str) -> Option<String> {
    machine
        .contains("/independent/")
        .then(|| machine.replacen("/independent/", "/shared_line/", 1))
}
