//! The side file: what a suite knows about a bench that Criterion's own files do not say.
//!
//! Criterion records numbers but not what they *are*: a bench measured in allocated bytes stores
//! bytes where a timing bench stores nanoseconds, and per-operation latency percentiles need their
//! own samples. A suite writes one `ggen-side.json` next to Criterion's directory for that bench:
//!
//! ```text
//! <criterion home>/<group>/<function>/<parameter>/ggen-side.json
//! {"schema":1,"id":"suite/group/function/parameter","unit":"bytes"}
//! {"schema":1,"id":"...","unit":"ns","records_latency":true,"latency_ns":{"count":..,"min":..,"p50":..,"p95":..,"p99":..,"max":..}}
//! {"schema":1,"id":"...","unit":"ns","counters":{"retries_per_commit":0.42}}
//! ```
//!
//! `unit` is `"ns"` (wall time, the default when no side file exists) or `"bytes"`. The format is
//! versioned by `schema` ([`SIDE_SCHEMA`]); new fields are optional, so older files still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// File name of a side file.
pub const SIDE_FILE: &str = "ggen-side.json";

/// The side-file format version this crate writes and reads.
pub const SIDE_SCHEMA: u32 = 1;

/// What a bench's numbers measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Nanoseconds of wall time per iteration (Criterion's default).
    Ns,
    /// A size in bytes: allocated per iteration, a peak resident set, or a file size.
    Bytes,
}

/// Per-operation latency percentiles, in nanoseconds, of individually timed operations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Operations recorded.
    pub count: u64,
    /// Fastest operation.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest operation.
    pub max: u64,
}

impl Latency {
    /// Percentiles of `samples` (nanoseconds), nearest-rank. `None` for no samples.
    pub fn from_samples(samples: &mut [u64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let rank = |p: f64| {
            let n = samples.len();
            let idx = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
            samples[idx]
        };
        Some(Self {
            count: samples.len() as u64,
            min: samples[0],
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: samples[samples.len() - 1],
        })
    }
}

/// The content of one side file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideFile {
    /// Format version; currently 1.
    pub schema: u32,
    /// Full bench id, `suite/group/function/parameter`.
    pub id: String,
    /// What the bench's Criterion numbers measure.
    pub unit: Unit,
    /// Per-operation latency, when the suite timed single operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ns: Option<Latency>,
    /// Named figures the suite counted while measuring (e.g. retries per commit).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, f64>,
    /// The bench times single operations and records `latency_ns`. Set even when no operation was
    /// timed yet (a `--list` run), so the xtask can refuse a latency budget on a bench that never
    /// records latency before anything runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub records_latency: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut s: Vec<u64> = (1..=100).rev().collect();
        let l = Latency::from_samples(&mut s).unwrap();
        assert_eq!(
            (l.count, l.min, l.p50, l.p95, l.p99, l.max),
            (100, 1, 50, 95, 99, 100)
        );
        assert_eq!(Latency::from_samples(&mut []), None);
        let one = Latency::from_samples(&mut [7]).unwrap();
        assert_eq!((one.p50, one.p99), (7, 7));
    }

    #[test]
    fn optional_fields_are_left_out_and_default_when_absent() {
        let side = SideFile {
            schema: SIDE_SCHEMA,
            id: "s/g/f/1".into(),
            unit: Unit::Bytes,
            latency_ns: None,
            counters: BTreeMap::new(),
            records_latency: false,
        };
        let text = serde_json::to_string(&side).unwrap();
        assert_eq!(text, r#"{"schema":1,"id":"s/g/f/1","unit":"bytes"}"#);
        let back: SideFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back, side);
        let bad = serde_json::from_str::<SideFile>(r#"{"schema":1,"id":"x","unit":"parsecs"}"#);
        assert!(bad.is_err());
    }
}
