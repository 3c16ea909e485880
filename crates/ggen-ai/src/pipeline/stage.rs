//! One stage of a run: attempts under a permit, per-attempt timeout, retries with exponential
//! backoff, and a panic in the agent captured as a status instead of unwinding the run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::limits::Gate;
use super::{Stage, StageStatus};
use crate::agent::{AgentError, AgentFuture, StageInput};
use crate::artifact::Artifact;

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

pub(super) struct StageResult {
    pub(super) status: StageStatus,
    pub(super) attempts: u32,
    pub(super) elapsed: Duration,
    pub(super) artifact: Option<Arc<Artifact>>,
}

/// Runs one stage: attempts, permits (none with no `gate`: the caller holds one, or none is
/// needed), timeouts, retries with backoff, panic capture.
pub(super) async fn run_stage(
    stages: Arc<Vec<Stage>>,
    idx: usize,
    input: Arc<str>,
    deps: Vec<Arc<Artifact>>,
    gate: Option<Gate>,
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
    let attempts_allowed = stage.spec.retries.saturating_add(1);
    // What the last attempt gave: every attempt sets it or returns, and there is at least one,
    // so this first value is never reported (it costs no allocation, unlike a message).
    let mut status = StageStatus::TimedOut;
    for attempt in 1..=attempts_allowed {
        stage_input.attempt = attempt;
        let permit = match &gate {
            // Borrowed from the future's own `Arc`: no reference-count traffic on the semaphore
            // that every pipeline of a swarm shares.
            Some(g) => match g.acquire().await {
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
                // One clock read for both figures.
                let end = Instant::now();
                artifact.run_offset_ms =
                    end.saturating_duration_since(run_start).as_millis() as u64;
                return StageResult {
                    status: StageStatus::Succeeded,
                    attempts: attempt,
                    elapsed: end.saturating_duration_since(ready),
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
