//! `cargo xtask bench`: compile the selected suites once, run each with the chosen profile and a
//! per-run Criterion home, and show progress.
//!
//! Each run writes under `target/ggen-bench/<run-id>/`: `criterion/` (Criterion's own files and
//! the suites' side files, via `CRITERION_HOME`), and `latest` in `target/ggen-bench/` names the
//! newest run. Keeping runs apart means two runs can be compared later and a filtered run never
//! mixes with stale results.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::cli::BenchArgs;
use crate::workspace::{Suite, Workspace};

/// How a run ended (errors in inputs are `Err`).
pub enum Outcome {
    Success,
    Failed,
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

pub fn bench(args: &BenchArgs) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let suites = ws.select(&args.packages, &args.suites)?;
    if suites.is_empty() {
        bail!("the workspace has no bench suites");
    }
    let bench_root = ws.target_dir.join("ggen-bench");
    let run_id = run_id(SystemTime::now());
    let run_dir = bench_root.join(&run_id);
    let criterion_home = run_dir.join("criterion");
    std::fs::create_dir_all(&criterion_home)
        .with_context(|| format!("creating {}", criterion_home.display()))?;

    eprintln!("compiling {} suite(s)...", suites.len());
    let mut build = Command::new(cargo());
    build
        .current_dir(&ws.root)
        .args(["bench", "--no-run", "--quiet"]);
    add_selection(&mut build, &suites);
    let status = build.status().context("running `cargo bench --no-run`")?;
    if !status.success() {
        bail!("compiling the bench suites failed ({status})");
    }

    let started = Instant::now();
    let mut failed = Vec::new();
    for (i, suite) in suites.iter().enumerate() {
        eprintln!(
            "[{}/{}] {}::{} ({} profile, {:.1} s elapsed)",
            i + 1,
            suites.len(),
            suite.package,
            suite.name,
            args.profile.name(),
            started.elapsed().as_secs_f64()
        );
        let mut cmd = Command::new(cargo());
        cmd.current_dir(&ws.root)
            .args([
                "bench",
                "--quiet",
                "-p",
                &suite.package,
                "--bench",
                &suite.name,
                "--",
            ])
            .env("GGEN_BENCH_PROFILE", args.profile.name())
            .env("CRITERION_HOME", &criterion_home);
        if let Some(f) = &args.filter {
            cmd.arg(f);
        }
        let status = cmd
            .status()
            .with_context(|| format!("running suite {}", suite.name))?;
        if !status.success() {
            eprintln!("suite {} failed ({status})", suite.name);
            failed.push(suite.name.clone());
        }
    }
    write_latest(&bench_root, &run_id)?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "ran {} suite(s) in {elapsed:.1} s (excluding compilation)",
        suites.len()
    );
    println!("results: {}", criterion_home.display());
    if failed.is_empty() {
        Ok(Outcome::Success)
    } else {
        eprintln!("failed suites: {}", failed.join(", "));
        Ok(Outcome::Failed)
    }
}

fn add_selection(cmd: &mut Command, suites: &[Suite]) {
    for s in suites {
        cmd.args(["-p", &s.package, "--bench", &s.name]);
    }
}

/// Writes `latest` (the newest run id) atomically.
fn write_latest(bench_root: &Path, run_id: &str) -> Result<()> {
    let tmp: PathBuf = bench_root.join(".latest.tmp");
    std::fs::write(&tmp, format!("{run_id}\n"))
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, bench_root.join("latest"))
        .context("updating target/ggen-bench/latest")?;
    Ok(())
}

/// A sortable UTC run id, `YYYYMMDD-HHMMSS-mmm`.
pub fn run_id(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}{m:02}{day:02}-{:02}{:02}{:02}-{:03}",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn run_ids_are_utc_and_sortable() {
        assert_eq!(run_id(UNIX_EPOCH), "19700101-000000-000");
        // 2026-11-23 08:59:22.5 UTC
        let t = UNIX_EPOCH + Duration::from_millis(1_795_424_362_500);
        assert_eq!(run_id(t), "20261123-085922-500");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
