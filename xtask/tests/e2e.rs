//! End to end: `cargo xtask bench` on a real (filtered) suite writes the three report files, the
//! baseline and the exports; bad inputs exit 2 and write nothing; the HTML page renders in headless
//! Chromium with every group shown.
//!
//! These run the real bench binaries (bench profile), so `.ci/run` builds the benches before the
//! tests. One test function keeps the steps in order and shares one run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(args)
        .output()
        .expect("running cargo xtask")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn bench_root() -> PathBuf {
    root().join("target").join("ggen-bench")
}

fn run_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(bench_root())
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("report.json").exists())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn bench_report_baseline_exports_and_bad_inputs() {
    let tmp = std::env::temp_dir().join(format!("xtask-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let baseline = format!("e2e-{}", std::process::id());
    let (bmf, gh) = (tmp.join("bmf.json"), tmp.join("gh.json"));

    // 1. A real run of one bench.
    let out = xtask(&[
        "bench",
        "--quick",
        "--bench",
        "swarm_primitives",
        "--filter",
        "^scheduler/lanes/100$",
        "--repeat",
        "2",
        "--save-baseline",
        &baseline,
        "--export",
        &format!("bmf={}", bmf.display()),
        "--export",
        &format!("github={}", gh.display()),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let latest = std::fs::read_to_string(bench_root().join("latest")).unwrap();
    let run = bench_root().join(latest.trim());
    for f in ["report.md", "report.json", "report.html"] {
        assert!(run.join(f).is_file(), "missing {f}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("report.json")).unwrap()).unwrap();
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("excluding compilation"));
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&bmf).unwrap()).unwrap();
    assert!(
        b["swarm_primitives/scheduler/lanes/100"]["latency"]["value"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let g: serde_json::Value = serde_json::from_slice(&std::fs::read(&gh).unwrap()).unwrap();
    assert_eq!(g[0]["name"], "swarm_primitives/scheduler/lanes/100");
    let saved = bench_root()
        .join("baselines")
        .join(format!("{baseline}.json"));
    assert!(saved.is_file());

    // 2. Comparing a run with itself flags nothing; `report` re-renders.
    let out = xtask(&["compare", &baseline, latest.trim()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Welch t-intervals over whole-run means"),
        "{}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 regressed"),
        "{}",
        text(&out)
    );
    let out = xtask(&["report", latest.trim()]);
    assert!(out.status.success(), "{}", text(&out));

    // 3. Bad inputs: exit 2, one clear error, nothing new written.
    let before = run_dirs();
    let out = xtask(&[
        "bench",
        "--quick",
        "--bench",
        "swarm_primitives",
        "--baseline",
        "no-such-baseline",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no baseline or run named \"no-such-baseline\""),
        "{}",
        text(&out)
    );
    let bad = tmp.join("budgets.toml");
    std::fs::write(&bad, "[[claim]]\nfaster = \"swarm_primitives/scheduler/lanes/10\"\nthan = \"x\"\nby_at_least = 2\n").unwrap();
    let out = xtask(&[
        "bench",
        "--quick",
        "--bench",
        "swarm_primitives",
        "--budgets",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("budgets.toml") && err.contains("did you mean"),
        "{err}"
    );
    assert_eq!(
        run_dirs(),
        before,
        "a failed run must not leave a report behind"
    );

    // A corrupt estimates.json: `report` fails with the file named and leaves the old report.
    let copy = bench_root().join(format!("e2e-corrupt-{}", std::process::id()));
    copy_dir(&run, &copy);
    let est = walk(&copy.join("criterion-r1"))
        .into_iter()
        .find(|p| p.ends_with("new/estimates.json"))
        .unwrap();
    std::fs::write(&est, "{\"mean\": ").unwrap();
    let md_before = std::fs::read(copy.join("report.md")).unwrap();
    let out = xtask(&["report", copy.file_name().unwrap().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("estimates.json"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(copy.join("report.md")).unwrap(), md_before);
    std::fs::remove_dir_all(&copy).unwrap();

    // 4. The HTML page in a real browser.
    check_html_in_chromium(&run.join("report.html"), &["swarm_primitives/scheduler"]);
    std::fs::remove_file(&saved).unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn chromium() -> Option<PathBuf> {
    let find = || {
        ["chromium", "chromium-browser"].iter().find_map(|c| {
            let out = Command::new("which").arg(c).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
    };
    if let Some(p) = find() {
        return Some(p);
    }
    // Set-up: install Debian's chromium when we can (root with apt-get); otherwise skip.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        eprintln!("chromium not found: installing Debian's chromium package for the HTML check");
        let _ = Command::new("apt-get").arg("update").status();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .status();
    }
    find()
}

fn check_html_in_chromium(page: &Path, groups: &[&str]) {
    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED: headless Chromium check of {} (chromium not installed and could not be installed)",
            page.display()
        );
        return;
    };
    let profile = std::env::temp_dir().join(format!("xtask-chromium-{}", std::process::id()));
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
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
}
