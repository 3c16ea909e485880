//! Agents: the work a pipeline stage does.
//!
//! [`Agent`] is object safe (pipelines hold `Arc<dyn Agent>`); its async work is a boxed future.
//! The built-in agents are deterministic and do real work proportional to their input — template
//! expansion, hashing, validation — yielding to the runtime between chunks so that one long stage
//! does not monopolise a worker thread. None of them sleeps to pretend to work.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::artifact::{Artifact, ArtifactKind};
use ggen_domain::hash::{FNV_OFFSET, fnv1a};

/// An agent's failure (a timeout or panic is reported by the pipeline, not by the agent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The input was not what the agent needs.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The agent tried and failed; a retry may succeed.
    #[error("agent failed: {0}")]
    Failed(String),
}

/// What a stage's agent receives.
#[derive(Debug, Clone)]
pub struct StageInput {
    /// Name of the stage being run.
    pub stage: Arc<str>,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The pipeline's input.
    pub input: Arc<str>,
    /// The artifacts of the stage's dependencies, in the order the dependencies were declared.
    pub deps: Vec<Arc<Artifact>>,
}

/// The boxed future an agent returns.
pub type AgentFuture<'a> = Pin<Box<dyn Future<Output = Result<Artifact, AgentError>> + Send + 'a>>;

/// A unit of work that turns a stage's input into an artifact.
pub trait Agent: Send + Sync {
    /// A short name for reports.
    fn name(&self) -> &str;

    /// Does the work. Called once per attempt.
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a>;
}

/// Work items between cooperative yields.
const CHUNK: usize = 64;

fn artifact(kind: ArtifactKind, content: String, input: &StageInput, quality: f64) -> Artifact {
    Artifact {
        kind,
        content,
        source_stage: Arc::clone(&input.stage),
        quality_score: quality,
        run_offset_ms: 0,
    }
}

/// Expands a template once per word of its context (the pipeline input followed by the
/// dependencies' contents), `repeat` times: work ∝ words × repeat. `{word}`, `{index}` and
/// `{stage}` are substituted.
#[derive(Debug, Clone)]
pub struct TemplateAgent {
    template: String,
    repeat: usize,
}

impl TemplateAgent {
    /// An agent expanding `template` for every context word, `repeat` times (at least once).
    pub fn new(template: impl Into<String>, repeat: usize) -> Self {
        Self {
            template: template.into(),
            repeat: repeat.max(1),
        }
    }
}

impl Agent for TemplateAgent {
    fn name(&self) -> &str {
        "template"
    }

    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let mut words: Vec<&str> = input.input.split_whitespace().collect();
            for d in &input.deps {
                words.extend(d.content.split_whitespace().take(64));
            }
            if words.is_empty() {
                return Err(AgentError::InvalidInput(format!(
                    "stage {}: nothing to expand",
                    input.stage
                )));
            }
            let mut out = String::new();
            let mut digest = FNV_OFFSET;
            for r in 0..self.repeat {
                for (i, w) in words.iter().enumerate() {
                    let line = self
                        .template
                        .replace("{word}", w)
                        .replace("{index}", &(r * words.len() + i).to_string())
                        .replace("{stage}", &input.stage);
                    digest = fnv1a(digest, line.as_bytes());
                    if r == 0 && out.len() < 4096 {
                        out.push_str(&line);
                        out.push('\n');
                    }
                    if i % CHUNK == CHUNK - 1 {
                        tokio::task::yield_now().await;
                    }
                }
            }
            out.push_str(&format!("// digest {digest:016x}\n"));
            Ok(artifact(ArtifactKind::Template, out, input, 1.0))
        })
    }
}

/// Hashes the input and the dependencies' contents `rounds` times: work ∝ bytes × rounds.
#[derive(Debug, Clone, Copy)]
pub struct HashAgent {
    rounds: u32,
}

impl HashAgent {
    /// An agent hashing its context `rounds` times (at least once).
    pub fn new(rounds: u32) -> Self {
        Self {
            rounds: rounds.max(1),
        }
    }
}

