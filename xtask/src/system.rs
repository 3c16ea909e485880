//! The `system` suite: the `ggen` binary measured as a user meets it, whole process by whole
//! process, the way hyperfine does it: a few warm-up runs, then repeated runs, each timed from
//! spawn to exit (output discarded). Peak RSS comes from the OS (GNU time's `%M`, which is the
//! kernel's `ru_maxrss` of the child), binary size from the file.
//!
//! Results are written in Criterion's on-disk layout (`new/benchmark.json`, `estimates.json`,
//! `sample.json`) plus a side file, so every later step (reading, repeats, claims, baselines,
//! exports, the report) treats them like any other suite's. Each sample is one run (`iters` = 1).
//! The mean's interval is a t-interval over the runs; per-run percentiles go to the side file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bench_format::{Profile, Unit};
use regex::Regex;

use crate::interrupt;

/// The suite's name: the first part of its bench ids.
pub const SUITE: &str = "system";

/// Where GNU time lives (Debian package `time`); `.ci/run` installs it.
pub const GNU_TIME: &str = "/usr/bin/time";

/// Pack-set sizes of `hive_resolve/packs/N`.
const PACK_SIZES: [usize; 2] = [10, 100];

/// What one bench measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    /// Wall time of one run of `ggen ARGS`.
    Startup(&'static str),
    /// Wall time of `ggen hive resolve` on N generated packs.
    HiveResolve(usize),
    /// Peak resident set of `ggen --version`, in bytes.
    PeakRss,
    /// Size of the binary, in bytes.
    BinarySize,
}

/// Every bench of the suite: (group/function/parameter, what it measures).
fn benches() -> Vec<(String, What)> {
    let mut v = vec![
        ("startup/version/1".to_string(), What::Startup("--version")),
        ("startup/help/1".to_string(), What::Startup("--help")),
    ];
    for n in PACK_SIZES {
        v.push((format!("hive_resolve/packs/{n}"), What::HiveResolve(n)));
    }
    v.push(("memory/version_peak/1".into(), What::PeakRss));
    v.push(("binary/size/1".into(), What::BinarySize));
    v
}

impl What {
    fn unit(self) -> Unit {
        match self {
            What::Startup(_) | What::HiveResolve(_) => Unit::Ns,
            What::PeakRss | What::BinarySize => Unit::Bytes,
        }
    }
}

/// The suite's ids with their units and whether they record latency, for the catalog.
pub fn declared() -> Vec<(String, Unit, bool)> {
    benches()
        .into_iter()
        .map(|(rest, w)| (format!("{SUITE}/{rest}"), w.unit(), w.unit() == Unit::Ns))
        .collect()
}

/// Runs per timed bench: (warm-up, measured).
fn runs(profile: Profile) -> (usize, usize) {
    match profile {
        Profile::Quick => (3, 30),
        Profile::Full => (10, 200),
    }
}

/// Checks, before anything runs, what the suite needs from the machine.
pub fn check_tools() -> Result<()> {
    if !Path::new(GNU_TIME).is_file() {
        bail!(
            "the system suite measures peak memory with GNU time, and {GNU_TIME} is missing: \
             install it (`apt-get install time`) or leave the suite out (--bench SUITE / -p CRATE)"
        );
    }
    Ok(())
}

