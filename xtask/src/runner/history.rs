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
        render::html(&series, &args.settings, &name).into_bytes(),
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
