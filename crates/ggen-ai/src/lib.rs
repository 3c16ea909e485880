//! DAG pipelines of async agent stages for the ggen swarm.
//!
//! Planned modules (see `docs/ARCHITECTURE.md` and `../shared/DESIGN.md`, section ggen-ai):
//!
//! - `pipeline`: a validated DAG of stages, run ready-driven under a `tokio::sync::Semaphore`,
//!   with per-stage timeouts, retries, panic capture and a `PipelineReport`.
//! - `swarm`: many pipelines sharing one semaphore on the global runtime.
//! - `agent`: the object-safe `Agent` trait and deterministic built-in agents.
//! - `artifact`: the serde `Artifact` type stages exchange.
//!
//! Today the crate holds only the [`artifact`] type every later module builds on.
#![forbid(unsafe_code)]

pub mod artifact;
