//! The suites as processes: build them, list what they define, run one.
//!
//! `cargo bench --no-run --message-format=json` builds every Criterion suite and names each
//! executable; from then on the xtask starts the binaries itself (as `cargo bench` would, with
//! `--bench`), so a signal handler can stop a suite by killing one process (see
//! [`crate::interrupt`]) and each run skips cargo's own start-up. The `system` suite's binary is
//! `ggen` itself, built with `cargo build --release` (what a user installs) and measured by
//! [`crate::system`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use bench_format::Profile;
use bench_format::harness::{MODE_ENV, MODE_PLAN, PlanLine};

use crate::catalog::Catalog;
use crate::interrupt;
use crate::results::{SIDE_FILE, SideFile, read_json};
use crate::workspace::{CLI_BINARY, CLI_PACKAGE, Suite, SuiteKind, Workspace};

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A built suite: its bench binary.
#[derive(Debug, Clone)]
pub struct Built {
    pub suite: Suite,
    pub exe: PathBuf,
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    target: Option<MessageTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct MessageTarget {
    name: String,
    kind: Vec<String>,
}

/// Executables of target `kind` (`bench`, `bin`) by target name, from cargo's JSON messages.
fn executables(json_lines: &[u8], kind: &str) -> BTreeMap<String, PathBuf> {
    String::from_utf8_lossy(json_lines)
        .lines()
        .filter_map(|l| serde_json::from_str::<Message>(l).ok())
        .filter(|m| m.reason == "compiler-artifact")
        .filter_map(|m| {
            let t = m.target?;
            (t.kind.iter().any(|k| k == kind)).then_some((t.name, m.executable?))
        })
        .collect()
}

/// Runs one cargo build command and returns the executables it reports, of target `kind`.
fn cargo_build(
    ws: &Workspace,
    args: &[&str],
    kind: &str,
    what: &str,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root)
        .args(args)
        .args(["--quiet", "--message-format=json-render-diagnostics"]);
    if let Some(t) = &ws.target_override {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    if ws.remap_root {
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        flags.push_str(&format!(" --remap-path-prefix={}=/ggen", ws.root.display()));
        cmd.env("RUSTFLAGS", flags.trim());
    }
    let done = interrupt::run(&mut cmd, true, what)?;
    if !done.status.success() {
        bail!("{what} failed ({})", done.status);
    }
    Ok(executables(&done.stdout, kind))
}

/// Builds every suite of the workspace and returns each one's binary: the Criterion suites in
/// the bench profile, the system suite's `ggen` in the release profile.
pub fn build(ws: &Workspace) -> Result<Vec<Built>> {
    let mut bench_args = vec!["bench", "--no-run"];
    for s in ws.suites.iter().filter(|s| s.kind == SuiteKind::Criterion) {
        bench_args.extend(["-p", &s.package, "--bench", &s.name]);
    }
    let benches = cargo_build(ws, &bench_args, "bench", "compiling the bench suites")?;
    let bins = if ws.suites.iter().any(|s| s.kind == SuiteKind::System) {
        cargo_build(
            ws,
            &["build", "--release", "-p", CLI_PACKAGE, "--bin", CLI_BINARY],
            "bin",
            "building the ggen binary",
        )?
    } else {
        BTreeMap::new()
    };
    ws.suites
        .iter()
        .map(|s| {
            let exe = match s.kind {
                SuiteKind::Criterion => benches.get(&s.name),
                SuiteKind::System => bins.get(CLI_BINARY),
            }
            .with_context(|| format!("cargo built no executable for suite {}", s.name))?;
            Ok(Built {
                suite: s.clone(),
                exe: exe.clone(),
            })
        })
        .collect()
}

impl Built {
    /// The bench binary in benchmark mode, run from the workspace root.
    fn command(&self, ws: &Workspace) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.current_dir(&ws.root).arg("--bench");
        cmd
    }

    /// Runs the suite: results go to `home` (its `CRITERION_HOME`), its own output to `log`.
    /// Returns whether the suite succeeded.
    pub fn run(
        &self,
        ws: &Workspace,
        profile: Profile,
        filter: Option<&regex::Regex>,
        home: &Path,
        log: &Path,
    ) -> Result<bool> {
        std::fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
        let mut file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        if self.suite.kind == SuiteKind::System {
            return match crate::system::run(&self.exe, profile, filter, home, &mut file) {
                Ok(()) => Ok(true),
                Err(e) if e.is::<interrupt::Interrupted>() => Err(e),
                Err(e) => {
                    use std::io::Write as _;
                    let _ = writeln!(file, "error: {e:#}");
                    Ok(false)
                }
            };
        }
        let profile = profile.name();
        let mut cmd = self.command(ws);
        cmd.env(bench_format::PROFILE_ENV, profile)
            .env("CRITERION_HOME", home)
            .stdout(file.try_clone()?)
            .stderr(file);
        if let Some(f) = filter {
            cmd.arg(criterion_filter(f.as_str()));
        }
        let done = interrupt::run(&mut cmd, false, &format!("suite {}", self.suite.name))?;
        Ok(done.status.success())
    }
}

