//! A swarm: many pipelines running concurrently on the process-wide runtime, sharing one
//! semaphore (clones of one [`Limits`]), so that the whole swarm never runs more agents at once
//! than it has permits.
//!
//! Permits are held while an agent runs, or by a run between its short stages while no other
//! stage of the swarm waits (see [`crate::pipeline`]); a panicking, timed-out,
//! failed or cancelled stage releases its permit when its attempt ends or is dropped, so after every
//! run [`Swarm::available`] is back to [`Swarm::permits`] (tested for each fault path).

use std::sync::Arc;

use ggen_core::runtime::{self, RuntimeError};

use crate::pipeline::{CancellationToken, Limits, Pipeline, PipelineReport};

/// Pipelines sharing one semaphore.
#[derive(Debug, Clone)]
pub struct Swarm {
    limits: Limits,
}

/// One pipeline run in a swarm: the pipeline and its input.
pub type Job = (Arc<Pipeline>, String);

impl Swarm {
    /// A swarm whose pipelines together run at most `permits` agents at once (at least 1).
    pub fn new(permits: usize) -> Self {
        let permits = permits.max(1);
        Self {
            limits: Limits::new(permits),
        }
    }

    /// The shared limits (to run more pipelines under the same semaphore).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Total permits.
    pub fn permits(&self) -> usize {
        self.limits.permits()
    }

    /// Permits not held right now.
    pub fn available(&self) -> usize {
        self.limits.available()
    }

    /// Runs every job concurrently (one task each) and returns their reports in job order.
    /// Must be called inside a tokio runtime.
    pub async fn run(&self, jobs: Vec<Job>) -> Vec<PipelineReport> {
        self.run_inner(jobs, None).await
    }

    /// Like [`run`](Self::run); cancelling `cancel` cancels every pipeline.
    pub async fn run_cancellable(
        &self,
        jobs: Vec<Job>,
        cancel: &CancellationToken,
    ) -> Vec<PipelineReport> {
        self.run_inner(jobs, Some(cancel.clone())).await
    }

    async fn run_inner(
        &self,
        jobs: Vec<Job>,
        cancel: Option<CancellationToken>,
    ) -> Vec<PipelineReport> {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(pipeline, input)| {
                let limits = self.limits.clone();
                let cancel = cancel.clone();
                tokio::spawn(async move {
                    match cancel {
                        Some(c) => pipeline.run_cancellable(&input, &limits, &c).await,
                        None => pipeline.run(&input, &limits).await,
                    }
                })
            })
            .collect();
        let mut reports = Vec::with_capacity(handles.len());
        for h in handles {
            match h.await {
                Ok(r) => reports.push(r),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        reports
    }

    /// Runs the jobs on the process-wide ggen runtime from synchronous code.
    pub fn run_blocking(&self, jobs: Vec<Job>) -> Result<Vec<PipelineReport>, RuntimeError> {
        runtime::execute(self.run(jobs))
    }
}
