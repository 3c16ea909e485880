//! The permits a run's stages share: a fair `tokio::sync::Semaphore`, fresh or shared.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// The permits a run's stages share.
#[derive(Debug, Clone)]
pub struct Limits {
    pub(super) semaphore: Arc<Semaphore>,
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
