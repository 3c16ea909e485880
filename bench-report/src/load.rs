//! How busy the machine was around each suite: other processes' CPU use before and while it
//! ran ([`CpuUse`]), as the xtask's machine check measures it and the report shows it.

use serde::{Deserialize, Serialize};

/// Other processes using more than this many CPUs during a suite mark it "measured under load".
pub const UNDER_LOAD_CPUS: f64 = 0.2;

/// How much other processes used the CPUs around one suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuUse {
    /// The suite measured.
    pub suite: String,
    /// CPUs other processes used in the 50 ms before the suite started.
    pub others_before: f64,
    /// CPUs other processes used while the suite ran.
    pub others_during: f64,
}

impl CpuUse {
    /// Whether the suite was measured while other processes used a CPU.
    pub fn under_load(&self) -> bool {
        self.others_before.max(self.others_during) > UNDER_LOAD_CPUS
    }
}
