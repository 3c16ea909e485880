//! `LockedStore<T>`: the `RwLock` twin of [`SnapshotStore`](super::SnapshotStore).
//!
//! Readers share a read lock; a commit takes the write lock, checks the version and replaces the
//! snapshot. Uncontended reads cost about as much as an `ArcSwap::load`, but every read writes the
//! lock's shared reader count, so concurrent readers contend on one cache line; under a steady
//! writer the lock can beat arc-swap (see the module docs of `snapshot`).

use std::sync::{Arc, RwLock};

use super::{CommitConflict, Snapshot, SnapshotRead, SnapshotWrite, Version};

/// A snapshot behind a `std::sync::RwLock`.
#[derive(Debug)]
pub struct LockedStore<T> {
    current: RwLock<Arc<Snapshot<T>>>,
}

impl<T> LockedStore<T> {
    /// A store holding `value` as version 0.
    pub fn new(value: T) -> Self {
        Self {
            current: RwLock::new(Arc::new(Snapshot { version: 0, value })),
        }
    }
}

impl<T> SnapshotRead<T> for LockedStore<T> {
    fn read<R>(&self, f: impl FnOnce(&Snapshot<T>) -> R) -> R {
        // A poisoned lock still holds a whole snapshot: commits replace the Arc in one store.
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }
}

impl<T> SnapshotWrite<T> for LockedStore<T> {
    fn commit_at(&self, base: Version, next: T) -> Result<Version, CommitConflict> {
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        if guard.version != base {
            return Err(CommitConflict {
                base,
                current: guard.version,
            });
        }
        let version = base + 1;
        *guard = Arc::new(Snapshot {
            version,
            value: next,
        });
        Ok(version)
    }
}
