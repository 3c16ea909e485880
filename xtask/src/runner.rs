//! The commands: `bench` (run, check, compare, report), `compare` and `report`.
//!
//! `bench` validates every input before it writes anything: the filter, `budgets.toml` (against
//! every bench id the suites define, from each bench binary's `--list`) and the baseline to
//! compare with. Then it runs each selected suite with its own `CRITERION_HOME`
//! (`target/ggen-bench/<run-id>/criterion/<suite>/`), reads and validates all results, and only
//! then writes the report files, the baseline and the exports — each atomically.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use regex::Regex;

use crate::budgets::{self, Entry};
use crate::cli::{BenchArgs, Export};
use crate::report::{self, Header, Report, write_atomic};
use crate::results;
use crate::workspace::{Suite, Workspace};

/// How a command ended (input errors are `Err`, exit 2).
pub enum Outcome {
    Success,
    Failed,
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `target/ggen-bench`.
fn bench_root(ws: &Workspace) -> PathBuf {
    ws.target_dir.join("ggen-bench")
}

fn baselines_dir(ws: &Workspace) -> PathBuf {
    bench_root(ws).join("baselines")
}

/// Whether the run meant to measure `id`: its suite was selected and the filter matches.
fn selector(suites: &[Suite], filter: Option<&Regex>) -> impl Fn(&str) -> bool {
    let names: BTreeSet<String> = suites.iter().map(|s| s.name.clone()).collect();
    let filter = filter.cloned();
    move |id: &str| {
        let Some((suite, rest)) = id.split_once('/') else {
            return false;
        };
        names.contains(suite) && filter.as_ref().is_none_or(|f| f.is_match(rest))
    }
}

/// `cargo bench --quiet -p PACKAGE --bench SUITE --`, run from the workspace root; arguments
/// added to it go to the bench binary.
fn suite_command(ws: &Workspace, suite: &Suite) -> Command {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root).args([
        "bench",
        "--quiet",
        "-p",
        &suite.package,
        "--bench",
        &suite.name,
        "--",
    ]);
    cmd
}

/// Every bench id of every suite, from each bench binary's `--list`.
fn list_ids(ws: &Workspace, scratch: &Path) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    for suite in &ws.suites {
        let out = suite_command(ws, suite)
            .arg("--list")
            // Setup code may write side files; keep them out of any real run.
            .env("CRITERION_HOME", scratch)
            .env("GGEN_BENCH_PROFILE", "quick")
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("listing the benches of suite {}", suite.name))?;
        if !out.status.success() {
            bail!(
                "listing the benches of suite {} failed ({})",
                suite.name,
                out.status
            );
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(id) = line.strip_suffix(": benchmark")
                && !ids.insert(format!("{}/{id}", suite.name))
            {
                bail!("duplicate bench id {}/{id}", suite.name);
            }
        }
    }
    let _ = std::fs::remove_dir_all(scratch);
    Ok(ids)
}

