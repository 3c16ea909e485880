//! The history database: every run's figures in one SQLite file
//! (`target/ggen-bench/history.sqlite` unless `--history PATH` says otherwise), so a series over
//! commits can be read back.
//!
//! - **Ours or refused.** The file carries SQLite's `application_id` [`APPLICATION_ID`]; a file
//!   that is not SQLite, is damaged, belongs to another program, or was written by a newer
//!   schema is refused with one error naming it, before anything is written to it.
//! - **Versioned.** `user_version` is the schema version; [`MIGRATIONS`] brings an older file up
//!   to date, in one transaction.
//! - **All or nothing.** A run is recorded in one `BEGIN IMMEDIATE` transaction: a process
//!   stopped half-way leaves the file as it was, and two processes recording at once take turns
//!   (each waits up to [`BUSY_WAIT`] for the other).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use crate::report::Report;

/// `PRAGMA application_id` of a ggen history file: "ggen" in ASCII.
pub const APPLICATION_ID: i32 = 0x6767_656e;

/// How long a writer waits for another process's transaction to finish.
pub const BUSY_WAIT: Duration = Duration::from_secs(120);

/// The schema, one step per version: `MIGRATIONS[k]` takes a file from version `k` to `k + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs and their per-bench figures.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        timestamp TEXT NOT NULL,
        git_rev TEXT NOT NULL,
        git_dirty INTEGER NOT NULL,
        machine TEXT NOT NULL,
        host_cpu TEXT NOT NULL,
        cores INTEGER NOT NULL,
        os TEXT NOT NULL,
        rustc TEXT NOT NULL,
        profile TEXT NOT NULL,
        mode TEXT NOT NULL
    );
    CREATE TABLE measurements (
        run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        bench TEXT NOT NULL,
        metric TEXT NOT NULL,
        unit TEXT NOT NULL,
        value REAL NOT NULL,
        lower REAL,
        upper REAL,
        PRIMARY KEY (run, bench, metric)
    );",
    // 2: claims' verdicts and paired (`--against`) ratios; an index for series reads.
    "CREATE TABLE claims (
        run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        claim TEXT NOT NULL,
        verdict TEXT NOT NULL,
        measured REAL,
        PRIMARY KEY (run, claim)
    );
    CREATE TABLE paired (
        run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        bench TEXT NOT NULL,
        against TEXT NOT NULL,
        ratio REAL NOT NULL,
        lower REAL NOT NULL,
        upper REAL NOT NULL,
        change TEXT NOT NULL,
        PRIMARY KEY (run, bench)
    );
    CREATE INDEX measurements_by_bench ON measurements (bench, metric);",
];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// An open history file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// What kind of run a report is, for the series key: plain, `--repeat`, or `--against`.
pub fn mode_of(r: &Report) -> &'static str {
    if r.header.against.is_some() {
        "against"
    } else if r.header.repeat > 1 {
        "repeat"
    } else {
        "plain"
    }
}

/// The machine a run's wall times belong to: CPU model, cores, OS and kernel, rustc.
pub fn machine_of(r: &Report) -> String {
    let h = &r.header;
    format!("{}, {} cores, {}, {}", h.host_cpu, h.cores, h.os, h.rustc)
}

/// A run in the history, without its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: i64,
    pub run_id: String,
    pub timestamp: String,
    pub git_rev: String,
    pub git_dirty: bool,
    pub machine: String,
    pub profile: String,
    pub mode: String,
}

/// One figure of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub run: i64,
    pub bench: String,
    pub metric: String,
    pub unit: String,
    pub value: f64,
}

/// One paired ratio of one `--against` run: side B (the tree measured) over side A.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedPoint {
    pub run: i64,
    pub bench: String,
    /// Side A as the run's header names it: `REV (full commit)`.
    pub against: String,
    pub ratio: f64,
}

impl Store {
    /// Checks, without writing anything, that [`Store::open`] will accept `path`: a file that
    /// exists is a ggen history this build can read (or upgrade); a missing one can be created.
    /// `bench` calls it before the first bench runs, and opens the file only to record.
    pub fn check(path: &Path) -> Result<()> {
        if !path.exists() {
            return crate::output::check_target(path, "--history");
        }
        check_header(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("history {}: cannot open it", path.display()))?;
        validate(&conn, path).map(drop)
    }

