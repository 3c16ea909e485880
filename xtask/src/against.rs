//! `--against REV`: the same benches of revision REV (side A) and of the working tree as it stands
//! (side B), measured in paired rounds.
//!
//! REV is checked out once into a git worktree (`target/ggen-bench/against/<sha>`) and built with
//! its own target directory (`target/ggen-bench/against-target`), both kept between runs so a
//! second run against the same REV builds nothing. Each round runs every Criterion suite on both
//! sides back to back, alternating which side goes first; each bench's per-round means form the
//! pairs, and [`crate::stats::ratio_ci_paired`] turns their log-ratios into the verdict. The
//! `system` suite is not paired (it has no A side) and is left out of `--against` runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::suites::{self, Built};
use crate::workspace::{SuiteKind, Workspace};

/// Default threshold of an `--against` comparison: paired rounds resolve changes of about 1%.
pub const DEFAULT_THRESHOLD: f64 = 0.01;

/// Default number of paired rounds.
pub const DEFAULT_ROUNDS: usize = 5;

/// Side A: revision REV, built.
pub struct SideA {
    /// REV as given.
    pub rev: String,
    /// The commit it names.
    pub sha: String,
    /// Its Criterion suites, built.
    pub suites: Vec<Built>,
}

/// The commit `rev` names in the repository at `root`; an error (exit 2) if it names none.
pub fn resolve(root: &Path, rev: &str) -> Result<String> {
    if rev.starts_with('-') {
        bail!("--against {rev:?}: not a revision");
    }
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])
        .output()
        .context("running git rev-parse")?;
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || sha.is_empty() {
        bail!("--against {rev:?}: not a revision of this repository");
    }
    Ok(sha)
}

/// Checks out `sha` into a reusable worktree under `bench_root` and builds its suites named in
/// `wanted` (Criterion suites only). A revision that does not build is an error (exit 2).
pub fn prepare(
    root: &Path,
    bench_root: &Path,
    rev: &str,
    sha: &str,
    wanted: &[String],
) -> Result<SideA> {
    let tree: PathBuf = bench_root.join("against").join(sha);
    if !tree.join("Cargo.toml").is_file() {
        let _ = std::fs::remove_dir_all(&tree);
        let _ = Command::new("git")
            .current_dir(root)
            .args(["worktree", "prune"])
            .status();
        std::fs::create_dir_all(tree.parent().unwrap_or(bench_root))?;
        let out = Command::new("git")
            .current_dir(root)
            .args(["worktree", "add", "--detach", "--force"])
            .arg(&tree)
            .arg(sha)
            .output()
            .context("running git worktree add")?;
        if !out.status.success() {
            bail!(
                "--against {rev}: cannot check out {sha}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let target = bench_root.join("against-target");
    let mut ws = Workspace::discover_in(&tree, Some(&target))
        .with_context(|| format!("--against {rev}: reading the workspace at {sha}"))?;
    ws.suites
        .retain(|s| s.kind == SuiteKind::Criterion && wanted.contains(&s.name));
    if ws.suites.is_empty() {
        bail!("--against {rev}: revision {sha} has none of the selected suites");
    }
    eprintln!(
        "building {} suite(s) of {rev} ({})...",
        ws.suites.len(),
        &sha[..sha.len().min(12)]
    );
    let suites = suites::build(&ws)
        .with_context(|| format!("--against {rev}: revision {sha} does not build"))?;
    Ok(SideA {
        rev: rev.to_owned(),
        sha: sha.to_owned(),
        suites,
    })
}

/// Where side A's results of round `k` (1-based) live.
pub fn root(run_dir: &Path, k: usize) -> PathBuf {
    run_dir.join(format!("against-r{k}"))
}