/// Runs the selected benches of the suite against the `ggen` binary `exe`, writing results under
/// `home`. Progress goes to `log`.
pub fn run(
    exe: &Path,
    profile: Profile,
    filter: Option<&Regex>,
    home: &Path,
    log: &mut impl std::io::Write,
) -> Result<()> {
    let scratch = home.join(".inputs");
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let (warm, n) = runs(profile);
    for (rest, what) in benches() {
        if filter.is_some_and(|f| !f.is_match(&rest)) {
            continue;
        }
        let id = format!("{SUITE}/{rest}");
        writeln!(log, "Benchmarking {id}")?;
        let samples: Vec<f64> = match what {
            What::Startup(arg) => time_runs(Command::new(exe).arg(arg), warm, n)?,
            What::HiveResolve(size) => {
                let packs = scratch.join(format!("packs{size}.json"));
                let out = interrupt::run(
                    Command::new(exe)
                        .args([
                            "gen",
                            "packs",
                            "--size",
                            &size.to_string(),
                            "--seed",
                            "1",
                            "-o",
                        ])
                        .arg(&packs),
                    true,
                    "ggen gen packs",
                )?;
                if !out.status.success() {
                    bail!("`ggen gen packs --size {size}` failed ({})", out.status);
                }
                time_runs(
                    Command::new(exe).args(["hive", "resolve"]).arg(&packs),
                    warm,
                    n,
                )?
            }
            What::PeakRss => (0..n.min(10))
                .map(|_| peak_rss(exe))
                .collect::<Result<_>>()?,
            What::BinarySize => {
                let len = std::fs::metadata(exe)
                    .with_context(|| format!("{}: cannot read", exe.display()))?
                    .len();
                vec![len as f64]
            }
        };
        write_result(home, &rest, &id, what.unit(), &samples)?;
        writeln!(log, "{id}: {} samples", samples.len())?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Wall time of `warm + n` runs of `cmd` (output discarded); the last `n`, in nanoseconds. A run
/// that fails is an error: a broken binary must not look fast.
fn time_runs(cmd: &mut Command, warm: usize, n: usize) -> Result<Vec<f64>> {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut out = Vec::with_capacity(n);
    for i in 0..warm + n {
        interrupt::check()?;
        let t = Instant::now();
        let status = cmd.status().context("running ggen")?;
        let ns = t.elapsed().as_nanos() as f64;
        if !status.success() {
            bail!("{cmd:?} failed ({status})");
        }
        if i >= warm {
            out.push(ns);
        }
    }
    Ok(out)
}

/// Peak resident set of one `ggen --version`, in bytes, from GNU time's `%M` (KiB).
fn peak_rss(exe: &Path) -> Result<f64> {
    interrupt::check()?;
    let out = Command::new(GNU_TIME)
        .args(["-f", "%M"])
        .arg(exe)
        .arg("--version")
        .stdout(Stdio::null())
        .output()
        .with_context(|| format!("running {GNU_TIME}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    let kib: f64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("{GNU_TIME} printed no peak RSS: {text:?}"))?;
    if !out.status.success() || kib <= 0.0 || kib.is_nan() {
        bail!(
            "`ggen --version` under {GNU_TIME} failed ({}): {text}",
            out.status
        );
    }
    Ok(kib * 1024.0)
}

/// Writes one bench in Criterion's layout plus its side file: one sample per process run, each
/// also a latency observation (for time).
fn write_result(home: &Path, rest: &str, id: &str, unit: Unit, samples: &[f64]) -> Result<()> {
    crate::results::write(
        home,
        &crate::results::MeasuredBench {
            rest,
            id,
            unit,
            iters: 1,
            per_iteration: samples,
            elements: None,
            latency: unit == Unit::Ns,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_read_back_like_any_suite() {
        let home = crate::testing::temp_dir("system-write");
        write_result(
            &home,
            "startup/version/1",
            "system/startup/version/1",
            Unit::Ns,
            &[1000.0, 1200.0, 1100.0, 5000.0],
        )
        .unwrap();
        write_result(
            &home,
            "binary/size/1",
            "system/binary/size/1",
            Unit::Bytes,
            &[2.5e6],
        )
        .unwrap();
        let run = home.parent().unwrap().join("system-read");
        let _ = std::fs::remove_dir_all(&run);
        std::fs::create_dir_all(&run).unwrap();
        std::fs::rename(&home, run.join(SUITE)).unwrap();
        let benches = crate::results::read_run(&run).unwrap();
        let ids: Vec<&str> = benches.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["system/binary/size/1", "system/startup/version/1"]);
        let size = &benches[0];
        assert_eq!((size.unit, size.mean.point), (Unit::Bytes, 2.5e6));
        let start = &benches[1];
        assert_eq!(start.samples, [1000.0, 1200.0, 1100.0, 5000.0]);
        assert!((start.mean.point - 2075.0).abs() < 1e-9);
        assert!(start.mean.lower < start.mean.point && start.mean.point < start.mean.upper);
        let l = start.latency.unwrap();
        assert_eq!((l.count, l.p50, l.max), (4, 1100, 5000));
    }

    #[test]
    fn declared_ids_are_the_issue_ids() {
        let ids: Vec<String> = declared().into_iter().map(|(id, _, _)| id).collect();
        assert_eq!(
            ids,
            [
                "system/startup/version/1",
                "system/startup/help/1",
                "system/hive_resolve/packs/10",
                "system/hive_resolve/packs/100",
                "system/memory/version_peak/1",
                "system/binary/size/1"
            ]
        );
        assert!(
            declared()
                .iter()
                .all(|(id, unit, lat)| *lat == (*unit == Unit::Ns) && !id.is_empty())
        );
    }
}
