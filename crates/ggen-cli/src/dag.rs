//! The DAG file `ggen pipeline run` reads and `ggen gen dag` writes:
//!
//! ```json
//! {"stages": [
//!   {"name": "parse", "agent": "hash", "cost": 1},
//!   {"name": "render", "deps": ["parse"], "agent": "template", "cost": 4,
//!    "timeout_ms": 500, "retries": 1, "priority": "high"}
//! ]}
//! ```
//!
//! `agent` is one of the built-in deterministic agents: `hash` (hashes its inputs `20 × cost`
//! times), `template` (expands a template `cost` times per word), `validate` (checks its
//! dependencies' artifacts). Unknown fields are errors, and every error names the field
//! (`stages[2].agent`) or, for a cycle, the stages on it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use ggen_ai::agent::{Agent, HashAgent, TemplateAgent, ValidateAgent};
use ggen_ai::pipeline::{Pipeline, StageSpec};
use ggen_domain::schedule::Priority;
use serde::{Deserialize, Serialize};

/// Hash rounds per unit of cost (the swarm suite's unit).
pub const HASH_ROUNDS_PER_COST: u32 = 20;

/// Largest accepted `cost`.
pub const MAX_COST: u32 = 10_000;

/// A DAG file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DagFile {
    /// The stages, in any order.
    pub stages: Vec<StageEntry>,
}

/// One stage of a DAG file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageEntry {
    /// Unique name.
    pub name: String,
    /// Names of the stages it depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deps: Vec<String>,
    /// Which built-in agent runs it.
    pub agent: AgentKind,
    /// Work units, 1 to [`MAX_COST`].
    #[serde(default = "one")]
    pub cost: u32,
    /// Limit per attempt, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Further attempts after a failure.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// Order among stages that become ready together.
    #[serde(default, skip_serializing_if = "is_normal")]
    pub priority: PriorityName,
}

fn one() -> u32 {
    1
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn is_normal(p: &PriorityName) -> bool {
    *p == PriorityName::Normal
}

/// The built-in agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// [`HashAgent`].
    Hash,
    /// [`TemplateAgent`].
    Template,
    /// [`ValidateAgent`].
    Validate,
}

/// Stage priorities as the file spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PriorityName {
    /// Served first.
    Critical,
    /// Second.
    High,
    /// Third (the default).
    #[default]
    Normal,
    /// Last.
    Low,
}

impl From<PriorityName> for Priority {
    fn from(p: PriorityName) -> Self {
        match p {
            PriorityName::Critical => Priority::Critical,
            PriorityName::High => Priority::High,
            PriorityName::Normal => Priority::Normal,
            PriorityName::Low => Priority::Low,
        }
    }
}

/// Parses a DAG file's text; errors name `file` and the field.
pub fn parse(file: &Path, text: &str) -> Result<DagFile> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{}: not valid JSON ({e})", file.display()))?;
    if !value.is_object() {
        bail!(
            "{}: expected a JSON object with a `stages` array",
            file.display()
        );
    }
    let dag: DagFile = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        anyhow::anyhow!("{}: field `{path}`: {}", file.display(), e.into_inner())
    })?;
    if dag.stages.is_empty() {
        bail!("{}: field `stages`: no stages", file.display());
    }
    for (i, s) in dag.stages.iter().enumerate() {
        if s.name.trim().is_empty() {
            bail!(
                "{}: field `stages[{i}].name`: must not be empty",
                file.display()
            );
        }
        if !(1..=MAX_COST).contains(&s.cost) {
            bail!(
                "{}: field `stages[{i}].cost`: {} is not between 1 and {MAX_COST}",
                file.display(),
                s.cost
            );
        }
        if s.timeout_ms == Some(0) {
            bail!(
                "{}: field `stages[{i}].timeout_ms`: must be positive",
                file.display()
            );
        }
    }
    Ok(dag)
}

fn agent(s: &StageEntry) -> Arc<dyn Agent> {
    match s.agent {
        AgentKind::Hash => Arc::new(HashAgent::new(s.cost * HASH_ROUNDS_PER_COST)),
        AgentKind::Template => Arc::new(TemplateAgent::new(
            "{stage}: item {index} for {word}",
            s.cost as usize,
        )),
        AgentKind::Validate => Arc::new(ValidateAgent::new(0.5)),
    }
}

/// Builds the pipeline; a cycle, an unknown dependency or a duplicate name is an error naming
/// `file` and the stages.
pub fn build(file: &Path, dag: &DagFile) -> Result<Pipeline> {
    let mut builder = Pipeline::builder();
    for s in &dag.stages {
        let mut spec = StageSpec::new(s.name.clone())
            .deps(&s.deps)
            .priority(s.priority.into());
        if let Some(ms) = s.timeout_ms {
            spec = spec.timeout(Duration::from_millis(ms));
        }
        if s.retries > 0 {
            spec = spec.retries(s.retries, Duration::from_millis(1));
        }
        builder = builder.stage(spec, agent(s));
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}
