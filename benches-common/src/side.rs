//! Side files: what a suite knows about a bench that Criterion's own files do not say.
//!
//! Criterion records numbers but not what they *are*: a bench measured with
//! [`AllocatedBytes`](crate::alloc::AllocatedBytes) stores bytes where a timing bench stores
//! nanoseconds, and per-operation latency percentiles need their own samples. A suite writes one
//! `ggen-side.json` next to Criterion's directory for that bench:
//!
//! ```text
//! <criterion home>/<group>/<function>/<parameter>/ggen-side.json
//! {"schema":1,"id":"suite/group/function/parameter","unit":"bytes"}
//! {"schema":1,"id":"...","unit":"ns","records_latency":true,"latency_ns":{"count":..,"min":..,"p50":..,"p95":..,"p99":..,"max":..}}
//! {"schema":1,"id":"...","unit":"ns","counters":{"retries_per_commit":0.42}}
//! ```
//!
//! `unit` is `"ns"` (wall time, the default when no side file exists) or `"bytes"`. `cargo xtask
//! bench` reads these files; the format is versioned by `schema`.
//!
//! The Criterion home is found as Criterion finds it: `$CRITERION_HOME`, else
//! `$CARGO_TARGET_DIR/criterion`, else `target/criterion` under the nearest ancestor of the current
//! directory that holds a `Cargo.lock` (the workspace root; cargo runs benches from the package
//! directory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name of a side file.
pub const SIDE_FILE: &str = "ggen-side.json";

/// What a bench's numbers measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Nanoseconds of wall time per iteration (Criterion's default).
    Ns,
    /// Bytes allocated per iteration.
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

/// Where Criterion writes (see the module docs for the search order).
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(&cwd)
        .join("target")
        .join("criterion")
}

/// Writes the side file for bench `suite/group/function/parameter` under `home`, atomically
/// (temporary file, then rename).
pub fn write_in(home: &Path, side: &SideFile) -> std::io::Result<PathBuf> {
    let parts: Vec<&str> = side.id.split('/').collect();
    if parts.len() != 4 || parts.iter().any(|p| p.is_empty()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "bench id {:?} is not suite/group/function/parameter",
                side.id
            ),
        ));
    }
    let dir = home.join(parts[1]).join(parts[2]).join(parts[3]);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(SIDE_FILE);
    let tmp = dir.join(format!(".{SIDE_FILE}.tmp"));
    let json = serde_json::to_vec_pretty(side).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Records that bench `id` measures `unit`, in the Criterion home. Failures are reported on
/// stderr, not fatal: a bench run should not die because a side file could not be written, and
/// the xtask reports the missing unit when it reads the results.
pub fn record_unit(id: &str, unit: Unit) {
    record(SideFile {
        schema: 1,
        id: id.to_owned(),
        unit,
        latency_ns: None,
        counters: BTreeMap::new(),
        records_latency: false,
    });
}

/// Records named counters for bench `id` (a wall-time bench).
pub fn record_counters(id: &str, counters: &[(&str, f64)]) {
    record(SideFile {
        schema: 1,
        id: id.to_owned(),
        unit: Unit::Ns,
        latency_ns: None,
        counters: counters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
        records_latency: false,
    });
}

/// Records per-operation latency samples (nanoseconds) for bench `id` (a wall-time bench).
pub fn record_latency(id: &str, samples: &mut [u64]) {
    let latency_ns = Latency::from_samples(samples);
    record(SideFile {
        schema: 1,
        id: id.to_owned(),
        unit: Unit::Ns,
        latency_ns,
        counters: BTreeMap::new(),
        records_latency: true,
    });
}

fn record(side: SideFile) {
    if let Err(e) = write_in(&criterion_home(), &side) {
        eprintln!("warning: could not write side file for {}: {e}", side.id);
    }
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
    fn side_files_round_trip_and_land_next_to_criterion_output() {
        let home = std::env::temp_dir().join(format!("ggen-side-test-{}", std::process::id()));
        let side = SideFile {
            schema: 1,
            id: "suite/grp/func/10".into(),
            unit: Unit::Bytes,
            latency_ns: None,
            counters: BTreeMap::new(),
            records_latency: false,
        };
        let path = write_in(&home, &side).unwrap();
        assert_eq!(path, home.join("grp/func/10").join(SIDE_FILE));
        let back: SideFile = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, side);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"unit\": \"bytes\""), "{text}");
        assert!(!text.contains("latency_ns"), "{text}");
        assert!(!text.contains("records_latency"), "{text}");
        let bad = SideFile {
            id: "no-slashes".into(),
            ..side
        };
        assert!(write_in(&home, &bad).is_err());
        std::fs::remove_dir_all(&home).unwrap();
    }
}
