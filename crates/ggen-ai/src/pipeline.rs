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
//! `tokio::sync::Semaphore` for exactly as long as the agent runs (not while waiting for
//! dependencies or backing off), so at most `permits` agents run at once; a semaphore shared by
//! several pipelines ([`Limits::shared`], [`crate::swarm::Swarm`]) bounds them all together.
//! Stages that become ready at the same moment are spawned in priority order, and the semaphore is
//! fair (FIFO), so higher priorities get permits first.
//!
//! Per stage: an optional timeout per attempt; `retries` more attempts after an error or a timeout,
//! waiting `backoff · 2^(attempt−1)` in between; a panic in the agent is caught and reported as
//! [`StageStatus::Panicked`] (not retried: a panic is a bug, not a transient failure). Dependents of
//! a stage that did not succeed are [`StageStatus::Skipped`]. A run can be cancelled with a
//! [`CancelToken`]: running stages are aborted (their permits released) and every unfinished stage
//! is [`StageStatus::Cancelled`].
//!
//! Twins for measurement: [`Pipeline::run_sequential`] (one stage at a time in topological order,
//! no semaphore — the old hard-coded loop) and [`Pipeline::run_level_batched`] (all stages of a
//! topological level in parallel, then a barrier before the next level).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ggen_domain::schedule::Priority;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::agent::{Agent, AgentError, AgentFuture, StageInput};
use crate::artifact::Artifact;

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

struct Stage {
    spec: StageSpec,
    name: Arc<str>,
    agent: Arc<dyn Agent>,
    deps: Vec<usize>,
    dependents: Vec<usize>,
}

/// Builds a [`Pipeline`].
#[derive(Default)]
pub struct PipelineBuilder {
    stages: Vec<(StageSpec, Arc<dyn Agent>)>,
}

impl PipelineBuilder {
    /// Adds a stage.
    pub fn stage(mut self, spec: StageSpec, agent: Arc<dyn Agent>) -> Self {
        self.stages.push((spec, agent));
        self
    }

    /// Validates the DAG and builds the pipeline.
    pub fn build(self) -> Result<Pipeline, PipelineError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, (spec, _)) in self.stages.iter().enumerate() {
            if index.insert(spec.name.as_str(), i).is_some() {
                return Err(PipelineError::DuplicateStage(spec.name.clone()));
            }
        }
        let mut deps = Vec::with_capacity(self.stages.len());
        for (spec, _) in &self.stages {
            let mut d = Vec::new();
            for dep in &spec.deps {
                let &j =
                    index
                        .get(dep.as_str())
                        .ok_or_else(|| PipelineError::UnknownDependency {
                            stage: spec.name.clone(),
                            dep: dep.clone(),
                        })?;
                if !d.contains(&j) {
                    d.push(j);
                }
            }
            deps.push(d);
        }
        let names: Vec<&str> = self.stages.iter().map(|(s, _)| s.name.as_str()).collect();
        let levels = levels(&deps).map_err(|cycle| {
            PipelineError::Cycle(cycle.into_iter().map(|i| names[i].to_owned()).collect())
        })?;
        let mut dependents = vec![Vec::new(); deps.len()];
        for (i, d) in deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        let stages = self
            .stages
            .into_iter()
            .zip(deps)
            .zip(dependents)
            .map(|(((spec, agent), deps), dependents)| Stage {
                name: Arc::from(spec.name.as_str()),
                spec,
                agent,
                deps,
                dependents,
            })
            .collect();
        Ok(Pipeline {
            stages: Arc::new(stages),
            levels,
        })
    }
}

/// Topological levels (Kahn's algorithm); on a cycle, the stages of one cycle.
fn levels(deps: &[Vec<usize>]) -> Result<Vec<Vec<usize>>, Vec<usize>> {
    let n = deps.len();
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            dependents[j].push(i);
        }
    }
    let mut levels = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut done = 0;
    while !current.is_empty() {
        done += current.len();
        let mut next = Vec::new();
        for &i in &current {
            for &k in &dependents[i] {
                indegree[k] -= 1;
                if indegree[k] == 0 {
                    next.push(k);
                }
            }
        }
        next.sort_unstable();
        levels.push(std::mem::replace(&mut current, next));
    }
    if done == n {
        return Ok(levels);
    }
    // Every remaining stage has a remaining dependency: walk them until a stage repeats.
    let start = (0..n).find(|&i| indegree[i] > 0).expect("a stage is left");
    let mut path = vec![start];
    let mut seen = HashMap::from([(start, 0usize)]);
    loop {
        let cur = *path.last().expect("non-empty");
        let next = *deps[cur]
            .iter()
            .find(|&&j| indegree[j] > 0)
            .expect("remaining stages have remaining deps");
        if let Some(&at) = seen.get(&next) {
            let mut cycle: Vec<usize> = path[at..].to_vec();
            // `path` follows dependencies; report in dependency order: a depends on b -> b first.
            cycle.reverse();
            cycle.push(cycle[0]);
            return Err(cycle);
        }
        seen.insert(next, path.len());
        path.push(next);
    }
}

