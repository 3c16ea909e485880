//! `bench`'s checks before anything runs that are steps of their own: every output path, and
//! that the filter selects something.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use regex::Regex;

use super::{absolute, baselines_dir, selector};
use crate::catalog::Catalog;
use crate::cli::{BenchArgs, Export};
use crate::output::check_target;
use crate::workspace::{Suite, Workspace};

/// The filter must select at least one bench of the selected suites (an error shows some ids).
pub(super) fn check_filter_selects(
    catalog: &Catalog,
    selected_suites: &[Suite],
    filter: Option<&Regex>,
    args: &BenchArgs,
) -> Result<()> {
    if !catalog
        .ids
        .iter()
        .any(|id| selector(selected_suites, filter)(id))
    {
        let examples: Vec<&str> = catalog
            .ids
            .iter()
            .filter(|id| {
                selected_suites
                    .iter()
                    .any(|s| id.starts_with(&format!("{}/", s.name)))
            })
            .take(5)
            .map(String::as_str)
            .collect();
        bail!(
            "--filter {:?} selects no bench of the selected suites (it is matched against group/function/parameter); some ids: {}",
            args.filter.as_deref().unwrap_or(""),
            examples.join(", ")
        );
    }
    Ok(())
}

/// Every path the run will write, checked before anything runs: the run folder, the baseline
/// (`--save-baseline`, which needs `--force` to replace one), the exports, `latest`, and the
/// history file. Returns the baseline's path and the history's.
pub(super) fn check_outputs(
    args: &BenchArgs,
    ws: &Workspace,
    root: &Path,
    run_dir: &Path,
) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
    check_target(&run_dir.join("report.json"), "the run folder")?;
    let baseline_out = match &args.save_baseline {
        Some(name) => {
            let path = baselines_dir(ws).join(format!("{name}.json"));
            if path.is_file() && !args.force {
                bail!(
                    "--save-baseline {name}: {} exists; add --force to replace it",
                    path.display()
                );
            }
            check_target(&path, &format!("--save-baseline {name}"))?;
            Some(path)
        }
        None => None,
    };
    for export in &args.exports {
        let (kind, path) = match export {
            Export::Bmf(p) => ("bmf", p),
            Export::Github(p) => ("github", p),
        };
        check_target(&absolute(path), &format!("--export {kind}"))?;
    }
    check_target(&root.join("latest"), "target/ggen-bench/latest")?;
    let history = (!args.no_history).then(|| super::history::path(ws, args.history.as_deref()));
    if let Some(path) = &history {
        crate::history::Store::check(path)?;
    }
    Ok((baseline_out, history))
}
