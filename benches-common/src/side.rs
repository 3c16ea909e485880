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
//! `unit` is `"ns"` (wall time, the default when no side file exists) or `"bytes"`. The format
//! itself is defined once, in the `bench-format` crate, which `cargo xtask bench` reads it with.
//!
//! The Criterion home is found as Criterion finds it: `$CRITERION_HOME`, else
//! `$CARGO_TARGET_DIR/criterion`, else `target/criterion` under the nearest ancestor of the current
//! directory that holds a `Cargo.lock` (the workspace root; cargo runs benches from the package
//! directory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use bench_format::side::{Latency, SIDE_FILE, SIDE_SCHEMA, SideFile, Unit};

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
        schema: SIDE_SCHEMA,
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
        schema: SIDE_SCHEMA,
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
    record_latency_and_counters(id, samples, &[]);
}

/// Records per-operation latency samples (nanoseconds) and named counters for bench `id`, in one
/// side file (recording them separately would overwrite one with the other).
pub fn record_latency_and_counters(id: &str, samples: &mut [u64], counters: &[(&str, f64)]) {
    let latency_ns = Latency::from_samples(samples);
    record(SideFile {
        schema: SIDE_SCHEMA,
        id: id.to_owned(),
        unit: Unit::Ns,
        latency_ns,
        counters: counters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
        records_latency: true,
    });
}

/// Adds named counters to bench `id`'s side file, keeping what it already holds (unit, latency,
/// other counters); creates a wall-time side file when there is none.
pub fn add_counters(id: &str, counters: &[(&str, f64)]) {
    let home = criterion_home();
    let mut side = read_in(&home, id).unwrap_or(SideFile {
        schema: SIDE_SCHEMA,
        id: id.to_owned(),
        unit: Unit::Ns,
        latency_ns: None,
        counters: BTreeMap::new(),
        records_latency: false,
    });
    for (k, v) in counters {
        side.counters.insert((*k).to_owned(), *v);
    }
    record(side);
}

/// The side file of bench `id` under `home`, if there is a readable one.
fn read_in(home: &Path, id: &str) -> Option<SideFile> {
    let parts: Vec<&str> = id.split('/').collect();
    let [_, g, f, p] = parts[..] else { return None };
    let bytes = std::fs::read(home.join(g).join(f).join(p).join(SIDE_FILE)).ok()?;
    serde_json::from_slice(&bytes)
        .ok()
        .filter(|s: &SideFile| s.id == id)
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
    fn side_files_round_trip_and_land_next_to_criterion_output() {
        let home = std::env::temp_dir().join(format!("ggen-side-test-{}", std::process::id()));
        let side = SideFile {
            schema: SIDE_SCHEMA,
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
