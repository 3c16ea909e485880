//! Reading one run's results: Criterion's per-bench files and the suites' side files (this
//! module), and merging the repeats of a `--repeat N` run (`repeats`).
//!
//! Layout of a run written by `cargo xtask bench`:
//!
//! ```text
//! target/ggen-bench/<run-id>/criterion/<suite>/<group>/<function>/<parameter>/
//!     new/benchmark.json   group_id, function_id, value_str, throughput
//!     new/estimates.json   mean/median/std_dev: point_estimate + confidence_interval
//!     new/sample.json      iters[], times[] (total per sample, in the measurement's unit)
//!     ggen-side.json       optional: unit (ns|bytes), latency_ns, counters
//! ```
//!
//! Criterion documents these files as internal, so every field is validated; a missing, truncated
//! or corrupt file is an error naming the file and what was wrong with it.

mod repeats;
mod write;

pub use write::{MeasuredBench, write};

pub use repeats::{criterion_roots, read_repeats};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub use bench_format::{Latency, SIDE_FILE, SIDE_SCHEMA, SideFile, Unit};

/// A point estimate and its 95% confidence interval, per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    pub point: f64,
    /// Lower end of its 95% interval.
    pub lower: f64,
    /// Upper end of its 95% interval.
    pub upper: f64,
}

/// One benchmark's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bench {
    /// `suite/group/function/parameter`.
    pub id: String,
    /// First part of the id: the bench target.
    pub suite: String,
    /// Second part: the Criterion group.
    pub group: String,
    /// Third part: the function.
    pub function: String,
    /// Fourth part: the parameter.
    pub parameter: String,
    /// What one iteration's value measures (time or bytes).
    pub unit: Unit,
    /// Mean per iteration (Criterion's bootstrap estimate).
    pub mean: Estimate,
    /// Median per iteration.
    pub median: Estimate,
    /// Standard deviation of the per-iteration sample values.
    pub std_dev: f64,
    /// Elements per iteration, when the bench declared a throughput in elements.
    pub elements: Option<u64>,
    /// Per-iteration value of each sample (`times[i] / iters[i]`), the raw data of comparisons.
    pub samples: Vec<f64>,
    /// With `--repeat N` (N ≥ 2): each repeat's mean, the unit of between-run comparison.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_means: Vec<f64>,
    /// Latency percentiles of single operations, when the suite recorded them.
    pub latency: Option<Latency>,
    /// Counters from the side file (e.g. `samples_retaken`), per bench.
    pub counters: BTreeMap<String, f64>,
    /// With `--instructions`, for a counted bench: instructions and estimated cycles per
    /// iteration (an additive field: absent in runs without the flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// A bench parameter as a number, when it is a positive finite one: the rule for what a scaling
