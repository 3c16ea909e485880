//! Shared by the xtask's end-to-end tests: a temporary `GGEN_BENCH_DIR` per test, running the
//! xtask binary, one lock so that no two benchmarks run at once, and headless Chromium.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub fn lock() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A temporary bench directory (`GGEN_BENCH_DIR`) for one test.
pub struct Env {
    pub dir: PathBuf,
}

impl Env {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.current_dir(root())
            .env("CARGO", env!("CARGO"))
            .env("GGEN_BENCH_DIR", &self.dir)
            .args(args);
        cmd
    }

    pub fn xtask(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("running xtask")
    }

    pub fn latest(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("latest"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Everything under the bench directory, as relative paths (what "nothing written" checks).
    pub fn tree(&self) -> Vec<PathBuf> {
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

pub fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit 2 with `needles` in stderr.
pub fn refused(o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let err = stderr(o);
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in:\n{}", text(o));
    }
}

pub const QUICK_ONE: [&str; 6] = [
    "bench",
    "--quick",
    "--bench",
    "swarm_primitives",
    "--filter",
    "^scheduler/lanes/100$",
];

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
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

/// Every file ending in `.{ext}` under `dir`, skipping `target` and hidden folders (tidy and
/// layer checks read the sources this way).
pub fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files_with_ext(&path, ext, out);
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|c| {
        let out = Command::new("which").arg(c).output().ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    })
}

/// Headless Chromium as this machine runs it: no sandbox (root), no GPU, no background network
/// (the network is closed), a fresh profile.
pub fn headless(bin: &Path, profile: &Path) -> Command {
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

pub fn check_html_in_chromium(page: &Path, groups: &[&str]) {
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
