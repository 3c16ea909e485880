//! What a run reports: each stage's status, attempts and time, and the artifacts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;

/// How a stage ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum StageStatus {
    /// The agent produced an artifact.
    Succeeded,
    /// The last attempt returned an error.
    Failed(String),
    /// The last attempt exceeded the timeout.
    TimedOut,
    /// The agent panicked (message captured).
    Panicked(String),
    /// A dependency did not succeed, so the stage was not run.
    Skipped,
    /// The run was cancelled before the stage finished.
    Cancelled,
}

/// One stage's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageOutcome {
    /// Stage name (shared with the pipeline: a report does not copy it).
    pub name: Arc<str>,
    /// How it ended.
    pub status: StageStatus,
    /// Attempts made (0 if never started).
    pub attempts: u32,
    /// From the moment the stage was ready (its dependencies done) until it ended, including
    /// waits for permits and backoff.
    pub elapsed: Duration,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineReport {
    /// Artifacts of the stages that succeeded, by stage name.
    pub artifacts: BTreeMap<Arc<str>, Artifact>,
    /// One outcome per stage, in the order the stages were added.
    pub stages: Vec<StageOutcome>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl PipelineReport {
    /// Whether every stage succeeded.
    pub fn succeeded(&self) -> bool {
        self.stages
            .iter()
            .all(|s| s.status == StageStatus::Succeeded)
    }

    /// The outcome of stage `name`.
    pub fn outcome(&self, name: &str) -> Option<&StageOutcome> {
        self.stages.iter().find(|s| &*s.name == name)
    }
}
