//! Lock-free primitives for the ggen swarm.
//!
//! - [`snapshot`]: versioned snapshots with optimistic commits (arc-swap), and comparison twins.
//! - [`proposal`]: agent proposals with read/write key sets, and conflict detection.
//! - [`schedule`]: priority scheduling with bounded starvation.
//! - [`hash`]: FNV-1a, the one seedless hash of bytes.
//!
//! This crate knows nothing of runtimes, packs or pipelines: it is the bottom layer
//! (domain ← core ← ai).
//!
//! Unsafe code: denied crate-wide; the one exception is the crossbeam-epoch twin
//! (`snapshot::EpochStore`), whose pointer dereferences crossbeam-epoch offers only as `unsafe`.
#![deny(unsafe_code)]

pub mod hash;
pub mod proposal;
pub mod schedule;
pub mod snapshot;