impl Agent for HashAgent {
    fn name(&self) -> &str {
        "hash"
    }

    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let mut h = FNV_OFFSET;
            for round in 0..self.rounds {
                h = fnv1a(h, &round.to_le_bytes());
                h = fnv1a(h, input.input.as_bytes());
                for d in &input.deps {
                    h = fnv1a(h, d.content.as_bytes());
                }
                if round as usize % CHUNK == CHUNK - 1 {
                    tokio::task::yield_now().await;
                }
            }
            Ok(artifact(
                ArtifactKind::Digest,
                format!("{}:{h:016x}", input.stage),
                input,
                1.0,
            ))
        })
    }
}

/// Validates the dependencies' artifacts: every one must be non-empty and of quality ≥ `min`.
/// The report lists each with its line count; the quality is the share that passed.
#[derive(Debug, Clone, Copy)]
pub struct ValidateAgent {
    min_quality: f64,
}

impl ValidateAgent {
    /// A validator requiring quality of at least `min_quality`.
    pub fn new(min_quality: f64) -> Self {
        Self { min_quality }
    }
}

impl Agent for ValidateAgent {
    fn name(&self) -> &str {
        "validate"
    }

    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            if input.deps.is_empty() {
                return Err(AgentError::InvalidInput(format!(
                    "stage {}: nothing to validate",
                    input.stage
                )));
            }
            let mut report = String::new();
            let mut passed = 0usize;
            for (i, d) in input.deps.iter().enumerate() {
                let lines = d.content.lines().count();
                let ok = lines > 0 && d.quality_score >= self.min_quality;
                passed += usize::from(ok);
                report.push_str(&format!(
                    "{} {}: {lines} lines\n",
                    if ok { "ok" } else { "FAIL" },
                    d.source_stage
                ));
                if i % CHUNK == CHUNK - 1 {
                    tokio::task::yield_now().await;
                }
            }
            let quality = passed as f64 / input.deps.len() as f64;
            Ok(artifact(ArtifactKind::Report, report, input, quality))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str, deps: Vec<Artifact>) -> StageInput {
        StageInput {
            stage: "s".into(),
            attempt: 1,
            input: text.into(),
            deps: deps.into_iter().map(Arc::new).collect(),
        }
    }

    fn block<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn template_agent_expands_every_word_deterministically() {
        let a = TemplateAgent::new("fn {word}_{index}() {}", 2);
        let i = input("alpha beta", vec![]);
        let out = block(a.run(&i)).unwrap();
        assert!(
            out.content.contains("fn alpha_0() {}\nfn beta_1() {}\n"),
            "{}",
            out.content
        );
        assert_eq!(out, block(a.run(&i)).unwrap());
        assert_eq!(out.kind, ArtifactKind::Template);
        assert!(block(a.run(&input("  ", vec![]))).is_err());
    }

    #[test]
    fn hash_agent_depends_on_every_byte_and_round() {
        let i = input("x", vec![]);
        let a = block(HashAgent::new(3).run(&i)).unwrap();
        assert_ne!(a.content, block(HashAgent::new(4).run(&i)).unwrap().content);
        assert_ne!(
            a.content,
            block(HashAgent::new(3).run(&input("y", vec![])))
                .unwrap()
                .content
        );
        assert_eq!(a.content, block(HashAgent::new(3).run(&i)).unwrap().content);
    }

    #[test]
    fn validate_agent_scores_dependencies() {
        let good = Artifact {
            kind: ArtifactKind::Code,
            content: "a\nb".into(),
            source_stage: "g".into(),
            quality_score: 0.9,
            run_offset_ms: 0,
        };
        let bad = Artifact {
            content: String::new(),
            source_stage: "b".into(),
            ..good.clone()
        };
        let r = block(ValidateAgent::new(0.5).run(&input("", vec![good, bad]))).unwrap();
        assert_eq!(r.quality_score, 0.5);
        assert!(
            r.content.contains("ok g: 2 lines") && r.content.contains("FAIL b: 0 lines"),
            "{}",
            r.content
        );
        assert!(block(ValidateAgent::new(0.5).run(&input("", vec![]))).is_err());
    }
}
