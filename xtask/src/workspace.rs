//! Discovering the workspace's suites with `cargo metadata`: every Criterion bench target, and the
//! `system` suite when the workspace builds the `ggen` binary (package `ggen-cli`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// One suite: a bench target, or the xtask's own `system` suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// Package that owns it.
    pub package: String,
    /// Bench target name (or `system`); the first part of every bench id it produces.
    pub name: String,
    /// How it is built and run.
    pub kind: SuiteKind,
}

/// How a suite is built and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuiteKind {
    /// A Criterion bench binary.
    #[default]
    Criterion,
    /// The `ggen` binary, measured whole-process by [`crate::system`].
    System,
}

/// The package and binary the `system` suite measures.
pub const CLI_PACKAGE: &str = "ggen-cli";
/// The binary target of [`CLI_PACKAGE`].
pub const CLI_BINARY: &str = "ggen";

/// What the runner needs to know about the workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// `CARGO_TARGET_DIR` for every cargo command run in this workspace (set for the `--against`
    /// worktree, which keeps its own target directory between runs).
    pub target_override: Option<PathBuf>,
    /// Build with the workspace root's path remapped (`--remap-path-prefix ROOT=/ggen`), so two
    /// checkouts of the same source build the same binaries (the two sides of `--against`).
    pub remap_root: bool,
    pub suites: Vec<Suite>,
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<Package>,
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

impl Workspace {
    /// Runs `cargo metadata` for the workspace containing the current directory.
    pub fn discover() -> Result<Self> {
        Self::discover_in(Path::new("."), None)
    }

    /// The workspace at `dir`, its cargo commands using `target` as their target directory.
    pub fn discover_in(dir: &Path, target: Option<&Path>) -> Result<Self> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(dir)
            .args(["metadata", "--format-version", "1", "--no-deps"]);
        if let Some(t) = target {
            cmd.env("CARGO_TARGET_DIR", t);
        }
        let out = cmd.output().context("running `cargo metadata`")?;
        if !out.status.success() {
            bail!(
                "`cargo metadata` failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut ws = Self::from_metadata_json(&out.stdout)?;
        ws.target_override = target.map(Path::to_owned);
        Ok(ws)
    }

    fn from_metadata_json(json: &[u8]) -> Result<Self> {
        let meta: Metadata =
            serde_json::from_slice(json).context("parsing `cargo metadata` output")?;
        let mut suites: Vec<Suite> = meta
            .packages
            .iter()
            .filter(|p| meta.workspace_members.contains(&p.id))
            .flat_map(|p| {
                p.targets
                    .iter()
                    .filter(|t| t.kind.iter().any(|k| k == "bench"))
                    .map(|t| Suite {
                        package: p.name.clone(),
                        name: t.name.clone(),
                        kind: SuiteKind::Criterion,
                    })
            })
            .collect();
        let has_cli = meta.packages.iter().any(|p| {
            meta.workspace_members.contains(&p.id)
                && p.name == CLI_PACKAGE
                && p.targets
                    .iter()
                    .any(|t| t.name == CLI_BINARY && t.kind.iter().any(|k| k == "bin"))
        });
        if has_cli {
            suites.push(Suite {
                package: CLI_PACKAGE.into(),
                name: crate::system::SUITE.into(),
                kind: SuiteKind::System,
            });
        }
        suites.sort_by(|a, b| (&a.package, &a.name).cmp(&(&b.package, &b.name)));
        Ok(Self {
            root: meta.workspace_root,
            target_dir: meta.target_directory,
            target_override: None,
            remap_root: false,
            suites,
        })
    }

    /// The suites selected by `-p` and `--bench` (all when both are empty). Unknown names are
    /// errors that list what exists.
    pub fn select(&self, packages: &[String], suites: &[String]) -> Result<Vec<Suite>> {
        for p in packages {
            if !self.suites.iter().any(|s| &s.package == p) {
                bail!(
                    "no bench suites in package {p:?}; packages with suites: {}",
                    self.packages().join(", ")
                );
            }
        }
        for b in suites {
            if !self.suites.iter().any(|s| &s.name == b) {
                let names: Vec<&str> = self.suites.iter().map(|s| s.name.as_str()).collect();
                bail!("no bench suite named {b:?}; suites: {}", names.join(", "));
            }
        }
        Ok(self
            .suites
            .iter()
            .filter(|s| packages.is_empty() || packages.contains(&s.package))
            .filter(|s| suites.is_empty() || suites.contains(&s.name))
            .cloned()
            .collect())
    }

    fn packages(&self) -> Vec<String> {
        let mut p: Vec<String> = self.suites.iter().map(|s| s.package.clone()).collect();
        p.dedup();
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{
      "workspace_root": "/ws", "target_directory": "/ws/target",
      "workspace_members": ["a 0.1.0", "b 0.1.0", "ggen-cli 0.1.0"],
      "packages": [
        {"id": "a 0.1.0", "name": "a", "targets": [
          {"name": "a", "kind": ["lib"]}, {"name": "zeta", "kind": ["bench"]}, {"name": "alpha", "kind": ["bench"]}]},
        {"id": "b 0.1.0", "name": "b", "targets": [{"name": "b", "kind": ["bin"]}]},
        {"id": "c 0.1.0", "name": "c", "targets": [{"name": "ext", "kind": ["bench"]}]},
        {"id": "ggen-cli 0.1.0", "name": "ggen-cli", "targets": [{"name": "ggen", "kind": ["bin"]}]}
      ]}"#;

    #[test]
    fn finds_member_bench_targets_sorted() {
        let ws = Workspace::from_metadata_json(META.as_bytes()).unwrap();
        let names: Vec<_> = ws.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta", "system"]);
        assert_eq!(ws.suites[2].kind, SuiteKind::System);
        assert_eq!(ws.suites[2].package, "ggen-cli");
        assert_eq!(ws.target_dir, PathBuf::from("/ws/target"));
    }

    #[test]
    fn selection_and_its_errors() {
        let ws = Workspace::from_metadata_json(META.as_bytes()).unwrap();
        assert_eq!(ws.select(&[], &["zeta".into()]).unwrap().len(), 1);
        assert_eq!(ws.select(&["a".into()], &[]).unwrap().len(), 2);
        let err = ws.select(&["b".into()], &[]).unwrap_err().to_string();
        assert!(
            err.contains("no bench suites in package \"b\"") && err.contains("a"),
            "{err}"
        );
        let err = ws.select(&[], &["nope".into()]).unwrap_err().to_string();
        assert!(err.contains("alpha, zeta"), "{err}");
    }
}
