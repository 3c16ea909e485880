//! `cargo xtask history` (the series and their change points, written as md/json/html) and
//! `cargo xtask history import DIR...`, and where the history file lives.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use regex::Regex;

use super::{Outcome, absolute, bench_root};
use crate::cli::HistoryArgs;
use crate::history::{self, Query, Store, render};
use crate::output::Outputs;
use crate::workspace::Workspace;

/// `--history PATH`, else `history.sqlite` in the bench folder.
pub fn path(ws: &Workspace, given: Option<&Path>) -> PathBuf {
    given.map_or_else(|| bench_root(ws).join(history::FILE), absolute)
}

pub fn history(args: &HistoryArgs) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let bench = args
        .bench
        .as_deref()
        .map(Regex::new)
        .transpose()
        .context("--bench")?;
    let out_dir = args
        .out
        .as_deref()
        .map_or_else(|| bench_root(&ws).join("history"), absolute);
    let files: Vec<PathBuf> = ["history.md", "history.json", "history.html"]
        .iter()
        .map(|f| out_dir.join(f))
        .collect();
    for f in &files {
        crate::output::check_target(f, "--out")?;
    }
    let db = path(&ws, args.history.as_deref());
    if !db.exists() {
        anyhow::bail!(
            "history {}: no such file; `cargo xtask bench` records every run there, and \
             `cargo xtask history import target/ggen-bench` loads saved runs",
            db.display()
        );
    }
    let store = Store::open(&db)?;
    let q = Query {
        bench,
        settings: args.settings,
        include_dirty: args.include_dirty,
    };
    let series = history::analyze(&store, &q)?;
    let name = db.display().to_string();
    let md = render::markdown(&series, &args.settings, &name);
    let json = serde_json::to_vec_pretty(&render::Document {
        schema: 1,
        database_schema: store.version()?,
        database: name.clone(),
        window: args.settings.window,
        max_p: args.settings.max_p,
        min_change: args.settings.min_change,
        include_dirty: args.include_dirty,
        series: &series,
    })?;
    let mut out = Outputs::default();
    out.add(files[0].clone(), md.clone().into_bytes());
    out.add(files[1].clone(), json);
    out.add(
        files[2].clone(),
        render::html(
            &series,
            &args.settings,
            &name,
            commit_url(&ws.root).as_deref(),
        )
        .into_bytes(),
    );
    out.commit()?;
    println!("{md}");
    eprintln!("history: {}", files[2].display());
    Ok(Outcome::Success)
}

pub fn import(dirs: &[PathBuf], given: Option<&Path>) -> Result<Outcome> {
    let ws = Workspace::discover()?;
    let dirs: Vec<PathBuf> = dirs.iter().map(|d| absolute(d)).collect();
    // Every report is read and checked before the file is opened (or created).
    let reports = history::read_runs(&dirs)?;
    let db = path(&ws, given);
    let mut store = Store::open(&db)?;
    let added = store.record_all(&reports)?;
    eprintln!(
        "history {}: {added} run(s) added, {} already recorded",
        db.display(),
        reports.len() - added
    );
    Ok(Outcome::Success)
}

/// `https://github.com/OWNER/REPO/commit/` when the checkout's `origin` is on GitHub (the
/// history page links its change points' commits there); `None` otherwise.
fn commit_url(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .current_dir(root)
        .args(["remote", "get-url", "origin"])
        .output()
        .ok()?;
    github_commits(String::from_utf8_lossy(&out.stdout).trim())
}

/// The commit-page prefix of a GitHub remote URL (https or ssh form).
fn github_commits(remote: &str) -> Option<String> {
    let path = remote
        .strip_prefix("https://github.com/")
        .or_else(|| remote.strip_prefix("git@github.com:"))
        .or_else(|| remote.strip_prefix("ssh://git@github.com/"))?;
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    (path.split('/').count() == 2 && !path.contains(' '))
        .then(|| format!("https://github.com/{path}/commit/"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn github_remotes_give_a_commit_url_and_others_none() {
        let want = Some("https://github.com/o/r/commit/".to_owned());
        assert_eq!(super::github_commits("https://github.com/o/r.git"), want);
        assert_eq!(super::github_commits("git@github.com:o/r.git"), want);
        assert_eq!(super::github_commits("ssh://git@github.com/o/r"), want);
        assert_eq!(super::github_commits("/work/main"), None);
        assert_eq!(super::github_commits("https://gitlab.com/o/r.git"), None);
        assert_eq!(super::github_commits(""), None);
    }
}
