//! Shared harness helpers and seeded workload generators for every ggen bench suite.
//!
//! Invariant: this crate depends on no ggen crate. Generators emit plain workload descriptions
//! (ids, names, version triples, key sets, DAG edges); each crate's bench turns them into its own
//! types, so a change in a ggen crate can never change what a workload *is*.
//!
//! - [`workload`]: seeded workload generators (proposals, task streams, DAGs, payloads, packs).
//! - [`harness`]: each bench defined once, served to Criterion and to the instruction counter.
//! - [`config`]: [`criterion_config`] and the `GGEN_BENCH_PROFILE=quick|full` profiles.
//! - [`alloc`]: a counting global allocator, allocation scopes and a Criterion
//!   [`Measurement`](criterion::measurement::Measurement) in bytes allocated.
//! - [`rng`]: a seeded RNG whose streams are stable across crate versions.
//! - [`side`]: side files telling `cargo xtask bench` a bench's unit and per-operation latency.

pub mod alloc;
pub mod config;
pub mod harness;
pub mod rng;
pub mod side;
pub mod workload;

pub use config::{Profile, criterion_config};

// The unit tests exercise the counting allocator, so the test binary installs it.
#[cfg(test)]
install_counting_allocator!();
