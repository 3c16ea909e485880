//! `EpochStore<T>`: the crossbeam-epoch twin of [`SnapshotStore`](super::SnapshotStore).
//!
//! The current snapshot is a heap allocation behind a `crossbeam_epoch::Atomic`. Readers pin the
//! epoch (a thread-local counter update, no shared writes in the common case) and dereference the
//! pointer; a commit swaps in a new allocation with a compare-exchange and defers freeing the old
//! one until every thread that could still see it has unpinned.
//!
//! This is the only module of a ggen library crate that uses `unsafe`: crossbeam-epoch exposes no
//! safe way to dereference a `Shared` or to schedule its destruction. Each block states why it is
//! sound. The crate is `#![deny(unsafe_code)]` and this module alone opts out.
//!
//! Ordering: loads are `Acquire` and pair with the `AcqRel` compare-exchange that published the
//! snapshot, so a reader sees the fully initialised value.
#![allow(unsafe_code)]

use std::sync::atomic::Ordering;

use crossbeam_epoch::{self as epoch, Atomic, Owned};

use super::{CommitConflict, Snapshot, SnapshotRead, SnapshotWrite, Version};

/// A snapshot behind a crossbeam-epoch atomic pointer.
#[derive(Debug)]
pub struct EpochStore<T> {
    current: Atomic<Snapshot<T>>,
}

impl<T> EpochStore<T> {
    /// A store holding `value` as version 0.
    pub fn new(value: T) -> Self {
        Self {
            current: Atomic::new(Snapshot { version: 0, value }),
        }
    }
}

impl<T> SnapshotRead<T> for EpochStore<T> {
    fn read<R>(&self, f: impl FnOnce(&Snapshot<T>) -> R) -> R {
        let guard = epoch::pin();
        let shared = self.current.load(Ordering::Acquire, &guard);
        // SAFETY: `current` is never null (set in `new`, only replaced by non-null pointers in
        // `commit_at`, nulled only in `drop` which has `&mut self`). The pointee is freed only by
        // `defer_destroy`, which waits until every guard pinned before the swap — including
        // `guard`, alive for this whole call — is dropped.
        let snapshot = unsafe { shared.deref() };
        f(snapshot)
    }
}

impl<T: Send + Sync> SnapshotWrite<T> for EpochStore<T> {
    fn commit_at(&self, base: Version, next: T) -> Result<Version, CommitConflict> {
        let guard = epoch::pin();
        let current = self.current.load(Ordering::Acquire, &guard);
        // SAFETY: as in `read`: non-null, and protected by `guard` for the rest of this call.
        let current_version = unsafe { current.deref() }.version;
        if current_version != base {
            return Err(CommitConflict {
                base,
                current: current_version,
            });
        }
        let version = base + 1;
        let new = Owned::new(Snapshot {
            version,
            value: next,
        });
        match self.current.compare_exchange(
            current,
            new,
            Ordering::AcqRel,
            Ordering::Acquire,
            &guard,
        ) {
            Ok(_) => {
                // SAFETY: the swap unlinked `current`, so no new reader can reach it; readers that
                // already hold it are pinned, and `defer_destroy` waits for them. It is destroyed
                // exactly once: only the winner of this compare-exchange unlinks it. `T: Send`
                // because another thread may run the destructor.
                unsafe { guard.defer_destroy(current) };
                Ok(version)
            }
            Err(e) => {
                // SAFETY: `e.current` is the non-null pointer now installed, protected by `guard`.
                let now = unsafe { e.current.deref() }.version;
                Err(CommitConflict { base, current: now })
            }
        }
    }
}

impl<T> Drop for EpochStore<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no other thread can access `current` any more, so the
        // unprotected guard is sound, and the pointer (never null) is owned solely by us.
        // Snapshots replaced earlier were handed to `defer_destroy` and are not touched here.
        unsafe {
            let guard = epoch::unprotected();
            let p = self.current.load(Ordering::Relaxed, guard);
            drop(p.into_owned());
        }
    }
}
