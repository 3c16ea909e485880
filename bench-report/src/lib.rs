//! The pure half of `cargo xtask`: from the files a run measured to its verdicts and its report.
//!
//! The xtask (the other half) starts processes: it builds and runs the bench suites, callgrind
//! and the paired engine, and parses the command line. Everything it then does with what they
//! measured lives here, so the crate graph guarantees that judging and rendering never start a
//! process (and the tidy test checks that no file here names `Command`). Its layers, bottom
//! first (docs/ARCHITECTURE.md, "xtask"; checked by `xtask/tests/tidy.rs`):
//!
//! - model: [`results`] (Criterion's files read and written, [`results::Bench`]), [`units`],
//!   [`catalog`] (which ids exist), [`claim`], [`stats`], [`load`] (other processes' CPU use),
//!   [`instructions`] (callgrind's outputs, counts and their comparison);
//! - judge: [`budgets`] (`budgets.toml` and its verdicts), [`changepoint`];
//! - report: [`report`] (one table model rendered to markdown and HTML, SVG, exports) and
//!   [`output`] (every file written last and atomically).

#![forbid(unsafe_code)]

pub mod budgets;
pub mod catalog;
pub mod changepoint;
pub mod claim;
pub mod instructions;
pub mod load;
pub mod output;
pub mod report;
pub mod results;
pub mod stats;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod units;
