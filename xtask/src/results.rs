//! Reading one run's results: Criterion's per-bench files and the suites' side files.
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub use bench_format::{Latency, SIDE_FILE, SIDE_SCHEMA, SideFile, Unit};

/// A point estimate and its 95% confidence interval, per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
}

/// One benchmark's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bench {
    /// `suite/group/function/parameter`.
    pub id: String,
    pub suite: String,
    pub group: String,
    pub function: String,
    pub parameter: String,
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
    pub latency: Option<Latency>,
    pub counters: BTreeMap<String, f64>,
}

impl Bench {
    /// The parameter as a number, for scaling fits.
    pub fn parameter_value(&self) -> Option<f64> {
        self.parameter
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
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

    let spath = new.join("sample.json");
    let s: SampleJson = read_json(&spath)?;
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
    };
    let side_path = dir.join(SIDE_FILE);
    if side_path.exists() {
        let side: SideFile = read_json(&side_path)?;
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
    }
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
/// `criterion-rN/` for `--repeat N`.
pub fn criterion_roots(run_dir: &Path, repeat: usize) -> Vec<PathBuf> {
    if repeat <= 1 {
        vec![run_dir.join("criterion")]
    } else {
        (1..=repeat)
            .map(|k| run_dir.join(format!("criterion-r{k}")))
            .collect()
    }
}

/// Reads every repeat of a run and merges them per bench id: samples are pooled, `run_means`
/// holds each repeat's mean, the mean is the mean of those, the interval spans the repeats'
/// intervals, and latency percentiles are the worst of the repeats (budgets stay conservative).
/// A bench missing from some repeat is an error naming it.
pub fn read_repeats(roots: &[PathBuf]) -> Result<Vec<Bench>> {
    let runs: Vec<Vec<Bench>> = roots.iter().map(|r| read_run(r)).collect::<Result<_>>()?;
    let Some((first, rest)) = runs.split_first() else {
        bail!("no results to read")
    };
    if rest.is_empty() {
        return Ok(first.clone());
    }
    let mut merged = Vec::with_capacity(first.len());
    for b in first {
        let mut all = vec![b];
        for (k, run) in rest.iter().enumerate() {
            match run.iter().find(|x| x.id == b.id) {
                Some(x) => all.push(x),
                None => bail!(
                    "{}: bench {} is missing from this repeat",
                    roots[k + 1].display(),
                    b.id
                ),
            }
        }
        let n = all.len() as f64;
        let mean_of = |f: &dyn Fn(&Bench) -> f64| all.iter().map(|x| f(x)).sum::<f64>() / n;
        let mut m = b.clone();
        m.run_means = all.iter().map(|x| x.mean.point).collect();
        m.samples = all.iter().flat_map(|x| x.samples.iter().copied()).collect();
        m.mean.point = mean_of(&|x| x.mean.point);
        m.mean.lower = all
            .iter()
            .map(|x| x.mean.lower)
            .fold(f64::INFINITY, f64::min);
        m.mean.upper = all.iter().map(|x| x.mean.upper).fold(0.0, f64::max);
        m.median.point = mean_of(&|x| x.median.point);
        m.std_dev = mean_of(&|x| x.std_dev);
        m.latency = all.iter().filter_map(|x| x.latency).reduce(|a, c| Latency {
            count: a.count + c.count,
            min: a.min.min(c.min),
            p50: a.p50.max(c.p50),
            p95: a.p95.max(c.p95),
            p99: a.p99.max(c.p99),
            max: a.max.max(c.max),
        });
        for v in m.counters.values_mut() {
            *v = 0.0;
        }
        for x in &all {
            for (k, v) in &x.counters {
                *m.counters.entry(k.clone()).or_default() += v / n;
            }
        }
        merged.push(m);
    }
    if let Some(run) = rest.iter().find(|r| r.len() != first.len()) {
        let extra = run
            .iter()
            .find(|x| !first.iter().any(|b| b.id == x.id))
            .map_or("?", |x| x.id.as_str());
        bail!(
            "{}: bench {extra} is missing from the first repeat",
            roots[0].display()
        );
    }
    Ok(merged)
}

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A bench with id `suite/group/function/parameter`, every estimate exactly `mean`, one sample;
    /// other modules' tests override fields with struct update syntax.
    pub fn bench_fixture(id: &str, mean: f64, unit: Unit) -> Bench {
        let p: Vec<&str> = id.split('/').collect();
        let exact = Estimate {
            point: mean,
            lower: mean,
            upper: mean,
        };
        Bench {
            id: id.into(),
            suite: p[0].into(),
            group: p[1].into(),
            function: p[2].into(),
            parameter: p[3].into(),
            unit,
            mean: exact,
            median: exact,
            std_dev: 0.0,
            elements: None,
            samples: vec![mean],
            run_means: vec![],
            latency: None,
            counters: BTreeMap::new(),
        }
    }

    /// Writes a synthetic Criterion bench directory; used by other modules' tests too.
    pub fn write_bench(
        home: &Path,
        suite: &str,
        group: &str,
        func: &str,
        param: &str,
        samples: &[f64],
    ) {
        let dir = home.join(suite).join(group).join(func).join(param);
        let new = dir.join("new");
        std::fs::create_dir_all(&new).unwrap();
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        std::fs::write(
            new.join("benchmark.json"),
            serde_json::json!({"group_id": group, "function_id": func, "value_str": param,
                "throughput": {"Elements": 10}, "full_id": format!("{group}/{func}/{param}")})
            .to_string(),
        )
        .unwrap();
        let est = |v: f64| {
            serde_json::json!({"point_estimate": v, "standard_error": 1.0,
            "confidence_interval": {"confidence_level": 0.95, "lower_bound": v * 0.95, "upper_bound": v * 1.05}})
        };
        std::fs::write(
            new.join("estimates.json"),
            serde_json::json!({"mean": est(mean), "median": est(mean), "std_dev": est(1.0),
                "median_abs_dev": est(1.0), "slope": null})
            .to_string(),
        )
        .unwrap();
        let iters: Vec<f64> = (1..=samples.len()).map(|i| i as f64 * 10.0).collect();
        let times: Vec<f64> = samples.iter().zip(&iters).map(|(s, n)| s * n).collect();
        std::fs::write(
            new.join("sample.json"),
            serde_json::json!({"sampling_mode": "Linear", "iters": iters, "times": times})
                .to_string(),
        )
        .unwrap();
    }

    pub fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

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
    fn repeats_merge_per_bench() {
        let home = temp_dir("repeats");
        let roots = criterion_roots(&home, 2);
        assert_eq!(roots[1], home.join("criterion-r2"));
        write_bench(&roots[0], "s", "g", "f", "1", &[100.0, 100.0]);
        write_bench(&roots[1], "s", "g", "f", "1", &[120.0, 120.0]);
        let merged = read_repeats(&roots).unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].run_means, vec![100.0, 120.0]);
        assert_eq!(merged[0].samples.len(), 4);
        assert!((merged[0].mean.point - 110.0).abs() < 1e-9);
        assert!(
            (merged[0].mean.lower - 95.0).abs() < 1e-9
                && (merged[0].mean.upper - 126.0).abs() < 1e-9
        );
        write_bench(&roots[1], "s", "g", "other", "1", &[1.0]);
        assert!(
            format!("{:#}", read_repeats(&roots).unwrap_err())
                .contains("missing from the first repeat")
        );
        let single = read_repeats(
            &criterion_roots(&home, 1)[..0]
                .iter()
                .chain(&roots[..1])
                .cloned()
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(single[0].run_means.is_empty());
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
