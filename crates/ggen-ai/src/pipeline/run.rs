//! The ready-driven engine ([`Pipeline::run`]) and the bookkeeping all three drivers share.
//!
//! Ready stages wait in ggen-domain's `PriorityScheduler` (a FIFO lane per stage priority, with
//! its starvation bound). When exactly one stage can run and none is running, the engine polls it
//! on the driving task instead of spawning it: a spawn→join hand-off costs a cross-thread wake-up
//! (tens of µs on the 2-core reference VM) and buys no parallelism then. Independent stages are
//! still spawned and run in parallel under the semaphore, unless every ready stage is short: a
//! stage whose last successful run took less than [`INLINE_BELOW`] is polled on the driving task
//! too, one after the other. A hand-off to another worker costs about as much as such a stage,
//! and it made one agent of the sustained swarm hop between the runtime's workers once per
//! pipeline (the second of two spawned stages wakes a parked worker, which steals the first):
//! per operation 1.7–2.0 µs between fresh processes instead of 1.1 µs on one CPU
//! (docs/BENCHMARKS.md, "Claims").

use ggen_domain::hash::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ggen_domain::schedule::{PriorityScheduler, Scheduler};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::limits::Gate;
use super::stage::{StageResult, run_stage};
use super::{Limits, Pipeline, PipelineReport, StageOutcome, StageStatus};
use std::sync::atomic::Ordering;

/// A stage whose last successful run took less than this is short: when only short stages are
/// ready and none is running, they run on the driving task, one after the other, instead of
/// being spawned (a cross-thread hand-off costs about this much). The default of
/// [`Limits::inline_below`].
pub const INLINE_BELOW: Duration = Duration::from_micros(20);
use crate::artifact::Artifact;

/// Bookkeeping shared by the three drivers.
pub(super) struct Run<'p> {
    pipeline: &'p Pipeline,
    input: Arc<str>,
    start: Instant,
    pub(super) results: Vec<Option<StageResult>>,
}

impl<'p> Run<'p> {
    pub(super) fn new(pipeline: &'p Pipeline, input: &str) -> Self {
        Self {
            pipeline,
            input: Arc::from(input),
            start: Instant::now(),
            results: (0..pipeline.stages.len()).map(|_| None).collect(),
        }
    }

    pub(super) fn deps_succeeded(&self, i: usize) -> bool {
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

    pub(super) fn stage_future(
        &self,
        i: usize,
        gate: Option<Gate>,
    ) -> impl Future<Output = StageResult> + Send + 'static {
        run_stage(
            Arc::clone(&self.pipeline.stages),
            i,
            Arc::clone(&self.input),
            self.dep_artifacts(i),
            gate,
            self.start,
        )
    }

    /// Records a result; if the stage did not succeed, marks its unfinished descendants Skipped.
    pub(super) fn finish(&mut self, i: usize, r: StageResult) {
        let failed = r.status != StageStatus::Succeeded;
        if !failed {
            let ns = u64::try_from(r.elapsed.as_nanos()).unwrap_or(u64::MAX - 1);
            // Relaxed: a hint for later runs' choice of where to poll a stage, nothing more.
            self.pipeline.stages[i].last_ns.store(ns, Ordering::Relaxed);
        }
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

    pub(super) fn report(self, unfinished: StageStatus) -> PipelineReport {
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
                StageOutcome {
                    name: Arc::clone(&s.name),
                    status: r.status,
                    attempts: r.attempts,
                    elapsed: r.elapsed,
                    artifact: r.artifact,
                }
            })
            .collect();
        PipelineReport {
            stages,
            elapsed: self.start.elapsed(),
        }
    }
}

impl Pipeline {
    /// Runs the pipeline ready-driven (see the module docs). Must be called inside a tokio runtime.
    pub async fn run(&self, input: &str, limits: &Limits) -> PipelineReport {
        self.drive(input, limits, None).await
    }

    /// Like [`run`](Self::run), stopping early when `cancel` is cancelled.
    pub async fn run_cancellable(
        &self,
        input: &str,
        limits: &Limits,
        cancel: &CancellationToken,
    ) -> PipelineReport {
        self.drive(input, limits, Some(cancel)).await
    }

