//! End to end: `cargo xtask bench` on real (filtered) suites writes the three report files, the
//! baseline and the exports, and the HTML page renders in headless Chromium; the `system` suite
//! measures the `ggen` binary. Bad inputs are in `e2e_bad_input.rs`.
//!
//! These run the real bench binaries (bench profile; `.ci/run` builds them before the tests). All
//! output goes under a temporary `GGEN_BENCH_DIR`, never into the real `target/ggen-bench`.

mod common;

use common::*;

/// Long on purpose: one story told in order (each step builds on the run before it), which
/// a reader follows top to bottom; split, each piece would have to rebuild the runs.
#[test]
fn bench_report_baseline_exports_and_html() {
    let _g = lock();
    let env = Env::new("main");
    let (bmf, gh) = (env.dir.join("out/bmf.json"), env.dir.join("out/gh.json"));
    let mut args = QUICK_ONE.to_vec();
    let (bmf_arg, gh_arg) = (
        format!("bmf={}", bmf.display()),
        format!("github={}", gh.display()),
    );
    args.extend([
        "--repeat",
        "2",
        "--save-baseline",
        "e2e",
        "--export",
        &bmf_arg,
        "--export",
        &gh_arg,
    ]);
    let out = env.xtask(&args);
    assert!(out.status.success(), "{}", text(&out));
    let latest = env.latest().expect("latest written");
    let run = env.dir.join(&latest);
    for f in ["report.md", "report.json", "report.html"] {
        assert!(run.join(f).is_file(), "missing {f}");
    }
    let report = json(&run.join("report.json"));
    assert_eq!(report["schema"], 1);
    let ids: Vec<&str> = report["benches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["swarm_primitives/scheduler/lanes/100"]);
    assert_eq!(report["header"]["repeat"], 2);
    assert_eq!(
        report["benches"][0]["run_means"].as_array().unwrap().len(),
        2
    );
    assert!(run.join("criterion-r1").is_dir() && run.join("criterion-r2").is_dir());
    let verdicts: Vec<&str> = report["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["verdict"].as_str().unwrap())
        .collect();
    assert!(
        !verdicts.is_empty() && verdicts.iter().all(|v| *v == "SKIPPED"),
        "{verdicts:?}"
    );
    assert!(report["known_ids"].as_array().unwrap().len() > 50);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("# ggen bench report") && stdout.contains("scheduler/lanes/100"),
        "{stdout}"
    );
    assert!(stderr(&out).contains("excluding compilation"));
    let b = json(&bmf);
    assert!(
        b["swarm_primitives/scheduler/lanes/100"]["latency"]["value"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(json(&gh)[0]["name"], "swarm_primitives/scheduler/lanes/100");
    let saved = env.dir.join("baselines/e2e.json");
    assert!(saved.is_file());
    assert!(
        !root().join("target/ggen-bench").join(&latest).exists(),
        "the test wrote into the real target/ggen-bench"
    );

    // Comparing a run with itself flags nothing; `report` re-renders.
    let out = env.xtask(&["compare", "e2e", &latest]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Welch t-intervals over whole-run means"),
        "{stdout}"
    );
    assert!(stdout.contains("0 regressed"), "{stdout}");
    let out = env.xtask(&["report", &latest]);
    assert!(out.status.success(), "{}", text(&out));

    check_html_in_chromium(&run.join("report.html"), &["swarm_primitives/scheduler"]);
}

/// Issue 15: the `system` suite runs the release `ggen` binary and its results go through the
/// same report, claims and exports as every other suite.
#[test]
fn system_suite_measures_the_ggen_binary() {
    let _g = lock();
    let env = Env::new("system");
    let bmf = env.dir.join("bmf.json");
    let bmf_arg = format!("bmf={}", bmf.display());
    let out = env.xtask(&[
        "bench",
        "--quick",
        "--bench",
        "system",
        "--filter",
        "^(startup/version|binary/size|memory/version_peak)/",
        "--export",
        &bmf_arg,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&env.dir.join(env.latest().unwrap()).join("report.json"));
    let by_id = |id: &str| {
        report["benches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let version = by_id("system/startup/version/1");
    assert_eq!(version["unit"], "ns");
    assert_eq!(version["samples"].as_array().unwrap().len(), 30);
    assert!(version["latency"]["p95"].as_u64().unwrap() > 0);
    let size = by_id("system/binary/size/1");
    assert_eq!(size["unit"], "bytes");
    assert!(size["mean"]["point"].as_f64().unwrap() > 100_000.0);
    assert_eq!(by_id("system/memory/version_peak/1")["unit"], "bytes");
    let verdicts: Vec<(String, String)> = report["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["entry"]["check"]["id"]
                .as_str()
                .is_some_and(|i| i.starts_with("system/"))
        })
        .map(|e| {
            (
                e["entry"]["check"]["id"].as_str().unwrap().to_owned(),
                e["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        verdicts
            .iter()
            .any(|(i, v)| i == "system/startup/version/1" && v == "PASS"),
        "{verdicts:?}"
    );
    assert!(
        verdicts
            .iter()
            .any(|(i, v)| i == "system/hive_resolve/packs/100" && v == "SKIPPED"),
        "{verdicts:?}"
    );
    let b = json(&bmf);
    assert!(
        b["system/binary/size/1"]["bytes"]["value"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

/// Issue 12: `--against REV` measures REV and the working tree sample by sample in fresh process
/// pairs (rounds); a REV that is not a revision is one clear error, exit 2, nothing written.
#[test]
fn against_head_pairs_the_two_sides() {
    let _g = lock();
    let env = Env::new("against");
    let mut args = QUICK_ONE.to_vec();
    args.extend(["--against", "HEAD"]);
    let out = env.xtask(&args);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("A/B measured in rounds"), "{stdout}");
    let run = env.dir.join(env.latest().unwrap());
    let report = json(&run.join("report.json"));
    let c = &report["comparison"];
    assert_eq!(c["intervals_over"], "pairs");
    let d = &c["deltas"][0];
    assert_eq!(d["id"], "swarm_primitives/scheduler/lanes/100");
    let (lo, hi) = (
        d["ratio"]["lower"].as_f64().unwrap(),
        d["ratio"]["upper"].as_f64().unwrap(),
    );
    assert!(lo <= hi && lo > 0.5 && hi < 2.0, "{d}");
    assert!(
        report["header"]["against"]
            .as_str()
            .unwrap()
            .starts_with("HEAD (")
    );
    // One value per round on each side (48 rounds with --quick), every pair in the raw log,
    // and the per-round copies of the binaries gone.
    assert_eq!(
        report["benches"][0]["samples"].as_array().unwrap().len(),
        48
    );
    let raw = std::fs::read_to_string(run.join("logs/paired-pairs.jsonl")).unwrap();
    assert_eq!(raw.lines().count(), 48);
    for (k, line) in raw.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["id"], "swarm_primitives/scheduler/lanes/100");
        assert_eq!(v["round"], k + 1);
        let n = v["a"].as_array().unwrap().len();
        assert!(n >= 4 && n == v["b"].as_array().unwrap().len(), "{line}");
        // A cheap single-threaded bench is set up 5 times a round (once if its set-up was slow).
        let setups = v["setups"].as_u64().unwrap();
        assert!(setups == 5 || setups == 1, "{line}");
    }
    assert!(!run.join("bin").exists());
    assert!(
        run.join("against-a/swarm_primitives/scheduler/lanes/100/new/sample.json")
            .is_file()
    );
    assert!(
        report["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["verdict"] == "SKIPPED")
    );

    let before = env.tree();
    refused(
        &env.xtask(&["bench", "--quick", "--against", "no-such-rev-xyz"]),
        &["--against \"no-such-rev-xyz\"", "not a revision"],
    );
    assert_eq!(env.tree(), before, "exit 2 wrote something");
}

/// On one CPU (`taskset -c 0`, which `available_parallelism` follows) a claim that needs a CPU
/// for its contender is SKIPPED with the reason, never FAIL, and the run exits 0; the contended
/// benches' samples, whose background thread can only take turns with the measuring thread,
/// are retaken and counted.
#[test]
fn a_claim_needing_two_cpus_is_skipped_on_one() {
    if std::process::Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("SKIPPED: taskset not available");
        return;
    }
    let _g = lock();
    let env = Env::new("one-cpu");
    let mut cmd = std::process::Command::new("taskset");
    cmd.args(["-c", "0"])
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(root())
        .env("CARGO", env!("CARGO"))
        .env("GGEN_BENCH_DIR", &env.dir)
        .args([
            "bench",
            "--quick",
            "--bench",
            "swarm_primitives",
            "--filter",
            "^snapshot_read/(store|rwlock)/readers$",
        ]);
    let out = cmd.output().expect("running xtask");
    assert!(out.status.success(), "{}", text(&out));
    let run = env.dir.join(env.latest().expect("latest written"));
    let report = json(&run.join("report.json"));
    assert_eq!(report["header"]["cores"], 1);
    let readers = report["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entry"]["check"]["fast"] == "swarm_primitives/snapshot_read/store/readers")
        .expect("the readers claim");
    assert_eq!(readers["verdict"], "SKIPPED", "{readers}");
    assert_eq!(
        readers["detail"],
        "needs 2 CPUs; this machine has 1, so it cannot show what the claim is about"
    );
    let retaken: f64 = report["benches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["counters"]["samples_retaken"].as_f64().expect("counted"))
        .sum();
    assert!(retaken > 0.0, "on one CPU some samples must be retaken");
}
