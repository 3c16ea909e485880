//! Writing one bench's results in Criterion's on-disk layout (`benchmark.json`, `estimates.json`,
//! `sample.json` under `<group>/<function>/<parameter>/new/`) plus its side file, for the
//! measurements the xtask takes itself (the `system` suite, the paired engine), so that reading,
//! reports, baselines and re-rendering treat them like any Criterion suite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bench_format::{Latency, SIDE_FILE, SIDE_SCHEMA, SideFile, Unit};

use crate::stats::mean_and_sd;

/// One bench the xtask measured itself (paired rounds, the system suite), as values to write in
/// Criterion's layout.
pub struct MeasuredBench<'a> {
    /// `group/function/parameter`.
    pub rest: &'a str,
    /// The full id, `suite/group/function/parameter`.
    pub id: &'a str,
    /// What one iteration's value measures.
    pub unit: Unit,
    /// Iterations per sample (the same for every sample).
    pub iters: u64,
    /// Each sample's value per iteration.
    pub per_iteration: &'a [f64],
    /// Elements per iteration (throughput), if declared.
    pub elements: Option<u64>,
    /// Whether each per-iteration value is also a latency observation (one operation).
    pub latency: bool,
}

/// Writes `l` under `home` (the suite's `CRITERION_HOME`).
pub fn write(home: &Path, l: &MeasuredBench<'_>) -> Result<()> {
    let parts: Vec<&str> = l.rest.split('/').collect();
    let dir: PathBuf = parts.iter().fold(home.to_owned(), |d, p| d.join(p));
    let new = dir.join("new");
    std::fs::create_dir_all(&new).with_context(|| format!("creating {}", new.display()))?;
    let samples = l.per_iteration;
    let (mean, sd) = mean_and_sd(samples);
    let half = if samples.len() > 1 {
        crate::stats::t975((samples.len() - 1) as f64) * sd / (samples.len() as f64).sqrt()
    } else {
        0.0
    };
    let median = crate::stats::median(samples);
    let est = |point: f64, lo: f64, hi: f64| {
        serde_json::json!({"point_estimate": point, "standard_error": sd,
            "confidence_interval": {"confidence_level": 0.95, "lower_bound": lo.max(0.0), "upper_bound": hi}})
    };
    let n = l.iters as f64;
    let throughput = l.elements.map_or(
        serde_json::Value::Null,
        |e| serde_json::json!({ "Elements": e }),
    );
    let files = [
        (
            "benchmark.json",
            serde_json::json!({"group_id": parts[0], "function_id": parts[1], "value_str": parts[2],
                "throughput": throughput, "full_id": l.rest, "directory_name": l.rest}),
        ),
        (
            "estimates.json",
            serde_json::json!({"mean": est(mean, mean - half, mean + half),
                "median": est(median, median, median), "std_dev": est(sd, sd, sd)}),
        ),
        (
            "sample.json",
            serde_json::json!({"sampling_mode": "Flat", "iters": vec![n; samples.len()],
                "times": samples.iter().map(|v| v * n).collect::<Vec<f64>>()}),
        ),
    ];
    for (name, value) in files {
        std::fs::write(new.join(name), serde_json::to_vec(&value)?)
            .with_context(|| format!("writing {}", new.join(name).display()))?;
    }
    let latency = (l.latency && l.unit == Unit::Ns).then(|| {
        let mut ns: Vec<u64> = samples.iter().map(|v| *v as u64).collect();
        Latency::from_samples(&mut ns)
    });
    let side = SideFile {
        schema: SIDE_SCHEMA,
        id: l.id.to_owned(),
        unit: l.unit,
        latency_ns: latency.flatten(),
        counters: BTreeMap::new(),
        records_latency: l.latency && l.unit == Unit::Ns,
    };
    std::fs::write(dir.join(SIDE_FILE), serde_json::to_vec_pretty(&side)?)
        .with_context(|| format!("writing {}", dir.join(SIDE_FILE).display()))?;
    Ok(())
}
