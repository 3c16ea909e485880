//! The contracts between the bench suites and `cargo xtask`, in one place.
//!
//! The suites (through `benches-common`) write these formats and the xtask reads them; both depend
//! on this crate, so a field, a unit or a profile name has exactly one definition. It depends only
//! on serde and on no ggen crate (neither benches-common nor xtask may depend on one).
//!
//! - [`side`]: the `ggen-side.json` side file: [`Unit`], [`Latency`], [`SideFile`].
//! - [`profile`]: the `GGEN_BENCH_PROFILE=quick|full` names.
//! - [`harness`]: how the xtask asks a bench binary for its counted workloads (plan and count
//!   modes, the measured symbol callgrind toggles on).
//! - [`splitmix`]: SplitMix64, the small seedable generator used to expand seeds and to resample.

#![forbid(unsafe_code)]

pub mod harness;
pub mod profile;
pub mod serve;
pub mod side;
pub mod splitmix;

pub use profile::{PROFILE_ENV, Profile, UnknownProfile};
pub use side::{Latency, SIDE_FILE, SIDE_SCHEMA, SideFile, Unit};
pub use splitmix::SplitMix64;
