//! ggen-core: the process-wide async runtime and (in a later issue) the hive of ontology packs.
//!
//! - [`runtime`]: one lazily created multi-thread tokio runtime shared by the whole process,
//!   with [`runtime::execute`] for synchronous callers, nested-call handling and slow-operation
//!   telemetry.
//! - [`baseline`]: the old design (a new runtime per call), kept only as a comparison twin for
//!   the `runtime_overhead` bench suite.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod runtime;
