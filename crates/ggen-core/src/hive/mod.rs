//! The hive: resolving a set of ontology packs into one configuration by a council of agents.
//!
//! - [`pack`]: packs with real semver versions and requirements; validated JSON loading.
//! - [`conflict`]: conflict kinds and two detectors (pairwise twin, indexed).
//! - [`agent`]: the six agent roles, their votes, and consensus.
//! - [`queen`]: [`queen::HiveQueen::orchestrate`] — spawn → analyse → detect → resolve → vote →
//!   validate, with per-phase timings.

pub mod agent;
pub mod conflict;
pub mod pack;
pub mod queen;
