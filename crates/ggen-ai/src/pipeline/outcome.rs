//! What a run reports: each stage's status, attempts, time and artifact.
//!
//! In serialized form (e.g. `ggen pipeline run --json`) a report is
//! `{"artifacts": {stage: artifact, ...}, "stages": [outcome, ...], "elapsed": ...}`: the
//! artifacts keyed by stage name, as before they moved into the outcomes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// One stage's outcome, with its artifact when it succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageOutcome {
    /// Stage name (shared with the pipeline: a report does not copy it).
    pub name: Arc<str>,
    /// How it ended.
    pub status: StageStatus,
    /// Attempts made (0 if never started).
    pub attempts: u32,
    /// From the moment the stage started (polled on the driving task, or its spawned task first
    /// ran: a hand-off to another worker is not included) until it ended, including waits for
    /// permits and backoff.
    pub elapsed: Duration,
    /// What the stage produced, if it succeeded (the one its dependents received, not a copy).
    /// Serialized under the report's `artifacts`, not here.
    #[serde(skip)]
    pub artifact: Option<Arc<Artifact>>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineReport {
    /// One outcome per stage, in the order the stages were added, each with its artifact.
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

    /// The artifact of stage `name`, if that stage exists and succeeded.
    pub fn artifact(&self, name: &str) -> Option<&Artifact> {
        self.outcome(name)?.artifact.as_deref()
    }

    /// The artifacts of the stages that succeeded, with their stage names, in stage order.
    pub fn artifacts(&self) -> impl Iterator<Item = (&str, &Artifact)> {
        self.stages
            .iter()
            .filter_map(|s| Some((&*s.name, s.artifact.as_deref()?)))
    }
}

/// A report's artifacts as a map from stage name to artifact, borrowed.
struct ArtifactMap<'a>(&'a PipelineReport);

impl Serialize for ArtifactMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.artifacts())
    }
}

/// The serialized form, written (borrowing the report).
#[derive(Serialize)]
struct WireOut<'a> {
    artifacts: ArtifactMap<'a>,
    stages: &'a [StageOutcome],
    elapsed: Duration,
}

/// The serialized form, read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    artifacts: BTreeMap<Arc<str>, Artifact>,
    stages: Vec<StageOutcome>,
    elapsed: Duration,
}

impl Serialize for PipelineReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireOut {
            artifacts: ArtifactMap(self),
            stages: &self.stages,
            elapsed: self.elapsed,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PipelineReport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let WireIn {
            mut artifacts,
            mut stages,
            elapsed,
        } = WireIn::deserialize(deserializer)?;
        for s in &mut stages {
            s.artifact = artifacts.remove(&s.name).map(Arc::new);
        }
        if let Some(name) = artifacts.keys().next() {
            return Err(serde::de::Error::custom(format_args!(
                "artifacts: {name:?} is not one of the report's stages"
            )));
        }
        Ok(Self { stages, elapsed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::ArtifactKind;

    fn outcome(name: &str, artifact: Option<&str>) -> StageOutcome {
        StageOutcome {
            name: name.into(),
            status: if artifact.is_some() {
                StageStatus::Succeeded
            } else {
                StageStatus::Skipped
            },
            attempts: u32::from(artifact.is_some()),
            elapsed: Duration::from_micros(7),
            artifact: artifact.map(|content| {
                Arc::new(Artifact {
                    kind: ArtifactKind::Code,
                    content: content.into(),
                    source_stage: name.into(),
                    quality_score: 0.5,
                    run_offset_ms: 1,
                })
            }),
        }
    }

    #[test]
    fn a_report_serializes_its_artifacts_by_stage_name_and_reads_back() {
        let r = PipelineReport {
            stages: vec![outcome("b", Some("fn b() {}")), outcome("a", None)],
            elapsed: Duration::from_millis(3),
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["artifacts"]["b"]["content"], "fn b() {}");
        assert_eq!(json["artifacts"].as_object().unwrap().len(), 1);
        assert_eq!(json["stages"].as_array().unwrap().len(), 2);
        assert!(json["stages"][0].get("artifact").is_none(), "{json}");
        let back: PipelineReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn an_artifact_of_no_stage_is_an_error_naming_it() {
        let json = serde_json::json!({
            "artifacts": {"ghost": {"kind": "code", "content": "", "source_stage": "ghost",
                                    "quality_score": 1.0, "run_offset_ms": 0}},
            "stages": [],
            "elapsed": {"secs": 0, "nanos": 0},
        });
        let e = serde_json::from_value::<PipelineReport>(json).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"ghost\" is not one of the report's stages"),
            "{e}"
        );
    }
}