/// fit (and numeric ordering) can use.
pub fn numeric_parameter(parameter: &str) -> Option<f64> {
    parameter
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

impl Bench {
    /// The parameter as a number, for scaling fits ([`numeric_parameter`]).
    pub fn parameter_value(&self) -> Option<f64> {
        numeric_parameter(&self.parameter)
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ConfidenceInterval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct EstimateJson {
    point_estimate: f64,
    confidence_interval: ConfidenceInterval,
}

#[derive(Deserialize)]
struct EstimatesJson {
    mean: EstimateJson,
    median: EstimateJson,
    std_dev: EstimateJson,
}

#[derive(Deserialize)]
struct SampleJson {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// Reads and parses a JSON file; an error names the file.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: invalid or truncated JSON", path.display()))
}

fn estimate(path: &Path, name: &str, e: &EstimateJson) -> Result<Estimate> {
    let est = Estimate {
        point: e.point_estimate,
        lower: e.confidence_interval.lower_bound,
        upper: e.confidence_interval.upper_bound,
    };
    if ![est.point, est.lower, est.upper]
        .iter()
        .all(|v| v.is_finite() && *v >= 0.0)
    {
        bail!(
            "{}: {name} is not a finite non-negative estimate",
            path.display()
        );
    }
    Ok(est)
}

/// A `sample.json`'s per-iteration values, each sample checked.
fn read_samples(spath: &Path) -> Result<Vec<f64>> {
    let s: SampleJson = read_json(spath)?;
    if s.iters.len() != s.times.len() || s.iters.is_empty() {
        bail!(
            "{}: iters ({}) and times ({}) must be non-empty and of equal length",
            spath.display(),
            s.iters.len(),
            s.times.len()
        );
    }
    let mut samples = Vec::with_capacity(s.iters.len());
    for (i, (&n, &t)) in s.iters.iter().zip(&s.times).enumerate() {
        if !(n.is_finite() && n > 0.0 && t.is_finite() && t >= 0.0) {
            bail!("{}: sample {i} has iters={n}, times={t}", spath.display());
        }
        samples.push(t / n);
    }
    Ok(samples)
}

/// The bench's side file, when it has one: its unit, latency and counters, checked to be this
/// bench's.
fn apply_side_file(bench: &mut Bench, side_path: &Path) -> Result<()> {
    if !side_path.exists() {
        return Ok(());
    }
    let side: SideFile = read_json(side_path)?;
    if side.schema != SIDE_SCHEMA {
        bail!(
            "{}: unsupported schema {} (expected {SIDE_SCHEMA})",
            side_path.display(),
            side.schema
        );
    }
    if side.id != bench.id {
        bail!(
            "{}: side file is for {:?}, but the bench is {:?}",
            side_path.display(),
            side.id,
            bench.id
        );
    }
    bench.unit = side.unit;
    bench.latency = side.latency_ns;
    bench.counters = side.counters;
    Ok(())
}

/// Reads one bench directory (the one holding `new/`).
pub fn read_bench(suite: &str, dir: &Path) -> Result<Bench> {
    let new = dir.join("new");
    let bpath = new.join("benchmark.json");
    let b: BenchmarkJson = read_json(&bpath)?;
    let function = b.function_id.filter(|f| !f.is_empty()).with_context(|| {
        format!(
            "{}: missing function_id (ids must be group/function/parameter)",
            bpath.display()
        )
    })?;
    let parameter = b.value_str.filter(|v| !v.is_empty()).with_context(|| {
        format!(
            "{}: missing value_str (ids must be group/function/parameter)",
            bpath.display()
        )
    })?;
    let elements = match &b.throughput {
        Some(serde_json::Value::Object(m)) => m.get("Elements").and_then(|v| v.as_u64()),
        _ => None,
    };

    let epath = new.join("estimates.json");
    let e: EstimatesJson = read_json(&epath)?;
    let mean = estimate(&epath, "mean", &e.mean)?;
    let median = estimate(&epath, "median", &e.median)?;
    let std_dev = estimate(&epath, "std_dev", &e.std_dev)?.point;

    let samples = read_samples(&new.join("sample.json"))?;

    let id = format!("{suite}/{}/{function}/{parameter}", b.group_id);
    let mut bench = Bench {
        id,
        suite: suite.to_owned(),
        group: b.group_id,
        function,
        parameter,
        unit: Unit::Ns,
        mean,
        median,
        std_dev,
        elements,
        samples,
        run_means: Vec::new(),
        latency: None,
        counters: BTreeMap::new(),
        counts: None,
    };
    apply_side_file(&mut bench, &dir.join(SIDE_FILE))?;
    Ok(bench)
}

/// Every bench under `criterion/<suite>/` of a run, sorted by id. Duplicate ids are an error.
pub fn read_run(criterion_dir: &Path) -> Result<Vec<Bench>> {
    let mut out: Vec<Bench> = Vec::new();
    if !criterion_dir.is_dir() {
        bail!(
            "{}: no Criterion results in this run",
            criterion_dir.display()
        );
    }
    for suite_dir in sorted_dirs(criterion_dir)? {
        let suite = suite_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut stack = vec![suite_dir];
        while let Some(dir) = stack.pop() {
            if dir.join("new").join("benchmark.json").exists() {
                out.push(read_bench(&suite, &dir)?);
                continue;
            }
            for sub in sorted_dirs(&dir)? {
                let name = sub.file_name().unwrap_or_default();
                // Criterion's own bookkeeping and report folders.
                if name != "report" && name != "base" && name != "change" {
                    stack.push(sub);
                }
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    for w in out.windows(2) {
        if w[0].id == w[1].id {
            bail!(
                "duplicate bench id {:?} in {}",
                w[0].id,
                criterion_dir.display()
            );
        }
    }
    Ok(out)
}

/// Where a run's Criterion results live: `criterion/` for one repeat, `criterion-r1/` ...
fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// One bench's counts, per iteration (totals divided by [`Counts::iterations`]), as the
/// instruction-count pass reads them from callgrind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Iterations inside the counted region (after one warm-up iteration).
    pub iterations: u64,
    /// Instructions executed (callgrind's Ir) per iteration.
    pub instructions: f64,
    /// L1 hits + 5 × LL hits + 35 × RAM accesses, per iteration.
    pub estimated_cycles: f64,
    /// L1 hits, LL hits and RAM accesses per iteration (instruction fetches and data).
    pub l1_hits: f64,
    /// Last-level hits per iteration.
    pub ll_hits: f64,
    /// RAM accesses per iteration.
    pub ram_hits: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{temp_dir, write_bench};

    #[test]
    fn reads_a_good_run() {
        let home = temp_dir("good");
        write_bench(&home, "s", "g", "f", "10", &[100.0, 110.0, 90.0]);
        write_bench(&home, "s", "g", "f", "100", &[1000.0, 1000.0]);
        let runs = read_run(&home).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].id, "s/g/f/10");
        assert_eq!(runs[0].elements, Some(10));
        assert!((runs[0].samples[0] - 100.0).abs() < 1e-9);
        assert_eq!(runs[1].parameter_value(), Some(100.0));
        assert_eq!(runs[0].unit, Unit::Ns);
    }

    #[test]
    fn side_file_sets_unit_and_is_validated() {
        let home = temp_dir("side");
        write_bench(&home, "s", "g", "f", "1", &[5.0]);
        let side = home.join("s/g/f/1/ggen-side.json");
        std::fs::write(
            &side,
            r#"{"schema":1,"id":"s/g/f/1","unit":"bytes","counters":{"x":2.0}}"#,
        )
        .unwrap();
        let b = &read_run(&home).unwrap()[0];
        assert_eq!(b.unit, Unit::Bytes);
        assert_eq!(b.counters["x"], 2.0);
        std::fs::write(&side, r#"{"schema":1,"id":"other/g/f/1","unit":"bytes"}"#).unwrap();
        let err = format!("{:#}", read_run(&home).unwrap_err());
        assert!(
            err.contains("ggen-side.json") && err.contains("other/g/f/1"),
            "{err}"
        );
    }

    #[test]
    fn corrupt_truncated_and_missing_files_name_the_file() {
        let home = temp_dir("corrupt");
        write_bench(&home, "s", "g", "f", "1", &[5.0]);
        let est = home.join("s/g/f/1/new/estimates.json");
        let good = std::fs::read_to_string(&est).unwrap();
        std::fs::write(&est, &good[..good.len() / 2]).unwrap();
        let err = format!("{:#}", read_run(&home).unwrap_err());
        assert!(
            err.contains("estimates.json") && err.contains("invalid or truncated"),
            "{err}"
        );

        std::fs::write(&est, good.replace("\"mean\"", "\"nean\"")).unwrap();
        assert!(format!("{:#}", read_run(&home).unwrap_err()).contains("estimates.json"));

        std::fs::write(&est, &good).unwrap();
        std::fs::remove_file(home.join("s/g/f/1/new/sample.json")).unwrap();
        let err = format!("{:#}", read_run(&home).unwrap_err());
        assert!(
            err.contains("sample.json") && err.contains("cannot read"),
            "{err}"
        );

        std::fs::write(
            home.join("s/g/f/1/new/sample.json"),
            r#"{"iters":[1,2],"times":[1]}"#,
        )
        .unwrap();
        let err = format!("{:#}", read_run(&home).unwrap_err());
        assert!(err.contains("equal length"), "{err}");

        std::fs::write(
            home.join("s/g/f/1/new/sample.json"),
            r#"{"iters":[0],"times":[1]}"#,
        )
        .unwrap();
        assert!(format!("{:#}", read_run(&home).unwrap_err()).contains("sample 0"));
    }

    #[test]
    fn ids_need_all_four_parts() {
        let home = temp_dir("noparam");
        write_bench(&home, "s", "g", "f", "1", &[5.0]);
        let b = home.join("s/g/f/1/new/benchmark.json");
        std::fs::write(&b, r#"{"group_id":"g","function_id":"f","value_str":null}"#).unwrap();
        assert!(format!("{:#}", read_run(&home).unwrap_err()).contains("missing value_str"));
        assert!(read_run(&home.join("nope")).is_err());
    }
}