    /// Opens the history at `path`, creating it (and its folder) if it does not exist, and
    /// bringing an older schema up to date. Refuses, untouched, a file that is not a ggen
    /// history this build can read.
    pub fn open(path: &Path) -> Result<Self> {
        let existed = path.exists();
        if existed {
            check_header(path)?;
        } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the folder of {}", path.display()))?;
        }
        let flags = if existed {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("history {}: cannot open it", path.display()))?;
        conn.busy_timeout(BUSY_WAIT)?;
        let mut store = Self {
            conn,
            path: path.to_owned(),
        };
        store.migrate()?;
        store.conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        Ok(store)
    }

    /// The schema version of the open file.
    pub fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let version = validate(&self.conn, &self.path)?;
        if version == current_version() {
            return Ok(());
        }
        self.migrate_to(current_version()).with_context(|| {
            format!(
                "history {}: upgrading from schema {version}",
                self.path.display()
            )
        })
    }

    /// Applies the migrations from the file's version up to `target`, in one transaction.
    pub fn migrate_to(&mut self, target: i64) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for step in &MIGRATIONS[version as usize..target as usize] {
            tx.execute_batch(step)?;
        }
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {target};"
        ))?;
        tx.commit()?;
        Ok(())
    }

    /// Records a run, all of it or nothing. A run already recorded (same run id) is left as it
    /// is; returns whether it was added.
    pub fn record(&mut self, r: &Report) -> Result<bool> {
        Ok(self.record_all(std::slice::from_ref(r))? == 1)
    }

    /// Records runs in one transaction (all or none); returns how many were new.
    pub fn record_all(&mut self, reports: &[Report]) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        for r in reports {
            added +=
                usize::from(insert(&tx, r).with_context(|| format!("run {}", r.header.run_id))?);
        }
        tx.commit()?;
        Ok(added)
    }

    /// Every run, oldest first (by timestamp, then run id).
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let mut q = self.conn.prepare(
            "SELECT id, run_id, timestamp, git_rev, git_dirty, machine, profile, mode
             FROM runs ORDER BY timestamp, run_id",
        )?;
        let rows = q.query_map([], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                run_id: r.get(1)?,
                timestamp: r.get(2)?,
                git_rev: r.get(3)?,
                git_dirty: r.get(4)?,
                machine: r.get(5)?,
                profile: r.get(6)?,
                mode: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every figure of every run.
    pub fn points(&self) -> Result<Vec<Point>> {
        let mut q = self
            .conn
            .prepare("SELECT run, bench, metric, unit, value FROM measurements")?;
        let rows = q.query_map([], |r| {
            Ok(Point {
                run: r.get(0)?,
                bench: r.get(1)?,
                metric: r.get(2)?,
                unit: r.get(3)?,
                value: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every paired ratio of every `--against` run.
    pub fn paired_points(&self) -> Result<Vec<PairedPoint>> {
        let mut q = self
            .conn
            .prepare("SELECT run, bench, against, ratio FROM paired")?;
        let rows = q.query_map([], |r| {
            Ok(PairedPoint {
                run: r.get(0)?,
                bench: r.get(1)?,
                against: r.get(2)?,
                ratio: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The claims of run `run`: (claim, verdict, measured). (The claims and paired tables are
    /// for queries of the file itself; the history command reads the measurements.)
    #[cfg(test)]
    pub fn claims(&self, run: i64) -> Result<Vec<(String, String, Option<f64>)>> {
        let mut q = self
            .conn
            .prepare("SELECT claim, verdict, measured FROM claims WHERE run = ?1 ORDER BY claim")?;
        let rows = q.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// One run's rows, inside the caller's transaction; false if the run id is recorded already.
fn insert(tx: &rusqlite::Transaction<'_>, r: &Report) -> Result<bool> {
    let h = &r.header;
    let added = tx.execute(
        "INSERT OR IGNORE INTO runs (run_id, timestamp, git_rev, git_dirty, machine, host_cpu,
            cores, os, rustc, profile, mode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            h.run_id,
            h.timestamp,
            h.git_rev,
            h.git_dirty,
            machine_of(r),
            h.host_cpu,
            h.cores as i64,
            h.os,
            h.rustc,
            h.profile,
            mode_of(r),
        ],
    )?;
    if added == 0 {
        return Ok(false);
    }
    let run = tx.last_insert_rowid();
    insert_measurements(tx, run, r)?;
    insert_claims(tx, run, r)?;
    if let (Some(against), Some(cmp)) = (&h.against, &r.comparison) {
        insert_paired(tx, run, against, cmp)?;
    }
    Ok(true)
}

/// A serde enum's JSON name (`"ns"`, `"PASS"`, `"regressed"`), the spelling the reports use.
fn word(v: impl serde::Serialize) -> Result<String> {
    Ok(serde_json::to_value(v)?.as_str().unwrap_or("?").to_owned())
}

/// Each bench's mean with its interval, and its counts when it has them.
fn insert_measurements(tx: &rusqlite::Transaction<'_>, run: i64, r: &Report) -> Result<()> {
    let mut m = tx.prepare(
        "INSERT INTO measurements (run, bench, metric, unit, value, lower, upper)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for b in &r.benches {
        let (mean, unit) = (&b.mean, word(b.unit)?);
        m.execute(params![
            run, b.id, "mean", unit, mean.point, mean.lower, mean.upper
        ])
        .with_context(|| format!("recording {}", b.id))?;
        if let Some(c) = &b.counts {
            for (metric, v) in [
                ("instructions", c.instructions),
                ("estimated_cycles", c.estimated_cycles),
            ] {
                m.execute(params![run, b.id, metric, "count", v, v, v])
                    .with_context(|| format!("recording {}'s {metric}", b.id))?;
            }
        }
    }
    Ok(())
}

fn insert_claims(tx: &rusqlite::Transaction<'_>, run: i64, r: &Report) -> Result<()> {
    let mut c = tx.prepare(
        "INSERT OR REPLACE INTO claims (run, claim, verdict, measured) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for e in &r.evaluations {
        c.execute(params![
            run,
            e.entry.describe(),
            word(e.verdict)?,
            e.measured
        ])?;
    }
    Ok(())
}

/// An `--against` run's paired ratios.
fn insert_paired(
    tx: &rusqlite::Transaction<'_>,
    run: i64,
    against: &str,
    cmp: &crate::report::Comparison,
) -> Result<()> {
    let mut p = tx.prepare(
        "INSERT INTO paired (run, bench, against, ratio, lower, upper, change)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for d in &cmp.deltas {
        let ci = &d.ratio;
        p.execute(params![
            run,
            d.id,
            against,
            ci.point,
            ci.lower,
            ci.upper,
            word(d.change)?
        ])?;
    }
    Ok(())
}

/// The schema version of an open file, if it is a ggen history this build can read (an empty
/// database counts as version 0 of one); otherwise the error that names what it is.
fn validate(conn: &Connection, path: &Path) -> Result<i64> {
    let what = || format!("history {}", path.display());
    let read = || -> rusqlite::Result<(i32, i64, i64)> {
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        Ok((app, version, tables))
    };
    let (app, version, tables) = read().map_err(|e| {
        anyhow::anyhow!(
            "{}: not a readable SQLite database ({e}); move it away to start a new history",
            what()
        )
    })?;
    let empty = app == 0 && version == 0 && tables == 0;
    if !empty && app != APPLICATION_ID {
        bail!(
            "{}: an SQLite database of another program (application_id {app:#x}, expected \
             {APPLICATION_ID:#x}); give --history another path",
            what()
        );
    }
    if version > current_version() {
        bail!(
            "{}: schema version {version}, newer than this xtask's {} (written by a newer \
             checkout); use that checkout or another --history path",
            what(),
            current_version()
        );
    }
    Ok(version)
}

/// A file that exists must start as SQLite files do; anything else is refused before SQLite
/// opens it (SQLite would call an empty file a new database, and write to it).
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path)
        .with_context(|| format!("history {}: cannot read it", path.display()))?;
    let n = f.read(&mut head).unwrap_or(0);
    if n < 16 || &head != b"SQLite format 3\0" {
        bail!(
            "history {}: not an SQLite database (expected a history written by `cargo xtask \
             bench`); move it away or give --history another path",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
