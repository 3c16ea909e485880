//! Lock-free primitives for the ggen swarm.
//!
//! - [`snapshot`]: versioned snapshots with optimistic commits (arc-swap), and comparison twins.
//! - [`proposal`]: agent proposals with read/write key sets, and conflict detection.
//! - [`schedule`]: priority scheduling with bounded starvation.
//! - [`hash`]: FNV-1a, the one seedless hash of bytes.
//!
//! The locks and the atomic pointer these are built on come from one seam (`sync.rs`), so that
//! `tests/loom.rs`, compiled with `--cfg ggen_loom`, checks the store and the shared scheduler
//! under every interleaving of small models.
//!
//! This crate knows nothing of runtimes, packs or pipelines: it is the bottom layer
//! (domain ← core ← ai).
//!
//! Comparison twins (`EpochStore`, `LockedStore`, `HeapScheduler`, `NaiveScheduler`) exist only
//! with the `twins` feature, which the crate's own tests and benches enable. Without it the crate
//! forbids `unsafe` code; with it, the one exception is the crossbeam-epoch twin
//! (`snapshot::EpochStore`), whose pointer dereferences crossbeam-epoch offers only as `unsafe`.
#![cfg_attr(not(feature = "twins"), forbid(unsafe_code))]
#![cfg_attr(feature = "twins", deny(unsafe_code))]

pub mod hash;
pub mod proposal;
pub mod schedule;
pub mod snapshot;
mod sync;