    async fn drive(
        &self,
        input: &str,
        limits: &Limits,
        cancel: Option<&CancellationToken>,
    ) -> PipelineReport {
        let mut run = Run::new(self, input);
        if cancel.is_some_and(CancellationToken::is_cancelled) {
            // Cancelled before it started: attempt nothing.
            return run.report(StageStatus::Cancelled);
        }
        let mut remaining: Vec<usize> = self.stages.iter().map(|s| s.deps.len()).collect();
        let mut set: JoinSet<StageResult> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::default();
        // The ready queue: one FIFO lane per stage priority, with the scheduler's starvation bound.
        let mut ready: PriorityScheduler<usize> = PriorityScheduler::new();
        // Ready stages not known to be short (see `INLINE_BELOW`), and which ones were counted
        // so: a stage is judged once, when it becomes ready (another run of this pipeline may
        // update its last time meanwhile).
        let mut long_ready = 0usize;
        let mut counted_long = vec![false; self.stages.len()];
        let make_ready = |ready: &mut PriorityScheduler<usize>,
                          long: &mut usize,
                          counted_long: &mut [bool],
                          i: usize| {
            let short = u128::from(self.stages[i].last_ns.load(Ordering::Relaxed))
                < limits.inline_below.as_nanos();
            counted_long[i] = !short;
            *long += usize::from(!short);
            ready.push(self.stages[i].spec.priority, i);
        };
        for i in (0..self.stages.len()).filter(|&i| remaining[i] == 0) {
            make_ready(&mut ready, &mut long_ready, &mut counted_long, i);
        }
        let gate = || Some(limits.gate());
        // One permit kept across the stages polled here one after another, while nobody waits
        // for one: a take and a give-back of the shared semaphore per run instead of per stage.
        let mut kept = None;
        loop {
            let (i, result) =
                if set.is_empty() && (ready.len() == 1 || (ready.len() > 1 && long_ready == 0)) {
                    // The only stage that can run, or one of several short ones: poll it here, on the
                    // driving task. Spawning it would cost a cross-thread wake-up and gain nothing.
                    let i = ready.pop().expect("a stage is ready");
                    long_ready -= usize::from(counted_long[i]);
                    let spec = &self.stages[i].spec;
                    if limits.wanted() || (spec.retries > 0 && !spec.backoff.is_zero()) {
                        // A waiter gets it now; a stage that may back off takes a permit per
                        // attempt (none is held while backing off).
                        kept = None;
                    } else if kept.is_none() {
                        kept = limits.try_keep();
                    }
                    if kept.is_some() {
                        // The acquire this stage skips took one unit of the task's cooperative
                        // budget, and so does this: a task running run after run on a kept permit
                        // must still yield now and then, or tasks queued behind it never run
                        // (16 agents on 2 workers: 5 to 10 of the loops committed nothing).
                        tokio::task::coop::consume_budget().await;
                    }
                    let stage = run.stage_future(i, if kept.is_some() { None } else { gate() });
                    let result = match cancel {
                        Some(token) => tokio::select! {
                            biased;
                            // Dropping the stage future releases any permit it holds.
                            () = token.cancelled() => return run.report(StageStatus::Cancelled),
                            r = stage => r,
                        },
                        None => stage.await,
                    };
                    (i, result)
                } else {
                    // Spawned stages take permits of their own.
                    kept = None;
                    long_ready = 0;
                    while let Some(i) = ready.pop() {
                        let handle = set.spawn(run.stage_future(i, gate()));
                        running.insert(handle.id(), i);
                    }
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
                    match joined {
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
                    }
                };
            let ok = result.status == StageStatus::Succeeded;
            run.finish(i, result);
            if ok {
                for &d in &self.stages[i].dependents {
                    remaining[d] -= 1;
                    if remaining[d] == 0 && run.results[d].is_none() && run.deps_succeeded(d) {
                        make_ready(&mut ready, &mut long_ready, &mut counted_long, d);
                    }
                }
            }
        }
        run.report(StageStatus::Skipped)
    }
}