/// Finds a saved baseline or a run by name, id or path.
fn resolve(ws: &Workspace, name: &str) -> Result<PathBuf> {
    let candidates = [
        baselines_dir(ws).join(format!("{name}.json")),
        bench_root(ws).join(name).join("report.json"),
        PathBuf::from(name),
    ];
    if let Some(p) = candidates.iter().find(|p| p.is_file()) {
        return Ok(p.clone());
    }
    let mut known: Vec<String> = std::fs::read_dir(baselines_dir(ws))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    known.sort();
    bail!(
        "no baseline or run named {name:?} (looked for {}); saved baselines: {}",
        candidates[0].display(),
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}

fn compile(ws: &Workspace) -> Result<()> {
    let mut build = Command::new(cargo());
    build
        .current_dir(&ws.root)
        .args(["bench", "--no-run", "--quiet"]);
    for s in &ws.suites {
        build.args(["-p", &s.package, "--bench", &s.name]);
    }
    let status = build.status().context("running `cargo bench --no-run`")?;
    if !status.success() {
        bail!("compiling the bench suites failed ({status})");
    }
    Ok(())
}

pub fn bench(args: &BenchArgs) -> Result<Outcome> {
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("--filter")?;
    let ws = Workspace::discover()?;
    let suites = ws.select(&args.packages, &args.suites)?;
    if suites.is_empty() {
        bail!("the workspace has no bench suites");
    }
    let root = bench_root(&ws);
    let run_id = run_id(SystemTime::now());

    eprintln!("compiling {} suite(s)...", ws.suites.len());
    compile(&ws)?;
    eprintln!("listing bench ids...");
    let known = list_ids(&ws, &root.join(format!(".list-{run_id}")))?;
    let budgets_path = args
        .budgets
        .as_deref()
        .map_or_else(|| ws.root.join("budgets.toml"), absolute);
    let entries = budgets::load(&budgets_path, &known)?;
    let baseline = match &args.baseline {
        Some(name) => Some((name.clone(), report::load(&resolve(&ws, name)?)?)),
        None => None,
    };
    let selected = selector(&suites, filter.as_ref());
    if !known.iter().any(|id| selected(id)) {
        bail!(
            "the filter selects no bench; known ids include {:?}",
            known.iter().next()
        );
    }

    let run_dir = root.join(&run_id);
    let started = Instant::now();
    let mut failed = Vec::new();
    let roots = results::criterion_roots(&run_dir, args.repeat);
    let steps = suites.len() * roots.len();
    // Repeats are interleaved (suite A, B, ..., then A, B, ... again) so that each repeat of a
    // suite runs at a different moment and in a fresh process.
    for (k, root) in roots.iter().enumerate() {
        for (i, suite) in suites.iter().enumerate() {
            let step = k * suites.len() + i + 1;
            let rep = if roots.len() > 1 {
                format!(", repeat {}/{}", k + 1, roots.len())
            } else {
                String::new()
            };
            eprintln!(
                "[{step}/{steps}] {}::{} ({} profile{rep}, {:.1} s elapsed)",
                suite.package,
                suite.name,
                args.profile.name(),
                started.elapsed().as_secs_f64()
            );
            let home = root.join(&suite.name);
            std::fs::create_dir_all(&home)
                .with_context(|| format!("creating {}", home.display()))?;
            let log_name = if roots.len() > 1 {
                format!("{}-r{}.log", suite.name, k + 1)
            } else {
                format!("{}.log", suite.name)
            };
            let log_path = run_dir.join("logs").join(log_name);
            std::fs::create_dir_all(log_path.parent().unwrap_or(&run_dir))?;
            let log = std::fs::File::create(&log_path)
                .with_context(|| format!("creating {}", log_path.display()))?;
            let mut cmd = suite_command(&ws, suite);
            cmd.env("GGEN_BENCH_PROFILE", args.profile.name())
                .env("CRITERION_HOME", &home)
                // Criterion's own progress goes to the suite's log; stdout is kept for the report.
                .stdout(log.try_clone()?)
                .stderr(log);
            if let Some(f) = &args.filter {
                cmd.arg(f);
            }
            let status = cmd
                .status()
                .with_context(|| format!("running suite {}", suite.name))?;
            if !status.success() {
                eprintln!(
                    "suite {} failed ({status}); its output: {}",
                    suite.name,
                    log_path.display()
                );
                failed.push(suite.name.clone());
            }
        }
    }
    let duration_s = started.elapsed().as_secs_f64();
    eprintln!(
        "ran {} suite(s) in {duration_s:.1} s (excluding compilation)",
        suites.len()
    );

    let benches = results::read_repeats(&roots)?;
    let evaluations = budgets::evaluate(&entries, &benches, &known, &selected);
    let comparison = baseline
        .map(|(name, base)| report::compare(&name, &base.benches, &benches, args.threshold));
    let (git_rev, git_dirty) = crate::host::git();
    let header = Header {
        timestamp: rfc3339(SystemTime::now()),
        run_id: run_id.clone(),
        host_cpu: crate::host::cpu(),
        cores: crate::host::cores(),
        os: crate::host::os(),
        rustc: crate::host::rustc(),
        git_rev,
        git_dirty,
        profile: args.profile.name().to_owned(),
        suites: suites.iter().map(|s| s.name.clone()).collect(),
        filter: args.filter.clone(),
        duration_s,
        repeat: args.repeat,
    };
    let report = Report {
        schema: 1,
        header,
        benches,
        known_ids: known.into_iter().collect(),
        evaluations,
        comparison,
    };

    write_report(&run_dir, &report)?;
    if let Some(name) = &args.save_baseline {
        let path = baselines_dir(&ws).join(format!("{name}.json"));
        write_atomic(&path, &serde_json::to_vec_pretty(&report)?)?;
        eprintln!("saved baseline {name}: {}", path.display());
    }
    for export in &args.exports {
        let (path, value) = match export {
            Export::Bmf(p) => (p, report::bmf(&report)),
            Export::Github(p) => (p, report::github(&report)),
        };
        write_atomic(&absolute(path), &serde_json::to_vec_pretty(&value)?)?;
    }
    write_atomic(&root.join("latest"), format!("{run_id}\n").as_bytes())?;
    println!("{}", report::markdown(&report));
    eprintln!("report: {}", run_dir.join("report.html").display());

    if !failed.is_empty() {
        eprintln!("failed suites: {}", failed.join(", "));
    }
    let bad = report.failed() || !failed.is_empty();
    if bad && args.no_fail {
        eprintln!("failures reported, not failing (--no-fail)");
    }
    Ok(if bad && !args.no_fail {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

/// Renders everything in memory first, then writes report.{json,md,html} atomically.
fn write_report(run_dir: &Path, report: &Report) -> Result<()> {
    let json = serde_json::to_vec_pretty(report)?;
    let md = report::markdown(report);
    let html = report::html(report);
    write_atomic(&run_dir.join("report.json"), &json)?;
    write_atomic(&run_dir.join("report.md"), md.as_bytes())?;
    write_atomic(&run_dir.join("report.html"), html.as_bytes())?;
    Ok(())
}

pub fn compare(a: &str, b: &str, threshold: f64, no_fail: bool) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let base = report::load(&resolve(&ws, a)?)?;
    let new = report::load(&resolve(&ws, b)?)?;
    let c = report::compare(a, &base.benches, &new.benches, threshold);
    println!("{}", report::markdown_comparison(&c).trim_end());
    let regressions = c.regressions();
    Ok(if regressions > 0 && !no_fail {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

pub fn report_cmd(run: Option<&str>) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let root = bench_root(&ws);
    let run_id = match run {
        Some(r) => r.to_owned(),
        None => std::fs::read_to_string(root.join("latest"))
            .context(
                "no run yet (target/ggen-bench/latest is missing); run `cargo xtask bench` first",
            )?
            .trim()
            .to_owned(),
    };
    let run_dir = root.join(&run_id);
    let old = report::load(&run_dir.join("report.json"))?;
    let known = old.known();
    let entries: Vec<Entry> = budgets::load(&ws.root.join("budgets.toml"), &known)?;
    let benches = results::read_repeats(&results::criterion_roots(&run_dir, old.header.repeat))?;
    let suites: Vec<Suite> = old
        .header
        .suites
        .iter()
        .map(|s| Suite {
            package: String::new(),
            name: s.clone(),
        })
        .collect();
    let filter = old
        .header
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("stored filter")?;
    let evaluations = budgets::evaluate(
        &entries,
        &benches,
        &known,
        &selector(&suites, filter.as_ref()),
    );
    let report = Report {
        benches,
        evaluations,
        ..old
    };
    write_report(&run_dir, &report)?;
    println!("{}", report::markdown(&report));
    Ok(if report.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// A sortable UTC run id, `YYYYMMDD-HHMMSS-mmm`.
pub fn run_id(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, ms) = civil(t);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}-{ms:03}")
}

/// `2026-11-23T08:59:22Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, _) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

fn civil(t: SystemTime) -> (i64, u32, u32, u64, u64, u64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    (
        y,
        m,
        day,
        s / 3600,
        (s / 60) % 60,
        s % 60,
        d.subsec_millis(),
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
        let t = UNIX_EPOCH + Duration::from_millis(1_795_424_362_500);
        assert_eq!(run_id(t), "20261123-085922-500");
        assert_eq!(rfc3339(t), "2026-11-23T08:59:22Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn selection_follows_suites_and_filter() {
        let suites = vec![Suite {
            package: "p".into(),
            name: "s".into(),
        }];
        let f = Regex::new("^g/a/").unwrap();
        let sel = selector(&suites, Some(&f));
        assert!(sel("s/g/a/1"));
        assert!(!sel("s/g/b/1"));
        assert!(!sel("t/g/a/1"));
        assert!(!sel("nonsense"));
        let all = selector(&suites, None);
        assert!(all("s/x/y/z"));
    }
}
