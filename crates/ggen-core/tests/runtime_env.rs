//! `GGEN_WORKER_THREADS` handling. Each case re-runs this test binary as a child process with the
//! variable set, because the runtime is process-wide and `std::env::set_var` is unsafe in Rust 2024.

use std::process::Command;

use ggen_core::runtime::{self, RuntimeError};

const CHILD: &str = "GGEN_RUNTIME_ENV_CHILD";

fn run_child(test: &str, workers: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env(runtime::WORKER_THREADS_ENV, workers)
        .output()
        .unwrap()
}

#[test]
fn child_reports_invalid_env() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    for _ in 0..2 {
        // Reported on every call, not only the first.
        let err = runtime::execute(async {}).unwrap_err();
        assert!(matches!(err, RuntimeError::InvalidEnv { ref value } if value == "lots"), "{err}");
    }
    assert!(!runtime::is_initialized());
    println!("CHILD-OK {}", runtime::execute(async {}).unwrap_err());
}

#[test]
fn child_uses_env_worker_count() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    assert_eq!(runtime::stats().unwrap().worker_threads, 1);
    assert_eq!(runtime::execute(async { 6 * 7 }).unwrap(), 42);
    println!("CHILD-OK");
}

#[test]
fn invalid_worker_env_gives_a_clear_error() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let out = run_child("child_reports_invalid_env", "lots");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CHILD-OK GGEN_WORKER_THREADS=\"lots\" is invalid"), "{stdout}");
}

#[test]
fn valid_worker_env_sets_the_worker_count() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let out = run_child("child_uses_env_worker_count", "1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
}
