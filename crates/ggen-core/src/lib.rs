//! ggen-core: the process-wide async runtime and the hive of ontology packs.
//!
//! - [`runtime`]: one lazily created multi-thread tokio runtime shared by the whole process,
//!   with [`runtime::execute`] for synchronous callers, nested-call handling and slow-operation
//!   telemetry.
//! - [`hive`]: ontology packs with semver, conflict detection, agents, consensus and the
//!   [`hive::queen::HiveQueen`] that resolves packs into one configuration.
//! - `baseline` (`twins` feature, on for the crate's tests and benches): the old design (a new
//!   runtime per call), kept only as a comparison twin for the `runtime_overhead` bench suite.
#![forbid(unsafe_code)]

#[cfg(feature = "twins")]
pub mod baseline;
pub mod hive;
pub mod runtime;
