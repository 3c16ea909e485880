//! DAG pipelines of agent stages.
//!
//! A [`Pipeline`] is built from [`StageSpec`]s and agents; [`PipelineBuilder::build`] rejects
//! unknown dependencies, duplicate names and cycles (naming the stages), so a built pipeline is
//! always a valid DAG.
//!
//! # Running
//!
//! [`Pipeline::run`] is **ready-driven**: every stage is spawned as a tokio task the moment its
//! last dependency succeeds. Each attempt of a stage holds one permit of the run's
//! `tokio::sync::Semaphore` while the agent runs (not while waiting for dependencies or backing
//! off), so at most `permits` agents run at once; clones of one [`Limits`] shared by several
//! pipelines ([`crate::swarm::Swarm`]) bound them all together. Stages that become ready at the
//! same moment are spawned in priority order, and the semaphore is fair (FIFO), so higher
//! priorities get permits first. One exception saves the shared semaphore's cache line two
//! atomic operations and a lock per stage: short stages polled one after another on the driving
//! task (below) share one permit, which the run keeps from one to the next **while no stage of
//! the same limits waits for a permit** and gives back at the first stage boundary after one
//! does (and before a stage that may back off, or any spawn); so a waiter gets its turn as
//! before, one short stage later at most. [`Limits::shared`] over a semaphore others may use
//! never keeps one.
//!
//! Per stage: an optional timeout per attempt; `retries` more attempts after an error or a timeout,
//! waiting `backoff · 2^(attempt−1)` in between; a panic in the agent is caught and reported as
//! [`StageStatus::Panicked`] (not retried: a panic is a bug, not a transient failure). Dependents of
//! a stage that did not succeed are [`StageStatus::Skipped`]. A run can be cancelled with a
//! `tokio_util` [`CancellationToken`]: running stages are aborted (their permits released) and every unfinished stage
//! is [`StageStatus::Cancelled`].
//!
//! Twins for measurement: [`Pipeline::run_sequential`] (one stage at a time in topological order,
//! no semaphore — the old hard-coded loop) and [`Pipeline::run_level_batched`] (all stages of a
//! topological level in parallel, then a barrier before the next level).
//!
//! Files: `dag` (building and validating), `limits` (permits), `stage` (one stage's attempts),
//! `run` (the ready-driven engine and its bookkeeping), `twins` (the measurement twins),
//! `outcome` (what a run reports).

mod dag;
mod limits;
mod outcome;
mod run;
mod stage;
mod twins;

pub use dag::PipelineBuilder;
pub use limits::Limits;
pub use outcome::{PipelineReport, StageOutcome, StageStatus};
pub use run::INLINE_BELOW;
pub use tokio_util::sync::CancellationToken;

use std::sync::Arc;
use std::time::Duration;

use ggen_domain::schedule::Priority;

use crate::agent::Agent;

/// How one stage is run.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpec {
    /// Unique name within the pipeline.
    pub name: String,
    /// Names of the stages whose artifacts it needs.
    pub deps: Vec<String>,
    /// Limit per attempt; `None` = no limit.
    pub timeout: Option<Duration>,
    /// Further attempts after an error or timeout.
    pub retries: u32,
    /// Wait before the first retry; doubles for each further retry.
    pub backoff: Duration,
    /// Order among stages that become ready together.
    pub priority: Priority,
}

impl StageSpec {
    /// A stage with no dependencies, no timeout, no retries and normal priority.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            deps: Vec::new(),
            timeout: None,
            retries: 0,
            backoff: Duration::ZERO,
            priority: Priority::Normal,
        }
    }

    /// Sets the dependencies.
    pub fn deps<S: AsRef<str>>(mut self, deps: &[S]) -> Self {
        self.deps = deps.iter().map(|d| d.as_ref().to_owned()).collect();
        self
    }

    /// Sets the per-attempt timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the number of retries and the initial backoff.
    pub fn retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }
}

/// Why a pipeline could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Two stages share a name.
    #[error("duplicate stage name {0:?}")]
    DuplicateStage(String),
    /// A stage depends on a stage that does not exist.
    #[error("stage {stage:?} depends on unknown stage {dep:?}")]
    UnknownDependency {
        /// The stage.
        stage: String,
        /// The missing dependency.
        dep: String,
    },
    /// The dependencies form a cycle (listed in dependency order, first stage repeated last).
    #[error("dependency cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// A validated stage: its spec, agent, and dependency edges both ways (indexes).
struct Stage {
    spec: StageSpec,
    name: Arc<str>,
    agent: Arc<dyn Agent>,
    deps: Vec<usize>,
    dependents: Vec<usize>,
    /// How long the stage's last successful run took, in ns (`u64::MAX` until it has run): the
    /// ready-driven engine polls stages known to be short on the driving task (see `run`).
    last_ns: std::sync::atomic::AtomicU64,
}

/// A validated DAG of stages. Cheap to share (`Arc` inside); run it as often as needed.
pub struct Pipeline {
    stages: Arc<Vec<Stage>>,
    levels: Vec<Vec<usize>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field(
                "stages",
                &self.stages.iter().map(|s| &s.spec).collect::<Vec<_>>(),
            )
            .field("levels", &self.levels)
            .finish()
    }
}

impl Pipeline {
    /// Starts building a pipeline.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// Number of stages.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// Whether the pipeline has no stages.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Stage names by topological level.
    pub fn levels(&self) -> Vec<Vec<&str>> {
        self.levels
            .iter()
            .map(|l| {
                l.iter()
                    .map(|&i| self.stages[i].spec.name.as_str())
                    .collect()
            })
            .collect()
    }
}
