//! End to end: `cargo xtask bench --instructions` counts the selected benches under callgrind,
//! records the counts in report.json, the markdown and BMF, and an unchanged second run compared
//! with the first shows every count exactly unchanged. Without valgrind, the flag is one error
//! (exit 2) and nothing is written.

mod common;

use common::*;

const FILTER: &str = "^scheduler/(lanes|naive)/100$";

#[test]
fn without_valgrind_the_flag_is_one_clear_error_and_nothing_is_written() {
    let _g = lock();
    let env = Env::new("ir-missing");
    let out = env
        .command(&[
            "bench",
            "--quick",
            "--instructions",
            "--bench",
            "swarm_primitives",
        ])
        .env("PATH", "/nonexistent")
        .output()
        .expect("running xtask");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    refused(&out, &["valgrind", "apt-get install valgrind"]);
    assert!(env.tree().is_empty(), "wrote {:?}", env.tree());
}

/// Long on purpose: one story told in order (each step builds on the run before it), which
/// a reader follows top to bottom; split, each piece would have to rebuild the runs.
#[test]
fn instructions_are_counted_reported_and_repeat_exactly() {
    if std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: valgrind is not installed (.ci/run installs it with apt-get)");
        return;
    }
    let _g = lock();
    let env = Env::new("ir");
    let bmf = env.dir.join("bmf.json");
    let bmf_arg = format!("bmf={}", bmf.display());
    let base = [
        "bench",
        "--quick",
        "--instructions",
        "--bench",
        "swarm_primitives",
        "--filter",
        FILTER,
    ];
    let mut first = base.to_vec();
    first.extend(["--save-baseline", "ir", "--export", &bmf_arg]);
    let out = env.xtask(&first);
    assert!(out.status.success(), "{}", text(&out));
    let run = env.dir.join(env.latest().unwrap());
    let report = json(&run.join("report.json"));
    let summary = &report["instructions"];
    assert_eq!(summary["counted"], 2, "{summary}");
    assert!(
        summary["valgrind"]
            .as_str()
            .unwrap()
            .starts_with("valgrind")
    );
    for b in report["benches"].as_array().unwrap() {
        let c = &b["counts"];
        assert_eq!(c["iterations"], 20000, "{b}");
        let ir = c["instructions"].as_f64().unwrap();
        assert!(ir > 10.0 && ir < 100_000.0, "{b}");
        assert!(c["estimated_cycles"].as_f64().unwrap() >= ir, "{b}");
    }
    // naive/100 scans its queue on every pop; lanes/100 does not.
    let ir = |id: &str| {
        report["benches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id)
            .unwrap()["counts"]["instructions"]
            .as_f64()
            .unwrap()
    };
    assert!(
        ir("swarm_primitives/scheduler/naive/100") > ir("swarm_primitives/scheduler/lanes/100")
    );
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(md.contains("## Instruction counts (2)"), "{md}");
    assert!(md.contains("| instruction counts | 2 benches in"), "{md}");
    let exported = json(&bmf);
    assert!(exported["swarm_primitives/scheduler/lanes/100"]["instructions"]["value"].is_number());
    assert!(run.join("callgrind").is_dir());
    // The baseline keeps the callgrind outputs, for the function tables of later comparisons.
    let kept: Vec<_> = std::fs::read_dir(env.dir.join("baselines/ir.callgrind"))
        .expect("baselines/ir.callgrind")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");

    // Unchanged code, counted again: every count is exactly the same, nothing is flagged.
    let mut second = base.to_vec();
    second.extend([
        "--baseline",
        "ir",
        "--ir-threshold",
        "0",
        "--explain",
        "lanes/100$",
    ]);
    let out = env.xtask(&second);
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&env.dir.join(env.latest().unwrap()).join("report.json"));
    let deltas = report["comparison"]["instructions"]["deltas"]
        .as_array()
        .unwrap();
    assert_eq!(deltas.len(), 2);
    for d in deltas {
        assert_eq!(d["base_instructions"], d["new_instructions"], "{d}");
        assert_eq!(d["change"], "unchanged", "{d}");
        // No function changed (A/A); only the --explain'ed bench was looked at.
        assert!(d.get("functions").is_none(), "{d}");
        assert_eq!(
            d.get("explained").is_some(),
            d["id"].as_str().unwrap().ends_with("lanes/100"),
            "{d}"
        );
    }
    let md =
        std::fs::read_to_string(env.dir.join(env.latest().unwrap()).join("report.md")).unwrap();
    assert!(md.contains("Same instructions on both sides"), "{md}");
}
