//! Test fixtures shared by the unit tests of this crate and of the xtask: a bench, a whole report,
//! a synthetic Criterion bench directory, a fresh temporary directory. Compiled only for tests
//! (here with `cfg(test)`, for the xtask's tests with the `testing` feature).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::budgets::{Check, Entry, Evaluation, Verdict};
use crate::report::{Header, Report};
use crate::results::{Bench, Estimate, Latency, Unit};

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
        counts: None,
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
        serde_json::json!({"sampling_mode": "Linear", "iters": iters, "times": times}).to_string(),
    )
    .unwrap();
}

/// A fresh, empty directory under the system's temporary directory, named for the test and
/// this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small whole report (four benches, one with latencies, one in bytes; one scaling claim that
/// passed) that the renderers' tests render.
pub fn sample_report() -> Report {
    let bench = |id: &str, mean: f64, unit: Unit, samples: Vec<f64>| Bench {
        mean: Estimate {
            point: mean,
            lower: mean * 0.9,
            upper: mean * 1.1,
        },
        std_dev: 1.0,
        elements: Some(100),
        samples,
        ..bench_fixture(id, mean, unit)
    };
    let mut with_latency = bench("s/orch/queen/10", 500.0, Unit::Ns, vec![500.0; 10]);
    with_latency.latency = Some(Latency {
        count: 100,
        min: 1,
        p50: 400,
        p95: 900,
        p99: 990,
        max: 1000,
    });
    Report {
        schema: 1,
        header: Header {
            run_id: "20260101-000000-000".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            host_cpu: "Test CPU <x>".into(),
            cores: 2,
            os: "TestOS".into(),
            rustc: "rustc 1.95.0".into(),
            git_rev: "abc1234".into(),
            git_dirty: true,
            profile: "quick".into(),
            suites: vec!["s".into()],
            filter: None,
            duration_s: 1.5,
            repeat: 1,
            against: None,
            load: Vec::new(),
        },
        benches: vec![
            bench("s/det/indexed/10", 100.0, Unit::Ns, vec![100.0; 10]),
            bench("s/det/indexed/100", 1000.0, Unit::Ns, vec![1000.0; 10]),
            bench("s/mem/global/1", 2048.0, Unit::Bytes, vec![2048.0; 10]),
            with_latency,
        ],
        known_ids: vec![],
        evaluations: vec![Evaluation {
            entry: Entry {
                check: Check::Scaling {
                    series: "s/det/indexed".into(),
                    max_exponent: 1.1,
                },
                note: Some("near-linear".into()),
                cpus: None,
                gate: false,
                one_process: false,
            },
            verdict: Verdict::Pass,
            detail: "exponent 1.000".into(),
            measured: Some(1.0),
        }],
        comparison: None,
        instructions: None,
        paired_claims: Vec::new(),
    }
}
