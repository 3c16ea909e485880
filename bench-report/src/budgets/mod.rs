//! `budgets.toml`: every performance claim the project makes, checked on every run.
//!
//! ```toml
//! [[budget]]                      # an absolute limit on one bench
//! id = "suite/group/function/parameter"
//! stat = "mean"                   # mean | median | p50 | p95 | p99 (the last three need latency)
//! max = "1ms"                     # ns, us/µs, ms, s, B, KiB, MiB, GiB
//!
//! [[claim]]                       # A is at least k times faster than B, in the same run
//! faster = "suite/g/a/1"
//! than = "suite/g/b/1"
//! by_at_least = 100.0
//!
//! [[claim]]                       # A costs at most k times B, in the same run
//! id = "suite/g/a/1"
//! within = 1.5
//! of = "suite/g/floor/1"
//!
//! [[budget]]                      # instructions per iteration (`--instructions`; counted benches)
//! id = "suite/group/function/parameter"
//! stat = "instructions"
//! max = 1200                      # a plain count
//!
//! [[claim]]                       # any claim can compare instruction counts instead of means
//! faster = "suite/g/a/1"
//! than = "suite/g/b/1"
//! by_at_least = 10.0
//! stat = "instructions"
//!
//! [[scaling]]                     # log-log slope of mean over the numeric parameter
//! series = "suite/group/function"
//! max_exponent = 1.09
//!
//! [[efficiency]]                  # a speedup judged against the machine's own, same rounds
//! parallel = "suite/g/work/2"     # (serial / parallel) / (machine_serial / machine_parallel)
//! serial = "suite/g/work/1"
//! machine_parallel = "suite/machine/independent/2"
//! machine_serial = "suite/machine/independent/1"
//! at_least = 0.7
//! cpus = 2                        # SKIPPED on a machine with fewer CPUs
//! shared_line_at_most = 1.8       # SKIPPED where a shared cache line costs more (see below)
//! ```
//!
//! Any entry may say `gate = true`: with `--gate-deterministic` (the pull-request job) only
//! deterministic entries (instruction counts, bytes) and entries marked so fail the run; the
//! other wall-clock verdicts are reported.
//!
//! An `[[efficiency]]` entry may say `shared_line_at_most = x`: the claim is about code that moves
//! cache lines between CPUs on every operation, so it assumes a machine where that costs at most
//! `x` (the time per operation of `machine/shared_line/N` over `/1`, measured in the same rounds).
//! Where the whole interval of that ratio lies above `x`, the entry is SKIPPED with both figures.
//!
//! A `[[claim]]` may also say `cpus = N`: it needs N CPUs (a contended bench needs its contender
//! on a CPU of its own) and is SKIPPED, with that reason, on a machine with fewer.
//!
//! A wall-clock `[[claim]]` between two multi-threaded benches of one suite may say
//! `one_process = true`: the run measures it again in turn in one process on all CPUs, sample
//! by sample, like a single-threaded pair (with a second process if the first leaves it
//! UNSURE), instead of each side alone in fresh processes. Meant
//! for twins that share the runtime and the engine and differ in one component (the worlds of
//! `swarm_e2e/sustained`), where a fresh process or a stretch of the host that lands on one side
//! only moves the ratio more than the code does (docs/BENCHMARKS.md, "Claims").
//!
//! Every entry may have a `note`. Verdicts come from intervals, not single means: PASS (the whole
//! 95% interval satisfies the entry), FAIL (the whole interval violates it), UNSURE (it straddles
//! the limit: not a failure unless `--strict`), NO_DATA (an entry whose benches were selected for
//! the run but produced no result — a failure), SKIPPED (the run was filtered to exclude them, or
//! one side of a claim, or all but one point of a series). A scaling entry whose end points were
//! measured in turn gets an interval of its exponent like a claim; one fitted from the run's
//! separate means, and latency percentiles, have no interval and are PASS or FAIL on the point
//! value; so are instruction counts,
//! which are exact, and which are SKIPPED in a run without `--instructions`.
//!
//! `parse` validates a file against the `Catalog` (unknown ids, fields and units,
//! and entries that could only ever be NO_DATA are input errors naming the entry and suggesting
//! the closest id); `evaluate` turns entries and results into verdicts.

mod efficiency;
mod evaluate;
pub(crate) mod parse;

pub use evaluate::{evaluate_with, skip_all};
pub use parse::load;

pub use crate::claim::{
    Budget, Check, Entry, Evaluation, Metric, PairedRatio, Pairing, Stat, Verdict,
};
pub(crate) use crate::claim::{series_ids, unit_word};
/// The known id closest to `id` (Levenshtein distance, for "did you mean" suggestions).
pub fn closest<'a>(id: &str, known: impl IntoIterator<Item = &'a String>) -> Option<&'a String> {
    known.into_iter().min_by_key(|k| strsim::levenshtein(id, k))
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The catalog, results and budgets file the parse and evaluate tests share.
    use crate::catalog::Catalog;
    use crate::results::{Bench, Unit};

    pub fn bench(id: &str, mean: f64, unit: Unit) -> Bench {
        crate::testing::bench_fixture(id, mean, unit)
    }

    pub fn known() -> Catalog {
        let mut c = Catalog::from_ids(
            [
                "s/g/fast/1",
                "s/g/slow/1",
                "s/mem/x/1",
                "s/scale/f/10",
                "s/scale/f/100",
                "s/scale/f/1000",
                "s/scale/f/huge",
                "s/lat/op/1",
                "s/names/f/alpha",
                "s/names/f/beta",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        c.units.insert("s/mem/x/1".into(), Unit::Bytes);
        c.latency.insert("s/lat/op/1".into());
        c.counted.insert("s/g/fast/1".into());
        c.counted.insert("s/g/slow/1".into());
        c
    }

    pub const GOOD: &str = r#"
[[budget]]
id = "s/g/fast/1"
max = "20ns"
note = "tiny"

[[budget]]
id = "s/mem/x/1"
max = "1KiB"

[[claim]]
faster = "s/g/fast/1"
than = "s/g/slow/1"
by_at_least = 100

[[claim]]
id = "s/g/fast/1"
within = 1.5
of = "s/g/slow/1"

[[scaling]]
series = "s/scale/f"
max_exponent = 1.1
"#;

    pub fn results(fast: f64) -> Vec<Bench> {
        vec![
            bench("s/g/fast/1", fast, Unit::Ns),
            bench("s/g/slow/1", 1500.0, Unit::Ns),
            bench("s/mem/x/1", 2048.0, Unit::Bytes),
            bench("s/scale/f/10", 10.0, Unit::Ns),
            bench("s/scale/f/100", 100.0, Unit::Ns),
            bench("s/scale/f/1000", 1000.0, Unit::Ns),
        ]
    }
}
