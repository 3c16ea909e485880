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

impl Store {
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let what = || format!("history {}", path.display());
        let read = |conn: &Connection| -> rusqlite::Result<(i32, i64, i64)> {
            let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let tables: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            Ok((app, version, tables))
        };
        let (app, version, tables) = read(&self.conn).map_err(|e| {
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
        if version == current_version() {
            return Ok(());
        }
        self.migrate_to(current_version())
            .with_context(|| format!("{}: upgrading from schema {version}", what()))
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

    /// The paired ratios of run `run`: (bench, against, ratio).
    #[cfg(test)]
    pub fn paired(&self, run: i64) -> Result<Vec<(String, String, f64)>> {
        let mut q = self
            .conn
            .prepare("SELECT bench, against, ratio FROM paired WHERE run = ?1 ORDER BY bench")?;
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
    {
        let mut m = tx.prepare(
            "INSERT INTO measurements (run, bench, metric, unit, value, lower, upper)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for b in &r.benches {
            let unit = serde_json::to_value(b.unit)?
                .as_str()
                .unwrap_or("?")
                .to_owned();
            m.execute(params![
                run,
                b.id,
                "mean",
                unit,
                b.mean.point,
                b.mean.lower,
                b.mean.upper
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
        let mut c = tx.prepare(
            "INSERT OR REPLACE INTO claims (run, claim, verdict, measured) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for e in &r.evaluations {
            let verdict = serde_json::to_value(e.verdict)?
                .as_str()
                .unwrap_or("?")
                .to_owned();
            c.execute(params![run, e.entry.describe(), verdict, e.measured])?;
        }
        if let (Some(against), Some(cmp)) = (&h.against, &r.comparison) {
            let mut p = tx.prepare(
                "INSERT INTO paired (run, bench, against, ratio, lower, upper, change)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for d in &cmp.deltas {
                let change = serde_json::to_value(d.change)?
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                p.execute(params![
                    run,
                    d.id,
                    against,
                    d.ratio.point,
                    d.ratio.lower,
                    d.ratio.upper,
                    change
                ])?;
            }
        }
    }
    Ok(true)
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
mod tests {
    use super::*;
    use crate::results::Unit;
    use crate::testing::{bench_fixture, sample_report};

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ggen-history-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("history.sqlite")
    }

    fn report(run_id: &str, rev: &str, mean: f64) -> Report {
        let mut r = sample_report();
        r.benches = vec![bench_fixture("s/g/f/1", mean, Unit::Ns)];
        r.evaluations.clear();
        r.header.run_id = run_id.into();
        r.header.git_rev = rev.into();
        r.header.timestamp = format!("2026-12-07T00:00:{:02}Z", run_id.len());
        r
    }

    #[test]
    fn a_run_round_trips_and_is_recorded_once() {
        let path = temp("round-trip");
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.version().unwrap(), current_version());
        let r = report("r1", "abc", 100.0);
        assert!(s.record(&r).unwrap());
        assert!(
            !s.record(&r).unwrap(),
            "a second record of one run adds nothing"
        );
        drop(s);
        let s = Store::open(&path).unwrap();
        let runs = s.runs().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].run_id, "r1");
        assert_eq!(runs[0].git_rev, "abc");
        assert_eq!(runs[0].mode, "plain");
        assert_eq!(runs[0].machine, machine_of(&r));
        let points = s.points().unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!(
            (points[0].bench.as_str(), points[0].value),
            ("s/g/f/1", 100.0)
        );
        assert_eq!(points[0].unit, "ns");
    }

    #[test]
    fn an_older_schema_is_migrated_with_its_data_kept() {
        let path = temp("migrate");
        {
            // A version-1 file, as the first release wrote it.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
                 INSERT INTO runs VALUES (1, 'old', '2026-01-01T00:00:00Z', 'abc', 0, 'm', 'cpu',
                    2, 'linux', 'rustc', 'quick', 'plain');
                 INSERT INTO measurements VALUES (1, 's/g/f/1', 'mean', 'ns', 5.0, 4.0, 6.0);"
            ))
            .unwrap();
        }
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.version().unwrap(), 2);
        assert_eq!(s.runs().unwrap()[0].run_id, "old");
        assert_eq!(s.points().unwrap()[0].value, 5.0);
        // The new tables work.
        assert!(s.record(&report("new", "def", 7.0)).unwrap());
        assert_eq!(s.claims(2).unwrap().len(), 0);
    }

    #[test]
    fn a_failed_record_leaves_the_file_as_it_was() {
        let path = temp("atomic");
        let mut s = Store::open(&path).unwrap();
        assert!(s.record(&report("r1", "abc", 1.0)).unwrap());
        // The same bench twice violates the key half-way through the run's inserts.
        let mut bad = report("r2", "def", 2.0);
        bad.benches.push(bad.benches[0].clone());
        let e = s.record(&bad).unwrap_err();
        assert!(format!("{e:#}").contains("recording s/g/f/1"), "{e:#}");
        assert_eq!(s.runs().unwrap().len(), 1, "the run row was rolled back");
        assert_eq!(s.points().unwrap().len(), 1);
    }

    #[test]
    fn foreign_corrupt_and_newer_files_are_refused_untouched() {
        let check = |name: &str, make: &dyn Fn(&Path), expect: &str| {
            let path = temp(name);
            make(&path);
            let before = std::fs::read(&path).unwrap();
            let e = Store::open(&path).err().expect("refused");
            assert!(format!("{e:#}").contains(expect), "{name}: {e:#}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                before,
                "{name}: file changed"
            );
        };
        check(
            "text",
            &|p| std::fs::write(p, "not a database at all\n").unwrap(),
            "not an SQLite database",
        );
        check(
            "empty",
            &|p| std::fs::write(p, "").unwrap(),
            "not an SQLite database",
        );
        check(
            "foreign",
            &|p| {
                let c = Connection::open(p).unwrap();
                c.execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7;")
                    .unwrap();
            },
            "another program",
        );
        check(
            "unmarked",
            &|p| {
                Connection::open(p)
                    .unwrap()
                    .execute_batch("CREATE TABLE t (x);")
                    .unwrap();
            },
            "another program",
        );
        check(
            "newer",
            &|p| {
                let c = Connection::open(p).unwrap();
                c.execute_batch(&format!(
                    "CREATE TABLE t (x); PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 99;"
                ))
                .unwrap();
            },
            "newer than this xtask",
        );
        check(
            "corrupt",
            &|p| {
                drop(Store::open(p).unwrap());
                let mut bytes = std::fs::read(p).unwrap();
                for b in &mut bytes[16..] {
                    *b = 0xA5;
                }
                std::fs::write(p, bytes).unwrap();
            },
            "history",
        );
    }

    #[test]
    fn two_writers_at_once_both_land() {
        let path = temp("concurrent");
        drop(Store::open(&path).unwrap());
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut s = Store::open(&path).unwrap();
                    for k in 0..10 {
                        s.record(&report(&format!("w{w}-{k}"), "abc", k as f64))
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.runs().unwrap().len(), 40);
        assert_eq!(s.points().unwrap().len(), 40);
        let ok: String = s
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
}
