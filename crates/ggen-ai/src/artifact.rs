//! Artifacts: what pipeline stages produce and pass to their dependents.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ArtifactKind {
    /// Generated source code.
    Code,
    /// A template after expansion.
    Template,
    /// A validation or analysis report.
    Report,
    /// A content hash or manifest.
    Digest,
}

/// One stage's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// What the content is.
    pub kind: ArtifactKind,
    /// The content itself.
    pub content: String,
    /// Name of the stage that produced it: the stage's own name, shared (an agent clones
    /// [`StageInput::stage`](crate::agent::StageInput::stage) rather than copying the text).
    pub source_stage: Arc<str>,
    /// Quality in `[0, 1]` as judged by the producing agent.
    pub quality_score: f64,
    /// When it was made, as milliseconds since the start of its pipeline run (an offset, not a
    /// timestamp; it varies between runs, everything else is deterministic for deterministic
    /// agents).
    pub run_offset_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_round_trips_through_json() {
        let a = Artifact {
            kind: ArtifactKind::Template,
            content: "fn main() {}".into(),
            source_stage: "expand".into(),
            quality_score: 0.5,
            run_offset_ms: 3,
        };
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"kind\":\"template\""), "{json}");
        let back: Artifact = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
    }
}