/// The permits a run's stages share.
#[derive(Debug, Clone)]
pub struct Limits {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl Limits {
    /// A fresh semaphore with `permits` permits (at least 1).
    pub fn new(permits: usize) -> Self {
        let permits = permits.max(1);
        Self {
            semaphore: Arc::new(Semaphore::new(permits)),
            permits,
        }
    }

    /// Uses an existing semaphore (e.g. one shared by a swarm) that has `permits` permits in all.
    pub fn shared(semaphore: Arc<Semaphore>, permits: usize) -> Self {
        Self { semaphore, permits }
    }

    /// Total permits.
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Permits not held by any running stage right now.
    pub fn available(&self) -> usize {
        self.semaphore.available_permits()
    }
}

/// Cancels a pipeline run (or many). Cloning shares the token.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    /// A token that has not been cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every run using this token.
    pub fn cancel(&self) {
        // Release pairs with the Acquire in `is_cancelled`; notify_waiters wakes current waiters,
        // and a waiter that registers later sees the flag first.
        self.0.cancelled.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire)
    }

    /// Completes once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

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
    /// Stage name.
    pub name: String,
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
    pub artifacts: BTreeMap<String, Artifact>,
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
        self.stages.iter().find(|s| s.name == name)
    }
}

/// Polls an agent's future, turning a panic into `Err(message)`.
struct CatchUnwind<'a>(AgentFuture<'a>);

impl Future for CatchUnwind<'_> {
    type Output = Result<Result<Artifact, AgentError>, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Ready(r)) => Poll::Ready(Ok(r)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(ggen_core::runtime::panic_message(payload.as_ref()))),
        }
    }
}

struct StageResult {
    status: StageStatus,
    attempts: u32,
    elapsed: Duration,
    artifact: Option<Arc<Artifact>>,
}

/// Runs one stage: attempts, permits, timeouts, retries with backoff, panic capture.
async fn run_stage(
    stages: Arc<Vec<Stage>>,
    idx: usize,
    input: Arc<str>,
    deps: Vec<Arc<Artifact>>,
    semaphore: Option<Arc<Semaphore>>,
    run_start: Instant,
) -> StageResult {
    let stage = &stages[idx];
    let ready = Instant::now();
    let mut stage_input = StageInput {
        stage: Arc::clone(&stage.name),
        attempt: 0,
        input,
        deps,
    };
    let mut status = StageStatus::Failed("not run".into());
    let attempts_allowed = stage.spec.retries.saturating_add(1);
    for attempt in 1..=attempts_allowed {
        stage_input.attempt = attempt;
        let permit = match &semaphore {
            Some(s) => match Arc::clone(s).acquire_owned().await {
                Ok(p) => Some(p),
                Err(_) => {
                    status = StageStatus::Failed("the semaphore was closed".into());
                    return StageResult {
                        status,
                        attempts: attempt - 1,
                        elapsed: ready.elapsed(),
                        artifact: None,
                    };
                }
            },
            None => None,
        };
        let work = CatchUnwind(stage.agent.run(&stage_input));
        let outcome = match stage.spec.timeout {
            Some(t) => tokio::time::timeout(t, work).await.ok(),
            None => Some(work.await),
        };
        drop(permit);
        status = match outcome {
            Some(Ok(Ok(mut artifact))) => {
                artifact.created_at = run_start.elapsed().as_millis() as u64;
                return StageResult {
                    status: StageStatus::Succeeded,
                    attempts: attempt,
                    elapsed: ready.elapsed(),
                    artifact: Some(Arc::new(artifact)),
                };
            }
            Some(Ok(Err(e))) => StageStatus::Failed(e.to_string()),
            Some(Err(panic)) => {
                return StageResult {
                    status: StageStatus::Panicked(panic),
                    attempts: attempt,
                    elapsed: ready.elapsed(),
                    artifact: None,
                };
            }
            None => StageStatus::TimedOut,
        };
        if attempt < attempts_allowed && !stage.spec.backoff.is_zero() {
            let backoff = stage
                .spec
                .backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            tokio::time::sleep(backoff).await;
        }
    }
    StageResult {
        status,
        attempts: attempts_allowed,
        elapsed: ready.elapsed(),
        artifact: None,
    }
}

