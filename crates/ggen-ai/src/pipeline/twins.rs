//! The measurement twins of the ready-driven engine: level-batched (a barrier per topological
//! level) and sequential (one stage at a time, no semaphore: the old hard-coded loop).

use tokio::task::JoinSet;

use super::run::Run;
use super::{Limits, Pipeline, PipelineReport, StageStatus};

impl Pipeline {
    /// Twin: stages of each topological level run in parallel under the semaphore, with a barrier
    /// between levels.
    pub async fn run_level_batched(&self, input: &str, limits: &Limits) -> PipelineReport {
        let mut run = Run::new(self, input);
        for level in &self.levels {
            let mut set = JoinSet::new();
            for &i in level {
                if run.results[i].is_none() && run.deps_succeeded(i) {
                    let fut = run.stage_future(i, Some(limits.gate()));
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
