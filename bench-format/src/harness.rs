//! The bench harness's second face: how `cargo xtask bench --instructions` asks a bench binary
//! for its counted workloads and runs them under callgrind.
//!
//! Every bench binary's `main` is `benches_common::harness`. Without [`MODE_ENV`] it is a
//! Criterion suite. With `GGEN_HARNESS=plan` it prints one [`PlanLine`] per bench and exits; with
//! `GGEN_HARNESS=count` and [`IDS_ENV`] set to a comma-separated list of bench ids (without the
//! suite), it sets up each of those benches in turn, runs one warm-up iteration, then calls the
//! function named [`MEASURED_SYMBOL`] once with the bench's fixed iteration count, and prints
//! `counted <id> <iterations>`. Callgrind, started with collection off and toggled on only
//! inside that function (`--toggle-collect`), and dumping after each call (`--dump-after`), so
//! writes one profile per bench that holds the bench's iterations and nothing of its setup.
//! With `GGEN_HARNESS=serve` ([`MODE_SERVE`]) it answers setup/run/finish requests on stdin, so
//! the xtask can measure two processes sample by sample, in turn.

/// Environment variable selecting the harness mode.
pub const MODE_ENV: &str = "GGEN_HARNESS";
/// `GGEN_HARNESS=plan`: list every bench with whether (and how) it is counted.
pub const MODE_PLAN: &str = "plan";
/// `GGEN_HARNESS=count`: run the benches named in [`IDS_ENV`] for counting.
pub const MODE_COUNT: &str = "count";
/// `GGEN_HARNESS=serve`: answer requests on stdin, one per line, each with one line on stdout:
/// `setup <id>` → `ready <elements per iteration or ->` (sets the bench up; several benches may be
/// set up at once, and one bench several times, each set-up kept until `finish`),
/// `run <iterations> [<id>]` → the nanoseconds those iterations of the bench set up last (or of
/// `<id>`'s latest set-up) took, `finish` → `done` (runs every set-up's after-run checks). A
/// request that cannot be served gets `error <why>`. The paired engine of the xtask drives two
/// such processes in turn.
pub const MODE_SERVE: &str = "serve";
/// Comma-separated bench ids (`group/function/parameter`) to run in count mode.
pub const IDS_ENV: &str = "GGEN_HARNESS_IDS";
/// The one function whose inclusive cost is a bench's count: callgrind's `--toggle-collect`
/// and `--dump-after` pattern is `*` followed by this name.
pub const MEASURED_SYMBOL: &str = "ggen_harness_measured";

/// One line of the plan a bench binary prints in plan mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanLine {
    /// `counted <id> <iterations>`: counted over this many iterations, after one warm-up.
    #[allow(missing_docs)]
    Counted { id: String, iterations: u64 },
    /// `excluded <id> <reason>`: timed only, for the stated reason.
    #[allow(missing_docs)]
    Excluded { id: String, reason: String },
    /// `group <group> <reason>`: a whole group written directly for Criterion, timed only.
    #[allow(missing_docs)]
    Group { group: String, reason: String },
}

impl PlanLine {
    /// Reads one line; `None` for anything that is not a plan line (other output).
    pub fn parse(line: &str) -> Option<PlanLine> {
        let (kind, rest) = line.split_once(' ')?;
        let (id, tail) = rest.split_once(' ')?;
        if kind == "group" {
            return (!id.contains('/') && !tail.trim().is_empty()).then(|| PlanLine::Group {
                group: id.to_owned(),
                reason: tail.trim().to_owned(),
            });
        }
        if id.split('/').count() != 3 || id.split('/').any(str::is_empty) {
            return None;
        }
        match kind {
            "counted" => Some(PlanLine::Counted {
                id: id.to_owned(),
                iterations: tail.parse().ok().filter(|&n| n > 0)?,
            }),
            "excluded" if !tail.trim().is_empty() => Some(PlanLine::Excluded {
                id: id.to_owned(),
                reason: tail.trim().to_owned(),
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for PlanLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanLine::Counted { id, iterations } => write!(f, "counted {id} {iterations}"),
            PlanLine::Excluded { id, reason } => write!(f, "excluded {id} {reason}"),
            PlanLine::Group { group, reason } => write!(f, "group {group} {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_lines_round_trip_and_reject_other_output() {
        let lines = [
            PlanLine::Counted {
                id: "g/f/10".into(),
                iterations: 200,
            },
            PlanLine::Excluded {
                id: "g/f/readers".into(),
                reason: "two threads contend".into(),
            },
            PlanLine::Group {
                group: "startup_time".into(),
                reason: "starts threads".into(),
            },
        ];
        for l in &lines {
            assert_eq!(PlanLine::parse(&l.to_string()).as_ref(), Some(l));
        }
        for bad in [
            "counted g/f/10 0",
            "counted g/f/10 many",
            "counted g/f 10",
            "excluded g/f/1 ",
            "Benchmarking g/f/1",
            "group a/b why",
            "group g ",
            "",
        ] {
            assert_eq!(PlanLine::parse(bad), None, "{bad:?}");
        }
    }
}
