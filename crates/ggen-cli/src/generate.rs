//! `ggen gen packs|dag`: input files from the seeded `benches-common` generators, so every
//! command can be tried without writing JSON by hand. The same seed gives the same file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use benches_common::workload::{dags, packs};

use crate::dag::{AgentKind, DagFile, PriorityName, StageEntry};
use crate::files;

/// What `ggen gen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A packs file for `ggen hive resolve` (10% class collisions, requirement chains of 3).
    Packs,
    /// A DAG file for `ggen pipeline run` (levels of 4 stages, up to 2 dependencies each).
    Dag,
}

/// Largest `--size` accepted.
pub const MAX_SIZE: usize = 100_000;

/// The generated file's text.
pub fn text(kind: Kind, size: usize, seed: u64) -> Result<String> {
    if !(1..=MAX_SIZE).contains(&size) {
        bail!("--size {size}: expected 1 to {MAX_SIZE}");
    }
    let value = match kind {
        Kind::Packs => serde_json::Value::Array(
            packs::generate(&packs::PackSpec::new(size, seed))
                .iter()
                .map(packs::PackDesc::to_json)
                .collect(),
        ),
        Kind::Dag => {
            let stages = dags::generate(&dags::DagSpec {
                stages: size,
                width: 4,
                fan_in: 2,
                seed,
            });
            let file = DagFile {
                stages: stages
                    .iter()
                    .map(|s| StageEntry {
                        name: s.name.clone(),
                        deps: s.deps.iter().map(|&d| stages[d].name.clone()).collect(),
                        agent: AgentKind::Hash,
                        cost: s.cost,
                        timeout_ms: None,
                        retries: 0,
                        priority: PriorityName::Normal,
                    })
                    .collect(),
            };
            serde_json::to_value(file)?
        }
    };
    Ok(serde_json::to_string_pretty(&value)?)
}

/// Writes the file to `output`, or prints it.
pub fn run(kind: Kind, size: usize, seed: u64, output: Option<&Path>) -> Result<ExitCode> {
    files::emit(output, &text(kind, size, seed)?)?;
    Ok(ExitCode::SUCCESS)
}
