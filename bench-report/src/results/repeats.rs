//! `--repeat N`: where each repeat's Criterion results live, and how the repeats of one bench
//! merge into one [`Bench`] whose `run_means` are the unit of between-run comparison.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::{Bench, Latency, read_run};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{temp_dir, write_bench};

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
}
