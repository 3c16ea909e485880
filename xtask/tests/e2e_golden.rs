//! Golden: `cargo xtask report` re-judges and re-renders a recorded run (`fixtures/run-quick`, a
//! real quick run of `swarm_primitives` filtered to `conflict_detection|snapshot_read`, with its
//! claims and paired rounds) into exactly the report it was saved with: the same verdicts, the
//! same `report.json`, `report.md` and `report.html`, byte for byte. Moving code between modules
//! or crates must leave this test green; a change to what a report says must update the fixture
//! in the same commit, on purpose.

mod common;

use common::*;

/// The recorded run folder (Criterion's `new/` files and the report; `base/`, Tukey files and
/// logs dropped: rendering reads neither).
fn fixture() -> std::path::PathBuf {
    root().join("xtask/tests/fixtures/run-quick")
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn a_recorded_run_renders_to_the_report_it_was_saved_with() {
    let env = Env::new("golden");
    copy_dir(&fixture(), &env.dir.join("fixture"));
    // The copy is re-rendered in place: start from a page that cannot pass by accident.
    for f in ["report.md", "report.html"] {
        std::fs::write(env.dir.join("fixture").join(f), "stale").unwrap();
    }
    let out = env.xtask(&["report", "fixture"]);
    assert!(out.status.success(), "{}", text(&out));
    for f in ["report.json", "report.md", "report.html"] {
        let want = std::fs::read_to_string(fixture().join(f)).unwrap();
        let got = std::fs::read_to_string(env.dir.join("fixture").join(f)).unwrap();
        assert!(
            got == want,
            "{f} differs from xtask/tests/fixtures/run-quick/{f}; if the change is on purpose, \
             re-render the fixture (`GGEN_BENCH_DIR=xtask/tests/fixtures cargo xtask report \
             run-quick`) and commit it with the change"
        );
    }
    // The verdicts are in it: the claims on the fixture's benches were judged (the rest are
    // SKIPPED as filtered out), not skipped wholesale.
    let report = json(&fixture().join("report.json"));
    let verdicts: Vec<&str> = report["evaluations"]
        .as_array()
        .expect("evaluations")
        .iter()
        .map(|e| e["verdict"].as_str().expect("a verdict"))
        .collect();
    let judged = verdicts.iter().filter(|v| **v == "PASS").count();
    assert_eq!(
        judged, 4,
        "the fixture's 4 claims on its benches: {verdicts:?}"
    );
}
