//! End to end, issue 23: every run lands in the history, `history` reads it back and writes its
//! three files, `history import` loads run folders, and a history file that cannot be trusted is
//! refused (exit 2) before anything runs, and left as it was.

mod common;

use common::*;

#[test]
fn runs_are_recorded_and_read_back() {
    let _g = lock();
    let env = Env::new("history");
    let db = env.dir.join("history.sqlite");
    // The first run creates the history.
    for _ in 0..2 {
        let out = env.xtask(&QUICK_ONE);
        assert!(out.status.success(), "{}", text(&out));
    }
    assert!(db.is_file(), "{:?}", env.tree());
    let out = env.xtask(&["history", "--include-dirty"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0 change point(s) in 1 series over 2 run(s)"),
        "{stdout}"
    );
    let doc = json(&env.dir.join("history/history.json"));
    let series = doc["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{doc}");
    assert_eq!(
        series[0]["key"]["bench"],
        "swarm_primitives/scheduler/lanes/100"
    );
    assert_eq!(series[0]["points"].as_array().unwrap().len(), 2);
    assert!(env.dir.join("history/history.html").is_file());
    assert!(env.dir.join("history/history.md").is_file());

    // `--no-history` leaves it alone; import loads the saved runs into another file, once.
    let out = env.xtask(&[&QUICK_ONE[..], &["--no-history"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    let other = env.dir.join("other.sqlite");
    let other_s = other.to_str().unwrap();
    let dir = env.dir.to_str().unwrap();
    let out = env.xtask(&["history", "import", dir, "--history", other_s]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("3 run(s) added, 0 already recorded"),
        "{}",
        text(&out)
    );
    // Two importers at once: each waits for the other's transaction.
    let spawn = || {
        env.command(&["history", "import", dir, "--history", other_s])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for o in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            stderr(&o).contains("0 run(s) added, 3 already recorded"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn an_untrusted_history_file_is_refused_before_anything_runs() {
    let _g = lock();
    let env = Env::new("history-bad");
    let bad = env.dir.join("notes.sqlite");
    std::fs::write(&bad, "these are my notes, not a database\n").unwrap();
    let bad_s = bad.to_str().unwrap();
    let before = env.tree();
    let out = env.xtask(&[&QUICK_ONE[..], &["--history", bad_s]].concat());
    refused(&out, &["notes.sqlite", "not an SQLite database"]);
    assert_eq!(env.tree(), before, "exit 2 wrote something");
    for args in [
        vec!["history", "--history", bad_s],
        vec![
            "history",
            "import",
            env.dir.to_str().unwrap(),
            "--history",
            bad_s,
        ],
    ] {
        let out = env.xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        "these are my notes, not a database\n"
    );
    // No history yet: `history` says how to make one.
    let out = env.xtask(&["history"]);
    refused(&out, &["no such file", "history import"]);
}

#[test]
fn bisect_refuses_a_range_it_cannot_bisect() {
    let _g = lock();
    let env = Env::new("bisect-bad");
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "bisect",
                "nosuite/g/f/1",
                "--good",
                "HEAD~1",
                "--bad",
                "HEAD",
            ],
            "no suite \"nosuite\"",
        ),
        (
            &[
                "bisect",
                "swarm_primitives/scheduler/lanes/100",
                "--good",
                "HEAD",
                "--bad",
                "HEAD~1",
            ],
            "is not an ancestor of --bad",
        ),
        (
            &[
                "bisect",
                "swarm_primitives/scheduler/lanes/100",
                "--good",
                "nope",
                "--bad",
                "HEAD",
            ],
            "--good \"nope\": not a revision",
        ),
        (
            &[
                "bisect",
                "swarm_primitives/scheduler/lanes/100",
                "--good",
                "HEAD",
                "--bad",
                "HEAD",
            ],
            "the same commit",
        ),
    ];
    for (args, says) in cases {
        let out = env.xtask(args);
        refused(&out, &[says]);
    }
    // Nothing was checked out or measured.
    assert!(!env.dir.join("bisect").exists(), "{:?}", env.tree());
}
