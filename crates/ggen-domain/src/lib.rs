//! Lock-free primitives for the ggen swarm.
//!
//! - [`snapshot`]: versioned snapshots with optimistic commits (arc-swap), and comparison twins.
//! - [`proposal`]: agent proposals with read/write key sets, and conflict detection.
//! - [`schedule`]: priority scheduling with bounded starvation.
//!
//! This crate knows nothing of runtimes, packs or pipelines: it is the bottom layer
//! (domain ← core ← ai).
#![forbid(unsafe_code)]

pub mod proposal;
pub mod schedule;
pub mod snapshot;