/// Every bench the suites define, with the units and latency their setup declares. `scratch` is
/// a temporary `CRITERION_HOME` for the side files setup code writes; it is removed afterwards.
pub fn catalog(ws: &Workspace, built: &[Built], scratch: &Path) -> Result<Catalog> {
    let result = list_into(ws, built, scratch);
    let _ = std::fs::remove_dir_all(scratch);
    result
}

fn list_into(ws: &Workspace, built: &[Built], scratch: &Path) -> Result<Catalog> {
    let mut catalog = Catalog::default();
    for b in built {
        if b.suite.kind == SuiteKind::System {
            for (id, unit, latency) in crate::system::declared() {
                if unit != crate::results::Unit::Ns {
                    catalog.units.insert(id.clone(), unit);
                }
                if latency {
                    catalog.latency.insert(id.clone());
                }
                catalog.ids.insert(id);
            }
            continue;
        }
        let home = scratch.join(&b.suite.name);
        let mut cmd = b.command(ws);
        cmd.arg("--list")
            .env("CRITERION_HOME", &home)
            .env(bench_format::PROFILE_ENV, Profile::Quick.name())
            .stderr(Stdio::inherit());
        let what = format!("listing the benches of suite {}", b.suite.name);
        let done = interrupt::run(&mut cmd, true, &what)?;
        if !done.status.success() {
            bail!("{what} failed ({})", done.status);
        }
        for line in String::from_utf8_lossy(&done.stdout).lines() {
            if let Some(id) = line.strip_suffix(": benchmark")
                && !catalog.ids.insert(format!("{}/{id}", b.suite.name))
            {
                bail!("duplicate bench id {}/{id}", b.suite.name);
            }
        }
        let plan = read_plan(ws, b)?;
        for line in &plan {
            if let bench_format::harness::PlanLine::Counted { id, .. } = line {
                catalog.counted.insert(format!("{}/{id}", b.suite.name));
            }
        }
        catalog.plans.insert(b.suite.name.clone(), plan);
        for path in side_files(&home) {
            let side: SideFile = read_json(&path)?;
            if !catalog.ids.contains(&side.id) {
                bail!(
                    "{}: suite {} wrote a side file for {:?}, which it does not list",
                    path.display(),
                    b.suite.name,
                    side.id
                );
            }
            if side.unit != crate::results::Unit::Ns {
                catalog.units.insert(side.id.clone(), side.unit);
            }
            if side.records_latency {
                catalog.latency.insert(side.id);
            }
        }
    }
    Ok(catalog)
}

fn side_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == SIDE_FILE) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One Criterion suite's plan (`GGEN_HARNESS=plan`): which benches are counted and why not.
pub fn read_plan(ws: &Workspace, built: &Built) -> Result<Vec<PlanLine>> {
    let suite = &built.suite.name;
    let mut cmd = Command::new(&built.exe);
    cmd.current_dir(&ws.root)
        .env(MODE_ENV, MODE_PLAN)
        .stderr(Stdio::inherit());
    let what = format!("reading the instruction-count plan of suite {suite}");
    let done = interrupt::run(&mut cmd, true, &what)?;
    if !done.status.success() {
        bail!("{what} failed ({})", done.status);
    }
    let text = String::from_utf8_lossy(&done.stdout);
    let lines: Vec<PlanLine> = text.lines().filter_map(PlanLine::parse).collect();
    if lines.is_empty() {
        bail!("{what}: the binary printed no plan (is its main `benches_common::harness`?)");
    }
    Ok(lines)
}

/// The filter as it is handed to a bench binary: `(?:)` in front matches the same ids, and keeps
/// a regex that starts with `-` from being read as an option (`-?execute/` is a valid filter).
pub fn criterion_filter(filter: &str) -> String {
    format!("(?:){filter}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_come_from_bench_artifacts_only() {
        let json = br#"{"reason":"compiler-artifact","target":{"name":"ggen_core","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"runtime_overhead","kind":["bench"]},"executable":"/t/release/deps/runtime_overhead-1"}
{"reason":"build-finished","success":true}
not json
"#;
        let exes = executables(json, "bench");
        assert_eq!(exes.len(), 1);
        assert_eq!(
            exes["runtime_overhead"],
            PathBuf::from("/t/release/deps/runtime_overhead-1")
        );
    }
}
