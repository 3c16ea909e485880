//! End to end: `cargo xtask bench` on real (filtered) suites writes the three report files, the
//! baseline and the exports; every bad input of issue 11 exits 2 and writes nothing; a damaged
//! baseline or run folder is refused; SIGINT stops the running suite; the HTML page renders in
//! headless Chromium with every group shown.
//!
//! These run the real bench binaries (bench profile; `.ci/run` builds them before the tests). All
//! output goes under a temporary `GGEN_BENCH_DIR`, never into the real `target/ggen-bench`. The
//! tests share one lock so that no two benchmarks run at once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A temporary bench directory (`GGEN_BENCH_DIR`) for one test.
struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.current_dir(root())
            .env("CARGO", env!("CARGO"))
            .env("GGEN_BENCH_DIR", &self.dir)
            .args(args);
        cmd
    }

    fn xtask(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("running xtask")
    }

    fn latest(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("latest"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Everything under the bench directory, as relative paths (what "nothing written" checks).
    fn tree(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = walk(&self.dir)
            .into_iter()
            .map(|p| p.strip_prefix(&self.dir).unwrap().to_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit 2 with `needles` in stderr.
fn refused(o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let err = stderr(o);
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in:\n{}", text(o));
    }
}

const QUICK_ONE: [&str; 6] = [
    "bench",
    "--quick",
    "--bench",
    "swarm_primitives",
    "--filter",
    "^scheduler/lanes/100$",
];

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

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

/// Issue 11, cases 1 and 3: damaged baselines and run folders never pass silently.
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

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|c| {
        let out = Command::new("which").arg(c).output().ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    })
}

/// Headless Chromium as this machine runs it: no sandbox (root), no GPU, no background network
/// (the network is closed), a fresh profile.
fn headless(bin: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

fn check_html_in_chromium(page: &Path, groups: &[&str]) {
    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED: headless Chromium check of {}: chromium is not installed (`.ci/run` installs it; \
             locally: apt-get install chromium)",
            page.display()
        );
        return;
    };
    let profile = std::env::temp_dir().join(format!("xtask-chromium-{}", std::process::id()));
    let out = headless(&bin, &profile)
        .args(["--enable-logging=stderr", "--v=0"])
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running chromium");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    assert!(dom.contains("<svg"), "no chart rendered:\n{dom}");
    for g in groups {
        assert!(dom.contains(&format!("id=\"{g}\"")), "group {g} not shown");
    }
    for bad in ["Uncaught", "SyntaxError", "ReferenceError", "TypeError"] {
        assert!(!log.contains(bad), "script error in the console: {log}");
    }
    assert!(dom.contains("<h2>Summary</h2>"), "no summary at the top");
    // The page as a reader sees it, 1400 px wide: a real PNG with content.
    let shot = std::env::temp_dir().join(format!("xtask-report-{}.png", std::process::id()));
    let out = headless(&bin, &profile)
        .args(["--hide-scrollbars", "--window-size=1400,1600"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    let _ = std::fs::remove_file(&shot);
}
