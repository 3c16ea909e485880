//! End to end, issue 11: bad input never hides a regression. Damaged baselines and run folders
//! are refused, every bad input exits 2 and writes nothing, SIGINT stops the running suite.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Issue 11, cases 1 and 3: damaged baselines and run folders never pass silently.
/// Long on purpose: one story told in order (each step damages what the run before made).
#[test]
fn damaged_baselines_and_runs_are_refused() {
    let _g = lock();
    let env = Env::new("damaged");
    let other_budgets = env.dir.join("other-budgets.toml");
    std::fs::write(
        &other_budgets,
        "[[claim]]\nid = \"runtime_overhead/memory_pressure/global/1\"\nwithin = 1.0\nof = \"runtime_overhead/memory_pressure/per_call_multi_thread/1\"\nnote = \"other\"\n",
    )
    .unwrap();
    let out = env.xtask(&[
        "bench",
        "--quick",
        "--bench",
        "runtime_overhead",
        "--filter",
        "^memory_pressure/(global|per_call_multi_thread)/",
        "--budgets",
        other_budgets.to_str().unwrap(),
        "--save-baseline",
        "base",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run_id = env.latest().unwrap();
    let run = env.dir.join(&run_id);
    let base_path = env.dir.join("baselines/base.json");
    let good = json(&base_path);

    // 1. A baseline whose bench lost its samples (or has zeros, negatives) is an error, not
    //    "0 regressed"; a bench measured in another unit is listed and fails the comparison.
    let bench0 = good["benches"][0]["id"].as_str().unwrap().to_owned();
    for bad in [
        serde_json::json!([]),
        serde_json::json!([-1.0]),
        serde_json::json!([f64::MAX, -0.5]),
    ] {
        let mut v = good.clone();
        v["benches"][0]["samples"] = bad;
        let p = env.dir.join("damaged.json");
        std::fs::write(&p, v.to_string()).unwrap();
        let out = env.xtask(&["compare", p.to_str().unwrap(), &run_id]);
        refused(&out, &["damaged.json", &bench0]);
    }
    let mut v = good.clone();
    v["benches"][0]["unit"] = serde_json::json!("ns");
    v["benches"][0]["samples"] = serde_json::json!([100.0, 101.0]);
    let p = env.dir.join("other-unit.json");
    std::fs::write(&p, v.to_string()).unwrap();
    let out = env.xtask(&["compare", p.to_str().unwrap(), &run_id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Could not be compared"),
        "{}",
        text(&out)
    );

    // 3. `report` re-checks the claims the run was made with (--budgets OTHER), not the root file.
    let out = env.xtask(&["report", &run_id]);
    assert!(out.status.success(), "{}", text(&out));
    let rendered = json(&run.join("report.json"));
    let evals = rendered["evaluations"].as_array().unwrap();
    assert_eq!(evals.len(), 1, "{evals:?}");
    assert_eq!(evals[0]["entry"]["note"], "other");

    // 3. A deleted result or side file: `report` names it, exit 2, report.json untouched.
    let before = std::fs::read(run.join("report.json")).unwrap();
    let side = walk(&run.join("criterion"))
        .into_iter()
        .find(|p| p.ends_with("ggen-side.json"))
        .expect("memory benches write side files");
    let side_text = std::fs::read(&side).unwrap();
    std::fs::remove_file(&side).unwrap();
    let out = env.xtask(&["report", &run_id]);
    refused(&out, &["ggen-side.json", "Bytes"]);
    std::fs::write(&side, side_text).unwrap();
    let bench_json = walk(&run.join("criterion"))
        .into_iter()
        .find(|p| p.ends_with("new/benchmark.json"))
        .unwrap();
    std::fs::remove_file(&bench_json).unwrap();
    let out = env.xtask(&["report", &run_id]);
    refused(&out, &["benchmark.json", "is missing"]);
    assert_eq!(std::fs::read(run.join("report.json")).unwrap(), before);
}

/// Issue 11, cases 2, 4, 6 and 7: inputs checked before anything runs; nothing written.
/// Long on purpose: one story told in order (each step builds on the run before it), which
/// a reader follows top to bottom; split, each piece would have to rebuild the runs.
#[test]
fn bad_inputs_exit_2_and_write_nothing() {
    let _g = lock();
    let env = Env::new("inputs");
    let out = env.xtask(&QUICK_ONE);
    assert!(out.status.success(), "{}", text(&out));

    // 2. An export path that is a directory.
    let out_dir = env.dir.join("exports");
    std::fs::create_dir_all(&out_dir).unwrap();
    let before_exports = env.tree();
    let bmf = format!("bmf={}", out_dir.display());
    let mut args = QUICK_ONE.to_vec();
    args.extend(["--save-baseline", "x", "--export", &bmf]);
    refused(&env.xtask(&args), &["--export bmf", "is a directory"]);
    assert_eq!(env.tree(), before_exports, "exit 2 wrote something");

    // 2. An unwritable baselines folder (a file where the folder should be).
    let blocked = Env::new("blocked");
    std::fs::write(blocked.dir.join("baselines"), b"not a folder").unwrap();
    let mut args = QUICK_ONE.to_vec();
    args.extend(["--save-baseline", "x"]);
    refused(
        &blocked.xtask(&args),
        &["--save-baseline x", "not a directory"],
    );
    assert_eq!(blocked.tree(), [PathBuf::from("baselines")]);

    // 7. An existing baseline is not replaced without --force.
    let mut args = QUICK_ONE.to_vec();
    args.extend(["--save-baseline", "keep"]);
    assert!(env.xtask(&args).status.success());
    let kept = std::fs::read(env.dir.join("baselines/keep.json")).unwrap();
    let before = env.tree();
    refused(&env.xtask(&args), &["keep.json exists", "--force"]);
    assert_eq!(env.tree(), before);
    assert_eq!(
        std::fs::read(env.dir.join("baselines/keep.json")).unwrap(),
        kept
    );

    // 6. Budget entries that could only be NO_DATA or meaningless.
    for (toml, needle) in [
        (
            "[[scaling]]\nseries = \"swarm_primitives/snapshot_read/store\"\nmax_exponent = 1.0\n",
            "numeric parameters",
        ),
        (
            "[[budget]]\nid = \"hive_coordination/agent_memory/agents/100\"\nmax = \"1ms\"\n",
            "measures bytes",
        ),
        (
            "[[budget]]\nid = \"swarm_primitives/scheduler/lanes/100\"\nstat = \"p99\"\nmax = \"1ms\"\n",
            "per-operation latency",
        ),
        (
            "[[claim]]\nfaster = \"hive_coordination/agent_memory/agents/100\"\nthan = \"swarm_primitives/scheduler/lanes/100\"\nby_at_least = 2\n",
            "means nothing",
        ),
        (
            "[[claim]]\nfaster = \"swarm_primitives/scheduler/lanes/10\"\nthan = \"x\"\nby_at_least = 2\n",
            "did you mean",
        ),
    ] {
        let path = env.dir.join("bad-budgets.toml");
        std::fs::write(&path, toml).unwrap();
        let before = env.tree();
        let mut args = QUICK_ONE.to_vec();
        args.extend(["--budgets", path.to_str().unwrap()]);
        refused(&env.xtask(&args), &["bad-budgets.toml", needle]);
        assert_eq!(env.tree(), before, "{toml}");
    }
    // A baseline that does not exist.
    refused(
        &env.xtask(&["bench", "--quick", "--baseline", "no-such-baseline"]),
        &["no baseline or run named \"no-such-baseline\""],
    );
    // 7. A filter that matches nothing says which ids exist, without Rust debug syntax.
    let out = env.xtask(&[
        "bench",
        "--quick",
        "--bench",
        "swarm_primitives",
        "--filter",
        "^nothing$",
    ]);
    refused(&out, &["selects no bench", "swarm_primitives/"]);
    assert!(!stderr(&out).contains("Some("), "{}", text(&out));
    // 7. --help prints help and exits 0, wherever it appears.
    for args in [
        &["bench", "--help"][..],
        &["bench", "--quick", "-h"],
        &["compare", "--help"],
    ] {
        let out = env.xtask(args);
        assert!(out.status.success(), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("usage:"));
    }
    let latest = env.latest().unwrap();
    assert!(env.dir.join(&latest).join("report.json").is_file());

    // 4. A valid regex starting with '-' is a filter, not an option.
    let out = env.xtask(&[
        "bench",
        "--quick",
        "--bench",
        "runtime_overhead",
        "--filter",
        "-?execute_baseline/(raw_block_on|global)/",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&env.dir.join(env.latest().unwrap()).join("report.json"));
    let ids: Vec<&str> = report["benches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "runtime_overhead/execute_baseline/global/1",
            "runtime_overhead/execute_baseline/raw_block_on/1"
        ]
    );
}

/// Issue 11, case 5: SIGINT stops the running suite at once, marks the run, exits 130; the next
/// run works.
#[test]
fn sigint_stops_the_suite_and_marks_the_run() {
    let _g = lock();
    let env = Env::new("sigint");
    let child: Child = env
        .command(&["bench", "--quick", "--bench", "swarm_primitives"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the suite is measuring: its log has Criterion output.
    let started = Instant::now();
    let log = loop {
        let found = walk(&env.dir).into_iter().find(|p| {
            p.extension().is_some_and(|e| e == "log")
                && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
        });
        if let Some(l) = found {
            break l;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the suite never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        stderr(&out).contains("interrupted by SIGINT"),
        "{}",
        text(&out)
    );
    let run = log.parent().unwrap().parent().unwrap().to_owned();
    let marker = std::fs::read_to_string(run.join("INCOMPLETE")).unwrap();
    assert!(marker.contains("SIGINT"), "{marker}");
    assert!(!run.join("report.json").exists());
    assert_eq!(env.latest(), None, "latest must only name complete runs");
    // Nothing is still writing into the abandoned run.
    let files = walk(&run).len();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(walk(&run).len(), files, "a bench process kept running");
    let id = run.file_name().unwrap().to_str().unwrap().to_owned();
    refused(&env.xtask(&["report", &id]), &["incomplete", "SIGINT"]);
    // The next run works.
    let out = env.xtask(&QUICK_ONE);
    assert!(out.status.success(), "{}", text(&out));
}

/// Two runs at once would measure each other: while another run holds the machine's lock, a
/// run with `--no-wait` stops at once (exit 2, naming the holder, nothing written), and one
/// without it waits, saying for whom, and runs once the lock is released.
#[test]
fn a_second_run_waits_for_the_first_or_stops_with_no_wait() {
    use std::io::Write as _;
    let _g = lock();
    let env = Env::new("machine-lock");
    let lock_file = env.dir.join("machine.lock");
    let mut held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&lock_file)
        .unwrap();
    held.lock().unwrap();
    write!(held, "pid 1, the test's own run").unwrap();
    let mut args = QUICK_ONE.to_vec();
    args.push("--no-wait");
    let out = env
        .command(&args)
        .env("GGEN_BENCH_LOCK", &lock_file)
        .output()
        .unwrap();
    refused(
        &out,
        &[
            "another benchmark run is measuring on this machine (pid 1, the test's own run",
            "--no-wait",
        ],
    );
    assert_eq!(env.tree(), vec![std::path::PathBuf::from("machine.lock")]);
    // Without --no-wait it waits, says so, and runs once the holder lets go.
    let child = env
        .command(&QUICK_ONE)
        .env("GGEN_BENCH_LOCK", &lock_file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        env.latest().is_none(),
        "it must not run while the lock is held"
    );
    drop(held);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("waiting for another benchmark run to finish (pid 1, the test's own run"),
        "{err}"
    );
    assert!(env.latest().is_some());
}

/// `--against` a revision that has none of the selected suites exits 2 and leaves nothing
/// behind: the worktree it made for that revision is removed again.
#[test]
fn against_a_revision_without_the_suites_leaves_no_worktree() {
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
    };
    // The first commit has no swarm_e2e suite (a shallow clone's first may: then skip).
    let (_, roots) = git(&["rev-list", "--max-parents=0", "HEAD"]);
    let Some(first) = roots.lines().next().map(str::to_owned) else {
        eprintln!("SKIPPED: no root commit");
        return;
    };
    if git(&[
        "cat-file",
        "-e",
        &format!("{first}:crates/ggen-ai/benches/swarm_e2e.rs"),
    ])
    .0
    {
        eprintln!("SKIPPED: the first commit of this clone has the swarm_e2e suite");
        return;
    }
    let _g = lock();
    let env = Env::new("against-nosuite");
    let out = env.xtask(&[
        "bench",
        "--quick",
        "--bench",
        "swarm_e2e",
        "--against",
        &first,
    ]);
    refused(&out, &["has none of the selected suites"]);
    assert_eq!(
        env.tree(),
        Vec::<std::path::PathBuf>::new(),
        "{}",
        text(&out)
    );
    let (_, worktrees) = git(&["worktree", "list"]);
    assert!(!worktrees.contains(&first[..7]), "{worktrees}");
}

/// A comparison that shares no bench with its baseline compared nothing: it fails (exit 1)
/// and says so, instead of "0 regressed, 0 unchanged" and exit 0.
#[test]
fn a_comparison_with_no_bench_in_common_fails() {
    let _g = lock();
    let env = Env::new("nothing-in-common");
    let mut save = QUICK_ONE.to_vec();
    save.extend(["--save-baseline", "lanes"]);
    let out = env.xtask(&save);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.xtask(&[
        "bench",
        "--quick",
        "--bench",
        "swarm_primitives",
        "--filter",
        "^scheduler/heap/100$",
        "--baseline",
        "lanes",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("nothing compared: the baseline `lanes` and this run have no bench in common (1 only in the baseline, 1 only in this run)"),
        "{md}"
    );
}
