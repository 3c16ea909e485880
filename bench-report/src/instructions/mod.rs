//! Instruction counts: what callgrind's outputs say (`callgrind`, per function `functions`), the
//! per-iteration counts of a bench ([`Counts`]), what the counting pass recorded ([`Summary`]),
//! and how two runs' counts compare (`compare`). Pure: reading files, never running valgrind
//! (that is `cargo xtask bench --instructions`, in the xtask).

pub mod callgrind;
pub mod compare;
pub mod functions;

use serde::{Deserialize, Serialize};

/// Default `--ir-threshold`: the smallest change in instructions per iteration flagged. Two
/// unchanged runs here differ by at most 7 instructions in 1.7 × 10⁸ (see docs/BENCHMARKS.md),
/// so 1% is far above the noise and below the 2–10% regressions contributors make.
pub const DEFAULT_THRESHOLD: f64 = 0.01;

pub use crate::results::Counts;

impl Counts {
    /// Per-iteration counts from callgrind's totals.
    pub fn from_events(e: &callgrind::Events, iterations: u64) -> Self {
        let n = iterations as f64;
        let (l1, ll, ram) = e.hits();
        Self {
            iterations,
            instructions: e.ir as f64 / n,
            estimated_cycles: e.estimated_cycles() as f64 / n,
            l1_hits: l1 as f64 / n,
            ll_hits: ll as f64 / n,
            ram_hits: ram as f64 / n,
        }
    }
}

/// A bench, or a whole group, that was not counted, and why (from its suite's plan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uncounted {
    /// `suite/group/function/parameter`, or `suite/group` for a whole group.
    pub id: String,
    /// Why it was not counted, in the suite's words.
    pub reason: String,
}

/// The counting pass of a run, as the report records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `valgrind --version`.
    pub valgrind: String,
    /// Wall time of the counting pass (excluding compilation).
    pub duration_s: f64,
    /// Benches counted.
    pub counted: usize,
    /// Selected benches (or groups) not counted, with the reason each suite gives.
    pub uncounted: Vec<Uncounted>,
}
