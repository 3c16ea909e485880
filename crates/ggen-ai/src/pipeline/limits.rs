//! The permits a run's stages share (a fair `tokio::sync::Semaphore`, fresh or shared), how a
//! stage takes one ([`Gate`]), when a run may keep one across short stages, and which stages the
//! ready-driven engine runs on its driving task.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{AcquireError, Semaphore, SemaphorePermit, TryAcquireError};

/// The permits a run's stages share.
#[derive(Debug, Clone)]
pub struct Limits {
    semaphore: Arc<Semaphore>,
    permits: usize,
    pub(super) inline_below: Duration,
    /// Stages of runs under these limits (or their clones) waiting for a permit — `None` for
    /// [`Limits::shared`], whose semaphore others may wait on unseen. Where it is known, a run
    /// may keep a permit across the short stages it polls one after another
    /// ([`try_keep`](Self::try_keep)), and hands it back as soon as someone waits.
    waiting: Option<Arc<Waiting>>,
}

/// How many stages wait for a permit, on cache lines of its own: every run keeping a permit
/// reads it at each stage boundary, and only a waiter writes it, so while nobody waits the
/// reads stay in each CPU's cache.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Waiting(AtomicUsize);

/// Counts one waiter until dropped (also when the waiting future is dropped).
struct Counted<'a>(&'a Waiting);

impl Waiting {
    fn enter(&self) -> Counted<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Counted(self)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stage's way to a permit: the semaphore, and the count of waiters to keep up to date.
#[derive(Debug)]
pub(super) struct Gate {
    semaphore: Arc<Semaphore>,
    waiting: Option<Arc<Waiting>>,
}

impl Gate {
    /// Takes a permit: a free one at once, else waits in the semaphore's (fair, FIFO) queue,
    /// counted as waiting meanwhile. Errs only if the semaphore was closed. Either way it takes
    /// one unit of the task's cooperative budget first, as the semaphore's own acquire does, so
    /// a task taking free permit after free permit still yields now and then.
    pub(super) async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        tokio::task::coop::consume_budget().await;
        match self.semaphore.try_acquire() {
            Ok(permit) => return Ok(permit),
            Err(TryAcquireError::Closed) => return self.semaphore.acquire().await,
            Err(TryAcquireError::NoPermits) => {}
        }
        let _counted = self.waiting.as_deref().map(Waiting::enter);
        self.semaphore.acquire().await
    }
}

impl Limits {
    /// A fresh semaphore with `permits` permits (at least 1).
    pub fn new(permits: usize) -> Self {
        let permits = permits.max(1);
        Self {
            semaphore: Arc::new(Semaphore::new(permits)),
            permits,
            inline_below: super::INLINE_BELOW,
            waiting: Some(Arc::default()),
        }
    }

    /// Uses an existing semaphore that has `permits` permits in all. Others may acquire it
    /// unseen, so runs under these limits never keep a permit across stages: every attempt
    /// takes its own. (To bound several pipelines together, share clones of one [`Limits`], as
    /// [`crate::swarm::Swarm`] does.)
    pub fn shared(semaphore: Arc<Semaphore>, permits: usize) -> Self {
        Self {
            semaphore,
            permits,
            inline_below: super::INLINE_BELOW,
            waiting: None,
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

    /// How a stage takes its permit.
    pub(super) fn gate(&self) -> Gate {
        Gate {
            semaphore: Arc::clone(&self.semaphore),
            waiting: self.waiting.clone(),
        }
    }

    /// A permit for a run to keep across the short stages it polls one after another, if one is
    /// free right now and every waiter would be seen ([`wanted`](Self::wanted)). Free permits
    /// mean nobody waits: the semaphore hands released permits to its waiters first.
    pub(super) fn try_keep(&self) -> Option<SemaphorePermit<'_>> {
        self.waiting.as_ref()?;
        self.semaphore.try_acquire().ok()
    }

    /// Whether a stage waits for a permit: a run keeping one gives it back at its next stage
    /// boundary. (A relaxed load: a waiter that has just arrived is seen at the boundary after,
    /// or when the run ends — a stage later at most.)
    pub(super) fn wanted(&self) -> bool {
        self.waiting
            .as_ref()
            .is_some_and(|w| w.0.load(Ordering::Relaxed) > 0)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::Poll;

    use tokio::sync::Semaphore;

    use super::Limits;

    #[test]
    fn a_waiter_is_counted_while_it_waits_and_only_then() {
        let limits = Limits::new(1);
        let kept = limits.try_keep().expect("a free permit");
        assert!(limits.try_keep().is_none(), "none left to keep");
        assert!(!limits.wanted(), "nobody waits yet");
        let gate = limits.gate();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut cancelled = Box::pin(gate.acquire());
            let polled =
                std::future::poll_fn(|cx| Poll::Ready(cancelled.as_mut().poll(cx).is_ready()));
            assert!(!polled.await, "no permit is free");
            assert!(limits.wanted(), "a waiting stage is seen");
            drop(cancelled);
            assert!(
                !limits.wanted(),
                "a dropped (cancelled) waiter stops counting"
            );

            let mut waiter = Box::pin(gate.acquire());
            let polled =
                std::future::poll_fn(|cx| Poll::Ready(waiter.as_mut().poll(cx).is_ready()));
            assert!(!polled.await, "still no permit is free");
            assert!(limits.wanted());
            drop(kept);
            let permit = waiter.await.expect("the released permit");
            assert!(
                !limits.wanted(),
                "a waiter that got its permit stops counting"
            );
            drop(permit);
        });
        assert_eq!(limits.available(), 1);
    }

    #[test]
    fn limits_over_a_shared_semaphore_never_keep_a_permit() {
        // Others may wait on that semaphore unseen, so a run must not keep one across stages.
        let shared = Limits::shared(Arc::new(Semaphore::new(2)), 2);
        assert!(shared.try_keep().is_none());
        assert!(!shared.wanted());
        assert_eq!(shared.available(), 2);
        assert!(Limits::new(2).try_keep().is_some());
    }
}
