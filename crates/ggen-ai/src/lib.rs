//! DAG pipelines of async agent stages for the ggen swarm.
//!
//! - [`agent`]: the object-safe [`agent::Agent`] trait and deterministic built-in agents that do
//!   real work proportional to their input.
//! - [`pipeline`]: a validated DAG of stages, run ready-driven under a `tokio::sync::Semaphore`,
//!   with per-stage timeouts, retries, panic capture, cancellation and a
//!   [`pipeline::PipelineReport`]; sequential and level-batched twins for measurement.
//! - [`swarm`]: many pipelines sharing one semaphore on the process-wide runtime.
//! - [`artifact`]: the serde [`artifact::Artifact`] that stages produce.
//! - [`sustained`]: the composed swarm under load — agents reading the hive's published
//!   configuration and a shared snapshot, proposing, checked by the domain's conflict index.
//!
//! Layering: uses ggen-core (runtime, the hive's published configuration) and ggen-domain
//! (snapshots, proposals and conflict detection, the priority scheduler, hashing); knows nothing
//! of benches.
#![forbid(unsafe_code)]

pub mod agent;
pub mod artifact;
pub mod pipeline;
pub mod sustained;
pub mod swarm;
