//! Seeded workload generators. Each emits plain descriptions (integers, strings, index pairs) that
//! a suite converts into its own crate's types; the same spec and seed always give the same
//! workload (see [`crate::rng`]).

pub mod dags;
pub mod packs;
pub mod proposals;
pub mod tasks;
