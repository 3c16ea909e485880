//! Tests of the history file (`store.rs`).
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
        let e = Store::check(&path).expect_err("refused by check");
        assert!(format!("{e:#}").contains(expect), "{name}: {e:#}");
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