/// Bookkeeping shared by the three drivers.
struct Run<'p> {
    pipeline: &'p Pipeline,
    input: Arc<str>,
    start: Instant,
    results: Vec<Option<StageResult>>,
}

impl<'p> Run<'p> {
    fn new(pipeline: &'p Pipeline, input: &str) -> Self {
        Self {
            pipeline,
            input: Arc::from(input),
            start: Instant::now(),
            results: (0..pipeline.stages.len()).map(|_| None).collect(),
        }
    }

    fn deps_succeeded(&self, i: usize) -> bool {
        self.pipeline.stages[i]
            .deps
            .iter()
            .all(|&d| matches!(&self.results[d], Some(r) if r.status == StageStatus::Succeeded))
    }

    fn dep_artifacts(&self, i: usize) -> Vec<Arc<Artifact>> {
        self.pipeline.stages[i]
            .deps
            .iter()
            .filter_map(|&d| self.results[d].as_ref().and_then(|r| r.artifact.clone()))
            .collect()
    }

    fn stage_future(
        &self,
        i: usize,
        sem: Option<Arc<Semaphore>>,
    ) -> impl Future<Output = StageResult> + Send + 'static {
        run_stage(
            Arc::clone(&self.pipeline.stages),
            i,
            Arc::clone(&self.input),
            self.dep_artifacts(i),
            sem,
            self.start,
        )
    }

    /// Records a result; if the stage did not succeed, marks its unfinished descendants Skipped.
    fn finish(&mut self, i: usize, r: StageResult) {
        let failed = r.status != StageStatus::Succeeded;
        self.results[i] = Some(r);
        if failed {
            let mut stack = self.pipeline.stages[i].dependents.clone();
            while let Some(d) = stack.pop() {
                if self.results[d].is_none() {
                    self.results[d] = Some(StageResult {
                        status: StageStatus::Skipped,
                        attempts: 0,
                        elapsed: Duration::ZERO,
                        artifact: None,
                    });
                    stack.extend(self.pipeline.stages[d].dependents.iter().copied());
                }
            }
        }
    }

    fn report(self, unfinished: StageStatus) -> PipelineReport {
        let mut artifacts = BTreeMap::new();
        let stages = self
            .pipeline
            .stages
            .iter()
            .zip(self.results)
            .map(|(s, r)| {
                let r = r.unwrap_or(StageResult {
                    status: unfinished.clone(),
                    attempts: 0,
                    elapsed: Duration::ZERO,
                    artifact: None,
                });
                if let Some(a) = r.artifact {
                    artifacts.insert(s.spec.name.clone(), Arc::unwrap_or_clone(a));
                }
                StageOutcome {
                    name: s.spec.name.clone(),
                    status: r.status,
                    attempts: r.attempts,
                    elapsed: r.elapsed,
                }
            })
            .collect();
        PipelineReport {
            artifacts,
            stages,
            elapsed: self.start.elapsed(),
        }
    }
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

    /// Runs the pipeline ready-driven (see the module docs). Must be called inside a tokio runtime.
    pub async fn run(&self, input: &str, limits: &Limits) -> PipelineReport {
        self.drive(input, limits, None).await
    }

    /// Like [`run`](Self::run), stopping early when `cancel` is cancelled.
    pub async fn run_cancellable(
        &self,
        input: &str,
        limits: &Limits,
        cancel: &CancelToken,
    ) -> PipelineReport {
        self.drive(input, limits, Some(cancel)).await
    }

    async fn drive(
        &self,
        input: &str,
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> PipelineReport {
        let mut run = Run::new(self, input);
        let mut remaining: Vec<usize> = self.stages.iter().map(|s| s.deps.len()).collect();
        let mut set: JoinSet<StageResult> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
        let spawn_ready =
            |run: &Run<'_>,
             ready: &mut Vec<usize>,
             set: &mut JoinSet<StageResult>,
             running: &mut HashMap<tokio::task::Id, usize>| {
                ready.sort_by_key(|&i| (self.stages[i].spec.priority, i));
                for &i in ready.iter() {
                    let handle =
                        set.spawn(run.stage_future(i, Some(Arc::clone(&limits.semaphore))));
                    running.insert(handle.id(), i);
                }
                ready.clear();
            };
        let mut ready: Vec<usize> = (0..self.stages.len())
            .filter(|&i| remaining[i] == 0)
            .collect();
        spawn_ready(&run, &mut ready, &mut set, &mut running);
        loop {
            let joined = match cancel {
                Some(token) => tokio::select! {
                    biased;
                    () = token.cancelled() => {
                        // Aborting drops the stage futures, releasing any permits they hold.
                        set.shutdown().await;
                        return run.report(StageStatus::Cancelled);
                    }
                    j = set.join_next_with_id() => j,
                },
                None => set.join_next_with_id().await,
            };
            let Some(joined) = joined else { break };
            let (i, result) = match joined {
                Ok((id, r)) => (running.remove(&id).expect("spawned stage"), r),
                Err(e) => {
                    // Panics are caught inside the stage; this is a panic outside the agent.
                    let i = running.remove(&e.id()).expect("spawned stage");
                    let msg = if e.is_panic() {
                        "stage task panicked".into()
                    } else {
                        "stage task aborted".into()
                    };
                    (
                        i,
                        StageResult {
                            status: StageStatus::Panicked(msg),
                            attempts: 0,
                            elapsed: Duration::ZERO,
                            artifact: None,
                        },
                    )
                }
            };
            let ok = result.status == StageStatus::Succeeded;
            run.finish(i, result);
            if ok {
                for &d in &self.stages[i].dependents {
                    remaining[d] -= 1;
                    if remaining[d] == 0 && run.results[d].is_none() && run.deps_succeeded(d) {
                        ready.push(d);
                    }
                }
                spawn_ready(&run, &mut ready, &mut set, &mut running);
            }
        }
        run.report(StageStatus::Skipped)
    }

    /// Twin: stages of each topological level run in parallel under the semaphore, with a barrier
    /// between levels.
    pub async fn run_level_batched(&self, input: &str, limits: &Limits) -> PipelineReport {
        let mut run = Run::new(self, input);
        for level in &self.levels {
            let mut set = JoinSet::new();
            for &i in level {
                if run.results[i].is_none() && run.deps_succeeded(i) {
                    let fut = run.stage_future(i, Some(Arc::clone(&limits.semaphore)));
                    set.spawn(async move { (i, fut.await) });
                }
            }
            while let Some(j) = set.join_next().await {
                match j {
                    Ok((i, r)) => run.finish(i, r),
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
        }
        run.report(StageStatus::Skipped)
    }

    /// Twin: one stage at a time in topological order, no semaphore (the old hard-coded loop).
    pub async fn run_sequential(&self, input: &str) -> PipelineReport {
        let mut run = Run::new(self, input);
        for &i in self.levels.iter().flatten() {
            if run.results[i].is_none() && run.deps_succeeded(i) {
                let r = run.stage_future(i, None).await;
                run.finish(i, r);
            }
        }
        run.report(StageStatus::Skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::HashAgent;

    fn agent() -> Arc<dyn Agent> {
        Arc::new(HashAgent::new(1))
    }

    #[test]
    fn build_rejects_bad_dags_naming_the_stages() {
        let err = Pipeline::builder()
            .stage(StageSpec::new("a"), agent())
            .stage(StageSpec::new("a"), agent())
            .build()
            .unwrap_err();
        assert_eq!(err, PipelineError::DuplicateStage("a".into()));
        let err = Pipeline::builder()
            .stage(StageSpec::new("a").deps(&["ghost"]), agent())
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "stage \"a\" depends on unknown stage \"ghost\""
        );
        let err = Pipeline::builder()
            .stage(StageSpec::new("root"), agent())
            .stage(StageSpec::new("a").deps(&["root", "c"]), agent())
            .stage(StageSpec::new("b").deps(&["a"]), agent())
            .stage(StageSpec::new("c").deps(&["b"]), agent())
            .build()
            .unwrap_err();
        let PipelineError::Cycle(cycle) = &err else {
            panic!("{err}")
        };
        assert_eq!(cycle.len(), 4, "{err}");
        assert_eq!(cycle.first(), cycle.last());
        let mut members = cycle[..3].to_vec();
        members.sort();
        assert_eq!(members, ["a", "b", "c"]);
        assert!(err.to_string().starts_with("dependency cycle: "));
        let err = Pipeline::builder()
            .stage(StageSpec::new("x").deps(&["x"]), agent())
            .build()
            .unwrap_err();
        assert_eq!(err, PipelineError::Cycle(vec!["x".into(), "x".into()]));
    }

    #[test]
    fn levels_follow_dependencies() {
        let p = Pipeline::builder()
            .stage(StageSpec::new("c").deps(&["a", "b"]), agent())
            .stage(StageSpec::new("a"), agent())
            .stage(StageSpec::new("b").deps(&["a"]), agent())
            .build()
            .unwrap();
        assert_eq!(p.levels(), vec![vec!["a"], vec!["b"], vec!["c"]]);
        assert_eq!(p.len(), 3);
        assert!(Pipeline::builder().build().unwrap().is_empty());
    }
}
