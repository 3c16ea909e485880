//! The permits a run's stages share (a fair `tokio::sync::Semaphore`, fresh or shared), and
//! which stages the ready-driven engine runs on its driving task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The permits a run's stages share.
#[derive(Debug, Clone)]
pub struct Limits {
    pub(super) semaphore: Arc<Semaphore>,
    permits: usize,
    pub(super) inline_below: Duration,
}

impl Limits {
    /// A fresh semaphore with `permits` permits (at least 1).
    pub fn new(permits: usize) -> Self {
        let permits = permits.max(1);
        Self {
            semaphore: Arc::new(Semaphore::new(permits)),
            permits,
            inline_below: super::INLINE_BELOW,
        }
    }

    /// Uses an existing semaphore (e.g. one shared by a swarm) that has `permits` permits in all.
    pub fn shared(semaphore: Arc<Semaphore>, permits: usize) -> Self {
        Self {
            semaphore,
            permits,
            inline_below: super::INLINE_BELOW,
        }
    }

    /// Stages whose last successful run took less than `threshold` count as short: when only
    /// short stages are ready and none is running, [`Pipeline::run`](super::Pipeline::run)
    /// polls them on its driving task one after the other instead of spawning them. The default
    /// is [`INLINE_BELOW`](super::INLINE_BELOW). `Duration::ZERO` makes no stage short (every
    /// ready stage is spawned when more than one is ready) and `Duration::MAX` makes every stage
    /// short; either makes the engine's choice independent of how long stages took, e.g. for
    /// counting its instructions.
    pub fn inline_below(mut self, threshold: Duration) -> Self {
        self.inline_below = threshold;
        self
    }

    /// The threshold set by [`inline_below`](Self::inline_below).
    pub fn inline_threshold(&self) -> Duration {
        self.inline_below
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
